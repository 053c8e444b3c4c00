"""A glassnet ``Sequential`` built from a PyTorch ``nn.Sequential``: the same layers, the same weights.

Only the layers glassnet has are translated, and only with settings that compute the same
function; any other module or setting is a ValueError naming the module and what glassnet
would need. glassnet never imports PyTorch, not even here: the module hands over its own
children and tensors (``named_children``, ``state_dict``, ``tensor.numpy()``).
"""
from __future__ import annotations

from typing import Any, Sequence

from ..layers import (AvgPool2D, BatchNorm1D, BatchNorm2D, Conv2D, Dense, Dropout, Flatten, Layer, LeakyReLU,
                      MaxPool2D, ReLU, Sigmoid, Softmax, Tanh)
from ..model import Sequential
from .state_dict import set_torch_state

__all__ = ["from_torch_module", "TORCH_LAYERS"]

TORCH_LAYERS = ("Conv2d", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "MaxPool2d", "AvgPool2d",
                "BatchNorm1d", "BatchNorm2d", "Dropout", "Flatten")
"""The torch.nn modules ``from_torch_module`` translates (and nn.Sequential, whose children are taken in order)."""

_DTYPES = {"torch.float16": "F16", "torch.float32": "F32", "torch.float64": "F64"}


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _require(module: Any, where: str, setting: str, ok: bool, why: str) -> None:
    if not ok:
        raise ValueError(f"{where} ({module!r}): {setting} is not supported: {why}")


def _padding(module: Any, where: str) -> Any:
    padding = module.padding
    if isinstance(padding, str):  # Conv2d's 'same' / 'valid'
        return padding
    return list(_pair(padding))


def _convert(module: Any, where: str) -> Layer:
    """The glassnet layer computing what ``module`` computes; ValueError for anything else."""
    kind = type(module).__name__
    if not type(module).__module__.startswith("torch.nn"):  # a user's class that happens to be called Linear
        raise ValueError(f"{where} is a {type(module).__module__}.{kind}, not a torch.nn layer; glassnet translates "
                         f"only torch.nn's {', '.join(TORCH_LAYERS)}")
    if kind == "Conv2d":
        _require(module, where, f"groups={module.groups}", module.groups == 1, "glassnet's Conv2D has no groups")
        _require(module, where, f"padding_mode={module.padding_mode!r}", module.padding_mode == "zeros",
                 "glassnet pads with zeros")
        return Conv2D(module.out_channels, _pair(module.kernel_size), _pair(module.stride),
                      _padding(module, where), dilation=_pair(module.dilation),
                      use_bias=module.bias is not None)
    if kind == "Linear":
        _require(module, where, "bias=False", module.bias is not None, "glassnet's Dense always has a bias")
        return Dense(module.out_features)
    if kind in ("MaxPool2d", "AvgPool2d"):
        _require(module, where, "ceil_mode=True", not module.ceil_mode, "glassnet pools in floor mode")
        if kind == "MaxPool2d":
            _require(module, where, f"dilation={module.dilation}", _pair(module.dilation) == (1, 1),
                     "glassnet's MaxPool2D has no dilation")
            _require(module, where, "return_indices=True", not module.return_indices, "a Sequential passes one array")
        else:
            _require(module, where, "count_include_pad=False", module.count_include_pad,
                     "glassnet's AvgPool2D counts the padding zeros in the mean")
            _require(module, where, f"divisor_override={module.divisor_override}", module.divisor_override is None,
                     "glassnet divides by the window's size")
        cls = MaxPool2D if kind == "MaxPool2d" else AvgPool2D
        stride = module.stride if module.stride else module.kernel_size
        return cls(_pair(module.kernel_size), _pair(stride), _pair(module.padding))
    if kind in ("BatchNorm1d", "BatchNorm2d"):
        _require(module, where, "momentum=None", module.momentum is not None,
                 "glassnet's running statistics are an exponential average (give momentum=0.1)")
        _require(module, where, "affine=False", module.affine, "glassnet's BatchNorm always has gamma and beta")
        _require(module, where, "track_running_stats=False", module.track_running_stats,
                 "glassnet's BatchNorm keeps running statistics for inference")
        norm = BatchNorm1D if kind == "BatchNorm1d" else BatchNorm2D
        return norm(momentum=float(module.momentum), eps=float(module.eps))
    if kind == "Flatten":
        _require(module, where, f"start_dim={module.start_dim}, end_dim={module.end_dim}",
                 (module.start_dim, module.end_dim) == (1, -1), "glassnet's Flatten keeps the batch axis only")
        return Flatten()
    if kind == "Softmax":
        _require(module, where, f"dim={module.dim}", module.dim in (None, 1, -1),
                 "glassnet's Softmax is over the features of (N, K) scores")
        return Softmax()
    if kind == "LeakyReLU":
        return LeakyReLU(alpha=float(module.negative_slope))
    if kind == "Dropout":
        return Dropout(rate=float(module.p))
    simple = {"ReLU": ReLU, "Sigmoid": Sigmoid, "Tanh": Tanh}
    if kind in simple:
        return simple[kind]()
    raise ValueError(f"{where} is a {kind}, which glassnet does not translate; known: nn.Sequential of "
                     f"{', '.join(TORCH_LAYERS)}")


def _is_sequential(module: Any) -> bool:
    """True for a torch.nn.Sequential (known by its class, so that glassnet needs no import of torch)."""
    return any(cls.__name__ == "Sequential" and cls.__module__.startswith("torch.nn")
               for cls in type(module).__mro__)


def _children(module: Any, prefix: str) -> list[tuple[str, Any]]:
    """(state_dict prefix, module) of every leaf module, nested nn.Sequential unrolled in order."""
    found: list[tuple[str, Any]] = []
    for name, child in module.named_children():
        full = f"{prefix}.{name}" if prefix else name
        found += _children(child, full) if _is_sequential(child) else [(full, child)]
    return found


def from_torch_module(module: Any, input_shape: Sequence[int], *, seed: int = 0, name: str | None = None) -> Sequential:
    """A glassnet Sequential computing what the ``nn.Sequential`` ``module`` computes on (N, *input_shape), its weights copied."""
    if not _is_sequential(module):
        raise ValueError(f"from_torch_module expects an nn.Sequential, got {type(module).__name__}: the layers of "
                         "another Module are run by its forward(), which glassnet cannot read; build the glassnet "
                         "model in code and use load_torch_state_dict on its state_dict")
    children = _children(module, "")
    layers = [_convert(child, f"PyTorch module {prefix!r}") for prefix, child in children]
    model = Sequential(layers, input_shape=tuple(int(d) for d in input_shape), seed=seed, name=name)
    prefixes = [prefix for (prefix, _), layer in zip(children, layers) if layer.params]
    state = module.state_dict()
    tensors = {key: (tuple(value.shape), _DTYPES.get(str(value.dtype), str(value.dtype)))
               for key, value in state.items()}
    return set_torch_state(model, tensors, lambda key: state[key].detach().cpu().numpy(),
                           f"the state_dict of {type(module).__name__}", prefixes)
