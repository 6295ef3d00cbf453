/**
 * In-memory storage: a ring buffer bounded by capacity and age, with an index per session,
 * agent, workflow and type, so a query by any of them reads only its own events.
 *
 * Every event gets a sequence number in append order. Eviction always removes the lowest
 * sequence number, which is also the first live entry of each index list it is in, so
 * trimming an index is O(1) per eviction.
 */
import {
  DEFAULT_QUERY_LIMIT,
  MAX_QUERY_LIMIT,
  type EventQuery,
  type FleetEvent,
  type QueryPage,
  type Storage,
  type StorageStats,
} from '../core/index.js';

export interface MemoryStorageOptions {
  /** Most events held; the oldest are evicted first. Default 100,000. */
  capacity?: number;
  /**
   * Events held longer than this (since they were appended, not since their own timestamp, so
   * importing last week's history does not evict it at once) are evicted, on append and query.
   * Default 24 h. `Infinity` keeps events until capacity evicts them.
   */
  maxAgeMs?: number;
  /** Clock for age eviction. Default `Date.now`. */
  clock?: () => number;
  /** Name in stats. Default `memory`. */
  name?: string;
}

const TWO_POW_32 = 4294967296;

/**
 * Sequence numbers of one index key, ascending; entries before `start` are evicted.
 *
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

/** A readable run of sequence numbers: an index list, or a merged array (several types). */
interface SeqSource {
  readonly start: number;
  readonly length: number;
  at(i: number, first: number): number;
}

function arraySource(seqs: number[]): SeqSource {
  return { start: 0, length: seqs.length, at: (i) => seqs[i]! };
}

const COMPACT_AFTER = 1024;

/** First index in [from, length) whose sequence number is >= value. */
function lowerBound(source: SeqSource, from: number, value: number, first: number): number {
  let lo = from;
  let hi = source.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (source.at(mid, first) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function encodeCursor(seq: number): string {
  return `m${seq.toString(36)}`;
}

function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!cursor.startsWith('m')) return Number.NaN;
  const seq = Number.parseInt(cursor.slice(1), 36);
  return Number.isSafeInteger(seq) && seq >= 0 ? seq : Number.NaN;
}

class Index {
  readonly lists = new Map<string, SeqList>();

  add(key: string, seq: number): void {
    let list = this.lists.get(key);
    if (list === undefined) this.lists.set(key, (list = new SeqList()));
    list.push(seq);
  }

  /** Drops the oldest live entry of `key` (which must be `seq`). */
  evict(key: string): void {
    const list = this.lists.get(key);
    if (list === undefined) return;
    list.start++;
    if (list.start >= list.length) {
      this.lists.delete(key);
    } else if (list.start >= COMPACT_AFTER && list.start * 2 >= list.length) {
      list.compact();
    }
  }

  clear(): void {
    this.lists.clear();
  }
}

