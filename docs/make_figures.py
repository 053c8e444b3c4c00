"""Regenerate the example figures of the README (docs/images/*.png).

    GLASSNET_DATA_DIR=/path/to/datasets python docs/make_figures.py [--out docs/images]

Trains a small CNN on part of MNIST for a few epochs (about a minute on two CPU
cores), then draws the convolution playground, conv -> ReLU -> max-pool, the
training curves, the confusion matrix, the first layer's kernels, the feature
maps of one digit and a grid of test predictions. Then the lessons' concept figures,
each drawn by its own command (``glassnet viz KIND``, ``glassnet train``), so the README
shows what the command draws: LeNet-5's architecture, gradient descent, one-hot labels,
Module 7's "what the computer sees" and the shift experiment (it trains the zoo's mlp and
lenet5 for 2 epochs each, about half a minute), and the Boston lesson's price against
rooms. Seeded: the same every run. The PNGs are re-saved with a 256-colour palette to
keep the repository small.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import glassnet
from glassnet import cli, data, viz
from glassnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from glassnet.metrics import confusion_matrix

MAX_BYTES = 200_000


def shrink(png: Path) -> None:
    """Re-save a PNG with a 256-colour palette (invisible on these figures, half the bytes), atomically."""
    from PIL import Image

    with Image.open(png) as im:
        small = im.convert("RGB").quantize(256)
    tmp = png.with_name(f".{png.name}.tmp")
    small.save(tmp, format="PNG", optimize=True)
    tmp.replace(png)


def small_cnn() -> glassnet.Sequential:
    """conv(8 5x5) -> ReLU -> pool -> conv(16 5x5) -> ReLU -> pool -> dense(10): a small LeNet."""
    return glassnet.Sequential(
        [
            Conv2D(8, 5, padding=2, input_shape=(1, 28, 28)), ReLU(), MaxPool2D(2),
            Conv2D(16, 5), ReLU(), MaxPool2D(2),
            Flatten(), Dense(10),
        ],
        seed=6,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "images"), help="folder for the PNGs")
    parser.add_argument("--train", type=int, default=12000, help="MNIST training samples used")
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    viz.plot_kernel_playground(path=out / "playground.png")

    mnist = data.load("mnist")
    x_train, y_train = mnist.x_train[: args.train], mnist.y_train[: args.train]
    x_test, y_test = mnist.x_test, mnist.y_test
    viz.plot_conv_relu_pool(x_test[0], padding=1, path=out / "conv_relu_pool.png")

    model = small_cnn()
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, validation_split=0.2, verbose=1)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    viz.plot_history(history, title=f"small CNN on {args.train} MNIST digits", path=out / "curves.png")

    y_pred = model.predict(x_test, batch_size=500).argmax(axis=1)
    viz.plot_confusion_matrix(confusion_matrix(y_test, y_pred, 10), mnist.class_names,
                              path=out / "confusion_matrix.png")
    viz.plot_first_layer_kernels(model, path=out / "kernels.png")
    viz.plot_feature_maps(model, x_test[:1], path=out / "feature_maps.png")
    right, wrong = np.flatnonzero(y_pred == y_test)[:12], np.flatnonzero(y_pred != y_test)[:4]
    shown = np.sort(np.concatenate([right, wrong]))  # mostly right, a few errors to spot
    viz.plot_predictions(x_test[shown], y_test[shown], y_pred[shown], mnist.class_names,
                         path=out / "predictions.png")

    concepts = {
        "architecture.png": ["viz", "architecture", "lenet5"],
        "gradient_descent.png": ["viz", "gradient-descent"],
        "one_hot.png": ["viz", "one-hot"],
        "what_the_computer_sees.png": ["viz", "what-the-computer-sees"],
        "shift.png": ["viz", "shift"],
    }
    for name, argv in concepts.items():
        if cli.main(["--lang", "en", *argv, "--out", str(out / name)]) != 0:
            raise SystemExit(f"glassnet {' '.join(argv)} failed")
    with tempfile.TemporaryDirectory() as run:  # the Boston lesson, as 'glassnet train linear_regression' draws it
        if cli.main(["--lang", "en", "train", "linear_regression", "--out", run, "--quiet"]) != 0:
            raise SystemExit("glassnet train linear_regression failed")
        shutil.copyfile(Path(run) / "regression_training.png", out / "boston_rooms.png")

    drawn = ["playground.png", "conv_relu_pool.png", "curves.png", "confusion_matrix.png", "kernels.png",
             "feature_maps.png", "predictions.png", *concepts, "boston_rooms.png"]
    for png in (out / name for name in drawn):  # only this script's figures (demo.png and lesson-*.png are others')
        shrink(png)
        size = png.stat().st_size
        print(f"{png}: {size / 1000:.0f} kB")
        if size > MAX_BYTES:
            raise SystemExit(f"{png} is {size} bytes; README figures must stay under {MAX_BYTES}")


if __name__ == "__main__":
    main()
