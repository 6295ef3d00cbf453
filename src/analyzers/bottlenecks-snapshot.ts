/**
 * The snapshot side of the `bottlenecks` analyzer: the records it keeps (per operation, workflow,
 * agent and resource metric) and how they become typed bottlenecks: slow tools and agents (an
 * agent that mostly waits for its child agents is told apart by its own time), agents that take a
 * large share of their workflow's wall time, LLM latency outliers and resource pressure, each with
 * its finding. It runs at snapshot time only; the per-event bookkeeping is in `bottlenecks.ts`.
 */
import type { ExecColumns } from './exec-columns.js';
import { round3, type LogSketch } from './sketch.js';
import type { Finding, FindingLocation, FindingSeverity } from './types.js';

export type BottleneckType = 'llm_api' | 'tool_execution' | 'cpu' | 'memory' | 'io' | 'network';

export interface ResourceRule {
  /** Metric name, e.g. `process.cpu.percent`. */
  metric: string;
  type: BottleneckType;
  /** Values above this are pressure. */
  threshold: number;
}

export interface Bottleneck {
  type: BottleneckType;
  /** Why: a slow operation, an agent's workflow share, LLM outliers, or a resource metric. */
  reason: 'slow_tool' | 'slow_agent' | 'workflow_share' | 'llm_latency' | 'resource';
  severity: FindingSeverity;
  location: FindingLocation;
  description: string;
  /** Mean duration of the operation (ms); for a resource, the mean metric value. */
  durationMs: number;
  p95Ms?: number;
  count: number;
  /** count per hour of observed time (first to last event, at least one minute). */
  frequencyPerHour: number;
  /** The observed time `frequencyPerHour` is measured over (first to last event), in ms. */
  observedMs: number;
  /** Share of wall time (0..1): operation time / observed time, agent own time / workflow wall time, or share of samples under pressure. */
  impact: number;
  /** Slow agent: share of its execution time (over tracked workflows) that was its own, not covered by child executions. */
  ownShare?: number;
  /**
   * Workflow share: the agent ran at the same time as other agents of the workflow (not its parent
   * or its children), so its work is already one of parallel branches; the advice is not to split it.
   */
  alongsideOthers?: boolean;
}

export interface BottlenecksSnapshot {
  bottlenecks: Bottleneck[];
  /**
   * Tool calls whose time was a person's, not the tool's: calls of `userWaitTools` (a question to the
   * user, a plan to approve) and calls blocked (by the user at a permission prompt, or a guardrail).
   * They are in no tool's latency; `totalMs` is their summed duration. Calls that ran after a
   * permission prompt (`permissionPrompts`, also in `calls`) add only the prompt's wait (the
   * `claude_code.permission_wait_ms` or `claude_code.blocked_on_user_ms` attribute of their
   * `tool.end`); their run stays the tool's time.
   */
  waitingForUser: { calls: number; totalMs: number; blocked: number; permissionPrompts: number };
  findings: Finding[];
}

/** One tool, agent or model. */
export interface OpState {
  family: 'tool' | 'agent' | 'llm';
  name: string;
  sketch: LogSketch;
  /** LLM: cached median, refreshed every 64 calls. */
  median: number;
  outliers: number;
}

/** One workflow (or session): its span and its ended agent executions. */
export interface WorkflowState {
  start: number;
  end: number;
  /** Ended agent executions, for their own time (duration minus the time covered by their children): at most `MAX_EXECUTIONS_PER_WORKFLOW` of `bottlenecks.ts` kept; `executions` counts all. */
  execs: ExecColumns;
  executions: number;
}

/** Time one agent spent in LLM calls and in tools (to type a slow agent). */
export interface AgentTime {
  llm: number;
  tool: number;
}

/** A metric value with its unit: `95 %`, `1.6 GiB` for bytes, `120 ms`; bare only when the metric has none. */
function withUnit(value: number, unit: string | undefined): string {
  if (unit === 'By') return value >= 2 ** 30 ? `${(value / 2 ** 30).toFixed(1)} GiB` : `${(value / 2 ** 20).toFixed(0)} MiB`;
  if (unit === undefined || unit === '' || unit === '1') return String(value);
  return `${value} ${unit}`;
}

