"""``glassnet summary``, ``glassnet datasets``, ``glassnet models``: what glassnet has, described."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from .. import zoo
from ..data import DATASETS
from ..modelfile import load_model_file
from ..i18n import CATALOGUES, tr
from .common import EXIT_ERROR, EXIT_OK, model_spec, say


def model_description(name: str) -> str:
    """Zoo model ``name``'s one-line description in the language in use: the catalogue's ``model:NAME``
    (its English is the zoo's ``ModelSpec.description``), else the zoo's own text."""
    key = f"model:{name}"
    return tr(key) if key in CATALOGUES["en"] else zoo.MODELS[name].description


def cmd_summary(args: argparse.Namespace) -> int:
    """glassnet summary MODEL: the layer table of a zoo model or a saved model file."""
    if args.model in zoo.MODELS:
        model = zoo.build(args.model)
        say(f"{args.model}: {model_description(args.model)}")
    elif Path(args.model).is_file():
        model, _ = load_model_file(args.model)
    else:
        if args.model.endswith(".safetensors") or os.sep in args.model:
            raise FileNotFoundError(f"model file not found: {args.model}")
        model_spec(args.model)  # raises the unknown-model error
        return EXIT_ERROR
    say(model.summary_text())
    return EXIT_OK


def cmd_datasets(args: argparse.Namespace) -> int:
    """glassnet datasets: every dataset the loaders know, its shape and classes."""
    width = max(len(n) for n in DATASETS)
    for name, info in DATASETS.items():
        shape = "x".join(map(str, info.input_shape))
        kind = tr("cli:datasets.classes", count=len(info.class_names)) if info.class_names else \
            tr("cli:datasets.regression") if info.task == "regression" else info.task
        source = tr("cli:datasets.files") if info.needs_files else tr("cli:datasets.generated")
        say(f"{name:<{width}}  {info.description}")
        say(f"{'':<{width}}  " + tr("cli:datasets.line", shape=shape, kind=kind, source=source))
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    """glassnet models: the model zoo, with each model's dataset and default training."""
    width = max(len(n) for n in zoo.MODELS)
    for name, spec in zoo.MODELS.items():
        t = spec.training
        say(f"{name:<{width}}  {model_description(name)}")
        say(f"{'':<{width}}  " + tr("cli:models.line", dataset=spec.dataset, optimizer=t.optimizer, lr=f"{t.lr:g}",
                                    epochs=t.epochs, batch=t.batch_size, loss=t.loss))
    return EXIT_OK
