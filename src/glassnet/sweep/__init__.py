"""``glassnet.sweep``: many training runs of one experiment, on every core or on a Ray cluster.

    import glassnet as gn
    result = gn.sweep("color_dnn", grid={"optimizer": ["sgd", "adam"], "seed": range(10)},
                      epochs=20, out="runs/color-dnn")
    print(result.summary)          # mean ± std of the test accuracy over the seeds, per optimizer

A trial is one training run: a zoo model trained as ``glassnet train`` trains it, or a
model-building function of yours (``model=my_net``, or ``"my_nets.py:my_net"`` on the command
line) fitted on ``dataset``. Its settings are the sweep's fixed ones (keyword arguments: any
option of ``glassnet train``) with one combination of ``grid`` (and one entry of ``trials``,
an explicit list). Trials run in worker processes (``workers``, default one per core), one
glassnet thread each; ``workers=1`` runs them here, one after another; ``ray=True`` (or an
address) sends each to Ray as a task. Every trial trains on one thread, so its numbers are
the same whichever way it ran.

``out`` receives trials/NAME/ (each trial's model, history, report and log), sweep.json and
sweep.csv (a row per trial, written as each finishes), summary.txt and the figures. Running
the same sweep again skips the trials whose row says 'ok', tries failed ones again and
continues an interrupted one from its last epoch.

Note: ``glassnet.sweep`` is this function; its modules are imported by their full names
(``from glassnet.sweep.grid import parse_grid``).
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fileio import write_atomic
from ..i18n import tr
from ..version import __version__
from .grid import check_settings, expand, load_toml, parse_grid, settings_key, swept_names, trial_name
from .results import Results, main_metric, summary_table
from .runners import RayMissing, default_workers, run_local, run_ray, run_serial
from .trial import builder_parameters, load_builder

__all__ = ["SweepResult", "RayMissing", "sweep", "load_toml", "parse_grid"]

SUMMARY_NAME = "summary.txt"


@dataclass
class SweepResult:
    """What a sweep leaves: its rows (one per trial, in grid order), the printed summary, its folder and figures."""

    rows: list[dict[str, Any]]
    summary: str
    out: Path
    swept: list[str]
    skipped: int = 0
    figures: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The rows of the trials that failed."""
        return [r for r in self.rows if r.get("status") != "ok"]


def _builder_of(model: Any) -> tuple[str, Callable[..., Any] | None, bool]:
    """(the name recorded in the settings, the function or None for a zoo model, whether to send the function
    itself to the workers: a 'file.py:function' name is loaded again there, a function object is pickled)."""
    if callable(model):
        return f"{model.__module__}:{model.__qualname__}", model, True
    name = str(model)
    return name, (load_builder(name) if ":" in name else None), False


def _plan(model: Any, grid: Mapping[str, Iterable[Any]] | None, trials: Sequence[Mapping[str, Any]] | None,
          settings: Mapping[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Callable[..., Any]]]:
    """Every trial's checked settings (duplicates once) and the model-building functions by their names."""
    lists: dict[str, list[Any]] = {k: list(v) for k, v in (grid or {}).items()}
    models = lists.pop("model", None)
    fixed = {**({"model": model} if model is not None else {}), **settings}
    builders: dict[str, Callable[..., Any]] = {}
    planned, keys = [], set()
    for one in expand(fixed, {**({"model": models} if models else {}), **lists}, trials):
        if one.get("model") is None:
            raise ValueError(tr("sweep:no_model"))
        name, builder, send = _builder_of(one["model"])
        one["model"] = name
        extra = builder_parameters(builder) if builder is not None else []
        if send and builder is not None:
            builders[name] = builder
        checked = check_settings(one, extra)
        key = settings_key(checked)
        if key not in keys:
            keys.add(key)
            planned.append(checked)
    return planned, builders


def _say(quiet: bool, text: str = "") -> None:
    if not quiet:
        print(text, flush=True)


def _row_line(row: Mapping[str, Any], swept: Sequence[str], metric: str, done: int, total: int) -> str:
    """'[3/8] lr=0.01 seed=2: test_accuracy 81.20 % (5.1 s)' or '... failed: ValueError: ...'."""
    setting = " ".join(f"{k}={row['settings'].get(k)}" for k in swept) or row["trial"]
    if row.get("status") != "ok":
        return tr("sweep:row_failed", done=done, total=total, setting=setting, error=row.get("error", ""))
    value = row.get(metric)
    shown = "-" if value is None else f"{100 * value:.2f} %" if metric.endswith("accuracy") else f"{value:.4g}"
    return tr("sweep:row_done", done=done, total=total, setting=setting, metric=metric, value=shown,
              seconds=f"{row.get('seconds', 0):.1f}", runner=row.get("runner", ""))


