"""Release step: commit the student edition to the branch that Binder and Colab open.

The website's launch buttons open ``book/NN_name.ipynb`` on the branch named by
``repository.branch`` in ``_config.yml`` (``learner``). This script writes that branch: one
commit whose tree is what a learner needs and nothing else,

- ``book/*.ipynb``: the student edition of every notebook page (from ``make notebooks``);
- the package and what installs it, as committed on the current ``HEAD``: ``rnn_lab/``,
  ``pyproject.toml``, ``requirements.txt`` (Binder runs ``pip install -r`` on it),
  ``runtime.txt`` and ``README.md``.

It uses git's plumbing (a private index, ``commit-tree``, ``update-ref``), so the working
tree and the current branch are never touched. The new commit's parent is the branch's
previous commit, so the branch's history shows each release; nothing is committed when the
tree is unchanged.

    python scripts/learner_branch.py            # what `make learner-branch` runs
    python scripts/learner_branch.py --push     # then `git push origin learner`
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
#: What a learner's environment needs from the repository, besides the notebooks.
LEARNER_PATHS = ("rnn_lab/", "pyproject.toml", "requirements.txt", "runtime.txt", "README.md")
NOTEBOOK_DIR = "book"


def learner_branch(repo: Path = REPO) -> str:
    """The branch the launch buttons open, as ``_config.yml`` names it."""
    config = yaml.safe_load((repo / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["branch"]


def _git(repo: Path, *args: str, env: dict | None = None, check: bool = True) -> str:
    result = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        sys.exit(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def learner_entries(repo: Path, notebooks: Path) -> dict[str, tuple[str, str]]:
    """path in the learner tree -> (mode, blob id), the notebooks written as new blobs."""
    entries = {}
    for line in _git(repo, "ls-tree", "-r", "HEAD").splitlines():
        meta, path = line.split("\t", 1)
        mode, _, blob = meta.split()
        if path.startswith(LEARNER_PATHS) or path in LEARNER_PATHS:
            entries[path] = (mode, blob)
    chapters = sorted(notebooks.glob("*.ipynb"))  # the chapters and the pages they link to
    if not chapters:
        sys.exit(f"no student notebooks in {notebooks}: run `make notebooks` first")
    for chapter in chapters:
        blob = _git(repo, "hash-object", "-w", str(chapter))
        entries[f"{NOTEBOOK_DIR}/{chapter.name}"] = ("100644", blob)
    return entries


def commit_learner_branch(repo: Path, notebooks: Path, branch: str) -> tuple[str, bool]:
    """Commit the learner tree on ``branch``; return (commit, whether it is new)."""
    entries = learner_entries(repo, notebooks)
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _git(repo, "read-tree", "--empty", env=env)
        index = "".join(f"{mode} {blob}\t{path}\n" for path, (mode, blob) in entries.items())
        subprocess.run(
            ["git", "update-index", "--index-info"], cwd=repo, env=env, input=index,
            text=True, check=True,
        )  # fmt: skip
        tree = _git(repo, "write-tree", env=env)
    parent = _git(repo, "rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False)
    if parent and _git(repo, "rev-parse", f"{parent}^{{tree}}") == tree:
        return parent, False
    source = _git(repo, "rev-parse", "--short", "HEAD")
    message = f"Learner edition (student notebooks) of {source}"
    commit = _git(repo, "commit-tree", tree, *(["-p", parent] if parent else []), "-m", message)
    _git(repo, "update-ref", f"refs/heads/{branch}", commit)
    return commit, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--notebooks",
        type=Path,
        default=REPO / "_build" / "notebooks" / "student",
        help="the student edition (make notebooks)",
    )
    parser.add_argument("--repo", type=Path, default=REPO, help="the git repository")
    parser.add_argument("--push", action="store_true", help="push the branch to origin")
    args = parser.parse_args(argv)
    branch = learner_branch(args.repo)
    commit, new = commit_learner_branch(args.repo, args.notebooks, branch)
    print(f"{branch}: {commit[:12]} ({'new commit' if new else 'unchanged'})")
    if args.push:
        _git(args.repo, "push", "origin", f"refs/heads/{branch}:refs/heads/{branch}")
        print(f"pushed {branch} to origin")
    return 0


if __name__ == "__main__":
    sys.exit(main())
