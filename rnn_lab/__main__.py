"""Command line: ``python -m rnn_lab doctor``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("doctor", help="print versions and check Keras agrees with NumPy")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from .book.doctor import run_doctor

        return run_doctor()
    return 2  # pragma: no cover - argparse rejects unknown commands first


if __name__ == "__main__":
    sys.exit(main())
