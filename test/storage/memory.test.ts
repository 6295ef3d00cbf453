import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createObserver, memoryStorage, validateEvent, type FleetEvent, type Storage } from '../../src/index.js';
import { testStorage } from '../../src/testing/index.js';

testStorage('memory', () => memoryStorage({ maxAgeMs: Infinity }), { describe, it, expect, beforeEach, afterEach });

describe('memoryStorage index lists', () => {
  it('rebuild full sequence numbers across the 2^32 wrap of their 32-bit storage', async () => {
    const { SeqList } = await import('../../src/storage/memory.js');
    const list = new SeqList();
    const base = 2 ** 32 - 3;
    const seqs = [base, base + 2, base + 3, base + 7, base + 100]; // crosses 4294967296
    for (const seq of seqs) list.push(seq);
    expect(Array.from({ length: list.length }, (_, i) => list.at(i, base))).toEqual(seqs);
    // Later, with older entries evicted: the store's first live seq is past the wrap.
    list.start = 2;
    expect([list.at(2, base + 3), list.at(3, base + 3), list.at(4, base + 3)]).toEqual(seqs.slice(2));
    // Far beyond 2^32 too (a long-lived store): 5 * 2^32 + 10.
    const far = new SeqList();
    far.push(5 * 2 ** 32 + 10);
    far.push(5 * 2 ** 32 + 11);
    expect([far.at(0, 5 * 2 ** 32 + 10), far.at(1, 5 * 2 ** 32 + 10)]).toEqual([5 * 2 ** 32 + 10, 5 * 2 ** 32 + 11]);
  });
});

describe('memoryStorage span ids', () => {
  it('returns each span and parent span id as appended, repeated, changed or not in W3C shape', async () => {
    const storage = memoryStorage({ maxAgeMs: Infinity });
    const a = '00000000000000aa';
    const b = 'ffffffff00000001';
    const spans: [string | undefined, string | undefined][] = [
      [a, b], [a, b], [b, a], ['not-w3c', a], [a, 'NOT-HEX-UPPER'], [undefined, b], [b, b],
    ];
    // Built raw, not through validateEvent, so shapes it would reject reach the store too.
    const events = spans.map(([spanId, parentSpanId], i) => ({ ...event(i), spanId, parentSpanId }) as FleetEvent);
    await storage.append(events);
    const page = await storage.query({ limit: 100 });
    expect(page.events.map((e) => [e.spanId, e.parentSpanId])).toEqual(spans);
    await storage.close();
  });
});

describe('memoryStorage string table', () => {
  it("does not hand out a released string's index from a field's memory once it is reused", async () => {
    const { StringTable } = await import('../../src/storage/memory-columns.js');
    const table = new StringTable(2);
    const a = table.acquire('a', 0);
    expect(table.acquire('a', 0)).toBe(a); // remembered: same index, two references
    table.release(a);
    table.release(a); // 'a' is gone; its index is free
    const b = table.acquire('b', 1);
    expect(b).toBe(a); // the freed index is reused
    const again = table.acquire('a', 0); // field 0 last saw 'a' at that index: it must not reuse it
    expect(again).not.toBe(b);
    expect(table.get(again)).toBe('a');
    expect(table.get(b)).toBe('b');
    expect(table.size).toBe(2);
  });

  it('queries by a session whose string was evicted, reused for another and then seen again', async () => {
    const storage = memoryStorage({ capacity: 2, maxAgeMs: Infinity });
    await storage.append([event(1, { sessionId: 's1' }), event(2, { sessionId: 's1' })]);
    await storage.append([event(3, { sessionId: 's2' }), event(4, { sessionId: 's2' })]); // s1 evicted; its index reused
    await storage.append([event(5, { sessionId: 's1' })]); // evicts e3
    expect(await all(storage, { sessionId: 's1' })).toEqual(['e5']);
    expect(await all(storage, { sessionId: 's2' })).toEqual(['e4']);
    expect(storage.stats()).toMatchObject({ events: 2, sessions: 2 });
    await storage.close();
  });
});

function event(i: number, fields: Record<string, unknown> = {}): FleetEvent {
  const result = validateEvent(
    { id: `e${i}`, type: 'metric', timestamp: 1000 + i, payload: { name: 'm', value: i }, ...fields },
    { defaults: { source: 't', sessionId: 's', agentId: 'a' } },
  );
  if (!result.ok) throw new Error(result.reason);
  return result.event;
}
const ids = (events: FleetEvent[]) => events.map((e) => e.id);

