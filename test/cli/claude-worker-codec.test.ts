/**
 * The reading worker's flat transfer (src/cli/claude-worker-codec.ts): what the main thread rebuilds
 * is what the worker had — same keys in the same order, same values — through a real structured
 * clone, batch after batch; what the flat form does not know goes whole.
 */
import { describe, expect, it } from 'vitest';
import { FlatDecoder, FlatEncoder, type FlatBatch } from '../../src/cli/claude-worker-codec.js';

/** Events through encoder → structuredClone → decoder, in batches of `size`. */
function roundTrip(events: unknown[], size = 2): { out: unknown[]; batches: FlatBatch[] } {
  const encoder = new FlatEncoder();
  const decoder = new FlatDecoder();
  const out: unknown[] = [];
  const batches: FlatBatch[] = [];
  for (let i = 0; i < events.length; i += size) {
    for (const e of events.slice(i, i + size)) encoder.add(e);
    const batch = encoder.take();
    batches.push(batch);
    out.push(...decoder.decode(structuredClone(batch)));
  }
  return { out, batches };
}

/** Keys in order, all the way down (toEqual ignores the order). */
function keyOrder(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(keyOrder);
  return Object.entries(value).map(([k, v]) => [k, keyOrder(v)]);
}

const start = (i: number, extra: Record<string, unknown> = {}) => ({
  timestamp: 1_700_000_000_000 + i,
  source: 'claude-code-transcripts',
  sessionId: 's1',
  type: 'tool.start',
  spanId: `span-${i}`,
  payload: { toolName: 'Bash', toolCallId: `t${i}`, input: { command: `echo ${i}`, description: 'Run' } },
  ...extra,
});

describe('the reading worker’s flat transfer', () => {
  it('rebuilds events with their keys in order and their values, across batches', () => {
    const events = [
      start(1),
      { type: 'llm.call', timestamp: 5, payload: { model: 'm', inputTokens: 4, costUsd: 0.5 } },
      start(2),
      // Same type, another payload: an optional key, a key missing, values of other types.
      { type: 'llm.call', timestamp: 6, payload: { model: 'm', inputTokens: 4, cacheWrite1hTokens: 9, costUsd: 0.25 } },
      { type: 'llm.call', timestamp: 7, payload: { model: 'm', costUsd: 0.25 } },
      start(3, { severity: 'error' }),
      { type: 'tool.end', timestamp: 8, payload: { toolName: 7, status: undefined, tags: ['a', 'b'], error: null } },
      start(4),
    ];
    const { out } = roundTrip(events);
    expect(out).toEqual(events);
    expect(keyOrder(out)).toEqual(keyOrder(events));
    // `status: undefined` stays a key of its own.
    expect(Object.keys((out[6] as { payload: object }).payload)).toEqual(['toolName', 'status', 'tags', 'error']);
  });

  it('sends a string repeated from the same slot once, and each shape once', () => {
    const events = Array.from({ length: 6 }, (_, i) => start(i));
    const { out, batches } = roundTrip(events, 3);
    expect(out).toEqual(events);
    // Three shapes (event, payload, input), all in the first batch.
    expect(batches.map((b) => b.shapes.length)).toEqual([3, 0]);
    const strings = (b: FlatBatch) => b.values.filter((v) => typeof v === 'string');
    // First batch: event 0 sends its 6 strings in full (source, sessionId, type, spanId; toolName, toolCallId; command, description: 8),
    // the two after only what changed (spanId, toolCallId, command: 3 each).
    expect(strings(batches[0]!)).toHaveLength(8 + 3 + 3);
    // Second batch: the decoder still remembers the first's last values.
    expect(strings(batches[1]!)).toHaveLength(3 * 3);
  });

  it('a value that changes type in a repeated slot, or a nested object that is not plain, is kept as it was', () => {
    const events = [
      { a: 'x', b: { c: 1 } },
      { a: 'x', b: { c: 1 } },
      { a: 1, b: [1, 2] },
      { a: 'x', b: new Map([[1, 2]]) },
      { a: 'x', b: { c: 'y' } },
    ];
    const { out } = roundTrip(events, 10);
    expect(out).toEqual(events);
    expect(out[3]).toEqual({ a: 'x', b: new Map([[1, 2]]) });
  });

  it('sends whole what it cannot rebuild: a class instance, an own __proto__ key, more than 30 keys', () => {
    class Event {
      type = 'x';
      n = 1;
    }
    const proto = JSON.parse('{"type":"p","payload":{"__proto__":{"polluted":true},"k":1}}') as Record<string, unknown>;
    const wide = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i]));
    const events = [new Event(), proto, wide, start(1)];
    const { out, batches } = roundTrip(events, 10);
    expect(batches[0]!.values.filter((v) => v === -1)).toHaveLength(3);
    // As a structured clone gives them: a plain object; the own `__proto__` key kept as a key.
    expect(out[0]).toEqual({ type: 'x', n: 1 });
    expect(Object.getPrototypeOf(out[0])).toBe(Object.prototype);
    const payload = (out[1] as { payload: Record<string, unknown> }).payload;
    expect(Object.keys(payload)).toEqual(['__proto__', 'k']);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(out[2]).toEqual(wide);
    expect(out[3]).toEqual(start(1));
  });
});
