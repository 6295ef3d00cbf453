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
    if (this.set.has(key)) return false;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.set.delete(evicted);
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.ring.length;
    this.set.add(key);
    return true;
  }

  get size(): number {
    return this.set.size;
  }
}
