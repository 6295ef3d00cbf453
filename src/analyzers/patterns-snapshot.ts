/**
 * The snapshot side of the `patterns` analyzer: the records it keeps per operation, error message
 * and tool call, and how they become the reported lists (recurring failures, repeated errors,
 * retry loops, repeated calls, long sessions against the median of their peers) and the findings.
 * It runs at snapshot time only; the per-event counting and the caps are in `patterns.ts`.
 */
import { median } from './stats-math.js';
import type { Finding, FindingSeverity } from './types.js';

export interface RecurringFailure {
  operation: string;
  attempts: number;
  failures: number;
  failureRate: number;
  lastError?: string;
}

export interface RepeatedError {
  /** Normalized message: numbers → `<n>`, hex ids and UUIDs → `<id>`. */
  message: string;
  example: string;
  count: number;
  operations: string[];
  firstSeen: number;
  lastSeen: number;
}

export interface RepeatedCall {
  sessionId: string;
  toolName: string;
  /** Identical calls seen. */
  calls: number;
  failures: number;
  /** Identical calls made right after that call failed. */
  retries: number;
  firstSeen: number;
  lastSeen: number;
}

export interface LongSession {
  sessionId: string;
  durationMs: number;
  medianMs: number;
  /** durationMs / medianMs. */
  ratio: number;
  /** Prompts a person typed in it (`message` role user, kind prompt): an interactive session when > 0. */
  prompts?: number;
}

export interface PatternsSnapshot {
  recurringFailures: RecurringFailure[];
  repeatedErrors: RepeatedError[];
  retryLoops: RepeatedCall[];
  repeatedCalls: RepeatedCall[];
  longSessions: LongSession[];
  /** Completed sessions in the peer comparison and their median duration. */
  sessions: { completed: number; medianMs: number };
  /** Entries forgotten because a cap was reached. */
  evicted: { operations: number; messages: number; sessions: number; calls: number };
  findings: Finding[];
}

/** Attempts and failures of one operation. */
export interface OperationState {
  /** `tool:<name>`, `agent:<name>` or `llm:<model>`, built once. */
  operation: string;
  attempts: number;
  failures: number;
  lastError?: string;
}

/** One distinct tool call (tool and input) in one session. */
export interface CallState {
  key: number;
  sessionId: string;
  toolName: string;
  calls: number;
  failures: number;
  retries: number;
  lastFailed: boolean;
  firstSeen: number;
  lastSeen: number;
  flagged: boolean;
}

/** One normalized error message. */
export interface MessageState {
  example: string;
  count: number;
  operations: string[];
  firstSeen: number;
  lastSeen: number;
}

/** A completed session, for the peer comparison. */
export interface CompletedSession {
  sessionId: string;
  durationMs: number;
  /** Prompts a person typed in it, when any. */
  prompts?: number;
}

/** What the snapshot reads of the analyzer's state. */
export interface PatternsState {
  /** In first-seen order. */
  operations: readonly OperationState[];
  /** Least recently seen first. */
  messages: ReadonlyMap<string, MessageState>;
  /** Calls that reached `repeatedCalls` or `retries`, in that order. */
  flagged: readonly CallState[];
  history: readonly CompletedSession[];
  evicted: PatternsSnapshot['evicted'];
}

/** The reporting settings of `PatternsOptions`, defaults filled in. */
export interface PatternLimits {
  minAttempts: number;
  failureRate: number;
  minRepeats: number;
  repeatedCalls: number;
  retries: number;
  longSessionFactor: number;
  minSessions: number;
  maxReported: number;
}

