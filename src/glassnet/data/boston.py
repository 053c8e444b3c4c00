"""Boston housing: 506 suburbs, 13 features, target MEDV (median price in $1000s), from its CSV.

The train / test split is the Keras loader's: shuffle the rows, in their original
order, with NumPy's legacy generator seeded 113, then keep the first 80 % (404 rows)
for training and the remaining 102 for testing. The course's printed first training
row (``1.23247 0. 8.14 ...``, target 15.2) therefore comes out the same.

Integrity is the SHA-256 of the parsed values, so a CSV with one header line (as in
the course's copy) or two (scikit-learn's, whose first line is ``506,13,...``) both pass.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from ..backend import DTYPE
from .dataset import Dataset
from .download import check_sha256, download as download_file, sha256_bytes
from .errors import DatasetError, DatasetNotFoundError, DownloadError
from .paths import CACHE, describe_places, downloads_allowed, find_file, how_to_supply, search_places

FOLDER = "boston"
FILE = "boston_house_prices.csv"
FEATURE_NAMES = ("CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B", "LSTAT")
TARGET_NAME = "MEDV"
N_ROWS = 506
VALUES_SHA256 = "832e894115c56dd24ec63848d4a3d9bd921d268d0be1bee2a8f4ee5ea318f5f7"
"""SHA-256 of the (506, 14) table as little-endian float64, in the original row order."""
MIRRORS = ("https://raw.githubusercontent.com/scikit-learn/scikit-learn/1.1.3/sklearn/datasets/data/",)
MAX_CSV_BYTES = 1024 * 1024
"""Largest CSV file read: 1 MiB (the real one is 35,230 bytes; 506 rows of 14 numbers cannot need more)."""
FLOAT32_MAX = float(np.finfo(np.float32).max)
"""Largest magnitude a value may have: the dataset is returned as float32."""


def parse_boston_csv(text: str, *, name: str = "Boston CSV", hint: str = "") -> np.ndarray:
    """CSV text -> (506, 14) float64 table (13 features then MEDV); header lines are skipped.

    Every value must be finite and within float32's range, whatever ``verify`` the caller uses.
    """
    fix = f" Fix: {hint}." if hint else ""
    rows: list[list[float]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(",")
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if rows:  # text after the data started: a damaged row, not a header
                raise DatasetError(f"{name} line {number} is not 14 numbers: {line[:80]!r}.{fix}") from None
            continue
        if len(values) != 14:
            if not rows and len(values) < 14:  # scikit-learn's first line "506,13,..." parses partly
                continue
            raise DatasetError(f"{name} line {number} has {len(values)} fields; expected 14 "
                               f"(13 features + MEDV).{fix}")
        for column, value in enumerate(values):
            if not (math.isfinite(value) and abs(value) <= FLOAT32_MAX):
                column_name = (*FEATURE_NAMES, TARGET_NAME)[column]
                raise DatasetError(
                    f"{name} line {number} (data row {len(rows) + 1}), column {column + 1} ({column_name}) "
                    f"is {fields[column].strip()!r}; expected a finite number a float32 can hold "
                    f"(|x| <= {FLOAT32_MAX:.7g}).{fix}"
                )
        rows.append(values)
    if len(rows) != N_ROWS:
        raise DatasetError(f"{name} has {len(rows)} data rows; expected {N_ROWS} (it is truncated or not "
                           f"the Boston housing table).{fix}")
    return np.array(rows, dtype=np.float64)


def values_sha256(table: np.ndarray) -> str:
    """SHA-256 of a table as little-endian float64 bytes (the integrity check of the Boston data)."""
    return sha256_bytes(np.ascontiguousarray(table, dtype="<f8").tobytes())


def read_boston_csv(path: str | os.PathLike, *, verify: bool = True, hint: str = "") -> np.ndarray:
    """Read and check the CSV file -> (506, 14) float64 table in the original row order."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise DatasetError(f"{path} is {size:,} bytes, more than the limit of {MAX_CSV_BYTES:,} bytes "
                           f"(glassnet.data.boston.MAX_CSV_BYTES; the real file is 35,230 bytes): it is not the "
                           f"Boston housing table. It was not read. Fix: {hint}.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not a text CSV ({exc}). Fix: {hint}.") from exc
    table = parse_boston_csv(text, name=str(path), hint=hint)
    if verify:
        check_sha256(values_sha256(table), VALUES_SHA256, f"{path} (its parsed values)", hint)
    return table


def select_features(x: np.ndarray, names: Sequence[str], feature_names: Sequence[str] = FEATURE_NAMES) -> np.ndarray:
    """Columns ``names`` of a table x (N, len(feature_names)) -> (N, len(names)), e.g. ``("RM",)``: the rooms lesson's one feature."""
    missing = [n for n in names if n not in feature_names]
    if missing:
        raise ValueError(f"no feature {missing[0]!r}; expected names among {tuple(feature_names)}")
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != len(feature_names):
        raise ValueError(f"x has shape {x.shape}; expected (N, {len(feature_names)}) with columns {tuple(feature_names)}")
    return x[:, [list(feature_names).index(n) for n in names]]


def keras_split(x: np.ndarray, y: np.ndarray, test_split: float = 0.2, seed: int = 113):
    """Keras's boston_housing split: legacy-seeded shuffle, then first int(N * (1 - test_split)) rows train.

    Returns (x_train, y_train, x_test, y_test).
    """
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)  # the same stream as np.random.seed(seed); shuffle
    x, y = x[indices], y[indices]
    n_train = int(len(x) * (1 - test_split))
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def load_boston(
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool | None = None,
    mirrors: Sequence[str] | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    verify: bool = True,
    timeout: float = 30.0,
) -> Dataset:
    """Boston housing: x (404, 13) / (102, 13) float32 features, y float32 prices in $1000s (Keras's split)."""
    places = search_places(FOLDER, data_dir=data_dir, cache_dir=cache_dir)
    found = find_file([FILE], places)
    if found is None:
        cache = next(p for p in places if p.role == CACHE)
        attempt = "Downloading is off (download=False or GLASSNET_OFFLINE is set)."
        if downloads_allowed(download):
            urls = [(m if m.endswith("/") else m + "/") + FILE for m in (mirrors or MIRRORS)]
            try:
                def check(p: Path) -> None:
                    read_boston_csv(p, verify=verify, hint="bad mirror")

                path = download_file(urls, cache.folder / FILE, timeout=timeout, quiet=False, max_bytes=MAX_CSV_BYTES,
                                     check=check)
                found = (path, cache)
            except DownloadError as exc:
                attempt = str(exc)
        if found is None:
            raise DatasetNotFoundError(f"Boston housing file {FILE} was not found. Looked in:\n"
                                       f"{describe_places(places)}\n{attempt}\n{how_to_supply(FOLDER, [FILE])}")
    path, place = found
    table = read_boston_csv(path, verify=verify, hint=place.fix_hint(path))
    x_train, y_train, x_test, y_test = keras_split(table[:, :13], table[:, 13], test_split, seed)
    def f(a: np.ndarray) -> np.ndarray:
        return a.astype(DTYPE)

    return Dataset("boston", f(x_train), f(y_train), f(x_test), f(y_test),
                   class_names=(), input_shape=(13,), feature_names=FEATURE_NAMES)
