/**
 * `sessions`: one summary per session — when it ran, its agents, tool calls (failed and blocked),
 * LLM calls, tokens, cost and project. It is what `fleetscope sessions` lists and what a report's
 * session table reads, so those figures come from one place.
 *
 * Cost follows the `cost` analyzer's rule: the call's own `costUsd` when it has one, else the
 * price table (`DEFAULT_PRICING` merged with `pricing`); a call with neither is counted in
 * `unpricedCalls` and adds nothing, and so is a call without any token counts (`createCallPricer`).
 * Bounded: beyond `maxSessions` the session with the oldest activity is dropped (counted in `evicted`).
 */
import { isDerivedEvent, type Analyzer, type EventOf, type FleetEvent } from '../core/index.js';
import { eachEvent } from './define.js';
import { DEFAULT_PRICING, createCallPricer, type PricingTable } from './pricing.js';
import type { TokenTotals } from './types.js';

export interface SessionsOptions {
  /** Sessions kept; the one with the oldest activity is dropped beyond. Default 10,000. */
  maxSessions?: number;
  /** Prices merged over `DEFAULT_PRICING` (per million tokens). Default none. */
  pricing?: PricingTable;
  /** Analyzer name. Default `sessions`. */
  name?: string;
}

/** One session's figures. Times are ms since the epoch. */
export interface SessionSummary {
  sessionId: string;
  /** First and last event seen of the session. */
  start: number;
  end: number;
  /** end − start. */
  durationMs: number;
  /** Distinct agents that emitted events (the main agent included). */
  agents: number;
  /** Agents started with a parent agent (subagents). */
  subagents: number;
  /** Finished tool calls (`tool.end`), whatever their status. */
  toolCalls: number;
  /** Tool calls ending in `error` or `timeout`. */
  failedTools: number;
  /** Tool calls a guardrail or permission blocked. */
  blockedTools: number;
  llmCalls: number;
  /** LLM calls with a known cost (their own, or from the price table). */
  pricedCalls: number;
  unpricedCalls: number;
  tokens: TokenTotals;
  /** Known cost only, USD. */
  costUsd: number;
  /** Working directory of the session (`session.start` cwd or the `claude_code.cwd` attribute), when known. */
  project?: string;
  events: number;
}

/** `observer.snapshot().sessions` */
export interface SessionsSnapshot {
  /** Newest first (by start). */
  sessions: SessionSummary[];
  /** Sessions dropped by `maxSessions`. */
  evicted: number;
  /** Timestamps of the earliest and latest event seen (ms since the epoch); null before any. */
  firstEventAt: number | null;
  lastEventAt: number | null;
}

interface State extends Omit<SessionSummary, 'durationMs' | 'agents' | 'subagents'> {
  agentIds: Set<string>;
  subagentIds: Set<string>;
}

