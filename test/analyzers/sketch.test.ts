import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/analyzers/anomalies-options.js';
import { LogSketch, sketchSummary } from '../../src/analyzers/sketch.js';

/** Deterministic PRNG so the sample is the same on every run. */
const rng = seededRandom;

/** Exact value of rank ⌊q·(n − 1)⌋, the rank the sketch's guarantee is stated for. */
function exact(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

describe('LogSketch', () => {
  it('answers quantiles of a heavy-tailed sample within 1% of the exact ones', () => {
    const random = rng(42);
    const sketch = new LogSketch();
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Log-normal: median e^5 ≈ 148 ms, long tail up to tens of seconds.
      const u1 = Math.max(random(), 1e-12);
      const u2 = random();
      const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      const value = Math.exp(5 + 1.5 * z);
      values.push(value);
      sketch.add(value);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999]) {
      const want = exact(values, q);
      expect(Math.abs(sketch.quantile(q) - want) / want).toBeLessThanOrEqual(0.01 + 1e-9);
    }
    expect(sketch.count).toBe(20_000);
    expect(sketch.max).toBe(values[values.length - 1]);
    expect(sketch.min).toBe(values[0]);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(sketch.mean).toBeCloseTo(mean, 6);
  });

  it('gives exact small cases: 1..100 ms', () => {
    const sketch = new LogSketch();
    for (let v = 1; v <= 100; v++) sketch.add(v);
    // rank ⌊0.5·99⌋ = 49 → value 50; ⌊0.95·99⌋ = 94 → 95; ⌊0.99·99⌋ = 98 → 99.
    expect(Math.abs(sketch.quantile(0.5) - 50) / 50).toBeLessThanOrEqual(0.01);
    expect(Math.abs(sketch.quantile(0.95) - 95) / 95).toBeLessThanOrEqual(0.01);
    expect(Math.abs(sketch.quantile(0.99) - 99) / 99).toBeLessThanOrEqual(0.01);
    expect(sketchSummary(sketch)).toMatchObject({ count: 100, mean: 50.5, max: 100 });
  });

  it('merges: two halves give the quantiles of the whole', () => {
    const whole = new LogSketch();
    const a = new LogSketch();
    const b = new LogSketch();
    for (let v = 1; v <= 1000; v++) {
      whole.add(v * 3);
      (v % 2 === 0 ? a : b).add(v * 3);
    }
    a.merge(b);
    for (const q of [0.25, 0.5, 0.95, 0.99]) expect(a.quantile(q)).toBe(whole.quantile(q));
    expect(a.count).toBe(1000);
    expect(a.sum).toBe(whole.sum);
  });

  it('keeps zeros in a zero bucket and ignores negative and NaN values', () => {
    const sketch = new LogSketch();
    sketch.add(0);
    sketch.add(0);
    sketch.add(-5);
    sketch.add(Number.NaN);
    sketch.add(Infinity);
    sketch.add(10);
    sketch.add(10);
    expect(sketch.count).toBe(4);
    // Sorted 0, 0, 10, 10 (h = q·3): p50 h = 1.5 → 0 + 0.5·(10 − 0) = 5; p90 h = 2.7 → 10.
    expect(sketch.quantile(0.5)).toBe(5);
    expect(sketch.quantile(0.9)).toBe(10);
  });

  it('matches simple-statistics quantiles on small samples, where tails reach the max', () => {
    // 230, 241, 252, 260, 284, 671: p95 h = 0.95·5 = 4.75 → 284 + 0.75·(671 − 284) = 574.25;
    // p99 h = 4.95 → 284 + 0.95·387 = 651.65 (a lower-rank sketch would say 284 for both).
    const sketch = new LogSketch();
    for (const v of [252, 230, 241, 260, 284, 671]) sketch.add(v);
    expect(Math.abs(sketch.quantile(0.95) - 574.25) / 574.25).toBeLessThanOrEqual(0.01);
    expect(Math.abs(sketch.quantile(0.99) - 651.65) / 651.65).toBeLessThanOrEqual(0.01);
    for (const n of [1, 2, 3, 7, 40]) {
      const values = Array.from({ length: n }, (_, i) => 10 + i * i);
      const small = new LogSketch();
      for (const v of values) small.add(v);
      for (const q of [0.5, 0.9, 0.95, 0.99]) {
        const exact = quantileSorted(values, q);
        expect(Math.abs(small.quantile(q) - exact) / exact).toBeLessThanOrEqual(0.01);
      }
    }
  });

  it('stays bounded: collapsing keeps the high quantiles accurate', () => {
    const sketch = new LogSketch({ maxBuckets: 64 });
    // 1e-2 .. 1e6 spans ~920 buckets at 1%; only 64 are kept.
    const values: number[] = [];
    for (let e = -2; e <= 6; e += 0.01) values.push(10 ** e);
    for (const v of values) sketch.add(v);
    const want = exact(values, 0.99);
    expect(Math.abs(sketch.quantile(0.99) - want) / want).toBeLessThanOrEqual(0.01 + 1e-9);
    expect(sketch.count).toBe(values.length);
  });

  it('clear() empties it', () => {
    const sketch = new LogSketch();
    sketch.add(5);
    sketch.clear();
    expect(sketch.count).toBe(0);
    expect(sketch.quantile(0.5)).toBe(0);
    sketch.add(7);
    expect(Math.abs(sketch.quantile(0.5) - 7) / 7).toBeLessThanOrEqual(0.01);
  });
});
