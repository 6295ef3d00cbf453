/**
 * Rolling-window storage for the aggregation analyzer. One `RollingSeries` holds the time slots
 * of EVERY window side by side (window w owns ring slots `[first, first + slots)`), each with a
 * fixed set of counters and (optionally) a quantile sketch, so that one event is recorded in all
 * windows through a single object. A slot is reset lazily when a later time slot maps onto it,
 * so writing is O(1) and allocation-free once the slot's sketch exists; reading merges the slots
 * still inside the window. A window of length W with n slots therefore covers between W − W/n
 * and W of the most recent time.
 */
import type { LogSketch } from './sketch.js';
import { SlotSketch, type SketchBudget } from './slot-sketch.js';

/** Counter fields of an operation series (indexes into a slot's counters). */
export const F_SUCCESS = 0;
export const F_ERROR = 1;
/** Neither success nor error: tool `blocked`, agent `cancelled`. */
export const F_OTHER = 2;
export const F_INPUT = 3;
export const F_OUTPUT = 4;
export const F_CACHE_READ = 5;
export const F_CACHE_WRITE = 6;
export const F_COST = 7;
export const F_UNPRICED = 8;
/** Events (window totals only). */
export const F_EVENTS = 9;
/** LLM calls that carried token counts. */
export const F_PRICED = 10;
export const FIELD_COUNT = 11;

export class RollingSeries {
  /** Time slot number held by each ring slot (-Infinity = never used). */
  readonly slotIds: Float64Array;
  /** FIELD_COUNT counters per ring slot. */
  readonly counters: Float64Array;
  /** Latency sketch per ring slot, created on the slot's first value and released when the slot is reset. */
  private readonly sketches: (SlotSketch | undefined)[];

  /**
   * `size`: ring slots of all windows together. Sketches of ring slots below `budgetedBelow`
   * (the rolling windows) share `budget`; the others (the cumulative window) share `unbudgeted`.
   */
  constructor(
    size: number,
    private readonly relativeAccuracy: number,
    withSketch: boolean,
    private readonly budget?: SketchBudget,
    private readonly unbudgeted?: SketchBudget,
    private readonly budgetedBelow = size,
  ) {
    this.slotIds = new Float64Array(size).fill(-Infinity);
    this.counters = new Float64Array(size * FIELD_COUNT);
    this.sketches = withSketch ? new Array<SlotSketch | undefined>(size).fill(undefined) : [];
  }

  /**
   * Base offset in `counters` of ring slot `i` holding time slot `slot`, resetting the ring slot
   * when it held an older time slot.
   */
  at(i: number, slot: number): number {
    const base = i * FIELD_COUNT;
    if (this.slotIds[i] !== slot) {
      this.slotIds[i] = slot;
      this.counters.fill(0, base, base + FIELD_COUNT);
      const sketch = this.sketches[i];
      if (sketch !== undefined) {
        // Freed, not cleared: a slot's memory follows what it holds now.
        sketch.release(this.budgetOf(i)!);
        this.sketches[i] = undefined;
      }
    }
    return base;
  }

  /**
   * Records one latency value in ring slot `i` (made current by `at` just before), `bucket`
   * being `bucketOf(value)` of a sketch of the same accuracy.
   */
  addLatency(i: number, value: number, bucket: number): void {
    const budget = this.budgetOf(i);
    if (budget === undefined) return;
    let sketch = this.sketches[i];
    if (sketch === undefined) {
      sketch = SlotSketch.create(budget);
      if (sketch === undefined) return;
      this.sketches[i] = sketch;
    }
    sketch.add(value, bucket, budget, this.relativeAccuracy);
  }

  private budgetOf(i: number): SketchBudget | undefined {
    return i < this.budgetedBelow ? this.budget : this.unbudgeted;
  }

  /**
   * Sums the counters of the ring slots `[first, first + slots)` holding time slots in
   * `(current − slots, current]` (any time slot when `slots` is 1: the cumulative window) into
   * `into` (length FIELD_COUNT) and merges their sketches into `sketch`; returns whether any
   * slot was live.
   */
  collect(first: number, slots: number, current: number, into: Float64Array, sketch: LogSketch | undefined): boolean {
    let live = false;
    const lowest = current - slots;
    for (let i = first; i < first + slots; i++) {
      const id = this.slotIds[i]!;
      if (slots !== 1 && (id <= lowest || id > current)) continue;
      if (id === -Infinity) continue;
      live = true;
      const base = i * FIELD_COUNT;
      for (let f = 0; f < FIELD_COUNT; f++) into[f]! += this.counters[base + f]!;
      const own = this.sketches[i];
      if (sketch !== undefined && own !== undefined) own.mergeInto(sketch);
    }
    return live;
  }
}

/** One rolling window: its label, length and slot width. `ms === null` is the cumulative window. */
export interface WindowSpec {
  label: string;
  ms: number | null;
  slotMs: number;
  slots: number;
}

/** Slot number of time `t` in window `w` (always 0 for the cumulative window). */
export function slotOf(w: WindowSpec, t: number): number {
  return w.ms === null ? 0 : Math.floor(t / w.slotMs);
}
