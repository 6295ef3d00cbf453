/**
 * Alert rules (plain data plus optional predicate functions), the default set, and the sliding
 * windows they are evaluated on. The lifecycle engine is `alerts.ts`.
 */
import type { FleetEvent, Severity } from '../core/index.js';

/** Which events a rule counts: every field given must match (AND); lists are alternatives (OR). */
export interface AlertEventMatch {
  types?: readonly string[];
  /** `payload.status`: `error`, `blocked`, ... */
  status?: string | readonly string[];
  toolName?: string | readonly string[];
  agentId?: string | readonly string[];
  /** Events at least this severe. */
  minSeverity?: Severity;
  /** Host code only: an extra predicate. */
  where?: (event: FleetEvent) => boolean;
}

interface RuleBase {
  /** Stable name: the alert's `rule` and its `alertname` label. */
  name: string;
  /** Severity of the firing alert. Default `warning`. */
  severity?: Severity;
  /** How long the condition must hold before the alert fires (it is `pending` meanwhile). Default 0. */
  forMs?: number;
  /** After a resolution, how long the same alert (same labels) stays quiet. Default 0. */
  cooldownMs?: number;
  /**
   * Labels that split the rule into one alert per value combination: envelope fields (`agentId`,
   * `sessionId`, `workflowId`, `source`) or payload fields (`toolName`, `model`, `operation`, `rule`).
   * Default none (one alert for the whole fleet).
   */
  groupBy?: readonly string[];
  /** Summary line; `{value}`, `{threshold}` and `{<label>}` are replaced. Default generated. */
  summary?: string;
  /** Longer description (annotation). */
  description?: string;
  /** Extra labels on every alert of the rule (e.g. `team`). */
  labels?: Record<string, string>;
  /** Extra annotations (e.g. `runbook_url`). */
  annotations?: Record<string, string>;
}

export type ThresholdOp = '>=' | '>' | '<=' | '<';

/** A figure over a sliding window crosses a threshold. */
export interface ThresholdRule extends RuleBase {
  kind: 'threshold';
  /** `count` of matching events, `rate` per second, `ratio` matching / `of`, `percentile` of `field`. */
  measure: 'count' | 'rate' | 'ratio' | 'percentile';
  where: AlertEventMatch;
  /** Denominator of a `ratio`. Default: `where` without `status`. */
  of?: AlertEventMatch;
  /** Payload field of a `percentile` (e.g. `durationMs`). */
  field?: string;
  /** Which percentile, 0..100. Default 99. */
  percentile?: number;
  windowMs: number;
  /** Default `>=`. */
  op?: ThresholdOp;
  value: number;
  /** For `ratio` and `percentile`: fewest events in the window before the figure counts. Default 10. */
  minEvents?: number;
}

/** No matching event from a group for `windowMs` (a stalled agent). */
export interface AbsenceRule extends RuleBase {
  kind: 'absence';
  where?: AlertEventMatch;
  windowMs: number;
}

/** Known LLM spend crosses bands of a budget, once per period and band. Reads the `cost` analyzer's snapshot. */
export interface BudgetRule extends RuleBase {
  kind: 'budget';
  /** Per session, per UTC day (fleet-wide), per agent. */
  scope: 'session' | 'day' | 'agent';
  limitUsd: number;
  /** Fractions of the limit that alert. Default `[0.8, 1]`. */
  bands?: readonly number[];
  /** How long a band alert stays firing. Default 1 h (per day: until the day ends). */
  holdMs?: number;
}

/**
 * Anomaly events (from the `anomalies` analyzer) piling up: at least `minCount` within `windowMs`
 * whose score reaches `minZ` (z-scores, signed: |z|) or `minScore` (isolation forest and others, 0..1).
 */
export interface AnomalyRule extends RuleBase {
  kind: 'anomaly';
  /** Score threshold of non-z-score methods. Default 0.8. */
  minScore?: number;
  /** |z| threshold of `zscore` anomalies. Default 6. */
  minZ?: number;
  /** Only this method (`zscore`, `isolation_forest`). Default any. */
  method?: string;
  /** How many such anomalies within `windowMs`. Default 5. */
  minCount?: number;
  /** Default 10 min. */
  windowMs?: number;
}

