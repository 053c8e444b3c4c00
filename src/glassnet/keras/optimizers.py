"""Keras's optimizers, argument names, defaults and update rules, as glassnet optimizers (glassnet.keras.optimizers).

Each class is the glassnet optimizer of the same name taking Keras's arguments, with Keras's
defaults (``epsilon=1e-7``, ``rho=0.9``, AdamW's ``weight_decay=0.004``), and where Keras's
arithmetic differs from PyTorch's (which glassnet's own classes follow), Keras's:

* RMSprop divides by √(s + ε), Keras's form, where PyTorch divides by √s + ε;
* Adam adds ε to √v before v's bias correction: θ ← θ - η √(1-β₂ᵗ)/(1-β₁ᵗ) · m / (√v + ε),
  which is glassnet's rule with ε replaced by ε / √(1-β₂ᵗ) (so Adam keeps glassnet's kernel);
* ``weight_decay=`` is decoupled in every Keras optimizer: θ ← θ - η λ θ before the update.

SGD with momentum is the same in both conventions at a constant rate (Keras keeps -η v where
PyTorch keeps v). ``get_config`` gives glassnet's names (alpha, eps, betas), so a saved model
loads with glassnet's class of the same name: after loading it trains on with PyTorch's ε.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import optimizers as go

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "get"]

Optimizer = go.Optimizer

_NOT_IMPLEMENTED = ("clipnorm", "clipvalue", "global_clipnorm", "use_ema", "loss_scale_factor",
                    "gradient_accumulation_steps")
_IGNORED = ("name", "ema_momentum", "ema_overwrite_frequency")


def _refuse(cls_name: str, options: dict[str, Any]) -> None:
    """Keras's other options: TypeError for a name Keras does not have, ValueError for one glassnet does not implement."""
    unknown = sorted(set(options) - set(_NOT_IMPLEMENTED) - set(_IGNORED))
    if unknown:
        raise TypeError(f"{cls_name}() got unexpected keyword argument(s) {unknown}")
    used = sorted(k for k in _NOT_IMPLEMENTED if options.get(k))
    if used:
        raise ValueError(f"{cls_name}: glassnet does not implement {used}")


class _KerasDecay:
    """Keras's decoupled weight decay, θ ← θ(1 - ηλ), applied before each update (``keras_weight_decay``)."""

    keras_weight_decay = 0.0

    def _decay(self, param: np.ndarray) -> None:
        if self.keras_weight_decay:
            param *= param.dtype.type(1 - self.lr * self.keras_weight_decay)  # type: ignore[attr-defined]


class SGD(_KerasDecay, go.SGD):
    """Keras's ``SGD(learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None)``."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float | None = None, **options: Any):
        _refuse("SGD", options)
        super().__init__(learning_rate, momentum=momentum, nesterov=nesterov)
        self.keras_weight_decay = float(weight_decay or 0.0)

    def _update(self, key, param, grad, state, t):
        self._decay(param)
        super()._update(key, param, grad, state, t)


class RMSprop(_KerasDecay, go.RMSprop):
    """Keras's ``RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07, centered=False)``.

    s ← ρ s + (1 - ρ) g²;  (centered: a ← ρ a + (1 - ρ) g, s - a² in place of s)
    Δ = η g / √(s + ε);  b ← μ b + Δ, θ ← θ - b  (μ > 0)  or  θ ← θ - Δ
    """

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, weight_decay: float | None = None, **options: Any):
        _refuse("RMSprop", options)
        super().__init__(learning_rate, alpha=rho, eps=epsilon, momentum=momentum, centered=centered)
        self.keras_weight_decay = float(weight_decay or 0.0)

    @property
    def rho(self) -> float:
        return self.alpha

    @property
    def epsilon(self) -> float:
        return self.eps

    def _update(self, key, param, grad, state, t):
        self._decay(param)
        s = self._buffer(state, "square_avg", param)
        r = self._tmp(key, param)
        s *= self.alpha
        np.multiply(grad, grad, out=r, casting="same_kind")
        r *= 1 - self.alpha
        s += r
        if self.centered:
            a = self._buffer(state, "grad_avg", param)
            a *= self.alpha
            np.multiply(grad, 1 - self.alpha, out=r, casting="same_kind")
            a += r
            np.multiply(a, a, out=r)
            np.subtract(s, r, out=r)
        else:
            np.copyto(r, s)
        r += self.eps
        np.sqrt(r, out=r)
        np.divide(grad, r, out=r, casting="same_kind")
        r *= self.lr  # r is now the increment Δ
        if self.momentum:
            b = self._buffer(state, "momentum", param)
            b *= self.momentum
            b += r
            param -= b
        else:
            param -= r


class Adam(_KerasDecay, go.Adam):
    """Keras's ``Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False)``."""

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, weight_decay: float | None = None, **options: Any):
        _refuse(type(self).__name__, options)
        super().__init__(learning_rate, betas=(beta_1, beta_2), eps=epsilon, amsgrad=amsgrad)
        self.epsilon = float(epsilon)
        self.keras_weight_decay = float(weight_decay or 0.0)

    beta_1 = property(lambda self: self.betas[0])
    beta_2 = property(lambda self: self.betas[1])

    def _update(self, key, param, grad, state, t):
        self._decay(param)
        # Keras's ε sits beside √v, before v's bias correction: glassnet's rule with ε/√(1-β₂ᵗ).
        self.eps = self.epsilon / math.sqrt(1 - self.betas[1] ** t)
        self._adam(key, param, grad, state, t, 0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "eps": self.epsilon}


class AdamW(Adam):
    """Keras's ``AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-07)``.

    Saved, it loads as glassnet's AdamW (PyTorch's rule: ε after the bias correction).
    """

    def __init__(self, learning_rate: float = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, **options: Any):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, **options)
        self.weight_decay = self.keras_weight_decay  # glassnet's AdamW decays the same way: its config says so


_BY_NAME: dict[str, type[go.Optimizer]] = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}


def get(identifier: Any) -> go.Optimizer:
    """Keras's optimizer for a name ('rmsprop', 'adam', 'sgd', 'adamw'), with Keras's defaults; an optimizer as it is."""
    if isinstance(identifier, go.Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.strip().lower() in _BY_NAME:
        return _BY_NAME[identifier.strip().lower()]()
    raise ValueError(f"unknown optimizer {identifier!r}; expected one of {sorted(_BY_NAME)} or an optimizer object")
