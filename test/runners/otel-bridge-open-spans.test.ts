import { describe, expect, it } from 'vitest';
import { OpenSpans, type OpenSpanEntry } from '../../src/runners/otel-bridge-open-spans.js';

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
});
