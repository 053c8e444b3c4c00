"""The options of ``glassnet viz``'s concept figures: architecture, one-hot, gradient-descent, what-the-computer-sees, shift.

Only argparse here (``glassnet --help`` stays fast); ``commands.add_viz_parser`` hands in its
helpers: ``kind(name, help)`` makes a sub-command with --out, ``dataset_args(parser, default,
split)`` adds --dataset/--split, ``count`` parses a positive integer.
"""
from __future__ import annotations

import argparse
from typing import Callable

Kind = Callable[[str, str], argparse.ArgumentParser]


def add_concept_kinds(kind: Kind, dataset_args: Callable[..., None], count: Callable[[str], int]) -> None:
    """Register the concept figures' sub-commands of ``glassnet viz``."""
    p = kind("architecture", "a model's layers as boxes with their output shapes")
    p.add_argument("model", metavar="MODEL_NAME_OR_FILE", help="a zoo model name (e.g. lenet5) or a model file")
    p.add_argument("--all-layers", action="store_true", help="a box for every layer (no folding of ReLU, BN, ...)")
    p = kind("one-hot", "class labels and their one-hot rows")
    p.add_argument("--labels", default="5,0,4,1,9,2,1,3", help="class labels (default: MNIST's first eight)")
    p.add_argument("--classes", type=count, default=10, help="number of classes (default 10)")
    p = kind("gradient-descent", "gradient descent on L(w) = w² at several learning rates")
    p.add_argument("--rates", default="0.05,0.3,1.05", help="learning rates (default: too small, good, too large)")
    p.add_argument("--start", type=float, default=4.0, help="starting weight (default 4)")
    p.add_argument("--steps", type=int, default=10, help="number of steps (default 10)")

    p = kind("what-the-computer-sees", "a digit, its grid of numbers, the 784-vector an MLP reads, and the vector "
                                       "of the same digit moved a few pixels (Module 7)")
    dataset_args(p, "mnist", "train")
    p.add_argument("--index", type=int, default=0, help="sample number (default 0)")
    p.add_argument("--channel", type=int, default=0, help="channel of a colour image (default 0)")
    p.add_argument("--right", type=int, default=3, help="pixels the second copy is moved right (default 3)")
    p.add_argument("--down", type=int, default=0, help="pixels the second copy is moved down (default 0)")

    p = kind("shift", "test accuracy of an MLP and a CNN on digits moved 0-4 pixels (Module 7's question, measured)")
    p.add_argument("--mlp", metavar="MODEL_FILE", help="the fully connected model (default: the zoo's mlp, trained "
                                                       "here on unmoved images)")
    p.add_argument("--cnn", metavar="MODEL_FILE", help="the convolutional model (default: the zoo's lenet5, trained "
                                                       "here on unmoved images)")
    p.add_argument("--dataset", metavar="NAME", default="mnist",
                   help="dataset name (see 'glassnet datasets'); default mnist")
    p.add_argument("--epochs", type=count, default=2, help="epochs of each model trained here (default 2)")
    p.add_argument("--shifts", default="0,1,2,3,4", help="pixels to move the test digits by (default 0,1,2,3,4)")
    p.add_argument("--limit", type=count, default=None, help="use only the first LIMIT training and test samples")
    p.add_argument("--seed", type=int, default=0, help="seed of the models trained here (default 0)")
    p.add_argument("--index", type=int, default=0, help="test digit drawn at each shift (default 0)")
