"""``python -m rnn_lab.bench``: time every method over the sweeps, print the ratios, write
the rows as CSV and, with ``--plots DIR``, the figures as PNG files."""

from __future__ import annotations

import argparse
import sys

from .harness import run_benchmark
from .results import summary_lines, sweep_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnn_lab.bench",
        description="Time the per-sample loop, batched NumPy, the NumPy floor, Keras predict, "
        "model(x) and tf.function on the same SimpleRNN -> Dense, over sweeps of n, T and H; "
        "print each time's ratio to batched NumPy.",
    )
    parser.add_argument("--quick", action="store_true", help="a small sweep (< 20 s), for CI")
    parser.add_argument(
        "--csv", default="_build/bench/bench.csv", help="where to write the rows (%(default)s)"
    )
    parser.add_argument("--plots", metavar="DIR", help="also save the plots as PNG files in DIR")
    args = parser.parse_args(argv)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    result = run_benchmark(quick=args.quick, progress=progress)
    for axis in result.plan.sweeps:
        print("\n".join(sweep_table(result, axis)), end="\n\n")
    print("\n".join(summary_lines(result)))
    print(f"rows written to {result.to_csv(args.csv)}")
    if args.plots:
        from .plots import save_all_plots  # matplotlib only when asked for

        for path in save_all_plots(result, args.plots):
            print(f"plot written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
