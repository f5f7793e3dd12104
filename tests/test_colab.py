"""Colab readiness: every chapter installs `rnn_lab` itself where it is missing.

A plain Colab kernel has TensorFlow but not `rnn_lab`, so each chapter's first code cell
installs it from the repository named in `_config.yml`, silently, and only when the import
fails. In the book's sources the cell names the repository; in the learner edition (what
Colab opens) it names the release's tag, `@vX.Y.Z` from pyproject.toml's version, which
`make learner-branch` puts on the commit holding that edition: the notebook installs exactly
the code it was made with, never a later `main`. The cell is run here in IPython with `%pip`
replaced by a recorder, both where `rnn_lab` is importable (it must do nothing) and where it
is not (it must install once, the pinned release).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
import yaml

from rnn_lab.book import learner_edition, release
from rnn_lab.book.toc import toc_notebooks

REPO = Path(__file__).resolve().parents[1]
SETUP_TAG = "remove-cell"
SETUP_CELL = """\
# Set-up: install rnn_lab where it is missing (Colab), then seed everything and quiet TensorFlow.
try:
    import rnn_lab
except ImportError:
    %pip install --quiet "rnn_lab @ git+{url}"
    import rnn_lab
rnn_lab.setup_notebook()"""
# Importing TensorFlow in a fresh interpreter takes seconds; this bounds a hung one.
SUBPROCESS_TIMEOUT = 180


NOTEBOOKS = [str(path.relative_to(REPO)) for path in toc_notebooks(REPO)]


def _repository_url() -> str:
    return yaml.safe_load((REPO / "_config.yml").read_text())["repository"]["url"].rstrip("/")


def _first_code_cell(notebook: str) -> dict:
    cells = json.loads((REPO / notebook).read_text())["cells"]
    return next(cell for cell in cells if cell["cell_type"] == "code")


def _setup_source() -> str:
    return SETUP_CELL.format(url=_repository_url())


def test_toc_lists_notebooks():
    assert NOTEBOOKS, "_toc.yml lists no notebook"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_first_code_cell_is_the_install_cell(notebook):
    cell = _first_code_cell(notebook)
    source = "".join(cell["source"])
    assert source == _setup_source(), (
        f"{notebook}: the first code cell must be exactly\n{_setup_source()}\n--- but is ---\n"
        f"{source}"
    )
    assert SETUP_TAG in cell.get("metadata", {}).get("tags", []), (
        f"{notebook}: tag the set-up cell {SETUP_TAG!r} so the website does not show it"
    )


def test_install_cell_names_this_package_and_repository():
    """pip refuses `name @ url` when `name` is not the project's name in pyproject.toml."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["name"]
    assert project.replace("-", "_").lower() == "rnn_lab"
    assert _repository_url().startswith("https://github.com/")
    assert f'"{project} @ git+{_repository_url()}"' in _setup_source()


# Runs the set-up cell in IPython with `%pip` replaced by a recorder. With BLOCK=True,
# `import rnn_lab` fails (as on Colab) until the recorded "install" has happened.
_RUNNER = textwrap.dedent(
    """
    import json, sys
    from IPython.core.interactiveshell import InteractiveShell

    BLOCK, SOURCE, RUNS = json.loads(sys.argv[1])
    pip_calls = []

    class NotInstalled:
        def find_spec(self, name, path=None, target=None):
            if BLOCK and not pip_calls and name.split(".")[0] == "rnn_lab":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())
    shell = InteractiveShell.instance()
    shell.register_magic_function(pip_calls.append, magic_kind="line", magic_name="pip")
    results = [shell.run_cell(SOURCE) for _ in range(RUNS)]
    print(json.dumps({"ok": all(r.success for r in results), "pip": pip_calls}))
    """
)


def _learner_source() -> str:
    """The set-up cell as the learner edition writes it."""
    return learner_edition.pin_install(_setup_source())


def test_the_learner_edition_installs_this_release():
    pinned = _learner_source()
    tag = "v" + tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert f'"rnn_lab @ git+{_repository_url()}@{tag}"' in pinned
    assert pinned.replace(f"@{tag}", "") == _setup_source(), "only the ref changes"
    assert release.tag(REPO) == tag


def test_a_set_up_cell_without_the_install_is_refused():
    with pytest.raises(learner_edition.LearnerEditionError, match="install rnn_lab once"):
        learner_edition.pin_install("import rnn_lab\nrnn_lab.setup_notebook()", "x.ipynb", 0)


def _run_setup_cell(*, installed: bool, runs: int, source: str | None = None) -> tuple[dict, str]:
    argument = json.dumps([not installed, source or _setup_source(), runs])
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER, argument],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    *printed, report = result.stdout.splitlines() or [""]
    return json.loads(report), "\n".join(printed) + result.stderr


def test_install_cell_does_nothing_where_rnn_lab_is_installed():
    report, output = _run_setup_cell(installed=True, runs=2)
    assert report["ok"], output
    assert report["pip"] == [], "the cell called pip although rnn_lab is importable"
    assert output == "", f"the set-up cell printed something:\n{output}"


def test_install_cell_installs_once_where_rnn_lab_is_missing():
    report, output = _run_setup_cell(installed=False, runs=2)
    assert report["ok"], output
    assert report["pip"] == [f'install --quiet "rnn_lab @ git+{_repository_url()}"'], report
    assert output == "", f"the set-up cell printed something:\n{output}"


def test_the_learner_cell_installs_the_tag_once_where_rnn_lab_is_missing():
    report, output = _run_setup_cell(installed=False, runs=2, source=_learner_source())
    assert report["ok"], output
    assert report["pip"] == [f'install --quiet "{release.install_requirement(REPO)}"'], report
    assert output == "", f"the set-up cell printed something:\n{output}"
