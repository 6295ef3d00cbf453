/**
 * The few headline figures `fleetscope report` prints after writing a report: each read from the
 * same snapshot field the markdown report shows, so the two never disagree.
 */
import type { AggregationSnapshot } from '../analyzers/types.js';
import type { CostSnapshot } from '../analyzers/cost.js';
import type { FleetSnapshot } from '../analyzers/fleet.js';
import type { InsightsSnapshot } from '../analyzers/insights.js';
import type { SessionsSnapshot } from '../analyzers/sessions.js';
import { formatInt, formatUsd } from './terminal.js';

/** `[label, value]` pairs; absent analyzers are left out. */
export function headlineFigures(snapshots: Record<string, unknown>): [string, string][] {
  const aggregation = snapshots.aggregation as AggregationSnapshot | undefined;
  const cost = snapshots.cost as CostSnapshot | undefined;
  const fleet = snapshots.fleet as FleetSnapshot | undefined;
  const insights = snapshots.insights as InsightsSnapshot | undefined;
  const sessions = snapshots.sessions as SessionsSnapshot | undefined;
  const out: [string, string][] = [];
  if (aggregation !== undefined) {
    const c = aggregation.cumulative;
    out.push(['Events', formatInt(c.events)]);
    out.push(['Tool calls', formatInt(c.byType['tool.end'] ?? 0)]);
    out.push(['Success rate', `${(c.successRate * 100).toFixed(1)}% (error rate ${(c.errorRate * 100).toFixed(1)}%)`]);
  }
  if (sessions !== undefined) out.push(['Sessions', formatInt(sessions.sessions.length + sessions.evicted)]);
  if (cost !== undefined) {
    out.push(['LLM calls', formatInt(cost.calls)]);
    out.push(['Tokens', `${formatInt(cost.tokens.input)} input, ${formatInt(cost.tokens.output)} output, ${formatInt(cost.tokens.cacheRead)} cache read, ${formatInt(cost.tokens.cacheWrite)} cache write`]);
    out.push(['Cost (known)', `${formatUsd(cost.totalUsd)}${cost.unpricedCalls > 0 ? ` (+ ${formatInt(cost.unpricedCalls)} unpriced calls)` : ''}`]);
  }
  if (fleet !== undefined) out.push(['Agent executions', `${formatInt(fleet.totals.executions)} (${formatInt(fleet.totals.failed)} failed)`]);
  if (insights !== undefined) {
    const p = insights.byPriority;
    out.push(['Insights', `${p.critical} critical, ${p.high} high, ${p.medium} medium, ${p.low} low`]);
  }
  return out;
}

export function renderHeadline(snapshots: Record<string, unknown>): string {
  const rows = headlineFigures(snapshots);
  const w = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
