"""A release a course can name, cite and adopt: one version everywhere, valid citation
metadata, the licences stated where a reader meets them, a package that declares what it
imports, and a learner branch that is tagged and carries the versions Binder was checked with.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from rnn_lab.book import learner_edition, release

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import learner_branch  # noqa: E402  (a script, not a package)

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
#: The keys the Citation File Format 1.2.0 requires, and those a release's citation needs.
CFF_REQUIRED = ("cff-version", "message", "title", "authors")
CFF_RELEASE = ("version", "date-released", "repository-code", "license")


# --- one version --------------------------------------------------------------------------


def test_pyproject_citation_and_changelog_name_one_version():
    assert release.disagreements(REPO) == []
    assert release.changelog_entries(REPO)[0][0] == PYPROJECT["project"]["version"]


def test_a_version_bumped_in_one_place_only_is_reported(tmp_path):
    for name in ("pyproject.toml", "CITATION.cff", "CHANGELOG.md"):
        shutil.copy(REPO / name, tmp_path)
    text = (tmp_path / "pyproject.toml").read_text()
    old = PYPROJECT["project"]["version"]
    (tmp_path / "pyproject.toml").write_text(
        text.replace(f'version = "{old}"', 'version = "9.9.9"')
    )
    problems = release.disagreements(tmp_path)
    assert any("CHANGELOG.md" in p for p in problems)
    assert any("CITATION.cff" in p for p in problems)


def test_citation_cff_is_valid():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    for key in CFF_REQUIRED + CFF_RELEASE:
        assert key in cff, f"CITATION.cff lacks {key!r}"
    assert cff["cff-version"] == "1.2.0"
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])
    datetime.date.fromisoformat(str(cff["date-released"]))  # YYYY-MM-DD
    assert cff["repository-code"] == release.repository_url(REPO)
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}  # SPDX identifiers
    assert cff["type"] in ("software", "dataset")
    preferred = cff["preferred-citation"]
    assert {"type", "title", "authors"} <= set(preferred)


# --- licences -----------------------------------------------------------------------------


def test_licence_files():
    code = (REPO / "LICENSE").read_text()
    assert code.startswith("MIT License") and "Permission is hereby granted" in code
    content = (REPO / "LICENSE-CONTENT").read_text()
    assert "Attribution 4.0 International" in content
    assert "Section 1 -- Definitions." in content and "Section 8 -- Interpretation." in content
    assert PYPROJECT["project"]["license"] == "MIT"
    assert all((REPO / name).exists() for name in PYPROJECT["project"]["license-files"])


def test_the_readme_states_both_licences():
    readme = (REPO / "README.md").read_text()
    assert "LICENSE-CONTENT" in readme and "CC BY 4.0" in readme and "MIT" in readme


def test_the_site_footer_states_both_licences(built_book):
    footer = yaml.safe_load((REPO / "_config.yml").read_text())["html"]["extra_footer"]
    assert "CC BY 4.0" in footer and "MIT" in footer
    assert f"{release.repository_url(REPO)}/blob/" in footer
    for page in (built_book / "book").glob("*.html"):
        if page.name.startswith("_"):
            continue
        assert "creativecommons.org/licenses/by/4.0/" in page.read_text(), page.name


def test_the_learner_notebooks_carry_the_licence(built_book):
    """Under the edition's note, each learner notebook (student, teacher and the nbgrader
    source, all made from learner_notebook) names its release, licences and citation."""
    note = release.licence_note(REPO)
    assert "CC BY 4.0" in note and "MIT" in note and release.tag(REPO) in note
    chapter = REPO / "book" / "01_keras_model.ipynb"
    nb = learner_edition.learner_notebook(chapter, learner_edition.executed_dir(REPO))
    assert nb.cells[0].source == f"> {note}"
    for which in learner_edition.EDITIONS:
        cells = learner_edition.edition(nb, which, chapter.name).cells
        assert learner_edition.NUMBERS_NOTE in cells[0].source
        assert cells[1].source == f"> {note}"


# --- the package --------------------------------------------------------------------------


def test_pyproject_build_and_python():
    build = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    (setuptools,) = [r for r in build if r.name == "setuptools"]
    assert setuptools.specifier.contains("77") and not setuptools.specifier.contains("76.9")
    python = PYPROJECT["project"]["requires-python"]
    assert python.replace(" ", "") == ">=3.11"
    assert "SimpleRNN rebuilt" not in PYPROJECT["project"]["description"]


def test_every_third_party_import_of_rnn_lab_is_declared():
    """What rnn_lab imports is in pyproject.toml's dependencies or one of its extras."""
    import ast

    declared = {
        canonicalize_name(Requirement(line).name)
        for line in PYPROJECT["project"]["dependencies"]
        + [r for extra in PYPROJECT["project"]["optional-dependencies"].values() for r in extra]
    }
    distributions = importlib.metadata.packages_distributions()
    undeclared = {}
    for path in (REPO / "rnn_lab").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "rnn_lab":
                    continue
                owners = {canonicalize_name(d) for d in distributions.get(top, [top])}
                if not owners & declared:
                    undeclared.setdefault(top, str(path.relative_to(REPO)))
    assert not undeclared, f"imported by rnn_lab but not declared in pyproject.toml: {undeclared}"


