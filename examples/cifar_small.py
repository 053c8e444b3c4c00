"""CIFAR-10 format: the PyTorch tutorial's CIFAR net and the report's VGG on small generated data, written and read back.

The course trained on the real CIFAR-10 (50,000 + 10,000 colour images, 32x32, 10 classes):
step 8's Keras CNN reached 63.61 % after 10 epochs (half an hour on a CPU); the report
trained the PyTorch tutorial's net (conv 6@5x5, conv 16@5x5, 120, 84, 10; Adam 0.001,
batch 64, 10 epochs) and its VGG (cfg [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512,
512, 'M']: 8 conv 3x3 + BatchNorm + ReLU, then Linear(512, 10), zoo name vgg_report; batch
128, random crop and flip, 10 epochs) on a GPU; their accuracies are only in its screenshots.

This machine has no copy of CIFAR-10 and no internet, so this example makes a small
stand-in with the same format and the same reader: 10 classes (5 shapes x warm or cool
colours, random hue, on a noisy gray background), written as CIFAR-10 binary files
(data_batch_1..5.bin and test_batch.bin, records of 1 label byte + 3,072 pixel bytes,
R, G, B planes) and loaded back with glassnet.data.load_cifar10. It shows both networks
learning: the loss falls and the test accuracy rises far above chance (10 %). It says
nothing about the accuracy on the real CIFAR-10.

    python examples/cifar_small.py                    # cifar_net and vgg_report, 10 epochs each
    python examples/cifar_small.py --quick
"""
import tempfile
from pathlib import Path

import numpy as np

from glassnet import data

from _common import parse_args, result, course_report, train

N_TRAIN, N_TEST = 2000, 500
CLASS_NAMES = tuple(f"{shape} {tone}" for shape in data.synthetic.SHAPES for tone in ("warm", "cool"))
"""What label k means here: shape k // 2 in a warm (k even) or cool (k odd) colour."""


def make_images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, 3, 32, 32) uint8 and labels (n,) in 0..9: label = 2 * shape + (0 warm, 1 cool colour)."""
    labels = rng.permutation(np.arange(n) % 10)
    masks = data.synthetic.draw_shapes(labels // 2, rng, size=32)[:, None].astype(np.float32)  # (n, 1, 32, 32)
    warm = rng.uniform([0.7, 0.0, 0.0], [1.0, 0.7, 0.3], (n, 3))  # reds, oranges, yellows
    colour = np.where((labels % 2 == 0)[:, None], warm, warm[:, ::-1])  # cool: the same, B and R swapped
    background = rng.uniform(0.2, 0.6, (n, 1, 1, 1)) + rng.normal(0.0, 0.08, (n, 3, 32, 32))
    images = background * (1 - masks) + colour[:, :, None, None] * masks
    return np.clip(images * 255 + 0.5, 0, 255).astype(np.uint8), labels.astype(np.uint8)


def write_cifar10_binary(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """One CIFAR-10 binary batch file: per image 1 label byte, then its R, G and B planes (3,072 bytes)."""
    records = np.concatenate([labels[:, None], images.reshape(len(images), -1)], axis=1)
    path.write_bytes(records.astype(np.uint8).tobytes())


def write_dataset(folder: Path, n_train: int, n_test: int, seed: int) -> None:
    """data_batch_1..5.bin (n_train images in all) and test_batch.bin (n_test) in ``folder``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, 6):
        write_cifar10_binary(folder / f"data_batch_{i}.bin", *make_images(n_train // 5, rng))
    write_cifar10_binary(folder / "test_batch.bin", *make_images(n_test, rng))


def main() -> None:
    args = parse_args(__doc__, epochs=10)
    n_train, n_test = (50, 20) if args.quick else (N_TRAIN, N_TEST)
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(Path(tmp) / "cifar-10", n_train, n_test, seed=args.seed)
        # verify=False: the official files' SHA-256 checks would (rightly) reject these; the format is checked.
        ds = data.load_cifar10(data_dir=tmp, cache_dir=tmp, download=False, verify=False)
    print(f"Wrote and read back {len(ds.x_train)} training and {len(ds.x_test)} test images in CIFAR-10 "
          f"binary format: x {ds.x_train.shape} {ds.x_train.dtype}, labels 0-9 = {', '.join(CLASS_NAMES)}")

    for name in ("cifar_net", "vgg_report"):
        print(f"\n=== {name} ===")
        model, history, seconds = train(name, ds.x_train, ds.y_train, epochs=args.epochs, seed=args.seed,
                                        validation_data=(ds.x_test, ds.y_test))
        text, accuracy = course_report(model, ds.x_test, ds.y_test, CLASS_NAMES)
        print(text)
        losses = history.history["loss"]
        result(f"{name} on generated CIFAR-format data",
               f"loss {losses[0]:.2f} -> {losses[-1]:.2f}, test accuracy {accuracy:.2%} (chance 10%)",
               "real CIFAR-10: not available here", args.epochs, seconds, args.seed)


if __name__ == "__main__":
    main()
