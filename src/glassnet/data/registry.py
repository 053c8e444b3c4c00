"""Every dataset by name, with a one-line description: ``load('mnist')``, ``DATASETS['colors']``.

The descriptions are texts a person reads, so they live in the catalogues (``dataset:NAME`` in
``glassnet/i18n/en.py`` and ``zh.py``) and come in the language in use.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from . import boston, cifar10, mnist, synthetic
from ..i18n import tr
from .dataset import Dataset


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, before loading it: for listings and for choosing a model."""

    name: str
    class_names: tuple[str, ...]
    input_shape: tuple[int, ...]
    needs_files: bool
    """True when the data comes from files (local or downloaded); False when generated."""
    loader: Callable[..., Dataset]
    task: str = "classification"

    @property
    def description(self) -> str:
        """One line on what the dataset is, in the language in use (catalogue key ``dataset:NAME``)."""
        return tr(f"dataset:{self.name}")

    def load(self, **kwargs: Any) -> Dataset:
        """Call this dataset's loader with ``kwargs``."""
        return self.loader(**kwargs)


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("mnist", mnist.MNIST.class_names, (1, 28, 28), True, mnist.load_mnist),
        DatasetInfo("fashion_mnist", mnist.FASHION_MNIST.class_names, (1, 28, 28), True, mnist.load_fashion_mnist),
        DatasetInfo("cifar10", cifar10.CLASS_NAMES, (3, 32, 32), True, cifar10.load_cifar10),
        DatasetInfo("boston", (), (13,), True, boston.load_boston, task="regression"),
        DatasetInfo("colors", tuple(synthetic.COLORS), (3, 28, 28), False, synthetic.load_colors),
        DatasetInfo("shapes", synthetic.SHAPES, (1, 28, 28), False, synthetic.load_shapes),
        DatasetInfo("shape_colors", synthetic.SHAPE_COLOR_NAMES, (3, 28, 28), False, synthetic.load_shape_colors),
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
