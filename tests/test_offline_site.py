"""The site's MathJax comes from the installed PyPI package, never from a CDN."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sphinx.errors import ExtensionError

from rnn_lab.book.offline_site import MATHJAX_ENTRY, _check_config, copy_mathjax, mathjax_es5_dir


def test_mathjax_3_is_installed():
    es5 = mathjax_es5_dir()
    assert (es5 / MATHJAX_ENTRY).is_file()
    assert '"3.' in (es5.parent / "package.json").read_text()  # MathJax 3, like the CDN's


def test_copy_has_what_the_entry_point_loads_and_not_the_rest(tmp_path):
    target = copy_mathjax(tmp_path / "mathjax")
    assert (target / MATHJAX_ENTRY).is_file()
    assert any((target / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert (target / "input" / "tex" / "extensions").is_dir()  # loaded on demand
    assert not (target / "output" / "svg").exists()
    assert not (target / "tex-svg.js").exists()


def test_a_cdn_mathjax_path_is_refused():
    app = SimpleNamespace(events=SimpleNamespace(listeners={}))
    with pytest.raises(ExtensionError, match="works offline"):
        _check_config(app, SimpleNamespace(mathjax_path="https://cdn.example/tex-mml-chtml.js"))
    _check_config(app, SimpleNamespace(mathjax_path="mathjax/tex-mml-chtml.js"))
