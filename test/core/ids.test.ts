import { describe, expect, it } from 'vitest';
import { newSpanId, newTraceId } from '../../src/index.js';
import { hashHex } from '../../src/core/ids.js';

describe('trace-context ids', () => {
  it('are lowercase hex of W3C length, never all zero, and do not repeat across pool refills', () => {
    // The pool holds 4,096 random bytes: 20,000 span ids (8 bytes) and 2,000 trace ids (16) refill it ~47 times.
    const spans = Array.from({ length: 20_000 }, () => newSpanId());
    const traces = Array.from({ length: 2_000 }, () => newTraceId());
    for (const id of spans) expect(id).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
    for (const id of traces) expect(id).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    expect(new Set(spans).size).toBe(spans.length);
    expect(new Set(traces).size).toBe(traces.length);
  });

  it('spread their digits evenly (each hex digit 1/16 of the time, within 5%)', () => {
    const counts = new Map<string, number>();
    const n = 10_000;
    for (let i = 0; i < n; i++) for (const c of newSpanId()) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(16);
    const expected = (n * 16) / 16;
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.05);
  });
});

describe('hashHex', () => {
  it('with 2 seeds (its one-pass path) equals the first 16 digits of the 4-seed loop, FNV-1a per seed', () => {
    // FNV-1a 32 of "a" with the offset basis 0x811c9dc5 is 0xe40c292c (the published test vector).
    expect(hashHex('a', 1)).toBe('e40c292c');
    for (const value of ['', 'a', 'tool:toolu_01ABC', 'agent:sess-1:main', 'ünïcödé ✓', 'x'.repeat(1000)]) {
      expect(hashHex(value, 2), value).toBe(hashHex(value, 4).slice(0, 16));
      expect(hashHex(value, 2).slice(0, 8), value).toBe(hashHex(value, 1));
    }
  });
});
