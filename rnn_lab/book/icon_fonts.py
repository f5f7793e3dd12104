"""The theme's icons cut down to those the site shows: fonts and style sheet.

The pydata theme draws its icons (search, dark mode, menu, download, GitHub…) with
FontAwesome's web fonts: 300 KB of woff2 for the 20 icons the pages use. `subset_icon_fonts`
rewrites the site's copies of those fonts in place with only the glyphs of the icons named in
the pages and the theme's scripts (`fa-sun` → the code point the theme's CSS gives it), so
each is a few KB; the file names and the icons stay as they were. The theme's style sheet
loses the rules of the 1,800 icons no page shows (a fifth of the CSS that blocks every
first paint). fontTools (a matplotlib dependency) does the subsetting; brotli compresses
the woff2.
"""

from __future__ import annotations

import re
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FONT_DIR = "_static/vendor/fontawesome/webfonts"
THEME_CSS = "_static/styles/pydata-sphinx-theme.css"
_ICON_NAME = re.compile(r"\bfa-[a-z0-9-]+")
# `.fa-sun:before{content:"\f185"}`, several selectors possibly sharing one rule.
_ICON_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:{1,2}before,?)+)\{content:"\\([0-9a-fA-F]+)"\}')


def icon_names(site: Path) -> set[str]:
    """Every `fa-…` class the pages and the theme's scripts (not FontAwesome's own) use."""
    site = Path(site)
    sources = [*site.rglob("*.html"), *(site / "_static").rglob("*.js")]
    names: set[str] = set()
    for path in sources:
        if "fontawesome" not in path.name:
            names |= set(_ICON_NAME.findall(path.read_text(encoding="utf-8", errors="ignore")))
    return names


def icon_code_points(css: str, names: set[str]) -> set[int]:
    """The code points the theme's CSS draws for the icons `names`."""
    points = set()
    for selectors, code in _ICON_RULE.findall(css):
        if set(re.findall(r"fa-[a-z0-9-]+", selectors)) & names:
            points.add(int(code, 16))
    return points


def prune_icon_rules(css: str, names: set[str]) -> str:
    """`css` without the rules of icons none of `names` is (`.fa-rocket:before{…}` kept)."""

    def one(match: re.Match) -> str:
        shown = set(re.findall(r"fa-[a-z0-9-]+", match[1])) & names
        return match[0] if shown else ""

    return _ICON_RULE.sub(one, css)


def subset_font(path: Path, code_points: set[int]) -> int:
    """Rewrite the font at `path` (woff2 or ttf) with only `code_points`; its new size."""
    options = subset.Options()
    options.flavor = "woff2" if path.suffix == ".woff2" else None
    options.layout_features = ["*"]
    options.ignore_missing_unicodes = True
    font = TTFont(path)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=code_points)
    subsetter.subset(font)
    font.flavor = options.flavor
    font.save(path)
    return path.stat().st_size


def subset_icon_fonts(site: Path) -> dict[str, int]:
    """Cut the site's FontAwesome fonts down to the icons it uses; their new sizes."""
    site = Path(site)
    fonts = site / FONT_DIR
    css = site / THEME_CSS
    if not fonts.is_dir() or not css.is_file():
        return {}
    names = icon_names(site)
    style = css.read_text(encoding="utf-8")
    points = icon_code_points(style, names)
    if not points:
        raise ValueError(f"no icon of the pages is drawn by {THEME_CSS}")
    css.write_text(prune_icon_rules(style, names), encoding="utf-8")
    return {
        font.name: subset_font(font, points)
        for font in sorted(fonts.iterdir())
        if font.suffix in {".woff2", ".ttf"}
    }