def test_the_repository_is_found_from_another_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert learner_edition._repo() == REPO
    assert learner_edition.executed_dir() == REPO / "_build" / "jupyter_execute" / "book"
    assert release.version() == PYPROJECT["project"]["version"]


def test_the_learner_branch_holds_what_pyproject_needs_to_build():
    project = PYPROJECT["project"]
    needed = [project["readme"], *project["license-files"], "LICENSE-CONTENT", "CITATION.cff"]
    for name in needed:
        assert name in learner_branch.LEARNER_PATHS, f"{name} missing from the learner branch"


# --- the learner branch: tagged, with the exact versions ----------------------------------


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def scratch_repo(tmp_path, monkeypatch) -> Path:
    """A repository with this one's release files, a package, and one committed commit."""
    for key, value in {
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    repo = tmp_path / "repo"
    (repo / "rnn_lab").mkdir(parents=True)
    (repo / "rnn_lab" / "__init__.py").write_text("")
    for name in ("pyproject.toml", "CITATION.cff", "CHANGELOG.md", "_config.yml", "runtime.txt",
                 "requirements.txt", "README.md", "LICENSE", "LICENSE-CONTENT"):  # fmt: skip
        shutil.copy(REPO / name, repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "source")
    return repo


def _student_notebooks(repo: Path, where: Path, extra: str = "") -> Path:
    source = f'%pip install --quiet "{release.install_requirement(repo)}"\nrnn_lab.setup_notebook()'
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source + extra)])
    where.mkdir(exist_ok=True)
    nbformat.write(nb, where / "00_introduction.ipynb")
    return where


def _lock(repo: Path, where: Path, digest: str | None = None) -> Path:
    digest = digest or learner_branch.requirements_digest(repo)
    where.write_text(f"# requirements-digest: {digest}\nnumpy==2.0.0\n-e .\n")
    return where


def test_the_learner_commit_is_tagged_and_carries_the_lock(scratch_repo, tmp_path):
    notebooks = _student_notebooks(scratch_repo, tmp_path / "student")
    lock = _lock(scratch_repo, tmp_path / "lock.txt")
    commit, new = learner_branch.commit_learner_branch(scratch_repo, notebooks, "learner", lock)
    tag = release.tag(scratch_repo)
    assert new and _git(scratch_repo, "rev-parse", f"{tag}^{{commit}}") == commit
    files = _git(scratch_repo, "ls-tree", "-r", "--name-only", commit).splitlines()
    assert {"binder/requirements.txt", "binder/runtime.txt", "LICENSE", "CITATION.cff"} <= set(
        files
    )
    assert "numpy==2.0.0" in _git(scratch_repo, "show", f"{commit}:binder/requirements.txt")
    # the same edition again: nothing new, the tag stays
    again, new = learner_branch.commit_learner_branch(scratch_repo, notebooks, "learner", lock)
    assert (again, new) == (commit, False)


def test_a_changed_edition_under_a_used_version_is_refused(scratch_repo, tmp_path):
    lock = _lock(scratch_repo, tmp_path / "lock.txt")
    notebooks = _student_notebooks(scratch_repo, tmp_path / "one")
    learner_branch.commit_learner_branch(scratch_repo, notebooks, "learner", lock)
    changed = _student_notebooks(scratch_repo, tmp_path / "two", extra="\nprint(1)")
    with pytest.raises(SystemExit, match="bump it"):
        learner_branch.commit_learner_branch(scratch_repo, changed, "learner", lock)


def test_a_stale_lock_or_notebook_is_refused(scratch_repo, tmp_path):
    notebooks = _student_notebooks(scratch_repo, tmp_path / "student")
    stale = _lock(scratch_repo, tmp_path / "lock.txt", digest="0" * 64)
    with pytest.raises(SystemExit, match="make binder-check"):
        learner_branch.commit_learner_branch(scratch_repo, notebooks, "learner", stale)
    with pytest.raises(SystemExit, match="make binder-check"):
        learner_branch.commit_learner_branch(
            scratch_repo, notebooks, "learner", tmp_path / "missing.txt"
        )
    old = tmp_path / "old"
    old.mkdir()
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                '%pip install "rnn_lab @ git+x@v0.0.1"\nrnn_lab.setup_notebook()'
            )
        ]
    )
    nbformat.write(nb, old / "00_introduction.ipynb")
    lock = _lock(scratch_repo, tmp_path / "good.txt")
    with pytest.raises(SystemExit, match="make notebooks"):
        learner_branch.commit_learner_branch(scratch_repo, old, "learner", lock)


def test_binder_check_writes_the_digest_learner_branch_expects():
    sys.path.insert(0, str(REPO / "scripts"))
    binder_check = pytest.importorskip("binder_check")
    committed = learner_branch.requirements_digest(REPO)
    dirty = _git(REPO, "status", "--porcelain", "requirements.txt", "pyproject.toml")
    if dirty:
        pytest.skip("requirements.txt or pyproject.toml has uncommitted changes")
    assert binder_check.requirements_digest(REPO) == committed
    assert json.dumps(committed)  # a plain hex string
