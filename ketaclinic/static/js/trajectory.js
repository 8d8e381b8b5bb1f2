/*
 * ketaclinic: outcome-score trajectory charts (PHQ-9, GAD-7, ...).
 *
 * Plain ES2019, no build step, CSP-safe (no eval, no inline styles from HTML).
 * Requires vendor/chartjs-4.5.1/chart.umd.min.js to be loaded first.
 *
 * Markup contract (server side):
 *   <div class="trajectory">
 *     <canvas data-trajectory="traj-phq9"></canvas>
 *   </div>
 *   {{ chart_data|json_script:"traj-phq9" }}
 *
 * In fragments that htmx swaps in, use the attribute form instead, because htmx
 * (allowScriptTags: false) removes all <script> elements from swapped content:
 *   <canvas data-trajectory="traj-phq9" data-trajectory-json="{{ chart_json }}"></canvas>
 * where chart_json = json.dumps(chart_data) (Django autoescaping makes it attribute-safe).
 *
 * The JSON is {title, instrument, min, max, higher_is_better, bands[], points[],
 * baseline, sessions[], response_threshold, remission_threshold, locale, time_zone}.
 * Charts are drawn on DOMContentLoaded and again after htmx swaps.
 */
(function () {
  "use strict";

  var DAY = 86400000;
  var COLORS = {
    ink: "#1b2430",
    muted: "#4a5361",
    score: "#1d5fa8",
    session: "#3d4654",
    response: "#1e6b3a",
    remission: "#5b2a86",
    bandA: "#f4f6f8",
    bandB: "#e4e8ee",
    bandEdge: "rgba(27, 36, 48, 0.22)",
    severityTint: "165, 34, 27",
    halo: "rgba(255, 255, 255, 0.9)",
  };
  var DASH = {
    session: [5, 4],
    response: [10, 4],
    remission: [2, 3],
  };
  // Shorter versions of the same patterns for the (small) legend swatches.
  var LEGEND_DASH = {
    session: [3, 2],
    response: [6, 2],
    remission: [1.5, 2],
  };

  /* ---------------------------------------------------------------- helpers */

  function isNum(v) {
    return typeof v === "number" && isFinite(v);
  }

  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  function safeFormatter(locale, options) {
    try {
      return new Intl.DateTimeFormat(locale || undefined, options);
    } catch (e) {
      // Unknown locale or time zone: fall back to the browser's.
      var copy = Object.assign({}, options);
      delete copy.timeZone;
      try {
        return new Intl.DateTimeFormat(locale || undefined, copy);
      } catch (e2) {
        return new Intl.DateTimeFormat(undefined, copy);
      }
    }
  }

  /* Calendar arithmetic in an IANA time zone, without a date library. */
  function makeZone(timeZone) {
    var parts = safeFormatter("en-US", {
      timeZone: timeZone || undefined,
      hourCycle: "h23",
      year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric",
    });
    function fields(ts) {
      var out = {};
      parts.formatToParts(new Date(ts)).forEach(function (p) {
        if (p.type !== "literal") out[p.type] = parseInt(p.value, 10);
      });
      if (out.hour === 24) out.hour = 0;
      return out;
    }
    function offset(ts) {
      var f = fields(ts);
      return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(ts / 1000) * 1000;
    }
    // Epoch ms of local midnight for (year, month 1-12, day); overflowing day/month is normalised.
    function midnight(year, month, day) {
      var guess = Date.UTC(year, month - 1, day);
      var t = guess - offset(guess);
      return guess - offset(t);
    }
    return { fields: fields, midnight: midnight };
  }

  function drawText(ctx, text, x, y, opts) {
    ctx.save();
    ctx.font = opts.font;
    ctx.textAlign = opts.align || "left";
    ctx.textBaseline = opts.baseline || "alphabetic";
    ctx.lineJoin = "round";
    ctx.lineWidth = 3;
    ctx.strokeStyle = opts.halo || COLORS.halo;
    ctx.strokeText(text, x, y);
    ctx.fillStyle = opts.color || COLORS.ink;
    ctx.fillText(text, x, y);
    ctx.restore();
  }

  function fontSpec(family, size, weight) {
    return (weight ? weight + " " : "") + size + "px " + family;
  }

  /* ------------------------------------------------------------ data model */

  function buildModel(raw) {
    var min = isNum(raw.min) ? raw.min : 0;
    var max = isNum(raw.max) && raw.max > min ? raw.max : min + 1;
    var points = (Array.isArray(raw.points) ? raw.points : [])
      .filter(function (p) { return p && isNum(p.t) && isNum(p.total); })
      .map(function (p) { return { x: p.t, y: p.total, label: p.label || "", baseline: false }; })
      .sort(function (a, b) { return a.x - b.x; });

    var baseline = raw.baseline && isNum(raw.baseline.t) && isNum(raw.baseline.total) ? raw.baseline : null;
    var baselineIndex = -1;
    if (baseline) {
      for (var i = 0; i < points.length; i++) {
        if (points[i].x === baseline.t && points[i].y === baseline.total) { baselineIndex = i; break; }
      }
      if (baselineIndex < 0) {
        for (var j = 0; j < points.length; j++) {
          if (points[j].x === baseline.t) { baselineIndex = j; break; }
        }
      }
      if (baselineIndex < 0) {
        points.push({ x: baseline.t, y: baseline.total, label: baseline.label || String(baseline.total), baseline: true });
        points.sort(function (a, b) { return a.x - b.x; });
        baselineIndex = points.findIndex(function (p) { return p.baseline; });
      } else {
        points[baselineIndex].baseline = true;
      }
    }

    var bands = (Array.isArray(raw.bands) ? raw.bands : [])
      .filter(function (b) { return b && isNum(b.from) && isNum(b.to); })
      .map(function (b) { return { from: Math.min(b.from, b.to), to: Math.max(b.from, b.to), label: b.label || "" }; })
      .sort(function (a, b) { return a.from - b.from; });
    // Bands are usually integer ranges (0-4, 5-9, ...): shade up to the midpoint between
    // neighbours so there are no gaps, and clamp to the axis.
    bands.forEach(function (b, k) {
      var prev = bands[k - 1];
      var next = bands[k + 1];
      b.lo = k === 0 ? Math.min(b.from, min) : (prev.to + b.from) / 2;
      b.hi = next ? (b.to + next.from) / 2 : Math.max(b.to, max);
      b.lo = Math.max(min, Math.min(max, b.lo));
      b.hi = Math.max(min, Math.min(max, b.hi));
      // 0 = least severe, 1 = most severe.
      var rank = bands.length > 1 ? k / (bands.length - 1) : 0;
      b.severity = raw.higher_is_better ? 1 - rank : rank;
    });

    var sessions = (Array.isArray(raw.sessions) ? raw.sessions : [])
      .filter(function (s) { return s && isNum(s.t); })
      .map(function (s) { return { t: s.t, label: s.label || "" }; })
      .sort(function (a, b) { return a.t - b.t; });

    var times = points.map(function (p) { return p.x; }).concat(sessions.map(function (s) { return s.t; }));
    var xmin, xmax;
    if (times.length) {
      xmin = Math.min.apply(null, times);
      xmax = Math.max.apply(null, times);
    } else {
      xmax = Date.now();
      xmin = xmax - 14 * DAY;
    }
    var span = xmax - xmin;
    var pad = span < DAY ? 3.5 * DAY : Math.max(span * 0.04, DAY / 2);

    var thresholds = [];
    if (isNum(raw.response_threshold)) {
      thresholds.push({ key: "response", text: "Response", value: raw.response_threshold });
    }
    if (isNum(raw.remission_threshold)) {
      thresholds.push({ key: "remission", text: "Remission", value: raw.remission_threshold });
    }

    return {
      title: raw.title || raw.instrument || "Score",
      min: min,
      max: max,
      higherIsBetter: !!raw.higher_is_better,
      points: points,
      baselineIndex: baselineIndex,
      bands: bands,
      sessions: sessions,
      thresholds: thresholds,
      xmin: xmin - pad,
      xmax: xmax + pad,
      locale: raw.locale || undefined,
      timeZone: raw.time_zone || undefined,
    };
  }

  function summarise(model, fmtDate) {
    var pts = model.points;
    var title = model.title;
    if (!pts.length) return title + ": no scores yet";
    if (pts.length === 1) return title + ": one score, " + pts[0].y + " on " + fmtDate.format(new Date(pts[0].x));
    var start = model.baselineIndex >= 0 ? pts[model.baselineIndex] : pts[0];
    var ref = model.baselineIndex >= 0 ? "baseline" : "the first score";
    var last = pts[pts.length - 1];
    var text = title + " from " + start.y + " to " + last.y + ", ";
    var diff = last.y - start.y;
    if (diff === 0) {
      text += "unchanged from " + ref;
    } else if (start.y !== 0) {
      text += Math.round(Math.abs(diff) / Math.abs(start.y) * 100) + "% " + (diff < 0 ? "lower" : "higher") + " than " + ref;
    } else {
      text += Math.abs(diff) + " points " + (diff < 0 ? "lower" : "higher") + " than " + ref;
    }
    return text + " (" + pts.length + " scores, " + (model.higherIsBetter ? "higher" : "lower") + " is better)";
  }

  /* --------------------------------------------------------------- x ticks */

  var DAY_STEPS = [1, 2, 3, 7, 14];
  var MONTH_STEPS = [1, 2, 3, 6, 12];

  function dateTicks(zone, min, max, width) {
    // Roughly 58px per "Nov 16"-style label and 66px per "Nov 2026"-style label.
    var spanDays = (max - min) / DAY;
    var daysPerTick = spanDays / Math.max(2, Math.min(12, Math.floor(width / 58)));
    var ticks = [];
    var f = zone.fields(min);
    var k, t;
    var dayStep = DAY_STEPS.find(function (s) { return s >= daysPerTick; });
    if (dayStep) {
      for (k = 0; k < 400; k++) {
        t = zone.midnight(f.year, f.month, f.day + k * dayStep);
        if (t > max) break;
        if (t >= min) ticks.push({ value: t });
      }
      return { ticks: ticks, monthly: false };
    }
    var monthsPerTick = spanDays / Math.max(2, Math.min(12, Math.floor(width / 66))) / 30.44;
    var monthStep = MONTH_STEPS.find(function (s) { return s >= monthsPerTick; }) || Math.ceil(monthsPerTick / 12) * 12;
    var startMonth = Math.floor((f.month - 1) / monthStep) * monthStep + 1;
    for (k = 0; k < 400; k++) {
      t = zone.midnight(f.year, startMonth + k * monthStep, 1);
      if (t > max) break;
      if (t >= min) ticks.push({ value: t });
    }
    return { ticks: ticks, monthly: true };
  }

  /* --------------------------------------------------------------- plugins */

  // Layout of the band-label column to the right of the plot area.
  function bandLabelLayout(chart, model, family) {
    var narrow = chart.width < 560;
    var size = narrow ? 10 : 11;
    var maxWidth = narrow ? 70 : 140;
    var ctx = chart.ctx;
    ctx.save();
    ctx.font = fontSpec(family, size, "600");
    var widest = 0;
    var labels = model.bands.map(function (b) {
      var lines = [b.label];
      if (ctx.measureText(b.label).width > maxWidth && b.label.indexOf(" ") > 0) {
        // Two lines, split at the space nearest the middle.
        var words = b.label.split(" ");
        var best = null;
        for (var i = 1; i < words.length; i++) {
          var a = words.slice(0, i).join(" ");
          var c = words.slice(i).join(" ");
          var w = Math.max(ctx.measureText(a).width, ctx.measureText(c).width);
          if (!best || w < best.w) best = { w: w, lines: [a, c] };
        }
        lines = best.lines;
      }
      lines.forEach(function (l) { widest = Math.max(widest, ctx.measureText(l).width); });
      return lines;
    });
    ctx.restore();
    return { size: size, lines: labels, width: model.bands.length ? Math.ceil(Math.min(widest, maxWidth + 20)) + 14 : 0 };
  }

  function bandsPlugin(model, family) {
    return {
      id: "trajectoryBands",
      beforeDraw: function (chart) {
        var area = chart.chartArea;
        var y = chart.scales.y;
        if (!area || !y || !model.bands.length) return;
        var layout = bandLabelLayout(chart, model, family);
        var ctx = chart.ctx;
        var right = area.right + layout.width;
        ctx.save();
        model.bands.forEach(function (b, k) {
          var top = y.getPixelForValue(b.hi);
          var bottom = y.getPixelForValue(b.lo);
          ctx.fillStyle = k % 2 ? COLORS.bandB : COLORS.bandA;
          ctx.fillRect(area.left, top, right - area.left, bottom - top);
          ctx.fillStyle = "rgba(" + COLORS.severityTint + ", " + (0.02 + 0.07 * b.severity).toFixed(3) + ")";
          ctx.fillRect(area.left, top, right - area.left, bottom - top);
        });
        // Thin separators so the bands read in greyscale too.
        ctx.strokeStyle = COLORS.bandEdge;
        ctx.lineWidth = 1;
        model.bands.forEach(function (b, k) {
          if (k === 0) return;
          var py = Math.round(y.getPixelForValue(b.lo)) + 0.5;
          ctx.beginPath();
          ctx.moveTo(area.left, py);
          ctx.lineTo(right, py);
          ctx.stroke();
        });
        // Band labels in the right-hand column, vertically centred in their band.
        var lineHeight = layout.size + 2;
        model.bands.forEach(function (b, k) {
          var top = y.getPixelForValue(b.hi);
          var bottom = y.getPixelForValue(b.lo);
          var lines = layout.lines[k];
          if (bottom - top < lineHeight * lines.length) lines = [b.label];
          if (bottom - top < layout.size) return; // too thin to label legibly
          var mid = (top + bottom) / 2;
          var first = mid - ((lines.length - 1) * lineHeight) / 2;
          lines.forEach(function (line, i) {
            drawText(ctx, line, right - 6, first + i * lineHeight, {
              font: fontSpec(family, layout.size, "600"),
              align: "right",
              baseline: "middle",
              color: COLORS.muted,
              halo: "rgba(255, 255, 255, 0.6)",
            });
          });
        });
        ctx.restore();
      },
    };
  }

  function markersPlugin(model, family) {
    return {
      id: "trajectoryMarkers",
      // Sessions and thresholds go under the score line.
      beforeDatasetsDraw: function (chart) {
        var area = chart.chartArea;
        var x = chart.scales.x;
        var y = chart.scales.y;
        if (!area || !x || !y) return;
        var ctx = chart.ctx;
        ctx.save();
        ctx.beginPath();
        ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
        ctx.clip();

        ctx.strokeStyle = COLORS.session;
        ctx.lineWidth = 1.5;
        ctx.setLineDash(DASH.session);
        model.sessions.forEach(function (s) {
          var px = Math.round(x.getPixelForValue(s.t)) + 0.5;
          if (px < area.left || px > area.right) return;
          ctx.beginPath();
          ctx.moveTo(px, area.top);
          ctx.lineTo(px, area.bottom);
          ctx.stroke();
        });

        model.thresholds.forEach(function (th) {
          if (th.value < model.min || th.value > model.max) return;
          var py = Math.round(y.getPixelForValue(th.value)) + 0.5;
          ctx.strokeStyle = COLORS[th.key];
          ctx.lineWidth = 2;
          ctx.setLineDash(DASH[th.key]);
          ctx.beginPath();
          ctx.moveTo(area.left, py);
          ctx.lineTo(area.right, py);
          ctx.stroke();
        });
        ctx.setLineDash([]);

        var size = chart.width < 560 ? 10 : 11;
        var font = fontSpec(family, size, "700");
        // Threshold labels at the left edge: above the line unless too close to the top,
        // nudged apart when two thresholds are close together.
        var placed = [];
        model.thresholds.forEach(function (th) {
          if (th.value < model.min || th.value > model.max) return;
          var py = y.getPixelForValue(th.value);
          var ty = py - 4 < area.top + size ? py + size + 3 : py - 4;
          placed.forEach(function (other) {
            if (Math.abs(other - ty) < size + 2) ty = other + size + 3;
          });
          placed.push(ty);
          drawText(ctx, th.text, area.left + 6, ty, { font: font, color: COLORS[th.key] });
        });
        ctx.restore();
      },
      afterDatasetsDraw: function (chart) {
        var area = chart.chartArea;
        if (!area) return;
        var ctx = chart.ctx;
        var size = chart.width < 560 ? 10 : 11;
        if (!model.points.length) {
          drawText(ctx, "No scores yet", (area.left + area.right) / 2, (area.top + area.bottom) / 2, {
            font: fontSpec(family, 15, "600"),
            align: "center",
            baseline: "middle",
            color: COLORS.ink,
          });
          return;
        }
        if (model.baselineIndex < 0) return;
        var meta = chart.getDatasetMeta(0);
        var el = meta && meta.data[model.baselineIndex];
        if (!el || meta.hidden) return;
        var text = "Baseline";
        ctx.save();
        ctx.font = fontSpec(family, size, "700");
        var w = ctx.measureText(text).width;
        ctx.restore();
        var tx = Math.max(area.left + w / 2 + 2, Math.min(area.right - w / 2 - 2, el.x));
        var above = el.y - 12 - size > area.top;
        drawText(ctx, text, tx, above ? el.y - 12 : el.y + 12, {
          font: fontSpec(family, size, "700"),
          align: "center",
          baseline: above ? "bottom" : "top",
          color: COLORS.score,
        });
      },
    };
  }

  /* ----------------------------------------------------------------- chart */

  function legendItems(model) {
    var items = model.points.length ? [{
      text: model.title + " score",
      pointStyle: "circle",
      fillStyle: COLORS.score,
      strokeStyle: "#fff",
      lineWidth: 1,
      fontColor: COLORS.ink,
      datasetIndex: 0,
      hidden: false,
    }] : [];
    if (model.baselineIndex >= 0) {
      items.push({ text: "Baseline", pointStyle: "rectRot", fillStyle: "#fff", strokeStyle: COLORS.score,
        lineWidth: 2, fontColor: COLORS.ink, hidden: false });
    }
    if (model.sessions.length) {
      items.push({ text: "Session", pointStyle: "line", strokeStyle: COLORS.session, lineWidth: 2,
        lineDash: LEGEND_DASH.session, fontColor: COLORS.ink, hidden: false });
    }
    model.thresholds.forEach(function (th) {
      if (th.value < model.min || th.value > model.max) return;
      items.push({ text: th.text, pointStyle: "line", strokeStyle: COLORS[th.key], lineWidth: 2,
        lineDash: LEGEND_DASH[th.key], fontColor: COLORS.ink, hidden: false });
    });
    return items;
  }

  function createChart(canvas, raw) {
    var model = buildModel(raw);
    var style = window.getComputedStyle(canvas);
    var family = style.fontFamily || "system-ui, sans-serif";
    COLORS.ink = style.color || COLORS.ink;
    var zone = makeZone(model.timeZone);
    var fmtDay = safeFormatter(model.locale, { timeZone: model.timeZone, month: "short", day: "numeric" });
    var fmtMonth = safeFormatter(model.locale, { timeZone: model.timeZone, month: "short", year: "numeric" });
    var fmtYear = safeFormatter(model.locale, { timeZone: model.timeZone, year: "numeric" });
    var fmtFull = safeFormatter(model.locale, { timeZone: model.timeZone, year: "numeric", month: "short", day: "numeric" });
    var tickMode = { monthly: false };

    if (!canvas.hasAttribute("role")) canvas.setAttribute("role", "img");
    if (!canvas.hasAttribute("aria-label") || canvas.getAttribute("data-trajectory-aria") === "auto") {
      canvas.setAttribute("aria-label", summarise(model, fmtFull));
      canvas.setAttribute("data-trajectory-aria", "auto");
    }

    var pointRadius = function (ctx) {
      return ctx.dataIndex === model.baselineIndex ? 7 : 4;
    };

    var config = {
      type: "line",
      data: {
        datasets: [{
          label: model.title + " score",
          data: model.points,
          parsing: { xAxisKey: "x", yAxisKey: "y" },
          borderColor: COLORS.score,
          backgroundColor: COLORS.score,
          borderWidth: 2.5,
          tension: 0,
          clip: 8,
          pointStyle: function (ctx) { return ctx.dataIndex === model.baselineIndex ? "rectRot" : "circle"; },
          pointRadius: pointRadius,
          pointHoverRadius: function (ctx) { return pointRadius(ctx) + 2; },
          pointHitRadius: 10,
          pointBackgroundColor: function (ctx) { return ctx.dataIndex === model.baselineIndex ? "#fff" : COLORS.score; },
          pointBorderColor: function (ctx) { return ctx.dataIndex === model.baselineIndex ? COLORS.score : "#fff"; },
          pointBorderWidth: function (ctx) { return ctx.dataIndex === model.baselineIndex ? 2.5 : 1.5; },
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion() ? false : { duration: 400 },
        normalized: true,
        color: COLORS.ink,
        font: { family: family, size: 12 },
        layout: {
          padding: function (ctx) {
            var chart = ctx.chart;
            return { top: 8, left: 0, bottom: 0, right: bandLabelLayout(chart, model, family).width + 4 };
          },
        },
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: {
            type: "linear",
            min: model.xmin,
            max: model.xmax,
            grid: { color: "rgba(27, 36, 48, 0.08)", drawTicks: true },
            border: { color: "#8a94a3" },
            afterBuildTicks: function (scale) {
              var res = dateTicks(zone, scale.min, scale.max, scale.width || scale.maxWidth || 600);
              tickMode.monthly = res.monthly;
              if (res.ticks.length) scale.ticks = res.ticks;
            },
            ticks: {
              color: COLORS.ink,
              maxRotation: 0,
              autoSkip: true,
              autoSkipPadding: 12,
              callback: function (value, index, ticks) {
                var d = new Date(value);
                if (tickMode.monthly) return fmtMonth.format(d);
                var year = fmtYear.format(d);
                var prev = index > 0 ? fmtYear.format(new Date(ticks[index - 1].value)) : null;
                var firstYear = fmtYear.format(new Date(ticks[0].value));
                var lastYear = fmtYear.format(new Date(ticks[ticks.length - 1].value));
                if (firstYear !== lastYear && (index === 0 || prev !== year)) return [fmtDay.format(d), year];
                return fmtDay.format(d);
              },
            },
          },
          y: {
            type: "linear",
            min: model.min,
            max: model.max,
            grid: { display: false },
            border: { color: "#8a94a3" },
            title: {
              display: true,
              text: model.higherIsBetter ? "Score (higher is better)" : "Score (lower is better)",
              color: COLORS.muted,
              font: { size: 11 },
            },
            afterBuildTicks: function (scale) {
              if (!model.bands.length) return;
              var values = [model.min, model.max];
              model.bands.forEach(function (b) {
                if (b.from > model.min && b.from < model.max) values.push(b.from);
              });
              values = values.filter(function (v, i, a) { return a.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
              scale.ticks = values.map(function (v) { return { value: v }; });
            },
            ticks: { color: COLORS.ink, autoSkip: true, precision: 0 },
          },
        },
        plugins: {
          legend: {
            position: "top",
            align: "start",
            onClick: function () {},
            labels: {
              usePointStyle: true,
              boxHeight: function (ctx) { return ctx.chart.width < 560 ? 8 : 9; },
              padding: function (ctx) { return ctx.chart.width < 560 ? 9 : 14; },
              color: COLORS.ink,
              font: function (ctx) { return { size: ctx.chart.width < 560 ? 11 : 12, family: family }; },
              generateLabels: function () { return legendItems(model); },
            },
          },
          title: {
            display: canvas.hasAttribute("data-trajectory-title"),
            text: model.title,
            align: "start",
            color: COLORS.ink,
            font: { size: 14, weight: "600", family: family },
          },
          tooltip: {
            enabled: model.points.length > 0,
            displayColors: false,
            callbacks: {
              title: function (items) {
                var item = items[0];
                return item && item.dataIndex === model.baselineIndex ? "Baseline" : "";
              },
              label: function (item) {
                var p = item.raw || {};
                return p.label || (fmtFull.format(new Date(p.x)) + ": " + p.y);
              },
            },
          },
        },
      },
      plugins: [bandsPlugin(model, family), markersPlugin(model, family)],
    };
    return new window.Chart(canvas, config);
  }

  /* ---------------------------------------------------------------- wiring */

  // Chart data comes from, in order of preference:
  //  1. a data-trajectory-json attribute on the canvas (survives htmx swaps: htmx 2 with
  //     allowScriptTags=false strips every <script>, JSON ones included, from swapped content);
  //  2. the element whose id is the data-trajectory value: a json_script <script>, or a <template>.
  function readSource(canvas, id) {
    if (canvas.hasAttribute("data-trajectory-json")) return canvas.getAttribute("data-trajectory-json");
    var el = id ? document.getElementById(id) : null;
    if (!el) return null;
    if (el.tagName === "TEMPLATE" && el.content) return el.content.textContent || "";
    return el.textContent || "";
  }

  function renderAll(root) {
    if (!window.Chart) {
      if (window.console) window.console.warn("trajectory.js: Chart.js is not loaded");
      return;
    }
    // Drop charts whose canvas has been swapped out of the document.
    Object.keys(window.Chart.instances || {}).forEach(function (id) {
      var inst = window.Chart.instances[id];
      if (inst && inst.canvas && inst.canvas.hasAttribute("data-trajectory") && !inst.canvas.isConnected) inst.destroy();
    });
    var scope = root && root.querySelectorAll ? root : document;
    var canvases = Array.prototype.slice.call(scope.querySelectorAll("canvas[data-trajectory]"));
    if (scope.matches && scope.matches("canvas[data-trajectory]")) canvases.push(scope);
    canvases.forEach(function (canvas) {
      var id = canvas.getAttribute("data-trajectory");
      var text = readSource(canvas, id);
      if (text === null) {
        if (window.console) window.console.warn("trajectory.js: no chart data for #" + id);
        return;
      }
      var existing = window.Chart.getChart(canvas);
      if (existing && canvas.__trajectorySource === text) return; // already drawn from this data
      var raw;
      try {
        raw = JSON.parse(text);
      } catch (e) {
        if (window.console) window.console.warn("trajectory.js: invalid JSON in #" + id);
        return;
      }
      if (existing) existing.destroy();
      canvas.__trajectorySource = text;
      createChart(canvas, raw || {});
    });
  }

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    var run = function () { pending = false; renderAll(document); };
    if (window.requestAnimationFrame) window.requestAnimationFrame(run);
    else window.setTimeout(run, 0);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  } else {
    renderAll(document);
  }
  document.addEventListener("htmx:afterSwap", schedule);
  document.addEventListener("htmx:load", schedule);
  document.addEventListener("htmx:historyRestore", schedule);

  window.ketaclinicTrajectory = { render: renderAll };
})();
