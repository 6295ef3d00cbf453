/**
 * Tiered storage: a hot tier (in memory by default) in front of a durable cold tier, behind one
 * `Storage`. Every batch goes to both. A query is answered by the hot tier alone while it provably
 * holds everything the cold tier holds (same event count, nothing evicted); otherwise by the cold
 * tier followed by the retry queue (tiered-queue.ts), the events the cold tier has not stored: each
 * event is in exactly one of the two, so none comes back twice. A cursor names where the next page
 * starts and the last event returned, so paging neither repeats nor skips an event when a retry
 * moves queued events into the cold tier, or the hot tier evicts, between two pages.
 */
import { DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT, type EventQuery, type FleetEvent, type QueryPage, type Storage, type StorageStats } from '../core/index.js';
import { memoryStorage } from './memory.js';
import { retryQueue } from './tiered-queue.js';

export interface TieredStorageOptions {
  /** The fast tier. Default `memoryStorage()` (100,000 events, 16 MiB of payloads, 24 h). */
  hot?: Storage;
  /** The durable tier (file log, SQLite, ...). Required. */
  cold: Storage;
  /**
   * Events the cold tier has not stored (its append was rejected), kept for queries and retried into
   * it (oldest dropped first, counted in `stats().hotOnlyDropped`). Default 10,000.
   */
  maxColdFailures?: number;
  /** Period of the background retry of refused events (also retried before each append and on flush). Default 5000 ms; 0: no timer. */
  retryIntervalMs?: number;
  /** Name in stats. Default `tiered`. */
  name?: string;
}

function prefixed(message: string, cause?: unknown): Error {
  return new Error(`[fleetscope] [tiered] ${message}`, cause === undefined ? undefined : { cause });
}

/**
 * Where a page starts: in the cold tier at a cursor of its own (undefined: its start), or after
 * event `after`, the last one returned. `position` (X cursors) is, in ascending order, the cold
 * cursor where the last read of the cold tier up to its end began ('': its start); in descending
 * order, the id of the newest matching cold event when the queue was first read ('': none). Hot
 * cursors whose hot tier evicted since have no `position`.
 */
type Start = { cold: string | undefined } | { after: string; position?: string };