def sweep(model: Any = None, *, grid: Mapping[str, Iterable[Any]] | None = None,
          trials: Sequence[Mapping[str, Any]] | None = None, out: str | Path = "runs/sweep",
          workers: int | None = None, ray: bool | str | None = None, figures: bool = True, quiet: bool = False,
          **settings: Any) -> SweepResult:
    """Run every trial of ``grid`` × ``trials`` with ``settings`` (train options) on ``model``; record them in ``out``.

    ``model``: a zoo name, a model-building function (or 'file.py:function'), or None when the
    grid sweeps 'model'. ``workers``: processes (default: one per core; 1: here, in turn).
    ``ray``: True for a local Ray instance, or a cluster's address. Returns a SweepResult.
    """
    planned, builders = _plan(model, grid, trials, settings)
    swept = swept_names(planned)
    out = Path(out)
    description = {"grid": {k: list(v) for k, v in (grid or {}).items()}, "fixed": {
        k: v for k, v in settings.items()}, "swept": swept, "glassnet_version": __version__}
    results = Results(out, description)
    tasks: list[dict[str, Any]] = []
    for one in planned:
        name, key = trial_name(one, swept), settings_key(one)
        tasks.append({"settings": one, "key": key, "name": name, "folder": str((out / "trials" / name).resolve()),
                      "builder": builders.get(one["model"])})
    todo = [t for t in tasks if not results.finished(t["key"])]
    skipped = len(tasks) - len(todo)
    workers = default_workers() if workers is None else max(1, int(workers))
    where = tr("sweep:where_ray", address=ray if isinstance(ray, str) and ray else tr("sweep:local_ray")) if ray \
        else tr("sweep:where_serial") if workers == 1 or len(todo) <= 1 else tr("sweep:where_local", workers=workers)
    _say(quiet, tr("sweep:start", trials=len(tasks), swept=", ".join(swept) or "-", out=str(out), where=where))
    if skipped:
        _say(quiet, tr("sweep:skipping", skipped=skipped, json=str(out / "sweep.json")))
    metric = "test_accuracy"
    done = skipped

    def on_result(row: dict[str, Any]) -> None:
        """Record a finished trial's row at once (sweep.json, sweep.csv) and print its line."""
        nonlocal done, metric
        done += 1
        results.add(row)
        metric = main_metric([row]) if row.get("status") == "ok" else metric
        _say(quiet, _row_line(row, swept, metric, done, len(tasks)))

    if todo:
        results.save()
        _check_picklable(todo, ray, workers)
        try:
            if ray:
                run_ray(todo, on_result, address=ray if isinstance(ray, str) and ray else None)
            elif workers == 1 or len(todo) == 1:
                run_serial(todo, on_result)
            else:
                run_local(todo, on_result, workers)
        except KeyboardInterrupt as error:  # Ctrl-C, or the command's SIGTERM (a subclass): say what was kept
            raise type(error)(tr("sweep:interrupted", done=done, total=len(tasks),
                                 json=str(out / "sweep.json"))) from None
    rows = results.of(t["key"] for t in tasks)
    table = summary_table(rows, swept)
    write_atomic(out / SUMMARY_NAME, table + "\n")
    written = []
    if figures:
        from .figures import write_sweep_figures  # loads matplotlib

        written = write_sweep_figures(rows, swept, out)
    _say(quiet)
    _say(quiet, table)
    failed = sum(r.get("status") != "ok" for r in rows)
    _say(quiet, tr("sweep:wrote", out=str(out), figures=len(written)))
    if failed:
        _say(quiet, tr("sweep:failed_note", failed=failed, log="log.txt"))
    return SweepResult(rows, table, out, swept, skipped, written)


def _check_picklable(tasks: Sequence[Mapping[str, Any]], ray: Any, workers: int) -> None:
    """Worker processes import a model-building function by name: one defined inside a function cannot be."""
    if ray or workers == 1:
        return
    for task in tasks:
        builder = task.get("builder")
        if builder is not None and ("<locals>" in builder.__qualname__ or "<lambda>" in builder.__qualname__):
            raise ValueError(tr("sweep:local_builder", name=builder.__qualname__))
        if builder is not None and builder.__module__ == "__main__" and not getattr(sys.modules["__main__"],
                                                                                   "__file__", None):
            raise ValueError(tr("sweep:local_builder", name=builder.__qualname__))
