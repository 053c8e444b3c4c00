"""A sweep's figures, drawn with glassnet.viz's figure helpers (headless, saved atomically).

``plot_sweep``: the compared number (test accuracy, say) against one swept setting, each
seed a dot and the mean ± std a bar, one line per combination of the other settings.
``plot_sweep_curves``: loss and the main metric per epoch, one line per setting (the mean
over its seeds) in a band from the lowest to the highest seed.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from ..i18n import tr
from ..viz._figure import finish, new_figure
from .results import group_rows, main_metric, mean_std


def _label(setting: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in setting.items()) or tr("sweep:all_trials")


def plot_sweep(rows: Sequence[Mapping[str, Any]], setting: str, swept: Sequence[str], metric: str | None = None,
               path: str | os.PathLike[str] | None = None) -> Any:
    """``metric`` (default: test accuracy, else test loss) of the rows against swept ``setting``; returns the Figure."""
    rows = [r for r in rows if r.get("status") == "ok"]
    metric = metric or main_metric(rows)
    values: list[Any] = []
    for row in rows:
        if row["settings"].get(setting) not in values:
            values.append(row["settings"].get(setting))
    others = [k for k in swept if k not in (setting, "seed")]
    fig = new_figure(7, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    scale = 100.0 if metric.endswith("accuracy") else 1.0
    groups = group_rows(rows, others, over="seed")
    for index, (other, group) in enumerate(groups):
        shift = (index - (len(groups) - 1) / 2) * 0.08
        means, stds = [], []
        for position, value in enumerate(values):
            numbers = [scale * float(r[metric]) for r in group if r["settings"].get(setting) == value and metric in r]
            ax.scatter([position + shift] * len(numbers), numbers, s=14, alpha=0.45, color=f"C{index}")
            mean, std = mean_std(numbers)
            means.append(mean)
            stds.append(std)
        ax.errorbar(np.arange(len(values)) + shift, means, yerr=stds, marker="o", capsize=4, color=f"C{index}",
                    label=_label(other) if others else tr("sweep:mean_std"))
    ax.set_xticks(range(len(values)), [str(v) for v in values])
    ax.set_xlabel(setting)
    ax.set_ylabel(f"{metric} (%)" if scale == 100.0 else metric)
    ax.set_title(tr("sweep:figure_title", metric=metric, setting=setting))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return finish(fig, path)


def _curve_band(histories: Sequence[Mapping[str, Any]], key: str) -> tuple[np.ndarray, ...] | None:
    curves = [[float(v) if isinstance(v, (int, float)) else math.nan for v in h.get(key, [])] for h in histories]
    curves = [c for c in curves if c]
    if not curves:
        return None
    length = min(len(c) for c in curves)
    stacked = np.array([c[:length] for c in curves], dtype=np.float64)
    return np.arange(1, length + 1), stacked.mean(axis=0), stacked.min(axis=0), stacked.max(axis=0)


def plot_sweep_curves(rows: Sequence[Mapping[str, Any]], swept: Sequence[str],
                      path: str | os.PathLike[str] | None = None) -> Any:
    """Loss and the first metric per epoch for each setting (mean over seeds, band: lowest to highest); the Figure."""
    rows = [r for r in rows if r.get("status") == "ok" and r.get("history")]
    keys = [k for k in (rows[0]["history"] if rows else {}) if k != "lr" and not k.startswith("val_")]
    keys = keys[:2] or ["loss"]
    fig = new_figure(5 * len(keys), 4)
    axes = [fig.add_subplot(1, len(keys), i + 1) for i in range(len(keys))]
    for index, (setting, group) in enumerate(group_rows(rows, swept, over="seed")):
        histories = [r["history"] for r in group]
        for ax, key in zip(axes, keys):
            for prefix, style in (("", "-"), ("val_", "--")):
                band = _curve_band(histories, prefix + key)
                if band is None:
                    continue
                epochs, mean, low, high = band
                ax.plot(epochs, mean, style, color=f"C{index}",
                        label=_label(setting) + (f" ({tr('sweep:validation')})" if prefix else ""))
                ax.fill_between(epochs, low, high, color=f"C{index}", alpha=0.15)
    for ax, key in zip(axes, keys):
        ax.set_xlabel(tr("sweep:epoch"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    axes[0].set_title(tr("sweep:curves_title"))
    axes[-1].legend(fontsize="small")
    return finish(fig, path)


def write_sweep_figures(rows: Sequence[Mapping[str, Any]], swept: Sequence[str], out: str | Path) -> list[Path]:
    """sweep_<setting>.png for each swept setting but the seed (all trials' when only seeds vary) and
    sweep_curves.png in ``out``; returns the files written (none when no trial succeeded)."""
    if not any(r.get("status") == "ok" for r in rows):
        return []
    out = Path(out)
    written = []
    for setting in [k for k in swept if k != "seed"] or ["seed"]:
        path = out / f"sweep_{setting}.png"
        plot_sweep(rows, setting, swept, path=path)
        written.append(path)
    plot_sweep_curves(rows, swept, path=out / "sweep_curves.png")
    written.append(out / "sweep_curves.png")
    return written