/** Samples of one resource metric: how many, their sum and max, how many were over the threshold. */
export interface MetricState {
  count: number;
  sum: number;
  max: number;
  over: number;
  first: number;
  last: number;
  /** The metric's unit (its first sample's `unit`), for the finding's title. */
  unit?: string | undefined;
}

/** What the snapshot reads of the analyzer's state. */
export interface BottlenecksState {
  /** In creation order. */
  ops: readonly OpState[];
  workflows: ReadonlyMap<string, WorkflowState>;
  agentTime: ReadonlyMap<string, AgentTime>;
  metrics: ReadonlyMap<string, MetricState>;
  ruleByMetric: ReadonlyMap<string, ResourceRule>;
  /** Timestamps of the first and last event seen. */
  first: number;
  last: number;
  waitingForUser: BottlenecksSnapshot['waitingForUser'];
}

/** The thresholds of `BottlenecksOptions`, defaults filled in. */
export interface BottleneckThresholds {
  slowMeanMs: number;
  slowP95Ms: number;
  minSamples: number;
  workflowShare: number;
  minWorkflowMs: number;
  llmOutlierFactor: number;
  llmOutlierShare: number;
  llmSlowP95Ms: number;
  ioTools: RegExp;
  networkTools: RegExp;
}

/** The bottlenecks, most impact first, and their findings. */
export function bottlenecksSnapshot(state: BottlenecksState, thresholds: BottleneckThresholds): BottlenecksSnapshot {
  const { ops, workflows, agentTime, metrics, ruleByMetric, first, last } = state;
  const {
    slowMeanMs, slowP95Ms, minSamples, workflowShare, minWorkflowMs, llmOutlierFactor: outlierFactor, llmOutlierShare: outlierShare, llmSlowP95Ms, ioTools, networkTools,
  } = thresholds;
  /** A slow agent is typed by where its time went: LLM calls or tools. */
  const agentType = (name: string): BottleneckType => {
    const t = agentTime.get(name);
    return t !== undefined && t.llm > t.tool ? 'llm_api' : 'tool_execution';
  };
  const observedMs = last > first ? last - first : 0;
  const hours = Math.max(observedMs, 60_000) / 3_600_000;
  const bottlenecks: Bottleneck[] = [];
  // Own time per agent instance, per workflow; and per agent name over all tracked workflows (to
  // tell a slow agent from one waiting for its children).
  const ownByWorkflow = new Map<string, Map<string, OwnTime>>();
  const ownAll = new Map<string, { own: number; total: number }>();
  for (const [id, wf] of workflows) {
    const byInstance = ownTimeByInstance(wf.execs);
    ownByWorkflow.set(id, byInstance);
    for (const t of byInstance.values()) {
      const sums = ownAll.get(t.name);
      if (sums === undefined) ownAll.set(t.name, { own: t.own, total: t.total });
      else {
        sums.own += t.own;
        sums.total += t.total;
      }
    }
  }
  for (const state of ops) {
    const s = state.sketch;
    if (s.count < minSamples) continue;
    const mean = s.mean;
    const p95 = s.quantile(0.95);
    const impact = observedMs > 0 ? Math.min(1, s.sum / observedMs) : 0;
    const base = { durationMs: round3(mean), p95Ms: round3(p95), count: s.count, frequencyPerHour: round3(s.count / hours), observedMs, impact: round3(impact) };
    if (state.family === 'llm') {
      const share = state.outliers / s.count;
      const outliers = state.outliers >= 3 && share >= outlierShare;
      if (outliers || p95 > llmSlowP95Ms) {
        bottlenecks.push({
          ...base,
          type: 'llm_api',
          reason: 'llm_latency',
          severity: p95 > 2 * llmSlowP95Ms || share >= 0.2 ? 'high' : 'medium',
          location: { model: state.name, operation: `llm:${state.name}` },
          description: outliers
            ? `${state.outliers} of ${s.count} ${state.name} calls took over ${outlierFactor}× the median latency`
            : `${state.name} p95 latency is ${Math.round(p95)} ms`,
        });
      }
      continue;
    }
    if (!(mean > slowMeanMs || p95 > slowP95Ms)) continue;
    const severity: FindingSeverity = mean > 4 * slowMeanMs || p95 > 4 * slowP95Ms ? 'high' : 'medium';
    if (state.family === 'tool') {
      const type: BottleneckType = ioTools.test(state.name) ? 'io' : networkTools.test(state.name) ? 'network' : 'tool_execution';
      bottlenecks.push({
        ...base,
        type,
        reason: 'slow_tool',
        severity,
        location: { toolName: state.name, operation: `tool:${state.name}` },
        description: `${state.name} takes ${Math.round(mean)} ms on average (p95 ${Math.round(p95)} ms)`,
      });
    } else {
      const t = ownAll.get(state.name);
      const ownShare = t !== undefined && t.total > 0 ? t.own / t.total : undefined;
      const waits = ownShare !== undefined && ownShare < 0.5;
      bottlenecks.push({
        ...base,
        type: agentType(state.name),
        reason: 'slow_agent',
        severity,
        location: { agentId: state.name, operation: `agent:${state.name}` },
        description: `agent ${state.name} takes ${Math.round(mean)} ms on average (p95 ${Math.round(p95)} ms)` +
          (waits ? `, ${Math.round((1 - ownShare) * 100)}% of it waiting for its child agents` : ''),
        ...(ownShare !== undefined ? { ownShare: round3(ownShare) } : {}),
      });
    }
  }
  for (const [id, wf] of workflows) {
    const wall = wf.end - wf.start;
    if (wall < minWorkflowMs || wf.executions < 2) continue;
    for (const { name, agentId, own: ms, interactive, alongsideOthers } of ownByWorkflow.get(id)!.values()) {
      // Per instance: parallel agents of one name are separate agents, each within the wall time
      // (one instance's executions follow each other; min() only guards against overlapping ones).
      const share = Math.min(ms, wall) / wall;
      // A turn a person drives (a prompt and the answer) is not work to split or parallelize.
      if (share <= workflowShare || interactive) continue;
      const who = agentId === name ? name : `${name} (${agentId})`;
      bottlenecks.push({
        type: agentType(name),
        reason: 'workflow_share',
        severity: share >= 0.6 ? 'high' : 'medium',
        location: { workflowId: id, agentId, operation: `agent:${name}` },
        description: `agent ${who}'s own work takes ${Math.round(share * 100)}% of workflow ${id}'s wall time`,
        durationMs: round3(ms),
        count: 1,
        frequencyPerHour: round3(1 / hours),
        observedMs,
        impact: round3(Math.min(1, share)),
        ...(alongsideOthers ? { alongsideOthers } : {}),
      });
    }
  }
  for (const [name, m] of metrics) {
    const rule = ruleByMetric.get(name)!;
    const share = m.over / m.count;
    if (m.count < 3 || share < 0.25) continue;
    bottlenecks.push({
      type: rule.type,
      reason: 'resource',
      severity: share >= 0.75 ? 'high' : share >= 0.5 ? 'medium' : 'low',
      location: {},
      description: `${name} above ${withUnit(rule.threshold, m.unit)} in ${Math.round(share * 100)}% of ${m.count} samples (max ${withUnit(round3(m.max), m.unit)})`,
      durationMs: round3(m.sum / m.count),
      count: m.over,
      frequencyPerHour: round3(m.over / hours),
      observedMs,
      impact: round3(share),
    });
  }
  bottlenecks.sort((a, b) => b.impact - a.impact);
  return { bottlenecks, waitingForUser: { ...state.waitingForUser }, findings: bottlenecks.map(findingOf) };
}

