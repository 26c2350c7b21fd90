/**
 * `weft demo --report FILE.html`: one self-contained HTML page (inline CSS, JS
 * and SVG; nothing from the network) with, per workload, the results table,
 * the verdict and a timeline per model: one lane per worker (thread, process,
 * or the main thread), one bar per task, time on the x axis. All timelines of a
 * workload share one time scale, so their lengths compare directly.
 *
 * The data travels as JSON inside the page and a small script draws the SVG,
 * which keeps the file small and lets tests check the drawn DOM.
 */
import { cpus } from 'node:os';
import type { Workload } from './common.js';

/** Everything the page shows. */
export interface ReportData {
  version: string;
  date: string;
  machine: string;
  quick: boolean;
  workloads: Workload[];
}

/** Facts about this machine for the page's header. */
export function machineInfo(): string {
  const c = cpus();
  const model = c[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  return `${c.length} CPU${c.length === 1 ? '' : 's'} (${model}), Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** The HTML page for `data`. */
export function renderReport(data: ReportData): string {
  const json = JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>weft demo: concurrency models on this machine</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <h1><span class="logo">weft</span> demo <small>concurrency models, measured on this machine</small></h1>
  <p class="meta" id="meta"></p>
  <p class="legend" id="legend"></p>
  <p class="howto">Each timeline has one lane per worker (a thread, a process, or the main thread) and one bar per task, from when
  the worker began it to when it finished; hover a bar for details. The timelines of a workload share one time axis. The hatched
  band at the left of a timeline is its start-up: the time before its first task began (starting the threads or processes);
  asyncio and sequential runs have none.</p>
</header>
<main id="app"><noscript>This report draws its timelines with JavaScript.</noscript></main>
<div id="tip" role="tooltip"></div>
<script type="application/json" id="weft-data">${json}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const CSS = `
:root { --bg:#f7f7fb; --card:#fff; --ink:#1d2330; --mute:#6b7280; --line:#e5e7ef;
  --sequential:#64748b; --asyncio:#0d9488; --threads:#4f46e5; --processes:#ea580c; --bad:#dc2626; --good:#16a34a; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; }
header { padding:28px 40px 8px; }
h1 { margin:0; font-size:26px; font-weight:650; letter-spacing:-.01em; }
h1 small { font-size:15px; font-weight:400; color:var(--mute); margin-left:8px; }
.logo { background:linear-gradient(90deg,var(--asyncio),var(--threads),var(--processes)); -webkit-background-clip:text; background-clip:text; color:transparent; }
.meta { color:var(--mute); margin:6px 0 0; }
.howto { color:var(--mute); font-size:13px; max-width:980px; margin:4px 0 0; }
.legend span { display:inline-flex; align-items:center; margin-right:16px; color:var(--mute); font-size:13px; }
.legend i { width:12px; height:12px; border-radius:3px; margin-right:6px; display:inline-block; }
main { padding:8px 40px 40px; }
section.workload { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:20px 24px 12px; margin:18px 0; box-shadow:0 1px 2px rgba(20,20,50,.04); }
section.workload h2 { margin:0 0 2px; font-size:18px; }
.desc { color:var(--mute); margin:0 0 12px; }
table { border-collapse:collapse; width:100%; margin:4px 0 12px; font-variant-numeric:tabular-nums; }
th, td { text-align:right; padding:5px 10px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { color:var(--mute); font-weight:500; font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align:left; }
td .sw { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:7px; vertical-align:-1px; }
td.best { font-weight:650; }
.speedbar { display:inline-block; height:8px; border-radius:4px; vertical-align:0; margin-left:8px; opacity:.75; }
.bad { color:var(--bad); font-weight:600; } .good { color:var(--good); }
.verdict { background:#f1f5ff; border-left:4px solid var(--threads); border-radius:6px; padding:10px 14px; margin:8px 0 14px; }
.verdict b { display:block; font-size:12px; text-transform:uppercase; letter-spacing:.05em; color:var(--threads); margin-bottom:2px; }
.unavail { color:var(--mute); font-size:13px; margin:0 0 10px; }
.timeline { margin:10px 0 14px; }
.timeline h3 { font-size:13px; margin:0 0 4px; font-weight:600; }
.timeline h3 .sub { color:var(--mute); font-weight:400; margin-left:6px; }
svg { display:block; width:100%; height:auto; overflow:visible; }
svg text { font:11px system-ui,sans-serif; fill:var(--mute); }
svg .lane-bg { fill:#f4f5f9; }
svg .bar { stroke:#fff; stroke-width:.8; cursor:default; }
svg .bar:hover { stroke:var(--ink); stroke-width:1.2; }
svg .grid { stroke:var(--line); }
#tip { position:fixed; pointer-events:none; background:var(--ink); color:#fff; padding:5px 9px; border-radius:6px; font-size:12px; opacity:0; transition:opacity .08s; max-width:420px; }
`;

const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('weft-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var COLORS = { sequential: '#64748b', asyncio: '#0d9488', threads: '#4f46e5', processes: '#ea580c', cluster: '#db2777' };
  var LABEL_W = 96, W = 1000, ROW = 18, SUBROW = 7, GAP = 5, AXIS = 22;
  function el(tag, attrs, parent, ns) {
    var e = ns ? document.createElementNS(NS, tag) : document.createElement(tag);
    for (var k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, s) { parent.appendChild(document.createTextNode(s)); return parent; }
  function fmt(s) { return s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3); }
  function x(v) { return (v >= 10 ? v.toFixed(0) : v >= 0.095 ? v.toFixed(1) : v.toFixed(2)) + '\\u00d7'; }
  function niceStep(span) {
    var raw = span / 6, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }
  var tip = document.getElementById('tip'), hatches = 0;
  function showTip(ev, s) { tip.textContent = s; tip.style.opacity = 1; tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px'; }
  function hideTip() { tip.style.opacity = 0; }

  document.getElementById('meta').textContent = 'weft ' + data.version + ' \\u00b7 ' + data.machine + ' \\u00b7 ' + data.date + (data.quick ? ' \\u00b7 --quick' : '');
  var legend = document.getElementById('legend');
  Object.keys(COLORS).forEach(function (m) { var s = el('span', {}, legend); el('i', { style: 'background:' + COLORS[m] }, s); text(s, m); });

  var app = document.getElementById('app');
  data.workloads.forEach(function (w) {
    var sec = el('section', { 'class': 'workload', 'data-workload': w.name }, app);
    text(el('h2', {}, sec), w.title);
    text(el('p', { 'class': 'desc' }, sec), w.description);

    // results table
    var tbl = el('table', {}, sec), hr = el('tr', {}, el('thead', {}, tbl));
    var race = w.name === 'race';
    ['model', race ? 'variant' : '', 'seconds', race ? '' : 'start-up', 'speedup', 'CPU s', 'cores busy', race ? 'total' : 'workers'].forEach(function (h) { text(el('th', {}, hr), h); });
    var body = el('tbody', {}, tbl);
    var best = Math.max.apply(null, w.runs.filter(function (r) { return !r.lost; }).map(function (r) { return r.speedup; }));
    w.runs.forEach(function (r) {
      var tr = el('tr', {}, body), td = el('td', {}, tr);
      el('span', { 'class': 'sw', style: 'background:' + COLORS[r.model] }, td); text(td, r.model);
      text(el('td', {}, tr), r.variant || '');
      text(el('td', {}, tr), fmt(r.seconds) + (r.reps > 1 ? ' (best of ' + r.reps + ')' : ''));
      text(el('td', {}, tr), race ? '' : r.startup == null || r.startup < 0.0005 ? 'none' : fmt(r.startup) + ' s');
      var sp = el('td', { 'class': r.speedup === best ? 'best' : '' }, tr); text(sp, x(r.speedup));
      el('span', { 'class': 'speedbar', style: 'width:' + Math.max(2, Math.min(120, r.speedup / best * 120)) + 'px;background:' + COLORS[r.model] }, sp);
      text(el('td', {}, tr), r.cpuSeconds.toFixed(2));
      text(el('td', {}, tr), r.cores.toFixed(2));
      if (race) {
        var t = el('td', { 'class': r.lost ? 'bad' : 'good' }, tr);
        text(t, (r.total != null ? r.total.toLocaleString('en-US') : '') + (r.lost ? ' (' + r.lost.toLocaleString('en-US') + ' lost)' : ' \\u2713'));
      } else text(el('td', {}, tr), String(r.workers));
    });
    var v = el('div', { 'class': 'verdict' }, sec); text(el('b', {}, v), 'Verdict'); text(v, w.verdict);
    if (w.unavailable && w.unavailable.length) {
      text(el('p', { 'class': 'unavail' }, sec), 'Not run: ' + w.unavailable.map(function (u) { return u.model + ' (' + u.reason + ')'; }).join('; '));
    }

    // timelines, one per run, one time scale per workload
    var span = Math.max.apply(null, w.runs.map(function (r) { return Math.max(r.seconds * 1000, Math.max.apply(null, r.bars.map(function (b) { return b.end; }).concat([0]))); }));
    var step = niceStep(span), scale = (W - LABEL_W - 8) / span;
    w.runs.forEach(function (r) {
      var box = el('div', { 'class': 'timeline', 'data-model': r.model }, sec);
      var h3 = el('h3', {}, box); text(h3, r.model + (r.variant ? ' \\u00b7 ' + r.variant : ''));
      text(el('span', { 'class': 'sub' }, h3), fmt(r.seconds) + ' s \\u00b7 ' + r.tasks + ' tasks on ' + r.workers + ' lane' + (r.workers === 1 ? '' : 's') +
        (r.startup != null && r.startup >= 0.0005 ? ' \\u00b7 start-up ' + fmt(r.startup) + ' s (hatched)' : '') + (r.note ? ' \\u00b7 ' + r.note : ''));
      // lanes: by worker; tasks overlapping on one worker (asyncio) are packed into sub-rows
      var lanes = {}, order = [];
      r.bars.slice().sort(function (a, b) { return a.start - b.start; }).forEach(function (b) {
        var l = lanes[b.lane]; if (!l) { l = lanes[b.lane] = { rows: [] }; order.push(b.lane); }
        var i = 0; while (i < l.rows.length && l.rows[i].end > b.start + 0.01) i++;
        if (!l.rows[i]) l.rows[i] = { end: 0, bars: [] };
        l.rows[i].end = b.end; l.rows[i].bars.push(b);
      });
      order.sort(function (a, b) { return a === 'main' ? -1 : b === 'main' ? 1 : a.localeCompare(b, 'en', { numeric: true }); });
      var y = 0, heights = order.map(function (k) { var n = lanes[k].rows.length; return n === 1 ? ROW : Math.max(ROW, n * SUBROW); });
      var H = heights.reduce(function (s, h) { return s + h + GAP; }, 0) + AXIS;
      var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, 'class': 'chart', role: 'img', 'aria-label': r.model + ' timeline' }, box, true);
      for (var t = 0; t <= span + 1e-9; t += step) {
        var gx = LABEL_W + t * scale;
        el('line', { x1: gx, x2: gx, y1: 0, y2: H - AXIS + 4, 'class': 'grid' }, svg, true);
        var tl = el('text', { x: gx, y: H - 6, 'text-anchor': 'middle' }, svg, true);
        tl.textContent = (step < 1000 ? (t / 1000).toFixed(step < 100 ? 2 : 1) : (t / 1000).toFixed(0)) + ' s';
      }
      order.forEach(function (k, li) {
        var l = lanes[k], h = heights[li];
        var g = el('g', { 'class': 'lane', 'data-lane': k }, svg, true);
        el('rect', { x: LABEL_W, y: y, width: W - LABEL_W, height: h, rx: 3, 'class': 'lane-bg' }, g, true);
        var lt = el('text', { x: LABEL_W - 8, y: y + Math.min(h, ROW) / 2 + 4, 'text-anchor': 'end' }, g, true);
        lt.textContent = k + (l.rows.length > 1 ? ' \\u00d7' + l.rows.length : '');
        var rh = l.rows.length === 1 ? h : h / l.rows.length;
        l.rows.forEach(function (row, ri) {
          row.bars.forEach(function (b) {
            var bw = Math.max(1.2, (b.end - b.start) * scale);
            var rect = el('rect', { x: LABEL_W + b.start * scale, y: y + ri * rh + 1, width: bw, height: Math.max(2, rh - 2), rx: Math.min(2, rh / 3),
              fill: COLORS[r.model], 'class': 'bar', 'data-start': b.start.toFixed(2), 'data-end': b.end.toFixed(2) }, g, true);
            rect.addEventListener('mousemove', function (ev) { showTip(ev, k + ' \\u00b7 ' + b.label + ' \\u00b7 ' + (b.start / 1000).toFixed(3) + '\\u2013' + (b.end / 1000).toFixed(3) + ' s'); });
            rect.addEventListener('mouseleave', hideTip);
          });
        });
        y += h + GAP;
      });
      // The start-up band, over the lane backgrounds (no task starts inside it).
      if (r.startup != null && r.startup * 1000 * scale >= 2) {
        var hid = 'hatch-' + (++hatches);
        var pat = el('pattern', { id: hid, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, el('defs', {}, svg, true), true);
        el('rect', { width: 6, height: 6, fill: '#fff7ed' }, pat, true);
        el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#fdba74', 'stroke-width': 2 }, pat, true);
        var sw = r.startup * 1000 * scale;
        var band = el('rect', { x: LABEL_W, y: 0, width: sw, height: H - AXIS, fill: 'url(#' + hid + ')', 'class': 'startup', 'data-startup': r.startup.toFixed(3) }, svg, true);
        band.addEventListener('mousemove', function (ev) { showTip(ev, 'start-up: ' + fmt(r.startup) + ' s before the first task began (starting the workers)'); });
        band.addEventListener('mouseleave', hideTip);
      }
    });
  });
  document.body.setAttribute('data-rendered', String(document.querySelectorAll('svg .bar').length));
})();
`;
