import { describe, expect, it } from 'vitest';
import { memoryStorage, validateEvent, type FleetEvent, type Storage } from '../../src/index.js';

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

  it('evicts by age since append, not by the event timestamp', async () => {
    let now = 1_000_000;
    const storage = memoryStorage({ maxAgeMs: 100, clock: () => now });
    // Events from 1970 are kept: what counts is how long they have been held.
    await storage.append(Array.from({ length: 5 }, (_, i) => event(i)));
    now += 60;
    await storage.append(Array.from({ length: 5 }, (_, i) => event(i + 5)));
    expect(await all(storage, {})).toHaveLength(10);
    now += 50; // first batch held 110 ms > 100, second 50 ms
    expect(await all(storage, {})).toEqual(['e5', 'e6', 'e7', 'e8', 'e9']);
    now += 60;
    expect(await all(storage, {})).toEqual([]);
    expect(storage.stats()).toMatchObject({ events: 0, evicted: 10 });
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

  it('rejects bad options at construction', () => {
    expect(() => memoryStorage({ capacity: 0 })).toThrow(/capacity/);
    expect(() => memoryStorage({ maxAgeMs: -1 })).toThrow(/maxAgeMs/);
  });
});
