/**
 * `fleet`: how the agents of each workflow ran together. Per workflow: agents pending, running,
 * completed and failed; execution order and timeline; the parallelization ratio; wall-clock
 * versus summed execution time; the critical path; slow agents. Fleet totals across workflows.
 *
 * An execution is one agent run: the `agent.start`/`agent.end` pair sharing a `spanId`
 * (fallback: session + agentId). A workflow is `workflowId`, falling back to the session.
 * This file holds the per-event bookkeeping; the snapshot (summaries, totals, findings) is built
 * in `fleet-snapshot.ts`, from figures derived in `fleet-math.ts` and documented in `docs/analyzers.md`.
 */
import type { Analyzer, EventOf, FleetEvent } from '../core/index.js';
import { eachEvent } from './define.js';
import { EventClock } from './event-clock.js';
import { ExecColumns, type NewExecRow } from './exec-columns.js';
import { execKeyAt, fleetSnapshot, type EvictedTotals, type FleetSnapshot, type FleetThresholds, type Workflow } from './fleet-snapshot.js';
import { DEFAULT_PRICING, checkPricingTable, createCallPricer, type PricingTable } from './pricing.js';
import type { TokenTotals } from './types.js';

export type { CriticalPathStep, ExecutionStatus, FleetExecution, FleetSnapshot, SlowExecution, WorkflowSummary } from './fleet-snapshot.js';

export interface FleetOptions {
  /** Prices for workflow cost; same semantics as `CostOptions.pricing`. Default the shipped table. */
  pricing?: PricingTable;
  /** Use only `pricing`. Default `false`. */
  replacePricing?: boolean;
  /** Tools whose call spawns a subagent; a call in flight whose agent has not started is `pending`. Default `['Task', 'Agent']`. */
  spawnTools?: readonly string[];
  /** Workflows kept; beyond, the oldest (completed first) is dropped from detail but stays in totals. Default 200. */
  maxWorkflows?: number;
  /** Executions kept per workflow for the timeline and figures; further ones are only counted. Default 200 (~150 bytes each). */
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
  /**
   * An execution started longer ago than this and never ended is `stale` (a `fleet.stuck_agent`).
   * "Ago" on the events' time line: the observer's clock live, the newest event's time when
   * replaying history (see `EventClock`). Default 3,600,000 (1 h).
   */
  staleAfterMs?: number;
}

const zeroTokens = (): TokenTotals => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
const NO_PENDING: string[] = [];
/** Prompt times kept per workflow (turn boundaries); later ones are not recorded. */
const MAX_PROMPTS = 10_000;

