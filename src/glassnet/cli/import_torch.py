"""``glassnet import-torch STATE.safetensors --model lenet5 --out model.safetensors``: PyTorch weights into a zoo model.

The zoo model is built for the dataset's classes and image shape, filled from the
state_dict (``glassnet.interop.load_torch_state_dict``) and saved as a glassnet model
file with its model name, dataset and class names, so that ``glassnet evaluate``,
``glassnet predict`` and ``glassnet demo`` take it as they take a model glassnet trained.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import zoo
from ..data import DATASETS, dataset_key
from ..interop import load_torch_state_dict
from ..io import save_model
from .common import EXIT_OK, CLIError, model_spec, say


def add_import_torch_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``import-torch`` sub-command."""
    p = sub.add_parser("import-torch", help="turn a PyTorch state_dict (.safetensors) into a glassnet model file",
                       description="Load a PyTorch state_dict saved with safetensors.torch.save_file(net.state_dict(), "
                                   "PATH) into a zoo model of the same architecture and save it as a glassnet model "
                                   "(for evaluate, predict and demo). Pickles (.pt, .pth) are refused.")
    p.add_argument("state", metavar="STATE", help="the state_dict as a .safetensors file")
    p.add_argument("--model", required=True, metavar="MODEL", help="zoo model name of the same architecture, e.g. lenet5")
    p.add_argument("--dataset", metavar="NAME", help="dataset the weights were trained on (default: the model's)")
    p.add_argument("--out", required=True, metavar="FILE", help="the glassnet model file to write (.safetensors)")
    p.add_argument("--prefixes", metavar="NAMES",
                   help="the PyTorch module names in layer order, comma-separated (default: the file's names in "
                        "natural order, e.g. conv1,conv2,fc1,fc2,fc3)")
    p.set_defaults(func=cmd_import_torch)


def cmd_import_torch(args: argparse.Namespace) -> int:
    """glassnet import-torch STATE --model NAME --out FILE: build, fill from the state_dict, save."""
    spec = model_spec(args.model)
    key = dataset_key(args.dataset or spec.dataset)
    info = DATASETS[key]
    out = Path(args.out)
    if out.suffix.lower() != ".safetensors":
        raise CLIError(f"--out {out}: a glassnet model file ends in .safetensors")
    if not out.parent.is_dir():
        raise CLIError(f"--out {out}: folder {out.parent} does not exist")
    class_names = list(info.class_names) or None
    model = zoo.build(args.model, num_classes=len(class_names) if class_names else None,
                      input_shape=info.input_shape, seed=0)
    prefixes = [p.strip() for p in args.prefixes.split(",")] if args.prefixes else None
    load_torch_state_dict(model, args.state, prefixes=prefixes)
    training = spec.training_for(key)
    model.compile(optimizer=training.make_optimizer(), loss=training.loss, metrics=list(training.metrics))
    metadata = {"model": args.model, "dataset": key, "class_names": class_names, "source": str(args.state)}
    save_model(model, out, include_optimizer=False, metadata=metadata)
    say(f"{args.model} with the weights of {args.state} ({model.count_params():,} parameters) -> {out}")
    return EXIT_OK
