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

  it('requires a cold tier', () => {
    expect(() => tieredStorage({} as never)).toThrow(/\[fleetscope\] \[tiered\] options.cold/);
  });
});
