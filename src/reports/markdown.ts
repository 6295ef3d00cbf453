/**
 * The markdown report of `observer.report()`: headline figures, insights by priority, the
 * slowest operations, the costliest agents and models, regressions, each workflow's
 * parallelization. GitHub-flavored markdown that also reads well in a terminal. It only reads
 * snapshots (and stats); it computes no figure of its own.
 */
import type { InsightPriority, ReportInput, ReportRenderer } from '../core/index.js';
import type { CostSnapshot } from '../analyzers/cost.js';
import type { FleetSnapshot } from '../analyzers/fleet.js';
import type { InsightsSnapshot } from '../analyzers/insights.js';
import type { AggregationSnapshot, OperationStats, RegressionsSnapshot } from '../analyzers/types.js';
import type { AlertsSnapshot } from '../analyzers/alerts.js';
import { pValueText } from '../analyzers/figures.js';
import { evidenceLine } from './evidence.js';
import type { RedactionsSnapshot } from '../analyzers/redactions.js';
import type { BottlenecksSnapshot } from '../analyzers/bottlenecks.js';

const PRIORITIES: readonly InsightPriority[] = ['critical', 'high', 'medium', 'low'];
const MAX_ROWS = 10;

const usd = (x: number | undefined) => (x === undefined ? '—' : x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(4)}`);
const int = (x: number | undefined) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : x >= 60_000 ? `${(x / 60_000).toFixed(1)} min` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`);
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0)}%`);
/** Table cells must not break the table. */
const cell = (text: unknown) => String(text ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** Why the cost analyzer made no day or month projection, in a user's words. */
function notProjectedWhy(p: CostSnapshot['projections']): string {
  if (p.notProjected === 'no-calls') return 'fewer than 2 priced calls: no rate to project';
  if (p.notProjected === 'sparse') {
    return `priced calls on ${p.activeDays} of the ${p.spanDays} days they span (separate sessions): a day or month rate would extrapolate across the gaps (cost option \`minActiveDayShare\`)`;
  }
  return `the priced calls span ${ms(p.observedSpanMs)}, and a day or month is projected only from at least ${ms(p.minProjectionSpanMs)} of activity (cost option \`minProjectionSpanMs\`)`;
}