/** One agent instance's time in a workflow: the sum over its executions. */
interface OwnTime {
  name: string;
  agentId: string;
  /** Its executions' durations minus the time covered by their child executions. */
  own: number;
  total: number;
  /** Every execution was a turn a person drove (`interactive`). */
  interactive: boolean;
  /** One of its executions overlapped an execution of another agent that is neither its ancestor nor its descendant. */
  alongsideOthers: boolean;
}

/**
 * Own time per agent instance (agentId) in one workflow: each execution's duration minus the union of the
 * intervals of its child executions (clipped to it). A child is an execution whose parentSpanId is
 * the execution's spanId, or, when its parent span is not an agent execution of the workflow (a
 * subagent started inside a tool call), whose parentAgentId is the execution's agentId and which
 * started while it ran. An agent that waits for its children has little own time.
 */
function ownTimeByInstance(execs: ExecColumns): Map<string, OwnTime> {
  const { ids, agentIds, names, parentIds, parentAgentIds, starts, ends } = execs;
  const bySpan = new Map<string, number>();
  for (let i = 0; i < execs.length; i++) if (ids[i] !== undefined) bySpan.set(ids[i]!, i);
  const children = new Map<number, number[]>();
  const parentOf: (number | undefined)[] = [];
  for (let c = 0; c < execs.length; c++) {
    let parent = parentIds[c] !== undefined ? bySpan.get(parentIds[c]!) : undefined;
    if (parent === c) parent = undefined;
    const parentAgentId = parentAgentIds[c];
    if (parent === undefined && parentAgentId !== undefined) {
      const at = starts[c]!;
      parent = agentIds.findIndex((agentId, p) => p !== c && agentId === parentAgentId && starts[p]! <= at && at <= ends[p]!);
      if (parent < 0) parent = undefined;
    }
    if (parent === undefined) continue;
    parentOf[c] = parent;
    let list = children.get(parent);
    if (list === undefined) children.set(parent, (list = []));
    list.push(c);
  }
  const alongside = alongsideOthers(execs, parentOf);
  const own = new Map<string, OwnTime>();
  for (let e = 0; e < execs.length; e++) {
    const start = starts[e]!;
    const end = ends[e]!;
    const kids = children.get(e);
    let covered = 0;
    if (kids !== undefined) {
      // Union of the children's intervals, clipped to the parent's.
      const spans = kids.map((k) => [Math.max(start, starts[k]!), Math.min(end, ends[k]!)] as const).filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
      let curStart = -Infinity;
      let curEnd = -Infinity;
      for (const [a, b] of spans) {
        if (a > curEnd) {
          if (curEnd > curStart) covered += curEnd - curStart;
          curStart = a;
          curEnd = b;
        } else if (b > curEnd) curEnd = b;
      }
      if (curEnd > curStart) covered += curEnd - curStart;
    }
    const ms = Math.max(0, end - start - covered);
    const interactive = execs.interactive(e);
    const sums = own.get(agentIds[e]!);
    if (sums === undefined) own.set(agentIds[e]!, { name: names[e]!, agentId: agentIds[e]!, own: ms, total: end - start, interactive, alongsideOthers: alongside[e]! });
    else {
      sums.own += ms;
      sums.total += end - start;
      sums.interactive &&= interactive;
      sums.alongsideOthers ||= alongside[e]!;
    }
  }
  return own;
}

