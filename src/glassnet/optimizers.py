"""Optimizers: update every parameter in place from its gradient, as torch.optim does.

An optimizer sees the model's parameters as a flat dict with stable keys
(``"0.W"``, ``"3.gamma"``); ``step(params, grads)`` changes each ``params[key]``
IN PLACE (the arrays belong to the layers) using ``grads[key]``. Per-key state
(momentum buffers, running averages, step counts) lives in ``self.state[key]``;
``state_dict()`` flattens it to ``{"<buffer>/<key>": array}`` so training can
resume exactly, and ``get_config()`` holds the JSON-safe hyper-parameters.

Notation in the formulas: θ parameter, g gradient, η = ``lr``, λ = ``weight_decay``
(L2 penalty added to the gradient: g ← g + λθ, as in torch.optim; AdamW decays θ
itself instead), t the step number of this parameter starting at 1. Every update keeps float32 and reuses
preallocated buffers (ufuncs with ``out=``), since it runs on every batch.
"""
from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from .backend import fusable

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "get", "OPTIMIZERS"]


class Optimizer:
    """Base class: ``step(params, grads)`` updates params in place; state in ``self.state``.

    The rate is given as ``learning_rate=`` (Keras) or ``lr=`` (PyTorch), not both; it is the
    attribute ``lr``, also readable and settable as ``learning_rate``. ``rate_name`` remembers
    the spelling, and the learning-rate callbacks log the rate under it.
    """

    buffer_names: ClassVar[tuple[str, ...]] = ()
    """Names of the per-key state arrays this optimizer may keep (besides 'step')."""

    def __init__(self, learning_rate: float | None = None, lr: float | None = None, default: float = 0.01):
        if learning_rate is not None and lr is not None:
            raise ValueError(f"{type(self).__name__}: give the learning rate once, as learning_rate= (Keras's "
                             f"name) or lr= (PyTorch's), not both (got learning_rate={learning_rate!r}, lr={lr!r})")
        self.rate_name = "lr" if lr is not None else "learning_rate"
        """The rate's spelling, 'learning_rate' unless given as lr=: its key in get_config and in the logs."""
        rate = lr if lr is not None else learning_rate if learning_rate is not None else default
        _check_non_negative(self.rate_name, rate)
        self.lr = float(rate)
        self.state: dict[str, dict[str, np.ndarray]] = {}
        """Per-parameter state: ``state["0.W"]["m"]`` etc.; ``state[key]["step"]`` a 0-d int64 array."""
        self._scratch: dict[str, np.ndarray] = {}  # temporaries, not part of the state

    learning_rate = property(lambda self: self.lr, lambda self, value: setattr(self, "lr", value),
                             doc="The learning rate η, Keras's name for ``lr`` (the same number).")

    elementwise: ClassVar[bool] = True
    """True when each element's update reads only that element (of the parameter, gradient and state):
    then threads may update separate ranges of one parameter (``update_range``)."""

    # -- the update ---------------------------------------------------------------
    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every ``params[key]`` (any shape) in place from ``grads[key]`` (same shape)."""
        for key, t in self.begin_step(params, grads).items():
            self._update(key, params[key], grads[key], self.state[key], t)

    def begin_step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> dict[str, int]:
        """Check every gradient against its parameter and count this step; {key: step number t} of those to update."""
        steps = {}
        for key, param in params.items():
            if key not in grads:
                raise KeyError(f"{type(self).__name__}.step: no gradient for parameter {key!r}")
            grad = grads[key]
            if grad is None:
                continue
            if grad.shape != param.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: gradient of {key!r} has shape {grad.shape}; "
                    f"expected the parameter's shape {param.shape}"
                )
            state = self.state.setdefault(key, {})
            for name, buf in state.items():
                if name != "step" and buf.shape != param.shape:
                    raise ValueError(
                        f"{type(self).__name__}: state {name}/{key} has shape {buf.shape} but the parameter "
                        f"has shape {param.shape} (optimizer state from another model?)"
                    )
            step = state.setdefault("step", np.zeros((), dtype=np.int64))
            step += 1
            steps[key] = int(step)
        return steps

    def ready_for_ranges(self, keys: Any) -> bool:
        """True once every key has its state (made by a whole ``step``), so ``update_range`` may run in threads."""
        return self.elementwise and all(self.state.get(key, {}).get("step", 0) > 0 for key in keys)

    def update_range(self, key: str, param: np.ndarray, grad: np.ndarray, t: int, start: int, stop: int) -> None:
        """Step ``t`` of the rule on elements start..stop of the flattened parameter (after ``begin_step``).

        Separate ranges touch separate memory, so threads can update one parameter at once.
        """
        state = {name: buf if name == "step" else buf.reshape(-1)[start:stop] for name, buf in self.state[key].items()}
        self._update(f"{key}[{start}:{stop}]", param.reshape(-1)[start:stop], grad.reshape(-1)[start:stop], state, t)

    def _update(self, key: str, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray], t: int) -> None:
        """Apply this optimizer's rule to one parameter (in place)."""
        raise NotImplementedError

    # -- helpers for subclasses -----------------------------------------------------
    def _buffer(self, state: dict[str, np.ndarray], name: str, like: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """The state array ``name`` for this parameter, created filled with ``fill`` on first use."""
        buf = state.get(name)
        if buf is None:
            buf = state[name] = np.full(like.shape, fill, dtype=like.dtype)
        return buf

    def _tmp(self, key: str, like: np.ndarray, slot: int = 0) -> np.ndarray:
        """A reusable scratch array shaped like the parameter (contents undefined)."""
        name = f"{slot}/{key}"
        buf = self._scratch.get(name)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            buf = self._scratch[name] = np.empty_like(like)
        return buf

    def _decayed_grad(self, key: str, param: np.ndarray, grad: np.ndarray, weight_decay: float) -> np.ndarray:
        """g + λθ in a scratch array (or g itself when λ = 0); never modifies the layer's gradient."""
        if weight_decay == 0:
            return grad
        g = self._tmp(key, param, slot=1)
        np.multiply(param, weight_decay, out=g)
        np.add(g, grad, out=g, casting="same_kind")
        return g

    # -- saving and restoring -------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat copy of the state: ``{"step/0.W": int64 0-d, "m/0.W": array, ...}``."""
        return {f"{name}/{key}": buf.copy() for key, state in self.state.items() for name, buf in state.items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore the state written by ``state_dict()`` (replaces the current state)."""
        allowed = {"step", *self.buffer_names}
        new_state: dict[str, dict[str, np.ndarray]] = {}
        for flat_key, value in state.items():
            name, sep, key = flat_key.partition("/")
            if not sep or not key or name not in allowed:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: unexpected entry {flat_key!r}; expected "
                    f"'<buffer>/<param key>' with buffer one of {sorted(allowed)}"
                )
            array = np.asarray(value)
            if name == "step":
                if array.shape not in ((), (1,)) or not np.issubdtype(array.dtype, np.integer):
                    raise ValueError(f"{type(self).__name__}.load_state_dict: {flat_key!r} must be an integer count")
                array = np.array(int(array.reshape(())), dtype=np.int64)
            else:
                if not np.issubdtype(array.dtype, np.floating):
                    raise ValueError(f"{type(self).__name__}.load_state_dict: {flat_key!r} must be a float array")
                array = np.array(array, dtype=np.float32)
            new_state.setdefault(key, {})[name] = array
        self.state = new_state
        self._scratch = {}

    def get_config(self) -> dict[str, Any]:
        """JSON-safe constructor arguments (hyper-parameters)."""
        return {self.rate_name: self.lr}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Optimizer":
        """Rebuild an optimizer (without state) from ``get_config()`` output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _check_non_negative(name: str, value: float) -> None:
    if not (isinstance(value, (int, float, np.floating, np.integer)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def _check_fraction(name: str, value: float) -> None:
    if not (isinstance(value, (int, float, np.floating, np.integer)) and 0 <= value < 1):
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.

    As ``torch.optim.SGD`` (μ = momentum, τ = dampening):
        g ← g + λθ
        v ← g                      on the first step,
        v ← μ v + (1 - τ) g        afterwards          (only when μ > 0)
        d ← g + μ v   (Nesterov)   or   d ← v   (μ > 0)   or   d ← g   (μ = 0)
        θ ← θ - η d
    """

    buffer_names = ("momentum",)

    def __init__(self, learning_rate: float | None = None, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, dampening: float = 0.0, *, lr: float | None = None):
        super().__init__(learning_rate, lr, default=0.01)
        for name, value in (("momentum", momentum), ("weight_decay", weight_decay), ("dampening", dampening)):
            _check_non_negative(name, value)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires momentum > 0 and dampening = 0")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.weight_decay, self.dampening = float(weight_decay), float(dampening)

    def _update(self, key, param, grad, state, t):
        g = self._decayed_grad(key, param, grad, self.weight_decay)
        if self.momentum:
            v = state.get("momentum")
            if v is None:
                v = state["momentum"] = np.array(g, dtype=param.dtype)
            else:
                v *= self.momentum
                if self.dampening:
                    tmp = self._tmp(key, param)
                    np.multiply(g, 1 - self.dampening, out=tmp, casting="same_kind")
                    v += tmp
                else:
                    np.add(v, g, out=v, casting="same_kind")
            if self.nesterov:
                d = self._tmp(key, param)
                np.multiply(v, self.momentum, out=d)
                np.add(d, g, out=d, casting="same_kind")
            else:
                d = v
        else:
            d = g
        tmp = self._tmp(key, param, slot=2)
        np.multiply(d, self.lr, out=tmp, casting="same_kind")
        np.subtract(param, tmp, out=param)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay, "dampening": self.dampening}


class Adagrad(Optimizer):
    """Adagrad: each weight's step shrinks with the sum of its squared gradients.

    As ``torch.optim.Adagrad`` (without lr_decay), s starting at ``initial_accumulator_value``:
        g ← g + λθ
        s ← s + g²
        θ ← θ - η g / (√s + ε)
    """

    buffer_names = ("sum",)

    def __init__(self, learning_rate: float | None = None, eps: float = 1e-10, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, *, lr: float | None = None):
        super().__init__(learning_rate, lr, default=0.01)
        for name, value in (("eps", eps), ("weight_decay", weight_decay),
                            ("initial_accumulator_value", initial_accumulator_value)):
            _check_non_negative(name, value)
        self.eps, self.weight_decay = float(eps), float(weight_decay)
        self.initial_accumulator_value = float(initial_accumulator_value)

    def _update(self, key, param, grad, state, t):
        g = self._decayed_grad(key, param, grad, self.weight_decay)
        s = self._buffer(state, "sum", param, self.initial_accumulator_value)
        tmp = self._tmp(key, param)
        np.multiply(g, g, out=tmp, casting="same_kind")
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp, casting="same_kind")
        tmp *= self.lr
        param -= tmp

    def get_config(self):
        return {**super().get_config(), "eps": self.eps, "weight_decay": self.weight_decay,
                "initial_accumulator_value": self.initial_accumulator_value}


class RMSprop(Optimizer):
    """RMSprop: divide the step by a running root-mean-square of recent gradients.

    As ``torch.optim.RMSprop`` (α = alpha, μ = momentum):
        g ← g + λθ
        s ← α s + (1 - α) g²
        a ← α a + (1 - α) g,   r ← √(s - a²) + ε      (centered)
        r ← √s + ε                                   (not centered)
        b ← μ b + g / r,   θ ← θ - η b               (μ > 0)
        θ ← θ - η g / r                              (μ = 0)
    """

    buffer_names = ("square_avg", "grad_avg", "momentum")

    def __init__(self, learning_rate: float | None = None, alpha: float = 0.99, eps: float = 1e-8,
                 momentum: float = 0.0, weight_decay: float = 0.0, centered: bool = False, *, lr: float | None = None):
        super().__init__(learning_rate, lr, default=0.001)
        _check_fraction("alpha", alpha)
        for name, value in (("eps", eps), ("momentum", momentum), ("weight_decay", weight_decay)):
            _check_non_negative(name, value)
        self.alpha, self.eps, self.momentum = float(alpha), float(eps), float(momentum)
        self.weight_decay, self.centered = float(weight_decay), bool(centered)

    def _update(self, key, param, grad, state, t):
        g = self._decayed_grad(key, param, grad, self.weight_decay)
        s = self._buffer(state, "square_avg", param)
        r = self._tmp(key, param)
        s *= self.alpha
        np.multiply(g, g, out=r, casting="same_kind")
        r *= 1 - self.alpha
        s += r
        if self.centered:
            a = self._buffer(state, "grad_avg", param)
            a *= self.alpha
            np.multiply(g, 1 - self.alpha, out=r, casting="same_kind")
            a += r
            np.multiply(a, a, out=r)
            np.subtract(s, r, out=r)
            np.sqrt(r, out=r)
        else:
            np.sqrt(s, out=r)
        r += self.eps
        np.divide(g, r, out=r, casting="same_kind")  # r now holds g / r
        if self.momentum:
            b = self._buffer(state, "momentum", param)
            b *= self.momentum
            b += r
            np.multiply(b, self.lr, out=r)
        else:
            r *= self.lr
        param -= r

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "eps": self.eps, "momentum": self.momentum,
                "weight_decay": self.weight_decay, "centered": self.centered}


class Adam(Optimizer):
    """Adam: momentum (first moment) divided by the root of the second moment, bias-corrected.

    As ``torch.optim.Adam`` (β₁, β₂ = betas; L2 weight decay, not AdamW):
        g ← g + λθ
        m ← β₁ m + (1 - β₁) g
        v ← β₂ v + (1 - β₂) g²
        v̂ ← max(v̂, v) (amsgrad), else v̂ = v
        θ ← θ - η/(1 - β₁ᵗ) · m / (√v̂ / √(1 - β₂ᵗ) + ε)
    """

    buffer_names = ("m", "v", "v_max")

    def __init__(self, learning_rate: float | None = None, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *, lr: float | None = None):
        super().__init__(learning_rate, lr, default=0.001)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        _check_fraction("beta1", betas[0])
        _check_fraction("beta2", betas[1])
        for name, value in (("eps", eps), ("weight_decay", weight_decay)):
            _check_non_negative(name, value)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps, self.weight_decay, self.amsgrad = float(eps), float(weight_decay), bool(amsgrad)

    def _update(self, key, param, grad, state, t):
        self._adam(key, param, grad, state, t, self.weight_decay)

    def _adam(self, key, param, grad, state, t, weight_decay):
        """The rule above on one parameter (or a range of it), with L2 decay ``weight_decay`` in the gradient."""
        beta1, beta2 = self.betas
        m = self._buffer(state, "m", param)
        v = self._buffer(state, "v", param)
        if fusable(param, grad, m, v):
            # The same formulas as the NumPy lines below, in one pass (ops.fused_kernels.adam_update).
            from .ops.fused_kernels import adam_update

            v_max = self._buffer(state, "v_max", param) if self.amsgrad else v
            number = param.dtype.type  # constants in the parameters' precision: float32 math is twice as fast
            adam_update(param.ravel(), grad.ravel(), m.ravel(), v.ravel(), v_max.ravel(),
                        number(self.lr / (1 - beta1**t)), number(1 - beta1), number(beta2), number(1 - beta2),
                        number(self.eps), number(math.sqrt(1 - beta2**t)), number(weight_decay), self.amsgrad)
            return
        g = self._decayed_grad(key, param, grad, weight_decay)
        tmp = self._tmp(key, param)
        # m ← m + (1 - β₁)(g - m), the same as β₁ m + (1 - β₁) g (torch's lerp form).
        np.subtract(g, m, out=tmp, casting="same_kind")
        tmp *= 1 - beta1
        m += tmp
        v *= beta2
        np.multiply(g, g, out=tmp, casting="same_kind")
        tmp *= 1 - beta2
        v += tmp
        if self.amsgrad:
            v_hat = self._buffer(state, "v_max", param)
            np.maximum(v_hat, v, out=v_hat)
        else:
            v_hat = v
        step_size = self.lr / (1 - beta1**t)
        np.sqrt(v_hat, out=tmp)
        tmp /= math.sqrt(1 - beta2**t)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= step_size
        param -= tmp

    def get_config(self):
        return {**super().get_config(), "betas": list(self.betas), "eps": self.eps,
                "weight_decay": self.weight_decay, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, as ``torch.optim.AdamW`` (λ = weight_decay, default 0.01).

    The decay shrinks θ itself instead of entering g, so Adam's scaling does not weaken it:
        θ ← θ - η λ θ
        then Adam's update above with g as it is (no λθ term)
    """

    def __init__(self, learning_rate: float | None = None, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.01, amsgrad: bool = False, *, lr: float | None = None):
        super().__init__(learning_rate, betas, eps, weight_decay, amsgrad, lr=lr)

    def _update(self, key, param, grad, state, t):
        if self.weight_decay:  # element-wise, so threads may still update ranges of one parameter
            param *= param.dtype.type(1 - self.lr * self.weight_decay)
        self._adam(key, param, grad, state, t, 0.0)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam,
                                          "adamw": AdamW}
"""Optimizer classes by lower-case name, for ``get``."""


def get(optimizer: str | Optimizer, **overrides: Any) -> Optimizer:
    """An optimizer from a name ('sgd', 'adagrad', 'rmsprop', 'adam', 'adamw') with hyper-parameter overrides, or as given."""
    if isinstance(optimizer, Optimizer):
        if "lr" in overrides and "learning_rate" in overrides:
            raise ValueError("give the learning rate once, as learning_rate= or lr=, not both")
        overrides = {"lr" if k == "learning_rate" else k: v for k, v in overrides.items()}
        config = {"lr" if k == optimizer.rate_name else k: v for k, v in optimizer.get_config().items()}
        unknown = sorted(set(overrides) - set(config))
        if unknown:
            raise ValueError(f"{type(optimizer).__name__} has no hyper-parameter(s) {unknown}; it has {sorted(config)}")
        for name, value in overrides.items():
            setattr(optimizer, name, tuple(value) if name == "betas" else value)
        return optimizer
    if isinstance(optimizer, str):
        cls = OPTIMIZERS.get(optimizer.strip().lower())
        if cls is None:
            raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {sorted(OPTIMIZERS)}")
        try:
            return cls(**overrides)
        except TypeError as error:
            raise ValueError(f"bad hyper-parameters for {cls.__name__}: {error}") from None
    raise TypeError(f"optimizer must be a name or a glassnet.optimizers.Optimizer, got {type(optimizer).__name__}")
