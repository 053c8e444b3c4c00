"""save_model / load_model: one safetensors file, no pickle, atomic writes, strict checks, exact resume."""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest
import safetensors.numpy
from safetensors import safe_open

import glassnet
from glassnet import BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Sequential, Softmax, callbacks, io
from glassnet.data import Augment, DataLoader


def images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n noisy (1, 6, 6) images, each a noisy copy of one of 3 fixed patterns."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(7).normal(size=(3, 1, 6, 6))
    y = rng.integers(0, 3, n)
    return (centres[y] + 0.5 * rng.normal(size=(n, 1, 6, 6))).astype(np.float32), y


def build(seed: int = 0) -> Sequential:
    """A model with every kind of state: conv and dense weights, BatchNorm buffers, Dropout."""
    return Sequential([
        Conv2D(4, 3, padding=1), BatchNorm(), ReLU(), MaxPool2D(2),
        Flatten(), Dropout(0.25), Dense(8), ReLU(), Dense(3), Softmax(),
    ], input_shape=(1, 6, 6), seed=seed)


def trained(epochs: int = 1) -> Sequential:
    x, y = images(64)
    model = build()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
    return model


def same_weights(a: Sequential, b: Sequential) -> bool:
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(u, v) for u, v in zip(wa, wb))


def same_state(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# ---------------------------------------------------------------------------------
# Round trip and the file's contents
# ---------------------------------------------------------------------------------
def test_save_and_load_round_trip_everything(tmp_path):
    model = trained(epochs=2)
    path = tmp_path / "model.safetensors"
    model.save(path)
    loaded = glassnet.load_model(path)
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]
    assert [l.get_config() for l in loaded.layers] == [l.get_config() for l in model.layers]
    assert loaded.input_shape == (1, 6, 6) and loaded.name == model.name and loaded.seed == model.seed
    assert same_weights(model, loaded)  # includes BatchNorm's running statistics
    assert np.array_equal(loaded.layers[1].buffers["running_var"], model.layers[1].buffers["running_var"])
    x, _ = images(10, seed=5)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert same_state(loaded.optimizer.state_dict(), model.optimizer.state_dict())
    assert loaded.loss.get_config() == model.loss.get_config() and [n for n, _ in loaded.metrics] == ["accuracy"]
    assert loaded.epochs_trained == 2
    assert all(p.dtype == np.float32 for p in loaded.get_weights())


def test_the_file_is_plain_safetensors_with_json_metadata(tmp_path):
    path = tmp_path / "m.safetensors"
    trained().save(path)
    tensors = safetensors.numpy.load_file(path)
    assert "params/0.W" in tensors and tensors["params/0.W"].shape == (4, 1, 3, 3)
    assert "buffers/1.running_mean" in tensors and "optimizer/m/0.W" in tensors
    with safe_open(path, framework="np") as handle:
        meta = handle.metadata()
    assert meta["format"] == "glassnet-model" and meta["glassnet_version"] == glassnet.__version__
    architecture = json.loads(meta["architecture"])
    assert [item["class_name"] for item in architecture["layers"]][:3] == ["Conv2D", "BatchNorm", "ReLU"]
    assert json.loads(meta["compile"])["optimizer"]["class_name"] == "Adam"
    assert json.loads(meta["training"])["epochs_trained"] == 1
    assert io.read_metadata(path)["architecture"] == architecture


def test_without_optimizer_state_and_uncompiled(tmp_path):
    model = trained()
    model.save(tmp_path / "a.safetensors", include_optimizer=False)
    loaded = glassnet.load_model(tmp_path / "a.safetensors")
    assert loaded.compiled and loaded.optimizer.state == {} and same_weights(model, loaded)
    assert not any(k.startswith("optimizer/") for k in safetensors.numpy.load_file(tmp_path / "a.safetensors"))

    fresh = build(seed=3)
    glassnet.io.save_model(fresh, tmp_path / "b.safetensors")
    again = glassnet.load_model(tmp_path / "b.safetensors")
    assert not again.compiled and same_weights(fresh, again)
    assert not glassnet.load_model(tmp_path / "a.safetensors", compile=False).compiled


def test_the_unfused_training_switch_is_saved_and_files_without_it_load_fused(tmp_path):
    model = Sequential([Flatten(), Dense(3), Softmax()], input_shape=(1, 6, 6), seed=0)
    model.compile("sgd", "categorical_crossentropy", fuse_softmax=False)
    model.save(tmp_path / "unfused.safetensors")
    assert glassnet.load_model(tmp_path / "unfused.safetensors").fuse_softmax is False
    rewrite(tmp_path / "unfused.safetensors", tmp_path / "old.safetensors",
            metadata_edit=lambda meta: meta.update(compile=json.dumps(
                {key: value for key, value in json.loads(meta["compile"]).items() if key != "fuse_softmax"})))
    assert glassnet.load_model(tmp_path / "old.safetensors").fuse_softmax is True


