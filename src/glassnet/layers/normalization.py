"""Batch normalization: normalise each feature (or channel) with the statistics of the batch.

Training, for each feature/channel c, over the m values it takes in the batch
(m = N for (N, F) input, m = N·H·W for (N, C, H, W) input):

    μ = mean(x),  σ² = mean((x - μ)²)               (biased batch variance)
    x̂ = (x - μ) / √(σ² + ε),   y = γ x̂ + β

and the running statistics move towards the batch's, as in PyTorch:

    running_mean ← (1 - momentum) · running_mean + momentum · μ
    running_var  ← (1 - momentum) · running_var  + momentum · σ² · m / (m - 1)   (unbiased)

so ``momentum=0.1`` (the default) means "10 % new batch, 90 % history". Keras's
``BatchNormalization(momentum=0.99)`` counts the other way: its 0.99 is our 0.01.
Inference uses the running statistics instead of the batch's.

Backward (training), with g = dL/dy and ĝ = γ g:

    dβ = Σ g,   dγ = Σ g x̂,   dx = (ĝ - mean(ĝ) - x̂ · mean(ĝ x̂)) / √(σ² + ε)
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import initializers
from ..backend import fusable
from .base import Layer, register


@register
class BatchNorm(Layer):
    """Batch normalization over axis 1: (N, F) features, (N, C, L) or (N, C, H, W) channels."""

    allowed_ranks: tuple[int, ...] = (1, 2, 3)
    """Ranks of one sample this class accepts (F,), (C, L), (C, H, W)."""

    def __init__(self, momentum: float = 0.1, eps: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(
                f"{type(self).__name__} momentum must be in [0, 1] (PyTorch's convention: the weight of the "
                f"new batch, default 0.1), got {momentum!r}"
            )
        if float(momentum) > 0.5:
            warnings.warn(
                f"{type(self).__name__}(momentum={momentum}): glassnet follows PyTorch, where momentum is the weight "
                f"of the NEW batch (default 0.1), so the running statistics will mostly follow the last batch. "
                f"Keras counts the other way (momentum is the weight of the history, default 0.99): Keras's "
                f"momentum={momentum} is glassnet's momentum={1 - float(momentum):.3g}", stacklevel=2)
        if not float(eps) > 0.0:
            raise ValueError(f"{type(self).__name__} eps must be > 0, got {eps!r}")
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.x: np.ndarray | None = None  # the training caches: x and μ (fused path) or x̂ (NumPy path)
        self.mean: np.ndarray | None = None
        self.x_hat: np.ndarray | None = None

    # -- building -----------------------------------------------------------------
    def check_sample_shape(self, input_shape):
        if len(input_shape) not in self.allowed_ranks:
            raise ValueError(
                f"{self.describe()} got a sample of shape {input_shape} (rank {len(input_shape)}); "
                f"expected rank {' or '.join(map(str, self.allowed_ranks))}: "
                "(features,) after Dense, (C, H, W) after Conv2D"
            )

    def param_shapes(self, input_shape):
        return {"gamma": (input_shape[0],), "beta": (input_shape[0],)}

    def buffer_shapes(self, input_shape):
        return {"running_mean": (input_shape[0],), "running_var": (input_shape[0],)}

    def create_params(self, input_shape, rng):
        channels = input_shape[0]
        self.params["gamma"] = initializers.ones((channels,))
        self.params["beta"] = initializers.zeros((channels,))
        self.buffers["running_mean"] = initializers.zeros((channels,))
        self.buffers["running_var"] = initializers.ones((channels,))

    # -- helpers ----------------------------------------------------------------------
    @staticmethod
    def _axes(x: np.ndarray) -> tuple[int, ...]:
        """Axes the statistics are taken over: every axis but the channel axis 1."""
        return (0, *range(2, x.ndim))

    def _batch_count(self, x: np.ndarray) -> int:
        """m: values per channel in the whole batch (all threads' slices together when the batch is split)."""
        per_sample = x.size // max(x.shape[0] * x.shape[1], 1)
        samples = x.shape[0] if self.sync is None else self.sync.n_samples
        return samples * per_sample

    @staticmethod
    def _per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
        """(C,) -> (1, C, 1, ...) so it broadcasts against an input of rank ``ndim``."""
        return v.reshape((1, -1) + (1,) * (ndim - 2))

    # -- the two passes -----------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """(N, C, ...) -> (N, C, ...): y = γ (x - μ) / √(σ² + ε) + β per channel."""
        self.ensure_built(x)
        axes = self._axes(x)
        gamma = self._per_channel(self.params["gamma"], x.ndim)
        beta = self._per_channel(self.params["beta"], x.ndim)
        if training:
            m = self._batch_count(x)
            if m < 2:
                raise ValueError(
                    f"{self.describe()} got input of shape {x.shape}: training needs more than one value per "
                    "channel to compute a batch variance (use a batch of at least 2 samples)"
                )
            if fusable(x, self.params["gamma"]):
                return self._fused_training_forward(x, m)
            if self.sync is None:
                mean = x.mean(axis=axes, keepdims=True)
                centered = x - mean
                var = np.mean(centered * centered, axis=axes, keepdims=True)
            else:  # this thread holds a slice of the batch: add the slices' sums
                mean = self.sync.allsum(x.sum(axis=axes, keepdims=True)) / x.dtype.type(m)
                centered = x - mean
                var = self.sync.allsum((centered * centered).sum(axis=axes, keepdims=True)) / x.dtype.type(m)
            inv_std = 1 / np.sqrt(var + x.dtype.type(self.eps))
            x_hat = centered
            x_hat *= inv_std
            if self.sync is None or self.sync.index == 0:
                self._update_running_stats(mean.reshape(-1), var.reshape(-1), m)
        else:
            mean = self._per_channel(self.buffers["running_mean"], x.ndim)
            var = self._per_channel(self.buffers["running_var"], x.ndim)
            inv_std = (1 / np.sqrt(var + var.dtype.type(self.eps))).astype(x.dtype, copy=False)
            x_hat = (x - mean.astype(x.dtype, copy=False)) * inv_std
        self.training, self.fused, self.x_hat, self.inv_std = training, False, x_hat, inv_std
        self.x = self.mean = None
        return x_hat * gamma + beta

    def _fused_training_forward(self, x: np.ndarray, m: int) -> np.ndarray:
        """The training forward above with numba kernels: one pass for Σx and Σx², one for x̂ and y."""
        from ..ops.fused_kernels import batchnorm_normalize, channel_sums

        N, C = x.shape[:2]
        x3 = x.reshape(N, C, -1)
        sums = np.zeros((2, C))
        channel_sums(x3, sums)
        if self.sync is not None:
            sums = self.sync.allsum(sums)
        mean = sums[0] / m
        var = np.maximum(sums[1] / m - mean * mean, 0.0)  # E[x²] - μ², in float64
        inv_std = (1 / np.sqrt(var + self.eps)).astype(x.dtype)
        y = np.empty_like(x)
        batchnorm_normalize(x3, mean.astype(x.dtype), inv_std, self.params["gamma"], self.params["beta"],
                            y.reshape(N, C, -1))
        if self.sync is None or self.sync.index == 0:
            self._update_running_stats(mean, var, m)
        # x̂ is recomputed in backward from x, μ and 1/√(σ² + ε): one array less to write and read.
        self.training, self.fused, self.x, self.mean, self.inv_std = True, True, x, mean.astype(x.dtype), inv_std
        self.x_hat = None  # the NumPy path's cache, not kept alive beside x
        return y

    def _update_running_stats(self, mean: np.ndarray, var: np.ndarray, m: int) -> None:
        """running ← (1 - momentum) running + momentum · batch (unbiased variance), in place."""
        keep, new = 1.0 - self.momentum, self.momentum
        running_mean, running_var = self.buffers["running_mean"], self.buffers["running_var"]
        running_mean *= keep
        running_mean += (new * mean).astype(running_mean.dtype, copy=False)
        running_var *= keep
        running_var += (new * m / (m - 1) * var).astype(running_var.dtype, copy=False)

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        """dL/dy (N, C, ...) -> dL/dx (N, C, ...); fills dγ = Σ g x̂ and dβ = Σ g (per channel)."""
        if self.fused:
            assert self.x is not None  # cached by the fused forward pass
            return self._fused_training_backward(np.ascontiguousarray(grad, dtype=self.x.dtype))
        axes = self._axes(grad)
        x_hat = self.x_hat
        assert x_hat is not None  # cached by the NumPy forward pass
        self.grads["beta"] = grad.sum(axis=axes)
        self.grads["gamma"] = (grad * x_hat).sum(axis=axes)
        if not self.needs_input_grad:
            return None
        sum_g, sum_gx = self.grads["beta"], self.grads["gamma"]
        if self.training and self.sync is not None:  # the whole batch's sums; grads keep this slice's part
            C = sum_g.shape[0]
            both = self.sync.allsum(np.concatenate([sum_g, sum_gx]))
            sum_g, sum_gx = both[:C], both[C:]
        gamma = self._per_channel(self.params["gamma"], grad.ndim)
        g_hat = grad * gamma
        if not self.training:
            # Running statistics are constants: y is an affine function of x.
            return g_hat * self.inv_std
        m = self._batch_count(grad)
        mean_g = self._per_channel(sum_g, grad.ndim) * (gamma / grad.dtype.type(m))
        mean_gx = self._per_channel(sum_gx, grad.ndim) * (gamma / grad.dtype.type(m))
        dx = g_hat
        dx -= mean_g
        dx -= x_hat * mean_gx
        dx *= self.inv_std
        return dx

    def _fused_training_backward(self, grad: np.ndarray) -> np.ndarray | None:
        """The training backward above with numba kernels: one pass for Σg and Σg·x̂, one for dL/dx."""
        from ..ops.fused_kernels import batchnorm_input_grad, channel_grad_sums

        N, C = grad.shape[:2]
        assert self.x is not None and self.mean is not None  # cached by the fused forward pass
        g3, x3 = grad.reshape(N, C, -1), self.x.reshape(N, C, -1)
        sums = np.zeros((2, C))
        channel_grad_sums(g3, x3, self.mean, self.inv_std, sums)
        self.grads["beta"], self.grads["gamma"] = sums.astype(grad.dtype)
        if not self.needs_input_grad:
            return None
        if self.sync is not None:  # the whole batch's sums; grads keep this slice's part
            sums = self.sync.allsum(sums)
        gamma = self.params["gamma"]
        m = self._batch_count(grad)
        mean_g = (gamma * sums[0] / m).astype(grad.dtype)
        mean_gx = (gamma * sums[1] / m).astype(grad.dtype)
        dx = np.empty_like(grad)
        batchnorm_input_grad(g3, x3, self.mean, self.inv_std, gamma, mean_g, mean_gx, dx.reshape(N, C, -1))
        return dx

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "eps": self.eps}


@register
class BatchNorm1D(BatchNorm):
    """BatchNorm for (N, F) features or (N, C, L) sequences, like torch.nn.BatchNorm1d."""

    allowed_ranks = (1, 2)


@register
class BatchNorm2D(BatchNorm):
    """BatchNorm per channel for (N, C, H, W) images, like torch.nn.BatchNorm2d."""

    allowed_ranks = (3,)
