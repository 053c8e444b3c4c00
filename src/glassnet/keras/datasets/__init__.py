"""Keras's datasets (glassnet.keras.datasets): ``mnist.load_data()`` and the others, read by glassnet's loaders.

Each ``load_data()`` returns ``(x_train, y_train), (x_test, y_test)`` with Keras's shapes,
dtypes and splits, from the files glassnet's loaders find and verify by SHA-256
(``$GLASSNET_DATA_DIR``, the cache, or a download; see ``glassnet.data``):

============== ============================================ ==================================
dataset        x_train, x_test                              y_train, y_test
============== ============================================ ==================================
mnist          uint8 (60000, 28, 28), (10000, 28, 28)       uint8 (60000,), (10000,)
fashion_mnist  uint8 (60000, 28, 28), (10000, 28, 28)       uint8 (60000,), (10000,)
cifar10        uint8 (50000, 32, 32, 3), (10000, 32, 32, 3) uint8 (50000, 1), (10000, 1)
boston_housing float64 (404, 13), (102, 13)                 float64 (404,), (102,)
============== ============================================ ==================================

The Boston split is Keras's: rows shuffled by ``np.random.RandomState(seed=113)``, the first
80 % for training. Keras's ``path=`` argument (a file name in Keras's cache) is accepted and
not used: glassnet's loaders know where their files are.
"""
from __future__ import annotations

from . import boston_housing, cifar10, fashion_mnist, mnist

__all__ = ["boston_housing", "cifar10", "fashion_mnist", "mnist"]
