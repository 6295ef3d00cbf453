/**
 * The OpenTelemetry bridge's table of open spans (otel-bridge.ts), by span id: open addressing
 * over fixed arrays, with the entries chained in the order they came in so that the oldest can be
 * forgotten when the table is full.
 *
 * Why not a `Map`: the bridge adds each span at its start and removes it at its end, so a `Map`
 * of a few spans empties and refills at every span tree; V8 rebuilds its small backing tables
 * over and over, and `set`/`delete` were measured at ≈ 30% of the bridge's own time. Here the
 * arrays only grow (to twice the largest number of spans open at once, at most twice `capacity`),
 * and an insert or a delete writes a few slots.
 */
import { HEX_DIGIT } from '../core/ids.js';

/** What the table keeps: an entry knows its key and its neighbours in arrival order. */
export interface OpenSpanEntry {
  spanId: string;
  /** Set by the table: the entries that came in just before and just after this one. */
  older: OpenSpanEntry | undefined;
  newer: OpenSpanEntry | undefined;
  /** Set by the table: the hash of `spanId`, so that removing a known entry hashes nothing. */
  hash?: number;
}

const FIRST_SLOTS = 16;
/**
 * How many of the newest entries `get` and `remove` compare before hashing: spans end mostly in
 * the reverse order of their starts and a child starts under its newest open ancestor, so the
 * entry looked for is nearly always among the last few in (ids are one string in the SDK: the
 * compare is a pointer compare).
 */
const RECENT = 4;

/**
 * FNV-1a over the id's last (up to) 8 characters. Span ids are random hex, so 8 of them are 32
 * random bits; ids of counters and hand-written fakes (`'span-1'`, `'span-2'`) differ at their end.
 * Ids alike in those 8 characters only make longer probe runs, never a wrong answer.
 */
export function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = id.length > 8 ? id.length - 8 : 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * `hexIdKind(entry.spanId, length)` of core/ids.ts, and, in the same pass over the characters,
 * the id's `hashOf` stored in `entry.hash` for `add`: a span's id is checked and hashed once, at its start.
 */
export function checkAndHash(entry: OpenSpanEntry, length: number): 0 | 1 | 2 {
  const id = entry.spanId;
  if (id.length !== length) {
    entry.hash = hashOf(id);
    return 0;
  }
  const hashFrom = length > 8 ? length - 8 : 0;
  let h = 0x811c9dc5;
  let seen = 0;
  let valid = true;
  for (let i = 0; i < length; i++) {
    const c = id.charCodeAt(i);
    const kind = c < 128 ? HEX_DIGIT[c]! : 0;
    if (kind === 0) valid = false;
    seen |= kind;
    if (i >= hashFrom) h = Math.imul(h ^ c, 0x01000193);
  }
  entry.hash = h;
  if (!valid) return 0;
  return (seen & 1) === 1 ? 1 : 2;
}

export class OpenSpans<E extends OpenSpanEntry> {
  /** Entries by slot (linear probing, no tombstones: a delete shifts the entries after it back). */
  private entries: (E | undefined)[] = new Array<E | undefined>(FIRST_SLOTS).fill(undefined);
  /** The hash of each slot's entry: probes compare it before the id, and a delete does not rehash. */
  private hashes = new Int32Array(FIRST_SLOTS);
  private mask = FIRST_SLOTS - 1;
  private oldest: E | undefined;
  private newest: E | undefined;
  size = 0;

  /** `capacity`: most entries kept; adding one more forgets the oldest. */
  constructor(private readonly capacity: number) {}

