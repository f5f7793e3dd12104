"""A benchmark run's results: the rows (one per size and method), reading and writing them
as CSV, and the text report (ratios at the base size, crossovers, one table per sweep)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .plan import (
    AXES,
    CSV_COLUMNS,
    KERAS_METHODS,
    METHODS,
    ORIGINAL,
    OVERHEAD_COLUMNS,
    REFERENCE,
    Config,
    Plan,
)


@dataclass(frozen=True)
class BenchResult:
    """Rows (one per configuration and method, columns ``CSV_COLUMNS``), overhead
    probes, and a description of the machine and its load during the run.

    Times are seconds per forward pass. ``ratio_to_numpy`` is the median time over
    ``numpy_batched``'s median time at the same size; ``max_abs_diff`` is the method's
    largest ``|y - y(numpy_batched)|`` (NaN for the floor, which computes one step only).
    """

    rows: tuple[dict[str, Any], ...]
    overheads: tuple[dict[str, Any], ...] = ()
    machine: dict[str, Any] = field(default_factory=dict)
    plan: Plan | None = None

    def select(self, axis: str, base: Config | None = None) -> list[dict[str, Any]]:
        """The rows of one sweep: ``axis`` varies, every other size equals ``base``'s."""
        base = base or (self.plan.base if self.plan else ORIGINAL)
        if axis not in AXES:
            raise ValueError(f"axis must be one of {AXES}; got {axis!r}")
        fixed = {k: v for k, v in asdict(base).items() if k != axis}
        return [r for r in self.rows if all(r[k] == v for k, v in fixed.items())]

    def row(self, method: str, config: Config = ORIGINAL) -> dict[str, Any]:
        """The row of ``method`` at ``config``."""
        for r in self.rows:
            if r["method"] == method and all(r[k] == v for k, v in asdict(config).items()):
                return r
        raise KeyError(f"no {method!r} row for {config}")

    def ratio(self, method: str, config: Config = ORIGINAL) -> float:
        """Median time of ``method`` / median time of ``numpy_batched`` at ``config``."""
        return self.row(method, config)["ratio_to_numpy"]

    def crossover(self, method: str, axis: str) -> int | None:
        """The smallest swept size along ``axis`` from which on ``method`` beats NumPy
        (ratio < 1 there and at every larger size), or None if it never does."""
        rows = [r for r in self.select(axis) if r["method"] == method]
        ratios = sorted((r[axis], r["ratio_to_numpy"]) for r in rows)
        overtaken = None
        for value, ratio in reversed(ratios):
            if ratio >= 1.0:
                break
            overtaken = value
        return overtaken

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write the rows to ``path`` and the overheads next to it; return ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_csv(path, CSV_COLUMNS, self.rows)
        if self.overheads:
            _write_csv(overheads_path(path), OVERHEAD_COLUMNS, self.overheads)
        return path


def overheads_path(path: str | os.PathLike) -> Path:
    """Where :meth:`BenchResult.to_csv` puts the overhead probes: ``<stem>_overheads.csv``."""
    path = Path(path)
    return path.with_name(f"{path.stem}_overheads.csv")


def _write_csv(path: Path, columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row[k]) for k in columns})


def _csv_value(value: Any) -> Any:
    return f"{value:.6e}" if isinstance(value, float) else value


_INT_COLUMNS = ("n", "T", "D", "H", "O", "number", "repeats")


def _parse_row(row: Mapping[str, str]) -> dict[str, Any]:
    return {
        k: v if k in ("method", "probe") else int(v) if k in _INT_COLUMNS else float(v)
        for k, v in row.items()
    }


def load_csv(path: str | os.PathLike) -> BenchResult:
    """Read rows written by :meth:`BenchResult.to_csv` (and its overheads, if present),
    to plot a saved run without timing again. The machine description is not saved."""
    path = Path(path)
    with path.open(newline="") as handle:
        rows = tuple(_parse_row(r) for r in csv.DictReader(handle))
    overheads: tuple[dict[str, Any], ...] = ()
    if overheads_path(path).exists():
        with overheads_path(path).open(newline="") as handle:
            overheads = tuple(_parse_row(r) for r in csv.DictReader(handle))
    return BenchResult(rows, overheads)


# --------------------------------------------------------------------------- report


def summary_lines(result: BenchResult) -> list[str]:
    """The ratios at the base size and the crossovers, as printable lines."""
    base = result.plan.base if result.plan else ORIGINAL
    m = result.machine
    lines = [
        f"machine: {m.get('cpus')} CPUs, load {m.get('load_1min_before', float('nan')):.2f} "
        f"before / {m.get('load_1min', float('nan')):.2f} after; NumPy {m.get('numpy')}, "
        f"TensorFlow {m.get('tensorflow', '-')}; OPENBLAS_NUM_THREADS "
        f"{m.get('OPENBLAS_NUM_THREADS', '-')}; {m.get('seconds', float('nan')):.1f} s",
        f"at {base}, median time and ratio to {REFERENCE}:",
    ]
    for method in METHODS:
        try:
            r = result.row(method, base)
        except KeyError:
            continue
        spread = f"[{r['q25_s'] * 1e3:.3g}, {r['q75_s'] * 1e3:.3g}]"
        lines.append(
            f"  {method:16s} {r['median_s'] * 1e3:10.3f} ms {spread:>22s}  "
            f"{r['ratio_to_numpy']:9.2f}×"
        )
    for method in KERAS_METHODS:
        for axis in result.plan.sweeps if result.plan else AXES:
            where = result.crossover(method, axis)
            verdict = f"faster than NumPy from {axis} = {where}" if where else "never faster"
            lines.append(f"  crossover {method:14s} along {axis}: {verdict}")
    return lines


def sweep_table(result: BenchResult, axis: str) -> list[str]:
    """One sweep as a text table: ``axis`` down, methods across, ratios to NumPy."""
    rows = result.select(axis)
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]
    header = f"{axis:>6s} " + " ".join(f"{m:>16s}" for m in methods)
    lines = [f"ratio to {REFERENCE} as {axis} varies:", header]
    for value in sorted({r[axis] for r in rows}):
        ratios = {r["method"]: r["ratio_to_numpy"] for r in rows if r[axis] == value}
        lines.append(
            f"{value:>6d} " + " ".join(f"{ratios.get(m, float('nan')):>16.3g}" for m in methods)
        )
    return lines
