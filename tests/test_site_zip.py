"""`make site-zip`: the built site in one zip, under one folder, the same bytes every time."""

from __future__ import annotations

import zipfile

import pytest

from rnn_lab.book.site_zip import README_NAME, TOP_FOLDER, main, write_site_zip


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "html"
    (root / "book").mkdir(parents=True)
    (root / "_static" / "mathjax").mkdir(parents=True)
    (root / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=book/a.html">')
    (root / "book" / "a.html").write_text("<h1>A</h1>")
    (root / "_static" / "mathjax" / "tex-mml-chtml.js").write_text("/* MathJax */")
    (root / ".buildinfo").write_text("config hash")
    return root


def test_the_zip_holds_the_site_under_one_folder(site, tmp_path):
    out = write_site_zip(site, tmp_path / "out" / "site.zip")
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert names == [
            README_NAME,
            f"{TOP_FOLDER}/_static/mathjax/tex-mml-chtml.js",
            f"{TOP_FOLDER}/book/a.html",
            f"{TOP_FOLDER}/index.html",
        ]
        assert archive.read(f"{TOP_FOLDER}/book/a.html") == b"<h1>A</h1>"
        assert "index.html" in archive.read(README_NAME).decode()
        assert archive.testzip() is None


def test_the_same_site_gives_the_same_bytes(site, tmp_path):
    first = write_site_zip(site, tmp_path / "1.zip").read_bytes()
    (site / "book" / "a.html").touch()  # a newer file date changes nothing
    assert write_site_zip(site, tmp_path / "2.zip").read_bytes() == first


def test_no_site_no_zip(tmp_path):
    with pytest.raises(FileNotFoundError, match="make book"):
        write_site_zip(tmp_path, tmp_path / "x.zip")


def test_command_line(site, tmp_path, capsys):
    main(["--site", str(site), "--out", str(tmp_path / "cli.zip")])
    assert (tmp_path / "cli.zip").is_file()
    assert "rnn-lab/index.html" in capsys.readouterr().out
