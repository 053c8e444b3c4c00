"""The one container every loader returns: train / test arrays plus what describes them."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .transforms import head_split, train_val_split


@dataclass(frozen=True, repr=False, eq=False)
class Dataset:
    """Train and test arrays of one dataset, with class names and the per-sample input shape.

    Images are (N, C, H, W), float32 in [0, 1] unless loaded with ``raw=True`` (uint8);
    labels are int64 (N,) class indices (float32 (N,) targets for regression).
    ``x_valid`` / ``y_valid`` are filled by ``hold_out`` or ``split``.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...] = ()
    input_shape: tuple[int, ...] = ()
    x_valid: np.ndarray | None = None
    y_valid: np.ndarray | None = None
    feature_names: tuple[str, ...] = field(default=())

    @property
    def num_classes(self) -> int:
        """Number of classes (0 for a regression dataset)."""
        return len(self.class_names)

    @property
    def train(self) -> tuple[np.ndarray, np.ndarray]:
        """(x_train, y_train), as Keras's ``load_data`` returns it."""
        return self.x_train, self.y_train

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        """(x_test, y_test)."""
        return self.x_test, self.y_test

    @property
    def valid(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(x_valid, y_valid), or None before ``hold_out`` / ``split``."""
        return None if self.x_valid is None or self.y_valid is None else (self.x_valid, self.y_valid)

    def hold_out(self, n_valid: int = 10000) -> "Dataset":
        """A copy whose first ``n_valid`` training samples validate (the Keras lesson's 50,000 / 10,000)."""
        x_train, y_train, x_valid, y_valid = head_split(self.x_train, self.y_train, n_valid)
        assert y_train is not None and y_valid is not None  # split from self.y_train
        return replace(self, x_train=x_train, y_train=y_train, x_valid=x_valid, y_valid=y_valid)

    def split(self, val_fraction: float = 0.2, *, seed: int | None = 0, stratify: bool = False) -> "Dataset":
        """A copy with a random ``val_fraction`` of the training set held out for validation (optionally stratified)."""
        x_train, y_train, x_valid, y_valid = train_val_split(
            self.x_train, self.y_train, val_fraction, seed=seed, stratify=stratify
        )
        assert y_train is not None and y_valid is not None  # split from self.y_train
        return replace(self, x_train=x_train, y_train=y_train, x_valid=x_valid, y_valid=y_valid)

    def __repr__(self) -> str:
        def part(x, y):
            return f"x{tuple(x.shape)} {x.dtype}, y{tuple(y.shape)} {y.dtype}"

        lines = [f"Dataset({self.name!r}: input_shape={self.input_shape}, {self.num_classes} classes",
                 f"  train: {part(self.x_train, self.y_train)}"]
        if self.x_valid is not None:
            lines.append(f"  valid: {part(self.x_valid, self.y_valid)}")
        lines.append(f"  test:  {part(self.x_test, self.y_test)})")
        return "\n".join(lines)
