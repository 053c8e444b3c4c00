"""Every generator of a model derived from one integer, ``model.seed``: no hidden state across epochs.

Layer ``i`` is initialised from ``default_rng([seed, 0, i])``; the shuffle of the e-th
epoch this model ever trained is ``default_rng([seed, 1, e])``; a layer with its own
generator (Dropout) gets ``default_rng([seed, 2, e, i])`` at the start of that epoch, and a
DataLoader passed as x (and its Augment) ``default_rng([seed, 3, e, ...])``. So a model
saved after epoch 2 and loaded again continues exactly as an uninterrupted run
(``model.epochs_trained``, the ``e`` above, is saved with it).
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["INIT_STREAM", "SHUFFLE_STREAM", "LAYER_STREAM", "LOADER_STREAM", "init_rng", "shuffle_order",
           "seed_layer_generators", "seed_loader_generators"]

INIT_STREAM, SHUFFLE_STREAM, LAYER_STREAM, LOADER_STREAM = 0, 1, 2, 3
"""Sub-streams of the model's seed: weight init, per-epoch shuffling, layer and DataLoader generators."""


def init_rng(seed: int, index: int) -> np.random.Generator:
    """The generator that initialises layer ``index`` of a model with this seed."""
    return np.random.default_rng([seed, INIT_STREAM, index])


def shuffle_order(model: Any, n: int) -> np.ndarray:
    """The permutation (n,) of the model's next epoch, from (seed, epochs_trained) alone."""
    return np.random.default_rng([model.seed, SHUFFLE_STREAM, model.epochs_trained]).permutation(n)


def _reseed(owner: Any, key: list[int]) -> None:
    """Give ``owner`` a fresh generator from ``key`` (plus its own seed, if it has one) when it has a generator."""
    if isinstance(getattr(owner, "rng", None), np.random.Generator):
        own = getattr(owner, "seed", None)
        if isinstance(own, (int, np.integer)) and own >= 0:
            key = [*key, int(own)]
        owner.rng = np.random.default_rng(key)


def seed_layer_generators(model: Any) -> None:
    """Give every layer with its own generator (Dropout) a fresh one derived from (seed, epoch, layer)."""
    for index, layer in enumerate(model.layers):
        _reseed(layer, [model.seed, LAYER_STREAM, model.epochs_trained, index])


def seed_loader_generators(model: Any, loader: Any) -> None:
    """Re-seed a DataLoader's (and its Augment's) generator from (model seed, epoch[, own seed]).

    A loader's order then depends on the epoch number alone, not on how many epochs
    it has already served, so a resumed run sees the same batches as an unbroken one.
    """
    for tag, owner in enumerate((loader, getattr(loader, "augment", None))):
        _reseed(owner, [model.seed, LOADER_STREAM, model.epochs_trained, tag])
