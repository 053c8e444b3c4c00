"""Gradient check: compare a layer's hand-written backward pass with central differences.

For a scalar loss L = Σ y ⊙ r (the output projected on a fixed random vector r, so that
dL/dy = r), every partial derivative is estimated as

    dL/dθ ≈ (L(θ + ε) - L(θ - ε)) / 2ε

and compared with what ``backward(r)`` computed, for the input x and every parameter.
It all runs in float64 on a copy of the layer (its parameters, buffers and x cast to
float64), because in float32 the two losses differ by less than their rounding error.
The layer you pass in is left untouched. Works for any layer that follows the
``glassnet.layers.Layer`` protocol::

    from glassnet.gradcheck import gradcheck
    gradcheck(Conv2D(4, 3, stride=2, padding=1), x)      # raises AssertionError if wrong
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .layers.base import Layer


_SALT = 0x67726164  # "grad"


@dataclass
class GradcheckResult:
    """Per array ('x', then each parameter name): relative error and how many entries were compared."""

    errors: dict[str, float] = field(default_factory=dict)
    checked: dict[str, int] = field(default_factory=dict)
    rtol: float = 0.0

    @property
    def max_error(self) -> float:
        """The largest relative error over all arrays."""
        return max(self.errors.values(), default=0.0)

    def __str__(self) -> str:
        parts = ", ".join(f"d{k}: {v:.2g} ({self.checked[k]} entries)" for k, v in self.errors.items())
        return f"gradcheck passed (rtol {self.rtol:g}): {parts}"


def _loss(layer: Layer, x: np.ndarray, r: np.ndarray, training: bool) -> float:
    """L = Σ forward(x) ⊙ r, in float64."""
    return float(np.sum(layer.forward(x, training) * r))


def _numeric_grad(
    layer: Layer, x: np.ndarray, target: np.ndarray, indices: np.ndarray, r: np.ndarray, eps: float, training: bool
) -> np.ndarray:
    """Central differences of L with respect to ``target`` (x or a parameter, perturbed in place) at flat ``indices``."""
    flat = target.reshape(-1)  # a view: perturbing it perturbs the array the layer reads
    grads = np.empty(len(indices))
    for out_index, i in enumerate(indices):
        original = flat[i]
        flat[i] = original + eps
        loss_plus = _loss(layer, x, r, training)
        flat[i] = original - eps
        loss_minus = _loss(layer, x, r, training)
        flat[i] = original
        grads[out_index] = (loss_plus - loss_minus) / (2 * eps)
    return grads


def _pick(size: int, max_checks: int | None, rng: np.random.Generator) -> np.ndarray:
    """Flat indices to check: all of them, or ``max_checks`` chosen at random."""
    if max_checks is None or size <= max_checks:
        return np.arange(size)
    return np.sort(rng.choice(size, size=max_checks, replace=False))


def _relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max |analytic - numeric| / max(|analytic|, |numeric|), 0 when both are all zero."""
    scale = max(float(np.abs(numeric).max(initial=0.0)), float(np.abs(analytic).max(initial=0.0)))
    diff = float(np.abs(analytic - numeric).max(initial=0.0))
    return 0.0 if scale == 0.0 else diff / scale


def gradcheck(
    layer: Layer,
    x: np.ndarray,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-9,
    seed: int = 0,
    training: bool = True,
    max_checks: int | None = None,
) -> GradcheckResult:
    """Check dL/dx (same shape as x, (N, ...)) and every dL/dparam against central differences.

    ``training`` is passed to ``forward`` (use False, or a fixed mask, for Dropout);
    ``max_checks`` limits the entries compared per array (chosen at random with ``seed``).
    Returns a ``GradcheckResult``; raises AssertionError naming the layer, the array, its
    relative error and the worst entry when an error exceeds ``rtol`` (and the absolute
    difference exceeds ``atol``).
    """
    # Salted, so that r is not the very stream a caller drew x from with the same seed
    # (r = x would make some losses, e.g. BatchNorm's, almost flat: a meaningless check).
    rng = np.random.default_rng([seed, _SALT])
    checked = copy.deepcopy(layer)
    x64 = np.array(x, dtype=np.float64)  # a copy, perturbed in place below
    if not checked.built:
        checked.build(x64.shape[1:], rng=np.random.default_rng(seed))
    checked.params = {key: np.array(value, dtype=np.float64) for key, value in checked.params.items()}
    checked.buffers = {key: np.array(value, dtype=np.float64) for key, value in checked.buffers.items()}
    checked.grads = {key: np.zeros_like(value) for key, value in checked.params.items()}
    checked.needs_input_grad = True
    who = checked.describe()

    y = checked.forward(x64, training)
    if y.dtype != np.float64:
        raise AssertionError(
            f"gradcheck of {who}: forward returned {y.dtype} for float64 input and parameters; "
            "it must compute in the dtype it is given (central differences need float64)"
        )
    r = rng.standard_normal(y.shape)
    if not np.array_equal(checked.forward(x64, training), y):
        raise AssertionError(
            f"gradcheck of {who}: two forward passes on the same input differ (training={training}); "
            "the layer is random, so pass training=False or fix its randomness (e.g. a fixed mask)"
        )

    checked.forward(x64, training)  # the cache the backward pass reads
    dx = checked.backward(r)
    if dx is None:
        raise AssertionError(f"gradcheck of {who}: backward returned None although needs_input_grad is True")
    analytic = {"x": np.asarray(dx)}
    analytic.update({key: np.array(checked.grads[key]) for key in checked.params})
    targets = {"x": x64, **checked.params}

    result = GradcheckResult(rtol=rtol)
    failures = []
    for key, target in targets.items():
        if analytic[key].shape != target.shape:
            failures.append(f"d{key} has shape {analytic[key].shape}, expected {target.shape}")
            continue
        indices = _pick(target.size, max_checks, rng)
        numeric = _numeric_grad(checked, x64, target, indices, r, eps, training)
        computed = analytic[key].reshape(-1)[indices]
        error = _relative_error(computed, numeric)
        result.errors[key], result.checked[key] = error, len(indices)
        worst = int(np.argmax(np.abs(computed - numeric))) if len(indices) else 0
        if error > rtol and abs(computed[worst] - numeric[worst]) > atol:
            where = np.unravel_index(indices[worst], target.shape)
            failures.append(
                f"d{key}: relative error {error:.3g} > {rtol:g}; worst at index {tuple(map(int, where))}: "
                f"backward gave {computed[worst]:.6g}, central difference {numeric[worst]:.6g}"
            )
    if failures:
        raise AssertionError(f"gradcheck of {who} failed:\n  " + "\n  ".join(failures))
    return result
