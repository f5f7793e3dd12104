// MathJax's own server-side rendering, driven by rnn_lab/book/prerender_math.py.
//
// Reads {"pages": [[{"tex": "...", "display": true}, ...], ...]} on stdin (each page's
// distinct formulas) and writes {"pages": [{"html": [...], "glyphs": "<svg ...>"}, ...],
// "css": "...", "errors": [{"page": 0, "index": 3, "message": "..."}]} on stdout: each
// formula as SVG with its MathML beside it for screen readers (MathJax's assistive MathML),
// the page's glyph shapes once (`glyphs`: MathJax's global font cache, which every formula
// of the page draws with <use>), and one small style sheet for every page. Drawn shapes,
// not text in web fonts: a phone lays a formula out as a few SVG boxes, with no font to
// download and no second layout when one arrives. The page then needs no JavaScript to
// show its maths.
"use strict";

const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { SVG } = require("mathjax-full/js/output/svg.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { AssistiveMmlHandler } = require("mathjax-full/js/a11y/assistive-mml.js");
const { AllPackages } = require("mathjax-full/js/input/tex/AllPackages.js");

// An undefined macro or a TeX error fails the build instead of being drawn in red
// (noundefined, noerrors).
const SKIPPED_PACKAGES = new Set(["noundefined", "noerrors"]);

function main() {
  const request = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
  const adaptor = liteAdaptor({ fontSize: 16 });
  AssistiveMmlHandler(RegisterHTMLHandler(adaptor));
  const tex = new TeX({
    packages: AllPackages.filter((name) => !SKIPPED_PACKAGES.has(name)),
    formatError: (_jax, error) => {
      throw error;
    },
  });
  const svg = new SVG({ fontCache: "global" });
  const document = mathjax.document("", { InputJax: tex, OutputJax: svg });
  const pages = [];
  const errors = [];
  for (const [page, formulas] of request.pages.entries()) {
    svg.fontCache.clearCache(); // each page carries the glyphs it draws, no more
    const html = [];
    for (const [index, formula] of formulas.entries()) {
      try {
        const node = document.convert(formula.tex, { display: formula.display });
        html.push(adaptor.outerHTML(node));
      } catch (error) {
        html.push("");
        errors.push({ page, index, message: String(error.message || error) });
      }
    }
    const glyphs = svg.svg(
      "svg",
      { id: SVG.FONTCACHEID, style: { display: "none" }, "aria-hidden": "true" },
      [svg.fontCache.getCache()],
    );
    pages.push({ html, glyphs: adaptor.outerHTML(glyphs) });
  }
  const css = adaptor.textContent(svg.styleSheet(document));
  process.stdout.write(JSON.stringify({ pages, css, errors }));
}

main();
