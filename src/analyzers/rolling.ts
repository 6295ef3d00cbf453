/**
 * Rolling-window storage for the aggregation analyzer. One `RollingSeries` holds the time slots
 * of EVERY window side by side (window w owns ring slots `[first, first + slots)`), each with a
 * fixed set of counters, so that one event is recorded in all windows through a single object. A
 * slot is reset lazily when a later time slot maps onto it, so writing is O(1) and allocation-free;
 * reading sums the slots still inside the window. A window of length W with n slots therefore
 * covers between W − W/n and W of the most recent time.
 *
 * Latencies go to a second, coarser ring per window (`sketchSlots` of them, fewer than the counter
 * slots): a quantile sketch per slot costs far more than a row of counters, so a window's quantiles
 * cover between W − W/sketchSlots and W, its counts and rates between W − W/slots and W.
 */
import type { LogSketch } from './sketch.js';
import { SlotSketch, type SketchBudget } from './slot-sketch.js';

/** Counter fields of an operation series (indexes into a slot's counters). */
export const F_SUCCESS = 0;
export const F_ERROR = 1;
/** Neither success nor error: tool `blocked`, agent `cancelled`. */
export const F_OTHER = 2;
/** Fields of a series that counts outcomes only (tools, agents). */
export const OUTCOME_FIELDS = 3;
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

/** Where the latency sketches of a series live, and which memory budget each ring slot draws on. */
export interface SketchRing {
  /** Sketch ring slots of all windows together. */
  size: number;
  /** Budget of the ring slots below `budgetedBelow` (the rolling windows). */
  budget: SketchBudget;
  /** Budget of the others (the cumulative window). */
  unbudgeted: SketchBudget;
  budgetedBelow: number;
}

/** The slots of one window in a ring: the first ring slot, how many, and the time slot of now. */
export interface RingRange {
  first: number;
  slots: number;
  current: number;
}

export class RollingSeries {
  /** Time slot number held by each ring slot (-Infinity = never used). */
  readonly slotIds: Float64Array;
  /** `fields` counters per ring slot. */
  readonly counters: Float64Array;
  /** Time slot number held by each sketch ring slot. */
  private readonly sketchIds: Float64Array;
  /** Latency sketch per sketch ring slot, created on the slot's first value and released when the slot is reset. */
  private readonly sketches: (SlotSketch | undefined)[];

  /**
   * `size`: counter ring slots of all windows together; `fields`: counters per slot (FIELD_COUNT,
   * or OUTCOME_FIELDS for a series that never records usage); `ring`: the latency sketches, if any.
   */
  constructor(
    size: number,
    readonly fields: number,
    private readonly relativeAccuracy: number,
    private readonly ring?: SketchRing,
  ) {
    this.slotIds = new Float64Array(size).fill(-Infinity);
    this.counters = new Float64Array(size * fields);
    this.sketchIds = new Float64Array(ring?.size ?? 0).fill(-Infinity);
    this.sketches = ring === undefined ? [] : new Array<SlotSketch | undefined>(ring.size).fill(undefined);
  }

  /**
   * Base offset in `counters` of ring slot `i` holding time slot `slot`, resetting the ring slot
   * when it held an older time slot.
   */
  at(i: number, slot: number): number {
    const base = i * this.fields;
    if (this.slotIds[i] !== slot) {
      this.slotIds[i] = slot;
      this.counters.fill(0, base, base + this.fields);
    }
    return base;
  }

  /**
   * Records one latency value in sketch ring slot `j` for (sketch) time slot `slot`, `bucket`
   * being `bucketOf(value)` of a sketch of the same accuracy. The slot's sketch is freed when a
   * later time slot takes the ring slot over; a value for an older time slot than the one the ring
   * slot holds (an event at the far edge of the window) is left out of the window's quantiles.
   */
  addLatency(j: number, slot: number, value: number, bucket: number): void {
    const ring = this.ring;
    if (ring === undefined) return;
    const held = this.sketchIds[j]!;
    if (held > slot) return;
    const budget = j < ring.budgetedBelow ? ring.budget : ring.unbudgeted;
    let sketch = this.sketches[j];
    if (held !== slot) {
      this.sketchIds[j] = slot;
      // Freed, not cleared: a slot's memory follows what it holds now.
      sketch?.release(budget);
      sketch = this.sketches[j] = undefined;
    }
    if (sketch === undefined) {
      sketch = SlotSketch.create(budget);
      if (sketch === undefined) return;
      this.sketches[j] = sketch;
    }
    sketch.add(value, bucket, budget, this.relativeAccuracy);
  }

  /**
   * Sums the counters of the ring slots of `range` holding time slots in `(current − slots,
   * current]` (any time slot when `slots` is 1: the cumulative window) into `into` (at least
   * `fields` long); returns whether any slot was live.
   */
  collect(range: RingRange, into: Float64Array): boolean {
    let live = false;
    const fields = this.fields;
    for (let i = range.first; i < range.first + range.slots; i++) {
      if (!inRange(this.slotIds[i]!, range)) continue;
      live = true;
      const base = i * fields;
      for (let f = 0; f < fields; f++) into[f]! += this.counters[base + f]!;
    }
    return live;
  }

  /** Merges the latency sketches of the sketch ring slots of `range` still inside it into `sketch`. */
  collectLatency(range: RingRange, sketch: LogSketch): void {
    for (let j = range.first; j < range.first + range.slots; j++) {
      const own = this.sketches[j];
      if (own !== undefined && inRange(this.sketchIds[j]!, range)) own.mergeInto(sketch);
    }
  }
}

function inRange(id: number, range: RingRange): boolean {
  if (id === -Infinity) return false;
  return range.slots === 1 || (id > range.current - range.slots && id <= range.current);
}

/**
 * One rolling window: its label, length, counter slots and latency sketch slots. `ms === null` is
 * the cumulative window (one slot of each).
 */
export interface WindowSpec {
  label: string;
  ms: number | null;
  slotMs: number;
  slots: number;
  sketchSlotMs: number;
  sketchSlots: number;
}

/** Slot number of time `t` in window `w` (always 0 for the cumulative window). */
export function slotOf(w: WindowSpec, t: number): number {
  return w.ms === null ? 0 : Math.floor(t / w.slotMs);
}

/** Sketch slot number of time `t` in window `w` (always 0 for the cumulative window). */
export function sketchSlotOf(w: WindowSpec, t: number): number {
  return w.ms === null ? 0 : Math.floor(t / w.sketchSlotMs);
}
