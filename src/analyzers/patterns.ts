/**
 * `patterns`: recurring failures (an operation failing at least half of at least N attempts),
 * error messages that repeat once numbers and ids are normalized away, retry loops and repeated
 * identical tool calls within a session (input hashed as fast-json-stable-stringify writes it,
 * see `stable-hash.ts`; only tool events that carry an input are hashed), and sessions much
 * longer than their peers. Every map is capped. Per event: no string is built (operations are
 * looked up by the payload's own name in one map per kind) and error messages are normalized
 * only for failed calls. The reported lists and the findings are built in `patterns-snapshot.ts`.
 * See `docs/analyzers-stats.md`.
 */
import type { Analyzer, AnalyzerContext, EventOf, FleetEvent } from '../core/index.js';
import { eachEvent } from './define.js';
import { patternsSnapshot, type CallState, type CompletedSession, type MessageState, type OperationState, type PatternLimits, type PatternsSnapshot } from './patterns-snapshot.js';
import { stableHash } from './stable-hash.js';

export type { LongSession, PatternsSnapshot, RecurringFailure, RepeatedCall, RepeatedError } from './patterns-snapshot.js';

export interface PatternsOptions {
  /** Attempts an operation needs before its failure rate counts. Default 5. */
  minAttempts?: number;
  /** Failure rate (errors / attempts) from which failures are "recurring". Default 0.5. */
  failureRate?: number;
  /** Occurrences of one normalized error message that make it "repeating". Default 3. */
  minRepeats?: number;
  /** Identical calls (same tool, same input, same session) that make a "repeated call". Default 3. */
  repeatedCalls?: number;
  /** Identical calls made right after that same call failed that make a "retry loop". Default 2. */
  retries?: number;
  /** A session is "long" when it lasts more than this many times the median session. Default 3. */
  longSessionFactor?: number;
  /** Completed sessions needed before sessions are compared. Default 5. */
  minSessions?: number;
  /** Operations tracked for failure rates. Default 1000. */
  maxOperations?: number;
  /** Distinct normalized error messages kept (least recently seen evicted). Default 500. */
  maxMessages?: number;
  /** Sessions whose tool calls are tracked (least recently active evicted). Default 1000. */
  maxSessions?: number;
  /** Distinct tool calls tracked per session. Default 500. */
  maxCallsPerSession?: number;
  /**
   * Distinct tool calls tracked over all sessions together (~210 bytes each): at the cap, the least
   * recently active session is forgotten to make room. Default 50,000 (10.5 MB measured; without
   * it, `maxSessions` × `maxCallsPerSession` allowed 500,000: 98.5 MB).
   */
  maxCalls?: number;
  /** Completed session durations kept for the peer comparison (most recent). Default 1000. */
  sessionHistory?: number;
  /** Entries in each reported list. Default 50. */
  maxReported?: number;
}

interface SessionCalls {
  /**
   * Tool calls by the low 30 bits of their key `stableHash(toolName + NUL, input)`: small
   * integer keys are compared in place, where a 53-bit key is a boxed number to follow.
   */
  calls: Map<number, CallState>;
  /** Calls whose low 30 bits are taken by another call, by full key (rarely created). */
  collisions?: Map<number, CallState>;
  /** `touches` when the session was last moved to the end of the recency order. */
  movedAt: number;
}

const MAX_MESSAGE_CHARS = 300;
/** Raw message heads whose normalized form is remembered (≈ 0.3 MB at most). */
const NORMALIZED_KEPT = 512;

