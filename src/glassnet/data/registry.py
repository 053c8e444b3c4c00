"""Every dataset by name, with a one-line description: ``load('mnist')``, ``DATASETS['colors']``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from . import boston, cifar10, mnist, synthetic
from .dataset import Dataset


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, before loading it: for listings and for choosing a model."""

    name: str
    description: str
    class_names: tuple[str, ...]
    input_shape: tuple[int, ...]
    needs_files: bool
    """True when the data comes from files (local or downloaded); False when generated."""
    loader: Callable[..., Dataset]
    task: str = "classification"

    def load(self, **kwargs: Any) -> Dataset:
        """Call this dataset's loader with ``kwargs``."""
        return self.loader(**kwargs)


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("mnist", "MNIST handwritten digits, 60,000 train / 10,000 test, 28x28 gray",
                    mnist.MNIST.class_names, (1, 28, 28), True, mnist.load_mnist),
        DatasetInfo("fashion_mnist", "Fashion-MNIST clothing (Zalando), 60,000 train / 10,000 test, 28x28 gray",
                    mnist.FASHION_MNIST.class_names, (1, 28, 28), True, mnist.load_fashion_mnist),
        DatasetInfo("cifar10", "CIFAR-10 objects (binary version), 50,000 train / 10,000 test, 32x32 RGB",
                    cifar10.CLASS_NAMES, (3, 32, 32), True, cifar10.load_cifar10),
        DatasetInfo("boston", "Boston housing prices, 13 features, 404 train / 102 test (Keras's split)",
                    (), (13,), True, boston.load_boston, task="regression"),
        DatasetInfo("colors", "synthetic: 6 colours of random shapes, 28x28 RGB on black, 5,000 / 1,000",
                    tuple(synthetic.COLORS), (3, 28, 28), False, synthetic.load_colors),
        DatasetInfo("shapes", "synthetic: 5 geometric shapes at any size, place and angle, 28x28 white on black",
                    synthetic.SHAPES, (1, 28, 28), False, synthetic.load_shapes),
        DatasetInfo("shape_colors", "synthetic: 3 shapes x 3 colours = 9 classes, 28x28 RGB on black",
                    synthetic.SHAPE_COLOR_NAMES, (3, 28, 28), False, synthetic.load_shape_colors),
    )
}


def _squash(name: str) -> str:
    return name.strip().lower().replace("-", "").replace("_", "")


def dataset_key(name: str) -> str:
    """The key in DATASETS of a name written any usual way: 'Fashion-MNIST', 'cifar-10' -> 'fashion_mnist', 'cifar10'."""
    for key in DATASETS:
        if _squash(key) == _squash(name):
            return key
    raise ValueError(f"unknown dataset {name!r}; expected one of: {', '.join(DATASETS)}")


def load(name: str, **kwargs: Any) -> Dataset:
    """Load dataset ``name`` (a key of DATASETS; case, '-' and '_' are ignored) with its loader's keyword arguments."""
    return DATASETS[dataset_key(name)].load(**kwargs)