function table(header: string[], rows: unknown[][], align?: string[]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${(align ?? header.map((_, i) => (i === 0 ? ':--' : '--:'))).join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

export const renderMarkdownReport: ReportRenderer = (input: ReportInput): string => {
  const s = input.snapshots;
  const aggregation = s.aggregation as AggregationSnapshot | undefined;
  const cost = s.cost as CostSnapshot | undefined;
  const fleet = s.fleet as FleetSnapshot | undefined;
  const waiting = (s.bottlenecks as BottlenecksSnapshot | undefined)?.waitingForUser;
  const insights = s.insights as InsightsSnapshot | undefined;
  const regressions = s.regressions as RegressionsSnapshot | undefined;
  const out: string[] = [`# ${input.title}`, '', `Generated ${new Date(input.generatedAt).toISOString()}.`, ''];

  // ── Headline ──
  const cumulative = aggregation?.cumulative;
  const headline: [string, string][] = [
    ['Events', `${int(input.stats.events.accepted)} accepted, ${int(input.stats.events.invalid)} invalid, ${int(input.stats.dropped)} dropped`],
  ];
  if (cumulative !== undefined) {
    headline.push(['Success rate', `${pct(cumulative.successRate)} (error rate ${pct(cumulative.errorRate)})`]);
    headline.push(['Active now', `${int(aggregation!.active.sessions)} sessions, ${int(aggregation!.active.agents)} agents, ${int(aggregation!.active.workflows)} workflows`]);
  }
  if (cost !== undefined) {
    const t = cost.tokens;
    headline.push(['Tokens', `${int(t.input)} input, ${int(t.output)} output, ${int(t.cacheRead)} cache read, ${int(t.cacheWrite)} cache write`]);
    // N is the priced calls only: an unpriced call (no price, or no usage) is not in the known total.
    headline.push(['Cost (known)', `${usd(cost.totalUsd)} over ${int(cost.pricedCalls)} LLM calls` + (cost.unpricedCalls > 0 ? ` — plus ${int(cost.unpricedCalls)} unpriced (unknown cost${cost.noUsageCalls > 0 ? `; ${int(cost.noUsageCalls)} without usage` : ''})` : '')]);
    const p = cost.projections;
    headline.push(['Projected', p.projected === false
      ? `not projected: ${p.notProjected === 'sparse' ? `priced calls on ${p.activeDays} of ${p.spanDays} days` : p.notProjected === 'no-calls' ? 'fewer than 2 priced calls' : `${ms(p.observedSpanMs)} of activity observed, at least ${ms(p.minProjectionSpanMs)} needed`}`
      : `${usd(p.day.baseline)} / day, ${usd(p.month.baseline)} / month (range ${usd(p.month.optimistic)}–${usd(p.month.pessimistic)}), from ${ms(p.observedSpanMs)} observed`]);
  }
  if (fleet !== undefined) {
    const f = fleet.totals;
    headline.push(['Workflows', `${int(f.workflows)} (${int(f.activeWorkflows)} active), ${int(f.executions)} agent executions, ${int(f.failed)} failed`]);
  }
  // Time that was a person's, not the agents': questions, plans to approve, calls refused or blocked.
  if (waiting !== undefined && waiting.calls > 0) {
    headline.push(['Waiting for the user', `${int(waiting.calls)} tool calls, ${ms(waiting.totalMs)} (${int(waiting.blocked)} of them refused or blocked${waiting.permissionPrompts > 0 ? `, ${int(waiting.permissionPrompts)} run after a permission prompt` : ''})`]);
  }
  if (insights !== undefined) {
    const p = insights.byPriority;
    headline.push(['Insights', `${p.critical} critical, ${p.high} high, ${p.medium} medium, ${p.low} low`]);
  }
  const redacted = redactedLine(s.redactions);
  if (redacted !== undefined) headline.push(['Redacted', redacted]);
  out.push(...table(['', ''], headline, [':--', ':--']), '');

  // ── Insights ──
  out.push('## Insights', '');
  if (insights === undefined) out.push('_No insights analyzer registered._', '');
  else if (insights.insights.length === 0) out.push('_Nothing to report: no analyzer found anything worth acting on._', '');
  else {
    for (const priority of PRIORITIES) {
      const group = insights.insights.filter((i) => i.priority === priority);
      if (group.length === 0) continue;
      out.push(`### ${priority[0]!.toUpperCase()}${priority.slice(1)} (${group.length})`, '');
      for (const i of group) {
        out.push(`- **${i.title}** — ${i.category}, confidence ${pct(i.confidence)}, effort ${i.effort}${i.occurrences > 1 ? `, seen ${i.occurrences}×` : ''} _(${i.rule}, from ${i.source})_`);
        out.push(`  - Do: ${i.recommendation}`);
        out.push(`  - Impact: ${i.impact}`);
        const ev = evidenceLine(i.evidence, 8);
        if (ev !== '') out.push(`  - Evidence: ${ev}`);
      }
      out.push('');
    }
  }

  out.push(...alertsSection(s.alerts));
  out.push(...redactionSection(s.redactions));

  // ── Slowest operations ──
  if (cumulative !== undefined) {
    const ops: OperationStats[] = [...Object.values(cumulative.tools), ...Object.values(cumulative.agents), ...Object.values(cumulative.models)]
      .filter((o) => o.latency.count > 0)
      .sort((a, b) => b.latency.p95 - a.latency.p95)
      .slice(0, MAX_ROWS);
    out.push('## Slowest operations', '');
    if (ops.length === 0) out.push('_No timed operations yet._', '');
    else {
      out.push(
        ...table(
          ['Operation', 'Calls', 'Mean', 'p50', 'p95', 'p99', 'Max', 'Errors'],
          ops.map((o) => [o.operation, int(o.latency.count), ms(o.latency.mean), ms(o.latency.p50), ms(o.latency.p95), ms(o.latency.p99), ms(o.latency.max), pct(o.errorRate)]),
        ),
        '',
        `_Percentiles from a sketch with ±${pct(aggregation!.quantileRelativeError)} relative error._`,
        '',
      );
    }
  }

  // ── Cost ──
  if (cost !== undefined) {
    out.push('## Cost', '');
    out.push('### Costliest models', '');
    const models = Object.entries(cost.byModel).sort((a, b) => b[1].costUsd - a[1].costUsd).slice(0, MAX_ROWS);
    if (models.length === 0) out.push('_No LLM calls._', '');
    else {
      out.push(
        ...table(
          ['Model', 'Calls', 'Cost', 'Input', 'Output', 'Cache read', 'Cache write'],
          models.map(([m, e]) => [m, int(e.calls), e.unpricedCalls === e.calls ? 'unpriced' : usd(e.costUsd) + (e.unpricedCalls > 0 ? ` (+${e.unpricedCalls} unpriced)` : ''), int(e.tokens.input), int(e.tokens.output), int(e.tokens.cacheRead), int(e.tokens.cacheWrite)]),
        ),
        '',
      );
    }
    out.push('### Costliest agents', '');
    if (cost.top.agents.length === 0) out.push('_No priced calls._', '');
    else out.push(...table(['Agent', 'Cost', 'Share', 'Calls'], cost.top.agents.map((r) => [r.key, usd(r.costUsd), pct(r.share), int(cost.byAgent[r.key]?.calls)])), '');
    if (cost.unpriced.length > 0) {
      out.push('### Unpriced models', '', 'Their cost is **unknown**, not zero. Add a price with the `pricing` option.', '');
      out.push(...table(['Model', 'Calls', 'Input', 'Output', 'Cache read', 'Cache write'], cost.unpriced.map((u) => [u.model, int(u.calls), int(u.tokens.input), int(u.tokens.output), int(u.tokens.cacheRead), int(u.tokens.cacheWrite)])), '');
    }
    const p = cost.projections;
    out.push('### Projection', '');
    if (p.projected === false) out.push(`_Not projected: ${notProjectedWhy(p)}._`, '');
    else out.push(...table(['Horizon', 'Optimistic', 'Baseline', 'Pessimistic'], [
      ['Hour', usd(p.hour.optimistic), usd(p.hour.baseline), usd(p.hour.pessimistic)],
      ['Day', usd(p.day.optimistic), usd(p.day.baseline), usd(p.day.pessimistic)],
      ['Month (30 d)', usd(p.month.optimistic), usd(p.month.baseline), usd(p.month.pessimistic)],
    ]), '', `_Observed span: ${ms(p.observedSpanMs)}. Method: ${p.method}._`, '');
    if (cost.budgetsCrossed.length > 0) {
      out.push('### Budgets crossed', '', ...table(['Scope', 'Key', 'Limit', 'Spent'], cost.budgetsCrossed.map((b) => [b.scope, b.key, usd(b.limitUsd), usd(b.spentUsd)])), '');
    }
  }

  // ── Regressions ──
  if (regressions !== undefined) {
    out.push('## Regressions', '');
    const baselines = Object.keys(regressions.baselines).length;
    if (regressions.regressions.length === 0) out.push(`_None against ${int(baselines)} baselines._`, '');
    else {
      out.push(
        ...table(
          ['Operation', 'Metric', 'Baseline', 'Current', 'Change', 'Class', 'p-value', 'Samples'],
          regressions.regressions.slice(0, MAX_ROWS * 2).map((r) => {
            const fmt = r.metric === 'success_rate' ? pct : r.metric === 'tokens_mean' ? int : ms;
            return [r.operation, r.metric, fmt(r.baseline), fmt(r.current), `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(0)}%`, r.classification, pValueText(r.pValue), int(r.samples)];
          }),
        ),
        '',
      );
    }
  }

  // ── Workflows ──
  if (fleet !== undefined) {
    const shown = fleet.workflows.filter((w) => w.executions > 0).slice(0, MAX_ROWS * 2);
    out.push('## Workflows', '');
    if (shown.length === 0) out.push('_No agent executions._', '');
    else {
      out.push(
        ...table(
          ['Workflow', 'State', 'Agents ok / failed / running', 'Wall clock', 'Σ leaf execution', 'Parallelization', 'Critical path'],
          shown.map((w) => [
            w.workflowId,
            w.state,
            `${w.agents.completed} / ${w.agents.failed} / ${w.agents.running}`,
            ms(w.wallClockMs),
            ms(w.leafExecutionMs),
            w.parallelizationRatio === null ? 'n/a' : w.parallelizationRatio.toFixed(2),
            `${w.criticalPath.steps.filter((st) => st.depth <= 1).map((st) => st.name).join(' → ')} (${ms(w.criticalPath.durationMs)})`,
          ]),
        ),
        '',
        '_Σ leaf execution: the summed wall time of the agent executions that started no subagent (a parent\'s time, which covers its children\'s, is not added again). Parallelization = (Σ − union) / (Σ − longest) over those leaf executions: 0 strictly sequential, 1 fully parallel._',
        '',
      );
    }
  }

  const failing = Object.entries(input.stats.plugins).filter(([, st]) => st.errors > 0);
  if (failing.length > 0) {
    out.push('## Plugin errors', '', ...table(['Plugin', 'Errors', 'Last'], failing.map(([name, st]) => [name, int(st.errors), st.lastError ?? ''])), '');
  }
  return out.join('\n');
};

/**
 * "Alerts and guardrail blocks": reads the `alerts` analyzer's snapshot only (active alerts, state
 * changes, guardrail decisions). Self-contained, so it moves with this file. Empty when the
 * alerts analyzer is not registered.
 */
export function alertsSection(snapshot: unknown): string[] {
  const a = snapshot as AlertsSnapshot | undefined;
  if (a === undefined || typeof a !== 'object' || a === null || !Array.isArray(a.active)) return [];
  const at = (t: number) => new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const out: string[] = ['## Alerts and guardrail blocks', ''];
  const c = a.counts;
  // An engine without rules (the CLI's replay) judges nothing itself: it shows the alerts the store
  // recorded (the Claude Code hook's) and counts guardrail decisions.
  const alerts =
    a.rules.length === 0 && c.fired === 0 && a.active.length === 0
      ? 'No alert rules ran'
      : `${int(a.active.filter((x) => x.state === 'firing').length)} firing, ${int(a.active.filter((x) => x.state === 'pending').length)} pending; ` +
        `${int(c.fired)} fired and ${int(c.resolved)} resolved so far` +
        (c.silenced > 0 ? `, ${int(c.silenced)} state changes silenced` : '') +
        (c.acknowledged > 0 ? `, ${int(c.acknowledged)} acknowledged` : '');
  out.push(`${alerts}. Guardrail decisions: ${int(a.guardrails.decisions)} (${int(a.guardrails.blocks)} block).`, '');
  if (a.active.length > 0) {
    out.push('### Active alerts', '');
    out.push(
      ...table(
        ['State', 'Rule', 'Severity', 'Summary', 'Since', 'Ack'],
        a.active.slice(0, MAX_ROWS * 2).map((x) => [x.state + (x.silenced ? ' (silenced)' : ''), x.rule, x.severity, x.summary, at(x.startsAt), x.acknowledged ? (x.acknowledgedBy ?? 'yes') : '']),
      ),
      '',
    );
  }
  const blockRules = Object.entries(a.guardrails.byRule).sort((x, y) => y[1].block - x[1].block || y[1].alert - x[1].alert);
  if (blockRules.length > 0) {
    out.push('### Guardrail decisions by rule', '');
    out.push(...table(['Rule', 'Block', 'Alert', 'Redact', 'Log'], blockRules.slice(0, MAX_ROWS * 2).map(([rule, n]) => [rule, int(n.block), int(n.alert), int(n.redact), int(n.log)])), '');
  }
  if (a.guardrails.recentBlocks.length > 0) {
    out.push('### Latest guardrail blocks', '');
    out.push(
      ...table(
        ['When', 'Rule', 'Tool', 'Agent', 'Enforced', 'Reason'],
        [...a.guardrails.recentBlocks].reverse().slice(0, MAX_ROWS).map((b) => [at(b.at), b.rule, b.toolName, b.agentId, b.enforced ? 'yes' : 'no (audit)', b.reason]),
      ),
      '',
    );
  }
  if (a.recent.length > 0) {
    out.push('### Latest state changes', '');
    out.push(...table(['When', 'Rule', 'State', 'Summary'], [...a.recent].reverse().slice(0, MAX_ROWS).map((r) => [at(r.at), r.rule, r.state + (r.silenced ? ' (silenced)' : ''), r.summary])), '');
  }
  return out;
}

const plural = (n: number, one: string, many = `${one}s`) => `${int(n)} ${n === 1 ? one : many}`;

function redactionsOf(snapshot: unknown): RedactionsSnapshot | undefined {
  const r = snapshot as RedactionsSnapshot | undefined;
  return typeof r === 'object' && r !== null && typeof r.total === 'number' && r.total > 0 ? r : undefined;
}

/** "12 secrets redacted in 3 sessions; 4 personal data values in 2 sessions", from the `redactions` snapshot. */
export function redactedLine(snapshot: unknown): string | undefined {
  const r = redactionsOf(snapshot);
  if (r === undefined) return undefined;
  const parts: string[] = [];
  if (r.secrets.findings > 0) parts.push(`${plural(r.secrets.findings, 'secret')} redacted in ${plural(r.secrets.sessions, 'session')}`);
  if (r.pii.findings > 0) parts.push(`${plural(r.pii.findings, 'personal data value')} redacted in ${plural(r.pii.sessions, 'session')}`);
  // Summaries written before the groups were counted: the total alone.
  if (parts.length === 0) parts.push(`${plural(r.total, 'value')} redacted in ${plural(r.sessions, 'session')}`);
  return parts.join('; ') + (r.sessionsCapped ? ' (session counts capped at 100,000)' : '');
}

/** "Redaction": the headline line and the values redacted per category. Empty when nothing was redacted. */
export function redactionSection(snapshot: unknown): string[] {
  const r = redactionsOf(snapshot);
  if (r === undefined) return [];
  const rows = Object.entries(r.byCategory).slice(0, MAX_ROWS * 2).map(([category, n]) => [category, int(n)]);
  return ['## Redaction', '', `${redactedLine(r)!}, in ${plural(r.events, 'event')}. Values are replaced before storage and export; the report shows counts only.`, '', ...table(['Category', 'Values'], rows), ''];
}
