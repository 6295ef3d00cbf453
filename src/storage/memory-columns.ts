/**
 * Building blocks of the in-memory store's columnar layout: ref-counted string tables, index
 * lists of 32-bit sequence numbers, and span ids packed into two 32-bit words.
 */

const TWO_POW_32 = 4294967296;

/**
 * Strings interned with reference counts: a session, agent, trace or type string is held once,
 * however many events carry it, and released when the last of them is evicted. Index 0 means
 * "absent" (undefined).
 *
 * Each caller names a field (0 to fields - 1) that remembers its last string and index: consecutive
 * events mostly repeat their session, source and trace, so acquiring one is a pointer compare and
 * a count, not a hash lookup. A string released for good is dropped from those memories.
 */
export class StringTable {
  private readonly byString = new Map<string, number>();
  private readonly strings: (string | undefined)[] = [undefined];
  private readonly refs: number[] = [0];
  private readonly free: number[] = [];
  private readonly lastString: (string | undefined)[];
  private readonly lastIndex: number[];

  /** `fields`: how many callers' fields remember their last string. */
  constructor(fields = 1) {
    this.lastString = new Array<string | undefined>(fields).fill(undefined);
    this.lastIndex = new Array<number>(fields).fill(0);
  }

  /** Index of `value` (0 for undefined), counting one more reference to it; `field` picks the one-entry memory. */
  acquire(value: string | undefined, field = 0): number {
    if (value === undefined) return 0;
    let index: number;
    if (value === this.lastString[field]) {
      index = this.lastIndex[field]!;
    } else {
      index = this.byString.get(value) ?? this.add(value);
      this.lastString[field] = value;
      this.lastIndex[field] = index;
    }
    this.refs[index]!++;
    return index;
  }

  private add(value: string): number {
    const index = this.free.pop() ?? this.strings.length;
    this.strings[index] = value;
    this.refs[index] = 0;
    this.byString.set(value, index);
    return index;
  }

  /** Drops one reference; the string is forgotten with its last one. */
  release(index: number): void {
    if (index === 0) return;
    if (--this.refs[index]! > 0) return;
    const value = this.strings[index]!;
    this.byString.delete(value);
    this.strings[index] = undefined;
    this.free.push(index);
    for (let field = 0; field < this.lastString.length; field++) {
      if (this.lastString[field] === value) this.lastString[field] = undefined;
    }
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
    this.lastString.fill(undefined);
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

/** Value of each lowercase hex digit by character code; -1 for any other character. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;

/**
 * The high (`offset` 0) or low (`offset` 8) 32 bits of a span id of 16 lowercase hex digits,
 * or -1 when the id has another shape (it is then kept as a string instead).
 */
export function spanWord(spanId: string, offset: 0 | 8): number {
  if (spanId.length !== 16) return -1;
  let word = 0;
  let bad = 0;
  for (let i = offset; i < offset + 8; i++) {
    const code = spanId.charCodeAt(i);
    const digit = code < 128 ? HEX_VALUE[code]! : -1;
    bad |= digit;
    word = word * 16 + digit;
  }
  return bad < 0 ? -1 : word;
}

/**
 * Packs the span ids of one field into two 32-bit words, remembering the last one it packed: a
 * tool's end repeats its start's span id and consecutive events of one agent share its span as
 * their parent, so most ids are copied rather than parsed again.
 */
export class SpanPacker {
  private last: string | undefined;
  private lastHigh = 0;
  private lastLow = 0;

  /** Writes `spanId`'s words into `high[slot]` and `low[slot]`; false (nothing written) when it is not 16 lowercase hex digits. */
  pack(spanId: string, high: Uint32Array, low: Uint32Array, slot: number): boolean {
    if (spanId !== this.last) {
      const h = spanWord(spanId, 0);
      const l = h < 0 ? -1 : spanWord(spanId, 8);
      if (l < 0) return false;
      this.last = spanId;
      this.lastHigh = h;
      this.lastLow = l;
    }
    high[slot] = this.lastHigh;
    low[slot] = this.lastLow;
    return true;
  }
}

/** The span id back from its two words. */
export function spanIdOf(high: number, low: number): string {
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}
