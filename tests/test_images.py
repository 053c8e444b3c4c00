"""glassnet.data.images, dataset names, the Keras validation split and glassnet.modelfile: the one copy of each."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from glassnet.data import dataset_key, tail_split
from glassnet.data.images import convert_channels, fit_to_input, read_image, read_model_input
from glassnet.io import save_model
from glassnet.layers import Dense
from glassnet.model import Sequential
from glassnet.modelfile import load_model_file, read_user_metadata


@pytest.mark.parametrize("name, key", [("mnist", "mnist"), ("Fashion-MNIST", "fashion_mnist"),
                                       ("fashion_mnist", "fashion_mnist"), ("cifar-10", "cifar10"),
                                       (" Shape-Colors ", "shape_colors")])
def test_dataset_names_are_written_any_usual_way(name, key):
    assert dataset_key(name) == key


def test_an_unknown_dataset_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'; expected one of: mnist"):
        dataset_key("imagenet")


def test_tail_split_holds_out_the_last_fraction_as_keras():
    x, y = np.arange(10)[:, None], np.arange(10)
    x_train, y_train, x_valid, y_valid = tail_split(x, y, 0.25)  # floor(10 * 0.75) = 7 train
    assert x_train[:, 0].tolist() == list(range(7)) and y_valid.tolist() == [7, 8, 9]
    with pytest.raises(ValueError, match="leaves 0 for training and 1 for validation"):
        tail_split(x[:1], y[:1], 0.5)


def test_channels_are_converted_by_luminance_and_repetition():
    x = np.zeros((2, 3, 4, 4), np.float32)
    x[:, 1] = 1.0  # pure green
    np.testing.assert_allclose(convert_channels(x, 1), 0.587, rtol=1e-6)
    assert convert_channels(x[:, :1], 3).shape == (2, 3, 4, 4)
    with pytest.raises(ValueError, match="cannot convert 2-channel images"):
        convert_channels(np.zeros((1, 2, 4, 4), np.float32), 1)


def test_fit_to_input_converts_channels_only_when_the_size_fits():
    rgb = np.ones((3, 3, 8, 8), np.float32)
    assert fit_to_input(rgb, (1, 8, 8), "dataset 'x'").shape == (3, 1, 8, 8)
    assert fit_to_input(rgb, (3, 8, 8), "dataset 'x'") is rgb
    with pytest.raises(ValueError, match=r"takes samples of shape \(1, 6, 6\) but dataset 'x' has"):
        fit_to_input(rgb, (1, 6, 6), "dataset 'x'")


def test_image_files_are_read_as_float_arrays(tmp_path):
    path = tmp_path / "dark_on_light.png"
    picture = np.full((20, 30), 255, np.uint8)
    picture[5:15, 10:20] = 0
    Image.fromarray(picture).save(path)
    grey = read_image(path, size=16)
    assert grey.shape == (1, 16, 16) and grey.dtype == np.float32 and grey.max() == 1.0
    image, steps = read_model_input(path, (1, 10, 10))
    assert image.shape == (1, 10, 10) and steps == ["resized", "inverted to light-on-dark"]
    assert image[0, 0, 0] == 0.0 and image[0, 5, 5] > 0.9  # light paper became the black background
    with pytest.raises(FileNotFoundError, match="image file not found"):
        read_image(tmp_path / "none.png")


def test_one_reader_of_a_model_files_metadata(tmp_path):
    model = Sequential([Dense(3)], input_shape=(4,), seed=0)
    path = tmp_path / "m.safetensors"
    save_model(model, path, metadata={"class_names": '["a", "b", "c"]', "dataset": "shapes", "model": "mlp"})
    loaded, metadata = load_model_file(path)
    assert loaded.output_shape == (3,)
    assert metadata == {"class_names": ["a", "b", "c"], "dataset": "shapes", "model": "mlp", "features": None}
    save_model(model, path, metadata={"dataset": "boston", "features": ["RM"]})
    assert read_user_metadata(path)["features"] == ["RM"]
    save_model(model, path, metadata={"class_names": {"not": "a list"}})
    with pytest.raises(ValueError, match="class_names must be a list"):
        read_user_metadata(path)
    with pytest.raises(FileNotFoundError, match="model file not found"):
        load_model_file(tmp_path / "none.safetensors")
