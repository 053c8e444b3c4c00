"""``glassnet viz KIND ...``: every figure of ``glassnet.viz`` drawn from files into a PNG.

    glassnet viz samples --dataset mnist --out samples.png
    glassnet viz numbers --dataset mnist --index 0          # also prints the numbers
    glassnet viz playground [--image photo.jpg]
    glassnet viz conv-relu-pool [--image photo.jpg] [--kernel Sobel-x]
    glassnet viz kernels runs/lenet5/model.safetensors
    glassnet viz feature-maps runs/lenet5/model.safetensors --dataset mnist --index 3
    glassnet viz curves runs/lenet5/history.json
    glassnet viz confusion runs/lenet5/model.safetensors --dataset mnist
    glassnet viz per-class runs/lenet5/model.safetensors --dataset mnist
    glassnet viz predictions runs/lenet5/model.safetensors --dataset mnist --errors-first
    glassnet viz probabilities runs/lenet5/model.safetensors digit.png
    glassnet viz regression runs/boston/model.safetensors
    glassnet viz architecture lenet5                       # or a model file; also one-hot, gradient-descent
    glassnet viz what-the-computer-sees --index 0          # Module 7: a digit as numbers, as a vector, moved
    glassnet viz shift [--mlp FILE --cnn FILE]             # MLP vs CNN accuracy on digits moved 0..4 px

Files given are only read. Errors are raised as ValueError / FileNotFoundError with
a message for the user; ``glassnet.cli.main`` prints them as one line.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .. import data
from ..backend import DTYPE
from ..data.images import fit_to_input, read_image, read_model_input
from ..demo.inference import framing_for
from ..layers.activations import softmax
from ..metrics import confusion_matrix
from ..i18n import tr
from ..modelfile import load_model_file
from .concept_kinds import add_concept_kinds

DEFAULT_DATASET = "mnist"


def text(key: str, **fields: Any) -> str:
    """A figure's text from the catalogue (``_figure.text``; matplotlib is loaded only when a figure is drawn)."""
    from ._figure import text as figure_text

    return figure_text(key, **fields)


def shown_class_name(name: Any) -> str:
    """A class name in the figure's language (``_figure.shown_class_name``)."""
    from ._figure import shown_class_name as shown

    return shown(name)


# ---------------------------------------------------------------------------------
# Reading what the figures are drawn from
# ---------------------------------------------------------------------------------
def load_dataset(name: str) -> Any:
    """A registered dataset by name ('mnist', 'fashion-mnist', 'boston', ...) via ``glassnet.data.load``."""
    return data.load(name)


def _class_names(metadata: dict[str, Any], dataset: Any = None) -> list[str] | None:
    names = getattr(dataset, "class_names", None) if dataset is not None else None
    names = names or metadata.get("class_names")
    return [str(n) for n in names] if names else None


def _check_fits(x: np.ndarray, model: Any, source: str) -> np.ndarray:
    return fit_to_input(np.asarray(x), tuple(model.input_shape), source)


def _dataset_for_model(args: argparse.Namespace, metadata: dict[str, Any]) -> tuple[str, Any]:
    name = args.dataset or metadata.get("dataset")
    if not name:
        raise ValueError("the model file does not record its dataset; pass --dataset NAME")
    return name, load_dataset(name)


def _split(ds: Any, split: str) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray(ds.x_train), np.asarray(ds.y_train)) if split == "train" else \
        (np.asarray(ds.x_test), np.asarray(ds.y_test))


def _pick(x: np.ndarray, index: int, what: str) -> int:
    if not 0 <= index < len(x):
        raise ValueError(f"--index {index} is outside {what}, which has {len(x)} samples (0 to {len(x) - 1})")
    return index


