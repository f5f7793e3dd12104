"""MyST Markdown, as the book's chapters are written, turned into the Markdown that plain
Jupyter, JupyterLab and Colab render.

Glue roles and directives are replaced by the values the build computed, through a
``glue(kind, body)`` callback (:func:`format_glue` formats one value as the website does);
admonitions and dropdowns become quoted paragraphs and ``<details>`` blocks, ``{math}``,
``{sub}``, ``{doc}`` and their kin become Markdown or HTML, and target labels are dropped.
What has no such form raises ``KeyError`` naming it; :func:`myst_leftovers` finds whatever
MyST-only syntax a notebook still holds. The learner edition
(:mod:`rnn_lab.book.learner_edition`) turns these errors into messages naming the chapter
and the cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import nbformat

#: Admonitions that become a quoted paragraph with this title.
ADMONITION_TITLES = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
}


GLUE_ROLE = re.compile(r"\{glue(?::(?P<kind>[\w-]*))?\}`(?P<body>[^`]*)`")
OTHER_ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<body>[^`]*)`")
DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<argument>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
LABEL_LINE = re.compile(r"^\([\w.:-]+\)=[ \t]*\n", re.MULTILINE)


def format_glue(name: str, kind: str, spec: str, bundle: dict) -> str:
    """The Markdown that replaces one glue role, as myst-nb renders it on the website:
    ``md`` pastes the Markdown, ``math`` the LaTeX, ``text`` the plain text formatted by
    ``spec``; the plain ``{glue}`` role pastes Markdown when there is some, else text."""
    from myst_nb.core.variables import format_plain_text  # the website's own formatting

    mime = {
        "md": "text/markdown",
        "math": "text/latex",
        "text": "text/plain",
        "": "text/markdown" if "text/markdown" in bundle else "text/plain",
        "any": "text/markdown" if "text/markdown" in bundle else "text/plain",
    }.get(kind)
    if mime is None:
        raise KeyError(f"{{glue:{kind}}} has no plain-Markdown form")
    if mime not in bundle:
        raise KeyError(f"glue value {name!r} has no {mime}")
    if mime == "text/plain":
        return format_plain_text(bundle[mime], spec or "")
    if mime == "text/latex":
        return f"${bundle[mime].strip().strip('$')}$"
    return bundle[mime].strip()


def split_glue_body(kind: str, body: str) -> tuple[str, str]:
    """``name:spec`` -> (name, spec); for ``glue:md`` the spec is the Markdown flavour."""
    if "::" in body:
        raise KeyError(f"glue from another document ({body!r}) is not supported")
    name, _, spec = body.partition(":")
    return name.strip(), "" if kind == "md" else spec.strip()


# --- MyST -> Markdown Jupyter renders ------------------------------------------------------


def _role(name: str, body: str) -> str:
    """One non-glue MyST role as Markdown/HTML, or KeyError when it has no such form."""
    text, _, target = body.partition(" <")
    if name == "math":
        return f"${body}$"
    if name in ("sub", "sup"):
        return f"<{name}>{body}</{name}>"
    if name in ("term", "abbr"):
        return re.sub(r"\s*\(.*\)$", "", text) if name == "abbr" else text
    if name == "doc":
        path = target.rstrip(">") if target else body
        return f"[{text if target else Path(path).name}]({Path(path).with_suffix('.ipynb')})"
    raise KeyError(f"role {{{name}}} has no plain-Markdown form")


def _quote(title: str, body: str) -> str:
    lines = [f"**{title}.**" if title else "", *body.strip("\n").split("\n")]
    return "\n".join(f"> {line}".rstrip() for line in lines if line is not None)


def _details(title: str, body: str) -> str:
    # <details> is rendered, folded, by Jupyter Notebook, JupyterLab and Colab; the blank
    # lines let the Markdown (and math) inside it be parsed as Markdown.
    return f"<details>\n<summary><b>{title}</b></summary>\n\n{body.strip()}\n\n</details>"


def _directive(name: str, argument: str, body: str) -> str:
    """One MyST directive (already translated inside) as Markdown/HTML."""
    options = {}
    lines = body.split("\n")
    while lines and lines[0].startswith(":") and ":" in lines[0][1:]:
        key, _, value = lines.pop(0)[1:].partition(":")
        options[key.strip()] = value.strip()
    content = "\n".join(lines)
    folded = "dropdown" in options.get("class", "").split() or name == "dropdown"
    if name in ("admonition", "dropdown") or name in ADMONITION_TITLES:
        title = argument.strip() or ADMONITION_TITLES.get(name, name.title())
        return _details(title, content) if folded else _quote(title, content)
    if name == "math":
        return f"$$\n{content.strip()}\n$$"
    if name == "only":  # text for one Sphinx builder (the website): not for a notebook
        return ""
    raise KeyError(f"directive {{{name}}} has no plain-Markdown form")


def translate_markdown(source: str, glue: Callable[[str, str], str]) -> str:
    """MyST Markdown -> Markdown for Jupyter: glue roles through ``glue(kind, body)``,
    directives and the other roles translated, labels dropped."""
    source = LABEL_LINE.sub("", source)

    def directive(match: re.Match) -> str:
        name = match["name"]
        body = translate_markdown(match["body"], glue)
        if name.startswith("glue"):
            kind = name.partition(":")[2]
            return glue(kind, match["argument"].strip() + _glue_spec(body))
        return _directive(name, match["argument"], body)

    source = DIRECTIVE.sub(directive, source)
    source = GLUE_ROLE.sub(lambda m: glue(m["kind"] or "", m["body"]), source)
    return OTHER_ROLE.sub(lambda m: _role(m["name"], m["body"]), source)


def _glue_spec(body: str) -> str:
    match = re.search(r"^:format:\s*(\S+)", body, re.MULTILINE)
    return f":{match[1]}" if match else ""


#: What a notebook must not contain once the prose is finished: Jupyter would show it raw.
LEFTOVERS = {
    "a glue role": re.compile(r"\{glue"),
    "a MyST directive fence": re.compile(r"^[ \t>]*(?:`{3,}|:{3,})\{", re.MULTILINE),
    "a MyST role": OTHER_ROLE,
    "a MyST target label": re.compile(r"^\([\w.:-]+\)=", re.MULTILINE),
}


def myst_leftovers(nb: nbformat.NotebookNode) -> list[str]:
    """Every piece of MyST-only syntax left in the Markdown of ``nb``, as
    ``"cell N: what: text"`` (empty for a finished notebook)."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for what, pattern in LEFTOVERS.items():
            for match in pattern.finditer(cell.source):
                line = cell.source[match.start() :].split("\n", 1)[0]
                found.append(f"cell {index}: {what}: {line[:60]!r}")
    return found
