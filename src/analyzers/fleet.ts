/**
 * `fleet`: how the agents of each workflow ran together. Per workflow: agents pending, running,
 * completed and failed; execution order and timeline; the parallelization ratio; wall-clock
 * versus summed execution time; the critical path; slow agents. Fleet totals across workflows.
 *
 * An execution is one agent run: the `agent.start`/`agent.end` pair sharing a `spanId`
 * (fallback: session + agentId). A workflow is `workflowId`, falling back to the session.
 * The figures are derived in `fleet-math.ts` and documented in `docs/analyzers.md`.
 */
import type { Analyzer, EventOf, FleetEvent } from '../core/index.js';
import { eachEvent } from './define.js';
import { criticalPath, leafExecutions, parallelSaving, parallelizationRatio, unionLength, type Interval } from './fleet-math.js';
import { DEFAULT_PRICING, callCost, checkPricingTable, findModelPrice, type ModelPrice, type PricingTable } from './pricing.js';
import type { Finding, TokenTotals } from './types.js';

export interface FleetOptions {
  /** Prices for workflow cost; same semantics as `CostOptions.pricing`. Default the shipped table. */
  pricing?: PricingTable;
  /** Use only `pricing`. Default `false`. */
  replacePricing?: boolean;
  /** Tools whose call spawns a subagent; a call in flight whose agent has not started is `pending`. Default `['Task', 'Agent']`. */
  spawnTools?: readonly string[];
  /** Workflows kept; beyond, the oldest (completed first) is dropped from detail but stays in totals. Default 200. */
  maxWorkflows?: number;
  /** Executions kept per workflow for the timeline and figures; further ones are only counted. Default 500. */
  maxExecutionsPerWorkflow?: number;
  /** An execution is slow when it runs ≥ this many times the median of its workflow's executions. Default 3. */
  slowFactor?: number;
  /** ... and lasts at least this long. Default 1000 ms. */
  slowMinMs?: number;
  /** A completed workflow with at least `lowParallelMinAgents` leaf executions, a ratio below this and a material `potentialSavingMs` gets a `fleet.low_parallelization` finding. Default 0.2. */
  lowParallelRatio?: number;
  /** Default 3. */
  lowParallelMinAgents?: number;
  /** ... and only when `potentialSavingMs` is at least this share of the workflow's wall clock. Default 0.2. */
  lowParallelMinSavingShare?: number;
  /** ... and at least this many ms. Default 100. */
  lowParallelMinSavingMs?: number;
  /** An execution started longer ago than this (observer clock) and never ended is `stale`. Default 3,600,000 (1 h). */
  staleAfterMs?: number;
}

export type ExecutionStatus = 'running' | 'completed' | 'failed';

/** One agent execution on a workflow's timeline. Times are ms since the epoch. */
export interface FleetExecution {
  /** span id of the agent.start/agent.end pair (or `session/agentId` when the source gives none). */
  id: string;
  agentId: string;
  name: string;
  parentId?: string;
  parentAgentId?: string;
  status: ExecutionStatus;
  start: number;
  end?: number;
  /** end − start, or until now while running. */
  durationMs: number;
  /** Offset of `start` from the workflow's first start, for a timeline. */
  offsetMs: number;
}

export interface CriticalPathStep {
  id: string;
  name: string;
  agentId: string;
  /** 0 for the workflow's top-level chain, +1 per level of nesting. */
  depth: number;
  start: number;
  end: number;
  durationMs: number;
}

export interface SlowExecution {
  id: string;
  name: string;
  agentId: string;
  durationMs: number;
  /** durationMs / median duration of the workflow's executions. */
  timesMedian: number;
  /** durationMs / wall clock of the workflow. */
  shareOfWallClock: number;
}