/** Guardrail decisions (`guardrail.decision` events) of the given actions. */
export interface GuardrailAlertRule extends RuleBase {
  kind: 'guardrail';
  /** Default `['block']`. */
  actions?: readonly string[];
  /** How long the alert stays firing after the last decision. Default 10 min. */
  holdMs?: number;
}

export type AlertRule = ThresholdRule | AbsenceRule | BudgetRule | AnomalyRule | GuardrailAlertRule;

/**
 * The default rules: the seeds' acceptance test (≥ 5 failed tool calls in 30 s in one session), a tool failing
 * half its calls, a stalled agent (no event for 10 min, until it ends), anomalies piling up on
 * one operation, and guardrail blocks.
 */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = Object.freeze([
  {
    kind: 'threshold',
    name: 'tool_failures_burst',
    measure: 'count',
    where: { types: ['tool.end'], status: 'error' },
    windowMs: 30_000,
    value: 5,
    // Per session, as the seeds count it (a Claude Code hook sees one session): fleet-wide, 5
    // failures in 30 s is the normal 1% failure rate of a fleet making 17 tool calls a second.
    groupBy: ['sessionId'],
    severity: 'error',
    summary: '{value} failed tool calls in 30 s in session {sessionId} (threshold {threshold})',
  },
  {
    kind: 'threshold',
    name: 'tool_error_ratio',
    measure: 'ratio',
    where: { types: ['tool.end'], status: 'error' },
    of: { types: ['tool.end'] },
    windowMs: 300_000,
    value: 0.5,
    minEvents: 20,
    groupBy: ['toolName'],
    forMs: 60_000,
    severity: 'warning',
    summary: 'tool {toolName} failed {value} of its calls over 5 min',
  },
  {
    kind: 'absence',
    name: 'agent_stalled',
    // The agent's own activity, not events derived about it (anomalies, alerts, plugin errors).
    where: { types: ['agent.start', 'tool.start', 'tool.end', 'llm.call', 'message'] },
    windowMs: 600_000,
    groupBy: ['agentId'],
    severity: 'warning',
    summary: 'agent {agentId} sent no event for 10 min',
  },
  {
    kind: 'anomaly',
    name: 'anomalies_piling_up',
    minScore: 0.8,
    minZ: 6,
    minCount: 5,
    windowMs: 600_000,
    groupBy: ['operation'],
    severity: 'warning',
  },
  {
    kind: 'guardrail',
    name: 'guardrail_block',
    actions: ['block'],
    groupBy: ['rule', 'agentId'],
    severity: 'warning',
  },
] satisfies AlertRule[]);

// ── Matching ────────────────────────────────────────────────────────────────────────────

const SEVERITY_RANK: Record<string, number> = { debug: 0, info: 1, warning: 2, error: 3, critical: 4 };

const asSet = (v: string | readonly string[] | undefined) => (v === undefined ? undefined : new Set(typeof v === 'string' ? [v] : v));

/** Compiles a match into one predicate. */
export function compileMatch(match: AlertEventMatch | undefined): (event: FleetEvent) => boolean {
  if (match === undefined) return () => true;
  const types = asSet(match.types);
  const status = asSet(match.status);
  const tools = asSet(match.toolName);
  const agents = asSet(match.agentId);
  const minRank = match.minSeverity === undefined ? -1 : SEVERITY_RANK[match.minSeverity] ?? -1;
  const where = match.where;
  return (event) => {
    if (types !== undefined && !types.has(event.type)) return false;
    const p = event.payload as Record<string, unknown>;
    if (status !== undefined && !status.has(p.status as string)) return false;
    if (tools !== undefined && !tools.has(p.toolName as string)) return false;
    if (agents !== undefined && !agents.has(event.agentId)) return false;
    if (minRank >= 0 && (SEVERITY_RANK[event.severity] ?? 0) < minRank) return false;
    return where === undefined || where(event) === true;
  };
}

/**
 * The event types the rules read, or undefined when one of them reads every type (a threshold or
 * absence rule whose match names no `types`). The engine subscribes to these types only: it reads
 * fewer events, and on each of them it is handed its batch ahead of the analyzers opened after it.
 */
