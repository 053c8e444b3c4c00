"""Data augmentation on whole batches (N, C, H, W): random crop with padding, flips, shifts, rotations.

Each transform is a pure function of the batch and of per-sample parameters (offsets,
flip mask, angles), done with one fancy-indexing gather for the whole batch. ``Augment``
draws those parameters from its own seeded generator, so a run is reproducible.
"""
from __future__ import annotations

import numpy as np

from ..backend import DTYPE, make_rng
from .registry import dataset_key


def _check_batch(x: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{what} expects a batch of images (N, C, H, W), got shape {x.shape}")
    return x


def crop_padded(x: np.ndarray, padding: int, top: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Zero-pad (N, C, H, W) by ``padding`` on each side, then cut an H x W window at (top[n], left[n]) per sample."""
    x = _check_batch(x, "crop_padded")
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rows = np.asarray(top)[:, None] + np.arange(h)  # (N, H)
    cols = np.asarray(left)[:, None] + np.arange(w)  # (N, W)
    # Advanced indices on axes 0, 2, 3 broadcast to (N, H, W); the sliced C axis goes last.
    out = xp[np.arange(n)[:, None, None], :, rows[:, :, None], cols[:, None, :]]
    return out.transpose(0, 3, 1, 2)


def translate(x: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Shift each image (N, C, H, W) down by dy[n] and right by dx[n] whole pixels, filling with zeros."""
    dy, dx = np.asarray(dy, dtype=np.int64), np.asarray(dx, dtype=np.int64)
    p = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    return crop_padded(x, p, p - dy, p - dx)


def random_crop(x: np.ndarray, padding: int, rng: np.random.Generator) -> np.ndarray:
    """Pad (N, C, H, W) by ``padding`` and take a random H x W crop per sample (CIFAR's classic augmentation)."""
    n = int(_check_batch(x, "random_crop").shape[0])
    return crop_padded(x, padding, rng.integers(0, 2 * padding + 1, n), rng.integers(0, 2 * padding + 1, n))


def flip_horizontal(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mirror left-right the images (N, C, H, W) where ``mask`` (N,) is True."""
    x = _check_batch(x, "flip_horizontal")
    return np.where(np.asarray(mask, dtype=bool)[:, None, None, None], x[..., ::-1], x)


def rotate(x: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """Rotate each image (N, C, H, W) by degrees[n] counter-clockwise about its centre; bilinear, zero outside."""
    x = _check_batch(x, "rotate").astype(DTYPE, copy=False)
    n, c, h, w = x.shape
    theta = np.deg2rad(np.asarray(degrees, dtype=DTYPE))[:, None, None]
    cos, sin = np.cos(theta), np.sin(theta)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    yy = np.arange(h, dtype=DTYPE)[None, :, None] - cy
    xx = np.arange(w, dtype=DTYPE)[None, None, :] - cx
    # Output pixel (y, x) samples the input at the point that the rotation carries onto it
    # (image rows grow downwards, so a counter-clockwise turn uses -sin in x and +sin in y).
    sx = cos * xx - sin * yy + cx
    sy = sin * xx + cos * yy + cy
    x0, y0 = np.floor(sx), np.floor(sy)
    wx, wy = (sx - x0)[:, None], (sy - y0)[:, None]
    # Pad by one zero pixel and clip, so that every neighbour outside the image reads a zero.
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ix0 = np.clip(x0.astype(np.int64) + 1, 0, w + 1)
    ix1 = np.clip(x0.astype(np.int64) + 2, 0, w + 1)
    iy0 = np.clip(y0.astype(np.int64) + 1, 0, h + 1)
    iy1 = np.clip(y0.astype(np.int64) + 2, 0, h + 1)
    nn = np.arange(n)[:, None, None]

    def at(iy: np.ndarray, ix: np.ndarray) -> np.ndarray:
        return xp[nn, :, iy, ix].transpose(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)

    top = at(iy0, ix0) * (1 - wx) + at(iy0, ix1) * wx
    bottom = at(iy1, ix0) * (1 - wx) + at(iy1, ix1) * wx
    return (top * (1 - wy) + bottom * wy).astype(DTYPE, copy=False)


class Augment:
    """Random per-batch augmentation of images (N, C, H, W); every part is off by default.

    ``crop_padding``: pad by this many pixels and crop back at a random offset;
    ``flip``: mirror half the images left-right; ``shift``: move by up to this many
    whole pixels in each direction; ``rotate``: turn by up to this many degrees either
    way. ``seed`` makes the sequence of batches reproducible.
    """

    def __init__(self, crop_padding: int = 0, flip: bool = False, shift: int = 0, rotate: float = 0.0,
                 seed: int | np.random.Generator | None = None):
        for name, value in (("crop_padding", crop_padding), ("shift", shift), ("rotate", rotate)):
            if value < 0:
                raise ValueError(f"Augment: {name} must be >= 0, got {value}")
        self.crop_padding, self.flip, self.shift, self.rotate = int(crop_padding), bool(flip), int(shift), float(rotate)
        self.seed = seed if not isinstance(seed, np.random.Generator) else None
        self.rng = make_rng(seed)

    @property
    def active(self) -> bool:
        """True when at least one transform is switched on."""
        return bool(self.crop_padding or self.flip or self.shift or self.rotate)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Augmented float32 copy of a batch (N, C, H, W); the input is never modified."""
        x = _check_batch(x, "Augment").astype(DTYPE)
        n = int(x.shape[0])
        if self.crop_padding:
            x = random_crop(x, self.crop_padding, self.rng)
        if self.flip:
            x = flip_horizontal(x, self.rng.random(n) < 0.5)
        if self.shift:
            s = self.shift
            x = translate(x, self.rng.integers(-s, s + 1, n), self.rng.integers(-s, s + 1, n))
        if self.rotate:
            x = rotate(x, self.rng.uniform(-self.rotate, self.rotate, n))
        return x

    def __repr__(self) -> str:
        return (f"Augment(crop_padding={self.crop_padding}, flip={self.flip}, shift={self.shift}, "
                f"rotate={self.rotate}, seed={self.seed})")


def default_augmentation(dataset: str, input_shape: tuple[int, ...], seed: int | None = None) -> Augment:
    """The usual augmentation for images (C, H, W): crop with padding H // 8, flips where mirroring keeps the class."""
    if len(input_shape) != 3:
        raise ValueError(f"augmentation needs images (C, H, W); dataset {dataset!r} has samples of shape "
                         f"{tuple(input_shape)}")
    try:
        key = dataset_key(dataset)
    except ValueError:  # not one of glassnet's datasets: nothing says mirroring changes its classes
        key = dataset
    # Digits change meaning when mirrored; clothes, objects and the synthetic shapes do not.
    flip = key != "mnist"
    return Augment(crop_padding=max(1, int(input_shape[1]) // 8), flip=flip, seed=seed)
