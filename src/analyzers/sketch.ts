/**
 * A streaming quantile sketch with a guaranteed relative error (DDSketch, Masson et al., VLDB 2019):
 * values fall into logarithmic buckets `(γ^(i-1), γ^i]` with `γ = (1 + α) / (1 - α)`, and a
 * quantile is answered with the bucket's representative `2γ^i / (γ + 1)`, which is within a
 * relative `α` of every value in the bucket. So `quantile(q)` is within `α` (default 1%) of the
 * exact quantile as simple-statistics computes it (linear interpolation between order
 * statistics, numpy's default), whatever the distribution.
 *
 * Memory: one `Float64Array` of counts covering the buckets seen so far (it grows by a quarter),
 * at most `maxBuckets` (default 2048, i.e. values spanning 17 orders of magnitude at α = 1%);
 * beyond that the lowest buckets are collapsed into one, as the DDSketch paper's collapsing
 * store does, which only degrades the lowest quantiles. An insert is one `Math.log`, one
 * multiplication and one array increment: no allocation once the array covers the range. The
 * bucket of a whole number below 32,768 (a duration in ms, usually) is memoized in a table shared
 * by the sketches of one accuracy (128 KB, at most 4 accuracies), so most inserts skip the log.
 */

import type { LatencyStats } from './types.js';

/** Default relative accuracy of every sketch the built-in analyzers keep: 1%. */
export const DEFAULT_RELATIVE_ACCURACY = 0.01;

export interface LogSketchOptions {
  /** Relative accuracy α in (0, 1). Default 0.01 (1%). */
  relativeAccuracy?: number;
  /** Values below this (and zero) count in a zero bucket answered as 0. Default 1e-3. */
  minValue?: number;
  /** Most buckets kept before the lowest ones are collapsed. Default 2048. */
  maxBuckets?: number;
}

/** Parameters shared by sketches of the same accuracy (so that they can be merged). */
interface SketchParams {
  readonly alpha: number;
  readonly gamma: number;
  readonly invLogGamma: number;
  readonly minValue: number;
  readonly maxBuckets: number;
}

const INITIAL_BUCKETS = 64;

/**
 * Bucket of each integer value below this, memoized per accuracy (durations in whole ms are the
 * common case): a table read instead of a logarithm. 128 KB per accuracy, filled lazily.
 */
const MEMO_SIZE = 1 << 15;
const MAX_MEMO_TABLES = 4;
const memoTables = new Map<number, Int32Array>();
const NO_MEMO = new Int32Array(0);

function memoTable(invLogGamma: number): Int32Array {
  let table = memoTables.get(invLogGamma);
  if (table === undefined) {
    // Beyond a few distinct accuracies, compute every logarithm (memory stays bounded).
    if (memoTables.size >= MAX_MEMO_TABLES) return NO_MEMO;
    table = new Int32Array(MEMO_SIZE).fill(-1);
    memoTables.set(invLogGamma, table);
  }
  return table;
}

/** `⌈ln(value)·invLogGamma⌉`, memoized for integers in [1, memo.length) (their buckets are ≥ 0). */
function bucketIndex(value: number, invLogGamma: number, memo: Int32Array): number {
  if (value >= 1 && value < memo.length && (value | 0) === value) {
    let bucket = memo[value]!;
    if (bucket < 0) memo[value] = bucket = Math.ceil(Math.log(value) * invLogGamma);
    return bucket;
  }
  return Math.ceil(Math.log(value) * invLogGamma);
}

export class LogSketch {
  readonly relativeAccuracy: number;
  private readonly params: SketchParams;
  private readonly memo: Int32Array;
  private counts: Float64Array = new Float64Array(0);
  /** Bucket index of `counts[0]`. */
  private offset = 0;
  private zeroCount = 0;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(options: LogSketchOptions = {}) {
    const alpha = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
    if (!(alpha > 0 && alpha < 1)) throw new RangeError('[fleetscope] [sketch] relativeAccuracy must be in (0, 1)');
    const gamma = (1 + alpha) / (1 - alpha);
    this.relativeAccuracy = alpha;
    this.params = {
      alpha,
      gamma,
      invLogGamma: 1 / Math.log(gamma),
      minValue: options.minValue ?? 1e-3,
      maxBuckets: Math.max(16, options.maxBuckets ?? 2048),
    };
    this.memo = memoTable(this.params.invLogGamma);
  }

