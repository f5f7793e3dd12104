(function () {
  "use strict";
  var root = document.getElementById("__ID__");
  if (!root || root.getAttribute("data-ready") === "1") { return; }
  root.setAttribute("data-ready", "1");
  var part = function (role) { return root.querySelector('[data-role="' + role + '"]'); };
  var data = JSON.parse(part("data").textContent);
  var W = 400, H = 290, M = { l: 62, r: 14, t: 30, b: 48 };
  var axes = data.axes, nS = axes.recurrent_scale.length, nT = axes.seq_len.length;

  function decode(text, Kind) {
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return new Kind(bytes.buffer);
  }
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
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

  function trajectories(states, T, Hu) {
    var f = frame({ x0: 0.5, x1: T + 0.5, y0: -1.05, y1: 1.05, xticks: ticks(1, T, 6, true),
      yticks: [-1, -0.5, 0, 0.5, 1], xlabel: "timestep t", ylabel: "h_t[j]",
      title: "Units over time (H = " + Hu + ", grey: saturated)" });
    var band = function (a, b) {
      return '<rect class="saturated" x="' + M.l + '" y="' + n1(f.sy(b)) + '" width="' + f.pw +
        '" height="' + n1(f.sy(a) - f.sy(b)) + '" fill="#e0e0e0"/>';
    };
    var s = [band(data.saturation, 1.05), band(-1.05, -data.saturation)];
    var width = Hu <= 8 ? 1.6 : Math.max(0.6, 1.6 - Hu / 40);
    for (var j = 0; j < Hu; j++) {
      var colour = data.colours.units[j % 10], points = [], dots = [];
      for (var t = 0; t < T; t++) {
        var x = n1(f.sx(t + 1)), y = n1(f.sy(states[t * Hu + j] / data.state_scale));
        points.push(x + "," + y);
        if (T <= 30) { dots.push('<circle cx="' + x + '" cy="' + y + '" r="2"/>'); }
      }
      s.push('<g class="unit" fill="' + colour + '"><polyline fill="none" stroke="' + colour +
        '" stroke-width="' + width + '" points="' + points.join(" ") + '"/>' +
        dots.join("") + "</g>");
    }
    return svg("hidden units over time", s.join("") + f.svg);
  }

  function heatmap(states, T, Hu) {
    var f = frame({ x0: 0.5, x1: T + 0.5, y0: Hu - 0.5, y1: -0.5, xticks: ticks(1, T, 6, true),
      yticks: ticks(0, Hu - 1, 5, true), xlabel: "timestep t", ylabel: "hidden unit j",
      title: "h_t as a heat map (H = " + Hu + ", T = " + T + ")", right: 54 });
    var list = data.colours.heat, s = [], cw = f.pw / T, rh = f.ph / Hu;
    for (var j = 0; j < Hu; j++) {
      var start = 0;
      for (var t = 1; t <= T; t++) {  // one rectangle per run of equal colours
        var c0 = colourOf(list, (states[start * Hu + j] / data.state_scale + 1) / 2);
        var c1 = t < T ? colourOf(list, (states[t * Hu + j] / data.state_scale + 1) / 2) : "";
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

  function projection(view, T) {
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
        colourOf(data.colours.time, T > 1 ? t / (T - 1) : 0) + '"/>');
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
      colourBar(data.colours.time, W - 46, M.t, M.t + f.ph, 1, T) + f.svg);
  }

  function errors(values, T) {
    var positive = [];
    for (var t = 0; t < T; t++) { if (values[t] > 0) { positive.push(values[t]); } }
    var lo = Math.min.apply(null, positive.concat([data.eps])) / 6;
    var hi = Math.max(data.tolerance, Math.max.apply(null, positive.concat([0]))) * 6;
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
      title: "Keras vs loop, max over " + data.n_samples + " samples" });
    var s = [], line = [];
    var level = function (v, colour, name) {
      var y = n1(f.sy(v));
      s.push('<line class="reference" x1="' + M.l + '" x2="' + (M.l + f.pw) + '" y1="' + y +
        '" y2="' + y + '" stroke="' + colour + '" stroke-dasharray="5 3"/>');
      s.push(text(M.l + 4, f.sy(v) - 4, name, 'font-size="12" fill="' + colour + '"'));
    };
    level(data.eps, "#555", data.dtype + " machine epsilon " + data.eps.toExponential(2));
    level(data.tolerance, "#b00", "tolerance " + data.tolerance.toExponential(0));
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

  var controls = { h: part("control-h"), t: part("control-t"), s: part("control-s") };
  function draw() {
    var i = +controls.h.value, l = +controls.t.value, k = +controls.s.value;
    var Hu = axes.hidden_units[i], T = axes.seq_len[l], run = data.runs[i * nS + k];
    var view = data.views[(i * nS + k) * nT + l];
    var states = decode(run.states, Int8Array), errs = decode(run.errors, Float32Array);
    part("value-h").textContent = String(Hu);
    part("value-t").textContent = String(T);
    part("value-s").textContent = axes.recurrent_scale[k].toFixed(1);
    part("summary").textContent = view.summary;
    part("panel-trajectories").innerHTML = trajectories(states, T, Hu);
    part("panel-heatmap").innerHTML = heatmap(states, T, Hu);
    part("panel-projection").innerHTML = projection(view, T);
    part("panel-errors").innerHTML = errors(errs, T);
  }
  ["h", "t", "s"].forEach(function (name) {
    controls[name].addEventListener("input", draw);
  });
  draw();
})();
