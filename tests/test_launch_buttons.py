"""Every launch and download button of the built site opens the student edition.

The HTML of every page of `_toc.yml` is parsed: a chapter page has a Binder and a Colab
link built from `_config.yml` (repository, `repository.branch` = the learner branch,
launch settings), and a download link to the student edition the build wrote; other
pages have none. The learner branch is then made in a scratch clone by the release step
(`scripts/learner_branch.py`, as `make learner-branch` runs it): each launch URL's path must
be a file of that branch, holding exactly the student edition.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup

from rnn_lab.book import learner_edition as le
from rnn_lab.book.toc import toc_pages

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import learner_branch  # noqa: E402  (a script, not a package)

CONFIG = yaml.safe_load((REPO / "_config.yml").read_text())
BRANCH = CONFIG["repository"]["branch"]
ORG_REPO = urlsplit(CONFIG["repository"]["url"]).path.strip("/")
LAUNCH = CONFIG["launch_buttons"]
INTERFACE = {"classic": "tree/", "jupyterlab": "lab/tree/"}[LAUNCH["notebook_interface"]]


def _links(html: Path) -> dict[str, list[str]]:
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    launch = soup.select(".dropdown-launch-buttons a")
    return {
        "binder": [a["href"] for a in launch if "Binder" in a.get_text()],
        "colab": [a["href"] for a in launch if "Colab" in a.get_text()],
        "other": [a["href"] for a in launch if not {"Binder", "Colab"} & set(a.get_text().split())],
        "download": [a["href"] for a in soup.select("a.btn-download-source-button")],
    }


@pytest.fixture(scope="module")
def launch_urls(built_book) -> dict[str, dict[str, list[str]]]:
    return {page: _links(built_book / f"{page}.html") for page in toc_pages(REPO)}


def test_the_learner_branch_is_not_the_source_branch():
    assert BRANCH and BRANCH != "main", "launch buttons would open the teacher version"
    assert learner_branch.learner_branch(REPO) == BRANCH


def test_every_page_launches_its_student_edition(launch_urls, built_book):
    chapters = 0
    for page, links in launch_urls.items():
        if not (REPO / f"{page}.ipynb").exists():
            assert not links["binder"] and not links["colab"], f"{page} is not a notebook"
            continue
        chapters += 1
        path = f"{page}.ipynb"
        (binder,) = links["binder"]
        (colab,) = links["colab"]
        assert not links["other"], f"{page}: unexpected launch links {links['other']}"
        binder_prefix = f"{LAUNCH['binderhub_url'].rstrip('/')}/v2/gh/{ORG_REPO}/{BRANCH}?"
        assert binder.startswith(binder_prefix), binder
        assert parse_qs(urlsplit(binder).query)["urlpath"] == [INTERFACE + path]
        assert colab == f"{LAUNCH['colab_url'].rstrip('/')}/github/{ORG_REPO}/blob/{BRANCH}/{path}"
        (download,) = links["download"]
        offered = Path(urlsplit(urljoin(f"file://{built_book}/{page}.html", download)).path)
        student = built_book.parent / "notebooks" / "student" / f"{Path(page).name}.ipynb"
        assert json.loads(offered.read_text()) == json.loads(student.read_text()), page
    assert chapters == len(le.notebook_pages(REPO / "book"))


def test_the_release_step_puts_every_launched_file_on_the_learner_branch(
    launch_urls, built_book, tmp_path
):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(REPO), str(clone)], check=True)
    (clone / "_config.yml").write_text((REPO / "_config.yml").read_text())
    student = built_book.parent / "notebooks" / "student"
    identity = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    with pytest.MonkeyPatch.context() as env:
        for key, value in identity.items():
            env.setenv(key, value)
        # the exact versions `make binder-check` would have recorded for these requirements
        lock = tmp_path / "lock.txt"
        lock.write_text(f"# requirements-digest: {learner_branch.requirements_digest(clone)}\n")
        commit, new = learner_branch.commit_learner_branch(clone, student, BRANCH, lock)
        again, new_again = learner_branch.commit_learner_branch(clone, student, BRANCH, lock)
    assert new and not new_again and again == commit, "an unchanged release commits nothing"

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=clone, capture_output=True, text=True, check=True
        ).stdout

    files = set(git("ls-tree", "-r", "--name-only", BRANCH).split())
    assert {"requirements.txt", "runtime.txt", "pyproject.toml", "rnn_lab/__init__.py"} <= files
    assert {"binder/requirements.txt", "binder/runtime.txt", "LICENSE"} <= files
    assert not any(f.startswith("tests/") for f in files)
    for page, links in launch_urls.items():
        for url in links["binder"]:
            path = parse_qs(urlsplit(url).query)["urlpath"][0].removeprefix(INTERFACE)
            assert path in files, f"{page}: Binder would open {path}, not on {BRANCH}"
            on_branch = json.loads(git("show", f"{BRANCH}:{path}"))
            assert on_branch == json.loads((student / Path(path).name).read_text())
            assert not any(
                le.SOLUTION_TAG in c["metadata"].get("tags", []) for c in on_branch["cells"]
            )
