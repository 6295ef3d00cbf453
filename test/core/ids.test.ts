import { describe, expect, it } from 'vitest';
import { newSpanId, newTraceId } from '../../src/index.js';

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