export function ruleEventTypes(rules: readonly AlertRule[]): string[] | undefined {
  // `alert`: the Claude Code hook records a guardrail block as an alert (see hookGuardrailDecision).
  const types = new Set<string>(['guardrail.decision', 'alert']);
  const add = (match: AlertEventMatch | undefined): boolean => {
    const listed = match?.types as string | readonly string[] | undefined;
    if (listed === undefined) return false;
    for (const type of typeof listed === 'string' ? [listed] : listed) types.add(type);
    return true;
  };
  for (const rule of rules) {
    if (rule.kind === 'threshold') {
      if (!add(rule.where) || (rule.measure === 'ratio' && rule.of !== undefined && !add(rule.of))) return undefined;
    } else if (rule.kind === 'absence') {
      // An agent or session that ended is forgotten, not stalled.
      if (!add(rule.where)) return undefined;
      types.add('agent.end').add('session.end');
    } else if (rule.kind === 'anomaly') {
      types.add('anomaly');
    }
    // guardrail: guardrail.decision; budget: the cost snapshot, read on the batch and on the timer.
  }
  return [...types];
}

const ENVELOPE_LABELS = new Set(['agentId', 'sessionId', 'workflowId', 'source', 'type']);

/** A label's value on an event: an envelope field or a payload field; '' when absent. */
export function labelOf(event: FleetEvent, label: string): string {
  const v = ENVELOPE_LABELS.has(label) ? (event as unknown as Record<string, unknown>)[label] : (event.payload as Record<string, unknown>)[label];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

// ── Windows ─────────────────────────────────────────────────────────────────────────────

/** Buckets per window: the window's edge is exact to windowMs / RESOLUTION. */
export const RESOLUTION = 120;

/**
 * Two counters (numerator, denominator) over a sliding window, in `RESOLUTION` buckets: O(1)
 * memory per group whatever the rate, O(RESOLUTION) per read.
 */
export class WindowCounter {
  private readonly bucketMs: number;
  private readonly epochs = new Float64Array(RESOLUTION).fill(-1);
  private readonly num = new Float64Array(RESOLUTION);
  private readonly den = new Float64Array(RESOLUTION);

  constructor(windowMs: number) {
    this.bucketMs = Math.max(1, windowMs / RESOLUTION);
  }

  add(timestamp: number, num: number, den: number): void {
    const epoch = Math.floor(timestamp / this.bucketMs);
    const slot = epoch % RESOLUTION;
    if (this.epochs[slot] !== epoch) {
      if (this.epochs[slot]! > epoch) return; // older than the window already
      this.epochs[slot] = epoch;
      this.num[slot] = 0;
      this.den[slot] = 0;
    }
    this.num[slot]! += num;
    this.den[slot]! += den;
  }

  /** [numerator, denominator] of the buckets inside (now - window, now]. */
  sums(now: number): [number, number] {
    const current = Math.floor(now / this.bucketMs);
    let n = 0;
    let d = 0;
    for (let i = 0; i < RESOLUTION; i++) {
      const e = this.epochs[i]!;
      if (e > current - RESOLUTION && e <= current) {
        n += this.num[i]!;
        d += this.den[i]!;
      }
    }
    return [n, d];
  }
}

/** The last `capacity` (timestamp, value) samples, for percentiles over a window. */
export class SampleWindow {
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  add(timestamp: number, value: number): void {
    this.times[this.next] = timestamp;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** The `p`-th percentile (nearest rank) of the samples newer than `since`, and how many there were. */
  percentile(p: number, since: number): [number, number] {
    const inside: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.times[i]! > since) inside.push(this.values[i]!);
    if (inside.length === 0) return [0, 0];
    inside.sort((a, b) => a - b);
    const rank = Math.min(inside.length, Math.max(1, Math.ceil((p / 100) * inside.length)));
    return [inside[rank - 1]!, inside.length];
  }
}

export function compare(op: ThresholdOp, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '<=':
      return value <= threshold;
    case '<':
      return value < threshold;
    default:
      return value >= threshold;
  }
}

/** 64-bit FNV-1a of the rule name and its sorted labels, as 16 hex digits (the alert's fingerprint). */
export function fingerprintOf(labels: Record<string, string>): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}\u0001`)
    .join('');
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x01000193 + 2) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}