  /** Adds one value; negative, NaN and infinite values are ignored (callers count those). */
  add(value: number, weight = 1): void {
    if (!(value >= 0) || value === Infinity) return;
    this.count += weight;
    this.sum += value * weight;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value < this.params.minValue) {
      this.zeroCount += weight;
      return;
    }
    const index = bucketIndex(value, this.params.invLogGamma, this.memo);
    let slot = index - this.offset;
    if (slot < 0 || slot >= this.counts.length) slot = this.grow(index);
    this.counts[slot]! += weight;
  }

  /**
   * Bucket of `value` (NaN for the zero bucket), for `addToBucket`: lets a caller that records
   * the same value in several sketches of the same accuracy take the logarithm once.
   */
  bucketOf(value: number): number {
    return value < this.params.minValue ? Number.NaN : bucketIndex(value, this.params.invLogGamma, this.memo);
  }

  /**
   * `add(value)` with the value's bucket already known (`bucketOf(value)` of a sketch of the same
   * accuracy and `minValue`). Same result as `add`, without the logarithm.
   */
  addToBucket(value: number, bucket: number): void {
    if (!(value >= 0) || value === Infinity) return;
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (bucket !== bucket) {
      this.zeroCount += 1;
      return;
    }
    let slot = bucket - this.offset;
    if (slot < 0 || slot >= this.counts.length) slot = this.grow(bucket);
    this.counts[slot]! += 1;
  }

  /** Mean of the values added (exact). 0 when empty. */
  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /**
   * Value at quantile `q` (0..1): within the relative accuracy of the exact value of rank
   * `⌊q·(n − 1)⌋`, clamped to the exact min and max. 0 when empty.
   */
  /**
   * The q-quantile as simple-statistics' `quantileSorted` and numpy's default compute it on the
   * exact values: linear interpolation between the order statistics of ranks ⌊h⌋ and ⌊h⌋ + 1,
   * h = q·(n − 1). Each order statistic comes from its bucket (within α), or is the exact min or
   * max at the ends, so the result is within α of the exact quantile; with few samples the tail
   * quantiles reach the exact max (p99 of 6 values interpolates towards the largest).
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    const h = q * (this.count - 1);
    const lower = Math.floor(h);
    const low = this.valueAtRank(lower);
    const fraction = h - lower;
    return fraction === 0 ? low : low + fraction * (this.valueAtRank(lower + 1) - low);
  }

  /** Estimate of the order statistic of 0-based rank `rank`: exact at both ends, else its bucket's. */
  private valueAtRank(rank: number): number {
    if (rank <= 0) return this.min;
    if (rank >= this.count - 1) return this.max;
    let seen = this.zeroCount;
    if (seen > rank) return Math.max(0, this.min);
    const counts = this.counts;
    const { gamma } = this.params;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!;
      if (seen > rank) {
        const estimate = (2 * Math.pow(gamma, i + this.offset)) / (gamma + 1);
        return Math.min(this.max, Math.max(this.min, estimate));
      }
    }
    return this.max;
  }

  /** Adds every value of `other` (which must have the same relative accuracy). */
  merge(other: LogSketch): void {
    if (other.count === 0) return;
    if (other.params.gamma !== this.params.gamma) {
      throw new RangeError('[fleetscope] [sketch] cannot merge sketches of different accuracies');
    }
    this.count += other.count;
    this.sum += other.sum;
    this.zeroCount += other.zeroCount;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    const src = other.counts;
    for (let i = 0; i < src.length; i++) {
      const c = src[i]!;
      if (c === 0) continue;
      const index = i + other.offset;
      let slot = index - this.offset;
      if (slot < 0 || slot >= this.counts.length) slot = this.grow(index);
      this.counts[slot]! += c;
    }
  }

  /** Empties the sketch, keeping its array for reuse. */
  clear(): void {
    this.counts.fill(0);
    this.zeroCount = 0;
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  /** Makes room for bucket `index`; returns its slot in `counts`. */
  private grow(index: number): number {
    const old = this.counts;
    if (old.length === 0) {
      this.counts = new Float64Array(INITIAL_BUCKETS);
      this.offset = index - (INITIAL_BUCKETS >> 1);
      return index - this.offset;
    }
    // Range currently used, plus the new index.
    let lo = index;
    let hi = index;
    for (let i = 0; i < old.length; i++) {
      if (old[i] !== 0) {
        lo = Math.min(lo, i + this.offset);
        break;
      }
    }
    for (let i = old.length - 1; i >= 0; i--) {
      if (old[i] !== 0) {
        hi = Math.max(hi, i + this.offset);
        break;
      }
    }
    const max = this.params.maxBuckets;
    let collapsed = 0;
    if (hi - lo + 1 > max) {
      // Collapse the lowest buckets into bucket `hi - max + 1` (lowest quantiles lose accuracy).
      const newLo = hi - max + 1;
      for (let i = 0; i < old.length; i++) {
        if (i + this.offset < newLo) {
          collapsed += old[i]!;
          old[i] = 0;
        }
      }
      if (index < newLo) {
        // The value being added itself falls in the collapsed range.
        index = newLo;
      }
      lo = newLo;
    }
    // The range used plus a quarter (at least 32 buckets) of room: geometric growth (few copies),
    // without the up-to-2x waste of doubling (a 1 ms–100 s range is 576 buckets: 720, not 1,024).
    const span = hi - lo + 1;
    const size = Math.min(Math.max(old.length, span + Math.max(INITIAL_BUCKETS >> 1, span >> 2)), Math.max(max, span));
    const next = new Float64Array(size);
    // Centre the used range so that growth either way is cheap.
    const newOffset = lo - Math.floor((size - (hi - lo + 1)) / 2);
    for (let i = 0; i < old.length; i++) {
      const c = old[i]!;
      if (c !== 0) next[i + this.offset - newOffset]! += c;
    }
    if (collapsed !== 0) next[lo - newOffset]! += collapsed;
    this.counts = next;
    this.offset = newOffset;
    return index - newOffset;
  }
}

/** The `LatencyStats` figures of a sketch (count, mean, p50, p95, p99, max), rounded to 0.001. */
export function sketchSummary(sketch: LogSketch): LatencyStats {
  if (sketch.count === 0) return { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  return {
    count: sketch.count,
    mean: round3(sketch.mean),
    p50: round3(sketch.quantile(0.5)),
    p95: round3(sketch.quantile(0.95)),
    p99: round3(sketch.quantile(0.99)),
    max: round3(sketch.max),
  };
}

export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
