import stableStringify from 'fast-json-stable-stringify';
import { describe, expect, it } from 'vitest';
import { stableHash } from '../../src/analyzers/stable-hash.js';
import { hashString } from '../../src/analyzers/stats-math.js';

const slow = (prefix: string, value: unknown) => hashString(prefix + stableStringify(value));

describe('stableHash', () => {
  it('equals hashString(prefix + fast-json-stable-stringify(value)) on the fast and the slow paths', () => {
    const deep: Record<string, unknown> = {};
    let node = deep;
    for (let i = 0; i < 40; i++) node = (node.next = { i }) as Record<string, unknown>;
    const values: unknown[] = [
      { q: 'query 3' },
      { url: 'x', n: 1 },
      { n: 1, url: 'x' },
      { b: [1, 'two', null, true, false, undefined, () => 1], a: { z: 1.5, y: -0, x: 1e21, w: 5e-7 } },
      { skipped: undefined, fn: () => 1, kept: 'k' },
      [],
      {},
      'plain',
      42,
      true,
      null,
      { text: 'line\nbreak', quote: 'say "hi"', slash: 'a\\b' }, // escapes → slow path
      { 'key "quoted"': 1 },
      { emoji: '🙂', accent: 'é' }, // surrogates → slow path; é is fast
      { nan: NaN, inf: -Infinity },
      { when: new Date(Date.UTC(2025, 0, 1)) }, // toJSON → slow path
      deep, // deeper than the walk goes → slow path
      { arr: [[1, [2, [3]]], { k: [{}] }] },
      { '10': 'a', '9': 'b', b: 1, B: 2, _: 3 },
      // Sorted by insertion up to 16 keys, by Array.prototype.sort beyond: the same order either way.
      Object.fromEntries(['zeta', 'é', 'Z', 'a', '_x', 'ab', 'aa', 'A', '~', ' ', 'é2', 'b', 'y', 'x', 'c', 'w'].map((k, i) => [k, i])),
      Object.fromEntries(['zeta', 'é', 'Z', 'a', '_x', 'ab', 'aa', 'A', '~', ' ', 'é2', 'b', 'y', 'x', 'c', 'w', 'v'].map((k, i) => [k, i])),
    ];
    for (const value of values) {
      expect(stableHash('read_file\u0000', value)).toBe(slow('read_file\u0000', value));
      expect(stableHash('', value)).toBe(slow('', value));
    }
  });

  it('ignores key order and tells different inputs or tools apart', () => {
    expect(stableHash('t\u0000', { a: 1, b: [1, 2] })).toBe(stableHash('t\u0000', { b: [1, 2], a: 1 }));
    expect(stableHash('t\u0000', { a: 1 })).not.toBe(stableHash('t\u0000', { a: 2 }));
    expect(stableHash('t\u0000', { a: 1 })).not.toBe(stableHash('u\u0000', { a: 1 }));
  });

  it('throws on a cycle, as fast-json-stable-stringify does', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => stableHash('t', cyclic)).toThrow(TypeError);
  });
});