/** The reported lists, each sorted and cut to `maxReported`, and their findings. */
export function patternsSnapshot(state: PatternsState, limits: PatternLimits): PatternsSnapshot {
  const { operations, messages, flagged, history, evicted } = state;
  const { minAttempts, failureRate, minRepeats, repeatedCalls, retries, longSessionFactor: longFactor, minSessions, maxReported } = limits;
  const findings: Finding[] = [];
  const recurringFailures: RecurringFailure[] = [];
  for (const op of operations) {
    if (op.attempts < minAttempts || op.failures / op.attempts < failureRate) continue;
    const entry: RecurringFailure = {
      operation: op.operation,
      attempts: op.attempts,
      failures: op.failures,
      failureRate: Math.round((op.failures / op.attempts) * 1000) / 1000,
    };
    if (op.lastError !== undefined) entry.lastError = op.lastError;
    recurringFailures.push(entry);
  }
  recurringFailures.sort((a, b) => b.failures - a.failures).splice(maxReported);
  for (const r of recurringFailures) {
    const severity: FindingSeverity = r.failureRate >= 0.9 ? 'high' : 'medium';
    findings.push({
      analyzer: 'patterns',
      kind: 'pattern.recurring_failure',
      severity,
      title: `${r.operation} failed ${r.failures} of ${r.attempts} attempts (${Math.round(r.failureRate * 100)}%)`,
      location: { operation: r.operation, ...locationOf(r.operation) },
      evidence: { attempts: r.attempts, failures: r.failures, failureRate: r.failureRate, lastError: r.lastError ?? null },
    });
  }

  const repeatedErrors: RepeatedError[] = [];
  for (const [text, m] of messages) {
    if (m.count >= minRepeats) repeatedErrors.push({ message: text, ...m, operations: [...m.operations] });
  }
  repeatedErrors.sort((a, b) => b.count - a.count).splice(maxReported);
  for (const e of repeatedErrors) {
    findings.push({
      analyzer: 'patterns',
      kind: 'pattern.repeated_error',
      severity: e.count >= 10 ? 'medium' : 'low',
      title: `The same error occurred ${e.count} times: ${e.message.slice(0, 120)}`,
      location: e.operations.length === 1 ? { operation: e.operations[0]!, ...locationOf(e.operations[0]!) } : {},
      evidence: { count: e.count, message: e.message, operations: e.operations.join(', ') },
      firstSeen: e.firstSeen,
      lastSeen: e.lastSeen,
    });
  }

  const retryLoops: RepeatedCall[] = [];
  const repeated: RepeatedCall[] = [];
  for (const c of flagged) {
    const entry: RepeatedCall = {
      sessionId: c.sessionId,
      toolName: c.toolName,
      calls: c.calls,
      failures: c.failures,
      retries: c.retries,
      firstSeen: c.firstSeen,
      lastSeen: c.lastSeen,
    };
    if (c.retries >= retries) retryLoops.push(entry);
    else if (c.calls >= repeatedCalls) repeated.push(entry);
  }
  for (const [list, kind] of [
    [retryLoops, 'pattern.retry_loop'],
    [repeated, 'pattern.repeated_call'],
  ] as const) {
    list.sort((a, b) => b.calls - a.calls).splice(maxReported);
    for (const c of list) {
      findings.push({
        analyzer: 'patterns',
        kind,
        severity: kind === 'pattern.retry_loop' ? 'medium' : 'low',
        title:
          kind === 'pattern.retry_loop'
            ? `${c.toolName} was retried ${c.retries} times with the same input after failing (session ${c.sessionId})`
            : `${c.toolName} was called ${c.calls} times with the same input (session ${c.sessionId})`,
        location: { sessionId: c.sessionId, toolName: c.toolName, operation: `tool:${c.toolName}` },
        evidence: { calls: c.calls, failures: c.failures, retries: c.retries },
        firstSeen: c.firstSeen,
        lastSeen: c.lastSeen,
      });
    }
  }

  const durations = history.map((h) => h.durationMs);
  const medianMs = median(durations);
  const longSessions: LongSession[] = [];
  if (history.length >= minSessions && medianMs > 0) {
    for (const h of history) {
      if (h.durationMs > longFactor * medianMs) {
        longSessions.push({ sessionId: h.sessionId, durationMs: h.durationMs, medianMs, ratio: Math.round((h.durationMs / medianMs) * 100) / 100, ...(h.prompts !== undefined ? { prompts: h.prompts } : {}) });
      }
    }
  }
  longSessions.sort((a, b) => b.durationMs - a.durationMs).splice(maxReported);
  for (const l of longSessions) {
    findings.push({
      analyzer: 'patterns',
      kind: 'pattern.long_session',
      severity: l.ratio >= 10 ? 'medium' : 'low',
      title: `Session ${l.sessionId} took ${l.ratio}× the median session (${Math.round(l.durationMs)} ms vs ${Math.round(medianMs)} ms)`,
      location: { sessionId: l.sessionId },
      evidence: { durationMs: l.durationMs, medianMs, ratio: l.ratio, ...(l.prompts !== undefined ? { prompts: l.prompts, interactive: true } : {}) },
    });
  }
  return {
    recurringFailures,
    repeatedErrors,
    retryLoops,
    repeatedCalls: repeated,
    longSessions,
    sessions: { completed: history.length, medianMs },
    evicted: { ...evicted },
    findings,
  };
}

function locationOf(operation: string): { toolName?: string; agentId?: string; model?: string } {
  const i = operation.indexOf(':');
  const family = operation.slice(0, i);
  const name = operation.slice(i + 1);
  return family === 'tool' ? { toolName: name } : family === 'agent' ? { agentId: name } : family === 'llm' ? { model: name } : {};
}
