/**
 * The latency sketch of one time slot of a rolling window, under a memory budget shared by every
 * slot of an analyzer (issue 14, point 11: one dense `LogSketch` per slot per window per
 * operation, cleared but never freed, grew to hundreds of MB).
 *
 * A slot keeps its values exactly while it has few (up to EXACT_VALUES, in a plain array: a typed
 * array costs ~170 bytes of wrappers before its first value), then turns into a dense `LogSketch`
 * (1% relative error) if the budget has room
 * for a whole one. Without room, the slot keeps a uniform sample of EXACT_VALUES values (reservoir
 * sampling) with its exact count, sum, min and max; such slots are counted in the budget's
 * `sampledSlots` (their quantiles are estimates from the sample). A slot's memory is released
 * when the slot is reset for a later time, so memory follows what the windows hold now, not the
 * busiest moment they ever saw. Every byte is reserved before it is allocated, a dense sketch at
 * its largest size, with V8's object overheads (measured with heap snapshots on Node 20): the memory
 * of all slots together stays within `limit`.
 */
import { LogSketch } from './sketch.js';

/** Memory shared by the slot sketches of one analyzer. */
export interface SketchBudget {
  /** Most bytes reserved by all slot sketches together. */
  readonly limit: number;
  /** Bytes reserved now. */
  used: number;
  /** Slots that kept a sample instead of every value (the budget had no room for a dense sketch). */
  sampledSlots: number;
  /** State of the sampling generator (xorshift32): deterministic, so runs are reproducible. */
  seed: number;
}

export function newSketchBudget(limit: number): SketchBudget {
  return { limit, used: 0, sampledSlots: 0, seed: 0x9e3779b9 };
}

/** Values kept exactly before a slot turns into a dense sketch (or a sample). */
export const EXACT_VALUES = 32;
/** Bytes reserved for a slot sketch object itself (~100 bytes of fields) and its slot in the series' array. */
const OBJECT_BYTES = 128;
/** Bytes reserved for the array of exact values besides its elements (the array object and its store's header). */
const ARRAY_BYTES = 64;
/** Bytes reserved for a dense sketch: its counts at the largest size (2048 buckets), its typed array and the object. */
const DENSE_BYTES = 2048 * 8 + 512;

function nextRandom(budget: SketchBudget): number {
  let x = budget.seed;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  budget.seed = x >>> 0;
  return budget.seed / 4294967296;
}

export class SlotSketch {
  private values: number[] | undefined;
  /** Values held in `values` (all of them, or the sample). */
  private held = 0;
  private dense: LogSketch | undefined;
  private sampled = false;
  private reserved = OBJECT_BYTES;
  private count = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  /** A new slot sketch, or undefined when the budget has no room even for the object. */
  static create(budget: SketchBudget): SlotSketch | undefined {
    if (budget.used + OBJECT_BYTES > budget.limit) {
      budget.sampledSlots++;
      return undefined;
    }
    budget.used += OBJECT_BYTES;
    return new SlotSketch();
  }

  /** Adds one latency (ms, ≥ 0, finite); `bucket` is its `bucketOf` in a sketch of `accuracy`. */
  add(value: number, bucket: number, budget: SketchBudget, accuracy: number): void {
    if (this.dense !== undefined) {
      this.dense.addToBucket(value, bucket);
      return;
    }
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (this.sampled) {
      this.sample(value, budget);
      return;
    }
    if (this.held === EXACT_VALUES) {
      this.overflow(value, bucket, budget, accuracy);
      return;
    }
    // Reserved in steps of 8 values (V8 grows a double array by about half, at least 16 elements).
    if (this.held % 8 === 0) {
      const bytes = (this.values === undefined ? ARRAY_BYTES : 0) + 8 * 8;
      if (budget.used + bytes > budget.limit) {
        this.startSampling(budget);
        this.sample(value, budget);
        return;
      }
      budget.used += bytes;
      this.reserved += bytes;
      this.values ??= [];
    }
    this.values![this.held++] = value;
  }

  /** A full exact array: a dense sketch when the budget has room, else a sample from now on. */
  private overflow(value: number, bucket: number, budget: SketchBudget, accuracy: number): void {
    const arrayBytes = ARRAY_BYTES + EXACT_VALUES * 8;
    if (budget.used - arrayBytes + DENSE_BYTES <= budget.limit) {
      const dense = new LogSketch({ relativeAccuracy: accuracy });
      for (let i = 0; i < this.held; i++) dense.add(this.values![i]!);
      dense.addToBucket(value, bucket);
      budget.used += DENSE_BYTES - arrayBytes;
      this.reserved += DENSE_BYTES - arrayBytes;
      this.dense = dense;
      this.values = undefined;
      this.held = 0;
      return;
    }
    this.startSampling(budget);
    this.sample(value, budget);
  }

  /** Reservoir sampling (Vitter's algorithm R): each of the `count` values so far is in the sample with equal probability. */
  private sample(value: number, budget: SketchBudget): void {
    const size = this.held;
    if (size === 0) return;
    const j = Math.floor(nextRandom(budget) * this.count);
    if (j < size) this.values![j] = value;
  }

  private startSampling(budget: SketchBudget): void {
    this.sampled = true;
    budget.sampledSlots++;
    if (this.values === undefined) {
      // Not even a small array fits: keep only count, sum, min and max.
      this.values = [];
    }
  }

  /** Adds this slot's values (or its sample, weighted to its exact count) to `target`. */
  mergeInto(target: LogSketch): void {
    if (this.dense !== undefined) {
      target.merge(this.dense);
      return;
    }
    if (this.count === 0) return;
    const values = this.values!;
    if (!this.sampled) {
      for (let i = 0; i < this.held; i++) target.add(values[i]!);
      return;
    }
    // Each kept value stands for count / kept values.
    const kept = this.held;
    if (kept === 0) {
      // Nothing but the summary: count it all at the mean.
      target.add(this.sum / this.count, this.count);
    } else {
      const weight = this.count / kept;
      let sampleSum = 0;
      for (let i = 0; i < kept; i++) {
        target.add(values[i]!, weight);
        sampleSum += values[i]! * weight;
      }
      target.sum += this.sum - sampleSum;
    }
    if (this.min < target.min) target.min = this.min;
    if (this.max > target.max) target.max = this.max;
  }

  /** Gives this slot's memory back to the budget (the slot is being reset or dropped). */
  release(budget: SketchBudget): void {
    budget.used -= this.reserved;
    this.reserved = 0;
    this.values = undefined;
    this.dense = undefined;
  }
}
