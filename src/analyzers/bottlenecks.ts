/**
 * `bottlenecks`: slow tools and agents, agents that take a large share of their workflow's wall
 * time, LLM latency outliers, and resource pressure read from `metric` events. Each bottleneck is
 * typed (`llm_api`, `tool_execution`, `cpu`, `memory`, `io`, `network`) with severity, location,
 * duration, frequency per hour and impact (share of wall time). It keeps its own cumulative
 * sketches (no dependency on `aggregation`). This file holds the per-event bookkeeping; the
 * bottlenecks and findings are built in `bottlenecks-snapshot.ts`. See `docs/analyzers-stats.md`.
 */
import type { Analyzer, AnalyzerContext, EventOf, FleetEvent } from '../core/index.js';
import {
  bottlenecksSnapshot,
  type AgentTime,
  type BottleneckThresholds,
  type BottlenecksSnapshot,
  type MetricState,
  type OpState,
  type ResourceRule,
  type WorkflowState,
} from './bottlenecks-snapshot.js';
import { eachEvent } from './define.js';
import { ExecColumns, type NewExecRow } from './exec-columns.js';
import { LogSketch } from './sketch.js';

export type { Bottleneck, BottleneckType, BottlenecksSnapshot, ResourceRule } from './bottlenecks-snapshot.js';

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
  /**
   * Tools that wait for a person rather than work: their time is the user's, so they are never
   * slow tools to cache or time out; they are counted in `waitingForUser`. Default Claude Code's
   * AskUserQuestion (a question to the user) and ExitPlanMode / EnterPlanMode (a plan to approve).
   */
  userWaitTools?: RegExp;
  /**
   * Tools whose time is another agent's work (starting a subagent and waiting for it, or waiting
   * for a background agent's output): the agent is judged (`slow_agent`), not the tool. Default
   * Claude Code's Task / Agent and TaskOutput.
   */
  agentTools?: RegExp;
  /**
   * Agent types the platform runs on its own, not work anyone asked for: never judged slow or as
   * taking a workflow's time (nothing to split or speed up on the user's side). Default
   * `['warmup', 'compaction']`: Claude Code 2.0.x's prompt-cache warming sidechains and its context
   * compaction, named so by the transcripts runner.
   */
  backgroundAgentTypes?: readonly string[];
  /** Workflows tracked (oldest forgotten), each with up to 200 executions (~150 bytes each). Default 200. */
  maxWorkflows?: number;
  /** Operations tracked (one latency sketch each, ~6 KB for values spanning 1 ms–100 s, at most ~17 KB). Default 600. */
  maxOperations?: number;
}

/** Defaults match the names the `processResources` runner emits. */
export const DEFAULT_RESOURCE_RULES: readonly ResourceRule[] = [
  { metric: 'process.cpu.percent', type: 'cpu', threshold: 80 },
  // A blocked event loop is almost always synchronous CPU work on the main thread.
  { metric: 'process.eventloop.delay.p99', type: 'cpu', threshold: 100 },
  { metric: 'process.memory.rss', type: 'memory', threshold: 1.5 * 1024 ** 3 },
];

const IO_TOOLS = /^(read|write|edit|multiedit|glob|grep|ls|notebookedit|notebookread)$|file|disk|(^|[^a-z])fs([^a-z]|$)/i;
const AGENT_TOOLS = /^(Task|Agent|TaskOutput)$/;
const USER_WAIT_TOOLS = /^(AskUserQuestion|ExitPlanMode|EnterPlanMode)$/;

/**
 * Milliseconds a tool call waited at a permission prompt before it ran, as the Claude Code runners
 * attach it to `tool.end` (transcripts: `claude_code.permission_wait_ms`; native telemetry:
 * `claude_code.blocked_on_user_ms`); 0 when absent or not a sane duration.
 */