/**
 * For each execution, whether it overlapped in time an execution of another agent that is neither
 * its ancestor nor its descendant (a sibling branch): a sweep over the executions by start time.
 */
function alongsideOthers(execs: ExecColumns, parentOf: readonly (number | undefined)[]): boolean[] {
  const { agentIds, starts, ends } = execs;
  const out = new Array<boolean>(execs.length).fill(false);
  const isAncestor = (a: number, of: number): boolean => {
    for (let p = parentOf[of], depth = 0; p !== undefined && depth < 64; p = parentOf[p], depth++) if (p === a) return true;
    return false;
  };
  const order = Array.from({ length: execs.length }, (_, i) => i).sort((x, y) => starts[x]! - starts[y]!);
  for (let i = 0; i < order.length; i++) {
    const a = order[i]!;
    for (let j = i + 1; j < order.length && starts[order[j]!]! < ends[a]!; j++) {
      const b = order[j]!;
      if (agentIds[a] === agentIds[b] || isAncestor(a, b) || isAncestor(b, a)) continue;
      out[a] = out[b] = true;
    }
  }
  return out;
}

function findingOf(b: Bottleneck): Finding {
  return {
    analyzer: 'bottlenecks',
    kind: `bottleneck.${b.type}`,
    severity: b.severity,
    title: b.description,
    location: b.location,
    evidence: {
      reason: b.reason,
      durationMs: b.durationMs,
      p95Ms: b.p95Ms ?? null,
      count: b.count,
      frequencyPerHour: b.frequencyPerHour,
      observedMs: b.observedMs,
      impact: b.impact,
      ...(b.ownShare !== undefined ? { ownShare: b.ownShare } : {}),
      ...(b.alongsideOthers === true ? { alongsideOthers: true } : {}),
    },
  };
}
