"""Boston housing loader on CSV files the tests write: Keras's split, header variants, bad files."""
from __future__ import annotations

import numpy as np
import pytest

from glassnet.data import ChecksumError, DatasetError, DatasetNotFoundError, load_boston
from glassnet.data.boston import keras_split, parse_boston_csv

HEADER = ",".join(f'"{n}"' for n in ("CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX",
                                     "PTRATIO", "B", "LSTAT", "MEDV"))


def table(seed: int = 0) -> np.ndarray:
    """A (506, 14) table of round numbers that survive text -> float exactly."""
    return np.round(np.random.default_rng(seed).uniform(0, 100, (506, 14)), 3)


def write_csv(path, values: np.ndarray, header: str = HEADER) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [header] + [",".join(f"{v:g}" for v in row) for row in values]
    path.write_text("\n".join(lines) + "\n")


def test_split_is_keras_legacy_shuffle_with_seed_113(offline_data_env):
    values = table()
    write_csv(offline_data_env / "data" / "boston" / "boston_house_prices.csv", values)
    ds = load_boston(data_dir=offline_data_env / "data", verify=False)
    # The Keras loader, written out: np.random.seed(113); shuffle(indices); 80 % train.
    np.random.seed(113)
    indices = np.arange(506)
    np.random.shuffle(indices)
    np.testing.assert_array_equal(ds.x_train, values[indices[:404], :13].astype(np.float32))
    np.testing.assert_array_equal(ds.y_test, values[indices[404:], 13].astype(np.float32))
    assert ds.input_shape == (13,) and ds.class_names == () and ds.num_classes == 0


def test_keras_split_other_fraction_and_seed():
    x, y = np.arange(20.0)[:, None], np.arange(20.0)
    x_train, y_train, x_test, y_test = keras_split(x, y, test_split=0.25, seed=1)
    assert len(x_train) == 15 and len(x_test) == 5
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(20))


def test_scikit_learn_style_two_header_lines_parse_the_same():
    values = table(1)
    body = "\n".join(",".join(f"{v:g}" for v in row) for row in values)
    one = parse_boston_csv(HEADER + "\n" + body)
    two = parse_boston_csv("506,13,,,,,,,,,,,,\n" + HEADER + "\n" + body)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, values)


def test_truncated_csv_names_the_file(offline_data_env):
    path = offline_data_env / "data" / "boston" / "boston_house_prices.csv"
    write_csv(path, table()[:300])
    with pytest.raises(DatasetError) as info:
        load_boston(data_dir=offline_data_env / "data", verify=False)
    assert str(path) in str(info.value) and "300 data rows; expected 506" in str(info.value)


def test_damaged_row_is_an_error_with_its_line_number(offline_data_env):
    path = offline_data_env / "data" / "boston" / "boston_house_prices.csv"
    write_csv(path, table())
    lines = path.read_text().splitlines()
    lines[10] = lines[10].replace(",", ";", 1)
    path.write_text("\n".join(lines))
    with pytest.raises(DatasetError, match="line 11"):
        load_boston(data_dir=offline_data_env / "data", verify=False)


def test_other_values_fail_the_checksum(offline_data_env):
    write_csv(offline_data_env / "data" / "boston" / "boston_house_prices.csv", table())
    with pytest.raises(ChecksumError, match="boston_house_prices.csv"):
        load_boston(data_dir=offline_data_env / "data")


def test_not_found_offline(offline_data_env):
    with pytest.raises(DatasetNotFoundError, match="boston_house_prices.csv"):
        load_boston(data_dir=offline_data_env / "none")


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-Infinity", "1e999", "3.5e38"])
def test_non_finite_or_float32_overflowing_value_is_refused_even_without_verify(offline_data_env, text):
    path = offline_data_env / "data" / "boston" / "boston_house_prices.csv"
    write_csv(path, table())
    lines = path.read_text().splitlines()
    fields = lines[11].split(",")
    fields[2] = text  # line 12 = header + 11th data row; column 3 is INDUS
    lines[11] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError) as info:
        load_boston(data_dir=offline_data_env / "data", verify=False)
    message = str(info.value)
    assert str(path) in message and "line 12 (data row 11), column 3 (INDUS)" in message
    assert f"is {text!r}; expected a finite number a float32 can hold" in message


def test_largest_float32_value_is_accepted():
    values = table(2)
    values[0, 13] = float(np.finfo(np.float32).max)
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in values)
    np.testing.assert_array_equal(parse_boston_csv(HEADER + "\n" + body), values)
