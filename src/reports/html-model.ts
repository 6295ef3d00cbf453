/**
 * One pass over the stored events that the HTML views share: tool and LLM calls as intervals
 * (a `tool.end` or `llm.call` is stamped when the call ended; its start is the end minus the
 * duration, or the matching `tool.start`), agent runs (start/end pairs), alerts, and the events
 * grouped by session. These are positions on a page, not figures: every figure the page prints
 * comes from an analyzer snapshot, or is a plain count or sum of stored events that no analyzer
 * keeps (events by source, calls per agent and tool, tokens per time bucket).
 */
import { isDerivedEvent, type FleetEvent } from '../core/index.js';

export type CallKind = 'tool' | 'llm';
/** `success`, `error`, `blocked` (a guardrail refused it) or `unfinished` (a start with no end). */
export type CallStatus = 'success' | 'error' | 'blocked' | 'unfinished';

export interface CallBar {
  event: FleetEvent;
  kind: CallKind;
  name: string;
  status: CallStatus;
  start: number;
  end: number;
  agentId: string;
  sessionId: string;
  durationMs: number | undefined;
  /** The call's error or block reason. */
  error?: string;
}

export interface AgentRun {
  key: string;
  agentId: string;
  name: string;
  parentAgentId?: string;
  start: number;
  end?: number;
  status: 'running' | 'success' | 'error' | 'cancelled';
  startEvent?: FleetEvent;
  endEvent?: FleetEvent;
}

export interface SessionModel {
  sessionId: string;
  start: number;
  end: number;
  events: number;
  calls: CallBar[];
  runs: AgentRun[];
  /** Alert events (guardrail blocks from the hook, budget alerts, ...). */
  alerts: FleetEvent[];
  /** Agent ids in order of first appearance. */
  agents: string[];
  /** Agent names from agent.start / agent.end, by agent id. */
  agentNames: Map<string, string>;
  parentOf: Map<string, string>;
}

export interface ReportModel {
  events: readonly FleetEvent[];
  byId: Map<string, FleetEvent>;
  /** Sessions, most recent start first. */
  sessions: SessionModel[];
  calls: CallBar[];
  alerts: FleetEvent[];
  first: number;
  last: number;
  bySource: Map<string, number>;
  byType: Map<string, number>;
  /** Agent ids that have an agent.start or agent.end somewhere in the events. */
  agentsWithRuns: Set<string>;
  sessionsWithStart: Set<string>;
}

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);

