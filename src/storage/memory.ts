/**
 * In-memory storage: a ring buffer bounded by capacity and age, with an index per session,
 * agent, workflow and type, so a query by any of them reads only its own events.
 *
 * Events are held in columns, not as the objects that were appended: timestamps and span ids in
 * typed arrays, session/agent/workflow/trace/type/source strings once each in a ref-counted
 * table, and only the id and the payload as references. That is about a third of the memory of
 * keeping the envelope objects (see BENCHMARKS.md), and the appended objects die young. Queries
 * rebuild events from the columns (equal to what was appended, not the same objects).
 *
 * Every event gets a sequence number in append order. Eviction always removes the lowest
 * sequence number, which is also the first live entry of each index list it is in, so
 * trimming an index is O(1) per eviction.
 */
import {
  DEFAULT_QUERY_LIMIT,
  MAX_QUERY_LIMIT,
  jsonBytes,
  SEVERITIES,
  type EventQuery,
  type FleetEvent,
  type QueryPage,
  type Severity,
  type Storage,
  type StorageStats,
} from '../core/index.js';
import { SeqList, SpanPacker, StringTable, arraySource, lowerBound, spanIdOf, type SeqSource } from './memory-columns.js';
import { Columns, EXTRAS, INITIAL_SLOTS, PARENT, SPAN, severityIndex, type Extras } from './memory-slots.js';

export { SeqList } from './memory-columns.js';

export interface MemoryStorageOptions {
  /** Most events held; the oldest are evicted first. Default 100,000. */
  capacity?: number;
  /**
   * Most bytes of payloads, attributes and tags held (their approximate JSON size); the oldest
   * events are evicted first to make room. Default 16 MiB, so that 100,000 large payloads cannot
   * hold gigabytes. One event larger than this on its own is kept alone.
   */
  maxBytes?: number;
  /**
   * Events held longer than this (since they were appended, not since their own timestamp, so
   * importing last week's history does not evict it at once) are evicted, on append and query.
   * Kept to the second. Default 24 h. `Infinity` keeps events until capacity evicts them.
   */
  maxAgeMs?: number;
  /** Clock for age eviction. Default `Date.now`. */
  clock?: () => number;
  /** Name in stats. Default `memory`. */
  name?: string;
}

const COMPACT_AFTER = 1024;
const DEFAULT_MAX_BYTES = 16 * 2 ** 20;
/** What a part of an event that JSON cannot carry counts (only a direct `append` can pass one): a full payload. */
const UNREADABLE_BYTES = 64 * 1024;

