"""The learner requirements install on every platform a class brings: pip's own resolver, run
for Linux x86-64 and aarch64, macOS arm64 and Windows amd64 (`pip install --dry-run
--platform ...`, wheels only, as a learner's pip would pick them).

pip evaluates environment markers for the interpreter that runs it, not for `--platform`, so
this test evaluates the markers of `requirements.txt` itself for each target (with
`packaging.markers` and the target's environment) and hands pip the requirements selected for
it. The dependencies of those requirements are resolved by pip; their own markers, which pip
would again evaluate for this machine, are checked after the resolution: anything a resolved
package needs on the target but pip left out is resolved in a second round. The `-e .` line
cannot be resolved for another platform (pip would build this checkout for this machine), so
the package's declared dependencies (pyproject.toml) stand in for it.

Needs PyPI (CI has it); a platform that cannot resolve, or a PyPI that cannot be reached, fails.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

REPO = Path(__file__).resolve().parents[1]
#: The Python the book is built and tested with (runtime.txt, Binder's too).
PYTHON = tuple(int(part) for part in (REPO / "runtime.txt").read_text().strip()[7:].split("."))
#: The oldest glibc a Linux learner may have: manylinux_2_28 (Debian 10, RHEL 8, Ubuntu 18.10+).
GLIBC_MINOR = 28
#: pip's resolver on four platforms, with a cold cache, takes about a minute; this bounds a hang.
PIP_TIMEOUT = 600
#: Rounds of "resolve, then add what the target's markers ask for": one is usually enough.
MAX_ROUNDS = 3


def manylinux(machine: str) -> list[str]:
    """Every manylinux tag a glibc-2.28 Linux accepts: pip does not expand ``manylinux_2_28``
    downwards itself, and TensorFlow's wheels are ``manylinux_2_27``."""
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(GLIBC_MINOR, 16, -1)]
    return [*tags, f"manylinux2014_{machine}"]


@dataclass(frozen=True)
class Target:
    """A platform: pip's platform tags, and the marker environment a Python there reports."""

    platforms: tuple[str, ...]
    sys_platform: str
    platform_system: str
    platform_machine: str
    os_name: str
    tensorflow: str  # the TensorFlow package the requirements must choose there
    wheel_platform: str  # what its wheel's platform tag looks like (a regular expression)

    def environment(self) -> dict[str, str]:
        version = ".".join(map(str, PYTHON))
        return {
            "python_version": version,
            "python_full_version": f"{version}.0",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "implementation_version": f"{version}.0",
            "sys_platform": self.sys_platform,
            "platform_system": self.platform_system,
            "platform_machine": self.platform_machine,
            "os_name": self.os_name,
            "platform_release": "",
            "platform_version": "",
            "extra": "",
        }


TARGETS = {
    "linux-x86_64": Target(
        tuple(manylinux("x86_64")),
        "linux",
        "Linux",
        "x86_64",
        "posix",
        "tensorflow-cpu",
        r"manylinux.*_x86_64",
    ),
    "linux-aarch64": Target(
        tuple(manylinux("aarch64")),
        "linux",
        "Linux",
        "aarch64",
        "posix",
        "tensorflow",
        r"manylinux.*_aarch64",
    ),
    # pip expands a macOS tag to the older releases itself; TensorFlow's wheels need macOS 12.
    "macos-arm64": Target(
        ("macosx_14_0_arm64",),
        "darwin",
        "Darwin",
        "arm64",
        "posix",
        "tensorflow",
        r"macosx_1[0-4]_\d+_arm64",
    ),
    "windows-amd64": Target(
        ("win_amd64",), "win32", "Windows", "AMD64", "nt", "tensorflow-cpu", r"win_amd64"
    ),
}


def declared_dependencies(extras: tuple[str, ...] = ()) -> list[Requirement]:
    """pyproject.toml's dependencies, and those of ``extras``."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def learner_requirements() -> list[Requirement]:
    """requirements.txt, with the package's declared dependencies in place of ``-e .``."""
    requirements = []
    for raw in (REPO / "requirements.txt").read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line in ("-e .", "."):
            requirements += declared_dependencies()
        elif line.startswith("-"):
            pytest.fail(f"requirements.txt: this test does not know the option {line!r}")
        else:
            requirements.append(Requirement(line))
    return requirements


