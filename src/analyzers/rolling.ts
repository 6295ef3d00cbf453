/**
 * Rolling-window storage for the aggregation analyzer: a ring of `slots` time slots, each with a
 * fixed set of counters and (optionally) a quantile sketch. A slot is reset lazily when a later
 * time slot maps onto it, so writing is O(1) and allocation-free once the slot's sketch exists;
 * reading merges the slots still inside the window. A window of length W with n slots therefore
 * covers between W − W/n and W of the most recent time.
 */
import { LogSketch } from './sketch.js';

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
  readonly slotIds: Float64Array;
  readonly counters: Float64Array;
  private readonly sketches: (LogSketch | undefined)[];

  constructor(
    readonly slots: number,
    private readonly relativeAccuracy: number,
    withSketch: boolean,
  ) {
    this.slotIds = new Float64Array(slots).fill(-Infinity);
    this.counters = new Float64Array(slots * FIELD_COUNT);
    this.sketches = withSketch ? new Array<LogSketch | undefined>(slots).fill(undefined) : [];
  }

  /** Index of time slot `slot` in the ring, resetting it when it held an older slot. */
  index(slot: number): number {
    const i = this.slots === 1 ? 0 : slot % this.slots;
    if (this.slotIds[i] !== slot) {
      this.slotIds[i] = slot;
      this.counters.fill(0, i * FIELD_COUNT, (i + 1) * FIELD_COUNT);
      this.sketches[i]?.clear();
    }
    return i;
  }

  add(slot: number, field: number, value: number): void {
    this.counters[this.index(slot) * FIELD_COUNT + field]! += value;
  }

  /** Records one latency value in slot `slot`. */
  addLatency(slot: number, value: number): void {
    const i = this.index(slot);
    let sketch = this.sketches[i];
    if (sketch === undefined) {
      sketch = new LogSketch({ relativeAccuracy: this.relativeAccuracy });
      this.sketches[i] = sketch;
    }
    sketch.add(value);
  }

  /**
   * Sums the counters of the slots in `(current − slots, current]` into `into` (length
   * FIELD_COUNT) and merges their sketches into `sketch`; returns whether any slot was live.
   */
  collect(current: number, into: Float64Array, sketch: LogSketch | undefined): boolean {
    let live = false;
    const lowest = current - this.slots;
    for (let i = 0; i < this.slots; i++) {
      const id = this.slotIds[i]!;
      if (this.slots !== 1 && (id <= lowest || id > current)) continue;
      if (id === -Infinity) continue;
      live = true;
      const base = i * FIELD_COUNT;
      for (let f = 0; f < FIELD_COUNT; f++) into[f]! += this.counters[base + f]!;
      const own = this.sketches[i];
      if (sketch !== undefined && own !== undefined) sketch.merge(own);
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
