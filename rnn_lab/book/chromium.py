"""Debian's Chromium, the one browser the book's tooling and tests drive (never a downloaded one):
where it is, and the flags for a quiet, offline, headless run (no sandbox: CI runs as root)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
INSTALL_HINT = (
    "install Debian's Chromium (`sudo apt-get install chromium`; never `playwright install`), "
    "or set RNN_LAB_CHROMIUM to a Chromium binary"
)


def find_chromium() -> str | None:
    """$RNN_LAB_CHROMIUM, else Debian's /usr/bin/chromium, else a chromium on PATH."""
    for candidate in (
        os.environ.get("RNN_LAB_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None
