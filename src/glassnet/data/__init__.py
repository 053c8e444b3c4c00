"""Datasets and the data pipeline: loaders that verify what they read, batching, splits, augmentation.

Loaders return a ``Dataset`` (x_train, y_train, x_test, y_test, class_names,
input_shape); images are float32 (N, C, H, W) in [0, 1] unless ``raw=True``.
Real files are looked for in ``$GLASSNET_DATA_DIR/<name>/``, then in the cache
``$GLASSNET_CACHE_DIR`` (default ``~/.cache/glassnet``), then system folders, and
are otherwise downloaded into the cache (see ``glassnet.data.paths``).
"""
from .augment import Augment, crop_padded, default_augmentation, flip_horizontal, random_crop, rotate, translate
from .boston import load_boston
from .cifar10 import load_cifar10, read_cifar10_binary
from .dataset import Dataset
from .download import download, sha256_file
from .errors import ChecksumError, DatasetError, DatasetNotFoundError, DownloadError
from .idx import parse_idx, read_idx, write_idx
from .loader import DataLoader
from .mnist import load_fashion_mnist, load_mnist
from .paths import CACHE_DIR_ENV, DATA_DIR_ENV, OFFLINE_ENV
from .registry import DATASETS, DatasetInfo, dataset_key, load
from .synthetic import load_colors, load_shape_colors, load_shapes, make_colors, make_shape_colors, make_shapes
from .transforms import (
    channel_mean_std,
    from_one_hot,
    head_split,
    one_hot,
    standardize,
    tail_split,
    to_grayscale,
    to_unit_range,
    train_val_split,
)

__all__ = [
    "Augment", "crop_padded", "default_augmentation", "flip_horizontal", "random_crop", "rotate", "translate",
    "load_boston", "load_cifar10", "read_cifar10_binary", "Dataset", "download", "sha256_file",
    "ChecksumError", "DatasetError", "DatasetNotFoundError", "DownloadError",
    "parse_idx", "read_idx", "write_idx", "DataLoader", "load_fashion_mnist", "load_mnist",
    "CACHE_DIR_ENV", "DATA_DIR_ENV", "OFFLINE_ENV", "DATASETS", "DatasetInfo", "dataset_key", "load",
    "load_colors", "load_shape_colors", "load_shapes", "make_colors", "make_shape_colors", "make_shapes",
    "channel_mean_std", "from_one_hot", "head_split", "one_hot", "standardize", "tail_split", "to_grayscale",
    "to_unit_range", "train_val_split",
]
