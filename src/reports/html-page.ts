/**
 * The page around the views: the style sheet, the one inline script (hover tips, zoom and pan of
 * the timelines, and a `data-painted` mark on <html> once the first frame after load is painted,
 * which the browser tests and the bench read), and a Content-Security-Policy that lets the page
 * load nothing from anywhere: no network request can leave it, and only the script whose hash it
 * names can run, so markup that slipped through escaping still could not execute.
 */
import { createHash } from 'node:crypto';
import { esc } from './html-format.js';

const STYLE = `
:root{--ok:#3b82c4;--err:#d43c3c;--blk:#e08a1e;--unf:#9aa3ad;--llm:#7a5cc4;--crit:#111;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2329;background:#fff}
body{margin:0 auto;max-width:1280px;padding:16px 20px 60px;font-size:14px;line-height:1.4}
header h1{margin:0 0 4px;font-size:22px} nav{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #ddd;z-index:2}
nav a{margin-right:14px;text-decoration:none;color:#245b91} h2{margin:28px 0 6px;font-size:18px;border-bottom:1px solid #e3e3e3;padding-bottom:3px} h3{font-size:15px;margin:16px 0 4px} h4{margin:10px 0 2px;font-size:13px}
.note{color:#5b6670;font-size:12px;margin:2px 0 8px} .empty{color:#7b858e;font-style:italic} small{color:#5b6670;font-weight:normal}
table{border-collapse:collapse;font-size:13px} td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top} td.num{text-align:right;font-variant-numeric:tabular-nums}
.headline{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0} .headline div{border:1px solid #e3e3e3;border-radius:6px;padding:6px 10px;min-width:120px} .headline b{display:block;font-size:17px}
.cols{display:flex;flex-wrap:wrap;gap:28px}
.legend{font-size:12px;margin:4px 0 8px}.sw{display:inline-block;width:12px;height:10px;margin:0 3px 0 10px;vertical-align:middle;border-radius:2px}
.sw.s-success{background:var(--ok)}.sw.s-error{background:var(--err)}.sw.s-blocked{background:var(--blk)}.sw.s-unfinished{background:var(--unf)}.sw.llm{background:var(--llm)}.sw.idle{background:#e9e2c6}.sw.crit{background:var(--crit);height:3px}
.session{margin:10px 0 18px}.sess-dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
.tl{display:flex;align-items:flex-start}.tl-labels{flex:0 0 190px;font-size:11px;margin-top:24px}.tl-main{flex:1;min-width:0}
.tl-tools{height:24px}.tl-tools button{font-size:12px;padding:1px 7px;margin-right:4px}
.tl-plot{display:block;width:100%;cursor:grab;touch-action:none;background:#fff}.tl-axis{display:block;font-size:10px;fill:#5b6670}
.lane{fill:#fafbfc}.lane.odd{fill:#f2f4f6}.idle{fill:#efe7c8;opacity:.8}
.run{fill:#dfe9f3;stroke:#b8cadb;stroke-width:1;vector-effect:non-scaling-stroke}.run.r-error{fill:#f6dede}.run.r-running{fill:#e8eef3;stroke-dasharray:3 2}
.bar.s-success{fill:var(--ok)}.bar.llm.s-success{fill:var(--llm)}.bar.s-error{fill:var(--err)}.bar.s-blocked{fill:var(--blk)}.bar.s-unfinished{fill:var(--unf)}
.bar:hover{stroke:#000;stroke-width:1;vector-effect:non-scaling-stroke}
.m-error{fill:var(--err)}.m-blocked{fill:var(--blk)} .alert{stroke:var(--err);stroke-width:2;vector-effect:non-scaling-stroke}
.fan{stroke:#6b7785;stroke-width:1;stroke-dasharray:2 2;vector-effect:non-scaling-stroke}.fan-in{stroke:#9a6bb0}
.crit{fill:var(--crit)}.crit-link{fill:none;stroke:var(--crit);stroke-width:1.5;vector-effect:non-scaling-stroke;opacity:.6}.crit-text{font-size:12px;margin:3px 0 0 190px}
.flow .link{fill:none;stroke:#9db7d1;stroke-opacity:.55}.flow .link.o-error{stroke:#e59a9a}.flow .link.o-blocked{stroke:#efbf7f}.flow .link:hover{stroke-opacity:.9}
.flow .node rect{fill:#4a6f96}.flow .node.o-error rect{fill:var(--err)}.flow .node.o-blocked rect{fill:var(--blk)}.flow .node.o-success rect{fill:#3c9a5f}.flow text{font-size:11px}
.heatmap text{font-size:11px}.heatmap .th{fill:#5b6670}.heatmap .cell:hover{stroke:#000}
.hists{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:10px}.hist{margin:0;border:1px solid #eee;border-radius:6px;padding:4px 6px}.hist figcaption{font-size:12px}
.hbar{fill:#6d90b5}.pline{stroke-width:1.5}.pline.p50{stroke:#2f8f4f}.pline.p95{stroke:#d08a1a}.pline.p99{stroke:#c43c3c}.plabel{font-size:9px}.plabel.p50{fill:#2f8f4f}.plabel.p95{fill:#d08a1a}.plabel.p99{fill:#c43c3c}.ax{font-size:9px;fill:#5b6670}
.insights li{margin:0 0 12px}.ititle{font-weight:600}.badge{display:inline-block;font-size:11px;border-radius:3px;padding:0 5px;color:#fff;background:#888}
.p-critical .badge{background:#a11}.p-high .badge{background:#d43c3c}.p-medium .badge{background:#d08a1a}.p-low .badge{background:#6d90b5}
.meta,.evidence,.evidence-events{font-size:12px;color:#5b6670}.kv{margin-right:10px}
tr.event:target{background:#fff4c2} pre{white-space:pre-wrap;word-break:break-all;max-height:240px;overflow:auto;background:#f6f8fa;padding:4px;margin:2px 0}
#tip{position:absolute;z-index:10;pointer-events:none;background:#1d2329;color:#fff;font-size:12px;padding:5px 8px;border-radius:4px;white-space:pre;max-width:520px;overflow:hidden}
`;