def probabilities_of(scores: np.ndarray) -> np.ndarray:
    """Class probabilities (N, K) from model outputs (N, K): kept if already probabilities, else softmax."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"model outputs have shape {scores.shape}; expected (N, K) class scores")
    if scores.min(initial=0) >= 0 and np.allclose(scores.sum(axis=1), 1.0, atol=1e-3):
        return scores
    return softmax(scores, axis=1)


def _model_image(model: Any, path: str, invert: str) -> np.ndarray:
    """An image file as one model input (C, H, W), read as ``glassnet predict`` reads it for an MNIST-style model."""
    shape = tuple(model.input_shape)
    if len(shape) != 3:
        raise ValueError(f"the model takes samples of shape {shape}, not images")
    image, _ = read_model_input(path, shape, invert, framing_for(None, shape[1:]))
    return image


def _test_predictions(model: Any, args: argparse.Namespace, metadata: dict[str, Any]):
    """(x_test, y_test, y_pred, class_names, dataset name) for a classifier on its test set."""
    from .training import predicted_classes

    name, ds = _dataset_for_model(args, metadata)
    x, y = np.asarray(ds.x_test), np.asarray(ds.y_test)
    if args.limit:
        x, y = x[: args.limit], y[: args.limit]
    class_names = _class_names(metadata, ds)
    if class_names is None:
        raise ValueError(f"dataset {name!r} has no classes (a regression dataset?); this figure is for classifiers")
    x = _check_fits(x, model, f"dataset {name!r}")
    return x, y.astype(np.int64), predicted_classes(model, x), class_names, name


# ---------------------------------------------------------------------------------
# One function per kind: args -> Figure
# ---------------------------------------------------------------------------------
def draw_samples(args: argparse.Namespace):
    from .samples import plot_samples

    ds = load_dataset(args.dataset)
    x, y = _split(ds, args.split)
    if x.ndim not in (3, 4):
        raise ValueError(f"dataset {args.dataset!r} holds samples of shape {x.shape[1:]}, not images")
    start = _pick(x, args.start, f"the {args.split} set")
    names = _class_names({}, ds)
    labels = y[start : start + args.count] if names else None  # regression targets are no labels
    return plot_samples(x[start : start + args.count], labels, names, max_images=args.count,
                        title=text("fig:samples.title", dataset=args.dataset, split=text(f"fig:split.{args.split}"),
                                   start=start))


def _dataset_image(args: argparse.Namespace) -> tuple[np.ndarray, str | None]:
    """The grey image (1, H, W) --dataset/--split/--index/--channel pick, and its class name (None without classes)."""
    ds = load_dataset(args.dataset)
    x, y = _split(ds, args.split)
    image = x[_pick(x, args.index, f"the {args.split} set")]
    if image.ndim != 3:
        raise ValueError(f"dataset {args.dataset!r} holds samples of shape {image.shape}, not images")
    if image.shape[0] != 1:
        image = image[args.channel : args.channel + 1]
    names = _class_names({}, ds)
    return image, shown_class_name(names[int(y[args.index])]) if names else None


def draw_numbers(args: argparse.Namespace):
    from .samples import image_as_numbers, plot_image_as_numbers

    image, name = _dataset_image(args)
    print(image_as_numbers(image))
    label = text("fig:numbers.label", name=name) if name is not None else ""
    return plot_image_as_numbers(image, title=text("fig:numbers.dataset", dataset=args.dataset, split=args.split,
                                                   split_name=text(f"fig:split.{args.split}"),
                                                   index=args.index, label=label, shape=image.shape, count=image.size))


def draw_what_the_computer_sees(args: argparse.Namespace):
    from .flattening import plot_what_the_computer_sees

    image, name = _dataset_image(args)
    return plot_what_the_computer_sees(image, shift=(args.down, args.right),
                                       title=text("fig:sees.title_label", label=name) if name is not None else None)


def draw_shift(args: argparse.Namespace):
    from .shift import draw_shift_experiment

    return draw_shift_experiment(args, load_dataset(args.dataset))


def draw_kernels(args: argparse.Namespace):
    from .learned import plot_first_layer_kernels

    model, _ = load_model_file(args.model_file)
    return plot_first_layer_kernels(model, max_kernels=args.max_kernels)


def draw_feature_maps(args: argparse.Namespace):
    from .learned import plot_feature_maps

    model, metadata = load_model_file(args.model_file)
    if args.image:
        x = _model_image(model, args.image, args.invert)[None]
    else:
        name = args.dataset or metadata.get("dataset") or DEFAULT_DATASET
        ds = load_dataset(name)
        x_all, _ = _split(ds, args.split)
        x = _check_fits(x_all[_pick(x_all, args.index, f"the {args.split} set") : args.index + 1], model,
                        f"dataset {name!r}")
    return plot_feature_maps(model, x.astype(DTYPE, copy=False), max_maps=args.max_maps)


def draw_playground(args: argparse.Namespace):
    from .playground import plot_kernel_playground

    image = read_image(args.image, size=args.size) if args.image else None
    return plot_kernel_playground(image)


def draw_conv_relu_pool(args: argparse.Namespace):
    from .playground import CLASSIC_KERNELS, plot_conv_relu_pool

    if args.kernel.lower() not in (name.lower() for name in CLASSIC_KERNELS):  # a name is all a command line gives
        raise ValueError(f"unknown kernel {args.kernel!r}; expected one of: {', '.join(CLASSIC_KERNELS)}")
    image = read_image(args.image, size=args.size) if args.image else None
    return plot_conv_relu_pool(image, kernel=args.kernel)


def draw_curves(args: argparse.Namespace):
    from .curves import plot_history

    return plot_history(args.history_file, title=Path(args.history_file).parent.name or None)


def draw_confusion(args: argparse.Namespace):
    from .evaluation import plot_confusion_matrix

    model, metadata = load_model_file(args.model_file)
    _, y, y_pred, names, _ = _test_predictions(model, args, metadata)
    return plot_confusion_matrix(confusion_matrix(y, y_pred, len(names)), names)


def draw_per_class(args: argparse.Namespace):
    from .evaluation import plot_per_class_accuracy

    model, metadata = load_model_file(args.model_file)
    _, y, y_pred, names, _ = _test_predictions(model, args, metadata)
    return plot_per_class_accuracy(confusion_matrix(y, y_pred, len(names)), names)


def draw_predictions(args: argparse.Namespace):
    from .evaluation import plot_predictions

    model, metadata = load_model_file(args.model_file)
    x, y, y_pred, names, _ = _test_predictions(model, args, metadata)
    return plot_predictions(x, y, y_pred, names, max_images=args.count, errors_first=args.errors_first)


def draw_probabilities(args: argparse.Namespace):
    from .evaluation import plot_probabilities

    model, metadata = load_model_file(args.model_file)
    true_label = None
    if args.image:
        x = _model_image(model, args.image, args.invert)[None]
        names = _class_names(metadata)
    else:
        name, ds = _dataset_for_model(args, metadata)
        x_all, y_all = _split(ds, args.split)
        i = _pick(x_all, args.index, f"the {args.split} set")
        x = _check_fits(x_all[i : i + 1], model, f"dataset {name!r}")
        names = _class_names(metadata, ds)
        true_label = int(y_all[i])
    probs = probabilities_of(model.predict(x.astype(DTYPE, copy=False)))[0]
    if names is not None and len(names) != probs.size:
        names = None
    return plot_probabilities(probs, names, image=x[0] if x.ndim == 4 else None, true_label=true_label)


def draw_regression(args: argparse.Namespace):
    from .regression import feature_label, plot_predicted_vs_true, plot_regression

    model, metadata = load_model_file(args.model_file)
    name = args.dataset or metadata.get("dataset") or "boston"
    ds = load_dataset(name)
    x_all, y_all = _split(ds, args.split)
    if x_all.ndim != 2:
        raise ValueError(f"dataset {name!r} has samples of shape {x_all.shape[1:]}; expected a table (N, features)")
    features = [str(f) for f in (getattr(ds, "feature_names", None) or [])]
    inputs = model.input_shape or ()
    if inputs == (x_all.shape[1],) and x_all.shape[1] > 1:
        # a model of every feature: its predictions against the truth, and the line y = x
        predicted = np.asarray(model.predict(x_all.astype(DTYPE, copy=False))).ravel()
        split = text("fig:regression.set", dataset=name, split=text(f"fig:split.{args.split}"))
        return plot_predicted_vs_true(y_all, predicted, title=text("fig:regression.vs_title", split=split,
                                                                   features=x_all.shape[1]))
    if inputs not in ((), (1,)):
        raise ValueError(f"the model takes samples of shape {inputs}; the regression figure needs a model of one "
                         f"feature (--feature) or of all {x_all.shape[1]} features of {name!r}")
    column = features.index(args.feature) if args.feature in features else None
    if column is None:
        if args.feature.isdigit() and int(args.feature) < x_all.shape[1]:
            column = int(args.feature)
        else:
            raise ValueError(f"dataset {name!r} has no feature {args.feature!r}; expected one of {features} "
                             "or a column number")
    x = x_all[:, column].astype(np.float64)
    x_line = np.linspace(x.min(), x.max(), 50).astype(DTYPE)
    y_line = np.asarray(model.predict(x_line[:, None])).ravel()
    label = feature_label(features[column]) if features else text("fig:regression.feature", index=column)
    ylabel = text("fig:regression.price" if getattr(ds, "name", None) == "boston" else "fig:regression.target")
    return plot_regression(x, y_all, x_line, y_line, xlabel=label, ylabel=ylabel,
                           title=text("fig:regression.set", dataset=name, split=text(f"fig:split.{args.split}")))


DRAWERS: dict[str, Callable[[argparse.Namespace], Any]] = {
    "samples": draw_samples,
    "numbers": draw_numbers,
    "kernels": draw_kernels,
    "feature-maps": draw_feature_maps,
    "playground": draw_playground,
    "conv-relu-pool": draw_conv_relu_pool,
    "curves": draw_curves,
    "confusion": draw_confusion,
    "per-class": draw_per_class,
    "predictions": draw_predictions,
    "probabilities": draw_probabilities,
    "regression": draw_regression,
    "what-the-computer-sees": draw_what_the_computer_sees,
    "shift": draw_shift,
}


def _concept(kind: str) -> Callable[[argparse.Namespace], Any]:
    """The drawer of a concept figure (concepts.draw_KIND), its module imported when it is used."""
    def draw(args: argparse.Namespace) -> Any:
        from . import concepts

        return getattr(concepts, "draw_" + kind.replace("-", "_"))(args)
    return draw


DRAWERS.update({kind: _concept(kind) for kind in ("architecture", "one-hot", "gradient-descent")})
"""Every kind of figure ``glassnet viz`` draws, by its sub-command name."""


# ---------------------------------------------------------------------------------
# The parser
# ---------------------------------------------------------------------------------
def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def add_viz_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``viz KIND ...`` on the ``glassnet`` command's sub-parsers; return the ``viz`` parser."""
    viz = subparsers.add_parser(
        "viz", help="draw the course's figures as PNG files",
        description="Draw one of the course's figures from files (a model, a history, a dataset, an image) "
                    "into a PNG. Nothing read is changed.",
    )
    kinds = viz.add_subparsers(dest="kind", metavar="KIND", required=True)

    def kind(name: str, help_text: str) -> argparse.ArgumentParser:
        p = kinds.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--out", metavar="PATH", help=f"PNG file to write (default: {name}.png)")
        return p

    def dataset_args(p: argparse.ArgumentParser, default: str | None, split: str = "test") -> None:
        p.add_argument("--dataset", metavar="NAME", default=default,
                       help="dataset name (see 'glassnet datasets')" + (f"; default {default}" if default else
                                                                     "; default: the one saved with the model"))
        p.add_argument("--split", choices=("train", "test"), default=split, help=f"which part; default {split}")

    def model_image_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index", type=int, default=0, help="sample number in the dataset (default 0)")
        p.add_argument("--invert", choices=("auto", "yes", "no"), default="auto",
                       help="invert a grey image file (auto: when its background is light, as for "
                            "'glassnet predict')")

    p = kind("samples", "a grid of dataset images with their labels")
    dataset_args(p, DEFAULT_DATASET, "train")
    p.add_argument("--count", type=_count, default=24, help="number of images (default 24)")
    p.add_argument("--start", type=int, default=0, help="first sample number (default 0)")

    p = kind("numbers", "one image as its array of numbers (also printed)")
    dataset_args(p, DEFAULT_DATASET, "train")
    p.add_argument("--index", type=int, default=0, help="sample number (default 0)")
    p.add_argument("--channel", type=int, default=0, help="channel of a colour image (default 0)")

    p = kind("kernels", "the first convolution layer's kernels of a saved model")
    p.add_argument("model_file", metavar="MODEL_FILE")
    p.add_argument("--max-kernels", type=_count, default=64, help="at most this many kernels (default 64)")

    p = kind("feature-maps", "the feature maps of one input after every conv, activation and pooling layer")
    p.add_argument("model_file", metavar="MODEL_FILE")
    p.add_argument("--image", metavar="PATH", help="an image file (else a dataset sample)")
    dataset_args(p, None)
    model_image_args(p)
    p.add_argument("--max-maps", type=_count, default=8, help="channels shown per layer (default 8)")

    for name, text in (("playground", "the nine classic 3x3 kernels applied through Conv2D"),
                       ("conv-relu-pool", "one image through conv -> ReLU -> max-pool, with each shape")):
        p = kind(name, text)
        p.add_argument("--image", metavar="PATH", help="an image file (default: the built-in test picture)")
        p.add_argument("--size", type=_count, default=None, help="resize the image to SIZE x SIZE first")
        if name == "conv-relu-pool":
            p.add_argument("--kernel", default="Sobel-x", help="kernel name (default Sobel-x, as in the course)")

    p = kind("curves", "loss and accuracy per epoch, training against validation")
    p.add_argument("history_file", metavar="HISTORY_JSON", help="history.json (or .csv) written by 'glassnet train'")

    for name, text in (("confusion", "the confusion matrix on the test set"),
                       ("per-class", "accuracy of each class on the test set"),
                       ("predictions", "test images with predicted and true labels, errors in red")):
        p = kind(name, text)
        p.add_argument("model_file", metavar="MODEL_FILE")
        dataset_args(p, None)
        p.add_argument("--limit", type=_count, default=None, help="use only the first LIMIT test samples")
        if name == "predictions":
            p.add_argument("--count", type=_count, default=24, help="number of images (default 24)")
            p.add_argument("--errors-first", action="store_true", help="show the misclassified images first")

    p = kind("probabilities", "the class probabilities for one image")
    p.add_argument("model_file", metavar="MODEL_FILE")
    p.add_argument("image", metavar="IMAGE", nargs="?", help="an image file (else --dataset/--index)")
    dataset_args(p, None)
    model_image_args(p)

    p = kind("regression", "data points against the model's line (Boston housing)")
    p.add_argument("model_file", metavar="MODEL_FILE")
    dataset_args(p, None, "train")
    p.add_argument("--feature", default="RM", help="feature on the x axis for a one-input model (default RM, rooms)")

    add_concept_kinds(kind, dataset_args, _count)  # architecture ... shift (concept_kinds.py)

    viz.set_defaults(func=run_viz)
    return viz


def run_viz(args: argparse.Namespace) -> int:
    """Draw the figure ``args.kind`` asks for and write it to ``args.out``; return the exit status 0."""
    from ._figure import save_png

    figure = DRAWERS[args.kind](args)
    out = Path(args.out) if args.out else Path(f"{args.kind}.png")
    save_png(figure, out)
    print(tr("cli:wrote", path=out))
    return 0
