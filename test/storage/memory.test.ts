import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/storage/memory.js';
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
