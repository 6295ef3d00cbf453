/**
 * The slot sketches of the aggregation windows (issue 14, point 11): exact while small, a 1% sketch
 * when the budget has room, a sample with exact count/sum/min/max when it has none, and memory given
 * back when a slot is reused.
 */
import { describe, expect, it } from 'vitest';
import { RollingSeries } from '../../src/analyzers/rolling.js';
import { LogSketch } from '../../src/analyzers/sketch.js';
import { EXACT_VALUES, SlotSketch, newSketchBudget } from '../../src/analyzers/slot-sketch.js';

const bucketing = new LogSketch();
const add = (s: SlotSketch, budget: ReturnType<typeof newSketchBudget>, v: number) => s.add(v, bucketing.bucketOf(v), budget, 0.01);

describe('SlotSketch', () => {
  it('keeps few values exactly: quantiles are the exact ones', () => {
    const budget = newSketchBudget(1e6);
    const slot = SlotSketch.create(budget)!;
    for (const v of [10, 20, 30, 40, 50]) add(slot, budget, v);
    const target = new LogSketch();
    slot.mergeInto(target);
    // p50 of 10..50 is 30; as a bucket representative it is within 1%.
    expect(target.count).toBe(5);
    expect(target.sum).toBe(150);
    expect(Math.abs(target.quantile(0.5) - 30) / 30).toBeLessThanOrEqual(0.01);
    // 128 bytes for the object, 64 for the array, 8 values of 8 bytes (reserved by 8).
    expect(budget.used).toBe(128 + 64 + 8 * 8);
  });

  it('turns dense past 32 values when the budget has room, and gives everything back on release', () => {
    const budget = newSketchBudget(1e6);
    const slot = SlotSketch.create(budget)!;
    for (let v = 1; v <= 100; v++) add(slot, budget, v);
    expect(budget.used).toBe(128 + 2048 * 8 + 512);
    const target = new LogSketch();
    slot.mergeInto(target);
    expect(target.count).toBe(100);
    expect(Math.abs(target.quantile(0.5) - 50.5) / 50.5).toBeLessThanOrEqual(0.011);
    slot.release(budget);
    expect(budget.used).toBe(0);
  });

  it('without room samples: exact count, sum, min and max, bounded memory, counted', () => {
    const budget = newSketchBudget(1000); // room for the object and 32 values, not a dense sketch
    const slot = SlotSketch.create(budget)!;
    for (let v = 1; v <= 10_000; v++) add(slot, budget, v);
    expect(budget.used).toBeLessThanOrEqual(1000);
    expect(budget.sampledSlots).toBe(1);
    const target = new LogSketch();
    slot.mergeInto(target);
    expect(target.count).toBeCloseTo(10_000, 6);
    expect(target.sum).toBeCloseTo((10_000 * 10_001) / 2, 3);
    expect(target.min).toBe(1);
    expect(target.max).toBe(10_000);
    // A uniform sample of 32 of 1..10000: its median is near 5000 (loosely: within 40%).
    expect(target.quantile(0.5)).toBeGreaterThan(3000);
    expect(target.quantile(0.5)).toBeLessThan(7000);
    expect(EXACT_VALUES).toBe(32);
  });

  it('a rolling series frees a slot when a later time reuses it, so memory follows the live slots', () => {
    const budget = newSketchBudget(64 * 2 ** 20);
    const series = new RollingSeries(10, 3, 0.01, { size: 10, budget, unbudgeted: newSketchBudget(Infinity), budgetedBelow: 10 });
    for (let t = 0; t < 1000; t++) {
      const i = t % 10;
      series.at(i, t);
      for (let k = 0; k < 50; k++) series.addLatency(i, t, k + 1, bucketing.bucketOf(k + 1));
    }
    // 10 live slots, each dense: 10 x (128 + 16,896) bytes; 990 slots were freed on the way.
    expect(budget.used).toBe(10 * (128 + 2048 * 8 + 512));
    // A value for an older time slot than the ring slot holds is left out, not written over the newer one.
    series.addLatency(0, 990 - 10, 5, bucketing.bucketOf(5));
    expect(budget.used).toBe(10 * (128 + 2048 * 8 + 512));
    const target = new LogSketch();
    series.collectLatency({ first: 0, slots: 10, current: 999 }, target);
    expect(target.count).toBe(10 * 50);
  });
});
