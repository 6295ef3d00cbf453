/**
 * A bounded memory of recently seen keys (event ids, join keys): a ring of `capacity` keys over a set,
 * so a key seen again within the last `capacity` keys is recognised, in O(1) and bounded memory.
 * Runners use it to drop redelivered or doubly reported events.
 */
export class RecentKeys {
  private readonly ring: (string | undefined)[];
  private readonly set = new Set<string>();
  private next = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array(Math.max(1, Math.floor(capacity)));
  }

  /** True when `key` was not among the recent keys; remembers it either way. */
  add(key: string): boolean {
    // One lookup for "seen?" and "remember": a key already there leaves the size as it was.
    const before = this.set.size;
    this.set.add(key);
    if (this.set.size === before) return false;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.set.delete(evicted);
    this.ring[this.next] = key;
    this.next = this.next + 1 === this.ring.length ? 0 : this.next + 1;
    return true;
  }

  get size(): number {
    return this.set.size;
  }
}

/**
 * A `Map` that keeps its `capacity` most recently added keys: adding a new key beyond that drops the
 * oldest (by first addition; setting a known key again does not move it). The oldest is found in a
 * ring of keys, in O(1): taking it from the Map's own order (`keys().next()`) walks over the holes
 * its deletions leave at the front, which made a runner tracking 50,000 keys quadratic.
 * (A key deleted and added again keeps its first slot's turn too, so it may go a little early.)
 */
export class RecentMap<K, V> extends Map<K, V> {
  private readonly ring: (K | undefined)[];
  private next = 0;

  constructor(readonly capacity: number) {
    super();
    this.ring = new Array<K | undefined>(Math.max(1, Math.floor(capacity)));
  }

  override set(key: K, value: V): this {
    if (!this.has(key)) {
      const evicted = this.ring[this.next];
      if (evicted !== undefined) this.delete(evicted);
      this.ring[this.next] = key;
      this.next = (this.next + 1) % this.ring.length;
    }
    return super.set(key, value);
  }
}

/**
 * `RecentKeys` for numbers (53-bit hashes), kept in typed arrays: the ring, and a set by open
 * addressing (linear probing, deletion by backward shift) rather than a `Set<number>`, whose
 * entries cost ~80 bytes each (a boxed number and the table's slots). 20,000 hashes: ~420 KB
 * rather than ~1.7 MB. The arrays start small and double as keys come (to `capacity` keys), so an
 * idle one costs a few KB whatever its capacity. NaN is no key.
 */
export class RecentHashes {
  /** The keys in arrival order; once `limit` long, a ring (`next` wraps). NaN marks a slot not yet used. */
  private ring: Float64Array;
  /** NaN marks an empty slot. */
  private table: Float64Array;
  private mask: number;
  private readonly limit: number;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.limit = Math.max(1, Math.floor(capacity));
    this.ring = new Float64Array(Math.min(this.limit, FIRST_RING)).fill(Number.NaN);
    this.table = new Float64Array(tableSizeFor(this.ring.length)).fill(Number.NaN);
    this.mask = this.table.length - 1;
  }

  /** True when `key` was not among the recent keys; remembers it either way. */
  add(key: number): boolean {
    if (key !== key || this.indexOf(key) >= 0) return false;
    const evicted = this.ring[this.next]!;
    if (evicted === evicted) this.remove(evicted);
    this.ring[this.next] = key;
    let i = this.home(key);
    while (this.table[i] === this.table[i]) i = (i + 1) & this.mask;
    this.table[i] = key;
    this.count++;
    this.next++;
    if (this.next === this.ring.length) {
      if (this.ring.length < this.limit) this.grow();
      else this.next = 0;
    }
    return true;
  }

  get size(): number {
    return this.count;
  }

  /** Doubles the ring (up to `limit`) while it has not wrapped yet, and the table with it. */
  private grow(): void {
    const ring = new Float64Array(Math.min(this.limit, this.ring.length * 2)).fill(Number.NaN);
    ring.set(this.ring);
    this.ring = ring;
    const size = tableSizeFor(ring.length);
    if (size === this.table.length) return;
    const old = this.table;
    this.table = new Float64Array(size).fill(Number.NaN);
    this.mask = size - 1;
    for (let k = 0; k < old.length; k++) {
      const key = old[k]!;
      if (key !== key) continue;
      let i = this.home(key);
      while (this.table[i] === this.table[i]) i = (i + 1) & this.mask;
      this.table[i] = key;
    }
  }

  private home(key: number): number {
    return (Math.imul((key >>> 0) ^ Math.floor(key / 4294967296), 0x9e3779b1) >>> 0) & this.mask;
  }

  private indexOf(key: number): number {
    const table = this.table;
    for (let i = this.home(key); table[i] === table[i]; i = (i + 1) & this.mask) if (table[i] === key) return i;
    return -1;
  }

  private remove(key: number): void {
    const table = this.table;
    let hole = this.indexOf(key);
    if (hole < 0) return;
    table[hole] = Number.NaN;
    this.count--;
    // Move back every later key of the probe run that may no longer be found past the hole.
    for (let j = (hole + 1) & this.mask; table[j] === table[j]; j = (j + 1) & this.mask) {
      const home = this.home(table[j]!);
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      table[hole] = table[j]!;
      table[j] = Number.NaN;
      hole = j;
    }
  }
}

/** Keys a `RecentHashes` makes room for at first. */
const FIRST_RING = 256;

/** The smallest power of two holding `keys` keys at a load factor of at most 2/3. */
function tableSizeFor(keys: number): number {
  let size = 4;
  while (size < keys * 1.5) size *= 2;
  return size;
}

/**
 * A 53-bit hash of a string (cyrb53): cheap and well mixed, for remembering strings as numbers in a
 * `RecentHashes`. Two different strings get the same hash with a probability of about 2^-53: with
 * 100,000 hashes remembered, a new string is taken for one of them about once in 10^11 strings.
 */
export function hashString(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