def test_user_metadata_travels_with_the_model(tmp_path):
    path = tmp_path / "m.safetensors"
    trained().save(path, metadata={"class_names": ["a", "b", "c"], "dataset": "blobs"})
    assert io.read_metadata(path)["user"] == {"class_names": ["a", "b", "c"], "dataset": "blobs"}
    assert glassnet.load_model(path).output_shape == (3,)
    with pytest.raises(ValueError, match="JSON-safe"):
        trained().save(tmp_path / "bad.safetensors", metadata={"f": print})
    assert not (tmp_path / "bad.safetensors").exists()


def test_saving_into_a_missing_folder_or_loading_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        trained().save(tmp_path / "no" / "such" / "model.safetensors")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        glassnet.load_model(tmp_path / "missing.safetensors")


# ---------------------------------------------------------------------------------
# Atomic writes
# ---------------------------------------------------------------------------------
def crash_halfway(tensors, filename, metadata=None):
    """Stands in for safetensors' writer: writes half the bytes, then fails as a full disk would."""
    data = safetensors.numpy.save(tensors, metadata=metadata)
    with open(filename, "wb") as handle:
        handle.write(data[: len(data) // 2])
    raise OSError(28, "No space left on device")


def test_a_crash_mid_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    first = trained(epochs=1)
    first.save(path)
    before = path.read_bytes()
    second = trained(epochs=2)
    monkeypatch.setattr(io, "_write_file", crash_halfway)
    with pytest.raises(OSError, match="No space left"):
        second.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]  # the temporary file is gone
    assert same_weights(glassnet.load_model(path), first)


def test_a_crash_on_the_first_save_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "_write_file", crash_halfway)
    with pytest.raises(OSError):
        trained().save(tmp_path / "model.safetensors")
    assert os.listdir(tmp_path) == []


def test_saving_over_an_existing_file_replaces_it(tmp_path):
    path = tmp_path / "model.safetensors"
    trained(epochs=1).save(path)
    model = trained(epochs=2)
    model.save(path)
    assert glassnet.load_model(path).epochs_trained == 2 and os.listdir(tmp_path) == ["model.safetensors"]


# ---------------------------------------------------------------------------------
# Bad files: a clear ValueError naming the file, and nothing on disk changes
# ---------------------------------------------------------------------------------
def rewrite(source, target, tensors_edit=None, architecture_edit=None, metadata_edit=None) -> None:
    """Copy a model file with edits, recomputing the checksum so that only the edit is wrong."""
    with safe_open(source, framework="np") as handle:
        metadata = dict(handle.metadata())
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    if tensors_edit:
        tensors_edit(tensors)
    if architecture_edit:
        architecture = json.loads(metadata["architecture"])
        architecture_edit(architecture)
        metadata["architecture"] = json.dumps(architecture)
    if metadata_edit:
        metadata_edit(metadata)
    metadata["checksum"] = io._checksum(tensors)
    safetensors.numpy.save_file(tensors, target, metadata=metadata)


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0xFF]) + data[index + 1:]


def make_bad_file(kind: str, good, path) -> None:
    data = good.read_bytes()
    header_len = int.from_bytes(data[:8], "little")
    if kind == "truncated":
        path.write_bytes(data[:-40])
    elif kind == "truncated_in_header":
        path.write_bytes(data[:100])
    elif kind == "tiny":
        path.write_bytes(data[:5])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "corrupted_header":
        path.write_bytes(data[:8] + b"#" + data[9:])
    elif kind == "corrupted_weights":
        path.write_bytes(_flip(data, 8 + header_len + 100))
    elif kind == "trailing_garbage":
        path.write_bytes(data + b"\0" * 16)
    elif kind == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    elif kind == "npy":
        with open(path, "wb") as handle:
            np.save(handle, np.zeros(3))
    elif kind == "text":
        path.write_text("this is not a model\n" * 10)
    elif kind == "foreign_safetensors":
        safetensors.numpy.save_file({"weight": np.zeros((2, 2), np.float32)}, path)
    elif kind == "wrong_shape":
        rewrite(good, path, tensors_edit=lambda t: t.update({"params/8.W": np.zeros((9, 3), np.float32)}))
    elif kind == "missing_tensor":
        rewrite(good, path, tensors_edit=lambda t: t.pop("params/6.b"))
    elif kind == "extra_tensor":
        rewrite(good, path, tensors_edit=lambda t: t.update({"params/2.W": np.zeros(3, np.float32)}))
    elif kind == "unknown_layer":
        rewrite(good, path, architecture_edit=lambda a: a["layers"][2].update(class_name="os.system"))
    elif kind == "unknown_model_class":
        rewrite(good, path, architecture_edit=lambda a: a.update(class_name="Functional"))
    elif kind == "bad_layer_config":
        rewrite(good, path, architecture_edit=lambda a: a["layers"][6]["config"].update(units=-4))
    elif kind == "newer_format":
        rewrite(good, path, metadata_edit=lambda m: m.update(format_version="99"))
    elif kind == "optimizer_state_mismatch":
        rewrite(good, path, tensors_edit=lambda t: t.update({"optimizer/m/0.W": np.zeros(5, np.float32)}))
    else:
        raise AssertionError(kind)


