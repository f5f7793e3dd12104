"""Release step: commit the student edition to the branch that Binder and Colab open.

The website's launch buttons open ``book/NN_name.ipynb`` on the branch named by
``repository.branch`` in ``_config.yml`` (``learner``). This script writes that branch: one
commit whose tree is what a learner needs and nothing else,

- ``book/*.ipynb``: the student edition of every notebook page (from ``make notebooks``);
- the package and what installs it, as committed on the current ``HEAD``: ``rnn_lab/``,
  ``pyproject.toml``, ``requirements.txt`` (what a learner's own ``pip install -r`` reads),
  ``runtime.txt``, ``README.md``, the licences, ``CITATION.cff`` and ``CHANGELOG.md``;
- ``binder/requirements.txt`` and ``binder/runtime.txt``: the exact versions ``make
  binder-check`` ran every chapter with (``_build/binder/requirements.txt``). Binder reads a
  ``binder/`` folder instead of the root, so it installs what was checked, while the root's
  ``requirements.txt`` still installs on every platform.

The new commit is tagged ``v{version}`` (``pyproject.toml``'s version): the tag the student
edition's Colab set-up cell installs ``rnn_lab`` from (``rnn_lab.book.release``), so Colab gets
exactly this commit's package. A version names one commit: when the learner tree changed and
the tag already names another commit, nothing is written (bump the version, CITATION.cff and
CHANGELOG.md first).

It uses git's plumbing (a private index, ``commit-tree``, ``update-ref``), so the working
tree and the current branch are never touched. The new commit's parent is the branch's
previous commit, so the branch's history shows each release; nothing is committed when the
tree is unchanged.

    python scripts/learner_branch.py            # what `make learner-branch` runs
    python scripts/learner_branch.py --push     # then push the branch and the tag
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's rnn_lab, as the other scripts use it
from rnn_lab.book import release  # noqa: E402

#: What a learner's environment needs from the repository, besides the notebooks (and what
#: pyproject.toml names to build the package: its readme and licence files).
LEARNER_PATHS = (
    "rnn_lab/", "pyproject.toml", "requirements.txt", "runtime.txt", "README.md",
    "LICENSE", "LICENSE-CONTENT", "CITATION.cff", "CHANGELOG.md",
)  # fmt: skip
NOTEBOOK_DIR = "book"
#: Where binder_check.py leaves the exact versions it ran with; where the branch carries them.
LOCK = REPO / "_build" / "binder" / "requirements.txt"
BINDER_DIR = "binder"
LOCK_DIGEST = re.compile(r"^# requirements-digest: (?P<digest>[0-9a-f]{64})$", re.MULTILINE)


def learner_branch(repo: Path = REPO) -> str:
    """The branch the launch buttons open, as ``_config.yml`` names it."""
    config = yaml.safe_load((repo / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["branch"]


def _git(
    repo: Path, *args: str, env: dict | None = None, check: bool = True, strip: bool = True
) -> str:
    result = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        sys.exit(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip() if strip else result.stdout


def requirements_digest(repo: Path) -> str:
    """sha256 of the committed ``requirements.txt`` and ``pyproject.toml`` (as binder_check.py
    computes it from the working tree)."""
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update(_git(repo, "show", f"HEAD:{name}", strip=False).encode())
    return digest.hexdigest()


def checked_lock(repo: Path, lock: Path) -> str:
    """The lock binder_check.py wrote, refused when missing or made from other requirements."""
    if not lock.exists():
        sys.exit(f"no {lock}: run `make binder-check` first (it records the exact versions)")
    text = lock.read_text()
    match = LOCK_DIGEST.search(text)
    if not match or match["digest"] != requirements_digest(repo):
        sys.exit(
            f"{lock} was made from other requirements than HEAD's requirements.txt and "
            "pyproject.toml: run `make binder-check` again"
        )
    return text


@dataclass
class Release:
    """The release as ``HEAD`` names it (its committed pyproject.toml, CITATION.cff,
    CHANGELOG.md and _config.yml): what the branch's commit is made from."""

    tag: str
    requirement: str  # what the student edition's set-up cell must install
    problems: list[str]  # where the three files disagree on the version


def committed_release(repo: Path) -> Release:
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("pyproject.toml", "CITATION.cff", "CHANGELOG.md", "_config.yml"):
            text = _git(repo, "show", f"HEAD:{name}", strip=False)
            (Path(scratch) / name).write_text(text, encoding="utf-8")
        return Release(
            release.tag(scratch),
            release.install_requirement(scratch),
            release.disagreements(scratch),
        )


