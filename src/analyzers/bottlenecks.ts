/**
 * `bottlenecks`: slow tools and agents, agents that take a large share of their workflow's wall
 * time, LLM latency outliers, and resource pressure read from `metric` events. Each bottleneck is
 * typed (`llm_api`, `tool_execution`, `cpu`, `memory`, `io`, `network`) with severity, location,
 * duration, frequency per hour and impact (share of wall time). It keeps its own cumulative
 * sketches (no dependency on `aggregation`). See `docs/analyzers-stats.md`.
 */
import type { Analyzer, AnalyzerContext, EventOf, FleetEvent } from '../core/index.js';
import { eachEvent } from './define.js';
import { LogSketch, round3 } from './sketch.js';
import type { Finding, FindingLocation, FindingSeverity } from './types.js';

export type BottleneckType = 'llm_api' | 'tool_execution' | 'cpu' | 'memory' | 'io' | 'network';

export interface BottlenecksOptions {
  /** A tool or agent is slow when its mean exceeds this (ms). Default 5000. */
  slowMeanMs?: number;
  /** ... or when its p95 exceeds this (ms). Default 10,000. */
  slowP95Ms?: number;
  /** Calls needed before an operation is judged. Default 3. */
  minSamples?: number;
  /** An agent whose own time (its executions minus the time covered by their child executions) exceeds this share of its workflow's wall time is a bottleneck; judged only in workflows with ≥ 2 executions. Default 0.3. */
  workflowShare?: number;
  /** Workflows shorter than this (ms) are not judged. Default 1000. */
  minWorkflowMs?: number;
  /** An LLM call slower than this multiple of its model's median is an outlier. Default 3. */
  llmOutlierFactor?: number;
  /** A model is flagged when outliers are at least this share of its calls (and ≥ 3). Default 0.05. */
  llmOutlierShare?: number;
  /** ... or when its p95 exceeds this (ms). Default 30,000. */
  llmSlowP95Ms?: number;
  /** Resource metrics and thresholds; a metric is under pressure when ≥ 25% of ≥ 3 samples exceed it. */
  resources?: ResourceRule[];
  /** Tools whose names match are typed `io` (file system). Default Read/Write/Edit/Glob/Grep/LS/NotebookEdit, /file|disk|fs/. */
  ioTools?: RegExp;
  /** Tools whose names match are typed `network`. Default WebFetch/WebSearch, /http|fetch|request|url|web|download|upload|api/. */
  networkTools?: RegExp;
  /** Workflows tracked (oldest forgotten). Default 1000. */
  maxWorkflows?: number;
  /** Operations tracked. Default 1000. */
  maxOperations?: number;
}

export interface ResourceRule {
  /** Metric name, e.g. `process.cpu.percent`. */
  metric: string;
  type: BottleneckType;
  /** Values above this are pressure. */
  threshold: number;
}

/** Defaults match the names the `processResources` runner emits. */
export const DEFAULT_RESOURCE_RULES: readonly ResourceRule[] = [
  { metric: 'process.cpu.percent', type: 'cpu', threshold: 80 },
  // A blocked event loop is almost always synchronous CPU work on the main thread.
  { metric: 'process.eventloop.delay.p99', type: 'cpu', threshold: 100 },
  { metric: 'process.memory.rss', type: 'memory', threshold: 1.5 * 1024 ** 3 },
];

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
  /** Share of wall time (0..1): operation time / observed time, agent own time / workflow wall time, or share of samples under pressure. */
  impact: number;
  /** Slow agent: share of its execution time (over tracked workflows) that was its own, not covered by child executions. */
  ownShare?: number;
}

export interface BottlenecksSnapshot {
  bottlenecks: Bottleneck[];
  findings: Finding[];
}

interface OpState {
  family: 'tool' | 'agent' | 'llm';
  name: string;
  sketch: LogSketch;
  /** LLM: cached median, refreshed every 64 calls. */
  median: number;
  outliers: number;
}

