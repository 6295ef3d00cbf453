/**
 * One `llm.call` per Claude Code API response, with its final figures, for the transcripts runner.
 *
 * Claude Code writes one transcript line per content block while a response streams, all with the
 * response's `message.id` and `requestId`, and `output_tokens` grows across these copies (on the
 * real corpus 551 of 2,149 responses differ; no other usage field ever does). A line that starts a
 * response cannot say how many copies follow, so the response is held back and emitted once, with
 * the largest `output_tokens`, when one of these shows it is complete:
 * - the same agent of the same session writes a line of another response (an agent makes one
 *   request at a time; its tool results may come between the copies of one response, so a user line
 *   proves nothing);
 * - a whole poll read nothing new for it (the file went quiet: `releaseQuiet`);
 * - its session ends, or the runner stops or is told to `flush` (a one-shot read at its end).
 *
 * Claude Code 2.x also echoes each subagent message into the parent transcript (`agent_progress`).
 * An echo merges into the subagent's own copy (its larger `output_tokens` counts); a response known
 * only from echoes (the subagent's file is missing) is emitted when its session ends or on `flush`,
 * attributed to the subagent. These are `fleetscope usage`'s rules (`claude-code-usage.ts`), so the
 * runner's tokens and cost equal its totals. A copy read after its response was emitted (a file read
 * later that repeats it) only counts as a duplicate.
 *
 * Cost: the line's `costUSD` when it has one, else the offline price table with 1-hour cache writes
 * (`cache_creation.ephemeral_1h_input_tokens`, also given as `cacheWrite1hTokens`) at 2x input.
 */
import { newSpanId, RecentMap } from '../core/index.js';
import type { EventInput } from '../core/index.js';
import { costWith1hCache, priceOf, type UsageEntry } from './claude-code-transcript.js';

/** Where a response's `llm.call` belongs. */
export interface CallScope {
  source: string;
  sessionId: string;
  agentId: string;
  traceId: string;
  parentSpanId: string;
}

interface HeldCall {
  key: string;
  scope: CallScope;
  /** The copy whose figures count (an own copy over an echo), with the largest output in `output`. */
  entry: UsageEntry;
  output: number;
  /** Time of the copy with the largest output (as `fleetscope usage` dates a response). */
  timestamp: number;
  apiError: boolean;
  /** Known only from `agent_progress` echoes so far. */
  echo: boolean;
  /** A copy arrived since the last `releaseQuiet`. */
  fresh: boolean;
}

function count(value: number): number | undefined {
  return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
}

/** The `llm.call` of one response (`output` is the largest `output_tokens` over its copies). */
function callEvent(entry: UsageEntry, output: number, timestamp: number, apiError: boolean, scope: CallScope): EventInput {
  const model = entry.model;
  const priced = entry.costUSD !== undefined || (model !== undefined && priceOf(model) !== undefined);
  const tokens = { input_tokens: entry.inputTokens, output_tokens: output, cache_creation_input_tokens: entry.cacheCreationTokens, cache_read_input_tokens: entry.cacheReadTokens };
  const cost = entry.costUSD ?? (model === undefined ? 0 : costWith1hCache(tokens, entry.cacheWrite1hTokens, model, entry.fast));
  const input = count(entry.inputTokens);
  const out = count(output);
  const cacheRead = count(entry.cacheReadTokens);
  const cacheWrite = count(entry.cacheCreationTokens);
  const write1h = count(entry.cacheWrite1hTokens);
  // Optional keys added one by one, in the order spreads gave them: a literal with spreads costs
  // several times more to build.
  const payload: Record<string, unknown> = { provider: 'anthropic', model: entry.displayModel ?? 'unknown' };
  if (input !== undefined) payload.inputTokens = input;
  if (out !== undefined) payload.outputTokens = out;
  if (cacheRead !== undefined) payload.cacheReadTokens = cacheRead;
  if (cacheWrite !== undefined) payload.cacheWriteTokens = cacheWrite;
  if (write1h !== undefined && write1h > 0) payload.cacheWrite1hTokens = write1h;
  if (priced && cost >= 0) payload.costUsd = cost;
  payload.status = apiError ? 'error' : 'success';
  if (entry.requestId !== undefined) payload.requestId = entry.requestId;
  if (entry.messageId !== undefined) payload.responseId = entry.messageId;
  return {
    type: 'llm.call',
    timestamp,
    source: scope.source,
    sessionId: scope.sessionId,
    agentId: scope.agentId,
    traceId: scope.traceId,
    spanId: newSpanId(),
    parentSpanId: scope.parentSpanId,
    payload,
  };
}

