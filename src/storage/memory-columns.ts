/**
 * Building blocks of the in-memory store's columnar layout: ref-counted string tables, index
 * lists of 32-bit sequence numbers, and span ids packed into two 32-bit words.
 */

const TWO_POW_32 = 4294967296;

/**
 * Strings interned with reference counts: a session, agent, trace or type string is held once,
 * however many events carry it, and released when the last of them is evicted. Index 0 means
 * "absent" (undefined).
 */
export class StringTable {
  private readonly byString = new Map<string, number>();
  private readonly strings: (string | undefined)[] = [undefined];
  private readonly refs: number[] = [0];
  private readonly free: number[] = [];

  /** Index of `value` (0 for undefined), counting one more reference to it. */
  acquire(value: string | undefined): number {
    if (value === undefined) return 0;
    let index = this.byString.get(value);
    if (index === undefined) {
      index = this.free.pop() ?? this.strings.length;
      this.strings[index] = value;
      this.refs[index] = 0;
      this.byString.set(value, index);
    }
    this.refs[index]!++;
    return index;
  }

  /** Drops one reference; the string is forgotten with its last one. */
  release(index: number): void {
    if (index === 0) return;
    if (--this.refs[index]! > 0) return;
    this.byString.delete(this.strings[index]!);
    this.strings[index] = undefined;
    this.free.push(index);
  }

  /** Index of `value` without counting a reference; undefined when it is not held. */
  find(value: string): number | undefined {
    return this.byString.get(value);
  }

  get(index: number): string | undefined {
    return this.strings[index];
  }

  /** Distinct strings held. */
  get size(): number {
    return this.byString.size;
  }

  clear(): void {
    this.byString.clear();
    this.strings.length = 1;
    this.refs.length = 1;
    this.free.length = 0;
  }
}

/**
 * Sequence numbers of one index key, ascending; entries before `start` are evicted.
 * (Exported for tests only; not part of the public API.)
 *
 * Kept modulo 2^32 in a Uint32Array (4 bytes an entry rather than 8 in a JS array). The full
 * number is rebuilt from the store's oldest live sequence number `first`: every live entry lies
 * in [first, first + capacity), a range shorter than 2^32, so the low 32 bits identify it.
 */
export class SeqList {
  private data = new Uint32Array(4);
  length = 0;
  start = 0;

  push(seq: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = seq >>> 0;
  }

  /** Full sequence number of live entry `i`, given the store's oldest live sequence number. */
  at(i: number, first: number): number {
    return first + ((this.data[i]! - (first >>> 0) + TWO_POW_32) % TWO_POW_32);
  }

  get live(): number {
    return this.length - this.start;
  }

  compact(): void {
    this.data.copyWithin(0, this.start, this.length);
    this.length -= this.start;
    this.start = 0;
    if (this.data.length > 64 && this.length * 4 < this.data.length) this.data = this.data.slice(0, this.length * 2);
  }
}

/** A readable run of ascending sequence numbers: an index list, or a merged array. */
export interface SeqSource {
  readonly start: number;
  readonly length: number;
  at(i: number, first: number): number;
}

export function arraySource(seqs: number[]): SeqSource {
  return { start: 0, length: seqs.length, at: (i) => seqs[i]! };
}

/** First index in [from, length) whose sequence number is >= value. */
export function lowerBound(source: SeqSource, from: number, value: number, first: number): number {
  let lo = from;
  let hi = source.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (source.at(mid, first) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Value of one lowercase hex digit, or -1. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/**
 * The high (`offset` 0) or low (`offset` 8) 32 bits of a span id of 16 lowercase hex digits,
 * or -1 when the id has another shape (it is then kept as a string instead).
 */
export function spanWord(spanId: string, offset: 0 | 8): number {
  if (spanId.length !== 16) return -1;
  let word = 0;
  for (let i = offset; i < offset + 8; i++) {
    const digit = hexDigit(spanId.charCodeAt(i));
    if (digit < 0) return -1;
    word = word * 16 + digit;
  }
  return word;
}

/** Packs a span id into `high[slot]` and `low[slot]`; false (nothing written) when it is not 16 lowercase hex digits. */
export function packSpanId(spanId: string, high: Uint32Array, low: Uint32Array, slot: number): boolean {
  const h = spanWord(spanId, 0);
  const l = h < 0 ? -1 : spanWord(spanId, 8);
  if (l < 0) return false;
  high[slot] = h;
  low[slot] = l;
  return true;
}

/** The span id back from its two words. */
export function spanIdOf(high: number, low: number): string {
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}