/** Plain ES2020 without eval, without inline handlers: what the CSP allows. */
const SCRIPT = `(() => {
  const tip = document.getElementById('tip');
  // A call bar carries only its name, duration and error; the rest is read from the page.
  const describe = (el) => {
    const text = el.getAttribute('data-t');
    if (!el.classList.contains('bar')) return text;
    const status = [...el.classList].find((c) => c.startsWith('s-')).slice(2);
    const plot = el.closest('svg.tl-plot');
    const lane = Math.floor(Number(el.getAttribute('y')) / 24);
    const label = plot.closest('.tl').querySelectorAll('.tl-labels text')[lane];
    const end = new Date(Number(plot.dataset.t0) + Number(el.getAttribute('data-e'))).toISOString();
    return (el.classList.contains('llm') ? 'LLM ' : 'tool ') + text.replace('\\n', '\\nstatus ' + status + '\\n') +
      (text.includes('\\n') ? '' : '\\nstatus ' + status) + '\\nagent ' + (label ? label.getAttribute('data-agent') : '?') +
      '\\nended ' + end + '\\nevent ' + el.getAttribute('data-id');
  };
  document.addEventListener('mouseover', (e) => {
    const el = e.target instanceof Element ? e.target.closest('[data-t]') : null;
    if (el === null) { tip.hidden = true; return; }
    tip.textContent = describe(el);
    tip.hidden = false;
  });
  document.addEventListener('mousemove', (e) => {
    if (tip.hidden) return;
    tip.style.left = (e.pageX + 14) + 'px';
    tip.style.top = (e.pageY + 14) + 'px';
  });
  const fmt = (x) => x >= 60000 ? (x / 60000).toFixed(1) + ' min' : x >= 1000 ? (x / 1000).toFixed(2) + ' s' : x.toFixed(x < 10 ? 1 : 0) + ' ms';
  const NS = 'http://www.w3.org/2000/svg';
  for (const plot of document.querySelectorAll('svg.tl-plot')) {
    const W = 1000, H = plot.viewBox.baseVal.height;
    const span = Number(plot.dataset.span);
    const main = plot.parentElement;
    const axis = main.querySelector('.tl-axis');
    let v0 = 0, vw = W;
    const drawAxis = () => {
      const from = v0 / W * span, to = (v0 + vw) / W * span;
      const raw = (to - from) / 8, pow = Math.pow(10, Math.floor(Math.log10(raw || 1)));
      const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) || pow * 10;
      while (axis.firstChild) axis.removeChild(axis.firstChild);
      for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
        const text = document.createElementNS(NS, 'text');
        text.setAttribute('x', ((t - from) / (to - from) * 100).toFixed(2) + '%');
        text.setAttribute('y', '12');
        text.textContent = fmt(t);
        axis.appendChild(text);
      }
    };
    const apply = () => {
      plot.setAttribute('viewBox', v0 + ' 0 ' + vw + ' ' + H);
      plot.dataset.zoom = (W / vw).toFixed(3);
      drawAxis();
    };
    const zoom = (k, fx) => {
      const nw = Math.min(W, Math.max(W / 5000, vw / k));
      v0 = Math.max(0, Math.min(W - nw, v0 + fx * vw - fx * nw));
      vw = nw;
      apply();
    };
    plot.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = plot.getBoundingClientRect();
      zoom(e.deltaY < 0 ? 1.25 : 0.8, (e.clientX - r.left) / r.width);
    }, { passive: false });
    let drag = null;
    plot.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, v: v0 }; plot.setPointerCapture(e.pointerId); plot.style.cursor = 'grabbing'; });
    plot.addEventListener('pointermove', (e) => {
      if (drag === null) return;
      const r = plot.getBoundingClientRect();
      v0 = Math.max(0, Math.min(W - vw, drag.v - (e.clientX - drag.x) / r.width * vw));
      apply();
    });
    const stop = () => { drag = null; plot.style.cursor = ''; };
    plot.addEventListener('pointerup', stop);
    plot.addEventListener('pointercancel', stop);
    plot.addEventListener('dblclick', () => { v0 = 0; vw = W; apply(); });
    for (const button of main.querySelectorAll('[data-zoom]')) {
      button.addEventListener('click', () => {
        const what = button.getAttribute('data-zoom');
        if (what === 'reset') { v0 = 0; vw = W; apply(); } else zoom(what === 'in' ? 2 : 0.5, 0.5);
      });
    }
  }
  const painted = () => { document.documentElement.dataset.painted = String(performance.now()); };
  requestAnimationFrame(() => requestAnimationFrame(painted));
})();`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