/** Normalizes an error message so that messages differing only by numbers or ids group together. */
export function normalizeMessage(message: string): string {
  return message
    .slice(0, MAX_MESSAGE_CHARS)
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
    .replace(/\b(?:0x)?[0-9a-f]*\d[0-9a-f]*\b/gi, (m) => (m.length >= 8 && /[a-f]/i.test(m) ? '<id>' : m))
    .replace(/\d+(?:\.\d+)?/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

function fail(message: string): never {
  throw new Error(`[fleetscope] [patterns] ${message}`);
}

export function patternsAnalyzer(options: PatternsOptions = {}): Analyzer<PatternsSnapshot> {
  const minAttempts = options.minAttempts ?? 5;
  const failureRate = options.failureRate ?? 0.5;
  const minRepeats = options.minRepeats ?? 3;
  const repeatedCalls = options.repeatedCalls ?? 3;
  const retries = options.retries ?? 2;
  const longFactor = options.longSessionFactor ?? 3;
  const minSessions = options.minSessions ?? 5;
  const maxOperations = options.maxOperations ?? 1000;
  const maxMessages = options.maxMessages ?? 500;
  const maxSessions = options.maxSessions ?? 1000;
  const maxCalls = options.maxCallsPerSession ?? 500;
  const maxTotalCalls = options.maxCalls ?? 50_000;
  const historySize = options.sessionHistory ?? 1000;
  const maxReported = options.maxReported ?? 50;
  if (!(minAttempts >= 1)) fail('minAttempts must be ≥ 1');
  if (!(failureRate > 0 && failureRate <= 1)) fail('failureRate must be in (0, 1]');
  if (!(longFactor > 1)) fail('longSessionFactor must be > 1');
  if (!(maxTotalCalls >= 1)) fail('maxCalls must be ≥ 1');

  // Operations by kind, keyed by the payload's own name; `operations` keeps first-seen order.
  const toolOps = new Map<string, OperationState>();
  const agentOps = new Map<string, OperationState>();
  const llmOps = new Map<string, OperationState>();
  const operations: OperationState[] = [];
  const messages = new Map<string, MessageState>();
  const sessions = new Map<string, SessionCalls>();
  // Recency of sessions: a session is moved to the end of `sessions` only when more than
  // maxSessions / 2 touches happened since its last move, so eviction (the first entry) takes a
  // session idle for at least that many touches: least recently active, to within half the cap.
  let touches = 0;
  const moveAfter = Math.max(1, Math.floor(maxSessions / 2));
  // The last session a tool call was counted in: a session's calls tend to come in bursts.
  let lastSessionId: string | undefined;
  let lastSession: SessionCalls | undefined;
  /** Calls held by every session in `sessions` together (at most maxTotalCalls). */
  let trackedCalls = 0;
  /** Tool call keys of open tool.start events, by spanId. */
  const pendingStarts = new Map<string, number>();
  const sessionStarts = new Map<string, number>();
  const flagged: CallState[] = [];
  const history: CompletedSession[] = [];
  let historyNext = 0;
  const evicted = { operations: 0, messages: 0, sessions: 0, calls: 0 };

  const outcome = (map: Map<string, OperationState>, prefix: string, name: string, status: string, error: string | undefined, t: number) => {
    let op = map.get(name);
    if (op === undefined) {
      if (operations.length >= maxOperations) {
        evicted.operations++;
        return;
      }
      op = { operation: prefix + name, attempts: 0, failures: 0 };
      map.set(name, op);
      operations.push(op);
    }
    if (status === 'success') op.attempts++;
    else if (status === 'error') {
      op.attempts++;
      op.failures++;
      if (error !== undefined) op.lastError = error.slice(0, MAX_MESSAGE_CHARS);
      if (error !== undefined && error !== '') message(error, op.operation, t);
    }
  };

  const message = (text: string, operation: string, t: number) => {
    const key = normalized(text);
    let state = messages.get(key);
    if (state === undefined) {
      if (messages.size >= maxMessages) {
        const oldest = messages.keys().next().value;
        if (oldest !== undefined) messages.delete(oldest);
        evicted.messages++;
      }
      state = { example: text.slice(0, MAX_MESSAGE_CHARS), count: 0, operations: [], firstSeen: t, lastSeen: t };
    } else {
      messages.delete(key);
    }
    // Re-inserted so that map order is least recently seen first.
    messages.set(key, state);
    state.count++;
    state.lastSeen = Math.max(state.lastSeen, t);
    if (state.operations.length < 5 && !state.operations.includes(operation)) state.operations.push(operation);
  };

  /**
   * `normalizeMessage` of the messages seen recently, by their first MAX_MESSAGE_CHARS characters (all
   * that it reads): a tool failing again fails with the same text, and the four regular expressions
   * cost ≈ 6 µs on a 300-character message against a map lookup (5,679 failed calls with one text on
   * the generated transcripts; 170 failures with 101 texts on a real corpus). Cleared when full.
   */
  const normalizedByText = new Map<string, string>();
  const normalized = (text: string): string => {
    const head = text.length > MAX_MESSAGE_CHARS ? text.slice(0, MAX_MESSAGE_CHARS) : text;
    let key = normalizedByText.get(head);
    if (key === undefined) {
      if (normalizedByText.size >= NORMALIZED_KEPT) normalizedByText.clear();
      key = normalizeMessage(head);
      normalizedByText.set(head, key);
    }
    return key;
  };

  /** Identity of a tool call: tool name and input (53-bit hash; key order of the input ignored). */
  const callKey = (toolName: string, input: unknown): number => stableHash(toolName + '\u0000', input);

  /** Forgets the least recently active session (the first of `sessions`) and its calls. */
  const dropOldestSession = () => {
    const [oldest, state] = sessions.entries().next().value ?? [];
    if (oldest === undefined || state === undefined) return;
    sessions.delete(oldest);
    trackedCalls -= state.calls.size + (state.collisions?.size ?? 0);
    if (oldest === lastSessionId) lastSessionId = lastSession = undefined;
    evicted.sessions++;
  };

  const toolCall = (sessionId: string, toolName: string, key: number, failed: boolean, t: number) => {
    touches++;
    let session = sessionId === lastSessionId ? lastSession : sessions.get(sessionId);
    if (session === undefined) {
      if (sessions.size >= maxSessions) dropOldestSession();
      session = { calls: new Map(), movedAt: touches };
      sessions.set(sessionId, session);
    } else if (touches - session.movedAt > moveAfter) {
      sessions.delete(sessionId);
      sessions.set(sessionId, session);
      session.movedAt = touches;
    }
    lastSessionId = sessionId;
    lastSession = session;
    const calls = session.calls;
    const slot = (key >>> 0) & 0x3fffffff;
    let call = calls.get(slot);
    if (call !== undefined && call.key !== key) call = session.collisions?.get(key);
    if (call === undefined) {
      if (trackedCalls >= maxTotalCalls && sessions.keys().next().value !== sessionId) dropOldestSession();
      if (calls.size + (session.collisions?.size ?? 0) >= maxCalls || trackedCalls >= maxTotalCalls) {
        evicted.calls++;
        return;
      }
      trackedCalls++;
      call = { key, sessionId, toolName, calls: 0, failures: 0, retries: 0, lastFailed: false, firstSeen: t, lastSeen: t, flagged: false };
      if (calls.has(slot)) (session.collisions ??= new Map()).set(key, call);
      else calls.set(slot, call);
    }
    call.calls++;
    if (call.lastFailed) call.retries++;
    call.lastFailed = failed;
    if (failed) call.failures++;
    call.lastSeen = Math.max(call.lastSeen, t);
    if (!call.flagged && (call.calls >= repeatedCalls || call.retries >= retries) && flagged.length < maxReported * 4) {
      call.flagged = true;
      flagged.push(call);
    }
  };

  /** Prompts a person typed, per open session (an interactive session is judged as one). */
  const promptsBySession = new Map<string, number>();
  const promptTyped = (sessionId: string) => {
    if (!promptsBySession.has(sessionId) && promptsBySession.size >= 10_000) promptsBySession.delete(promptsBySession.keys().next().value!);
    promptsBySession.set(sessionId, (promptsBySession.get(sessionId) ?? 0) + 1);
  };

  const sessionEnded = (sessionId: string, durationMs: number) => {
    const prompts = promptsBySession.get(sessionId);
    promptsBySession.delete(sessionId);
    const entry = { sessionId, durationMs, ...(prompts !== undefined ? { prompts } : {}) };
    if (history.length < historySize) history.push(entry);
    else history[historyNext] = entry;
    historyNext = (historyNext + 1) % historySize;
  };

  const processEvent = (event: FleetEvent) => {
    const t = event.timestamp;
    switch (event.type) {
      case 'tool.start': {
        const p = (event as EventOf<'tool.start'>).payload;
        const input = p.input;
        const spanId = event.spanId;
        if (input !== undefined && spanId !== undefined) {
          if (pendingStarts.size >= 10_000) {
            const oldest = pendingStarts.keys().next().value;
            if (oldest !== undefined) pendingStarts.delete(oldest);
          }
          pendingStarts.set(spanId, callKey(p.toolName, input));
        }
        break;
      }
      case 'tool.end': {
        const p = (event as EventOf<'tool.end'>).payload;
        const toolName = p.toolName;
        const status = p.status;
        outcome(toolOps, 'tool:', toolName, status, p.error, t);
        const spanId = event.spanId;
        let key = spanId === undefined ? undefined : pendingStarts.get(spanId);
        if (key !== undefined) pendingStarts.delete(spanId!);
        else if (p.input !== undefined) key = callKey(toolName, p.input);
        // A call a guardrail or the user blocked did not fail: calling it again is no retry loop to back off
        // from (the loop's advice), as `outcome` does not count it a failure either.
        if (key !== undefined) toolCall(event.sessionId, toolName, key, status === 'error', t);
        break;
      }
      case 'agent.end': {
        const p = (event as EventOf<'agent.end'>).payload;
        outcome(agentOps, 'agent:', p.name, p.status, p.error, t);
        break;
      }
      case 'llm.call': {
        const p = (event as EventOf<'llm.call'>).payload;
        outcome(llmOps, 'llm:', p.model, p.status, p.error, t);
        break;
      }
      case 'message': {
        const p = (event as EventOf<'message'>).payload;
        if (p.role === 'user' && p.kind === 'prompt') promptTyped(event.sessionId);
        break;
      }
      case 'session.start':
        if (sessionStarts.size >= 10_000) {
          const oldest = sessionStarts.keys().next().value;
          if (oldest !== undefined) sessionStarts.delete(oldest);
        }
        sessionStarts.set(event.sessionId, t);
        break;
      case 'session.end': {
        const p = (event as EventOf<'session.end'>).payload;
        const start = sessionStarts.get(event.sessionId);
        sessionStarts.delete(event.sessionId);
        const duration = p.durationMs ?? (start === undefined ? undefined : t - start);
        if (duration !== undefined && duration >= 0) sessionEnded(event.sessionId, duration);
        break;
      }
      default:
        break;
    }
  };

  const limits: PatternLimits = { minAttempts, failureRate, minRepeats, repeatedCalls, retries, longSessionFactor: longFactor, minSessions, maxReported };
  const snapshot = (): PatternsSnapshot => patternsSnapshot({ operations, messages, flagged, history, evicted }, limits);

  return {
    name: 'patterns',
    filter: { types: ['tool.start', 'tool.end', 'agent.end', 'llm.call', 'message', 'session.start', 'session.end'] },
    async consume(stream, context: AnalyzerContext) {
      for await (const batch of stream) {
        eachEvent(batch, processEvent, context);
      }
    },
    snapshot,
  };
}
