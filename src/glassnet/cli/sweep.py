"""``glassnet sweep``: a grid of training runs (settings × seeds) on every core, or on Ray; see glassnet.sweep."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..i18n import tr
from .common import EXIT_OK, CLIError

_FIXED = ("dataset", "epochs", "batch_size", "lr", "optimizer", "schedule", "features", "seed", "validation_split",
          "limit")


def add_sweep_parser(sub: Any) -> None:
    """Add 'glassnet sweep' to the sub-command parsers ``sub`` (texts from the catalogue: help:sweep.*)."""
    p = sub.add_parser("sweep", help=tr("help:sweep"), description=tr("help:sweep.description"),
                       epilog=tr("help:sweep.epilog"))

    def add(name: str, **kwargs: Any) -> None:
        """One argument, its help the catalogue's help:sweep.<dest>."""
        dest = name.lstrip("-").replace("-", "_")
        p.add_argument(name, help=tr(f"help:sweep.{dest}"), **kwargs)

    add("model", metavar="MODEL", nargs="?")
    add("--grid", nargs="+", default=[], metavar="NAME=VALUES")
    add("--config", metavar="FILE.toml")
    add("--dataset", metavar="NAME")
    add("--epochs", type=int)
    add("--batch-size", type=int)
    add("--lr", type=float)
    add("--optimizer", choices=["sgd", "adagrad", "rmsprop", "adam"])
    add("--schedule", choices=["none", "cosine"])
    add("--course", action="store_true", default=None)
    add("--features", metavar="all|NAME[,NAME]")
    add("--seed", type=int)
    add("--validation-split", type=float, metavar="FRACTION")
    add("--augment", action="store_true", default=None)
    add("--limit", type=int, metavar="N")
    add("--out", metavar="DIR")
    add("--workers", type=int, metavar="N")
    add("--ray", nargs="?", const="", default=None, metavar="ADDRESS")
    add("--no-figures", action="store_true")
    add("--quiet", action="store_true")
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

    file: dict[str, Any] = {"fixed": {}, "grid": {}, "trials": [], "sweep": {}}
    if args.config:
        try:
            file = load_toml(args.config)
        except OSError as error:
            raise CLIError(tr("sweep:cannot_read", path=args.config, why=error.strerror or error)) from None
        except ValueError as error:  # tomllib.TOMLDecodeError is a ValueError
            raise CLIError(f"{args.config}: {error}") from None
    fixed = {**file["fixed"], **_given(args)}
    model = args.model or fixed.pop("model", None)
    fixed.pop("model", None)
    grid = {**file["grid"], **parse_grid(args.grid)}
    if model is None and "model" not in grid and not any("model" in t for t in file["trials"]):
        raise CLIError(tr("sweep:no_model"))
    options = file["sweep"]
    name = str(model or "grid").split(":")[-1]
    out = Path(args.out or options.get("out") or f"runs/sweep-{name}")
    workers = args.workers if args.workers is not None else options.get("workers")
    if workers is not None and int(workers) < 1:
        raise CLIError(tr("sweep:bad_workers", workers=workers))
    ray = args.ray if args.ray is not None else options.get("ray")
    ray = (ray or True) if ray is not None and ray is not False else None  # '' or true: a local Ray instance
    try:
        sweep(model, grid=grid, trials=file["trials"], out=out, workers=workers, ray=ray,
              figures=not (args.no_figures or options.get("figures") is False), quiet=args.quiet, **fixed)
    except RayMissing as error:
        raise CLIError(str(error)) from None
    return EXIT_OK
