import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventQuery, FleetEvent, Storage } from '../../src/core/index.js';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { memoryStorage } from '../../src/storage/memory.js';
import { tieredStorage } from '../../src/storage/tiered.js';
import { conformanceEvent, testStorage } from '../../src/testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'fleetscope-tiered-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));
const harness = { describe, it, expect, beforeEach, afterEach };

testStorage('tiered (memory over file log)', () => tieredStorage({ hot: memoryStorage({ maxAgeMs: Infinity }), cold: fileLogStorage({ dir: join(root, `t${n++}`), maxAgeMs: Infinity }) }), harness);
// A hot tier of 4 events evicts almost at once: queries go to the cold tier.
testStorage('tiered (tiny hot tier)', () => tieredStorage({ hot: memoryStorage({ capacity: 4, maxAgeMs: Infinity }), cold: memoryStorage({ maxAgeMs: Infinity }) }), harness);

/** A cold tier that refuses appends while `failing` is set. */
function flakyCold(): Storage & { failing: boolean } {
  const inner = memoryStorage({ maxAgeMs: Infinity });
  return Object.assign(Object.create(null) as object, inner, {
    failing: false,
    async append(this: { failing: boolean }, batch: readonly FleetEvent[]) {
      if (this.failing) throw new Error('disk on fire');
      await inner.append(batch);
    },
  }) as Storage & { failing: boolean };
}

/**
 * A memory cold tier whose next appends, while `plan` has entries, store part of the batch and then
 * reject: a number stores that many of its first events (a disk filling up mid-write), `all` the
 * whole batch (a timeout after a successful write), `late` none until `land()` (a timeout whose write
 * goes on). `hold` delays an append after it stored its events; `readable: false` fails queries.
 */
function tornCold() {
  const inner = memoryStorage({ maxAgeMs: Infinity });
  const fake = {
    name: 'torn',
    plan: [] as (number | 'all' | 'late')[],
    readable: true,
    hold: undefined as Promise<void> | undefined,
    land: async () => {},
    /** Every batch it was sent, as ids. */
    sent: [] as string[][],
    async append(batch: readonly FleetEvent[]): Promise<void> {
      fake.sent.push(batch.map((e) => e.id));
      const step = fake.plan.shift();
      if (step === 'late') {
        fake.land = () => inner.append(batch);
        throw new Error('timed out');
      }
      await inner.append(step === undefined || step === 'all' ? batch : batch.slice(0, step));
      await fake.hold;
      if (step !== undefined) throw new Error(step === 'all' ? 'timed out' : 'no space left on device');
    },
    query: (q: EventQuery) => (fake.readable ? inner.query(q) : Promise.reject(new Error('cold tier unreadable'))),
    stats: () => inner.stats(),
    close: () => inner.close(),
  };
  return fake;
}

/** Ids of what a storage returns for `{ limit: 10,000 }`. */
async function held(storage: Storage): Promise<string[]> {
  return (await storage.query({ limit: 10_000 })).events.map((e) => e.id);
}