export interface WorkflowSummary {
  workflowId: string;
  sessionId: string;
  /** `active` while an execution runs or a spawn is pending; else `completed`. */
  state: 'active' | 'completed';
  agents: { pending: number; running: number; completed: number; failed: number };
  executions: number;
  /** Executions seen beyond `maxExecutionsPerWorkflow` (counted, not on the timeline). */
  executionsNotTracked: number;
  /** Executions with no child execution; the parallelization ratio is computed over these. */
  leafExecutions: number;
  /** Agent names in start order (one entry per execution). */
  executionOrder: string[];
  timeline: FleetExecution[];
  start: number;
  end: number;
  /** Last end − first start over all executions (running ones until now). */
  wallClockMs: number;
  /** Σ execution durations (every execution, nested ones included). */
  summedExecutionMs: number;
  /** Σ durations of leaf executions (those with no child execution): the work actually done. */
  leafExecutionMs: number;
  /** Union length of the leaf executions' intervals. */
  leafBusyMs: number;
  /** See docs: (Σ − union) / (Σ − longest) over leaf executions; null when undefined (< 2 leaves with length). */
  parallelizationRatio: number | null;
  /** leafBusyMs − the longest leaf: what running the leaves side by side could save if they do not depend on each other (see docs). */
  potentialSavingMs: number;
  /** leafExecutionMs / leafBusyMs: how many leaves ran at once on average while any ran. */
  averageConcurrency: number | null;
  criticalPath: { steps: CriticalPathStep[]; durationMs: number };
  slowAgents: SlowExecution[];
  tokens: TokenTotals;
  /** Known cost; `unpricedCalls` have an unknown cost. */
  costUsd: number;
  llmCalls: number;
  unpricedCalls: number;
  toolCalls: number;
  toolErrors: number;
}

/** `observer.snapshot().fleet` */
export interface FleetSnapshot {
  totals: {
    workflows: number;
    activeWorkflows: number;
    completedWorkflows: number;
    executions: number;
    running: number;
    completed: number;
    failed: number;
    /** Σ wall clock of tracked workflows. */
    wallClockMs: number;
    summedExecutionMs: number;
    tokens: TokenTotals;
    costUsd: number;
    unpricedCalls: number;
    /** Workflows dropped from detail by `maxWorkflows`. */
    workflowsEvicted: number;
  };
  /** Most recent first. */
  workflows: WorkflowSummary[];
  dataQuality: {
    /** agent.end whose start was never seen (kept as a zero-based execution when it has a duration). */
    orphanEnds: number;
    /** Executions running longer than `staleAfterMs`. */
    stale: number;
    /** End before start (clock skew): duration taken from the payload, else 0. */
    negativeDurations: number;
  };
  findings: Finding[];
}

/** An execution as held while the workflow is tracked (duration and offset are derived at snapshot time). */
type Exec = Omit<FleetExecution, 'durationMs' | 'offsetMs'>;

interface Workflow {
  id: string;
  sessionId: string;
  execs: Map<string, Exec>;
  order: string[];
  dropped: number;
  /** Spawn tool calls in flight; `NO_PENDING` (shared, never written) until the first. */
  pending: string[];
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  llmCalls: number;
  unpricedCalls: number;
  toolCalls: number;
  toolErrors: number;
  running: number;
  lastSeen: number;
  version: number;
  /** Creation order, oldest first (a list rather than iterating `workflows`, whose deleted
   *  entries stay at the front of its iteration until the table is rehashed). */
  older?: Workflow;
  newer?: Workflow;
  cached?: { version: number; now: number; summary: WorkflowSummary };
}

const zeroTokens = (): TokenTotals => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
const NO_PENDING: string[] = [];
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

