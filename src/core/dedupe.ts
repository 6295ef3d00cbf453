/**
 * One call reported by several sources counts once. Claude Code, for one, can feed an observer
 * three ways at the same time (its hooks, its transcripts, its OpenTelemetry export), and each
 * reports the same tool call and the same model request. `dedupeKey` names an event by what its
 * sources share — the tool call id, the provider's request id, the session or subagent span — and
 * `SourceDedupe` lets the first source that reported a key keep it: the same key from another
 * source is a duplicate, the same key again from that source is not (a resumed session's second
 * `session.start` is news). The observer applies it to its runners (`ObserverOptions.dedupe`), the
 * command line to the sources it merges.
 */
import type { EventInput, FleetEvent } from './events.js';
import { traceIdFrom } from './ids.js';

type Keyed = Pick<EventInput, 'type' | 'sessionId' | 'spanId'> & { payload?: unknown };

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The key under which two sources may report the same occurrence; undefined: never a duplicate.
 * - `tool.start`, `tool.end`: the payload's `toolCallId` (Claude Code's `tool_use_id`);
 * - `llm.call`: the payload's `requestId` (Anthropic's request id, Claude Code's `requestId` /
 *   `request_id`), else its `responseId` (the message id);
 * - `session.start`, `session.end`: the session id;
 * - `agent.start`, `agent.end` of a subagent (a `parentAgentId`): its span id;
 * - `message`: a prompt (role user, kind prompt) by its session and text (the first KiB, trimmed):
 *   Claude Code's hooks and transcripts both report each prompt, and only the newest versions give
 *   both sides its prompt id (on the test corpus the transcript has `promptId` where the hook
 *   payload has no `prompt_id`); any other message by the payload's `id`, with the role.
 */
export function dedupeKey(event: Keyed | FleetEvent): string | undefined {
  const p = event.payload as Record<string, unknown> | undefined;
  switch (event.type) {
    case 'tool.start':
    case 'tool.end': {
      const id = text(p?.toolCallId);
      return id === undefined ? undefined : `${event.type}\0${id}`;
    }
    case 'llm.call': {
      const id = text(p?.requestId) ?? text(p?.responseId);
      return id === undefined ? undefined : `llm.call\0${id}`;
    }
    case 'session.start':
    case 'session.end':
      return event.sessionId === undefined ? undefined : `${event.type}\0${event.sessionId}`;
    case 'agent.start':
    case 'agent.end':
      return p?.parentAgentId !== undefined && event.spanId !== undefined ? `${event.type}\0${event.spanId}` : undefined;
    case 'message': {
      const prompt = promptKey(event.sessionId, p);
      if (prompt !== undefined) return prompt;
      const id = text(p?.id);
      return id === undefined ? undefined : `message\0${String(p?.role)}\0${id}`;
    }
    default:
      return undefined;
  }
}

/** How much of a prompt's text names it: sources may cut a long prompt at different lengths. */
const PROMPT_KEY_CHARS = 1024;

/** A user prompt's key: its session and a hash of its text's start (a typed prompt has no other shared id on old versions). */
function promptKey(sessionId: string | undefined, p: Record<string, unknown> | undefined): string | undefined {
  if (sessionId === undefined || p?.role !== 'user' || p.kind !== 'prompt') return undefined;
  const prompt = text(typeof p.text === 'string' ? p.text.trim() : undefined);
  return prompt === undefined ? undefined : `message\0prompt\0${sessionId}\0${traceIdFrom(`prompt:${prompt.slice(0, PROMPT_KEY_CHARS)}`)}`;
}

/**
 * Which source first reported each key, for the last `capacity` keys (the oldest forgotten first:
 * a ring of keys over a map, O(1) per key; `Infinity` for a bounded replay that must remember
 * every key). Not an LRU by `Map` re-insertion: deleting a Map's oldest entries one by one leaves
 * holes that each `keys().next()` walks again, which made a 200,000-event burst 24 times slower.
 */
export class SourceDedupe {
  private readonly firstSource = new Map<string, number>();
  private readonly ring: (string | undefined)[] | undefined;
  private next = 0;
  /** Events left out because another source reported them first. */
  duplicates = 0;

  constructor(readonly capacity: number) {
    this.ring = Number.isFinite(capacity) ? new Array<string | undefined>(Math.max(1, Math.floor(capacity))) : undefined;
  }

  /** True when `source` (any number naming it) may report the event of `key`; false for a duplicate. */
  admit(key: string, source: number): boolean {
    const first = this.firstSource.get(key);
    if (first === undefined) {
      this.remember(key, source);
      return true;
    }
    if (first === source) return true;
    this.duplicates++;
    return false;
  }

  private remember(key: string, source: number): void {
    const ring = this.ring;
    if (ring !== undefined) {
      const evicted = ring[this.next];
      if (evicted !== undefined) this.firstSource.delete(evicted);
      ring[this.next] = key;
      this.next = (this.next + 1) % ring.length;
    }
    this.firstSource.set(key, source);
  }

  get size(): number {
    return this.firstSource.size;
  }
}
