"""A release of the book: the one version that names it, its tag, its licences, its citation.

A release is named by ``version`` in ``pyproject.toml``; ``CITATION.cff`` and the newest entry
of ``CHANGELOG.md`` carry the same version, and the git tag ``v{version}`` marks the commit of
the ``learner`` branch that holds its student edition (``scripts/learner_branch.py`` makes both).
The tag can be named before that commit exists, which is why the learner edition's Colab set-up
cell installs ``rnn_lab`` from the tag (:func:`install_requirement`): a commit cannot name its
own hash, but it can name the version it is about to be tagged with.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

#: The licences, as the README, the site's footer and the learner editions state them.
CODE_LICENCE = ("MIT", "LICENSE")
CONTENT_LICENCE = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")
CHANGELOG_ENTRY = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2})", re.M)


def repository_root() -> Path:
    """The repository this ``rnn_lab`` was imported from (``_config.yml`` beside the package),
    or the working directory for an installed copy."""
    beside_package = Path(__file__).resolve().parents[2]
    return beside_package if (beside_package / "_config.yml").exists() else Path.cwd()


def version(repo: Path | str | None = None) -> str:
    """``project.version`` of ``pyproject.toml``: the release's one name."""
    path = Path(repo or repository_root()) / "pyproject.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))["project"]["version"]


def tag(repo: Path | str | None = None) -> str:
    """The git tag of the release, ``v{version}``."""
    return f"v{version(repo)}"


def repository_url(repo: Path | str | None = None) -> str:
    """``repository.url`` of ``_config.yml``: the one place the repository is named."""
    import yaml  # the book tooling's; learners never need this module

    config = Path(repo or repository_root()) / "_config.yml"
    return yaml.safe_load(config.read_text(encoding="utf-8"))["repository"]["url"].rstrip("/")


def install_requirement(repo: Path | str | None = None) -> str:
    """What the learner edition's set-up cell gives ``pip``: ``rnn_lab`` at this release's tag."""
    return f"rnn_lab @ git+{repository_url(repo)}@{tag(repo)}"


def changelog_entries(repo: Path | str | None = None) -> list[tuple[str, str]]:
    """``(version, date)`` of every release in ``CHANGELOG.md``, newest first."""
    text = (Path(repo or repository_root()) / "CHANGELOG.md").read_text(encoding="utf-8")
    return [(m["version"], m["date"]) for m in CHANGELOG_ENTRY.finditer(text)]


def citation(repo: Path | str | None = None) -> dict:
    """``CITATION.cff`` as a mapping."""
    import yaml

    path = Path(repo or repository_root()) / "CITATION.cff"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def disagreements(repo: Path | str | None = None) -> list[str]:
    """Where ``CITATION.cff`` or ``CHANGELOG.md`` do not name the version of ``pyproject.toml``
    (empty when the release's names agree)."""
    current, problems = version(repo), []
    entries = changelog_entries(repo)
    if not entries or entries[0][0] != current:
        newest = entries[0][0] if entries else "no entry"
        problems.append(f"CHANGELOG.md: newest entry is {newest}, pyproject.toml says {current}")
    cff = citation(repo)
    if str(cff.get("version")) != current:
        problems.append(f"CITATION.cff: version {cff.get('version')}, pyproject says {current}")
    if entries and entries[0][0] == current and str(cff.get("date-released")) != entries[0][1]:
        problems.append(
            f"CITATION.cff: date-released {cff.get('date-released')}, CHANGELOG.md's entry for "
            f"{current} is dated {entries[0][1]}"
        )
    preferred = cff.get("preferred-citation", {})
    if preferred and str(preferred.get("version")) != current:
        problems.append(
            f"CITATION.cff: preferred-citation names version {preferred.get('version')}"
        )
    return problems


def licence_note(repo: Path | str | None = None) -> str:
    """One Markdown paragraph: which release this is, under which licences, how to cite it."""
    url, release = repository_url(repo), tag(repo)
    code, code_file = CODE_LICENCE
    content, content_url = CONTENT_LICENCE
    return (
        f"rnn-lab {version(repo)} ([{release}]({url}/tree/{release})). Text, figures and "
        f"exercises: © the rnn-lab contributors, [{content}]({content_url}): copy, adapt and "
        f"hand them out, crediting rnn-lab. Code: [{code}]({url}/blob/{release}/{code_file}). "
        f"To cite this release, see [CITATION.cff]({url}/blob/{release}/CITATION.cff)."
    )