export interface PageParts {
  title: string;
  generatedAt: number;
  headline: [string, string][];
  views: string[];
}

export function page({ title, generatedAt, headline, views }: PageParts): string {
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:; base-uri 'none'; form-action 'none'`;
  return [
    `<!DOCTYPE html>`,
    `<html lang="en"><head><meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="generator" content="fleetscope">`,
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>`,
    `<header><h1>${esc(title)}</h1><div class="note">Generated ${esc(new Date(generatedAt).toISOString())} by fleetscope. Self-contained: this file loads nothing from the network.</div>`,
    `<div class="headline">${headline.map(([k, v]) => `<div data-headline="${esc(k)}">${esc(k)}<b>${esc(v)}</b></div>`).join('')}</div></header>`,
    `<nav><a href="#view-timeline">Timeline</a><a href="#view-flow">Flow</a><a href="#view-heatmap">Tokens &amp; cost</a><a href="#view-latency">Latency</a><a href="#view-workflows">Workflows</a><a href="#view-insights">Insights</a><a href="#alerts">Alerts</a><a href="#view-health">Capture health</a></nav>`,
    ...views,
    `<div id="tip" hidden></div>`,
    `<script>${SCRIPT}</script>`,
    `</body></html>`,
    '',
  ].join('\n');
}
