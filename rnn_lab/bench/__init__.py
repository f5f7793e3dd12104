"""The speed benchmark of chapter 5 (``python -m rnn_lab.bench``): what is measured in
:mod:`.plan` (methods, sizes, sweeps), the timing harness in :mod:`.harness`, a run's rows,
CSV files and text report in :mod:`.results`, its figures in :mod:`.plots`, the command line
in :mod:`.__main__`; these import each other in that order, never back. The
benchmark may import the maths and :mod:`rnn_lab.plots`; nothing else in the package
imports it. The public names of the harness are re-exported here, so a chapter can write
``from rnn_lab import bench`` and ``bench.run_benchmark(...)``.
"""

from .harness import (
    BLAS_THREAD_VARIABLES,
    Timing,
    calibrate,
    floor_step,
    framework_overheads,
    machine_info,
    measure_config,
    numpy_in_subprocess,
    run_benchmark,
    time_interleaved,
)
from .plan import (
    AXES,
    CSV_COLUMNS,
    FULL_PLAN,
    KERAS_METHODS,
    METHODS,
    ORIGINAL,
    OVERHEAD_COLUMNS,
    QUICK_PLAN,
    REFERENCE,
    Config,
    Plan,
)
from .results import BenchResult, load_csv, overheads_path, summary_lines, sweep_table

__all__ = [
    "AXES",
    "BLAS_THREAD_VARIABLES",
    "CSV_COLUMNS",
    "FULL_PLAN",
    "KERAS_METHODS",
    "METHODS",
    "ORIGINAL",
    "OVERHEAD_COLUMNS",
    "QUICK_PLAN",
    "REFERENCE",
    "BenchResult",
    "Config",
    "Plan",
    "Timing",
    "calibrate",
    "floor_step",
    "framework_overheads",
    "load_csv",
    "machine_info",
    "measure_config",
    "numpy_in_subprocess",
    "overheads_path",
    "run_benchmark",
    "summary_lines",
    "sweep_table",
    "time_interleaved",
]
