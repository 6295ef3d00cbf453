/**
 * Token and cost heatmap: agents (rows) × equal time buckets (columns) over the span of the LLM
 * calls. A cell sums the tokens of the stored `llm.call` events of that agent in that bucket, and
 * their cost: the event's own `costUsd`, else the price table (`pricing` option; calls of a model
 * without a price, and calls that carry no usage, are counted as unpriced, never as $0). The row totals are the `cost` analyzer's
 * figures for the agent, printed as they are. Colours from d3-scale linear scales.
 */
import { scaleLinear } from 'd3-scale';
import type { CostSnapshot } from '../analyzers/cost.js';
import { DEFAULT_PRICING, createCallPricer, type PricedCall } from '../analyzers/pricing.js';
import { cut, esc, int, isoTime, ms, n2, usd } from './html-format.js';
import type { ReportModel } from './html-model.js';
import type { ResolvedHtmlOptions } from './html-options.js';

const LABEL_WIDTH = 230;
const CELL_HEIGHT = 20;
const WIDTH = 1000;
const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

interface Cell {
  tokens: number;
  costUsd: number;
  calls: number;
  unpriced: number;
}

export function heatmapView(model: ReportModel, cost: CostSnapshot | undefined, options: ResolvedHtmlOptions): string {
  const llm = model.calls.filter((c) => c.kind === 'llm');
  const head = `<section id="view-heatmap" class="view" data-view="heatmap" data-llm-calls="${llm.length}"><h2>Tokens and cost by agent over time</h2>`;
  if (llm.length === 0) return `${head}<p class="empty">No LLM calls.</p></section>`;
  // The cost analyzer's rule: the call's own costUsd, else unknown without any token counts, else the table.
  const priceOf = createCallPricer({ ...DEFAULT_PRICING, ...options.pricing });
  const first = Math.min(...llm.map((c) => c.end));
  const last = Math.max(...llm.map((c) => c.end));
  const buckets = options.heatmapBuckets;
  const width = Math.max(1, last - first) / buckets;
  const bucketOf = (t: number) => Math.min(buckets - 1, Math.floor((t - first) / width));
  const tokensByAgent = new Map<string, number>();
  const rows = new Map<string, Cell[]>();
  for (const c of llm) {
    const p = c.event.payload as Record<string, unknown>;
    const total = num(p.inputTokens) + num(p.outputTokens) + num(p.cacheReadTokens) + num(p.cacheWriteTokens);
    tokensByAgent.set(c.agentId, (tokensByAgent.get(c.agentId) ?? 0) + total);
    let row = rows.get(c.agentId);
    if (row === undefined) rows.set(c.agentId, (row = Array.from({ length: buckets }, () => ({ tokens: 0, costUsd: 0, calls: 0, unpriced: 0 }))));
    const cell = row[bucketOf(c.end)]!;
    cell.tokens += total;
    cell.calls++;
    const usd = priceOf({ ...(p as Omit<PricedCall, 'model'>), model: c.name });
    if (usd !== undefined) cell.costUsd += usd;
    else cell.unpriced++;
  }
  const agents = [...tokensByAgent.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([a]) => a);
  const shown = agents.slice(0, options.maxAgents);
  if (agents.length > shown.length) {
    const other = Array.from({ length: buckets }, () => ({ tokens: 0, costUsd: 0, calls: 0, unpriced: 0 }));
    for (const a of agents.slice(shown.length)) {
      for (const [i, cell] of rows.get(a)!.entries()) {
        other[i]!.tokens += cell.tokens;
        other[i]!.costUsd += cell.costUsd;
        other[i]!.calls += cell.calls;
        other[i]!.unpriced += cell.unpriced;
      }
    }
    rows.set('other agents', other);
    shown.push('other agents');
  }
  const out = [head, `<p class="note">${buckets} buckets of ${esc(ms(width))} from ${esc(isoTime(first))}. Cells: sums of the stored LLM calls (cost: the call's reported cost, else the price table; unpriced calls are counted, not costed). Row totals: the cost analyzer's figures.</p>`];
  out.push(grid('tokens', shown, rows, buckets, cost, (c) => c.tokens, (x) => int(x), (a) => {
    const t = cost?.byAgent[a]?.tokens;
    return t === undefined ? '' : int(t.input + t.output + t.cacheRead + t.cacheWrite);
  }));
  out.push(grid('cost', shown, rows, buckets, cost, (c) => c.costUsd, (x) => usd(x), (a) => (cost?.byAgent[a] === undefined ? '' : usd(cost.byAgent[a]!.costUsd))));
  out.push(`</section>`);
  return out.join('\n');
}

function grid(
  metric: 'tokens' | 'cost',
  agents: string[],
  rows: Map<string, Cell[]>,
  buckets: number,
  cost: CostSnapshot | undefined,
  value: (c: Cell) => number,
  format: (x: number) => string,
  rowTotal: (agent: string) => string,
): string {
  let max = 0;
  for (const a of agents) for (const c of rows.get(a)!) max = Math.max(max, value(c));
  const colour = scaleLinear<string>().domain([0, max || 1]).range(metric === 'tokens' ? ['#eef4fb', '#1f4e8c'] : ['#fbf1ea', '#9c3d0f']);
  const cellWidth = (WIDTH - LABEL_WIDTH - 150) / buckets;
  const height = agents.length * CELL_HEIGHT + 20;
  const out = [`<h3>${metric === 'tokens' ? 'Tokens' : 'Cost (USD)'}</h3>`, `<svg class="heatmap" data-metric="${metric}" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="${metric} heatmap">`];
  out.push(`<text class="th" x="${WIDTH - 140}" y="12">${cost === undefined ? '' : 'total (cost analyzer)'}</text>`);
  for (const [r, a] of agents.entries()) {
    const y = 16 + r * CELL_HEIGHT;
    out.push(`<text x="${LABEL_WIDTH - 6}" y="${y + 14}" text-anchor="end">${esc(cut(a, 32))}</text>`);
    for (const [b, c] of rows.get(a)!.entries()) {
      const v = value(c);
      out.push(
        `<rect class="cell" x="${n2(LABEL_WIDTH + b * cellWidth)}" y="${y}" width="${n2(Math.max(0.5, cellWidth - 1))}" height="${CELL_HEIGHT - 2}" fill="${v > 0 ? colour(v) : '#f7f7f7'}" ` +
          `data-agent="${esc(a)}" data-bucket="${b}" data-value="${metric === 'cost' ? Math.round(v * 1e9) / 1e9 : v}" data-t="${esc(`${a}, bucket ${b + 1}: ${format(v)} (${c.calls} calls${c.unpriced > 0 ? `, ${c.unpriced} unpriced` : ''})`)}"/>`,
      );
    }
    out.push(`<text class="row-total" x="${WIDTH - 140}" y="${y + 14}" data-agent="${esc(a)}">${esc(rowTotal(a))}</text>`);
  }
  out.push(`</svg>`);
  return out.join('');
}