export class StreamedCalls {
  /** Responses waiting for their last copy, by `message.id:requestId`. */
  private readonly held = new Map<string, HeldCall>();
  /** The response each agent is streaming, by session then agent (no key string built per line). */
  private readonly streaming = new Map<string, Map<string, string>>();
  /** Responses already emitted (the newest `maxTracked`). */
  private readonly emitted: RecentMap<string, true>;

  constructor(
    private readonly maxTracked: number,
    private readonly counters: { duplicates: number; llmCalls: number },
  ) {
    this.emitted = new RecentMap(maxTracked);
  }

  /** Responses held back now. */
  get size(): number {
    return this.held.size;
  }

  /** A copy of a response from the agent's own transcript line. */
  own(entry: UsageEntry, timestamp: number, apiError: boolean, scope: CallScope, out: EventInput[]): void {
    const previous = this.streaming.get(scope.sessionId)?.get(scope.agentId);
    if (previous !== undefined && previous !== entry.dedupeKey) this.release(previous, out);
    const key = this.take(entry, timestamp, apiError, scope, false, out);
    if (key === undefined) return;
    // Looked up again: a release above may have dropped the session's map.
    let agents = this.streaming.get(scope.sessionId);
    if (agents === undefined) this.streaming.set(scope.sessionId, (agents = new Map()));
    agents.set(scope.agentId, key);
  }

  /** An `agent_progress` echo of a subagent's response in its parent's transcript. */
  echo(entry: UsageEntry, timestamp: number, scope: CallScope, out: EventInput[]): void {
    this.take(entry, timestamp, false, scope, true, out);
  }

  /**
   * Holds a copy back as a new response or merges it into the one held; returns the response's key
   * when it is held. A copy without an id is a response of its own (nothing can match it): emitted.
   */
  private take(entry: UsageEntry, timestamp: number, apiError: boolean, scope: CallScope, echo: boolean, out: EventInput[]): string | undefined {
    const key = entry.dedupeKey;
    if (key === undefined) {
      this.emit(callEvent(entry, entry.outputTokens, timestamp, apiError, scope), out);
      return undefined;
    }
    if (this.emitted.has(key)) {
      this.counters.duplicates++;
      return undefined;
    }
    const held = this.held.get(key);
    if (held === undefined) {
      this.hold({ key, scope, entry, output: entry.outputTokens, timestamp, apiError, echo, fresh: true }, out);
      return key;
    }
    this.counters.duplicates++;
    // A subagent's own copy counts over an echo (its agent and figures), with the largest output of all.
    if (held.echo && !echo) Object.assign(held, { scope, entry, apiError, echo: false });
    this.merge(held, entry.outputTokens, timestamp);
    return key;
  }

  /**
   * Emits the responses no copy came for since the previous call (call it once per poll that read
   * every file to its end). Echo-only responses wait for their session's end.
   */
  releaseQuiet(out: EventInput[]): void {
    for (const held of [...this.held.values()]) {
      if (held.echo) continue;
      if (held.fresh) held.fresh = false;
      else this.release(held.key, out);
    }
  }

  /** Emits every response of a session (it ended). */
  releaseSession(sessionId: string, out: EventInput[]): void {
    for (const held of [...this.held.values()]) if (held.scope.sessionId === sessionId) this.release(held.key, out);
  }

  /** Emits every response held back. */
  releaseAll(out: EventInput[]): void {
    for (const key of [...this.held.keys()]) this.release(key, out);
  }

  private hold(call: HeldCall, out: EventInput[]): void {
    this.held.set(call.key, call);
    // Bounded: the oldest response goes out as it stands.
    if (this.held.size > this.maxTracked) this.release(this.held.keys().next().value as string, out);
  }

  private merge(held: HeldCall, output: number, timestamp: number): void {
    held.fresh = true;
    if (output > held.output) {
      held.output = output;
      held.timestamp = timestamp;
    }
  }

  private release(key: string, out: EventInput[]): void {
    const held = this.held.get(key);
    if (held === undefined) return;
    this.held.delete(key);
    const agents = this.streaming.get(held.scope.sessionId);
    if (agents?.get(held.scope.agentId) === key) {
      agents.delete(held.scope.agentId);
      if (agents.size === 0) this.streaming.delete(held.scope.sessionId);
    }
    this.emitted.set(key, true);
    this.emit(callEvent(held.entry, held.output, held.timestamp, held.apiError, held.scope), out);
  }

  private emit(event: EventInput, out: EventInput[]): void {
    this.counters.llmCalls++;
    out.push(event);
  }
}
