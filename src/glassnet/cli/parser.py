"""The argparse parser of the ``glassnet`` command: every sub-command, its options and its function."""
from __future__ import annotations

import argparse

from ..i18n import LANGUAGES
from ..progress import LOG_FORMATS
from ..version import __version__
from ..bench import add_bench_parser
from ..demo.commands import add_demo_parser
from ..viz.commands import add_viz_parser
from .checkpoint import CHECKPOINT_NAME
from .evaluate import cmd_evaluate
from .help_text import localize
from .export import add_export_parser
from .import_torch import add_import_torch_parser
from .listing import cmd_datasets, cmd_models, cmd_summary
from .predict import cmd_predict
from .sweep import add_sweep_parser
from .train import FALLBACK_DATASET, cmd_train


def _positive_int(text: str) -> int:
    """An option's value as an integer of at least 1 (argparse reports anything else)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``glassnet`` command and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="glassnet",
        description="Train, evaluate and inspect the course's neural networks (glassnet: deep learning in NumPy).",
        epilog="Datasets are looked for in $GLASSNET_DATA_DIR, then the download cache. "
               "Run 'glassnet COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    parser.add_argument("--lang", choices=LANGUAGES,
                        help="language of help, messages, progress and figures (default: $GLASSNET_LANG, else the "
                             "locale: Chinese when LANG starts with zh, e.g. zh_CN.UTF-8)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("train", help="train a zoo model and print the course's test report",
                       description="Train a zoo model on a dataset, write the model, its history and figures "
                                   "to --out, and print the course's test report.")
    p.add_argument("model", metavar="MODEL", help="zoo model name (see 'glassnet models'), e.g. lenet5")
    p.add_argument("--dataset", metavar="NAME",
                   help="dataset name (see 'glassnet datasets'); default: the model's own dataset, or the "
                        f"built-in {FALLBACK_DATASET!r} set when that cannot be had")
    p.add_argument("--epochs", type=_positive_int, help="passes over the training set (default: the model's)")
    p.add_argument("--batch-size", type=_positive_int, help="samples per gradient step (default: the model's)")
    p.add_argument("--lr", type=float, help="learning rate (default: the model's)")
    p.add_argument("--optimizer", choices=["sgd", "adagrad", "rmsprop", "adam"],
                   help="optimizer (default: the model's)")
    p.add_argument("--schedule", choices=["none", "cosine"],
                   help="learning rate over the run: 'none' keeps --lr constant, 'cosine' lowers it along half a "
                        "cosine towards 0. Default: the model's own schedule (see 'glassnet models') when it trains "
                        "with its own optimizer and rate; a constant rate when --optimizer or --lr changes them")
    p.add_argument("--course", action="store_true",
                   help="train with the settings of the lesson the model comes from (its optimizer, rate, batch "
                        "size, epochs; constant rate), printed with the lesson's name; other options still override")
    p.add_argument("--features", metavar="all|NAME[,NAME]",
                   help="the columns of a table dataset to train on (Boston: RM, LSTAT, ...). Default: the model's; "
                        "linear_regression reads RM (rooms), as the Keras lesson, and draws price against rooms; "
                        "'all' gives it the 13 features and a predicted-against-true figure")
    p.add_argument("--seed", type=int, help="random seed for weights and shuffling (default: 0)")
    p.add_argument("--validation-split", type=float, metavar="FRACTION",
                   help="fraction of the training set held out for validation (default: the model's)")
    p.add_argument("--augment", action="store_true",
                   help="random crops (and flips for CIFAR-10) of the training images")
    p.add_argument("--out", metavar="DIR", help="output folder (default: runs/MODEL)")
    p.add_argument("--limit", type=_positive_int, metavar="N",
                   help="use only the first N training and N/2 test samples (quick tries, tests)")
    p.add_argument("--no-figures", action="store_true", help="do not draw figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--log-format", choices=LOG_FORMATS, default="keras",
                   help="what training prints: 'keras' the progress bar; the course's own lines: 'module7' "
                        "(Epoch: 1  Training Loss: ...), 'step8' (epoch=0, total_iteration=...; loss_train=..., "
                        "accuracy_train=...), 'report' (Epoch: 1 Minibatch:     1 loss: ...)")
    p.add_argument("--resume", action="store_true",
                   help=f"continue the unfinished run in --out from its {CHECKPOINT_NAME} (written after every "
                        "epoch, removed when the run finishes) up to --epochs (default: the number first asked for); "
                        "the other settings come from the checkpoint")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="print the course's test report for a saved model",
                       description="Test a saved model: test loss, accuracy per class and overall, "
                                   "confusion matrix.")
    p.add_argument("model_file", metavar="MODEL_FILE", help="a model saved by 'glassnet train' (.safetensors)")
    p.add_argument("--dataset", metavar="NAME", help="dataset to test on (default: the one it was trained on)")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="use only the first N/2 test samples")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="class probabilities for image files",
                       description="Classify PNG or JPEG images (any size, colour or gray): each is converted "
                                   "to the model's input (gray or RGB, resized, scaled to [0, 1]).")
    p.add_argument("model_file", metavar="MODEL_FILE", help="a model saved by 'glassnet train'")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="image files")
    p.add_argument("--invert", choices=["auto", "yes", "no"], default="auto",
                   help="for 1-channel models: invert dark-on-light images (default: auto, when the border is light)")
    p.add_argument("--frame", choices=["auto", "resize"], default="auto",
                   help="for 1-channel models: 'auto' crops the ink and centres it as the training images "
                        "(MNIST: 20x20 box, centre of mass); 'resize' just resizes the whole picture")
    p.add_argument("--sort", action="store_true", help="list classes from most to least likely")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("summary", help="layer table of a zoo model or a saved model",
                       description="Print each layer's output shape and parameter count.")
    p.add_argument("model", metavar="MODEL", help="zoo model name or model file")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("datasets", help="list the datasets", description="List the datasets glassnet can load.")
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("models", help="list the model zoo", description="List the zoo's models.")
    p.set_defaults(func=cmd_models)

    add_sweep_parser(sub)  # 'glassnet sweep': many runs on every core or on Ray (glassnet.sweep)
    add_import_torch_parser(sub)  # 'glassnet import-torch': a PyTorch state_dict into a zoo model
    add_export_parser(sub)  # 'glassnet export': a model file as ONNX or a PyTorch state_dict
    add_viz_parser(sub)  # sets func=run_viz
    add_demo_parser(sub)  # sets func=run_demo
    add_bench_parser(sub)  # 'glassnet bench': the course's conv comparison (sets func=run_bench)
    return localize(parser)  # the help in the language in use (cli/help_text.py)
