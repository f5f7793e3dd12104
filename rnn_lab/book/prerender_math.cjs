// MathJax's own server-side rendering, driven by rnn_lab/book/prerender_math.py.
//
// Reads {"formulas": [{"tex": "...", "display": true}, ...], "fontURL": "..."} on stdin and
// writes {"html": [...], "css": "...", "errors": [...]} on stdout: each formula as CommonHTML
// with its MathML beside it for screen readers (MathJax's assistive MathML), and one style
// sheet for every formula of the site. The page then needs no JavaScript to show its maths.
"use strict";

const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { CHTML } = require("mathjax-full/js/output/chtml.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { AssistiveMmlHandler } = require("mathjax-full/js/a11y/assistive-mml.js");
const { AllPackages } = require("mathjax-full/js/input/tex/AllPackages.js");

// An undefined macro or a TeX error fails the build instead of being drawn in red
// (noundefined, noerrors); bussproofs draws with the SVG output only.
const SKIPPED_PACKAGES = new Set(["noundefined", "noerrors", "bussproofs"]);

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
  const chtml = new CHTML({ fontURL: request.fontURL, adaptiveCSS: true });
  const document = mathjax.document("", { InputJax: tex, OutputJax: chtml });
  const html = [];
  const errors = [];
  for (const [index, formula] of request.formulas.entries()) {
    try {
      const node = document.convert(formula.tex, { display: formula.display });
      html.push(adaptor.outerHTML(node));
    } catch (error) {
      html.push("");
      errors.push({ index, message: String(error.message || error) });
    }
  }
  const css = adaptor.textContent(chtml.styleSheet(document));
  process.stdout.write(JSON.stringify({ html, css, errors }));
}

main();