describe('tieredStorage', () => {
  const ev = (i: number) => conformanceEvent(`e${i}`, i % 2 === 0 ? 'even' : 'odd', 'a', 'log', 1000 + i);

  it('answers from the hot tier while it holds everything, from the cold tier after eviction', async () => {
    const storage = tieredStorage({ hot: memoryStorage({ capacity: 5, maxAgeMs: Infinity }), cold: memoryStorage({ maxAgeMs: Infinity }) });
    await storage.append([ev(1), ev(2), ev(3)]);
    expect((await storage.query({})).events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    expect(storage.stats().hotAnswers).toBe(1);
    await storage.append([ev(4), ev(5), ev(6)]); // the hot tier evicts e1
    expect((await storage.query({})).events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    expect(storage.stats().coldAnswers).toBe(1);
  });

  /** Every event of `query`, page by page (`limit` per page); `between` runs after each page. */
  async function pages(storage: Storage, query: EventQuery, between?: (page: number) => Promise<void>): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | undefined;
    let n = 0;
    do {
      const page = await storage.query({ ...query, cursor });
      seen.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor;
      await between?.(n++);
    } while (cursor !== undefined);
    return seen;
  }

  it('keeps batches the cold tier refused, merges them into queries without duplicates while it refuses', async () => {
    const cold = flakyCold();
    const storage = tieredStorage({ cold, retryIntervalMs: 0 });
    await storage.append([ev(1), ev(2)]);
    cold.failing = true;
    await expect(storage.append([ev(3), ev(4)])).rejects.toThrow(/^\[fleetscope\] \[tiered\] cold tier append failed/);
    await expect(storage.append([ev(5)])).rejects.toThrow(/retried/); // the retry of e3 e4 fails too
    // Cold holds e1 e2; e3 e4 e5 wait in the retry queue. Asc: cold first, then the queue.
    expect((await storage.query({})).events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect((await storage.query({ sessionId: 'even' })).events.map((e) => e.id)).toEqual(['e2', 'e4']);
    expect(await pages(storage, { limit: 2 })).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(await pages(storage, { limit: 2, order: 'desc' })).toEqual(['e5', 'e4', 'e3', 'e2', 'e1']);
    const stats = storage.stats();
    expect(stats.coldErrors).toBe(2);
    expect(stats.hotOnly).toBe(3);
    expect(stats.events).toBe(5);
  });

  it('retries refused batches into the cold tier before the next batch, in order', async () => {
    const cold = flakyCold();
    const storage = tieredStorage({ cold, retryIntervalMs: 0 });
    await storage.append([ev(1), ev(2)]);
    cold.failing = true;
    await expect(storage.append([ev(3), ev(4)])).rejects.toThrow(/cold tier append failed/);
    cold.failing = false;
    await storage.append([ev(5)]);
    // The cold tier itself now holds all five, in append order.
    expect((await cold.query({})).events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect((await storage.query({})).events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    const stats = storage.stats();
    expect(stats.coldRetried).toBe(2);
    expect(stats.hotOnly).toBe(0);
    expect(stats.events).toBe(5);
  });

  it('bounds the retry queue (oldest dropped and counted) and retries on flush', async () => {
    const cold = flakyCold();
    const storage = tieredStorage({ cold, maxColdFailures: 3, retryIntervalMs: 0 });
    cold.failing = true;
    for (let i = 1; i <= 5; i++) await storage.append([ev(i)]).catch(() => {});
    expect(storage.stats().hotOnlyDropped).toBe(2); // e1 e2 dropped from the queue of 3
    cold.failing = false;
    await storage.flush!();
    expect((await cold.query({})).events.map((e) => e.id)).toEqual(['e3', 'e4', 'e5']);
    expect(storage.stats().hotOnly).toBe(0);
    expect(storage.stats().coldRetried).toBe(3);
  });

  it('a retry between two pages of the retry queue neither skips nor repeats', async () => {
    const cold = flakyCold();
    const storage = tieredStorage({ cold, retryIntervalMs: 0 });
    await storage.append([ev(1), ev(2)]);
    cold.failing = true;
    await storage.append([ev(3), ev(4), ev(5)]).catch(() => {});
    // Desc: page 1 (e5 e4) comes from the retry queue; the retry then moves them into the cold tier.
    const desc = await pages(storage, { limit: 2, order: 'desc' }, async (n) => {
      if (n === 0) {
        cold.failing = false;
        await storage.flush!();
      }
    });
    expect(desc).toEqual(['e5', 'e4', 'e3', 'e2', 'e1']);
    cold.failing = true;
    await storage.append([ev(6), ev(7), ev(8)]).catch(() => {});
    // Asc: pages 1-3 (e1..e6) from cold then the queue; the retry moves e7 e8 into cold after page 3.
    const asc = await pages(storage, { limit: 2 }, async (n) => {
      if (n === 2) {
        cold.failing = false;
        await storage.flush!();
      }
    });
    expect(asc).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8']);
  });

  it('a hot-tier pagination whose next events are evicted mid-way continues in the cold tier', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const storage = tieredStorage({ hot: memoryStorage({ capacity: 5, maxAgeMs: Infinity }), cold: memoryStorage({ maxAgeMs: Infinity }) });
      await storage.append([ev(1), ev(2), ev(3), ev(4)]);
      const seen = await pages(storage, { limit: 2, order }, async (n) => {
        // After page 1 (answered by the hot tier), 5 more events evict e1..e4 from the hot tier
        // (capacity 5): e3 e4 (asc) or e2 e1 (desc) would be skipped if paging stayed in it.
        if (n === 0) await storage.append([ev(5), ev(6), ev(7), ev(8), ev(9)]);
      });
      expect(seen).toEqual(order === 'asc' ? ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9'] : ['e4', 'e3', 'e2', 'e1']);
      expect(storage.stats().hotFallbacks).toBe(1);
      expect(storage.stats().hotAnswers).toBe(1);
    }
  });

  const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `e${from + i}`);

  /** Every page size from 1 to 4, both orders: each returns exactly `expected` (asc order). */
  async function expectPaging(storage: Storage, expected: string[], query: EventQuery = {}): Promise<void> {
    for (let limit = 1; limit <= 4; limit++) {
      expect(await pages(storage, { ...query, limit })).toEqual(expected);
      expect(await pages(storage, { ...query, limit, order: 'desc' })).toEqual([...expected].reverse());
    }
  }

  /** A tiered storage over `tornCold()`, without a retry timer, holding e1 e2 in both tiers. */
  async function overTornCold() {
    const cold = tornCold();
    const storage = tieredStorage({ cold, retryIntervalMs: 0 });
    await storage.append([ev(1), ev(2)]);
    return { cold, storage };
  }

  it('a cold append that stores part of a batch and then rejects: the rest alone is retried, no event twice', async () => {
    const { cold, storage } = await overTornCold();
    cold.plan.push(2); // e3 e4 written, then the disk is full
    await expect(storage.append([ev(3), ev(4), ev(5)])).rejects.toThrow(/cold tier append failed/);
    expect(await held(cold)).toEqual(['e1', 'e2', 'e3', 'e4']);
    // Only e5 waits for the retry: 4 events in the cold tier + 1 queued = 5.
    expect(storage.stats()).toMatchObject({ events: 5, hotOnly: 1, coldErrors: 1, coldReconciled: 2, coldRetried: 0 });
    expect(await held(storage)).toEqual(ids(1, 5));
    await expectPaging(storage, ids(1, 5));
    await expectPaging(storage, ['e1', 'e3', 'e5'], { sessionId: 'odd' });
    await expectPaging(storage, ['e2', 'e4'], { sessionId: 'even' });

    await storage.append([ev(6)]);
    expect(cold.sent).toEqual([['e1', 'e2'], ['e3', 'e4', 'e5'], ['e5', 'e6']]);
    expect(await held(cold)).toEqual(ids(1, 6));
    expect(storage.stats()).toMatchObject({ events: 6, hotOnly: 0, coldRetried: 1 });
    await expectPaging(storage, ids(1, 6));
  });

  it('a cold append that stores the whole batch and then rejects (a timeout after the write): nothing is queued or sent again', async () => {
    const { cold, storage } = await overTornCold();
    cold.plan.push('all');
    await expect(storage.append([ev(3), ev(4)])).rejects.toThrow(/cold tier append failed/);
    expect(storage.stats()).toMatchObject({ events: 4, hotOnly: 0, coldErrors: 1, coldReconciled: 2 });
    await expectPaging(storage, ids(1, 4));
    await storage.append([ev(5)]);
    expect(cold.sent.at(-1)).toEqual(['e5']);
    expect(await held(cold)).toEqual(ids(1, 5));
    await expectPaging(storage, ids(1, 5));
  });

  it('a retry that stores part of the queue and then rejects: what it stored leaves the queue', async () => {
    const { cold, storage } = await overTornCold();
    cold.plan.push(0, 3); // an outage, then a retry of e3 e4 + e5 e6 that writes e3 e4 e5
    await expect(storage.append([ev(3), ev(4)])).rejects.toThrow(/cold tier append failed/);
    await expect(storage.append([ev(5), ev(6)])).rejects.toThrow(/cold tier append failed/);
    expect(cold.sent).toEqual([['e1', 'e2'], ['e3', 'e4'], ['e3', 'e4', 'e5', 'e6']]);
    expect(await held(cold)).toEqual(ids(1, 5));
    expect(storage.stats()).toMatchObject({ events: 6, hotOnly: 1, coldErrors: 2, coldReconciled: 3 });
    await expectPaging(storage, ids(1, 6));
    await storage.flush!();
    expect(cold.sent.at(-1)).toEqual(['e6']);
    expect(await held(cold)).toEqual(ids(1, 6));
    expect(storage.stats()).toMatchObject({ events: 6, hotOnly: 0, coldRetried: 1 });
  });

  it('when the cold tier cannot be read after a rejection either, nothing is retried or answered before the check', async () => {
    const { cold, storage } = await overTornCold();
    cold.readable = false;
    cold.plan.push(1); // e3 written, then the write and the check fail
    await expect(storage.append([ev(3), ev(4)])).rejects.toThrow(/cold tier append failed/);
    await expect(storage.query({})).rejects.toThrow(/unreadable/);
    // The retry needs the check first: e5 is queued, nothing is sent.
    await expect(storage.append([ev(5)])).rejects.toThrow(/cold tier append failed/);
    expect(cold.sent).toHaveLength(2);
    cold.readable = true;
    await expectPaging(storage, ids(1, 5));
    expect(storage.stats()).toMatchObject({ events: 5, hotOnly: 2, coldErrors: 2, coldReconciled: 1 });
    await storage.flush!();
    expect(cold.sent.at(-1)).toEqual(['e4', 'e5']);
    expect(await held(cold)).toEqual(ids(1, 5));
  });

  it('a write that lands after its append was rejected is returned once, and found before the retry', async () => {
    const { cold, storage } = await overTornCold();
    cold.plan.push('late');
    await expect(storage.append([ev(3), ev(4)])).rejects.toThrow(/cold tier append failed/);
    await cold.land(); // the cold tier holds e3 e4 now, and so does the queue
    expect(await held(cold)).toEqual(ids(1, 4));
    await expectPaging(storage, ids(1, 4));
    await storage.append([ev(5)]);
    expect(cold.sent.at(-1)).toEqual(['e5']);
    expect(await held(cold)).toEqual(ids(1, 5));
    expect(storage.stats()).toMatchObject({ events: 5, hotOnly: 0, coldReconciled: 2 });
  });

  it('a retry between two pages that end where the queue begins or ends neither repeats nor skips', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const { cold, storage } = await overTornCold();
      cold.plan.push(0, 1);
      await storage.append([ev(3), ev(4)]).catch(() => {});
      // Page 1 (limit 2): e1 e2, all of the cold tier (asc); e4 e3, all of the queue (desc).
      const seen = await pages(storage, { limit: 2, order }, async (n) => {
        // The retry writes e3 of e3 e4 e5: e3 moves to the cold tier, after e2.
        if (n === 0) await storage.append([ev(5)]).catch(() => {});
        // And then the rest.
        if (n === 1) await storage.flush!();
      });
      expect(seen).toEqual(order === 'asc' ? ids(1, 5) : ['e4', 'e3', 'e2', 'e1']);
      expect(await held(cold)).toEqual(ids(1, 5));
    }
  });

  it('a query waits for a retry under way instead of seeing its events in both places', async () => {
    const { cold, storage } = await overTornCold();
    cold.plan.push(0);
    await storage.append([ev(3), ev(4)]).catch(() => {});
    const first = await storage.query({ limit: 2, order: 'desc' }); // e4 e3: the queue
    let release!: () => void;
    cold.hold = new Promise((resolve) => (release = resolve));
    const retry = storage.append([ev(5)]); // writes e3 e4 e5, then is held before it resolves
    while ((await held(cold)).length < 5) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(await held(cold)).toEqual(ids(1, 5)); // e3 e4 are in both places until the retry resolves
    const second = storage.query({ limit: 2, order: 'desc', cursor: first.nextCursor });
    release();
    await retry;
    expect([...first.events, ...(await second).events].map((e) => e.id)).toEqual(['e4', 'e3', 'e2', 'e1']);
  });

  it('requires a cold tier', () => {
    expect(() => tieredStorage({} as never)).toThrow(/\[fleetscope\] \[tiered\] options.cold/);
  });
});