def check_notebooks_name_this_release(wanted: str, chapters: list[Path]) -> None:
    """Every student notebook's set-up cell installs ``wanted``, this release's rnn_lab."""
    texts = {chapter.name: chapter.read_text(encoding="utf-8") for chapter in chapters}
    stale = [
        name for name, text in texts.items() if "setup_notebook()" in text and wanted not in text
    ]
    if stale:
        sys.exit(f"{', '.join(stale)}: not made for {wanted!r}: run `make notebooks` again")


def learner_entries(repo: Path, notebooks: Path, lock: Path = LOCK) -> dict[str, tuple[str, str]]:
    """path in the learner tree -> (mode, blob id), the notebooks written as new blobs."""
    this = committed_release(repo)
    entries = {}
    for line in _git(repo, "ls-tree", "-r", "HEAD").splitlines():
        meta, path = line.split("\t", 1)
        mode, _, blob = meta.split()
        if path.startswith(LEARNER_PATHS) or path in LEARNER_PATHS:
            entries[path] = (mode, blob)
    chapters = sorted(notebooks.glob("*.ipynb"))  # the chapters and the pages they link to
    if not chapters:
        sys.exit(f"no student notebooks in {notebooks}: run `make notebooks` first")
    check_notebooks_name_this_release(this.requirement, chapters)
    for chapter in chapters:
        blob = _git(repo, "hash-object", "-w", str(chapter))
        entries[f"{NOTEBOOK_DIR}/{chapter.name}"] = ("100644", blob)
    checked_lock(repo, lock)
    entries[f"{BINDER_DIR}/requirements.txt"] = (
        "100644",
        _git(repo, "hash-object", "-w", str(lock)),
    )
    entries[f"{BINDER_DIR}/runtime.txt"] = entries["runtime.txt"]
    return entries


def commit_learner_branch(
    repo: Path, notebooks: Path, branch: str, lock: Path = LOCK
) -> tuple[str, bool]:
    """Commit the learner tree on ``branch`` and tag it ``v{version}``; return (commit, whether
    it is new). Refuses a release whose names disagree, or a version already given to another
    commit."""
    this = committed_release(repo)
    if this.problems:
        sys.exit("the release's names disagree:\n" + "\n".join(this.problems))
    entries = learner_entries(repo, notebooks, lock)
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _git(repo, "read-tree", "--empty", env=env)
        index = "".join(f"{mode} {blob}\t{path}\n" for path, (mode, blob) in entries.items())
        subprocess.run(
            ["git", "update-index", "--index-info"], cwd=repo, env=env, input=index,
            text=True, check=True,
        )  # fmt: skip
        tree = _git(repo, "write-tree", env=env)
    tag = this.tag
    tagged = _git(repo, "rev-parse", "--verify", "-q", f"refs/tags/{tag}^{{commit}}", check=False)
    parent = _git(repo, "rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False)
    if parent and _git(repo, "rev-parse", f"{parent}^{{tree}}") == tree:
        if not tagged:
            _tag(repo, tag, parent)
        return parent, False
    if tagged:
        sys.exit(
            f"{tag} already names {tagged[:12]}, and the learner edition changed since: a "
            "version names one release; bump it in pyproject.toml, CITATION.cff and "
            "CHANGELOG.md, then run `make notebooks` and this again"
        )
    source = _git(repo, "rev-parse", "--short", "HEAD")
    message = f"Learner edition {tag} (student notebooks) of {source}"
    commit = _git(repo, "commit-tree", tree, *(["-p", parent] if parent else []), "-m", message)
    _git(repo, "update-ref", f"refs/heads/{branch}", commit)
    _tag(repo, tag, commit)
    return commit, True


def _tag(repo: Path, tag: str, commit: str) -> None:
    _git(repo, "tag", "-a", tag, commit, "-m", f"rnn-lab {tag.removeprefix('v')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--notebooks",
        type=Path,
        default=REPO / "_build" / "notebooks" / "student",
        help="the student edition (make notebooks)",
    )
    parser.add_argument("--repo", type=Path, default=REPO, help="the git repository")
    parser.add_argument(
        "--lock", type=Path, default=LOCK, help="the exact versions (make binder-check)"
    )
    parser.add_argument("--push", action="store_true", help="push the branch to origin")
    args = parser.parse_args(argv)
    branch = learner_branch(args.repo)
    commit, new = commit_learner_branch(args.repo, args.notebooks, branch, args.lock)
    tag = committed_release(args.repo).tag
    print(f"{branch}: {commit[:12]} ({'new commit' if new else 'unchanged'}), tagged {tag}")
    if args.push:
        _git(args.repo, "push", "origin", f"refs/heads/{branch}:refs/heads/{branch}")
        _git(args.repo, "push", "origin", f"refs/tags/{tag}")
        print(f"pushed {branch} and {tag} to origin")
    return 0


if __name__ == "__main__":
    sys.exit(main())