export function fleetAnalyzer(options: FleetOptions = {}): Analyzer<FleetSnapshot> {
  const table: PricingTable = { ...(options.replacePricing === true ? {} : DEFAULT_PRICING), ...checkPricingTable(options.pricing ?? {}, 'fleet') };
  const spawnTools = new Set(options.spawnTools ?? ['Task', 'Agent']);
  const maxWorkflows = Math.max(1, options.maxWorkflows ?? 200);
  const maxExecs = Math.max(1, options.maxExecutionsPerWorkflow ?? 500);
  const slowFactor = options.slowFactor ?? 3;
  const slowMinMs = options.slowMinMs ?? 1000;
  const lowRatio = options.lowParallelRatio ?? 0.2;
  const lowMinAgents = options.lowParallelMinAgents ?? 3;
  const lowMinSavingShare = options.lowParallelMinSavingShare ?? 0.2;
  const lowMinSavingMs = options.lowParallelMinSavingMs ?? 100;
  const staleAfterMs = options.staleAfterMs ?? 3_600_000;

  const workflows = new Map<string, Workflow>();
  let oldest: Workflow | undefined;
  let newest: Workflow | undefined;
  /** Open executions → their workflow, for ends that carry another workflowId (or none). */
  const openExec = new Map<string, Workflow>();
  // The last workflow looked up: a workflow's events tend to come in bursts.
  let lastId: string | undefined;
  let lastWorkflow: Workflow | undefined;
  const priceCache = new Map<string, ModelPrice | null>();
  let evicted = 0;
  const evictedTotals = { executions: 0, completed: 0, failed: 0, wallClockMs: 0, summedExecutionMs: 0, tokens: zeroTokens(), costUsd: 0, unpricedCalls: 0 };
  let orphanEnds = 0;
  let negativeDurations = 0;
  let now: () => number = Date.now;

  const workflowOf = (event: FleetEvent): Workflow => {
    const id = event.workflowId ?? `session:${event.sessionId}`;
    let wf = id === lastId ? lastWorkflow : workflows.get(id);
    if (wf === undefined) {
      if (workflows.size >= maxWorkflows) evictOne();
      wf = {
        id, sessionId: event.sessionId, execs: new Map(), order: [], dropped: 0, pending: NO_PENDING,
        inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, llmCalls: 0, unpricedCalls: 0, toolCalls: 0, toolErrors: 0, running: 0, lastSeen: event.timestamp, version: 0,
      };
      workflows.set(id, wf);
      if (newest === undefined) oldest = wf;
      else {
        newest.newer = wf;
        wf.older = newest;
      }
      newest = wf;
    }
    lastId = id;
    lastWorkflow = wf;
    wf.lastSeen = Math.max(wf.lastSeen, event.timestamp);
    wf.version++;
    return wf;
  };

  function evictOne(): void {
    // The oldest completed workflow, else the oldest one.
    let victim = oldest!;
    for (let wf = oldest; wf !== undefined; wf = wf.newer) {
      if (wf.running === 0 && wf.pending.length === 0) {
        victim = wf;
        break;
      }
    }
    if (victim.older === undefined) oldest = victim.newer;
    else victim.older.newer = victim.newer;
    if (victim.newer === undefined) newest = victim.older;
    else victim.newer.older = victim.older;
    victim.older = victim.newer = undefined;
    if (victim === lastWorkflow) lastId = lastWorkflow = undefined;
    // Fold its figures into the totals without the full summary (no sort, no critical path).
    const at = victim.running > 0 ? now() : 0;
    let first = Infinity;
    let last = -Infinity;
    for (const e of victim.execs.values()) {
      const end = e.end ?? Math.max(e.start, at);
      if (e.start < first) first = e.start;
      if (end > last) last = end;
      evictedTotals.summedExecutionMs += end - e.start;
      if (e.status === 'completed') evictedTotals.completed++;
      else if (e.status === 'failed') evictedTotals.failed++;
      openExec.delete(e.id); // its key
    }
    evictedTotals.executions += victim.execs.size + victim.dropped;
    if (last > first) evictedTotals.wallClockMs += last - first;
    const tokens = evictedTotals.tokens;
    tokens.input += victim.inputTokens;
    tokens.output += victim.outputTokens;
    tokens.cacheRead += victim.cacheReadTokens;
    tokens.cacheWrite += victim.cacheWriteTokens;
    evictedTotals.costUsd += victim.costUsd;
    evictedTotals.unpricedCalls += victim.unpricedCalls;
    workflows.delete(victim.id);
    evicted++;
  }

  const execKey = (event: FleetEvent) => event.spanId ?? `${event.sessionId}/${event.agentId}`;

  const onStart = (event: EventOf<'agent.start'>) => {
    const wf = workflowOf(event);
    const id = execKey(event);
    if (wf.pending.length > 0) wf.pending.shift();
    if (wf.execs.size >= maxExecs) {
      wf.dropped++;
      return;
    }
    const p = event.payload;
    const name = p.name;
    wf.execs.set(id, { id, agentId: event.agentId, name, parentId: event.parentSpanId, parentAgentId: p.parentAgentId, status: 'running', start: event.timestamp });
    wf.order.push(name);
    wf.running++;
    openExec.set(id, wf);
    if (openExec.size > maxWorkflows * maxExecs) openExec.delete(openExec.keys().next().value as string);
  };

  const onEnd = (event: EventOf<'agent.end'>) => {
    const id = execKey(event);
    const wf = openExec.get(id) ?? workflows.get(event.workflowId ?? `session:${event.sessionId}`) ?? workflowOf(event);
    wf.version++;
    let exec = wf.execs.get(id);
    const payloadDuration = event.payload.durationMs;
    const validDuration = typeof payloadDuration === 'number' && Number.isFinite(payloadDuration) && payloadDuration >= 0 ? payloadDuration : undefined;
    if (exec === undefined || exec.status !== 'running') {
      orphanEnds++;
      if (exec !== undefined || validDuration === undefined || wf.execs.size >= maxExecs) return;
      // An end without a start but with a duration: place it on the timeline ending now.
      exec = {
        id, agentId: event.agentId, name: event.payload.name, parentId: event.parentSpanId, parentAgentId: event.payload.parentAgentId,
        status: 'running', start: event.timestamp - validDuration,
      };
      wf.execs.set(id, exec);
      wf.order.push(exec.name);
      wf.running++;
    }
    openExec.delete(id);
    wf.running--;
    exec.status = event.payload.status === 'success' ? 'completed' : 'failed';
    let end = event.timestamp;
    if (end < exec.start) {
      negativeDurations++;
      end = exec.start + (validDuration ?? 0);
    }
    exec.end = end;
  };

  const priceOf = (model: string): ModelPrice | null => {
    let price = priceCache.get(model);
    if (price === undefined) {
      price = findModelPrice(table, model)?.price ?? null;
      if (priceCache.size > 1000) priceCache.clear();
      priceCache.set(model, price);
    }
    return price;
  };

  // One token record reused for every priced call (callCost only reads it).
  const callTokens = zeroTokens();
  const onLlm = (event: EventOf<'llm.call'>) => {
    const wf = workflowOf(event);
    const p = event.payload;
    const input = p.inputTokens ?? 0;
    const output = p.outputTokens ?? 0;
    const cacheRead = p.cacheReadTokens ?? 0;
    const cacheWrite = p.cacheWriteTokens ?? 0;
    wf.llmCalls++;
    wf.inputTokens += input;
    wf.outputTokens += output;
    wf.cacheReadTokens += cacheRead;
    wf.cacheWriteTokens += cacheWrite;
    const costUsd = p.costUsd;
    if (typeof costUsd === 'number' && Number.isFinite(costUsd) && costUsd >= 0) wf.costUsd += costUsd;
    else {
      const price = priceOf(p.model);
      if (price === null) wf.unpricedCalls++;
      else {
        callTokens.input = input;
        callTokens.output = output;
        callTokens.cacheRead = cacheRead;
        callTokens.cacheWrite = cacheWrite;
        wf.costUsd += callCost(price, callTokens);
      }
    }
  };

  const onTool = (event: FleetEvent) => {
    if (event.type === 'tool.start') {
      const name = (event as EventOf<'tool.start'>).payload.toolName;
      if (!spawnTools.has(name)) return;
      const wf = workflowOf(event);
      if (wf.pending === NO_PENDING) wf.pending = [];
      if (wf.pending.length < maxExecs) wf.pending.push(event.spanId ?? event.id);
      return;
    }
    const end = event as EventOf<'tool.end'>;
    const wf = workflowOf(event);
    wf.toolCalls++;
    if (end.payload.status !== 'success') wf.toolErrors++;
    if (spawnTools.has(end.payload.toolName)) {
      const at = wf.pending.indexOf(event.spanId ?? '');
      if (at >= 0) wf.pending.splice(at, 1);
    }
  };

  function summarize(wf: Workflow, at: number): WorkflowSummary {
    if (wf.cached !== undefined && wf.cached.version === wf.version && (wf.running === 0 || wf.cached.now === at)) return wf.cached.summary;
    const execs = [...wf.execs.values()];
    let first = Infinity;
    let last = -Infinity;
    let running = 0;
    let completed = 0;
    let failed = 0;
    let summed = 0;
    const intervals: (Interval & { exec: Exec })[] = [];
    for (const e of execs) {
      const end = e.end ?? Math.max(e.start, at);
      if (e.start < first) first = e.start;
      if (end > last) last = end;
      if (e.status === 'running') running++;
      else if (e.status === 'completed') completed++;
      else failed++;
      summed += end - e.start;
      intervals.push({ id: e.id, parentId: e.parentId, start: e.start, end, exec: e });
    }
    if (execs.length === 0) first = last = wf.lastSeen;
    // A subagent spawned inside a tool call has the tool's span as parent: fall back to the
    // execution of its parentAgentId that was running when it started.
    for (const i of intervals) {
      if (i.parentId !== undefined && wf.execs.has(i.parentId)) continue;
      const parentAgent = i.exec.parentAgentId;
      i.parentId = undefined;
      if (parentAgent === undefined) continue;
      const parent = intervals.find((p) => p !== i && p.exec.agentId === parentAgent && p.start <= i.start && i.start <= p.end);
      if (parent !== undefined) i.parentId = parent.id;
    }
    const wall = Math.max(0, last - first);
    const leaves = leafExecutions(intervals);
    const leafSet = new Set(leaves);
    const leafSum = leaves.reduce((s, l) => s + (l.end - l.start), 0);
    const busy = unionLength(leaves);
    const ratio = parallelizationRatio(leaves);
    const path = criticalPath(intervals);
    const durations = intervals.map((i) => i.end - i.start).sort((a, b) => a - b);
    const median = durations.length === 0 ? 0 : durations.length % 2 === 1
      ? durations[(durations.length - 1) / 2]!
      : (durations[durations.length / 2 - 1]! + durations[durations.length / 2]!) / 2;
    const slowAgents: SlowExecution[] = [];
    if (intervals.length >= 3 && median > 0) {
      for (const i of intervals) {
        const d = i.end - i.start;
        if (d >= slowMinMs && d >= slowFactor * median && leafSet.has(i)) {
          slowAgents.push({ id: i.id, name: i.exec.name, agentId: i.exec.agentId, durationMs: r3(d), timesMedian: r3(d / median), shareOfWallClock: wall > 0 ? r3(d / wall) : 0 });
        }
      }
      slowAgents.sort((a, b) => b.durationMs - a.durationMs);
    }
    const summary: WorkflowSummary = {
      workflowId: wf.id,
      sessionId: wf.sessionId,
      state: running > 0 || wf.pending.length > 0 ? 'active' : 'completed',
      agents: { pending: wf.pending.length, running, completed, failed },
      executions: execs.length + wf.dropped,
      leafExecutions: leaves.length,
      executionsNotTracked: wf.dropped,
      executionOrder: [...wf.order],
      timeline: intervals
        .sort((a, b) => a.start - b.start)
        .map(({ exec: e, end }) => ({
          id: e.id, agentId: e.agentId, name: e.name, parentId: e.parentId, parentAgentId: e.parentAgentId, status: e.status,
          start: e.start, end: e.end, durationMs: r3(end - e.start), offsetMs: r3(e.start - first),
        })),
      start: first,
      end: last,
      wallClockMs: r3(wall),
      summedExecutionMs: r3(summed),
      leafExecutionMs: r3(leafSum),
      leafBusyMs: r3(busy),
      parallelizationRatio: ratio === null ? null : r3(ratio),
      potentialSavingMs: r3(parallelSaving(leaves)),
      averageConcurrency: busy > 0 ? r3(leafSum / busy) : null,
      criticalPath: {
        steps: path.steps.map((s) => {
          const e = wf.execs.get(s.id)!;
          return { id: s.id, name: e.name, agentId: e.agentId, depth: s.depth, start: s.start, end: s.end, durationMs: r3(s.end - s.start) };
        }),
        durationMs: r3(path.durationMs),
      },
      slowAgents,
      tokens: { input: wf.inputTokens, output: wf.outputTokens, cacheRead: wf.cacheReadTokens, cacheWrite: wf.cacheWriteTokens },
      costUsd: Math.round(wf.costUsd * 1e9) / 1e9,
      llmCalls: wf.llmCalls,
      unpricedCalls: wf.unpricedCalls,
      toolCalls: wf.toolCalls,
      toolErrors: wf.toolErrors,
    };
    wf.cached = { version: wf.version, now: at, summary };
    return summary;
  }

  const findingsOf = (summaries: WorkflowSummary[], at: number): { findings: Finding[]; stale: number } => {
    const findings: Finding[] = [];
    let stale = 0;
    for (const s of summaries) {
      const saving = s.potentialSavingMs;
      if (
        s.state === 'completed' && s.parallelizationRatio !== null && s.parallelizationRatio < lowRatio && s.leafExecutions >= lowMinAgents &&
        saving >= lowMinSavingMs && saving >= lowMinSavingShare * s.wallClockMs
      ) {
        findings.push({
          analyzer: 'fleet',
          kind: 'fleet.low_parallelization',
          severity: s.parallelizationRatio === 0 ? 'medium' : 'low',
          title: `Workflow ${s.workflowId} ran its agents almost one after another (parallelization ${s.parallelizationRatio}): up to ${fmtMs(saving)} of ${fmtMs(s.wallClockMs)} could be saved`,
          location: { workflowId: s.workflowId, sessionId: s.sessionId },
          evidence: {
            parallelizationRatio: s.parallelizationRatio, executions: s.executions, leafExecutions: s.leafExecutions, wallClockMs: s.wallClockMs,
            leafExecutionMs: s.leafExecutionMs, leafBusyMs: s.leafBusyMs, criticalPathMs: s.criticalPath.durationMs,
            // If the leaves that do not depend on each other ran side by side: union of leaves − longest leaf.
            potentialSavingMs: saving,
            savingShare: s.wallClockMs > 0 ? r3(saving / s.wallClockMs) : 0,
          },
          firstSeen: s.start,
          lastSeen: s.end,
        });
      }
      for (const slow of s.slowAgents.slice(0, 3)) {
        findings.push({
          analyzer: 'fleet',
          kind: 'fleet.slow_agent',
          severity: slow.shareOfWallClock > 0.5 ? 'medium' : 'low',
          title: `Agent ${slow.name} took ${slow.timesMedian}× the median execution of workflow ${s.workflowId}`,
          location: { workflowId: s.workflowId, sessionId: s.sessionId, agentId: slow.agentId, operation: `agent:${slow.name}` },
          evidence: { durationMs: slow.durationMs, timesMedian: slow.timesMedian, shareOfWallClock: slow.shareOfWallClock },
        });
      }
      if (s.agents.failed > 0) {
        findings.push({
          analyzer: 'fleet',
          kind: 'fleet.failed_agents',
          severity: s.agents.failed >= s.executions / 2 ? 'high' : 'medium',
          title: `${s.agents.failed} of ${s.executions} agent executions failed in workflow ${s.workflowId}`,
          location: { workflowId: s.workflowId, sessionId: s.sessionId },
          evidence: { failed: s.agents.failed, executions: s.executions, names: s.timeline.filter((t) => t.status === 'failed').map((t) => t.name).join(', ') },
        });
      }
      for (const t of s.timeline) {
        if (t.status === 'running' && at - t.start > staleAfterMs) {
          stale++;
          findings.push({
            analyzer: 'fleet',
            kind: 'fleet.stuck_agent',
            severity: 'medium',
            title: `Agent ${t.name} started ${Math.round((at - t.start) / 60_000)} min ago and never ended`,
            location: { workflowId: s.workflowId, sessionId: s.sessionId, agentId: t.agentId },
            evidence: { runningMs: at - t.start },
          });
        }
      }
    }
    return { findings: findings.slice(0, 500), stale };
  };

  const onEvent = (event: FleetEvent): void => {
    switch (event.type) {
      case 'agent.start': onStart(event as EventOf<'agent.start'>); break;
      case 'agent.end': onEnd(event as EventOf<'agent.end'>); break;
      case 'llm.call': onLlm(event as EventOf<'llm.call'>); break;
      case 'tool.start':
      case 'tool.end': onTool(event); break;
    }
  };

  return {
    name: 'fleet',
    filter: { types: ['agent.start', 'agent.end', 'llm.call', 'tool.start', 'tool.end'] },
    async consume(stream, context) {
      now = () => context.now();
      for await (const batch of stream) {
        eachEvent(batch, onEvent, context);
      }
    },
    snapshot(): FleetSnapshot {
      const at = now();
      const summaries = [...workflows.values()].map((wf) => summarize(wf, at)).sort((a, b) => b.start - a.start);
      const totals = {
        workflows: summaries.length + evicted,
        activeWorkflows: 0,
        completedWorkflows: evicted,
        executions: evictedTotals.executions,
        running: 0,
        completed: evictedTotals.completed,
        failed: evictedTotals.failed,
        wallClockMs: evictedTotals.wallClockMs,
        summedExecutionMs: evictedTotals.summedExecutionMs,
        tokens: { ...evictedTotals.tokens },
        costUsd: evictedTotals.costUsd,
        unpricedCalls: evictedTotals.unpricedCalls,
        workflowsEvicted: evicted,
      };
      for (const s of summaries) {
        if (s.state === 'active') totals.activeWorkflows++;
        else totals.completedWorkflows++;
        totals.executions += s.executions;
        totals.running += s.agents.running;
        totals.completed += s.agents.completed;
        totals.failed += s.agents.failed;
        totals.wallClockMs += s.wallClockMs;
        totals.summedExecutionMs += s.summedExecutionMs;
        for (const k of ['input', 'output', 'cacheRead', 'cacheWrite'] as const) totals.tokens[k] += s.tokens[k];
        totals.costUsd += s.costUsd;
        totals.unpricedCalls += s.unpricedCalls;
      }
      totals.wallClockMs = r3(totals.wallClockMs);
      totals.summedExecutionMs = r3(totals.summedExecutionMs);
      totals.costUsd = Math.round(totals.costUsd * 1e9) / 1e9;
      const { findings, stale } = findingsOf(summaries, at);
      return { totals, workflows: summaries, dataQuality: { orphanEnds, stale, negativeDurations }, findings };
    },
  };
}
