import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FleetEvent, Storage } from '../../src/core/index.js';
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

  it('keeps batches the cold tier refused, reports them, and merges them without duplicates', async () => {
    const cold = flakyCold();
    const storage = tieredStorage({ cold });
    await storage.append([ev(1), ev(2)]);
    cold.failing = true;
    await expect(storage.append([ev(3), ev(4)])).rejects.toThrow(/^\[fleetscope\] \[tiered\] cold tier append failed/);
    cold.failing = false;
    await storage.append([ev(5)]);
    // Cold holds e1 e2 e5; e3 e4 live only in the hot tier. Asc: cold first, then hot-only.
    expect((await storage.query({})).events.map((e) => e.id)).toEqual(['e1', 'e2', 'e5', 'e3', 'e4']);
    expect((await storage.query({ sessionId: 'even' })).events.map((e) => e.id)).toEqual(['e2', 'e4']);
    // Paging by 2 in both orders covers the five events exactly once.
    for (const order of ['asc', 'desc'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await storage.query({ limit: 2, order, cursor });
        seen.push(...page.events.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(seen).toEqual(order === 'asc' ? ['e1', 'e2', 'e5', 'e3', 'e4'] : ['e4', 'e3', 'e5', 'e2', 'e1']);
    }
    const stats = storage.stats();
    expect(stats.coldErrors).toBe(1);
    expect(stats.hotOnly).toBe(2);
    expect(stats.events).toBe(5);
  });

  it('requires a cold tier', () => {
    expect(() => tieredStorage({} as never)).toThrow(/\[fleetscope\] \[tiered\] options.cold/);
  });
});
