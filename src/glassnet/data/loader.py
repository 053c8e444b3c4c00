"""Mini-batches from arrays: shuffled under a seed, optionally augmented, with one gather per batch."""
from __future__ import annotations

from typing import Iterator

import numpy as np

from ..backend import DTYPE, make_rng
from .augment import Augment


class DataLoader:
    """Iterate (xb, yb) mini-batches over arrays x (N, ...) and y (N, ...) or None.

    ``len(loader)`` is the number of batches per epoch; every new iteration draws a new
    order from the loader's own generator (seeded by ``seed``; with None it is seeded
    from glassnet's global generator, so ``glassnet.seed(...)`` makes it reproducible).
    ``xb`` is float32; ``yb`` keeps y's dtype (int64 labels, float32 one-hot or targets)
    and is None without y. A batch_size larger than N gives one batch of all N samples.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray | None = None,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: int | np.random.Generator | None = None,
        drop_last: bool = False,
        augment: Augment | None = None,
    ):
        x = np.asarray(x)
        if x.ndim == 0:
            raise ValueError("DataLoader: x must be an array of samples (N, ...), got a scalar")
        if y is not None:
            y = np.asarray(y)
            if y.ndim == 0 or len(y) != len(x):
                raise ValueError(
                    f"DataLoader: x has {len(x)} samples but y has {y.shape[0] if y.ndim else 'no'} "
                    f"(shapes {x.shape} and {y.shape}); expected the same first dimension"
                )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if len(x) == 0:
            raise ValueError(f"DataLoader: x has no samples (shape {x.shape})")
        if augment is not None:
            if not callable(augment):
                raise ValueError(f"DataLoader: augment must be an Augment (or a callable on batches), got {augment!r}")
            if x.ndim != 4:
                raise ValueError(f"DataLoader: augment needs images (N, C, H, W), got x of shape {x.shape}")
        self.x, self.y = x, y
        self.batch_size = int(batch_size)
        self.shuffle, self.drop_last, self.augment = bool(shuffle), bool(drop_last), augment
        self.seed = seed if not isinstance(seed, np.random.Generator) else None
        self.rng = make_rng(seed)

    @property
    def num_samples(self) -> int:
        """N, the number of samples (not batches)."""
        return len(self.x)

    @property
    def _step(self) -> int:
        return min(self.batch_size, self.num_samples)

    def __len__(self) -> int:
        """Number of batches per epoch: N // batch_size with drop_last, else ceil(N / batch_size)."""
        n, b = self.num_samples, self._step
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Yield (xb (B, ...) float32, yb (B, ...) or None) for one epoch."""
        n, step = self.num_samples, self._step
        order = self.rng.permutation(n) if self.shuffle else None
        for start in range(0, len(self) * step, step):
            stop = min(start + step, n)
            # One vectorised gather per batch (a cheap slice when not shuffling).
            index = slice(start, stop) if order is None else order[start:stop]
            xb = self.x[index].astype(DTYPE, copy=False)
            yb = None if self.y is None else self.y[index]
            if self.augment is not None:
                xb = self.augment(xb)
            yield xb, yb

    def __repr__(self) -> str:
        return (f"DataLoader(num_samples={self.num_samples}, batch_size={self.batch_size}, batches={len(self)}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, augment={self.augment!r})")
