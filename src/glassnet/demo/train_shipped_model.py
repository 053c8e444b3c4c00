"""Reproduce the model the demo ships: LeNet-5 trained by glassnet on MNIST, and its sample digits.

    GLASSNET_DATA_DIR=/path/to/datasets python -m glassnet.demo.train_shipped_model [--epochs 5] [--out DIR]

Training batches are shifted by up to 2 pixels and turned by up to 10 degrees
(``glassnet.data.Augment``): people draw less tidily than MNIST's writers, and this
makes the model more forgiving at no cost in test accuracy. Writes ``lenet5_mnist.safetensors`` (weights + architecture + class names, no optimizer
state: ~250 KB) and ``lenet5_mnist_samples.safetensors`` (the first two test images of
each digit, uint8) into ``--out`` (default: this package folder), then prints the test
accuracy. Seeded: the same glassnet and NumPy give the same weights.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from .. import optimizers, zoo
from ..data import Augment, DataLoader, load_mnist
from .modelfile import SHIPPED_MODEL, SHIPPED_SAMPLES, package_file, save_classifier
from .samples import Samples, save_samples

SAMPLES_PER_CLASS = 2


def pick_samples(images: np.ndarray, labels: np.ndarray, per_class: int = SAMPLES_PER_CLASS) -> Samples:
    """The first ``per_class`` images (N, H, W) uint8 of each label, in label order."""
    chosen = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(int(labels.max()) + 1)])
    return Samples(images=np.ascontiguousarray(images[chosen]), labels=labels[chosen].astype(np.int64))


def main(argv: list[str] | None = None) -> int:
    """Train, report test accuracy, write the two files."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shift", type=int, default=2, help="random shift of training images, pixels")
    parser.add_argument("--rotate", type=float, default=10.0, help="random rotation of training images, degrees")
    parser.add_argument("--out", type=Path, default=package_file(SHIPPED_MODEL).parent)
    args = parser.parse_args(argv)

    data = load_mnist()
    model = zoo.lenet5(seed=args.seed)
    model.name = "lenet5_mnist"
    model.compile(optimizer=optimizers.get("adam", lr=args.lr), loss="cross_entropy", metrics=["accuracy"])
    start = time.perf_counter()
    augment = Augment(shift=args.shift, rotate=args.rotate) if args.shift or args.rotate else None
    batches = DataLoader(data.x_train, data.y_train, batch_size=args.batch_size, shuffle=True, augment=augment)
    model.fit(batches, epochs=args.epochs, verbose=1)
    seconds = time.perf_counter() - start
    predicted = model.predict(data.x_test).argmax(axis=1)
    accuracy = float((predicted == data.y_test).mean())
    print(f"LeNet-5, {args.epochs} epochs Adam lr={args.lr:g} batch {args.batch_size}, {augment}, {seconds:.0f} s: "
          f"test accuracy {accuracy:.4f} ({int((predicted == data.y_test).sum())}/{len(data.y_test)})")

    args.out.mkdir(parents=True, exist_ok=True)
    save_classifier(model, args.out / SHIPPED_MODEL, [str(d) for d in range(10)], dataset="mnist")
    raw = load_mnist(raw=True)
    save_samples(args.out / SHIPPED_SAMPLES, pick_samples(raw.x_test.reshape(-1, 28, 28), raw.y_test))
    print(f"wrote {args.out / SHIPPED_MODEL} and {args.out / SHIPPED_SAMPLES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
