"""A sweep's results: sweep.json and sweep.csv in its --out folder, rewritten whole after every trial.

sweep.json holds ``{"sweep": {...what was asked...}, "trials": [row, ...]}``; a row is one trial:
its name (its folder under trials/), its key (its settings as canonical JSON), status ('ok' or
'failed') and error, its settings, its numbers (test_*, final_*, best_*, epochs_run,
train_seconds, seconds), glassnet's version, when it finished and where it ran, and its
history. sweep.csv is the same rows without the histories, one column per setting and number.
Both are written through ``glassnet.fileio`` (a temporary file, then a rename), so an
interrupted sweep leaves the files of its last finished trial, never half a file.
"""
from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..fileio import write_atomic
from ..i18n import tr

JSON_NAME, CSV_NAME = "sweep.json", "sweep.csv"
FIRST_COLUMNS = ("trial", "status")
LAST_COLUMNS = ("seconds", "train_seconds", "epochs_run", "glassnet_version", "runner", "finished", "key", "error")


def _clean(value: Any) -> Any:
    """NaN and infinities as strings ('nan'), which JSON cannot hold as numbers; containers inside too."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class Results:
    """The rows of a sweep folder by trial key: read back on start, saved after each new row."""

    def __init__(self, out: str | Path, description: Mapping[str, Any] | None = None):
        self.out = Path(out)
        self.description = dict(description or {})
        self.rows: dict[str, dict[str, Any]] = {}
        path = self.out / JSON_NAME
        if path.is_file():
            for row in json.loads(path.read_text(encoding="utf-8")).get("trials", []):
                self.rows[row["key"]] = row

    def finished(self, key: str) -> bool:
        """Whether trial ``key`` has a successful result already (a failed one is tried again)."""
        row = self.rows.get(key)
        return row is not None and row.get("status") == "ok"

    def add(self, row: Mapping[str, Any]) -> None:
        """Record one trial's row (replacing an earlier row of the same key) and save both files."""
        self.rows[row["key"]] = dict(row)
        self.save()

    def save(self) -> None:
        """Write sweep.json and sweep.csv, each atomically."""
        self.out.mkdir(parents=True, exist_ok=True)
        document = {"sweep": self.description, "trials": list(self.rows.values())}
        write_atomic(self.out / JSON_NAME, json.dumps(_clean(document), indent=1) + "\n")
        write_atomic(self.out / CSV_NAME, csv_text(self.rows.values()))

    def of(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        """The rows of ``keys`` that are recorded, in that order."""
        return [self.rows[k] for k in keys if k in self.rows]


def csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as CSV: trial, status, the settings, the numbers, then time, version and error; no histories."""
    rows = list(rows)
    settings = _ordered(k for row in rows for k in row.get("settings", {}))
    numbers = _ordered(k for row in rows for k in row if k not in ("settings", "history", *FIRST_COLUMNS,
                                                                    *LAST_COLUMNS))
    header = [*FIRST_COLUMNS, *settings, *numbers, *LAST_COLUMNS]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        values = {**row, **{k: v for k, v in row.get("settings", {}).items()}}
        writer.writerow(["" if values.get(k) is None else values.get(k) for k in header])
    return out.getvalue()


def _ordered(names: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen


def main_metric(rows: Sequence[Mapping[str, Any]]) -> str:
    """The number a summary compares: test_accuracy when the trials have it, else test_loss."""
    return "test_accuracy" if any("test_accuracy" in r for r in rows) else "test_loss"


def group_rows(rows: Sequence[Mapping[str, Any]], swept: Sequence[str],
               over: str = "seed") -> list[tuple[dict[str, Any], list[Mapping[str, Any]]]]:
    """[(setting, its rows)]: the rows grouped by every swept setting but ``over``, in first-seen order."""
    groups: dict[str, tuple[dict[str, Any], list[Mapping[str, Any]]]] = {}
    for row in rows:
        setting = {k: row["settings"].get(k) for k in swept if k != over}
        groups.setdefault(json.dumps(setting, sort_keys=True, default=str), (setting, []))[1].append(row)
    return list(groups.values())


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n - 1; 0 for one value) of the finite values; NaN when none."""
    finite = [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    if not finite:
        return math.nan, math.nan
    mean = sum(finite) / len(finite)
    if len(finite) == 1:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in finite) / (len(finite) - 1))


def _spread(metric: str, mean: float, std: float) -> str:
    if not math.isfinite(mean):
        return "-"
    if metric.endswith("accuracy"):
        return f"{100 * mean:.2f} ± {100 * std:.2f} %"
    return f"{mean:.4g} ± {std:.2g}"


def summary_table(rows: Sequence[Mapping[str, Any]], swept: Sequence[str], metric: str | None = None) -> str:
    """The table printed at the end: one line per setting (swept values but the seed), trials, seeds,
    ``metric`` as mean ± std over the seeds (accuracy in %), mean time per trial, failures."""
    metric = metric or main_metric(rows)
    names = [k for k in swept if k != "seed"]
    header = [*names, tr("sweep:col_trials"), tr("sweep:col_seeds"), tr("sweep:col_metric", metric=metric),
              tr("sweep:col_seconds"), tr("sweep:col_failed")]
    lines = []
    for setting, group in group_rows(rows, swept):
        ok = [r for r in group if r.get("status") == "ok"]
        mean, std = mean_std([r.get(metric, math.nan) for r in ok])
        seconds = mean_std([r.get("seconds", math.nan) for r in ok])[0]
        seeds = sorted({str(r["settings"].get("seed", 0)) for r in group})
        lines.append([*(str(setting[k]) for k in names), str(len(group)), _seed_text(seeds), _spread(metric, mean, std),
                      "-" if not math.isfinite(seconds) else f"{seconds:.1f} s", str(len(group) - len(ok))])
    widths = [max(len(str(c)) for c in column) for column in zip(header, *lines)]
    text = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip() for line in [header, *lines]]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)


def _seed_text(seeds: Sequence[str]) -> str:
    """'0-4' for consecutive integers, else '0,3,7'."""
    try:
        numbers = sorted(int(s) for s in seeds)
    except ValueError:
        return ",".join(seeds)
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}-{numbers[-1]}"
    return ",".join(str(n) for n in numbers)
