"""Lighthouse on every page of the built site, as a phone on a slow connection would see it.

The site is served from 127.0.0.1 with gzip, as any static host compresses text, and npm's
`lighthouse` (pinned in package.json, installed by `npm ci`) audits each page with its
default mobile preset (a mid-range phone, simulated slow 4G) in Debian's Chromium. The table
gives, per page: performance, LCP, TBT, CLS, accessibility, best practices and the bytes
transferred. The goal (issue 26): performance ≥ 90 (LCP ≤ 2.5 s, TBT ≤ 200 ms, CLS ≤ 0.1),
accessibility 100, best practices ≥ 95 on every page. Lighthouse simulates the network and
the phone's CPU from a trace of a real load, so a busy machine still moves the numbers a
little: the load average is printed with them. A benchmark, not a test: the causes are
tested in tests/test_light_pages.py.

    python benchmarks/lighthouse.py [--site _build/html] [--pages 'book/04*'] [--json DIR]
"""

from __future__ import annotations

import argparse
import fnmatch
import gzip
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rnn_lab.book.node_tools import PROJECT_ROOT, ensure_installed

CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync"
)
CATEGORIES = "performance,accessibility,best-practices"
GOALS = {"performance": 90, "lcp_s": 2.5, "tbt_ms": 200, "cls": 0.1}
GOALS.update({"accessibility": 100, "best_practices": 95})
COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".txt", ".map", ".woff"}


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """A static file server that gzips text, as a static host would."""

    def log_message(self, *args) -> None:  # quiet: the table is the output
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants_gzip and path.suffix in COMPRESSED and path.is_file()):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        return _Body(body)


class _Body:
    """What `send_head` returns for `copyfile`: a readable, closable body."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1) -> bytes:
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = partial(GzipHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def site_pages(site: Path, pattern: str = "*") -> list[str]:
    """Every HTML page of the site (relative paths), the theme's own files left out."""
    pages = [
        path.relative_to(site).as_posix()
        for path in sorted(site.rglob("*.html"))
        if not path.relative_to(site).parts[0].startswith("_")
    ]
    return [page for page in pages if fnmatch.fnmatch(page, pattern)]


def audit(url: str, report: Path) -> dict:
    """Run Lighthouse's mobile preset on `url`; the numbers of the table."""
    cli = ensure_installed("lighthouse", dev=True) / "cli" / "index.js"
    command = [
        shutil.which("node") or "node",
        str(cli),
        url,
        f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={CATEGORIES}",
        "--output=json",
        f"--output-path={report}",
        "--quiet",
    ]
    env = {**os.environ, "CHROME_PATH": CHROME}
    load = os.getloadavg()[0]
    subprocess.run(command, check=True, env=env, cwd=PROJECT_ROOT, timeout=300)
    result = json.loads(report.read_text())
    audits, scores = result["audits"], result["categories"]
    return {
        "performance": round(100 * scores["performance"]["score"]),
        "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "accessibility": round(100 * scores["accessibility"]["score"]),
        "best_practices": round(100 * scores["best-practices"]["score"]),
        "transferred_kb": audits["total-byte-weight"]["numericValue"] / 1024,
        # Lighthouse's measure of this machine's speed during the run (a busy machine scores
        # low, and its simulated phone is then slower than the preset means).
        "cpu_index": result["environment"]["benchmarkIndex"],
        # the machine's 1-minute load average as the audit started (2 cores: above 1, other
        # work competes with the page's main thread, and TBT grows)
        "load": load,
        "dom_elements": audits["dom-size"].get("numericValue", 0),
    }


def meets_goals(row: dict) -> bool:
    return (
        row["performance"] >= GOALS["performance"]
        and row["lcp_s"] <= GOALS["lcp_s"]
        and row["tbt_ms"] <= GOALS["tbt_ms"]
        and row["cls"] <= GOALS["cls"]
        and row["accessibility"] >= GOALS["accessibility"]
        and row["best_practices"] >= GOALS["best_practices"]
    )


def table(rows: dict[str, dict]) -> str:
    head = (
        "| page | performance | LCP | TBT | CLS | accessibility | best practices "
        "| transferred | DOM elements | CPU index | load | goals |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [
        f"| {page} | {r['performance']} | {r['lcp_s']:.1f} s | {r['tbt_ms']:.0f} ms "
        f"| {r['cls']:.3f} | {r['accessibility']} | {r['best_practices']} "
        f"| {r['transferred_kb']:.0f} KB | {r['dom_elements']:.0f} | {r['cpu_index']:.0f} "
        f"| {r['load']:.1f} "
        f"| {'met' if meets_goals(r) else 'MISSED'} |"
        for page, r in rows.items()
    ]
    return "\n".join([head, *lines])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=PROJECT_ROOT / "_build" / "html")
    parser.add_argument("--pages", default="*", help="only pages matching this glob")
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "_build" / "lighthouse")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        parser.error(f"no built site at {args.site}: build the book first (make book)")
    args.json.mkdir(parents=True, exist_ok=True)
    server, base = serve(args.site)
    rows = {}
    try:
        for page in site_pages(args.site, args.pages):
            report = args.json / (page.replace("/", "__") + ".json")
            rows[page] = audit(base + page, report)
            print(f"{page}: {rows[page]}", file=sys.stderr, flush=True)
    finally:
        server.shutdown()
    one, five, fifteen = os.getloadavg()
    print(f"Lighthouse mobile preset; load average at the end {one:.1f} {five:.1f} {fifteen:.1f}")
    print(table(rows))
    missed = [page for page, row in rows.items() if not meets_goals(row)]
    print(f"{len(rows) - len(missed)} of {len(rows)} pages meet every goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
