/**
 * `RecentHashes` (numeric keys in typed arrays, issue 14) must answer exactly as `RecentKeys` (a
 * ring over a `Set`), the reference: same "new or not" for every key of any sequence, same size.
 * Small capacities and keys from a narrow range force collisions, long probe runs and evictions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentHashes, RecentKeys } from '../../src/core/recent-keys.js';
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