  get(spanId: string): E | undefined {
    const recent = this.recent(spanId);
    if (recent !== undefined) return recent;
    const h = hashOf(spanId);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const entry = this.entries[i];
      if (entry === undefined) return undefined;
      if (this.hashes[i] === h && entry.spanId === spanId) return entry;
    }
  }

  /** The entry of `spanId` if it is one of the `RECENT` newest. Ids are unique in the chain. */
  private recent(spanId: string): E | undefined {
    let entry = this.newest as OpenSpanEntry | undefined;
    for (let k = 0; k < RECENT && entry !== undefined; k++, entry = entry.older) if (entry.spanId === spanId) return entry as E;
    return undefined;
  }

  /**
   * Adds `entry` under `entry.spanId` as the newest, as `Map#set` would: when the table is full,
   * the oldest entry is forgotten first; an entry already there under that id is replaced in place
   * (keeping its rank in arrival order).
   */
  add(entry: E, hash: number = hashOf(entry.spanId)): void {
    if (this.size >= this.capacity && this.oldest !== undefined) this.removeEntry(this.oldest);
    // At most half full: probe runs stay short.
    if ((this.size + 1) * 2 > this.entries.length) this.grow();
    const h = hash;
    let i = h & this.mask;
    for (let there: E | undefined; (there = this.entries[i]) !== undefined; i = (i + 1) & this.mask) {
      if (this.hashes[i] === h && there.spanId === entry.spanId) {
        if (there === entry) return;
        this.entries[i] = entry;
        entry.hash = h;
        this.replaceInChain(there, entry);
        return;
      }
    }
    this.entries[i] = entry;
    this.hashes[i] = h;
    entry.hash = h;
    this.size++;
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest !== undefined) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  /** Removes and returns the entry of `spanId`, if there is one. */
  remove(spanId: string): E | undefined {
    const recent = this.recent(spanId);
    if (recent !== undefined) {
      this.removeEntry(recent);
      return recent;
    }
    const h = hashOf(spanId);
    const mask = this.mask;
    let i = h & mask;
    let entry: E | undefined;
    while ((entry = this.entries[i]) !== undefined && !(this.hashes[i] === h && entry.spanId === spanId)) i = (i + 1) & mask;
    if (entry === undefined) return undefined;
    this.removeAt(i, entry);
    return entry;
  }

  /** Removes `entry`, which is in the table: found by identity from its stored hash, no id compare. */
  private removeEntry(entry: E): void {
    const mask = this.mask;
    let i = entry.hash! & mask;
    while (this.entries[i] !== entry) i = (i + 1) & mask;
    this.removeAt(i, entry);
  }

  private removeAt(slot: number, entry: E): void {
    const mask = this.mask;
    let i = slot;
    this.unchain(entry);
    this.size--;
    // Backward-shift deletion (Knuth, TAOCP vol. 3, 6.4 algorithm R): each later entry of the run
    // that may not stay past the hole moves into it, so that no probe stops early at the hole.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const next = this.entries[j];
      if (next === undefined) break;
      const home = this.hashes[j]! & mask;
      // `next` stays at j if its home lies cyclically in (i, j].
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      this.entries[i] = next;
      this.hashes[i] = this.hashes[j]!;
      i = j;
    }
    this.entries[i] = undefined;
  }

  /** Forgets every entry; the arrays keep their size. */
  clear(): void {
    this.entries.fill(undefined);
    this.oldest = this.newest = undefined;
    this.size = 0;
  }

  private unchain(entry: E): void {
    if (entry.older !== undefined) entry.older.newer = entry.newer;
    else this.oldest = entry.newer as E | undefined;
    if (entry.newer !== undefined) entry.newer.older = entry.older;
    else this.newest = entry.older as E | undefined;
    entry.older = entry.newer = undefined;
  }

  private replaceInChain(there: E, entry: E): void {
    entry.older = there.older;
    entry.newer = there.newer;
    if (entry.older !== undefined) entry.older.newer = entry;
    else this.oldest = entry;
    if (entry.newer !== undefined) entry.newer.older = entry;
    else this.newest = entry;
    there.older = there.newer = undefined;
  }

  private grow(): void {
    const old = this.entries;
    const oldHashes = this.hashes;
    this.entries = new Array<E | undefined>(old.length * 2).fill(undefined);
    this.hashes = new Int32Array(old.length * 2);
    this.mask = old.length * 2 - 1;
    for (let k = 0; k < old.length; k++) {
      const entry = old[k];
      if (entry === undefined) continue;
      let i = oldHashes[k]! & this.mask;
      while (this.entries[i] !== undefined) i = (i + 1) & this.mask;
      this.entries[i] = entry;
      this.hashes[i] = oldHashes[k]!;
    }
  }
}
