"""``glassnet sweep``: a grid of training runs (settings × seeds) on every core, or on Ray; see glassnet.sweep."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import EXIT_OK, CLIError

_FIXED = ("dataset", "epochs", "batch_size", "lr", "optimizer", "schedule", "features", "seed", "validation_split",
          "limit")


def add_sweep_parser(sub: Any) -> None:
    """Add 'glassnet sweep' to the sub-command parsers ``sub``."""
    p = sub.add_parser(
        "sweep", help="train a grid of runs (settings x seeds) on all cores or on Ray; table of mean ± std",
        description="Train one run per combination of --grid (and of the file's [[trial]] list) with the "
                    "options of 'glassnet train', in worker processes (one thread each) or as Ray tasks. "
                    "--out receives sweep.csv / sweep.json (a row per trial, as each finishes), summary.txt, "
                    "figures and trials/. Run the same command again to skip the finished trials and continue.",
        epilog="example: glassnet sweep lenet5 --dataset mnist --epochs 2 --grid lr=0.01,0.001 seed=0..4 "
               "--out runs/lr-sweep")
    p.add_argument("model", metavar="MODEL", nargs="?",
                   help="zoo model name, or FILE.py:FUNCTION / MODULE:FUNCTION building a model from keyword "
                        "arguments it names (seed, input_shape, num_classes, swept settings); may come from --config")
    p.add_argument("--grid", nargs="+", default=[], metavar="NAME=VALUES",
                   help="settings to combine: comma lists and integer ranges, e.g. lr=0.01,0.001 seed=0..4 "
                        "optimizer=sgd,adam model=color_dnn,color_cnn (any option of 'glassnet train')")
    p.add_argument("--config", metavar="FILE.toml",
                   help="a sweep file: top-level settings (model, dataset, epochs, out, workers, ...), a [grid] "
                        "table of lists and/or [[trial]] tables; command-line options override it")
    p.add_argument("--dataset", metavar="NAME", help="dataset of every trial (default: each model's own)")
    p.add_argument("--epochs", type=int, help="epochs of every trial (default: the model's)")
    p.add_argument("--batch-size", type=int, help="batch size of every trial")
    p.add_argument("--lr", type=float, help="learning rate of every trial")
    p.add_argument("--optimizer", choices=["sgd", "adagrad", "rmsprop", "adam"])
    p.add_argument("--schedule", choices=["none", "cosine"])
    p.add_argument("--course", action="store_true", default=None, help="the lesson's own settings (see glassnet train)")
    p.add_argument("--features", metavar="all|NAME[,NAME]")
    p.add_argument("--seed", type=int, help="seed of every trial (sweep seeds with --grid seed=0..4)")
    p.add_argument("--validation-split", type=float, metavar="FRACTION")
    p.add_argument("--augment", action="store_true", default=None)
    p.add_argument("--limit", type=int, metavar="N", help="first N training and N/2 test samples (quick tries)")
    p.add_argument("--out", metavar="DIR", help="the sweep's folder (default: runs/sweep-MODEL)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes, one glassnet thread each (default: one per core; 1: one trial at a "
                        "time in this process)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run each trial as a Ray task: on the cluster at ADDRESS, or a local Ray instance "
                        "(needs pip install \"glassnet[ray]\"; --out must be a path every machine sees)")
    p.add_argument("--no-figures", action="store_true", help="do not draw the sweep's figures")
    p.add_argument("--quiet", action="store_true", help="print only the summary table")
    p.set_defaults(func=cmd_sweep)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The train options given on the command line (as glassnet train names them)."""
    given = {k: getattr(args, k) for k in _FIXED if getattr(args, k) is not None}
    given.update({k: True for k in ("course", "augment") if getattr(args, k)})
    return given


def cmd_sweep(args: argparse.Namespace) -> int:
    """glassnet sweep MODEL --grid NAME=VALUES ... [--out DIR] [--workers N | --ray [ADDRESS]]."""
    # here, not at the top: glassnet.sweep runs 'glassnet train' (glassnet.cli), which imports this module
    from ..sweep import RayMissing, load_toml, parse_grid, sweep
    from ..sweep.grid import TRAIN_OPTIONS

    file: dict[str, Any] = {"fixed": {}, "grid": {}, "trials": [], "sweep": {}}
    if args.config:
        try:
            file = load_toml(args.config)
        except OSError as error:
            raise CLIError(f"cannot read sweep file {args.config}: {error.strerror or error}") from None
        except ValueError as error:  # tomllib.TOMLDecodeError is a ValueError
            raise CLIError(f"{args.config}: {error}") from None
    fixed = {**file["fixed"], **_given(args)}
    model = args.model or fixed.pop("model", None)
    fixed.pop("model", None)
    grid = {**file["grid"], **parse_grid(args.grid)}
    if model is None and "model" not in grid and not any("model" in t for t in file["trials"]):
        raise CLIError("no model: give MODEL, a 'model' in the --config file, or --grid model=NAME,NAME")
    unknown = sorted(set(fixed) - set(TRAIN_OPTIONS))
    if unknown and model is not None and ":" not in str(model):
        raise CLIError(f"{args.config}: unknown setting(s) {', '.join(unknown)}")
    options = file["sweep"]
    name = str(model or "grid").split(":")[-1]
    out = Path(args.out or options.get("out") or f"runs/sweep-{name}")
    workers = args.workers if args.workers is not None else options.get("workers")
    if workers is not None and int(workers) < 1:
        raise CLIError(f"--workers must be at least 1, got {workers}")
    ray = args.ray if args.ray is not None else options.get("ray")
    ray = (ray or True) if ray is not None and ray is not False else None  # '' or true: a local Ray instance
    try:
        sweep(model, grid=grid, trials=file["trials"], out=out, workers=workers, ray=ray,
              figures=not (args.no_figures or options.get("figures") is False), quiet=args.quiet, **fixed)
    except RayMissing as error:
        raise CLIError(str(error)) from None
    return EXIT_OK
