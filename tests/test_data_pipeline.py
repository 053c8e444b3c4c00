"""The pipeline: one-hot, scaling, standardising, grayscale, splits, DataLoader, augmentation
(checked against loop references and torch's grid_sample), and the dataset registry."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import glassnet
from glassnet.data import (
    DATASETS,
    Augment,
    DataLoader,
    Dataset,
    channel_mean_std,
    crop_padded,
    flip_horizontal,
    from_one_hot,
    head_split,
    load,
    one_hot,
    rotate,
    standardize,
    to_grayscale,
    to_unit_range,
    train_val_split,
    translate,
)
from glassnet.data.augment import default_augmentation

from conftest import assert_close


# ---------------------------------------------------------------------------------
# Transforms
# ---------------------------------------------------------------------------------
def test_one_hot_matches_the_course_printout_and_round_trips():
    y = np.array([9, 0, 0, 3, 0, 2, 7, 2, 5])
    encoded = one_hot(y, 10)
    assert encoded.dtype == np.float32 and encoded.shape == (9, 10)
    assert encoded[0].tolist() == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1] and encoded[3, 3] == 1
    assert encoded.sum() == 9
    np.testing.assert_array_equal(from_one_hot(encoded), y)
    assert from_one_hot(encoded).dtype == np.int64
    assert one_hot(np.array([0, 2])).shape == (2, 3)


@pytest.mark.parametrize("bad, match", [(np.array([0, 10]), "num_classes=10"), (np.array([-1, 2]), ">= 0"),
                                        (np.array([0.5, 1.0]), "whole numbers"), (np.zeros((2, 2), int), r"\(N,\)")])
def test_one_hot_rejects_bad_labels(bad, match):
    with pytest.raises(ValueError, match=match):
        one_hot(bad, 10)


def test_to_unit_range_is_exact_division_in_float32():
    x = np.arange(256, dtype=np.uint8).reshape(1, 1, 16, 16)
    out = to_unit_range(x)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_array_equal(out, x.astype(np.float32) / np.float32(255))


def test_standardize_per_channel(rng):
    x = (rng.normal(size=(50, 3, 4, 4)) * np.array([1, 5, 0.1])[:, None, None] + np.array([2, -3, 9])[:, None, None])
    x = x.astype(np.float32)
    mean, std = channel_mean_std(x)
    assert mean.dtype == np.float32 and std.shape == (3,)
    assert_close(mean, x.transpose(1, 0, 2, 3).reshape(3, -1).mean(axis=1), 1e-5, "mean")
    z = standardize(x)
    assert z.dtype == np.float32
    assert np.abs(z.mean(axis=(0, 2, 3))).max() < 1e-5 and np.abs(z.std(axis=(0, 2, 3)) - 1).max() < 1e-4
    tabular = standardize(np.arange(12, dtype=np.float32).reshape(4, 3), mean=np.zeros(3), std=np.full(3, 2.0))
    np.testing.assert_array_equal(tabular, np.arange(12, dtype=np.float32).reshape(4, 3) / 2)
    with pytest.raises(ValueError, match=r"mean and std of shape \(C,\)"):
        standardize(x, mean=np.zeros(2), std=np.ones(2))


def test_grayscale_uses_the_course_weights():
    x = np.zeros((2, 3, 2, 2), dtype=np.uint8)
    x[0, 0], x[0, 1] = 255, 255  # yellow (255, 255, 0): the course computes 0.299*255 + 0.587*255
    x[1, 2] = 255
    gray = to_grayscale(x)
    assert gray.shape == (2, 1, 2, 2) and gray.dtype == np.float32
    assert_close(gray[0], np.full((1, 2, 2), (0.299 + 0.587) * 255), 1e-6)
    assert_close(gray[1], np.full((1, 2, 2), 0.114 * 255), 1e-6)
    assert to_grayscale(np.ones((1, 1, 3, 3), np.float32)).shape == (1, 1, 3, 3)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        to_grayscale(np.zeros((2, 784)))


def test_train_val_split_is_reproducible_disjoint_and_complete():
    x, y = np.arange(100)[:, None] * np.ones((1, 2)), np.arange(100) % 4
    a = train_val_split(x, y, 0.2, seed=3)
    b = train_val_split(x, y, 0.2, seed=3)
    c = train_val_split(x, y, 0.2, seed=4)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[2], c[2])
    x_train, y_train, x_val, y_val = a
    assert len(x_train) == 80 and len(x_val) == 20
    assert sorted(np.r_[x_train[:, 0], x_val[:, 0]].tolist()) == list(range(100))
    np.testing.assert_array_equal(y_val, x_val[:, 0].astype(int) % 4)  # x and y stay paired
    keras = train_val_split(x, y, 0.1, shuffle=False)
    np.testing.assert_array_equal(keras[2][:, 0], np.arange(90, 100))


@settings(max_examples=25, deadline=None)
@given(counts=st.lists(st.integers(5, 60), min_size=2, max_size=6), fraction=st.sampled_from([0.1, 0.2, 0.25, 0.5]),
       seed=st.integers(0, 1000))
def test_stratified_split_keeps_every_class_share(counts, fraction, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    y = np.random.default_rng(seed).permutation(y)
    x = np.arange(len(y))
    x_train, y_train, x_val, y_val = train_val_split(x, y, fraction, seed=seed, stratify=True)
    np.testing.assert_array_equal(np.bincount(y_val, minlength=len(counts)),
                                  np.round(np.array(counts) * fraction).astype(int))
    np.testing.assert_array_equal(y[x_val], y_val)
    assert sorted(np.r_[x_train, x_val].tolist()) == list(range(len(y)))


def test_split_errors():
    with pytest.raises(ValueError, match="same length"):
        train_val_split(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="between 0 and 1"):
        train_val_split(np.zeros(5), np.zeros(5), 1.0)
    with pytest.raises(ValueError, match="needs the labels"):
        train_val_split(np.zeros(5), None, 0.4, stratify=True)


def test_head_split_and_dataset_helpers():
    ds = Dataset("toy", np.arange(10)[:, None].astype(np.float32), np.arange(10), np.zeros((2, 1)), np.zeros(2),
                 class_names=tuple("abcdefghij"), input_shape=(1,))
    held = ds.hold_out(3)
    np.testing.assert_array_equal(held.y_valid, [0, 1, 2])
    np.testing.assert_array_equal(held.y_train, np.arange(3, 10))
    assert held.valid is not None and ds.valid is None and ds.x_train.shape == (10, 1)
    split = ds.split(0.3, seed=1, stratify=False)
    assert len(split.y_valid) == 3 and len(split.y_train) == 7
    assert "valid" in repr(held) and "toy" in repr(ds)
    x_train, _, x_valid, _ = head_split(np.arange(60000), None, 10000)
    assert len(x_train) == 50000 and x_valid[-1] == 9999


# ---------------------------------------------------------------------------------
# DataLoader
# ---------------------------------------------------------------------------------
def test_loader_batches_in_order_without_shuffle():
    x, y = np.arange(10, dtype=np.uint8).reshape(10, 1), np.arange(10)
    loader = DataLoader(x, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches) and loader.num_samples == 10
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    assert all(xb.dtype == np.float32 for xb, _ in batches)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y)
    dropped = DataLoader(x, y, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(xb) for xb, _ in dropped] == [4, 4]


def test_shuffle_is_reproducible_new_each_epoch_and_keeps_pairs():
    x = np.arange(50, dtype=np.float32)[:, None]
    y = np.arange(50) * 10
    a, b = DataLoader(x, y, 8, shuffle=True, seed=1), DataLoader(x, y, 8, shuffle=True, seed=1)
    epoch1 = np.concatenate([yb for _, yb in a])
    epoch2 = np.concatenate([yb for _, yb in a])
    np.testing.assert_array_equal(epoch1, np.concatenate([yb for _, yb in b]))
    assert not np.array_equal(epoch1, epoch2)
    assert sorted(epoch1.tolist()) == sorted(y.tolist())
    for xb, yb in a:
        np.testing.assert_array_equal(xb[:, 0] * 10, yb)


def test_unseeded_loader_follows_glassnet_seed():
    x = np.arange(30, dtype=np.float32)
    glassnet.seed(11)
    first = np.concatenate([xb for xb, _ in DataLoader(x, batch_size=7, shuffle=True)])
    glassnet.seed(11)
    second = np.concatenate([xb for xb, _ in DataLoader(x, batch_size=7, shuffle=True)])
    np.testing.assert_array_equal(first, second)


def test_loader_without_labels_and_large_batch():
    loader = DataLoader(np.ones((5, 2)), batch_size=100, drop_last=True)
    (xb, yb), = list(loader)
    assert xb.shape == (5, 2) and yb is None and len(loader) == 1


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, "positive integer"), ({"batch_size": -3}, "positive integer"),
    ({"batch_size": 2.5}, "positive integer"), ({"y": np.zeros(4)}, "5 samples but y has 4"),
    ({"augment": Augment(flip=True)}, r"needs images \(N, C, H, W\)"),
])
def test_loader_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(np.zeros((5, 3)), **kwargs)


def test_loader_applies_augmentation_per_batch():
    x = np.random.default_rng(0).random((10, 1, 6, 6)).astype(np.float32)
    plain = np.concatenate([xb for xb, _ in DataLoader(x, batch_size=4, augment=Augment())])
    np.testing.assert_array_equal(plain, x)
    loader = DataLoader(x, batch_size=4, augment=Augment(flip=True, seed=0))
    flipped = np.concatenate([xb for xb, _ in loader])
    for got, orig in zip(flipped, x):
        assert np.array_equal(got, orig) or np.array_equal(got, orig[..., ::-1])
    assert not np.array_equal(flipped, x)


# ---------------------------------------------------------------------------------
# Augmentation: vectorised versions against plain loops and torch
# ---------------------------------------------------------------------------------
def crop_padded_loops(x, padding, top, left):
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding), x.dtype)
    xp[:, :, padding:padding + h, padding:padding + w] = x
    return np.stack([xp[i, :, top[i]:top[i] + h, left[i]:left[i] + w] for i in range(n)])


def test_crop_padded_matches_loop_reference(rng):
    x = rng.random((6, 3, 5, 7)).astype(np.float32)
    top, left = rng.integers(0, 5, 6), rng.integers(0, 5, 6)
    np.testing.assert_array_equal(crop_padded(x, 2, top, left), crop_padded_loops(x, 2, top, left))


def test_translate_moves_content_and_fills_zeros():
    x = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4) + 1
    out = translate(x, np.array([1, 0]), np.array([0, -2]))
    np.testing.assert_array_equal(out[0, 0, 1:], x[0, 0, :-1])
    assert (out[0, 0, 0] == 0).all()
    np.testing.assert_array_equal(out[1, 0, :, :2], x[1, 0, :, 2:])
    assert (out[1, 0, :, 2:] == 0).all()


def test_flip_only_where_asked():
    x = np.arange(24, dtype=np.float32).reshape(2, 1, 3, 4)
    out = flip_horizontal(x, np.array([True, False]))
    np.testing.assert_array_equal(out[0], x[0, :, :, ::-1])
    np.testing.assert_array_equal(out[1], x[1])


def test_rotate_by_right_angles_equals_rot90(rng):
    x = rng.random((3, 2, 5, 5)).astype(np.float32)
    assert_close(rotate(x, np.zeros(3)), x, 1e-6, "0 degrees")
    assert_close(rotate(x, np.full(3, 90.0)), np.rot90(x, 1, axes=(2, 3)), 1e-5, "90 degrees")
    assert_close(rotate(x, np.full(3, -90.0)), np.rot90(x, -1, axes=(2, 3)), 1e-5, "-90 degrees")
    assert rotate(x, np.full(3, 10.0)).dtype == np.float32


def test_rotate_matches_torch_grid_sample(rng):
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    x = rng.random((4, 3, 9, 9)).astype(np.float32)
    degrees = np.array([7.0, -13.0, 25.0, 180.0], dtype=np.float32)
    theta = np.deg2rad(degrees)
    cos, sin = np.cos(theta), np.sin(theta)
    # Output (x, y) samples input (cos x - sin y, sin x + cos y) about the centre, as glassnet does.
    affine = torch.tensor(np.stack([np.stack([cos, -sin, 0 * cos], 1), np.stack([sin, cos, 0 * cos], 1)], 1))
    grid = functional.affine_grid(affine, (4, 3, 9, 9), align_corners=True)
    expected = functional.grid_sample(torch.tensor(x), grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    assert_close(rotate(x, degrees), expected.numpy(), 1e-4, "rotate vs grid_sample")


def test_augment_is_off_by_default_and_reproducible_under_seed(rng):
    x = rng.random((8, 3, 10, 10)).astype(np.float32)
    assert not Augment().active
    np.testing.assert_array_equal(Augment()(x), x)
    settings_ = dict(crop_padding=2, flip=True, shift=1, rotate=10, seed=4)
    a, b = Augment(**settings_), Augment(**settings_)
    first = a(x)
    np.testing.assert_array_equal(first, b(x))
    assert not np.array_equal(first, a(x))  # the next batch draws new parameters
    assert first.shape == x.shape and first.dtype == np.float32
    copy = x.copy()
    Augment(**settings_)(x)
    np.testing.assert_array_equal(x, copy)  # the input batch is never modified


def test_random_crop_keeps_pixels_and_shifts_by_at_most_padding():
    x = np.zeros((200, 1, 9, 9), np.float32)
    x[:, 0, 4, 4] = 1
    out = Augment(crop_padding=2, seed=0)(x)
    pos = np.argwhere(out[:, 0] == 1)
    assert len(pos) == 200  # the centre pixel is never cropped away
    offsets = pos[:, 1:] - 4
    assert np.abs(offsets).max() == 2 and len(np.unique(offsets, axis=0)) == 25


def test_augment_rejects_bad_settings_and_shapes():
    with pytest.raises(ValueError, match="crop_padding must be >= 0"):
        Augment(crop_padding=-1)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        Augment(flip=True)(np.zeros((2, 784)))
    assert default_augmentation("cifar10", (3, 32, 32)).flip
    assert not default_augmentation("mnist", (1, 28, 28)).flip
    assert default_augmentation("mnist", (1, 28, 28)).crop_padding == 3


# ---------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------
def test_registry_lists_every_dataset_with_its_description():
    assert list(DATASETS) == ["mnist", "fashion_mnist", "cifar10", "boston", "colors", "shapes", "shape_colors"]
    for name, info in DATASETS.items():
        assert info.name == name and info.description and info.input_shape
        assert info.needs_files == (name in ("mnist", "fashion_mnist", "cifar10", "boston"))
        assert (len(info.class_names) == 0) == (info.task == "regression")
    assert glassnet.data.load is load


def test_registry_loads_generated_datasets_with_declared_shapes():
    for name in ("colors", "shapes", "shape_colors"):
        ds = load(name, n_train=30, n_test=10)
        info = DATASETS[name]
        assert ds.name == name and ds.input_shape == info.input_shape and ds.class_names == info.class_names
        assert ds.x_train.shape == (30, *info.input_shape)
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'; expected one of: mnist"):
        load("imagenet")


def test_loader_feeds_a_model_fit():
    """DataLoader plugs into Sequential.fit (the model API reads len, num_samples, batch_size)."""
    ds = load("colors", n_train=64, n_test=16)
    model = glassnet.Sequential([glassnet.layers.Flatten(), glassnet.layers.Dense(6)])
    model.compile(optimizer="sgd", loss="cross_entropy")
    history = model.fit(DataLoader(ds.x_train, ds.y_train, batch_size=16, shuffle=True, seed=0), epochs=1)
    assert len(next(iter(history.history.values()))) == 1