def for_target(requirements: list[Requirement], environment: dict[str, str]) -> list[str]:
    """The requirements whose markers hold on the target, without their markers (pip would
    evaluate them again, for this machine)."""
    chosen = []
    for requirement in requirements:
        if requirement.marker is None or requirement.marker.evaluate(environment):
            bare = Requirement(str(requirement))
            bare.marker = None
            chosen.append(str(bare))
    return chosen


def pip_resolve(requirements: list[str], target: Target, scratch: Path) -> list[dict]:
    """pip's resolution for ``target`` (the report's ``install`` list); fails with pip's error."""
    report = scratch / "report.json"
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
        "--only-binary=:all:", "--target", str(scratch / "target"), "--report", str(report),
        "--python-version", ".".join(map(str, PYTHON)), "--implementation", "cp",
        "--abi", "cp{}{}".format(*PYTHON),
        *(f"--platform={platform}" for platform in target.platforms),
        *requirements,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT)
    errors = [line for line in result.stderr.splitlines() if not line.startswith("WARNING")]
    assert result.returncode == 0, (
        f"pip cannot resolve the learner requirements for {target.platforms[0]}:\n"
        + "\n".join(errors[-15:])
    )
    return json.loads(report.read_text())["install"]


def missing_on_target(installs: list[dict], environment: dict[str, str]) -> list[str]:
    """Dependencies that the resolved packages need on the target (their markers evaluated
    there) but that pip, evaluating them for this machine, left out."""
    resolved = {canonicalize_name(item["metadata"]["name"]) for item in installs}
    missing = []
    for item in installs:
        for line in item["metadata"].get("requires_dist", []):
            requirement = Requirement(line)
            if canonicalize_name(requirement.name) in resolved:
                continue
            if requirement.marker is None or requirement.marker.evaluate(environment):
                missing += for_target([requirement], environment)
    return sorted(set(missing))


def test_every_requirement_has_a_known_form():
    requirements = learner_requirements()
    names = {canonicalize_name(r.name) for r in requirements}
    assert {"tensorflow", "tensorflow-cpu", "keras", "numpy"} <= names


@pytest.mark.parametrize("name", TARGETS)
def test_markers_choose_one_tensorflow_per_platform(name):
    """Exactly one TensorFlow package on each platform, the one with wheels there, and the
    same one from requirements.txt and from pyproject's `keras` extra."""
    environment = TARGETS[name].environment()
    for source in (learner_requirements(), declared_dependencies(("keras",))):
        chosen = [Requirement(line).name for line in for_target(source, environment)]
        assert [n for n in chosen if n.startswith("tensorflow")] == [TARGETS[name].tensorflow]


def test_markers_see_the_target_not_this_machine():
    """Every variable a marker may name is set for each target: none of this machine's values
    leaks into a target's evaluation (packaging fills missing ones from the running Python)."""
    for target in TARGETS.values():
        assert set(default_environment()) <= set(target.environment())


@pytest.mark.network
@pytest.mark.parametrize("name", TARGETS)
def test_learner_requirements_resolve(name, tmp_path):
    target = TARGETS[name]
    environment = target.environment()
    requirements = for_target(learner_requirements(), environment)
    for _ in range(MAX_ROUNDS):
        installs = pip_resolve(requirements, target, tmp_path)
        missing = missing_on_target(installs, environment)
        if not missing:
            break
        requirements += missing
    else:
        pytest.fail(f"{name}: still missing after {MAX_ROUNDS} rounds: {missing}")
    wheels = {
        canonicalize_name(item["metadata"]["name"]): item["download_info"]["url"].rsplit("/", 1)[1]
        for item in installs
    }
    assert target.tensorflow in wheels, sorted(wheels)
    assert {"keras", "numpy", "matplotlib", "ipykernel"} <= set(wheels), sorted(wheels)
    # the TensorFlow wheel is one built for the target (not for this machine, nor pure Python)
    *_, tags = parse_wheel_filename(wheels[target.tensorflow])
    assert any(re.fullmatch(target.wheel_platform, tag.platform) for tag in tags), tags
