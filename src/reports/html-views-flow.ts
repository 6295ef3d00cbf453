/**
 * Agent → tool → outcome flow (Sankey). Link widths are counts of stored tool calls (no analyzer
 * keeps calls per agent and tool); each tool's failure share and mean duration are the
 * `aggregation` analyzer's cumulative figures for that tool, printed as they are. Layout by
 * d3-sankey (node positions and link widths) and its `sankeyLinkHorizontal` path generator.
 */
import { sankey, sankeyLinkHorizontal, type SankeyGraph } from 'd3-sankey';
import type { AggregationSnapshot } from '../analyzers/types.js';
import { cut, esc, int, ms, n2, pct } from './html-format.js';
import type { ReportModel } from './html-model.js';
import type { ResolvedHtmlOptions } from './html-options.js';

interface FlowNode {
  id: string;
  column: 'agent' | 'tool' | 'outcome';
  name: string;
}
interface FlowLink {
  source: string;
  target: string;
  value: number;
}

const WIDTH = 1000;
const OTHER_AGENTS = 'other agents';
const OTHER_TOOLS = 'other tools';

/** The `limit` keys with the highest counts; the rest map to `other`. */
function topKeys(counts: Map<string, number>, limit: number): Set<string> {
  return new Set([...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit).map(([k]) => k));
}

export function flowView(model: ReportModel, aggregation: AggregationSnapshot | undefined, options: ResolvedHtmlOptions): string {
  const tools = model.calls.filter((c) => c.kind === 'tool');
  const head = `<section id="view-flow" class="view" data-view="flow" data-tool-calls="${tools.length}"><h2>Agent → tool → outcome</h2>`;
  if (tools.length === 0) return `${head}<p class="empty">No tool calls.</p></section>`;
  const agentCounts = new Map<string, number>();
  const toolCounts = new Map<string, number>();
  for (const c of tools) {
    agentCounts.set(c.agentId, (agentCounts.get(c.agentId) ?? 0) + 1);
    toolCounts.set(c.name, (toolCounts.get(c.name) ?? 0) + 1);
  }
  const agents = topKeys(agentCounts, options.maxAgents);
  const toolSet = topKeys(toolCounts, options.maxTools);
  const links = new Map<string, FlowLink>();
  const add = (source: string, target: string) => {
    const key = `${source}\u0000${target}`;
    const link = links.get(key);
    if (link === undefined) links.set(key, { source, target, value: 1 });
    else link.value++;
  };
  const nodes = new Map<string, FlowNode>();
  const node = (column: FlowNode['column'], name: string) => {
    const id = `${column}\u0000${name}`;
    if (!nodes.has(id)) nodes.set(id, { id, column, name });
    return id;
  };
  for (const c of tools) {
    const a = node('agent', agents.has(c.agentId) ? c.agentId : OTHER_AGENTS);
    const t = node('tool', toolSet.has(c.name) ? c.name : OTHER_TOOLS);
    const o = node('outcome', c.status);
    add(a, t);
    add(t, o);
  }
  const nodeCount = Math.max(...(['agent', 'tool', 'outcome'] as const).map((col) => [...nodes.values()].filter((n) => n.column === col).length));
  const height = Math.max(220, nodeCount * 34);
  const layout = sankey<FlowNode, FlowLink>()
    .nodeId((d) => d.id)
    .nodeWidth(14)
    .nodePadding(12)
    .nodeSort(null)
    .extent([[170, 8], [WIDTH - 110, height - 8]]);
  let graph: SankeyGraph<FlowNode, FlowLink>;
  try {
    graph = layout({ nodes: [...nodes.values()].map((n) => ({ ...n })), links: [...links.values()].map((l) => ({ ...l })) });
  } catch (error) {
    return `${head}<p class="empty">The flow could not be laid out: ${esc(error instanceof Error ? error.message : String(error))}</p></section>`;
  }
  const path = sankeyLinkHorizontal();
  const out: string[] = [head, `<p class="note">Link width: tool calls in the store. Failure share and mean duration of each tool: the aggregation analyzer's cumulative figures (failure share = errors / (successes + errors); blocked calls are not in it).</p>`];
  out.push(`<svg class="flow" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="agent to tool to outcome flow">`);
  for (const l of graph.links) {
    const s = l.source as FlowNode;
    const t = l.target as FlowNode;
    const cls = t.column === 'outcome' ? ` o-${esc(t.name)}` : '';
    out.push(`<path class="link${cls}" d="${path(l) ?? ''}" stroke-width="${n2(Math.max(1, l.width ?? 1))}" data-source="${esc(s.name)}" data-target="${esc(t.name)}" data-value="${l.value}" data-t="${esc(`${s.name} → ${t.name}: ${int(l.value)} calls`)}"/>`);
  }
  for (const n of graph.nodes) {
    const x0 = n.x0 ?? 0;
    const x1 = n.x1 ?? 0;
    const y0 = n.y0 ?? 0;
    const y1 = n.y1 ?? 0;
    const count = n.value ?? 0;
    let attrs = `data-node="${n.column}" data-name="${esc(n.name)}" data-count="${count}"`;
    const label = `${cut(n.name, 24)} · ${int(count)}`;
    let second = '';
    if (n.column === 'tool' && n.name !== OTHER_TOOLS) {
      const stats = aggregation?.cumulative.tools[n.name];
      if (stats !== undefined) {
        attrs += ` data-failure-share="${stats.errorRate}" data-mean-ms="${stats.latency.mean}"`;
        second = `${pct(stats.errorRate)} failed · mean ${ms(stats.latency.mean)}`;
      }
    }
    const textX = n.column === 'agent' ? x0 - 6 : x1 + 6;
    const anchor = n.column === 'agent' ? 'end' : 'start';
    const midY = (y0 + y1) / 2 + (second === '' ? 4 : -2);
    out.push(
      `<g class="node n-${n.column}${n.column === 'outcome' ? ` o-${esc(n.name)}` : ''}" ${attrs}><rect x="${n2(x0)}" y="${n2(y0)}" width="${n2(x1 - x0)}" height="${n2(Math.max(1, y1 - y0))}" data-t="${esc(`${n.name} · ${int(count)} calls${second === '' ? '' : ` · ${second}`}`)}"/>` +
        `<text x="${n2(textX)}" y="${n2(midY)}" text-anchor="${anchor}">${esc(label)}${second === '' ? '' : `<tspan class="fig" x="${n2(textX)}" dy="13">${esc(second)}</tspan>`}</text></g>`,
    );
  }
  out.push(`</svg></section>`);
  return out.join('\n');
}