export function buildModel(events: readonly FleetEvent[]): ReportModel {
  const sessions = new Map<string, SessionModel>();
  const byId = new Map<string, FleetEvent>();
  const bySource = new Map<string, number>();
  const byType = new Map<string, number>();
  const calls: CallBar[] = [];
  const alerts: FleetEvent[] = [];
  const agentsWithRuns = new Set<string>();
  const sessionsWithStart = new Set<string>();
  const openTools = new Map<string, FleetEvent>();
  const openRuns = new Map<string, AgentRun>();
  let first = Infinity;
  let last = -Infinity;

  const sessionOf = (e: FleetEvent): SessionModel => {
    let s = sessions.get(e.sessionId);
    if (s === undefined) {
      s = { sessionId: e.sessionId, start: e.timestamp, end: e.timestamp, events: 0, calls: [], runs: [], alerts: [], agents: [], agentNames: new Map(), parentOf: new Map() };
      sessions.set(e.sessionId, s);
    }
    return s;
  };
  const touchAgent = (s: SessionModel, agentId: string) => {
    if (!s.agentNames.has(agentId) && !s.agents.includes(agentId)) s.agents.push(agentId);
  };
  const pushCall = (s: SessionModel, bar: CallBar) => {
    calls.push(bar);
    s.calls.push(bar);
    if (bar.start < s.start) s.start = bar.start;
  };

  for (const e of events) {
    byId.set(e.id, e);
    bySource.set(e.source, (bySource.get(e.source) ?? 0) + 1);
    byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    if (e.timestamp < first) first = e.timestamp;
    if (e.timestamp > last) last = e.timestamp;
    const s = sessionOf(e);
    s.events++;
    // An insight about the session, emitted when the analysis ran, does not stretch its timeline (as in
    // the sessions analyzer and `trace`).
    if (!isDerivedEvent(e)) {
      if (e.timestamp < s.start) s.start = e.timestamp;
      if (e.timestamp > s.end) s.end = e.timestamp;
    }
    const p = e.payload as Record<string, unknown>;
    switch (e.type) {
      case 'session.start':
        sessionsWithStart.add(e.sessionId);
        break;
      case 'tool.start': {
        touchAgent(s, e.agentId);
        openTools.set(toolKey(e, str(p.toolCallId)), e);
        break;
      }
      case 'tool.end': {
        touchAgent(s, e.agentId);
        const key = toolKey(e, str(p.toolCallId));
        const started = openTools.get(key);
        if (started !== undefined) openTools.delete(key);
        const duration = num(p.durationMs);
        const start = duration !== undefined ? e.timestamp - duration : started?.timestamp ?? e.timestamp;
        const status = p.status === 'error' ? 'error' : p.status === 'blocked' ? 'blocked' : 'success';
        pushCall(s, { event: e, kind: 'tool', name: String(p.toolName), status, start, end: e.timestamp, agentId: e.agentId, sessionId: e.sessionId, durationMs: duration, error: str(p.error) });
        break;
      }
      case 'llm.call': {
        touchAgent(s, e.agentId);
        const latency = num(p.latencyMs);
        const start = latency !== undefined ? e.timestamp - latency : e.timestamp;
        pushCall(s, { event: e, kind: 'llm', name: String(p.model), status: p.status === 'error' ? 'error' : 'success', start, end: e.timestamp, agentId: e.agentId, sessionId: e.sessionId, durationMs: latency, error: str(p.error) });
        break;
      }
      case 'agent.start': {
        agentsWithRuns.add(e.agentId);
        s.agentNames.set(e.agentId, String(p.name));
        if (!s.agents.includes(e.agentId)) s.agents.push(e.agentId);
        const parent = str(p.parentAgentId);
        if (parent !== undefined && parent !== e.agentId) s.parentOf.set(e.agentId, parent);
        const run: AgentRun = { key: runKey(e), agentId: e.agentId, name: String(p.name), parentAgentId: parent, start: e.timestamp, status: 'running', startEvent: e };
        openRuns.set(run.key, run);
        s.runs.push(run);
        break;
      }
      case 'agent.end': {
        agentsWithRuns.add(e.agentId);
        if (!s.agentNames.has(e.agentId)) s.agentNames.set(e.agentId, String(p.name));
        if (!s.agents.includes(e.agentId)) s.agents.push(e.agentId);
        const parent = str(p.parentAgentId);
        if (parent !== undefined && parent !== e.agentId && !s.parentOf.has(e.agentId)) s.parentOf.set(e.agentId, parent);
        const key = runKey(e);
        let run = openRuns.get(key);
        if (run === undefined) {
          // An end whose start was not stored: placed by its duration when it has one.
          const d = num(p.durationMs);
          run = { key, agentId: e.agentId, name: String(p.name), parentAgentId: parent, start: d !== undefined ? e.timestamp - d : e.timestamp, status: 'running' };
          s.runs.push(run);
          if (run.start < s.start) s.start = run.start;
        } else openRuns.delete(key);
        run.end = e.timestamp;
        run.endEvent = e;
        run.status = p.status === 'error' ? 'error' : p.status === 'cancelled' ? 'cancelled' : 'success';
        break;
      }
      case 'alert':
        alerts.push(e);
        s.alerts.push(e);
        break;
      default:
        break;
    }
  }
  // Tool calls that started and never ended: drawn to the end of their session.
  for (const e of openTools.values()) {
    const s = sessions.get(e.sessionId)!;
    const p = e.payload as Record<string, unknown>;
    pushCall(s, { event: e, kind: 'tool', name: String(p.toolName), status: 'unfinished', start: e.timestamp, end: Math.max(e.timestamp, s.end), agentId: e.agentId, sessionId: e.sessionId, durationMs: undefined });
  }
  // A session holding only derived events (insights and anomalies put on the bus by analyzers,
  // under the observer's own session) is no session of the host's: not drawn, not counted.
  const list = [...sessions.values()]
    .filter((s) => s.calls.length > 0 || s.runs.length > 0 || s.alerts.length > 0 || sessionsWithStart.has(s.sessionId))
    .sort((a, b) => b.start - a.start);
  return {
    events, byId, sessions: list, calls, alerts, first: Number.isFinite(first) ? first : 0, last: Number.isFinite(last) ? last : 0,
    bySource, byType, agentsWithRuns, sessionsWithStart,
  };
}

function toolKey(e: FleetEvent, toolCallId: string | undefined): string {
  return `${e.sessionId}\u0000${toolCallId ?? e.spanId ?? e.agentId}`;
}

function runKey(e: FleetEvent): string {
  return `${e.sessionId}\u0000${e.spanId ?? e.agentId}`;
}

/** Merged busy intervals of `bars` (sorted by start), for idle gaps. */
export function busyIntervals(bars: readonly { start: number; end: number }[]): [number, number][] {
  const sorted = [...bars].sort((a, b) => a.start - b.start);
  const out: [number, number][] = [];
  for (const b of sorted) {
    const lastOne = out[out.length - 1];
    if (lastOne !== undefined && b.start <= lastOne[1]) lastOne[1] = Math.max(lastOne[1], b.end);
    else out.push([b.start, b.end]);
  }
  return out;
}