/** Creates a tiered `Storage`. */
export function tieredStorage(options: TieredStorageOptions): Storage {
  if (options === null || typeof options !== 'object' || options.cold === undefined || typeof options.cold.append !== 'function') {
    throw prefixed('options.cold (a Storage) is required');
  }
  const cold = options.cold;
  const hot = options.hot ?? memoryStorage();
  const maxColdFailures = options.maxColdFailures ?? 10_000;
  const retryIntervalMs = options.retryIntervalMs ?? 5000;
  if (typeof maxColdFailures !== 'number' || !(maxColdFailures >= 0)) throw prefixed('maxColdFailures must be a number >= 0');
  if (typeof retryIntervalMs !== 'number' || !(retryIntervalMs >= 0)) throw prefixed('retryIntervalMs must be a number >= 0');
  const name = options.name ?? 'tiered';
  const counters = {
    coldErrors: 0,
    hotErrors: 0,
    hotOnlyDropped: 0,
    coldRetried: 0,
    coldReconciled: 0,
    hotAnswers: 0,
    coldAnswers: 0,
    hotFallbacks: 0,
  };
  const queue = retryQueue(cold, maxColdFailures, counters);
  let hotDiverged = false;
  /**
   * Whether the cold tier's stats can be trusted: a lazily opened backend (SQLite, the file log)
   * reports 0 events until its first append or query, while its file may hold events from an
   * earlier run that the new, empty hot tier does not.
   */
  let coldOpened = false;
  let closed = false;

  const retryTimer =
    retryIntervalMs > 0
      ? setInterval(() => {
          if (queue.events.length > 0 && !closed) queue.append([]).catch(() => {});
        }, retryIntervalMs)
      : undefined;
  retryTimer?.unref();

  /** The hot tier alone can answer while it holds exactly what the cold tier holds. */
  function hotCovers(): boolean {
    if (hotDiverged || !coldOpened) return false;
    const h = hot.stats();
    const c = cold.stats();
    return h.evicted === 0 && c.evicted === 0 && h.events === c.events;
  }

  function matches(e: FleetEvent, q: EventQuery): boolean {
    return (
      (q.sessionId === undefined || e.sessionId === q.sessionId) &&
      (q.agentId === undefined || e.agentId === q.agentId) &&
      (q.workflowId === undefined || e.workflowId === q.workflowId) &&
      (q.types === undefined || q.types.includes(e.type)) &&
      (q.from === undefined || e.timestamp >= q.from) &&
      (q.to === undefined || e.timestamp < q.to)
    );
  }

  /** Queued events matching `q` from index `from` on (undefined: the end `desc` starts at), at most `limit`; `more` if another matches. */
  function queuedPage(q: EventQuery, from: number | undefined, desc: boolean, limit: number): { events: FleetEvent[]; more: boolean } {
    const queued = queue.events;
    const events: FleetEvent[] = [];
    const step = desc ? -1 : 1;
    for (let i = from ?? (desc ? queued.length - 1 : 0); i >= 0 && i < queued.length; i += step) {
      if (!matches(queued[i]!, q)) continue;
      if (events.length === limit) return { events, more: true };
      events.push(queued[i]!);
    }
    return { events, more: false };
  }

  function queueIndex(id: string): number {
    return queue.has(id) ? queue.events.findIndex((e) => e.id === id) : -1;
  }

  /**
   * A page's events. A cold event whose id is queued is left out: the cold tier received it after
   * its append was rejected and the check (a write that landed late); the queue returns it.
   */
  function newPage() {
    const events: FleetEvent[] = [];
    const seen = new Set<string>();
    const push = (e: FleetEvent, fromCold: boolean): void => {
      if (seen.has(e.id) || (fromCold && queue.has(e.id))) return;
      seen.add(e.id);
      events.push(e);
    };
    return { events, push };
  }

  async function hotPage(query: EventQuery, limit: number, cursor: string | undefined): Promise<QueryPage> {
    counters.hotAnswers++;
    const evicted = hot.stats().evicted;
    const page = await hot.query({ ...query, limit, cursor });
    if (page.nextCursor === undefined) return { events: page.events };
    const last = page.events.at(-1)?.id ?? '';
    return { events: page.events, nextCursor: `H:${evicted.toString(36)}:${encodeURIComponent(last)}:${page.nextCursor}` };
  }

  /**
   * Reads the cold tier in `query`'s order from cursor `from` (undefined: its start) up to event
   * `target`, or to event `stop` if that comes first: the event found, the cold cursor just after it
   * (undefined: nothing follows) and the cursor its read began at; undefined when neither is there.
   */
  async function coldSeek(
    query: EventQuery,
    target: string,
    stop?: string,
    from?: string,
  ): Promise<{ event: FleetEvent; next: string | undefined; before: string | undefined } | undefined> {
    let cursor = from;
    let limit = 100;
    for (;;) {
      const page = await cold.query({ ...query, limit, cursor });
      const at = page.events.findIndex((e) => e.id === target || e.id === stop);
      if (at !== -1) {
        // The cursor after it: the page's own, or that of the same read cut just after it.
        const next = at === page.events.length - 1 ? page.nextCursor : (await cold.query({ ...query, limit: at + 1, cursor })).nextCursor;
        return { event: page.events[at]!, next, before: cursor };
      }
      if (page.nextCursor === undefined) return undefined;
      cursor = page.nextCursor;
      limit = Math.min(MAX_QUERY_LIMIT, limit * 10);
    }
  }

  const xCursor = (position: string, last: string) => `X:${encodeURIComponent(position)}:${encodeURIComponent(last)}`;

  /** Ascending: the cold tier, then the queue (appended after what the cold tier holds). */
  async function ascPage(query: EventQuery, limit: number, start: Start): Promise<QueryPage> {
    const { events, push } = newPage();
    let readCold = true;
    let coldCursor: string | undefined;
    let from = 0;
    /** Where the last read of the cold tier up to its end began, for X cursors. */
    let anchor: string | undefined;
    if ('cold' in start) coldCursor = start.cold;
    else {
      const at = queueIndex(start.after);
      if (at !== -1) {
        readCold = false;
        from = at + 1;
        anchor = start.position || undefined;
      } else {
        // The last event returned is a cold event, or a queued one a retry has moved to the cold tier
        // since (after what was there): look for it from where the last read to the end began.
        const found = await coldSeek(query, start.after, undefined, start.position || undefined);
        if (found === undefined) {
          if (start.position === undefined) coldCursor = undefined; // evicted with all before it: what remains is after it
          else {
            // Dropped from the full queue with all queued before it: the queue is newer.
            readCold = false;
            anchor = start.position || undefined;
          }
        } else if (found.next === undefined) {
          readCold = false;
          anchor = found.before;
        } else coldCursor = found.next;
      }
    }
    // A read comes back short only when it left out cold copies of queued events: read on then.
    while (readCold) {
      const read = await cold.query({ ...query, limit: limit - events.length, cursor: coldCursor });
      for (const e of read.events) push(e, true);
      if (read.nextCursor === undefined) {
        anchor = coldCursor;
        break;
      }
      if (events.length === limit) return { events, nextCursor: `C:${read.nextCursor}` };
      coldCursor = read.nextCursor;
    }
    const rest = queuedPage(query, from, false, limit - events.length);
    for (const e of rest.events) push(e, false);
    return rest.more ? { events, nextCursor: xCursor(anchor ?? '', events.at(-1)!.id) } : { events };
  }

  /** Descending: the queue (newest first), then the cold tier. */
  async function descPage(query: EventQuery, limit: number, start: Start): Promise<QueryPage> {
    const { events, push } = newPage();
    let readQueue = false;
    let coldCursor: string | undefined;
    let from: number | undefined;
    /** The id of the newest matching cold event when the queue was first read ('': none); X cursors carry it. */
    let floor: string | undefined;
    if ('cold' in start) {
      readQueue = start.cold === undefined;
      coldCursor = start.cold;
    } else {
      const at = queueIndex(start.after);
      if (at !== -1) {
        readQueue = true;
        from = at - 1;
        floor = start.position;
      } else {
        // A retry moved the last event returned to the cold tier (after the floor), or it is gone. The
        // floor and what is older was there before the queue was read: not returned yet.
        const found = await coldSeek(query, start.after, start.position || undefined);
        if (found === undefined) return { events };
        if (found.event.id !== start.after) push(found.event, true);
        if (found.next === undefined) return { events };
        coldCursor = found.next;
      }
    }
    if (readQueue) {
      const part = queuedPage(query, from, true, limit);
      for (const e of part.events) push(e, false);
      if (part.more || events.length === limit) {
        floor ??= (await cold.query({ ...query, limit: 1, cursor: undefined })).events[0]?.id ?? '';
        return part.more || floor !== '' ? { events, nextCursor: xCursor(floor, events.at(-1)!.id) } : { events };
      }
    }
    while (events.length < limit) {
      const read = await cold.query({ ...query, limit: limit - events.length, cursor: coldCursor });
      for (const e of read.events) push(e, true);
      if (read.nextCursor === undefined) return { events };
      coldCursor = read.nextCursor;
    }
    return { events, nextCursor: `C:${coldCursor}` };
  }

  return {
    name,

    async append(batch) {
      if (closed) throw prefixed('storage is closed');
      const [c, h] = await Promise.allSettled([queue.append(batch), hot.append(batch)]);
      if (c.status === 'fulfilled') coldOpened = true;
      if (h.status === 'rejected') {
        counters.hotErrors++;
        hotDiverged = true;
      }
      if (c.status === 'rejected') {
        hotDiverged = true;
        throw prefixed('cold tier append failed (what it did not store is kept in the hot tier and retried)', c.reason);
      }
    },

    async query(query: EventQuery): Promise<QueryPage> {
      if (closed) throw prefixed('storage is closed');
      const limit = Math.min(MAX_QUERY_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_QUERY_LIMIT)));
      let start: Start = { cold: undefined };
      if (query.cursor !== undefined && query.cursor !== '') {
        const match = /^([HCX]):(.*)$/s.exec(query.cursor);
        if (match === null) throw prefixed('cursor is not one this storage issued');
        const inner = match[2]!;
        if (match[1] === 'H') {
          // `H:<hot evictions when issued>:<last event id>:<hot cursor>`.
          const hotCursor = /^([0-9a-z]+):([^:]*):(.*)$/s.exec(inner);
          if (hotCursor === null) throw prefixed('cursor is not one this storage issued');
          if (hot.stats().evicted === Number.parseInt(hotCursor[1]!, 36)) return hotPage(query, limit, hotCursor[3]);
          // The hot tier evicted events since that page, perhaps some not returned yet: continue in the
          // cold tier, which holds the same events in the same order, after the last one returned.
          counters.hotFallbacks++;
          start = { after: decodeURIComponent(hotCursor[2]!) };
        } else if (match[1] === 'X') {
          // `X:<position>:<last event id>`.
          const xCursor = /^([^:]*):([^:]*)$/.exec(inner);
          if (xCursor === null) throw prefixed('cursor is not one this storage issued');
          start = { after: decodeURIComponent(xCursor[2]!), position: decodeURIComponent(xCursor[1]!) };
        } else start = { cold: inner === '' ? undefined : inner };
      } else if (hotCovers()) return hotPage(query, limit, undefined);
      counters.coldAnswers++;
      const desc = query.order === 'desc';
      const page = await queue.read(() => (desc ? descPage(query, limit, start) : ascPage(query, limit, start)));
      // Read once: the cold tier is open and its stats count what it held before this process.
      coldOpened = true;
      return page;
    },

    stats(): StorageStats {
      const c = cold.stats();
      const h = hot.stats();
      return {
        events: c.events + queue.events.length,
        evicted: c.evicted,
        ...(c.bytes === undefined ? {} : { bytes: c.bytes }),
        hotEvents: h.events,
        hotEvicted: h.evicted,
        hotOnly: queue.events.length,
        ...counters,
      };
    },

    async flush() {
      if (queue.events.length > 0) await queue.append([]).catch(() => {});
      await Promise.all([cold.flush?.(), hot.flush?.()]);
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(retryTimer);
      if (queue.events.length > 0) await queue.append([]).catch(() => {});
      await queue.idle();
      const results = await Promise.allSettled([cold.close(), hot.close()]);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw prefixed('close failed', (failed as PromiseRejectedResult).reason);
    },
  };
}
