"""The built website as one zip a teacher can hand out: unzip, open `index.html`.

The site loads nothing from the internet (formulas are typeset when the book is built;
fonts, figures and the explorer's numbers are files of the site), so the unzipped folder
works from a USB stick or a school server, with no network and no installation.
Entries are sorted and dated 1980-01-01, so the same site always gives the same zip.

    python -m rnn_lab.book.site_zip [--site _build/html] [--out _build/rnn-lab-site.zip]
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

TOP_FOLDER = "rnn-lab"
# Sphinx's incremental-build record: of no use to a reader.
SKIPPED = frozenset({".buildinfo", ".buildinfo.bak"})
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can store
README_NAME = "README.txt"
README = """\
rnn-lab: recurrent networks, rebuilt and checked

Open rnn-lab/index.html in a web browser (double-click it). Everything the book needs
is in this folder: it works without internet, from a USB stick or a shared drive. To
serve it to a class instead, run `python -m http.server --directory rnn-lab 8000` and
open http://<this computer>:8000/.
"""


def site_files(site: Path) -> list[Path]:
    """The files of the built site to hand out, sorted, relative to `site`."""
    site = Path(site)
    if not (site / "index.html").is_file():
        raise FileNotFoundError(f"no built site at {site} (no index.html): run `make book`")
    return sorted(
        path.relative_to(site)
        for path in site.rglob("*")
        if path.is_file() and path.name not in SKIPPED
    )


def write_site_zip(site: Path | str, out: Path | str) -> Path:
    """Zip the site under `rnn-lab/`, with a README.txt beside it; returns `out`."""
    site, out = Path(site), Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(zipfile.ZipInfo(README_NAME, FIXED_DATE), README)
        for relative in site_files(site):
            info = zipfile.ZipInfo(f"{TOP_FOLDER}/{relative.as_posix()}", FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, (site / relative).read_bytes())
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="_build/html", help="the built site (make book)")
    parser.add_argument("--out", default="_build/rnn-lab-site.zip", help="the zip to write")
    args = parser.parse_args(argv)
    out = write_site_zip(args.site, args.out)
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB; unzip it and open rnn-lab/index.html")


if __name__ == "__main__":
    main()
