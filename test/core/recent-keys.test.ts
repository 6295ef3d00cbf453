/**
 * `RecentHashes` (numeric keys in typed arrays, issue 14) must answer exactly as `RecentKeys` (a
 * ring over a `Set`), the reference: same "new or not" for every key of any sequence, same size.
 * Small capacities and keys from a narrow range force collisions, long probe runs and evictions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentHashes, RecentKeys, RecentMap } from '../../src/core/recent-keys.js';
import { fuzz } from '../support/fuzz.js';

describe('RecentHashes', () => {
  it('answers as RecentKeys for any sequence of keys', () => {
    const key = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 53 - 1 }), fc.constantFrom(2 ** 32, 2 ** 32 + 1, 2 ** 52 + 7));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.array(key, { maxLength: 300 }), (capacity, keys) => {
        const hashes = new RecentHashes(capacity);
        const reference = new RecentKeys(capacity);
        for (const k of keys) expect(hashes.add(k)).toBe(reference.add(String(k)));
        expect(hashes.size).toBe(reference.size);
      }),
      fuzz(2000, 1414),
    );
  });

  it('forgets the oldest key once full, and ignores NaN', () => {
    const hashes = new RecentHashes(3);
    expect([1, 2, 3, 1].map((k) => hashes.add(k))).toEqual([true, true, true, false]);
    expect(hashes.add(4)).toBe(true); // 1 leaves
    expect(hashes.add(1)).toBe(true); // 2 leaves
    expect(hashes.add(3)).toBe(false);
    expect(hashes.add(2)).toBe(true);
    expect(hashes.add(Number.NaN)).toBe(false);
    expect(hashes.size).toBe(3);
  });
});

describe('RecentMap', () => {
  it('keeps the newest `capacity` keys by first addition; setting a known key again neither moves it nor evicts', () => {
    const m = new RecentMap<string, number>(3);
    m.set('a', 1).set('b', 2).set('c', 3);
    m.set('a', 10); // known: no eviction, no move
    expect([...m.entries()]).toEqual([['a', 10], ['b', 2], ['c', 3]]);
    m.set('d', 4); // evicts a, the oldest
    expect([...m.keys()]).toEqual(['b', 'c', 'd']);
    m.delete('c');
    m.set('e', 5); // evicts b; c's slot is next
    expect([...m.keys()]).toEqual(['d', 'e']);
    m.set('f', 6); // c's slot: nothing left to evict
    expect([...m.keys()]).toEqual(['d', 'e', 'f']);
    m.set('g', 7); // d
    expect([...m.keys()]).toEqual(['e', 'f', 'g']);
  });

  it('stays within its capacity over long runs of adds and deletes, keeping the newest keys', () => {
    const m = new RecentMap<number, number>(100);
    for (let i = 0; i < 20_000; i++) {
      m.set(i, i);
      if (i % 3 === 0) m.delete(i - 1);
      expect(m.size).toBeLessThanOrEqual(100);
    }
    // The newest keys are all there (none deleted by the test): at least the last 60 added.
    for (let i = 19_940; i < 20_000; i++) if ((i + 1) % 3 !== 0) expect(m.get(i)).toBe(i);
  });
});
