"""The build's Node.js tools (MathJax, Lighthouse), installed from the project's own lock file.

`package.json` and `package-lock.json` at the repository's root pin them; `npm ci` installs
exactly that into `node_modules/` the first time a build or `make lighthouse` needs it, so a
fresh clone needs nothing but Node and npm (Node 18 or later).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

#: Where `package.json` lives: the repository's root, two levels above this package.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
NODE_HINT = "install Node.js 18 or later with npm (Debian: apt-get install nodejs npm)"


class NodeToolsError(RuntimeError):
    """Node or an npm package the build needs is missing and cannot be installed."""


def node_modules(root: Path = PROJECT_ROOT) -> Path:
    return Path(root) / "node_modules"


def ensure_installed(package: str, *, dev: bool = False, root: Path = PROJECT_ROOT) -> Path:
    """The folder of npm `package`, running `npm ci` first if it is not installed yet.

    `dev=False` installs the runtime dependencies only (`--omit=dev`): a book build does
    not need Lighthouse and its browser tooling.
    """
    folder = node_modules(root) / package
    if (folder / "package.json").is_file():
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise NodeToolsError(f"npm is needed to install {package}: {NODE_HINT}")
    command = [npm, "ci", "--no-audit", "--no-fund"] + ([] if dev else ["--omit=dev"])
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (folder / "package.json").is_file():
        raise NodeToolsError(
            f"`{' '.join(command[1:])}` in {root} did not install {package}:\n{done.stderr[-2000:]}"
        )
    return folder


def run_node(script: Path, stdin: str, *, root: Path = PROJECT_ROOT) -> str:
    """Run a Node script that resolves its `require`s in the project's `node_modules`."""
    node = shutil.which("node")
    if node is None:
        raise NodeToolsError(f"node is needed to run {script.name}: {NODE_HINT}")
    env = {**os.environ, "NODE_PATH": str(node_modules(root))}
    done = subprocess.run(
        [node, str(script)], input=stdin, capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise NodeToolsError(f"{script.name} failed:\n{done.stderr[-4000:]}")
    return done.stdout