export function sessionsAnalyzer(options: SessionsOptions = {}): Analyzer<SessionsSnapshot> {
  const maxSessions = options.maxSessions ?? 10_000;
  if (!(maxSessions >= 1)) throw new Error('[fleetscope] [sessions] maxSessions must be >= 1');
  // The cost analyzer's rule: the call's own costUsd, else unknown without any token counts, else the table.
  const priceOf = createCallPricer({ ...DEFAULT_PRICING, ...options.pricing });
  const sessions = new Map<string, State>();
  let evicted = 0;
  let firstEventAt = Infinity;
  let lastEventAt = -Infinity;

  // The session of the last event: events of one session come in runs, so most lookups are a compare.
  // Always a session still in `sessions` (evictions happen only below, and replace it).
  let lastState: State | undefined;

  const stateOf = (event: FleetEvent): State => {
    if (lastState !== undefined && lastState.sessionId === event.sessionId) return lastState;
    let s = sessions.get(event.sessionId);
    if (s === undefined) {
      if (sessions.size >= maxSessions) {
        let oldest: State | undefined;
        for (const c of sessions.values()) if (oldest === undefined || c.end < oldest.end) oldest = c;
        sessions.delete(oldest!.sessionId);
        evicted++;
      }
      s = {
        sessionId: event.sessionId,
        start: event.timestamp,
        end: event.timestamp,
        toolCalls: 0,
        failedTools: 0,
        blockedTools: 0,
        llmCalls: 0,
        pricedCalls: 0,
        unpricedCalls: 0,
        tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
        costUsd: 0,
        events: 0,
        agentIds: new Set(),
        subagentIds: new Set(),
      };
      sessions.set(event.sessionId, s);
    }
    lastState = s;
    return s;
  };

  const handle = (event: FleetEvent): void => {
    // What analyzers derived (insights, anomalies, budget alerts) is not session activity: an insight
    // carries the observer's default session id, which would list a session that never ran (the demo's
    // "today": 4 agents, 0 tool calls) and stretch a real session's end to the time of the analysis.
    if (isDerivedEvent(event)) return;
    const s = stateOf(event);
    s.events++;
    if (event.timestamp < firstEventAt) firstEventAt = event.timestamp;
    if (event.timestamp > lastEventAt) lastEventAt = event.timestamp;
    if (event.timestamp < s.start) s.start = event.timestamp;
    if (event.timestamp > s.end) s.end = event.timestamp;
    if (s.agentIds.size < 1000) s.agentIds.add(event.agentId);
    if (s.project === undefined) {
      const cwd = event.attributes?.['claude_code.cwd'];
      if (typeof cwd === 'string') s.project = cwd;
    }
    switch (event.type) {
      case 'session.start': {
        const cwd = (event.payload as { cwd?: unknown }).cwd;
        if (typeof cwd === 'string') s.project = cwd;
        break;
      }
      case 'agent.start': {
        const p = event.payload as { parentAgentId?: string };
        if (p.parentAgentId !== undefined && s.subagentIds.size < 1000) s.subagentIds.add(event.agentId);
        break;
      }
      case 'tool.end': {
        const status = (event.payload as { status: string }).status;
        s.toolCalls++;
        if (status === 'error' || status === 'timeout') s.failedTools++;
        else if (status === 'blocked') s.blockedTools++;
        break;
      }
      case 'llm.call': {
        const p = (event as EventOf<'llm.call'>).payload;
        const input = p.inputTokens ?? 0;
        const output = p.outputTokens ?? 0;
        const cacheRead = p.cacheReadTokens ?? 0;
        const cacheWrite = p.cacheWriteTokens ?? 0;
        s.llmCalls++;
        s.tokens.input += input;
        s.tokens.output += output;
        s.tokens.cacheRead += cacheRead;
        s.tokens.cacheWrite += cacheWrite;
        const cost = priceOf(p);
        if (cost === undefined) s.unpricedCalls++;
        else {
          s.pricedCalls++;
          s.costUsd += cost;
        }
        break;
      }
      default:
        break;
    }
  };

  return {
    name: options.name ?? 'sessions',
    async consume(stream, context) {
      for await (const batch of stream) eachEvent(batch, handle, context);
    },
    snapshot() {
      const out: SessionSummary[] = [];
      for (const s of sessions.values()) {
        const { agentIds, subagentIds, ...rest } = s;
        out.push({
          ...rest,
          tokens: { ...s.tokens },
          costUsd: Math.round(s.costUsd * 1e6) / 1e6,
          durationMs: s.end - s.start,
          agents: agentIds.size,
          subagents: subagentIds.size,
        });
      }
      out.sort((a, b) => b.start - a.start || (a.sessionId < b.sessionId ? -1 : 1));
      return { sessions: out, evicted, firstEventAt: Number.isFinite(firstEventAt) ? firstEventAt : null, lastEventAt: Number.isFinite(lastEventAt) ? lastEventAt : null };
    },
  };
}
