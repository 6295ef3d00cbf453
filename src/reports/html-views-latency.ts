/**
 * Latency histograms per tool and per model. The bars count the stored calls' durations in
 * log-spaced bins (d3-scale `scaleLog` places them); p50, p95 and p99 are the `aggregation`
 * analyzer's cumulative percentiles for that operation (from its sketch), drawn as they are.
 */
import { scaleLinear, scaleLog } from 'd3-scale';
import type { AggregationSnapshot, OperationStats } from '../analyzers/types.js';
import { cut, esc, int, ms, n2 } from './html-format.js';
import type { CallBar, ReportModel } from './html-model.js';
import type { ResolvedHtmlOptions } from './html-options.js';

const WIDTH = 480;
const HEIGHT = 130;
const BINS = 24;
const MARGIN = { left: 36, right: 10, top: 18, bottom: 22 };

export function latencyView(model: ReportModel, aggregation: AggregationSnapshot | undefined, options: ResolvedHtmlOptions): string {
  const out = [`<section id="view-latency" class="view" data-view="latency"><h2>Latency</h2>`];
  out.push(`<p class="note">Bars: stored calls per duration bin (log scale). Lines: p50 / p95 / p99 from the aggregation analyzer (±${esc(((aggregation?.quantileRelativeError ?? 0.01) * 100).toFixed(0))}% relative error).</p>`);
  for (const kind of ['tool', 'llm'] as const) {
    const byName = new Map<string, number[]>();
    for (const c of model.calls) {
      if (c.kind !== kind || c.durationMs === undefined || c.status === 'blocked') continue;
      const list = byName.get(c.name) ?? [];
      list.push(c.durationMs);
      byName.set(c.name, list);
    }
    const stats = kind === 'tool' ? aggregation?.cumulative.tools : aggregation?.cumulative.models;
    const names = [...byName.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0])).slice(0, options.maxTools).map(([n]) => n);
    out.push(`<h3>${kind === 'tool' ? 'Tools' : 'Models'}</h3>`);
    if (names.length === 0) out.push(`<p class="empty">No timed ${kind === 'tool' ? 'tool' : 'LLM'} calls.</p>`);
    else out.push(`<div class="hists">${names.map((n) => histogram(kind, n, byName.get(n)!, stats?.[n])).join('')}</div>`);
  }
  out.push(`</section>`);
  return out.join('\n');
}

function histogram(kind: CallBar['kind'], name: string, durations: number[], stats: OperationStats | undefined): string {
  const positive = durations.map((d) => Math.max(d, 0.1));
  const lo = Math.min(...positive);
  const hi = Math.max(...positive, lo * 1.01);
  const x = scaleLog().domain([lo, hi]).range([MARGIN.left, WIDTH - MARGIN.right]).clamp(true);
  const counts = new Array<number>(BINS).fill(0);
  const step = (Math.log(hi) - Math.log(lo)) / BINS;
  for (const d of positive) counts[Math.min(BINS - 1, Math.floor((Math.log(d) - Math.log(lo)) / step))]!++;
  const top = Math.max(...counts);
  const y = scaleLinear().domain([0, top]).range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const parts: string[] = [];
  for (let i = 0; i < BINS; i++) {
    if (counts[i] === 0) continue;
    const a = Math.exp(Math.log(lo) + i * step);
    const b = Math.exp(Math.log(lo) + (i + 1) * step);
    parts.push(`<rect class="hbar" x="${n2(x(a))}" y="${n2(y(counts[i]!))}" width="${n2(Math.max(0.5, x(b) - x(a) - 0.5))}" height="${n2(HEIGHT - MARGIN.bottom - y(counts[i]!))}" data-t="${esc(`${ms(a)}–${ms(b)}: ${counts[i]} calls`)}"/>`);
  }
  let attrs = `data-kind="${kind}" data-name="${esc(name)}" data-count="${durations.length}"`;
  if (stats !== undefined) {
    const l = stats.latency;
    attrs += ` data-p50="${l.p50}" data-p95="${l.p95}" data-p99="${l.p99}"`;
    for (const [label, v] of [['p50', l.p50], ['p95', l.p95], ['p99', l.p99]] as const) {
      const px = n2(x(Math.max(v, 0.1)));
      parts.push(`<line class="pline ${label}" x1="${px}" x2="${px}" y1="${MARGIN.top - 4}" y2="${HEIGHT - MARGIN.bottom}"/><text class="plabel ${label}" x="${px}" y="10" text-anchor="${label === 'p50' ? 'end' : label === 'p95' ? 'middle' : 'start'}">${label}</text>`);
    }
  }
  const axis = `<text class="ax" x="${MARGIN.left}" y="${HEIGHT - 6}">${esc(ms(lo))}</text><text class="ax" x="${WIDTH - MARGIN.right}" y="${HEIGHT - 6}" text-anchor="end">${esc(ms(hi))}</text><text class="ax" x="${MARGIN.left - 4}" y="${MARGIN.top + 8}" text-anchor="end">${top}</text>`;
  const caption = stats === undefined
    ? `${int(durations.length)} calls`
    : `${int(stats.latency.count)} calls · p50 ${ms(stats.latency.p50)} · p95 ${ms(stats.latency.p95)} · p99 ${ms(stats.latency.p99)} · max ${ms(stats.latency.max)}`;
  return `<figure class="hist" ${attrs}><figcaption><b>${esc(cut(name, 40))}</b> <span class="pfig">${esc(caption)}</span></figcaption><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${esc(`latency of ${name}`)}">${parts.join('')}${axis}</svg></figure>`;
}