async function all(storage: Storage, query: Parameters<Storage['query']>[0]): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.query({ ...query, cursor });
    out.push(...ids(page.events));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

describe('memoryStorage', () => {
  it('evicts the oldest beyond capacity, and indexes follow', async () => {
    const storage = memoryStorage({ capacity: 5, maxAgeMs: Infinity });
    await storage.append(Array.from({ length: 8 }, (_, i) => event(i, { sessionId: i % 2 ? 'odd' : 'even' })));
    expect(storage.stats()).toMatchObject({ events: 5, evicted: 3 });
    expect(await all(storage, { limit: 2 })).toEqual(['e3', 'e4', 'e5', 'e6', 'e7']);
    expect(await all(storage, { sessionId: 'even', limit: 1 })).toEqual(['e4', 'e6']);
    expect(await all(storage, { sessionId: 'odd', order: 'desc', limit: 2 })).toEqual(['e7', 'e5', 'e3']);
  });

  it('evicts by age since append (to the second), not by the event timestamp', async () => {
    let now = 1_000_000;
    const storage = memoryStorage({ maxAgeMs: 100_000, clock: () => now });
    // Events from 1970 are kept: what counts is how long they have been held.
    await storage.append(Array.from({ length: 5 }, (_, i) => event(i)));
    now += 60_000;
    await storage.append(Array.from({ length: 5 }, (_, i) => event(i + 5)));
    expect(await all(storage, {})).toHaveLength(10);
    now += 50_000; // first batch held 110 s > 100 s, second 50 s
    expect(await all(storage, {})).toEqual(['e5', 'e6', 'e7', 'e8', 'e9']);
    now += 60_000;
    expect(await all(storage, {})).toEqual([]);
    expect(storage.stats()).toMatchObject({ events: 0, evicted: 10 });
  });

  it('gives back events equal to those appended, across column growth and eviction', async () => {
    const storage = memoryStorage({ capacity: 3000, maxAgeMs: Infinity });
    const appended: FleetEvent[] = [];
    for (let i = 0; i < 5000; i++) {
      appended.push(
        event(i, {
          sessionId: `s${i % 7}`,
          workflowId: i % 3 ? `w${i % 5}` : undefined,
          spanId: (i + 1).toString(16).padStart(16, '0'),
          parentSpanId: i % 2 ? 'f'.repeat(16) : undefined,
          traceId: 'a'.repeat(31) + (i % 10),
          severity: i % 11 === 0 ? 'error' : 'info',
          tags: i % 13 === 0 ? ['t'] : undefined,
          attributes: i % 17 === 0 ? { k: i } : undefined,
        }),
      );
    }
    // Uneven batches: the columns grow from 1024 slots to 3000 while the ring wraps.
    for (let i = 0; i < appended.length; i += 701) await storage.append(appended.slice(i, i + 701));
    const page = await storage.query({ limit: 10_000 });
    expect(page.events).toHaveLength(3000);
    expect(page.events).toEqual(appended.slice(2000));
    // Strings of evicted events are released; the 7 sessions are still held.
    expect(storage.stats()).toMatchObject({ events: 3000, evicted: 2000, sessions: 7 });
  });

  it('keeps span ids that are not W3C-shaped as they were', async () => {
    const storage = memoryStorage();
    const raw = { ...event(1), spanId: 'span-1', parentSpanId: 'ABCDEF0123456789' };
    await storage.append([raw as FleetEvent]);
    const [back] = (await storage.query({})).events;
    expect(back).toMatchObject({ spanId: 'span-1', parentSpanId: 'ABCDEF0123456789' });
  });

  it('combines index keys, types, and time bounds (from inclusive, to exclusive)', async () => {
    const storage = memoryStorage({ maxAgeMs: Infinity });
    const batch: FleetEvent[] = [];
    for (let i = 0; i < 30; i++) {
      const type = i % 3 === 0 ? 'log' : 'metric';
      const payload = type === 'log' ? { message: `m${i}` } : { name: 'm', value: i };
      const result = validateEvent(
        { id: `e${i}`, type, timestamp: 1000 + i, payload, agentId: i % 2 ? 'a1' : 'a2', workflowId: i < 15 ? 'w1' : undefined },
        { defaults: { source: 't', sessionId: 's', agentId: 'a' } },
      );
      if (result.ok) batch.push(result.event);
    }
    await storage.append(batch);
    // log events: i in {0,3,...,27}; agent a1: odd i -> 3,9,15,21,27
    expect(await all(storage, { types: ['log'], agentId: 'a1' })).toEqual(['e3', 'e9', 'e15', 'e21', 'e27']);
    expect(await all(storage, { types: ['log'], agentId: 'a1', from: 1009, to: 1021 })).toEqual(['e9', 'e15']);
    expect(await all(storage, { workflowId: 'w1', types: ['log', 'metric'], limit: 4 })).toEqual(
      Array.from({ length: 15 }, (_, i) => `e${i}`),
    );
    expect(await all(storage, { sessionId: 'nope' })).toEqual([]);
    expect(await all(storage, { types: ['nope'] })).toEqual([]);
    expect(await all(storage, { from: 1028 })).toEqual(['e28', 'e29']);
  });

  it('pages in descending order without gaps or repeats', async () => {
    const storage = memoryStorage();
    await storage.append(Array.from({ length: 23 }, (_, i) => event(i)));
    const desc = await all(storage, { order: 'desc', limit: 4 });
    expect(desc).toEqual(Array.from({ length: 23 }, (_, i) => `e${22 - i}`));
  });

  it('rejects a foreign cursor and appends after close', async () => {
    const storage = memoryStorage();
    await expect(storage.query({ cursor: 'zzz' })).rejects.toThrow(/cursor/);
    await storage.close();
    await expect(storage.append([event(1)])).rejects.toThrow(/closed/);
  });

  it('holds at most maxBytes of payloads, attributes and tags: the oldest evicted to make room, counted', async () => {
    const storage = memoryStorage({ maxBytes: 1000, maxAgeMs: Infinity });
    // { s: 98 x's } is 107 bytes of JSON (2 braces, "s": 5, the string 100); tags ["t"] 6 more (2 brackets, the string 3, a separator 1).
    const big = (i: number, fields: Record<string, unknown> = {}) => event(i, { type: 'myapp.big', payload: { s: 'x'.repeat(98) }, ...fields });
    await storage.append(Array.from({ length: 20 }, (_, i) => big(i)));
    expect(storage.stats()).toMatchObject({ events: 9, evicted: 11, bytes: 963, maxBytes: 1000 });
    expect(await all(storage, {})).toEqual(['e11', 'e12', 'e13', 'e14', 'e15', 'e16', 'e17', 'e18', 'e19']);
    await storage.append([big(20, { tags: ['t'] })]);
    expect(storage.stats()).toMatchObject({ events: 9, evicted: 12, bytes: 8 * 107 + 113 });
    // One event larger than the budget on its own is kept alone.
    await storage.append([event(21, { type: 'myapp.big', payload: { s: 'y'.repeat(2000) } })]);
    expect(storage.stats()).toMatchObject({ events: 1, evicted: 21, bytes: 2009 });
  });

  it('the default observer does not hold 1,000 payloads of 60 KB (was: all of them, ~60 MB): 16 MiB of them', async () => {
    const observer = createObserver({ analyzers: [] });
    // 4 strings of 15,000 characters: 4 x (15,002 + 1 + 4) + 2 = 60,030 bytes of JSON, under maxPayloadBytes (64 KiB).
    const payload = (i: number) => ({ a: `${i}`.padEnd(15_000, 'a'), b: 'b'.repeat(15_000), c: 'c'.repeat(15_000), d: 'd'.repeat(15_000) });
    for (let i = 0; i < 1000; i++) observer.emit({ type: 'myapp.big', payload: payload(i) });
    await observer.flush();
    const held = Math.floor((16 * 2 ** 20) / 60_030);
    expect(observer.stats().storage).toMatchObject({ events: held, evicted: 1000 - held, bytes: held * 60_030 });
    expect((await observer.query({ limit: 1 })).events[0]!.payload).toMatchObject({ a: expect.stringMatching(new RegExp(`^${1000 - held}a`)) });
    await observer.close();
  });

  it('rejects bad options at construction', () => {
    expect(() => memoryStorage({ maxBytes: 0 })).toThrow(/maxBytes/);
    expect(() => memoryStorage({ capacity: 0 })).toThrow(/capacity/);
    expect(() => memoryStorage({ maxAgeMs: -1 })).toThrow(/maxAgeMs/);
  });
});