interface WorkflowState {
  start: number;
  end: number;
  /** Ended agent executions (at most MAX_EXECUTIONS_PER_WORKFLOW kept; `executions` counts all). */
  execs: ExecRecord[];
  executions: number;
}

/** One ended agent execution, for its own time (duration minus the time covered by its children). */
interface ExecRecord {
  name: string;
  agentId: string;
  spanId?: string;
  parentSpanId?: string;
  parentAgentId?: string;
  start: number;
  end: number;
}

const IO_TOOLS = /^(read|write|edit|multiedit|glob|grep|ls|notebookedit|notebookread)$|file|disk|(^|[^a-z])fs([^a-z]|$)/i;
const NETWORK_TOOLS = /^(webfetch|websearch)$|http|fetch|request|url|web|download|upload|api/i;
const MAX_EXECUTIONS_PER_WORKFLOW = 200;

export function bottlenecksAnalyzer(options: BottlenecksOptions = {}): Analyzer<BottlenecksSnapshot> {
  const slowMeanMs = options.slowMeanMs ?? 5000;
  const slowP95Ms = options.slowP95Ms ?? 10_000;
  const minSamples = options.minSamples ?? 3;
  const workflowShare = options.workflowShare ?? 0.3;
  const minWorkflowMs = options.minWorkflowMs ?? 1000;
  const outlierFactor = options.llmOutlierFactor ?? 3;
  const outlierShare = options.llmOutlierShare ?? 0.05;
  const llmSlowP95Ms = options.llmSlowP95Ms ?? 30_000;
  const rules = options.resources ?? DEFAULT_RESOURCE_RULES;
  const ioTools = options.ioTools ?? IO_TOOLS;
  const networkTools = options.networkTools ?? NETWORK_TOOLS;
  const maxWorkflows = options.maxWorkflows ?? 1000;
  const maxOperations = options.maxOperations ?? 1000;
  if (!(workflowShare > 0 && workflowShare <= 1)) throw new Error('[fleetscope] [bottlenecks] workflowShare must be in (0, 1]');

  /** Operations per family, keyed by the raw name; `ops` keeps them in creation order. */
  const tools = new Map<string, OpState>();
  const agents = new Map<string, OpState>();
  const llms = new Map<string, OpState>();
  const ops: OpState[] = [];
  const workflows = new Map<string, WorkflowState>();
  /** The workflow of the previous event (consecutive events usually share one). */
  let lastWorkflowId: string | undefined;
  let lastWorkflow: WorkflowState | undefined;
  /** Per agentId: time spent in LLM calls and in tools (to type a slow agent). */
  const agentTime = new Map<string, { llm: number; tool: number }>();
  let lastAgentId: string | undefined;
  let lastAgentTime: { llm: number; tool: number } | undefined;
  const ruleByMetric = new Map(rules.map((r) => [r.metric, r]));
  const metrics = new Map<string, { count: number; sum: number; max: number; over: number; first: number; last: number }>();
  let first = Infinity;
  let last = -Infinity;

  const op = (map: Map<string, OpState>, family: OpState['family'], name: string): OpState | undefined => {
    let state = map.get(name);
    if (state === undefined && ops.length < maxOperations) {
      state = { family, name, sketch: new LogSketch(), median: 0, outliers: 0 };
      map.set(name, state);
      ops.push(state);
    }
    return state;
  };

  const workflowSpan = (event: FleetEvent, start: number, end: number, exec?: ExecRecord) => {
    const id = event.workflowId ?? event.sessionId;
    let wf = id === lastWorkflowId ? lastWorkflow : workflows.get(id);
    if (wf === undefined) {
      if (workflows.size >= maxWorkflows) {
        const oldest = workflows.keys().next().value;
        if (oldest !== undefined) workflows.delete(oldest);
        if (oldest === lastWorkflowId) lastWorkflow = lastWorkflowId = undefined;
      }
      wf = { start, end, execs: [], executions: 0 };
      workflows.set(id, wf);
    }
    lastWorkflowId = id;
    lastWorkflow = wf;
    if (start < wf.start) wf.start = start;
    if (end > wf.end) wf.end = end;
    if (exec !== undefined) {
      wf.executions++;
      if (wf.execs.length < MAX_EXECUTIONS_PER_WORKFLOW) wf.execs.push(exec);
    }
  };

  const spend = (agentId: string, field: 'llm' | 'tool', ms: number) => {
    let t = agentId === lastAgentId ? lastAgentTime : agentTime.get(agentId);
    if (t === undefined) {
      if (agentTime.size >= maxOperations) return;
      t = { llm: 0, tool: 0 };
      agentTime.set(agentId, t);
    }
    lastAgentId = agentId;
    lastAgentTime = t;
    if (field === 'llm') t.llm += ms;
    else t.tool += ms;
  };

  const processEvent = (event: FleetEvent) => {
    const t = event.timestamp;
    if (t < first) first = t;
    if (t > last) last = t;
    switch (event.type) {
      case 'tool.end': {
        const p = (event as EventOf<'tool.end'>).payload;
        const d = p.durationMs;
        if (d === undefined || d > 86_400_000) return;
        op(tools, 'tool', p.toolName)?.sketch.add(d);
        spend(event.agentId, 'tool', d);
        workflowSpan(event, t - d, t);
        return;
      }
      case 'agent.end': {
        const p = (event as EventOf<'agent.end'>).payload;
        const d = p.durationMs;
        if (d === undefined || d > 86_400_000) return;
        op(agents, 'agent', p.name)?.sketch.add(d);
        workflowSpan(event, t - d, t, {
          name: p.name, agentId: event.agentId, spanId: event.spanId, parentSpanId: event.parentSpanId, parentAgentId: p.parentAgentId, start: t - d, end: t,
        });
        return;
      }
      case 'llm.call': {
        const p = (event as EventOf<'llm.call'>).payload;
        const d = p.latencyMs;
        if (d === undefined || d > 86_400_000) return;
        const state = op(llms, 'llm', p.model);
        if (state !== undefined) {
          if (state.sketch.count >= 20 && d > outlierFactor * state.median) state.outliers++;
          state.sketch.add(d);
          if (state.sketch.count % 64 === 20 % 64 || state.sketch.count === 20) state.median = state.sketch.quantile(0.5);
        }
        spend(event.agentId, 'llm', d);
        workflowSpan(event, t - d, t);
        return;
      }
      case 'metric': {
        const p = (event as EventOf<'metric'>).payload;
        const rule = ruleByMetric.get(p.name);
        if (rule === undefined) return;
        let m = metrics.get(p.name);
        if (m === undefined) {
          m = { count: 0, sum: 0, max: -Infinity, over: 0, first: t, last: t };
          metrics.set(p.name, m);
        }
        m.count++;
        m.sum += p.value;
        if (p.value > m.max) m.max = p.value;
        if (p.value > rule.threshold) m.over++;
        m.last = Math.max(m.last, t);
        return;
      }
      default:
        return;
    }
  };

  const snapshot = (): BottlenecksSnapshot => {
    const observedMs = last > first ? last - first : 0;
    const hours = Math.max(observedMs, 60_000) / 3_600_000;
    const bottlenecks: Bottleneck[] = [];
    // Own time per agent, per workflow and over all tracked workflows (to tell a slow agent from one waiting for its children).
    const ownByWorkflow = new Map<string, Map<string, { own: number; total: number }>>();
    const ownAll = new Map<string, { own: number; total: number }>();
    for (const [id, wf] of workflows) {
      const byAgent = ownTimeByAgent(wf.execs);
      ownByWorkflow.set(id, byAgent);
      for (const [name, t] of byAgent) {
        const sums = ownAll.get(name);
        if (sums === undefined) ownAll.set(name, { ...t });
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
      const base = { durationMs: round3(mean), p95Ms: round3(p95), count: s.count, frequencyPerHour: round3(s.count / hours), impact: round3(impact) };
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
      for (const [name, { own: ms }] of ownByWorkflow.get(id)!) {
        const share = ms / wall;
        if (share <= workflowShare) continue;
        bottlenecks.push({
          type: agentType(name),
          reason: 'workflow_share',
          severity: share >= 0.6 ? 'high' : 'medium',
          location: { workflowId: id, agentId: name, operation: `agent:${name}` },
          description: `agent ${name}'s own work takes ${Math.round(share * 100)}% of workflow ${id}'s wall time`,
          durationMs: round3(ms),
          count: 1,
          frequencyPerHour: round3(1 / hours),
          impact: round3(Math.min(1, share)),
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
        description: `${name} above ${rule.threshold} in ${Math.round(share * 100)}% of ${m.count} samples (max ${round3(m.max)})`,
        durationMs: round3(m.sum / m.count),
        count: m.over,
        frequencyPerHour: round3(m.over / hours),
        impact: round3(share),
      });
    }
    bottlenecks.sort((a, b) => b.impact - a.impact);
    return { bottlenecks, findings: bottlenecks.map(findingOf) };
  };

  /** A slow agent is typed by where its time went: LLM calls or tools. */
  const agentType = (name: string): BottleneckType => {
    const t = agentTime.get(name);
    return t !== undefined && t.llm > t.tool ? 'llm_api' : 'tool_execution';
  };

  return {
    name: 'bottlenecks',
    async consume(stream, context: AnalyzerContext) {
      for await (const batch of stream) {
        eachEvent(batch, processEvent, context);
      }
    },
    snapshot,
  };
}

/**
 * Own time per agent name in one workflow: each execution's duration minus the union of the
 * intervals of its child executions (clipped to it). A child is an execution whose parentSpanId is
 * the execution's spanId, or, when its parent span is not an agent execution of the workflow (a
 * subagent started inside a tool call), whose parentAgentId is the execution's agentId and which
 * started while it ran. An agent that waits for its children has little own time.
 */
function ownTimeByAgent(execs: readonly ExecRecord[]): Map<string, { own: number; total: number }> {
  const bySpan = new Map<string, ExecRecord>();
  for (const e of execs) if (e.spanId !== undefined) bySpan.set(e.spanId, e);
  const children = new Map<ExecRecord, ExecRecord[]>();
  for (const c of execs) {
    let parent = c.parentSpanId !== undefined ? bySpan.get(c.parentSpanId) : undefined;
    if (parent === c) parent = undefined;
    if (parent === undefined && c.parentAgentId !== undefined) {
      parent = execs.find((p) => p !== c && p.agentId === c.parentAgentId && p.start <= c.start && c.start <= p.end);
    }
    if (parent === undefined) continue;
    let list = children.get(parent);
    if (list === undefined) children.set(parent, (list = []));
    list.push(c);
  }
  const own = new Map<string, { own: number; total: number }>();
  for (const e of execs) {
    const kids = children.get(e);
    let covered = 0;
    if (kids !== undefined) {
      // Union of the children's intervals, clipped to the parent's.
      const spans = kids.map((k) => [Math.max(e.start, k.start), Math.min(e.end, k.end)] as const).filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
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
    const ms = Math.max(0, e.end - e.start - covered);
    const sums = own.get(e.name);
    if (sums === undefined) own.set(e.name, { own: ms, total: e.end - e.start });
    else {
      sums.own += ms;
      sums.total += e.end - e.start;
    }
  }
  return own;
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
      impact: b.impact,
      ...(b.ownShare !== undefined ? { ownShare: b.ownShare } : {}),
    },
  };
}
