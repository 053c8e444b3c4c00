"""numba kernels that do several element-wise steps in one pass over memory.

NumPy runs one operation at a time, each reading and writing whole arrays (and making
temporaries): ReLU's backward ``grad * (y > 0)`` is two passes and a boolean array, Adam's
update a dozen passes over four arrays. The kernels below compute the same formulas
element by element in a single pass. The readable versions are the NumPy lines they
replace, kept beside each call (``layers/activations.py``, ``optimizers.py``), and the
tests check both give the same numbers.

Arrays are passed as flat C-contiguous views (``ravel()``), so one loop covers any shape.
"""
from __future__ import annotations

import math

from numba import njit

from .jit import JIT



@njit(**JIT)
def relu_forward(x, y):  # pragma: no cover - compiled
    """y = max(0, x) element-wise, NaN kept (as np.maximum and torch.relu do); x, y flat, same length."""
    for i in range(x.size):
        value = x[i]
        y[i] = 0 if value <= 0 else value


@njit(**JIT)
def relu_backward(grad, y, dx):  # pragma: no cover - compiled
    """dx = grad where y > 0, else 0 (y is ReLU's output: y > 0 exactly where x > 0); flat arrays."""
    for i in range(grad.size):
        dx[i] = grad[i] if y[i] > 0 else 0


@njit(**JIT)
def adam_update(param, grad, m, v, v_max, lr_t, one_minus_beta1, beta2, one_minus_beta2, eps, bias2_sqrt,
                weight_decay, amsgrad):  # pragma: no cover - compiled
    """One Adam step in place on flat arrays, the formulas of ``optimizers.Adam``:

    g ← g + λθ;  m ← m + (1 - β₁)(g - m);  v ← β₂ v + (1 - β₂) g²;  v̂ ← max(v̂, v) if amsgrad;
    θ ← θ - lr_t · m / (√v̂ / √(1 - β₂ᵗ) + ε)   with lr_t = η / (1 - β₁ᵗ).

    The constants come in the arrays' precision, so float32 parameters are updated in float32.
    """
    for i in range(param.size):
        g = grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        m[i] += one_minus_beta1 * (g - m[i])
        v[i] = beta2 * v[i] + one_minus_beta2 * (g * g)
        second = v[i]
        if amsgrad:
            if second > v_max[i]:
                v_max[i] = second
            second = v_max[i]
        param[i] -= lr_t * m[i] / (math.sqrt(second) / bias2_sqrt + eps)


# ---------------------------------------------------------------------------------
# Batch normalization (layers/normalization.py): per-channel sums, then one pass each way
# ---------------------------------------------------------------------------------
# Arrays are (N, C, P): P = H·W values per channel of one sample (1 for (N, F) features).
# Sums are taken per plane of P values in the arrays' precision (``reassoc`` lets LLVM use
# vector lanes, as NumPy's sum does) and the planes' sums are added up in float64.
@njit(**JIT, fastmath={"reassoc"})
def channel_sums(x, sums):  # pragma: no cover - compiled
    """x (N, C, P) -> sums (2, C) float64: sums[0, c] = Σ x[:, c, :], sums[1, c] = Σ x[:, c, :]²."""
    N, C, P = x.shape
    for n in range(N):
        for c in range(C):
            s = x[n, c, 0] * 0
            q = x[n, c, 0] * 0
            for p in range(P):
                value = x[n, c, p]
                s += value
                q += value * value
            sums[0, c] += s
            sums[1, c] += q


@njit(**JIT)
def batchnorm_normalize(x, mean, inv_std, gamma, beta, y):  # pragma: no cover - compiled
    """y = γ x̂ + β with x̂ = (x - μ) / √(σ² + ε), x (N, C, P), per-channel (C,) μ, 1/√(σ² + ε), γ, β.

    x̂ is not stored: backward recomputes it from x (one array less to write and read back).
    """
    N, C, P = x.shape
    for n in range(N):
        for c in range(C):
            mu, scale, g, b = mean[c], inv_std[c], gamma[c], beta[c]
            for p in range(P):
                y[n, c, p] = (x[n, c, p] - mu) * scale * g + b


@njit(**JIT, fastmath={"reassoc"})
def channel_grad_sums(grad, x, mean, inv_std, sums):  # pragma: no cover - compiled
    """grad, x (N, C, P) -> sums (2, C) float64: sums[0, c] = Σ g (dβ), sums[1, c] = Σ g x̂ (dγ)."""
    N, C, P = grad.shape
    for n in range(N):
        for c in range(C):
            mu, scale = mean[c], inv_std[c]
            s = grad[n, c, 0] * 0
            q = grad[n, c, 0] * 0
            for p in range(P):
                g = grad[n, c, p]
                s += g
                q += g * ((x[n, c, p] - mu) * scale)
            sums[0, c] += s
            sums[1, c] += q


@njit(**JIT)
def batchnorm_input_grad(grad, x, mean, inv_std, gamma, mean_g, mean_gx, dx):  # pragma: no cover - compiled
    """dx = (γ g - mean(γ g) - x̂ · mean(γ g x̂)) / √(σ² + ε) per channel; mean_g, mean_gx given (C,)."""
    N, C, P = grad.shape
    for n in range(N):
        for c in range(C):
            mu, scale, g_c, a, b = mean[c], inv_std[c], gamma[c], mean_g[c], mean_gx[c]
            for p in range(P):
                x_hat = (x[n, c, p] - mu) * scale
                dx[n, c, p] = (g_c * grad[n, c, p] - a - x_hat * b) * scale