function permissionWaitOf(event: FleetEvent): number {
  const a = event.attributes;
  if (a === undefined) return 0;
  const ms = a['claude_code.permission_wait_ms'] ?? a['claude_code.blocked_on_user_ms'];
  return typeof ms === 'number' && ms > 0 && ms <= 86_400_000 ? ms : 0;
}
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
  const userWaitTools = options.userWaitTools ?? USER_WAIT_TOOLS;
  const agentTools = options.agentTools ?? AGENT_TOOLS;
  const backgroundAgentTypes = new Set(options.backgroundAgentTypes ?? ['warmup', 'compaction']);
  const maxWorkflows = options.maxWorkflows ?? 200;
  const maxOperations = options.maxOperations ?? 600;
  if (!(workflowShare > 0 && workflowShare <= 1)) throw new Error('[fleetscope] [bottlenecks] workflowShare must be in (0, 1]');
  const thresholds: BottleneckThresholds = {
    slowMeanMs, slowP95Ms, minSamples, workflowShare, minWorkflowMs, llmOutlierFactor: outlierFactor, llmOutlierShare: outlierShare, llmSlowP95Ms, ioTools, networkTools,
  };

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
  const agentTime = new Map<string, AgentTime>();
  let lastAgentId: string | undefined;
  let lastAgentTime: AgentTime | undefined;
  const ruleByMetric = new Map(rules.map((r) => [r.metric, r]));
  const metrics = new Map<string, MetricState>();
  let first = Infinity;
  let last = -Infinity;
  /** Calls that waited for a person: user-wait tools, and calls a person (or a guardrail) blocked. */
  const waitingForUser = { calls: 0, totalMs: 0, blocked: 0, permissionPrompts: 0 };

  const op = (map: Map<string, OpState>, family: OpState['family'], name: string): OpState | undefined => {
    let state = map.get(name);
    if (state === undefined && ops.length < maxOperations) {
      state = { family, name, sketch: new LogSketch(), median: 0, outliers: 0 };
      map.set(name, state);
      ops.push(state);
    }
    return state;
  };

  const workflowSpan = (event: FleetEvent, start: number, end: number, exec?: NewExecRow) => {
    const id = event.workflowId ?? event.sessionId;
    let wf = id === lastWorkflowId ? lastWorkflow : workflows.get(id);
    if (wf === undefined) {
      if (workflows.size >= maxWorkflows) {
        const oldest = workflows.keys().next().value;
        if (oldest !== undefined) workflows.delete(oldest);
        if (oldest === lastWorkflowId) lastWorkflow = lastWorkflowId = undefined;
      }
      wf = { start, end, execs: new ExecColumns(), executions: 0 };
      workflows.set(id, wf);
    }
    lastWorkflowId = id;
    lastWorkflow = wf;
    if (start < wf.start) wf.start = start;
    if (end > wf.end) wf.end = end;
    if (exec !== undefined) {
      wf.executions++;
      if (wf.execs.length < MAX_EXECUTIONS_PER_WORKFLOW) wf.execs.add(exec);
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
        // Time spent waiting for the user (a question, a plan to approve, a permission refused) is
        // wall time of the workflow, but no tool's latency and no agent's tool time.
        const waited = userWaitTools.test(p.toolName);
        if (waited || p.status === 'blocked') {
          waitingForUser.calls++;
          waitingForUser.totalMs += d;
          if (!waited) waitingForUser.blocked++;
          workflowSpan(event, t - d, t);
          return;
        }
        // A permission prompt before the run (the attribute's time, not in `durationMs`) is the user's.
        const prompt = permissionWaitOf(event);
        if (prompt > 0) {
          waitingForUser.calls++;
          waitingForUser.permissionPrompts++;
          waitingForUser.totalMs += prompt;
        }
        if (!agentTools.test(p.toolName)) op(tools, 'tool', p.toolName)?.sketch.add(d);
        spend(event.agentId, 'tool', d);
        workflowSpan(event, t - d - prompt, t);
        return;
      }
      case 'agent.end': {
        const p = (event as EventOf<'agent.end'>).payload;
        const d = p.durationMs;
        if (d === undefined || d > 86_400_000) return;
        if (p.agentType !== undefined && backgroundAgentTypes.has(p.agentType)) {
          workflowSpan(event, t - d, t);
          return;
        }
        op(agents, 'agent', p.name)?.sketch.add(d);
        workflowSpan(event, t - d, t, {
          id: event.spanId, name: p.name, agentId: event.agentId, parentId: event.parentSpanId, parentAgentId: p.parentAgentId,
          interactive: p.interactive === true, status: 'completed', start: t - d, end: t,
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
          m = { count: 0, sum: 0, max: -Infinity, over: 0, first: t, last: t, unit: p.unit };
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

  const snapshot = (): BottlenecksSnapshot => bottlenecksSnapshot({ ops, workflows, agentTime, metrics, ruleByMetric, first, last, waitingForUser }, thresholds);

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