BAD_FILES = {
    "truncated": "truncated",
    "truncated_in_header": "truncated",
    "tiny": "too short",
    "empty": "too short",
    "corrupted_header": "not valid JSON",
    "corrupted_weights": "checksum .* does not match.*corrupted",
    "trailing_garbage": "bytes after its last tensor",
    "zip": "zip archive",
    "npy": "NumPy .npy",
    "text": "safetensors header",
    "foreign_safetensors": "not a glassnet model",
    "wrong_shape": r"Dense 'dense_\d+' \(layer 8\) weight 'W' has shape \(9, 3\) in the file, but the architecture "
                   r"needs \(8, 3\)",
    "missing_tensor": "no tensor 'params/6.b'",
    "extra_tensor": "no layer of its architecture has",
    "unknown_layer": "class 'os.system', which glassnet does not know.*never imports",
    "unknown_model_class": "model class 'Functional', which glassnet does not know",
    "bad_layer_config": "layer 6 \\(Dense\\) has a bad config",
    "newer_format": "newer than this glassnet",
    "optimizer_state_mismatch": "optimizer state 'm/0.W' has shape",
}


@pytest.fixture(scope="module")
def good_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "good.safetensors"
    trained().save(path)
    return path


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_model_file_is_refused_clearly_and_left_alone(kind, good_file, tmp_path):
    path = tmp_path / f"{kind}.safetensors"
    make_bad_file(kind, good_file, path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=BAD_FILES[kind]) as error:
        glassnet.load_model(path)
    assert str(path) in str(error.value)
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]


# ---------------------------------------------------------------------------------
# Resume: save, load, continue == never stopped
# ---------------------------------------------------------------------------------
def run(x, y, epochs, initial_epoch=0, model=None, loader=False):
    if model is None:
        model = build(seed=42)
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    common = dict(epochs=epochs, initial_epoch=initial_epoch, verbose=0, callbacks=[callbacks.StepDecay(1, 0.7)])
    if loader:
        data = DataLoader(x, y, batch_size=16, shuffle=True, seed=3, augment=Augment(shift=1, seed=4))
        history = model.fit(data, validation_data=images(24, seed=9), **common)
    else:
        history = model.fit(x, y, batch_size=16, validation_split=0.25, **common)
    return model, history.history


@pytest.mark.parametrize("loader", [False, True], ids=["arrays", "data_loader"])
def test_resumed_training_is_bit_identical_to_an_uninterrupted_run(tmp_path, loader):
    x, y = images(96, seed=1)
    straight, straight_history = run(x, y, epochs=4, loader=loader)

    first, first_history = run(x, y, epochs=2, loader=loader)
    first.save(tmp_path / "half.safetensors")
    del first
    resumed = glassnet.load_model(tmp_path / "half.safetensors")
    assert resumed.epochs_trained == 2
    resumed, second_history = run(x, y, epochs=4, initial_epoch=2, model=resumed, loader=loader)

    assert same_weights(straight, resumed)
    assert same_state(straight.optimizer.state_dict(), resumed.optimizer.state_dict())
    for key, values in straight_history.items():
        assert first_history[key] + second_history[key] == values, key
    assert straight.optimizer.lr == resumed.optimizer.lr == pytest.approx(0.001 * 0.7**3)


def test_resuming_from_a_checkpoint_written_during_fit(tmp_path):
    x, y = images(96, seed=2)
    straight, _ = run(x, y, epochs=3)
    model = build(seed=42)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "epoch{epoch}.safetensors"))
    model.fit(x, y, batch_size=16, validation_split=0.25, epochs=3, verbose=0,
              callbacks=[callbacks.StepDecay(1, 0.7), checkpoint])
    resumed = glassnet.load_model(tmp_path / "epoch1.safetensors")
    resumed, _ = run(x, y, epochs=3, initial_epoch=1, model=resumed)
    assert same_weights(straight, resumed) and same_weights(model, resumed)


def test_loading_something_that_is_not_a_regular_file_says_what_it_is(tmp_path):
    import os

    from glassnet import load_model

    folder = tmp_path / "runs"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_model(str(folder))
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"is a named pipe \(FIFO\), not a regular file"):
        load_model(str(fifo))  # refused from stat alone: opening a FIFO would block
    link = tmp_path / "zero.safetensors"
    link.symlink_to("/dev/zero")
    with pytest.raises(ValueError, match="a character device, not a regular file"):
        load_model(str(link))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_model(str(tmp_path / "missing.safetensors"))
