/**
 * `RecentHashes` (numeric keys in typed arrays, issue 14) must answer exactly as `RecentKeys` (a
 * ring over a `Set`), the reference: same "new or not" for every key of any sequence, same size.
 * Small capacities and keys from a narrow range force collisions, long probe runs and evictions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashString, RecentHashes, RecentKeys, RecentMap } from '../../src/core/recent-keys.js';
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

  it('answers as RecentKeys while its arrays grow to a capacity that is not a power of two, and after', () => {
    // Keys from a range 3× the capacity: repeats while growing (from 256 keys to 5,000), then evictions.
    const hashes = new RecentHashes(5000);
    const reference = new RecentKeys(5000);
    let state = 7;
    let fresh = 0;
    for (let n = 0; n < 40_000; n++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const k = state % 15_000;
      const answer = hashes.add(k);
      expect(answer).toBe(reference.add(String(k)));
      if (answer) fresh++;
      if (n === 300 || n === 3000) expect(hashes.size).toBe(reference.size);
    }
    expect(hashes.size).toBe(5000);
    expect(fresh).toBeGreaterThan(5000);
  });

  it('hashes strings to 53-bit numbers: the same string the same number, different strings different ones', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `req_011CV${i.toString(36).padStart(8, '0')}`);
    const hashed = new Set(ids.map((id) => hashString(id)));
    expect(hashed.size).toBe(10_000);
    expect(hashString(ids[0]!)).toBe(hashString(`req_011CV${'0'.repeat(8)}`));
    for (const h of hashed) expect(Number.isSafeInteger(h) && h >= 0 && h < 2 ** 53).toBe(true);
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
