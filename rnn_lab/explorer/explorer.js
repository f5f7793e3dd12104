// The explorer's renderer: the one script that draws chapter 4's explorer, live and static.
//
// It turns numbers into four SVG panels (units over time with the saturation bands, h_t as a
// heat map, the 2-D path, the error per timestep) and a summary line. Two data sources feed
// it the same "frame" (see rnn_lab/explorer/renderer.py):
//   - the static page (rnn_lab/explorer/static.py): a classic inline <script> runs this file
//     and calls rnnLabExplorer.mountStatic(root), which reads the precomputed grid from the
//     block's JSON and redraws when one of its sliders moves;
//   - the live widget (rnn_lab/explorer/widget.py): anywidget loads this file as an ES
//     module ending with `export default { render: rnnLabExplorer.render }`; render() builds
//     the controls, sends their values to the kernel and draws every frame it sends back.
// ES5-style, no library, nothing fetched (on the website, the numbers come as a script file
// of the site): it runs offline in any browser a notebook is read in.
// biome-ignore lint/correctness/noUnusedVariables: used by what embeds this file (see above)
var rnnLabExplorer = (function () {
  "use strict";
  var W = 400, H = 290, M = { l: 62, r: 14, t: 30, b: 48 };
  var PANELS = ["trajectories", "heatmap", "projection", "errors"];

  function decode(text, Kind) {
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return new Kind(bytes.buffer);
  }
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }
  function n1(v) { return v.toFixed(1); }
  function label(v) {
    var a = Math.abs(v);
    if (a === 0) { return "0"; }
    if (a >= 1e4 || a < 1e-2) { return v.toExponential(0); }
    return String(Math.round(v * 1000) / 1000);
  }
  function ticks(lo, hi, count, integer) {
    if (!(hi > lo)) { return [lo]; }
    var raw = (hi - lo) / count, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p, step = (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p, out = [];
    if (integer) { step = Math.max(1, Math.round(step)); }
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }
  function text(x, y, content, extra) {
    return '<text x="' + n1(x) + '" y="' + n1(y) + '" ' + (extra || "") + ">" +
      esc(content) + "</text>";
  }
  function frame(o) {
    var right = o.right || M.r, pw = W - M.l - right, ph = H - M.t - M.b;
    var f = o.logy ? Math.log10 : function (v) { return v; };
    var sx = function (v) { return M.l + (v - o.x0) / (o.x1 - o.x0) * pw; };
    var sy = function (v) { return M.t + ph - (f(v) - f(o.y0)) / (f(o.y1) - f(o.y0)) * ph; };
    var s = ['<rect x="' + M.l + '" y="' + M.t + '" width="' + pw + '" height="' + ph +
      '" fill="none" stroke="#444" stroke-width="0.8"/>'];
    o.xticks.forEach(function (v) {
      var x = sx(v);
      s.push('<line x1="' + n1(x) + '" x2="' + n1(x) + '" y1="' + (M.t + ph) + '" y2="' +
        (M.t + ph + 4) + '" stroke="#444"/>');
      s.push(text(x, M.t + ph + 17, label(v), 'text-anchor="middle"'));
    });
    o.yticks.forEach(function (v) {
      var y = sy(v);
      s.push('<line x1="' + (M.l - 4) + '" x2="' + M.l + '" y1="' + n1(y) + '" y2="' +
        n1(y) + '" stroke="#444"/>');
      s.push(text(M.l - 6, y + 5, o.logy ? "1e" + Math.round(Math.log10(v)) : label(v),
        'text-anchor="end"'));
    });
    s.push(text(M.l + pw / 2, H - 8, o.xlabel, 'text-anchor="middle"'));
    s.push(text(15, M.t + ph / 2, o.ylabel,
      'text-anchor="middle" transform="rotate(-90 15 ' + n1(M.t + ph / 2) + ')"'));
    s.push(text(M.l + pw / 2, 18, o.title, 'text-anchor="middle" font-size="14"'));
    return { sx: sx, sy: sy, pw: pw, ph: ph, svg: s.join("") };
  }
  function svg(name, body) {
    return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + W + " " + H +
      '" role="img" aria-label="' + esc(name) + '" font-family="sans-serif" font-size="13">' +
      '<rect width="' + W + '" height="' + H + '" fill="#fff"/>' + body + "</svg>";
  }
  function colourOf(list, fraction) {
    var i = Math.round(Math.min(1, Math.max(0, fraction)) * (list.length - 1));
    return list[i];
  }
  function colourBar(list, x, y0, y1, lo, hi) {
    var s = [], n = list.length, h = (y1 - y0) / n;
    for (var i = 0; i < n; i++) {
      s.push('<rect x="' + x + '" y="' + n1(y1 - (i + 1) * h) + '" width="10" height="' +
        n1(h + 0.6) + '" fill="' + list[i] + '"/>');
    }
    s.push(text(x + 13, y1, label(lo), ""));
    s.push(text(x + 13, y0 + 9, label(hi), ""));
    return s.join("");
  }

  // ---------------------------------------------------------------- the four panels
  // Each takes the settings (constants of the page or widget) and one view's numbers.

  function trajectories(set, states, T, Hu) {
    var f = frame({ x0: 0.5, x1: T + 0.5, y0: -1.05, y1: 1.05, xticks: ticks(1, T, 6, true),
      yticks: [-1, -0.5, 0, 0.5, 1], xlabel: "timestep t", ylabel: "h_t[j]",
      title: "Units over time (H = " + Hu + ", grey: saturated)" });
    var band = function (a, b) {
      return '<rect class="saturated" x="' + M.l + '" y="' + n1(f.sy(b)) + '" width="' + f.pw +
        '" height="' + n1(f.sy(a) - f.sy(b)) + '" fill="#e0e0e0"/>';
    };
    var s = [band(set.saturation, 1.05), band(-1.05, -set.saturation)];
    var width = Hu <= 8 ? 1.6 : Math.max(0.6, 1.6 - Hu / 40);
    for (var j = 0; j < Hu; j++) {
      var colour = set.colours.units[j % 10], points = [], dots = [];
      for (var t = 0; t < T; t++) {
        var x = n1(f.sx(t + 1)), y = n1(f.sy(states[t * Hu + j] / set.state_scale));
        points.push(x + "," + y);
        if (T <= 30) { dots.push('<circle cx="' + x + '" cy="' + y + '" r="2"/>'); }
      }
      s.push('<g class="unit" fill="' + colour + '"><polyline fill="none" stroke="' + colour +
        '" stroke-width="' + width + '" points="' + points.join(" ") + '"/>' +
        dots.join("") + "</g>");
    }
    return svg("hidden units over time", s.join("") + f.svg);
  }

  function heatmap(set, states, T, Hu) {
    var f = frame({ x0: 0.5, x1: T + 0.5, y0: Hu - 0.5, y1: -0.5, xticks: ticks(1, T, 6, true),
      yticks: ticks(0, Hu - 1, 5, true), xlabel: "timestep t", ylabel: "hidden unit j",
      title: "h_t as a heat map (H = " + Hu + ", T = " + T + ")", right: 54 });
    var list = set.colours.heat, s = [], cw = f.pw / T, rh = f.ph / Hu;
    for (var j = 0; j < Hu; j++) {
      var start = 0;
      for (var t = 1; t <= T; t++) {  // one rectangle per run of equal colours
        var c0 = colourOf(list, (states[start * Hu + j] / set.state_scale + 1) / 2);
        var c1 = t < T ? colourOf(list, (states[t * Hu + j] / set.state_scale + 1) / 2) : "";
        if (c1 !== c0) {
          s.push('<rect class="cell" x="' + n1(M.l + start * cw) + '" y="' + n1(M.t + j * rh) +
            '" width="' + n1((t - start) * cw + 0.4) + '" height="' + n1(rh + 0.4) +
            '" fill="' + c0 + '"/>');
          start = t;
        }
      }
    }
    s.push(colourBar(list, W - 46, M.t, M.t + f.ph, -1, 1));
    return svg("hidden state heat map", s.join("") + f.svg);
  }

  function projection(set, view, T) {
    var z = decode(view.pca, Float32Array), xs = [], ys = [];
    for (var t = 0; t < T; t++) { xs.push(z[2 * t]); ys.push(z[2 * t + 1]); }
    var range = function (v) {
      var lo = Math.min.apply(null, v), hi = Math.max.apply(null, v), pad = (hi - lo) * 0.08;
      return hi - lo > 1e-12 ? [lo - pad, hi + pad] : [lo - 1, hi + 1];
    };
    var rx = range(xs), ry = range(ys), right = 54;
    // Equal scales on both axes, as distances in state space are real distances.
    var pw = W - M.l - right, ph = H - M.t - M.b;
    var unit = Math.max((rx[1] - rx[0]) / pw, (ry[1] - ry[0]) / ph);
    var widen = function (r, size) {
      var centre = (r[0] + r[1]) / 2;
      return [centre - unit * size / 2, centre + unit * size / 2];
    };
    rx = widen(rx, pw);
    ry = widen(ry, ph);
    var f = frame({ x0: rx[0], x1: rx[1], y0: ry[0], y1: ry[1], xticks: ticks(rx[0], rx[1], 5),
      yticks: ticks(ry[0], ry[1], 5), right: right,
      xlabel: "direction 1 (" + Math.round(100 * view.share[0]) + "% of the spread)",
      ylabel: "direction 2 (" + Math.round(100 * view.share[1]) + "%)",
      title: "Path of h_t in 2-D (PCA)" });
    var line = [], dots = [];
    for (t = 0; t < T; t++) {
      var x = n1(f.sx(xs[t])), y = n1(f.sy(ys[t]));
      line.push(x + "," + y);
      dots.push('<circle class="point" cx="' + x + '" cy="' + y + '" r="3" fill="' +
        colourOf(set.colours.time, T > 1 ? t / (T - 1) : 0) + '"/>');
    }
    var sx = f.sx(xs[0]), sy = f.sy(ys[0]), ex = f.sx(xs[T - 1]), ey = f.sy(ys[T - 1]);
    var marks = '<circle class="start" cx="' + n1(sx) + '" cy="' + n1(sy) +
      '" r="7" fill="none" stroke="#000" stroke-width="1.6"/>' +
      '<path class="end" d="M' + n1(ex - 5) + " " + n1(ey - 5) + "L" + n1(ex + 5) + " " +
      n1(ey + 5) + "M" + n1(ex - 5) + " " + n1(ey + 5) + "L" + n1(ex + 5) + " " + n1(ey - 5) +
      '" stroke="#000" stroke-width="2.5"/>';
    var key = text(M.l + 6, M.t + 15, "○ start h_1   ✕ end h_" + T, 'font-size="12"');
    return svg("hidden state path, 2-D projection",
      '<polyline fill="none" stroke="#999" stroke-width="0.8" points="' + line.join(" ") +
      '"/>' + dots.join("") + marks + key +
      colourBar(set.colours.time, W - 46, M.t, M.t + f.ph, 1, T) + f.svg);
  }

  function errors(set, values, T, sampleValues, sample) {
    var positive = [], t;
    var collect = function (list) {
      for (var i = 0; i < T; i++) { if (list[i] > 0) { positive.push(list[i]); } }
    };
    collect(values);
    if (sampleValues) { collect(sampleValues); }
    var lo = Math.min.apply(null, positive.concat([set.eps])) / 6;
    var hi = Math.max(set.tolerance, Math.max.apply(null, positive.concat([0]))) * 6;
    var decades = [];
    for (var d = Math.ceil(Math.log10(lo)); d <= Math.floor(Math.log10(hi)); d++) {
      decades.push(d);
    }
    var every = Math.ceil(decades.length / 7);
    var f = frame({ x0: 0.5, x1: T + 0.5, y0: lo, y1: hi, logy: true,
      xticks: ticks(1, T, 6, true),
      yticks: decades.filter(function (_d, i) { return i % every === 0; })
        .map(function (d) { return Math.pow(10, d); }),
      xlabel: "timestep t", ylabel: "max |y_t Keras − y_t loop|",
      title: "Keras vs loop, max over " + set.n_samples + " samples" });
    var s = [], line = [];
    var level = function (v, colour, name) {
      var y = n1(f.sy(v));
      s.push('<line class="reference" x1="' + M.l + '" x2="' + (M.l + f.pw) + '" y1="' + y +
        '" y2="' + y + '" stroke="' + colour + '" stroke-dasharray="5 3"/>');
      s.push(text(M.l + 4, f.sy(v) - 4, name, 'font-size="12" fill="' + colour + '"'));
    };
    level(set.eps, "#555", set.dtype + " machine epsilon " + set.eps.toExponential(2));
    level(set.tolerance, "#b00", "tolerance " + set.tolerance.toExponential(0));
    if (sampleValues) {  // the sample drawn in the other panels, under the maximum
      var own = [];
      for (t = 0; t < T; t++) {
        if (sampleValues[t] > 0) { own.push(n1(f.sx(t + 1)) + "," + n1(f.sy(sampleValues[t]))); }
      }
      s.push('<polyline class="sample-error" fill="none" stroke="#D55E00" stroke-width="1.2" ' +
        'stroke-dasharray="2 2" points="' + own.join(" ") + '"/>');
      s.push(text(M.l + f.pw - 4, M.t + f.ph - 6, "dashed: sample " + sample,
        'font-size="12" text-anchor="end" fill="#c55a00"'));
    }
    for (t = 0; t < T; t++) {
      var x = n1(f.sx(t + 1));
      if (values[t] > 0) {
        var y = n1(f.sy(values[t]));
        line.push(x + "," + y);
        s.push('<circle class="error" cx="' + x + '" cy="' + y + '" r="2.2" fill="#0072B2"/>');
      } else {  // exactly equal: a log axis has no place for 0, mark it on the bottom edge
        var b = M.t + f.ph;
        s.push('<path class="exact" d="M' + x + " " + n1(b - 2) + "l-4 -7h8z" +
          '" fill="#0072B2"/>');
      }
    }
    s.unshift('<polyline fill="none" stroke="#0072B2" stroke-width="1" points="' +
      line.join(" ") + '"/>');
    return svg("error per timestep", s.join("") + f.svg);
  }

  // One view: `view` holds hidden_units, seq_len, states (int8, base64, at least T rows of
  // H), errors (float32, base64, at least T), pca (float32 (T, 2)), share, summary, and
  // optionally sample_errors and sample. `part(role)` finds an element of the block.
  function draw(part, set, view) {
    var Hu = view.hidden_units, T = view.seq_len;
    var states = decode(view.states, Int8Array), errs = decode(view.errors, Float32Array);
    var own = view.sample_errors ? decode(view.sample_errors, Float32Array) : null;
    part("summary").textContent = view.summary;
    part("panel-trajectories").innerHTML = trajectories(set, states, T, Hu);
    part("panel-heatmap").innerHTML = heatmap(set, states, T, Hu);
    part("panel-projection").innerHTML = projection(set, view, T);
    part("panel-errors").innerHTML = errors(set, errs, T, own, view.sample);
  }

  function finder(root) {
    return function (role) { return root.querySelector('[data-role="' + role + '"]'); };
  }

  // ---------------------------------------------------------------- the static page

  // The numbers sit in the block (a notebook) or, on the website, in a script file
  // (rnn_lab/book/page_assets.py) added to the page when the explorer comes near the screen:
  // a <script src> rather than the Fetch API, which Chromium refuses for a page opened from file://.
  function whenNearScreen(root, callback) {
    if (typeof IntersectionObserver === "undefined") { callback(); return; }
    var observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (entry) { return entry.isIntersecting; })) {
        observer.disconnect();
        callback();
      }
    }, { rootMargin: "600px 0px" });
    observer.observe(root);
  }
  function loadData(holder, callback, failed) {
    var key = holder.getAttribute("data-key"), tag = document.createElement("script");
    tag.src = holder.getAttribute("data-src");
    tag.onload = function () {
      var store = window.rnnLabExplorerData || {};
      if (store[key]) { callback(store[key]); } else { failed(); }
    };
    tag.onerror = failed;
    document.head.appendChild(tag);
  }
  function mountStatic(root) {
    if (!root || root.getAttribute("data-ready") === "1") { return; }
    root.setAttribute("data-ready", "1");
    var part = finder(root), holder = part("data");
    if (!holder.getAttribute("data-src")) {
      showStatic(root, part, JSON.parse(holder.textContent));
      return;
    }
    whenNearScreen(root, function () {
      loadData(holder, function (data) { showStatic(root, part, data); }, function () {
        part("summary").textContent = "The explorer's numbers (" + holder.getAttribute("data-src") +
          ") could not be loaded.";
      });
    });
  }
  function showStatic(root, part, data) {
    var axes = data.axes, nS = axes.recurrent_scale.length, nT = axes.seq_len.length;
    var controls = { h: part("control-h"), t: part("control-t"), s: part("control-s") };
    function show() {
      var i = +controls.h.value, l = +controls.t.value, k = +controls.s.value;
      var run = data.runs[i * nS + k], view = data.views[(i * nS + k) * nT + l];
      var Hu = axes.hidden_units[i], T = axes.seq_len[l];
      part("value-h").textContent = String(Hu);
      part("value-t").textContent = String(T);
      part("value-s").textContent = axes.recurrent_scale[k].toFixed(1);
      draw(part, data, { hidden_units: Hu, seq_len: T, states: run.states,
        errors: run.errors, pca: view.pca, share: view.share, summary: view.summary });
    }
    ["h", "t", "s"].forEach(function (name) {
      controls[name].addEventListener("input", show);
    });
    show();
    root.setAttribute("data-loaded", "1");
  }

  // ---------------------------------------------------------------- the live widget
  // The model (anywidget) holds the controls' values (hidden_units, seq_len,
  // recurrent_scale, seed, sample), `settings` (ranges and constants, sent once), and what
  // the kernel answers: `frame` (a view, as above), `error` (why the last update failed,
  // or "") and `revision` (counts the kernel's answers, so that every answer is seen).

  var LIVE_CONTROLS = [
    { name: "hidden_units", key: "h", text: "hidden units H", kind: "range" },
    { name: "seq_len", key: "t", text: "sequence length T", kind: "range" },
    { name: "recurrent_scale", key: "s", text: "recurrent scale (× Wh)", kind: "range" },
    { name: "seed", key: "seed", text: "weights seed", kind: "number" },
    { name: "sample", key: "sample", text: "sample shown", kind: "select" }
  ];

  function liveControl(c, set, value) {
    var range = set.ranges[c.name], step = c.name === "recurrent_scale" ? set.scale_step : 1;
    var head = "<label><span>" + esc(c.text) + "</span>";
    var common = ' data-role="control-' + c.key + '" aria-label="' + esc(c.text) + '"';
    if (c.kind === "select") {
      var options = [];
      for (var i = range[0]; i <= range[1]; i++) {
        options.push('<option value="' + i + '"' + (i === value ? " selected" : "") +
          ">sample " + i + "</option>");
      }
      return head + "<select" + common + ">" + options.join("") + "</select></label>";
    }
    var input = "<input" + common + ' type="' + c.kind + '" min="' + range[0] + '" max="' +
      range[1] + '" step="' + step + '" value="' + value + '">';
    var readout = c.kind === "range" ? '<output data-role="value-' + c.key + '"></output>' : "";
    return head + input + readout + "</label>";
  }

  function render(context) {
    var model = context.model, set = model.get("settings");
    var root = document.createElement("div");
    root.className = "rnn-lab-explorer rnn-lab-live-explorer";
    root.innerHTML = '<div class="rle-controls">' + LIVE_CONTROLS.map(function (c) {
      return liveControl(c, set, model.get(c.name));
    }).join("") + "</div>" +
      '<p class="rle-summary" data-role="summary" aria-live="polite"></p>' +
      '<div class="rle-panels">' + PANELS.map(function (name) {
        return '<div data-role="panel-' + name + '"></div>';
      }).join("") + "</div>" +
      '<pre class="rle-output" data-role="output" role="alert" hidden></pre>';
    context.el.appendChild(root);
    var part = finder(root), waiting = false, sending = false, timer = null;

    function wantedValue(c) {  // the control's value, clamped to its range as the kernel would
      var range = set.ranges[c.name], raw = part("control-" + c.key).value;
      var v = raw === "" ? Number.NaN : Number(raw);
      if (!Number.isFinite(v)) { v = model.get(c.name); }
      if (c.name !== "recurrent_scale") { v = Math.round(v); }
      return Math.min(range[1], Math.max(range[0], v));
    }
    function showValues() {
      LIVE_CONTROLS.forEach(function (c) {
        var readout = part("value-" + c.key), v = wantedValue(c);
        if (readout) { readout.textContent = c.name === "recurrent_scale" ? v.toFixed(2) : v; }
      });
    }
    function request() {  // send what the controls show; one request at a time, latest wins
      if (waiting) { return; }
      var wanted = LIVE_CONTROLS.map(wantedValue), changed = false;
      sending = true;  // our own model.set must not reset the other controls (see sync)
      LIVE_CONTROLS.forEach(function (c, i) {
        if (model.get(c.name) !== wanted[i]) { model.set(c.name, wanted[i]); changed = true; }
      });
      sending = false;
      if (!changed) { return; }
      waiting = true;
      model.save_changes();
      // A lost answer (a busy or dead kernel) must not freeze the controls for good.
      timer = setTimeout(answered, 10000);
    }
    function answered() {
      clearTimeout(timer);
      waiting = false;
      request();
    }
    function show() {
      var error = model.get("error"), view = model.get("frame"), out = part("output");
      if (view && view.seq_len > 0) {
        draw(part, set, view);
        root.setAttribute("data-drawn", view.hidden_units + "," + view.seq_len);
      }
      if (error) {
        part("summary").textContent = "Update failed: " + error;
      }
      out.textContent = error ? "Update failed: " + error : "";
      out.hidden = !error;
    }
    function sync() {  // the kernel's values (set from Python, or clamped) into the controls
      if (waiting || sending) { return; }
      LIVE_CONTROLS.forEach(function (c) {
        var input = part("control-" + c.key), v = model.get(c.name);
        if (Number(input.value) !== v) { input.value = String(v); }
      });
      showValues();
    }
    LIVE_CONTROLS.forEach(function (c) {
      var input = part("control-" + c.key);
      input.addEventListener(c.kind === "range" ? "input" : "change", function () {
        showValues();
        request();
      });
      model.on("change:" + c.name, sync);
    });
    var onAnswer = function () {
      show();
      answered();
      sync();
    };
    model.on("change:revision", onAnswer);
    showValues();
    show();
    return function () {  // anywidget calls this when the view is removed
      clearTimeout(timer);
      model.off("change:revision", onAnswer);
      LIVE_CONTROLS.forEach(function (c) { model.off("change:" + c.name, sync); });
    };
  }

  return { draw: draw, mountStatic: mountStatic, render: render };
})();
