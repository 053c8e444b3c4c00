"""Keras's ``boston_housing.load_data()``: float64 (404, 13) / (102, 13) features and prices in $1000s."""
from __future__ import annotations

import numpy as np

from ...data import boston, load_boston
from ...data.paths import find_file, search_places
from .mnist import Arrays

__all__ = ["load_data"]


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113) -> Arrays:
    """((x_train, y_train), (x_test, y_test)) as Keras's: float64, rows shuffled with seed 113, 80 % to train.

    The CSV is found, downloaded if need be, and verified (SHA-256 of its values) by glassnet's
    Boston loader; its values are kept in float64, as Keras's file holds them.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split!r}")
    places = search_places(boston.FOLDER)
    if find_file([boston.FILE], places) is None:
        load_boston()  # downloads into the cache (verified), or says where the file was looked for
    found = find_file([boston.FILE], places)
    assert found is not None
    csv, place = found
    table = boston.read_boston_csv(csv, verify=True, hint=place.fix_hint(csv))
    x_train, y_train, x_test, y_test = boston.keras_split(table[:, :13], table[:, 13], test_split, seed)
    return (np.array(x_train), np.array(y_train)), (np.array(x_test), np.array(y_test))