export function fleetAnalyzer(options: FleetOptions = {}): Analyzer<FleetSnapshot> {
  const table: PricingTable = { ...(options.replacePricing === true ? {} : DEFAULT_PRICING), ...checkPricingTable(options.pricing ?? {}, 'fleet') };
  const spawnTools = new Set(options.spawnTools ?? ['Task', 'Agent']);
  const maxWorkflows = Math.max(1, options.maxWorkflows ?? 200);
  const maxExecs = Math.max(1, options.maxExecutionsPerWorkflow ?? 200);
  const thresholds: FleetThresholds = {
    slowFactor: options.slowFactor ?? 3,
    slowMinMs: options.slowMinMs ?? 1000,
    lowParallelRatio: options.lowParallelRatio ?? 0.2,
    lowParallelMinAgents: options.lowParallelMinAgents ?? 3,
    lowParallelMinSavingShare: options.lowParallelMinSavingShare ?? 0.2,
    lowParallelMinSavingMs: options.lowParallelMinSavingMs ?? 100,
    staleAfterMs: options.staleAfterMs ?? 3_600_000,
  };

  const workflows = new Map<string, Workflow>();
  let oldest: Workflow | undefined;
  let newest: Workflow | undefined;
  /** Open executions → their workflow and row, for ends that carry another workflowId (or none). */
  const openExec = new Map<string, { wf: Workflow; row: number }>();
  // The last workflow looked up: a workflow's events tend to come in bursts.
  let lastId: string | undefined;
  let lastWorkflow: Workflow | undefined;
  let evicted = 0;
  const evictedTotals: EvictedTotals = { executions: 0, completed: 0, failed: 0, wallClockMs: 0, summedExecutionMs: 0, tokens: zeroTokens(), costUsd: 0, unpricedCalls: 0 };
  let orphanEnds = 0;
  let negativeDurations = 0;
  let now: () => number = Date.now;
  const eventClock = new EventClock();

  const workflowOf = (event: FleetEvent): Workflow => {
    const id = event.workflowId ?? `session:${event.sessionId}`;
    let wf = id === lastId ? lastWorkflow : workflows.get(id);
    if (wf === undefined) {
      if (workflows.size >= maxWorkflows) evictOne();
      wf = {
        id, sessionId: event.sessionId, execs: new ExecColumns(), dropped: 0, pending: NO_PENDING,
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
    const execs = victim.execs;
    for (let i = 0; i < execs.length; i++) {
      const start = execs.starts[i]!;
      const end = execs.end(i) ?? Math.max(start, at);
      if (start < first) first = start;
      if (end > last) last = end;
      evictedTotals.summedExecutionMs += end - start;
      const status = execs.status(i);
      if (status === 'completed') evictedTotals.completed++;
      else if (status === 'failed') evictedTotals.failed++;
      else {
        const key = execKeyAt(victim, i);
        if (openExec.get(key)?.wf === victim) openExec.delete(key);
      }
    }
    evictedTotals.executions += execs.length + victim.dropped;
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

  /** Appends the row of `event`'s execution to `wf`: its key is not kept as a string (see `execKeyAt`). */
  const addRow = (wf: Workflow, event: FleetEvent, row: Omit<NewExecRow, 'id'>): number => {
    const i = wf.execs.add({ id: event.spanId, ...row });
    if (event.spanId === undefined && event.sessionId !== wf.sessionId) (wf.rowSessions ??= new Map()).set(i, event.sessionId);
    return i;
  };

  /** The row of `event`'s execution (key `key`) in `wf`: the open one if any, else the last with that key; -1 if none. */
  const rowOf = (wf: Workflow, event: FleetEvent, key: string): number => {
    const open = openExec.get(key);
    if (open !== undefined && open.wf === wf) return open.row;
    if (event.spanId !== undefined) return wf.execs.lastIndexOf(event.spanId);
    const { ids, agentIds } = wf.execs;
    for (let i = ids.length - 1; i >= 0; i--) {
      if (ids[i] === undefined && agentIds[i] === event.agentId && (wf.rowSessions?.get(i) ?? wf.sessionId) === event.sessionId) return i;
    }
    return -1;
  };

  const onStart = (event: EventOf<'agent.start'>) => {
    const wf = workflowOf(event);
    const key = execKey(event);
    if (wf.pending.length > 0) wf.pending.shift();
    if (wf.execs.length >= maxExecs) {
      wf.dropped++;
      return;
    }
    const p = event.payload;
    const row = { agentId: event.agentId, name: p.name, parentId: event.parentSpanId, parentAgentId: p.parentAgentId, interactive: p.interactive === true, status: 'running', start: event.timestamp } as const;
    // A second start of a known execution starts it again (its row is reused).
    const known = rowOf(wf, event, key);
    if (known < 0) openExec.set(key, { wf, row: addRow(wf, event, row) });
    else {
      if (wf.execs.status(known) === 'running') wf.running--;
      wf.execs.restart(known, row);
      openExec.set(key, { wf, row: known });
    }
    wf.running++;
    if (openExec.size > maxWorkflows * maxExecs) openExec.delete(openExec.keys().next().value as string);
  };

  const onEnd = (event: EventOf<'agent.end'>) => {
    const key = execKey(event);
    const wf = openExec.get(key)?.wf ?? workflows.get(event.workflowId ?? `session:${event.sessionId}`) ?? workflowOf(event);
    wf.version++;
    const execs = wf.execs;
    let row = rowOf(wf, event, key);
    const p = event.payload;
    const validDuration = typeof p.durationMs === 'number' && Number.isFinite(p.durationMs) && p.durationMs >= 0 ? p.durationMs : undefined;
    if (row < 0 || execs.status(row) !== 'running') {
      orphanEnds++;
      if (row >= 0 || validDuration === undefined || execs.length >= maxExecs) return;
      // An end without a start but with a duration: place it on the timeline ending now.
      row = addRow(wf, event, {
        agentId: event.agentId, name: p.name, parentId: event.parentSpanId, parentAgentId: p.parentAgentId,
        interactive: p.interactive === true, status: 'running', start: event.timestamp - validDuration,
      });
      wf.running++;
    }
    openExec.delete(key);
    wf.running--;
    let end = event.timestamp;
    const start = execs.starts[row]!;
    if (end < start) {
      negativeDurations++;
      end = start + (validDuration ?? 0);
    }
    execs.finish(row, p.status === 'success' ? 'completed' : 'failed', end);
  };

  // Priced the way the cost analyzer prices: a call without usage has an unknown cost, not $0.
  const priceOf = createCallPricer(table);

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
    const costUsd = priceOf(p);
    if (costUsd === undefined) wf.unpricedCalls++;
    else wf.costUsd += costUsd;
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

  /** A user's prompt starts a turn: agents of different turns could not have run side by side. */
  const onMessage = (event: EventOf<'message'>) => {
    if (event.payload.role !== 'user' || event.payload.kind !== 'prompt') return;
    const prompts = (workflowOf(event).prompts ??= []);
    if (prompts.length >= MAX_PROMPTS) return;
    const t = event.timestamp;
    let i = prompts.length;
    while (i > 0 && prompts[i - 1]! > t) i--;
    prompts.splice(i, 0, t);
  };

  const onEvent = (event: FleetEvent): void => {
    switch (event.type) {
      case 'message': onMessage(event as EventOf<'message'>); break;
      case 'agent.start': onStart(event as EventOf<'agent.start'>); break;
      case 'agent.end': onEnd(event as EventOf<'agent.end'>); break;
      case 'llm.call': onLlm(event as EventOf<'llm.call'>); break;
      case 'tool.start':
      case 'tool.end': onTool(event); break;
    }
  };

  return {
    name: 'fleet',
    filter: { types: ['agent.start', 'agent.end', 'llm.call', 'tool.start', 'tool.end', 'message'] },
    async consume(stream, context) {
      // Running executions are measured on the events' time line (live: the clock; replayed: the newest event).
      now = () => eventClock.at(context.now());
      for await (const batch of stream) {
        eventClock.seeBatch(batch, context.now());
        eachEvent(batch, onEvent, context);
      }
    },
    snapshot(): FleetSnapshot {
      return fleetSnapshot({ workflows: workflows.values(), evicted, evictedTotals, orphanEnds, negativeDurations }, now(), thresholds);
    },
  };
}
