import { describe, expect, it } from 'vitest';
import { hexIdKind } from '../../src/core/ids.js';
import { checkAndHash, hashOf, OpenSpans, type OpenSpanEntry } from '../../src/runners/otel-bridge-open-spans.js';

const entry = (spanId: string): OpenSpanEntry => ({ spanId, older: undefined, newer: undefined });

describe('OpenSpans', () => {
  it('finds, replaces and removes entries, also when their hashes collide (same last 8 characters)', () => {
    const table = new OpenSpans<OpenSpanEntry>(100);
    // 40 ids that share their last 8 characters: one probe run, deleted from its middle.
    const ids = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(8, 'x')}deadbeef`);
    for (const id of ids) table.add(entry(id));
    expect(table.size).toBe(40);
    for (let i = 0; i < 40; i += 2) expect(table.remove(ids[i]!)?.spanId).toBe(ids[i]);
    expect(table.size).toBe(20);
    for (let i = 0; i < 40; i++) expect(table.get(ids[i]!)?.spanId).toBe(i % 2 === 1 ? ids[i] : undefined);
    const again = entry(ids[1]!);
    table.add(again);
    expect(table.size).toBe(20);
    expect(table.get(ids[1]!)).toBe(again);
    expect(table.remove('absent')).toBeUndefined();
  });

  it('forgets the oldest entry when full, before an add (as the Map it replaced did, even for an id already there)', () => {
    const table = new OpenSpans<OpenSpanEntry>(3);
    table.add(entry('a'));
    table.add(entry('b'));
    table.add(entry('c'));
    table.add(entry('a')); // full: the oldest ('a') goes, then 'a' comes in as the newest: b, c, a
    table.add(entry('d')); // full: 'b' goes: c, a, d
    expect(['a', 'b', 'c', 'd'].map((id) => table.get(id) !== undefined)).toEqual([true, false, true, true]);
    table.remove('c');
    table.add(entry('e'));
    table.add(entry('f')); // full again: 'a' goes: d, e, f
    expect(['a', 'd', 'e', 'f'].map((id) => table.get(id) !== undefined)).toEqual([false, true, true, true]);
    expect(table.size).toBe(3);
  });

  it('removes the newest entries (found without hashing) from the middle of a probe run, leaving the others findable', () => {
    const table = new OpenSpans<OpenSpanEntry>(100);
    const ids = Array.from({ length: 12 }, (_, i) => `${String(i).padStart(8, 'y')}cafef00d`);
    for (const id of ids) table.add(entry(id));
    // The newest three in reverse order of their starts, then ids[5] (the 4th newest by then: still
    // found among the newest), then ids[2] (too old: found by its hash).
    for (const i of [11, 10, 9, 5, 2]) expect(table.remove(ids[i]!)?.spanId).toBe(ids[i]);
    expect(table.size).toBe(7);
    for (const i of [0, 1, 3, 4, 6, 7, 8]) expect(table.get(ids[i]!)?.spanId).toBe(ids[i]);
    for (const i of [2, 5, 9, 10, 11]) expect(table.get(ids[i]!)).toBeUndefined();
    // Evicting the oldest (when full) goes by its stored hash too.
    const small = new OpenSpans<OpenSpanEntry>(2);
    for (const id of ids.slice(0, 3)) small.add(entry(id));
    expect(ids.slice(0, 3).map((id) => small.get(id) !== undefined)).toEqual([false, true, true]);
  });

  it('checks an id and hashes it in one pass: the same answers as hexIdKind and hashOf', () => {
    const ids = ['00f067aa0ba902b7', '0000000000000000', '00F067AA0BA902B7', '00f067aa0ba902b', '00f067aa0ba902b7a', 'span-1', '00f067aa0ba9ü2b7', 'g0f067aa0ba902b7', ''];
    for (const id of ids) {
      const e = entry(id);
      expect(checkAndHash(e, 16)).toBe(hexIdKind(id, 16));
      expect(e.hash).toBe(hashOf(id));
    }
    // By hand: valid, all zeros, upper case, too short.
    expect(ids.slice(0, 4).map((id) => checkAndHash(entry(id), 16))).toEqual([1, 2, 0, 0]);
  });
});
