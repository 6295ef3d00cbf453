/**
 * The snapshot side of the `fleet` analyzer: the workflow and execution records the analyzer
 * keeps (`Workflow`, its executions in `ExecColumns`), how a workflow becomes a `WorkflowSummary` (timeline, leaf
 * executions, parallelization ratio, critical path, slow agents), the fleet totals and the
 * findings. It runs at snapshot time only; the per-event bookkeeping is in `fleet.ts`, the
 * interval arithmetic in `fleet-math.ts`, the definitions in `docs/analyzers.md`.
 */
import { criticalPath, groupedParallelism, leafExecutions, leavesByTurn, unionLength, type Interval } from './fleet-math.js';
import type { ExecColumns, ExecRow } from './exec-columns.js';
import type { Finding, TokenTotals } from './types.js';

export type ExecutionStatus = 'running' | 'completed' | 'failed';

/** One agent execution on a workflow's timeline. Times are ms since the epoch. */
export interface FleetExecution {
  /** span id of the agent.start/agent.end pair (or `session/agentId` when the source gives none). */
  id: string;
  agentId: string;
  name: string;
  parentId?: string;
  parentAgentId?: string;
  /** A turn a person drives (the payload's `interactive`): not work to parallelize. */
  interactive?: boolean;
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

/** A tracked workflow: what the analyzer updates per event. */
export interface Workflow {
  id: string;
  sessionId: string;
  /** Tracked executions in start order (their names are the execution order); `ids` holds span ids only (see `execKeyAt`). */
  execs: ExecColumns;
  /** Rows without a span id whose event's session is not `sessionId` (rare): their session, for their key. */
  rowSessions?: Map<number, string>;
  dropped: number;
  /** Spawn tool calls in flight; `NO_PENDING` of `fleet.ts` (shared, never written) until the first. */
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
  /** Times of the user's prompts (`message` of kind `prompt`), ascending: where turns begin. */
  prompts?: number[];
  /** Creation order, oldest first (a list rather than iterating `workflows`, whose deleted
   *  entries stay at the front of its iteration until the table is rehashed). */
  older?: Workflow;
  newer?: Workflow;
  cached?: CachedSummary;
}

/**
 * A workflow's summary as kept between snapshots: its figures, and its critical path as rows of
 * `execs`. The lists with an entry per execution (timeline, execution order, critical path steps)
 * are rebuilt from the rows at each snapshot rather than kept: an idle workflow costs its rows only.
 */
interface CachedSummary {
  version: number;
  now: number;
  figures: Omit<WorkflowSummary, 'executionOrder' | 'timeline' | 'criticalPath'>;
  /** Rows in timeline order (by start); undefined when that is the rows' own order. */
  timelineRows: number[] | undefined;
  pathRows: number[];
  pathDepths: number[];
  pathMs: number;
}

/**
 * The key of row `i` (an execution's `id` in the snapshot): its span id, else `session/agentId`. The
 * fallback is built when read rather than kept as a string per row (~56 bytes each).
 */
export function execKeyAt(wf: Workflow, i: number): string {
  return wf.execs.ids[i] ?? `${wf.rowSessions?.get(i) ?? wf.sessionId}/${wf.execs.agentIds[i]}`;
}

/** Figures of the workflows dropped from detail by `maxWorkflows`, folded together. */
export type EvictedTotals = Pick<
  FleetSnapshot['totals'],
  'executions' | 'completed' | 'failed' | 'wallClockMs' | 'summedExecutionMs' | 'tokens' | 'costUsd' | 'unpricedCalls'
>;

/** What the analyzer hands over at snapshot time. */
export interface FleetState {
  workflows: Iterable<Workflow>;
  /** Workflows dropped from detail. */
  evicted: number;
  evictedTotals: EvictedTotals;
  orphanEnds: number;
  negativeDurations: number;
}

/** The thresholds of `FleetOptions` the summaries and findings use, defaults filled in. */
export interface FleetThresholds {
  slowFactor: number;
  slowMinMs: number;
  lowParallelRatio: number;
  lowParallelMinAgents: number;
  lowParallelMinSavingShare: number;
  lowParallelMinSavingMs: number;
  staleAfterMs: number;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/** The snapshot at `at`: every tracked workflow summarized (most recent first), the totals (evicted workflows included) and the findings. */
export function fleetSnapshot(state: FleetState, at: number, thresholds: FleetThresholds): FleetSnapshot {
  const { evicted, evictedTotals, orphanEnds, negativeDurations } = state;
  const summaries = [...state.workflows].map((wf) => summarizeWorkflow(wf, at, thresholds)).sort((a, b) => b.start - a.start);
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
  const { findings, stale } = fleetFindings(summaries, at, thresholds);
  return { totals, workflows: summaries, dataQuality: { orphanEnds, stale, negativeDurations }, findings };
}

/** The summary of one workflow at `at`: its figures cached until it changes (or, while it runs, the clock does), its lists rebuilt. */
function summarizeWorkflow(wf: Workflow, at: number, thresholds: FleetThresholds): WorkflowSummary {
  if (wf.cached === undefined || wf.cached.version !== wf.version || (wf.running > 0 && wf.cached.now !== at)) wf.cached = computeSummary(wf, at, thresholds);
  const { figures, timelineRows, pathRows, pathDepths, pathMs, now } = wf.cached;
  const execs = wf.execs;
  const rows = timelineRows ?? execs.names.map((_, i) => i);
  const { agents, tokens, slowAgents, ...rest } = figures;
  return {
    ...rest,
    agents: { ...agents },
    executionOrder: [...execs.names],
    timeline: rows.map((i) => {
      const start = execs.starts[i]!;
      const end = execs.end(i);
      return {
        id: execKeyAt(wf, i), agentId: execs.agentIds[i]!, name: execs.names[i]!, parentId: execs.parentIds[i], parentAgentId: execs.parentAgentIds[i],
        status: execs.status(i), start, end, durationMs: r3((end ?? Math.max(start, now)) - start), offsetMs: r3(start - figures.start),
      };
    }),
    criticalPath: {
      steps: pathRows.map((i, k) => {
        const start = execs.starts[i]!;
        const end = execs.end(i) ?? Math.max(start, now);
        return { id: execKeyAt(wf, i), name: execs.names[i]!, agentId: execs.agentIds[i]!, depth: pathDepths[k]!, start, end, durationMs: r3(end - start) };
      }),
      durationMs: pathMs,
    },
    slowAgents: slowAgents.map((s) => ({ ...s })),
    tokens: { ...tokens },
  };
}

/** The figures of one workflow at `at` (everything but the per-execution lists) and the rows its lists are rebuilt from. */
function computeSummary(wf: Workflow, at: number, thresholds: FleetThresholds): CachedSummary {
  const { slowFactor, slowMinMs } = thresholds;
  const execs: ExecRow[] = [];
  for (let i = 0; i < wf.execs.length; i++) execs.push(wf.execs.execAt(i));
  const keys = execs.map((_, i) => execKeyAt(wf, i));
  const rowById = new Map(keys.map((key, i) => [key, i]));
  let first = Infinity;
  let last = -Infinity;
  let running = 0;
  let completed = 0;
  let failed = 0;
  let summed = 0;
  const intervals: (Interval & { exec: ExecRow; row: number })[] = [];
  execs.forEach((e, row) => {
    const end = e.end ?? Math.max(e.start, at);
    if (e.start < first) first = e.start;
    if (end > last) last = end;
    if (e.status === 'running') running++;
    else if (e.status === 'completed') completed++;
    else failed++;
    summed += end - e.start;
    intervals.push({ id: keys[row]!, parentId: e.parentId, start: e.start, end, exec: e, row });
  });
  if (execs.length === 0) first = last = wf.lastSeen;
  // A subagent spawned inside a tool call has the tool's span as parent: fall back to the
  // execution of its parentAgentId that was running when it started.
  for (const i of intervals) {
    if (i.parentId !== undefined && rowById.has(i.parentId)) continue;
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
  // What could have run side by side: the leaves within one turn a person drove (each turn waits
  // for the user's prompt, so turns and their subagents cannot overlap); all leaves when no turn.
  const groups = leavesByTurn(leaves, wf.prompts);
  const parallel = groupedParallelism(groups);
  const ratio = parallel.ratio;
  const path = criticalPath(intervals);
  const durations = intervals.map((i) => i.end - i.start).sort((a, b) => a - b);
  const median = durations.length === 0 ? 0 : durations.length % 2 === 1
    ? durations[(durations.length - 1) / 2]!
    : (durations[durations.length / 2 - 1]! + durations[durations.length / 2]!) / 2;
  const slowAgents: SlowExecution[] = [];
  if (intervals.length >= 3 && median > 0) {
    for (const i of intervals) {
      const d = i.end - i.start;
      // A turn (interactive) lasts as long as what the user asked takes: not an agent to speed up.
      if (d >= slowMinMs && d >= slowFactor * median && leafSet.has(i) && !i.exec.interactive) {
        slowAgents.push({ id: i.id, name: i.exec.name, agentId: i.exec.agentId, durationMs: r3(d), timesMedian: r3(d / median), shareOfWallClock: wall > 0 ? r3(d / wall) : 0 });
      }
    }
    slowAgents.sort((a, b) => b.durationMs - a.durationMs);
  }
  const byStart = intervals.sort((a, b) => a.start - b.start).map((i) => i.row);
  const figures: CachedSummary['figures'] = {
    workflowId: wf.id,
    sessionId: wf.sessionId,
    state: running > 0 || wf.pending.length > 0 ? 'active' : 'completed',
    agents: { pending: wf.pending.length, running, completed, failed },
    executions: execs.length + wf.dropped,
    leafExecutions: groups.reduce((n, g) => n + g.length, 0),
    executionsNotTracked: wf.dropped,
    start: first,
    end: last,
    wallClockMs: r3(wall),
    summedExecutionMs: r3(summed),
    leafExecutionMs: r3(leafSum),
    leafBusyMs: r3(busy),
    parallelizationRatio: ratio === null ? null : r3(ratio),
    potentialSavingMs: r3(parallel.savingMs),
    averageConcurrency: busy > 0 ? r3(leafSum / busy) : null,
    slowAgents,
    tokens: { input: wf.inputTokens, output: wf.outputTokens, cacheRead: wf.cacheReadTokens, cacheWrite: wf.cacheWriteTokens },
    costUsd: Math.round(wf.costUsd * 1e9) / 1e9,
    llmCalls: wf.llmCalls,
    unpricedCalls: wf.unpricedCalls,
    toolCalls: wf.toolCalls,
    toolErrors: wf.toolErrors,
  };
  return {
    version: wf.version,
    now: at,
    figures,
    timelineRows: byStart.every((row, k) => row === k) ? undefined : byStart,
    pathRows: path.steps.map((s) => rowById.get(s.id)!),
    pathDepths: path.steps.map((s) => s.depth),
    pathMs: r3(path.durationMs),
  };
}

/** Low parallelization, slow, failed and stuck agents, per workflow; `stale` counts the stuck executions. */
function fleetFindings(summaries: WorkflowSummary[], at: number, thresholds: FleetThresholds): { findings: Finding[]; stale: number } {
  const {
    lowParallelRatio: lowRatio, lowParallelMinAgents: lowMinAgents, lowParallelMinSavingShare: lowMinSavingShare, lowParallelMinSavingMs: lowMinSavingMs, staleAfterMs,
  } = thresholds;
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
}
