"""Optimizers against torch.optim: same initial parameters, same gradients, 20 steps."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import assert_close
from glassnet import optimizers
from glassnet.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop

SHAPES = {"0.W": (6, 5), "0.b": (5,), "2.W": (3, 2, 3, 3), "3.gamma": (4,)}

CASES = [
    # SGD: plain, momentum, dampening, Nesterov, weight decay
    (SGD, torch.optim.SGD, dict(lr=0.1)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (SGD, torch.optim.SGD, dict(lr=0.1, weight_decay=0.05)),
    # Adagrad
    (Adagrad, torch.optim.Adagrad, dict(lr=0.1)),
    (Adagrad, torch.optim.Adagrad, dict(lr=0.05, weight_decay=0.01, initial_accumulator_value=0.1, eps=1e-8)),
    # RMSprop: plain, centered, momentum, both, weight decay
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, centered=True)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.9)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.005, momentum=0.5, centered=True, weight_decay=0.01, eps=1e-6)),
    # Adam: plain, betas, weight decay (L2), AMSGrad
    (Adam, torch.optim.Adam, dict(lr=0.01)),
    (Adam, torch.optim.Adam, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6)),
    (Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.05)),
    (Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    # AdamW: decoupled weight decay (default 0.01, a strong one, AMSGrad)
    (AdamW, torch.optim.AdamW, dict(lr=0.01)),
    (AdamW, torch.optim.AdamW, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.5)),
    (AdamW, torch.optim.AdamW, dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
]


def _ids(case):
    return f"{case[0].__name__}-" + ",".join(f"{k}={v}" for k, v in case[2].items())


def _random_params(rng):
    return {key: rng.standard_normal(shape).astype(np.float32) for key, shape in SHAPES.items()}


def _gradient_sequence(rng, steps):
    # Varying scales so the adaptive optimizers see different magnitudes per step.
    return [
        {key: (rng.standard_normal(shape) * rng.uniform(0.1, 3.0)).astype(np.float32) for key, shape in SHAPES.items()}
        for _ in range(steps)
    ]


def _run_torch(torch_cls, kwargs, params, grad_seq, lr_schedule=None):
    tensors = {key: torch.tensor(value.copy(), requires_grad=True) for key, value in params.items()}
    opt = torch_cls(list(tensors.values()), **kwargs)
    for i, grads in enumerate(grad_seq):
        if lr_schedule is not None:
            for group in opt.param_groups:
                group["lr"] = lr_schedule(i)
        for key, t in tensors.items():
            t.grad = torch.tensor(grads[key])
        opt.step()
    return {key: t.detach().numpy() for key, t in tensors.items()}


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_matches_torch_over_20_steps(case, rng):
    ours_cls, torch_cls, kwargs = case
    params = _random_params(rng)
    grad_seq = _gradient_sequence(rng, 20)
    expected = _run_torch(torch_cls, kwargs, params, grad_seq)

    opt = ours_cls(**kwargs)
    arrays = {key: value.copy() for key, value in params.items()}
    originals = dict(arrays)
    for grads in grad_seq:
        grads_before = {key: g.copy() for key, g in grads.items()}
        opt.step(arrays, grads)
        for key in grads:  # the layers' gradient arrays are never modified
            np.testing.assert_array_equal(grads[key], grads_before[key])
    for key in SHAPES:
        assert arrays[key] is originals[key], "parameters must be updated in place"
        assert arrays[key].dtype == np.float32
        assert_close(arrays[key], expected[key], 1e-4, what=f"{ours_cls.__name__} {key}")
        assert not np.allclose(arrays[key], params[key]), "the parameter did not move"
    for key, state in opt.state.items():
        for name, buf in state.items():
            assert buf.dtype == (np.int64 if name == "step" else np.float32), f"{name}/{key} is {buf.dtype}"


@pytest.mark.parametrize("case", [CASES[1], CASES[7], CASES[11], CASES[15], CASES[17]], ids=_ids)
def test_learning_rate_changed_between_steps_like_a_schedule(case, rng):
    ours_cls, torch_cls, kwargs = case
    params = _random_params(rng)
    grad_seq = _gradient_sequence(rng, 12)
    schedule = lambda i: kwargs["lr"] * (0.5 ** (i // 4))  # noqa: E731
    expected = _run_torch(torch_cls, kwargs, params, grad_seq, schedule)
    opt = ours_cls(**kwargs)
    for i, grads in enumerate(grad_seq):
        opt.lr = schedule(i)
        opt.step(params, grads)
    for key in SHAPES:
        assert_close(params[key], expected[key], 1e-4, what=key)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_state_dict_resumes_exactly(case, rng):
    ours_cls, _, kwargs = case
    params = _random_params(rng)
    grad_seq = _gradient_sequence(rng, 10)

    straight = {key: value.copy() for key, value in params.items()}
    opt = ours_cls(**kwargs)
    for grads in grad_seq:
        opt.step(straight, grads)

    resumed = {key: value.copy() for key, value in params.items()}
    first = ours_cls(**kwargs)
    for grads in grad_seq[:5]:
        first.step(resumed, grads)
    state = first.state_dict()
    for flat_key, value in state.items():
        name, _, key = flat_key.partition("/")
        assert key in SHAPES and isinstance(value, np.ndarray)
        assert name in ("step", *ours_cls.buffer_names)
    assert int(state["step/0.W"]) == 5
    config = json.loads(json.dumps(first.get_config()))  # JSON-safe
    second = ours_cls.from_config(config)
    second.load_state_dict(state)
    for grads in grad_seq[5:]:
        second.step(resumed, grads)
    for key in SHAPES:
        np.testing.assert_array_equal(resumed[key], straight[key])


def test_state_dict_is_a_copy_and_load_rejects_foreign_entries(rng):
    params = _random_params(rng)
    opt = Adam(lr=0.01)
    opt.step(params, _gradient_sequence(rng, 1)[0])
    state = opt.state_dict()
    state["m/0.W"][...] = 123.0
    assert not np.any(opt.state["0.W"]["m"] == 123.0)
    with pytest.raises(ValueError, match="unexpected entry"):
        Adam().load_state_dict({"momentum_buffer/0.W": np.zeros(3, np.float32)})
    with pytest.raises(ValueError, match="unexpected entry"):
        Adam().load_state_dict({"0.W": np.zeros(3, np.float32)})
    loaded = SGD(momentum=0.9)
    loaded.load_state_dict({"momentum/0.W": np.zeros((2, 2), np.float32), "step/0.W": np.array(1)})
    with pytest.raises(ValueError, match="state momentum/0.W has shape"):
        loaded.step({"0.W": np.zeros((3, 3), np.float32)}, {"0.W": np.zeros((3, 3), np.float32)})


def test_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="gradient of '0.W' has shape"):
        SGD().step({"0.W": np.zeros((2, 3), np.float32)}, {"0.W": np.zeros((3, 2), np.float32)})
    with pytest.raises(KeyError, match="no gradient"):
        SGD().step({"0.W": np.zeros(2, np.float32)}, {})
    with pytest.raises(ValueError, match="Nesterov"):
        SGD(nesterov=True)
    with pytest.raises(ValueError, match="lr"):
        Adam(lr=-1)
    with pytest.raises(ValueError, match="beta"):
        Adam(betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="alpha"):
        RMSprop(alpha=1.5)


def test_float64_gradient_does_not_turn_parameters_into_float64(rng):
    param = rng.standard_normal((4, 3)).astype(np.float32)
    for opt in (SGD(momentum=0.9, weight_decay=0.1), Adagrad(), RMSprop(centered=True, momentum=0.5), Adam(),
                AdamW()):
        opt.step({"w": param}, {"w": rng.standard_normal((4, 3))})  # float64 gradient
        assert param.dtype == np.float32
        assert all(buf.dtype in (np.float32, np.int64) for buf in opt.state["w"].values())


def test_get_by_name_with_overrides():
    assert type(optimizers.get("sgd")) is SGD
    assert type(optimizers.get("Adam")) is Adam
    assert type(optimizers.get("adagrad")) is Adagrad
    opt = optimizers.get("rmsprop", lr=0.005)
    assert isinstance(opt, RMSprop) and opt.lr == 0.005
    assert optimizers.get("sgd", learning_rate=0.3, momentum=0.9).lr == 0.3  # Keras's spelling
    mine = SGD(lr=0.1)
    assert optimizers.get(mine) is mine
    assert optimizers.get(mine, lr=0.2).lr == 0.2
    assert type(optimizers.get("AdamW", weight_decay=0.1)) is AdamW
    with pytest.raises(ValueError, match="adagrad.*adam.*adamw.*rmsprop.*sgd"):
        optimizers.get("nadam")
    with pytest.raises(ValueError, match="bad hyper-parameters"):
        optimizers.get("sgd", betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="no hyper-parameter"):
        optimizers.get(SGD(), betas=(0.9, 0.99))
    with pytest.raises(TypeError):
        optimizers.get(3)


def test_skips_parameters_whose_gradient_is_none(rng):
    params = _random_params(rng)
    before = params["0.b"].copy()
    grads = {key: np.ones(shape, np.float32) for key, shape in SHAPES.items()}
    grads["0.b"] = None
    SGD(lr=0.1).step(params, grads)
    np.testing.assert_array_equal(params["0.b"], before)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_update_in_ranges_equals_the_whole_step_bit_for_bit(case, rng):
    """What glassnet's threads do: after a first whole step, each thread updates its own ranges of elements."""
    cls, _, kwargs = case
    start, grad_seq = _random_params(rng), _gradient_sequence(rng, 6)
    whole = {key: value.copy() for key, value in start.items()}
    ranged = {key: value.copy() for key, value in start.items()}
    opt_whole, opt_ranged = cls(**kwargs), cls(**kwargs)
    for i, grads in enumerate(grad_seq):
        opt_whole.step(whole, grads)
        if i == 0:
            assert not opt_ranged.ready_for_ranges(ranged)
            opt_ranged.step(ranged, grads)
            continue
        assert opt_ranged.ready_for_ranges(ranged)
        steps = opt_ranged.begin_step(ranged, grads)
        for key, param in ranged.items():
            cut = [0, param.size // 3, param.size // 2, param.size]
            for a, b in zip(cut, cut[1:]):
                opt_ranged.update_range(key, param, grads[key], steps[key], a, b)
    for key in SHAPES:
        np.testing.assert_array_equal(ranged[key], whole[key])
    for key, value in opt_whole.state_dict().items():
        np.testing.assert_array_equal(opt_ranged.state_dict()[key], value)


def test_adamw_decay_is_decoupled_from_the_gradient(rng):
    """A zero gradient gives Adam's part a zero step (m = 0), so AdamW's θ moves by its decay alone: θ (1 - ηλ)."""
    param = rng.standard_normal(5).astype(np.float32)
    decayed = param.copy()
    AdamW(learning_rate=0.1, weight_decay=0.5).step({"w": decayed}, {"w": np.zeros(5, np.float32)})
    np.testing.assert_allclose(decayed, param * (1 - 0.1 * 0.5), rtol=1e-6)


@pytest.mark.parametrize("cls", [SGD, Adagrad, RMSprop, Adam, AdamW])
def test_every_optimizer_takes_keras_learning_rate(cls):
    """RMSprop(learning_rate=0.005), the Keras lesson's line, was a TypeError; both names now set one rate."""
    keras_style, torch_style = cls(learning_rate=0.005), cls(lr=0.005)
    assert keras_style.lr == keras_style.learning_rate == torch_style.lr == torch_style.learning_rate == 0.005
    keras_style.learning_rate = 0.25
    assert keras_style.lr == 0.25
    keras_style.lr = 0.5
    assert keras_style.learning_rate == 0.5
    assert cls(0.02).lr == 0.02  # positional, as Keras's first argument
    assert (keras_style.rate_name, torch_style.rate_name) == ("learning_rate", "lr")
    assert keras_style.get_config()["learning_rate"] == 0.5 and "lr" not in keras_style.get_config()
    again = cls.from_config(json.loads(json.dumps(keras_style.get_config())))
    assert again.lr == 0.5 and again.rate_name == "learning_rate"
    with pytest.raises(ValueError, match="not both"):
        cls(learning_rate=0.1, lr=0.1)
    with pytest.raises(ValueError, match="learning_rate must be a finite number"):
        cls(learning_rate=-1.0)
    assert optimizers.get(cls.__name__, learning_rate=0.3).learning_rate == 0.3
    assert optimizers.get(keras_style, lr=0.125).learning_rate == 0.125
    assert optimizers.get(torch_style, learning_rate=0.0625).lr == 0.0625