/** Approximate JSON bytes of what the host decided the size of: payload, attributes and tags. */
function hostBytes(event: FleetEvent, budget: number): number {
  let size = jsonBytes(event.payload, budget, UNREADABLE_BYTES);
  if (event.attributes !== undefined) size += jsonBytes(event.attributes, budget, UNREADABLE_BYTES);
  if (event.tags !== undefined) size += jsonBytes(event.tags, budget, UNREADABLE_BYTES);
  return Math.min(size, 0xffff_ffff);
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

/**
 * Sequence-number lists per interned string, for one field. Kept in an array indexed by the
 * string's table index (small, dense and reused), so adding an event is an array read, not a
 * hash lookup. A list is dropped when its last entry is evicted, before its string's index can be
 * given to another string.
 */
class Index {
  private readonly lists: (SeqList | undefined)[] = [];
  /** Keys with a list. */
  size = 0;

  get(key: number): SeqList | undefined {
    return this.lists[key];
  }

  add(key: number, seq: number): void {
    let list = this.lists[key];
    if (list === undefined) {
      this.lists[key] = list = new SeqList();
      this.size++;
    }
    list.push(seq);
  }

  /** Drops the oldest live entry of `key` (which is the event being evicted). */
  evict(key: number): void {
    const list = this.lists[key];
    if (list === undefined) return;
    list.start++;
    if (list.start >= list.length) {
      this.lists[key] = undefined;
      this.size--;
    } else if (list.start >= COMPACT_AFTER && list.start * 2 >= list.length) {
      list.compact();
    }
  }

  clear(): void {
    this.lists.length = 0;
    this.size = 0;
  }
}

/** Fields' one-entry memories in the string table (see StringTable.acquire). */
const TYPE_FIELD = 0;
const SOURCE_FIELD = 1;
const SESSION_FIELD = 2;
const AGENT_FIELD = 3;
const WORKFLOW_FIELD = 4;
const TRACE_FIELD = 5;
const FIELD_COUNT = 6;

/** Creates an in-memory `Storage`. */
export function memoryStorage(options: MemoryStorageOptions = {}): Storage {
  const capacity = Math.floor(options.capacity ?? 100_000);
  if (!(capacity >= 1)) throw new Error('[fleetscope] [memory] capacity must be a number >= 1');
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(maxBytes >= 1)) throw new Error('[fleetscope] [memory] maxBytes must be a number >= 1');
  const maxAgeMs = options.maxAgeMs ?? 24 * 60 * 60 * 1000;
  if (!(maxAgeMs > 0)) throw new Error('[fleetscope] [memory] maxAgeMs must be > 0');
  const clock = options.clock ?? Date.now;
  const name = options.name ?? 'memory';

  let columns = new Columns(Math.min(capacity, INITIAL_SLOTS));
  const strings = new StringTable(FIELD_COUNT);
  const spans = new SpanPacker();
  const parentSpans = new SpanPacker();
  const extras = new Map<number, Extras>();
  /** Append time is kept in whole seconds since the store was created (age needs no finer grain). */
  const createdAt = clock();
  const secondsSinceCreation = (ms: number) => Math.max(0, Math.floor((ms - createdAt) / 1000));
  /** Sequence number of the oldest held event. */
  let first = 0;
  /** Sequence number the next appended event gets. */
  let next = 0;
  let evicted = 0;
  /** Sum of the held events' `bytes` column. */
  let heldBytes = 0;
  let closed = false;
  const bySession = new Index();
  const byAgent = new Index();
  const byWorkflow = new Index();
  const byType = new Index();

  function evictOldest(): void {
    const slot = first % columns.slots;
    const c = columns;
    bySession.evict(c.session[slot]!);
    byAgent.evict(c.agent[slot]!);
    byType.evict(c.type[slot]!);
    if (c.workflow[slot] !== 0) byWorkflow.evict(c.workflow[slot]!);
    strings.release(c.type[slot]!);
    strings.release(c.source[slot]!);
    strings.release(c.session[slot]!);
    strings.release(c.agent[slot]!);
    strings.release(c.workflow[slot]!);
    strings.release(c.trace[slot]!);
    c.ids[slot] = undefined;
    c.payloads[slot] = undefined;
    heldBytes -= c.bytes[slot]!;
    if ((c.flags[slot]! & EXTRAS) !== 0) extras.delete(first);
    first++;
    evicted++;
  }

  function evictExpired(): void {
    if (maxAgeMs === Infinity) return;
    // Held longer than maxAgeMs means appended before now - maxAgeMs, to the second.
    const cutoff = (clock() - maxAgeMs - createdAt) / 1000;
    while (first < next && columns.appendedAt[first % columns.slots]! < cutoff) evictOldest();
  }

  function store(event: FleetEvent, seq: number, now: number, bytes: number): void {
    const c = columns;
    const slot = seq % c.slots;
    c.timestamp[slot] = event.timestamp;
    c.appendedAt[slot] = now;
    c.bytes[slot] = bytes;
    heldBytes += bytes;
    const type = strings.acquire(event.type, TYPE_FIELD);
    const session = strings.acquire(event.sessionId, SESSION_FIELD);
    const agent = strings.acquire(event.agentId, AGENT_FIELD);
    const workflow = strings.acquire(event.workflowId, WORKFLOW_FIELD);
    c.type[slot] = type;
    c.source[slot] = strings.acquire(event.source, SOURCE_FIELD);
    c.session[slot] = session;
    c.agent[slot] = agent;
    c.workflow[slot] = workflow;
    c.trace[slot] = strings.acquire(event.traceId, TRACE_FIELD);
    c.ids[slot] = event.id;
    c.payloads[slot] = event.payload;
    let flags = 0;
    let extra: Extras | undefined;
    const severity = severityIndex(event.severity);
    c.severity[slot] = severity < 0 ? 0 : severity;
    if (severity < 0) (extra ??= {}).severity = event.severity;
    // Span ids in W3C shape are packed into two 32-bit words; any other shape is kept as given.
    const { spanId, parentSpanId } = event;
    if (spanId !== undefined) {
      if (spans.pack(spanId, c.spanHigh, c.spanLow, slot)) flags |= SPAN;
      else (extra ??= {}).spanId = spanId;
    }
    if (parentSpanId !== undefined) {
      if (parentSpans.pack(parentSpanId, c.parentHigh, c.parentLow, slot)) flags |= PARENT;
      else (extra ??= {}).parentSpanId = parentSpanId;
    }
    if (event.tags !== undefined || event.attributes !== undefined || event.truncated !== undefined) {
      extra ??= {};
      extra.tags = event.tags;
      extra.attributes = event.attributes;
      extra.truncated = event.truncated;
    }
    if (extra !== undefined) {
      flags |= EXTRAS;
      extras.set(seq, extra);
    }
    c.flags[slot] = flags;
    bySession.add(session, seq);
    byAgent.add(agent, seq);
    byType.add(type, seq);
    if (workflow !== 0) byWorkflow.add(workflow, seq);
  }

  /** The event held under `seq`, rebuilt in the validator's shape. */
  function eventAt(seq: number): FleetEvent {
    const c = columns;
    const slot = seq % c.slots;
    const flags = c.flags[slot]!;
    const extra = (flags & EXTRAS) !== 0 ? extras.get(seq) : undefined;
    const base = {
      id: c.ids[slot]!,
      type: strings.get(c.type[slot]!)!,
      timestamp: c.timestamp[slot]!,
      severity: (extra?.severity ?? SEVERITIES[c.severity[slot]!]) as Severity,
      source: strings.get(c.source[slot]!)!,
      sessionId: strings.get(c.session[slot]!)!,
      agentId: strings.get(c.agent[slot]!)!,
      workflowId: strings.get(c.workflow[slot]!),
      traceId: strings.get(c.trace[slot]!),
      spanId: (flags & SPAN) !== 0 ? spanIdOf(c.spanHigh[slot]!, c.spanLow[slot]!) : extra?.spanId,
      parentSpanId: (flags & PARENT) !== 0 ? spanIdOf(c.parentHigh[slot]!, c.parentLow[slot]!) : extra?.parentSpanId,
      payload: c.payloads[slot]!,
    };
    if (extra === undefined || (extra.tags === undefined && extra.attributes === undefined && extra.truncated === undefined)) {
      return base as FleetEvent;
    }
    return { ...base, tags: extra.tags, attributes: extra.attributes, truncated: extra.truncated } as FleetEvent;
  }

  /** Grows the columns (doubling, up to the capacity) when they are full. */
  function ensureRoom(): void {
    if (next - first < columns.slots || columns.slots >= capacity) return;
    const grown = new Columns(Math.min(capacity, columns.slots * 2));
    grown.copyFrom(columns, first, next);
    columns = grown;
  }

  /** Candidate sequence numbers from the most selective index, ascending; undefined for "all". */
  function candidates(query: EventQuery, keys: QueryKeys): SeqSource[] | undefined {
    const lists: SeqList[] = [];
    const pick = (index: Index, key: number | undefined, given: boolean) => {
      if (!given) return true;
      const list = key === undefined ? undefined : index.get(key);
      if (list === undefined) return false;
      lists.push(list);
      return true;
    };
    if (
      !pick(bySession, keys.session, query.sessionId !== undefined) ||
      !pick(byAgent, keys.agent, query.agentId !== undefined) ||
      !pick(byWorkflow, keys.workflow, query.workflowId !== undefined)
    ) {
      return [];
    }
    const best = lists.reduce<SeqList | undefined>((a, l) => (a === undefined || l.live < a.live ? l : a), undefined);
    if (keys.types !== undefined) {
      const typeLists = [...keys.types].map((t) => byType.get(t)).filter((l) => l !== undefined);
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

  interface QueryKeys {
    session?: number;
    agent?: number;
    workflow?: number;
    types?: Set<number>;
  }

  function matches(seq: number, query: EventQuery, keys: QueryKeys): boolean {
    const c = columns;
    const slot = seq % c.slots;
    const timestamp = c.timestamp[slot]!;
    return (
      (query.sessionId === undefined || c.session[slot] === keys.session) &&
      (query.agentId === undefined || c.agent[slot] === keys.agent) &&
      (query.workflowId === undefined || c.workflow[slot] === keys.workflow) &&
      (keys.types === undefined || keys.types.has(c.type[slot]!)) &&
      (query.from === undefined || timestamp >= query.from) &&
      (query.to === undefined || timestamp < query.to)
    );
  }

  return {
    name,

    async append(batch) {
      if (closed) throw new Error('[fleetscope] [memory] storage is closed');
      const now = secondsSinceCreation(clock());
      for (const event of batch) {
        ensureRoom();
        if (next - first >= capacity) evictOldest();
        const bytes = hostBytes(event, maxBytes);
        while (first < next && heldBytes + bytes > maxBytes) evictOldest();
        store(event, next, now, bytes);
        next++;
      }
      evictExpired();
    },

    async query(query: EventQuery): Promise<QueryPage> {
      evictExpired();
      const limit = Math.min(MAX_QUERY_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_QUERY_LIMIT)));
      const cursor = decodeCursor(query.cursor);
      if (Number.isNaN(cursor)) throw new Error('[fleetscope] [memory] cursor is not one this storage issued');
      const desc = query.order === 'desc';
      const find = (value: string | undefined) => (value === undefined ? undefined : strings.find(value));
      const keys: QueryKeys = {
        session: find(query.sessionId),
        agent: find(query.agentId),
        workflow: find(query.workflowId),
        types:
          query.types === undefined
            ? undefined
            : new Set(query.types.map((t) => strings.find(t)).filter((t): t is number => t !== undefined)),
      };
      const events: FleetEvent[] = [];
      let lastSeq = -1;
      let more = false;
      const take = (seq: number): boolean => {
        if (seq < first || seq >= next || !matches(seq, query, keys)) return true;
        if (events.length === limit) {
          more = true;
          return false;
        }
        events.push(eventAt(seq));
        lastSeq = seq;
        return true;
      };

      const sources = candidates(query, keys);
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
      return { events: next - first, evicted, capacity, bytes: heldBytes, maxBytes, sessions: bySession.size, agents: byAgent.size };
    },

    async flush() {},

    async close() {
      closed = true;
      columns = new Columns(1);
      strings.clear();
      extras.clear();
      bySession.clear();
      byAgent.clear();
      byWorkflow.clear();
      byType.clear();
      first = next;
      heldBytes = 0;
    },
  };
}
