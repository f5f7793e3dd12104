"""The speed benchmark of chapter 5 (``python -m rnn_lab.bench``): the timing harness in
:mod:`.harness`, its figures in :mod:`.plots`, the command line in :mod:`.__main__`. The
benchmark may import the maths and :mod:`rnn_lab.plots`; nothing else in the package
imports it. The public names of the harness are re-exported here, so a chapter can write
``from rnn_lab import bench`` and ``bench.run_benchmark(...)``.
"""

from .harness import (
    AXES,
    BLAS_THREAD_VARIABLES,
    CSV_COLUMNS,
    FULL_PLAN,
    KERAS_METHODS,
    METHODS,
    ORIGINAL,
    OVERHEAD_COLUMNS,
    QUICK_PLAN,
    REFERENCE,
    BenchResult,
    Config,
    Plan,
    Timing,
    calibrate,
    floor_step,
    framework_overheads,
    load_csv,
    machine_info,
    measure_config,
    numpy_in_subprocess,
    overheads_path,
    run_benchmark,
    summary_lines,
    sweep_table,
    time_interleaved,
)

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