/** Creates an in-memory `Storage`. */
export function memoryStorage(options: MemoryStorageOptions = {}): Storage {
  const capacity = Math.floor(options.capacity ?? 100_000);
  if (!(capacity >= 1)) throw new Error('[fleetscope] [memory] capacity must be a number >= 1');
  const maxAgeMs = options.maxAgeMs ?? 24 * 60 * 60 * 1000;
  if (!(maxAgeMs > 0)) throw new Error('[fleetscope] [memory] maxAgeMs must be > 0');
  const clock = options.clock ?? Date.now;
  const name = options.name ?? 'memory';

  const ring: (FleetEvent | undefined)[] = [];
  /**
   * When each held event was appended, in whole seconds since the store was created (4 bytes an
   * event rather than 8; age eviction needs no finer grain). Allocated on first append.
   */
  let appendedAt: Uint32Array | undefined;
  const createdAt = clock();
  const secondsSinceCreation = (ms: number) => Math.max(0, Math.floor((ms - createdAt) / 1000));
  /** Sequence number of the oldest held event. */
  let first = 0;
  /** Sequence number the next appended event gets. */
  let next = 0;
  let evicted = 0;
  let closed = false;
  const bySession = new Index();
  const byAgent = new Index();
  const byWorkflow = new Index();
  const byType = new Index();

  const at = (seq: number) => ring[seq % capacity];

  function evictOldest(): void {
    const event = at(first)!;
    bySession.evict(event.sessionId);
    byAgent.evict(event.agentId);
    byType.evict(event.type);
    if (event.workflowId !== undefined) byWorkflow.evict(event.workflowId);
    ring[first % capacity] = undefined;
    first++;
    evicted++;
  }

  function evictExpired(): void {
    if (maxAgeMs === Infinity) return;
    // Held longer than maxAgeMs means appended before now - maxAgeMs, to the second.
    const cutoff = (clock() - maxAgeMs - createdAt) / 1000;
    while (first < next && appendedAt![first % capacity]! < cutoff) evictOldest();
  }

  /** Candidate sequence numbers from the most selective index, ascending, or undefined for "all". */
  function candidates(query: EventQuery): SeqSource[] | undefined {
    const lists: SeqList[] = [];
    const pick = (index: Index, key: string | undefined) => {
      if (key === undefined) return true;
      const list = index.lists.get(key);
      if (list === undefined) return false;
      lists.push(list);
      return true;
    };
    if (!pick(bySession, query.sessionId) || !pick(byAgent, query.agentId) || !pick(byWorkflow, query.workflowId)) {
      return [];
    }
    const best = lists.reduce<SeqList | undefined>((a, l) => (a === undefined || l.live < a.live ? l : a), undefined);
    if (query.types !== undefined) {
      const typeLists = [...new Set(query.types)].map((t) => byType.lists.get(t)).filter((l) => l !== undefined);
      const typeTotal = typeLists.reduce((sum, l) => sum + l.live, 0);
      if (best === undefined || typeTotal < best.live) {
        return typeLists.length === 1 ? typeLists : [arraySource(mergeLists(typeLists))];
      }
    }
    return best === undefined ? undefined : [best];
  }

  function mergeLists(lists: SeqList[]): number[] {
    const merged: number[] = [];
    for (const list of lists) for (let i = list.start; i < list.length; i++) merged.push(list.at(i, first));
    return merged.sort((a, b) => a - b);
  }

  function matches(event: FleetEvent, query: EventQuery, types: Set<string> | undefined): boolean {
    return (
      (query.sessionId === undefined || event.sessionId === query.sessionId) &&
      (query.agentId === undefined || event.agentId === query.agentId) &&
      (query.workflowId === undefined || event.workflowId === query.workflowId) &&
      (types === undefined || types.has(event.type)) &&
      (query.from === undefined || event.timestamp >= query.from) &&
      (query.to === undefined || event.timestamp < query.to)
    );
  }

  return {
    name,

    async append(batch) {
      if (closed) throw new Error('[fleetscope] [memory] storage is closed');
      const now = secondsSinceCreation(clock());
      if (appendedAt === undefined && maxAgeMs !== Infinity) appendedAt = new Uint32Array(capacity);
      for (const event of batch) {
        if (next - first >= capacity) evictOldest();
        const seq = next++;
        ring[seq % capacity] = event;
        if (appendedAt !== undefined) appendedAt[seq % capacity] = now;
        bySession.add(event.sessionId, seq);
        byAgent.add(event.agentId, seq);
        byType.add(event.type, seq);
        if (event.workflowId !== undefined) byWorkflow.add(event.workflowId, seq);
      }
      evictExpired();
    },

    async query(query: EventQuery): Promise<QueryPage> {
      evictExpired();
      const limit = Math.min(MAX_QUERY_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_QUERY_LIMIT)));
      const cursor = decodeCursor(query.cursor);
      if (Number.isNaN(cursor)) throw new Error('[fleetscope] [memory] cursor is not one this storage issued');
      const desc = query.order === 'desc';
      const types = query.types === undefined ? undefined : new Set(query.types);
      const events: FleetEvent[] = [];
      let lastSeq = -1;
      let more = false;
      const take = (seq: number): boolean => {
        const event = at(seq);
        if (event === undefined || !matches(event, query, types)) return true;
        if (events.length === limit) {
          more = true;
          return false;
        }
        events.push(event);
        lastSeq = seq;
        return true;
      };

      const sources = candidates(query);
      if (sources === undefined) {
        if (desc) {
          for (let seq = Math.min(next - 1, (cursor ?? next) - 1); seq >= first && take(seq); seq--);
        } else {
          for (let seq = Math.max(first, cursor === undefined ? first : cursor + 1); seq < next && take(seq); seq++);
        }
      } else {
        for (const source of sources) {
          const { start } = source;
          if (desc) {
            const end = lowerBound(source, start, cursor ?? next, first) - 1;
            for (let i = end; i >= start && take(source.at(i, first)); i--);
          } else {
            const from = Math.max(first, cursor === undefined ? first : cursor + 1);
            for (let i = lowerBound(source, start, from, first); i < source.length && take(source.at(i, first)); i++);
          }
        }
      }
      return more ? { events, nextCursor: encodeCursor(lastSeq) } : { events };
    },

    stats(): StorageStats {
      return { events: next - first, evicted, capacity, sessions: bySession.lists.size, agents: byAgent.lists.size };
    },

    async flush() {},

    async close() {
      closed = true;
      ring.length = 0;
      bySession.clear();
      byAgent.clear();
      byWorkflow.clear();
      byType.clear();
      first = next;
    },
  };
}
