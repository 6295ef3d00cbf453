/**
 * Tiered storage: a hot tier (in memory by default) in front of a durable cold tier, behind one
 * `Storage`. Every batch goes to both. A query is answered by the hot tier alone while it provably
 * holds everything the cold tier holds (same event count, nothing evicted); otherwise by the cold
 * tier, merged with the events whose cold append failed (kept in the hot tier and a bounded retry
 * queue, written to the cold tier again before the next batch, on flush and on a timer),
 * deduplicated by event id. Cursors name the tier they came from, so paging never repeats or skips;
 * a hot cursor whose position the hot tier evicted mid-pagination continues in the cold tier.
 */
import type { EventQuery, FleetEvent, QueryPage, Storage, StorageStats } from '../core/index.js';
import { memoryStorage } from './memory.js';

export interface TieredStorageOptions {
  /** The fast tier. Default `memoryStorage()` (100,000 events, 24 h). */
  hot?: Storage;
  /** The durable tier (file log, SQLite, ...). Required. */
  cold: Storage;
  /**
   * Events the cold tier refused, kept for queries and retried into it (oldest dropped first, counted
   * in `stats().hotOnlyDropped`). Default 10,000.
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
  /** Events only the hot tier has (their cold append failed), in append order: the retry queue. */
  let hotOnly: FleetEvent[] = [];
  const counters = { coldErrors: 0, hotErrors: 0, hotOnlyDropped: 0, coldRetried: 0, hotAnswers: 0, coldAnswers: 0, hotFallbacks: 0 };
  let hotDiverged = false;
  let closed = false;
  /** Cold appends run one after another, so a retried batch reaches the cold tier before later ones. */
  let coldChain: Promise<unknown> = Promise.resolve();

  function keep(batch: readonly FleetEvent[]): void {
    for (const event of batch) hotOnly.push(event);
    if (hotOnly.length > maxColdFailures) counters.hotOnlyDropped += hotOnly.splice(0, hotOnly.length - maxColdFailures).length;
  }

  /**
   * Appends `batch` to the cold tier, preceded by the events it refused before (in their order).
   * On success those leave the retry queue; on failure `batch` joins them.
   */
  function coldAppend(batch: readonly FleetEvent[]): Promise<void> {
    const run = coldChain.then(async () => {
      const retry = hotOnly.length > 0 ? hotOnly.slice() : undefined;
      try {
        await cold.append(retry === undefined ? batch : batch.length === 0 ? retry : [...retry, ...batch]);
      } catch (error) {
        counters.coldErrors++;
        hotDiverged = true;
        keep(batch);
        throw error;
      }
      if (retry !== undefined) {
        const done = new Set(retry);
        hotOnly = hotOnly.filter((e) => !done.has(e));
        counters.coldRetried += retry.length;
      }
    });
    coldChain = run.catch(() => {});
    return run;
  }

  const retryTimer =
    retryIntervalMs > 0
      ? setInterval(() => {
          if (hotOnly.length > 0 && !closed) coldAppend([]).catch(() => {});
        }, retryIntervalMs)
      : undefined;
  retryTimer?.unref();

  /** The hot tier alone can answer while it holds exactly what the cold tier holds. */
  function hotCovers(): boolean {
    if (hotDiverged) return false;
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

  /** Hot-only events matching `q` after (asc) / before (desc) index `from`, as [index, event]. */
  function hotOnlyPage(q: EventQuery, from: number | undefined, desc: boolean, limit: number): { events: FleetEvent[]; last?: number; more: boolean } {
    const events: FleetEvent[] = [];
    let last: number | undefined;
    const step = desc ? -1 : 1;
    for (let i = from ?? (desc ? hotOnly.length - 1 : 0); i >= 0 && i < hotOnly.length; i += step) {
      if (!matches(hotOnly[i]!, q)) continue;
      if (events.length === limit) return { events, last, more: true };
      events.push(hotOnly[i]!);
      last = i;
    }
    return { events, last, more: false };
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
   * A cold cursor just after event `lastId` in the order of `query`: 'end' when it is the last one,
   * undefined when the cold tier does not hold it (then paging restarts from the cold tier's start,
   * which may repeat events but never skips one).
   */
  async function coldCursorAfter(query: EventQuery, lastId: string): Promise<string | 'end' | undefined> {
    let cursor: string | undefined;
    for (;;) {
      const page = await cold.query({ ...query, limit: 10_000, cursor });
      const at = page.events.findIndex((e) => e.id === lastId);
      if (at !== -1) {
        if (at === page.events.length - 1 && page.nextCursor === undefined) return 'end';
        const position = await cold.query({ ...query, limit: at + 1, cursor });
        return position.nextCursor ?? 'end';
      }
      if (page.nextCursor === undefined) return undefined;
      cursor = page.nextCursor;
    }
  }

  return {
    name,

    async append(batch) {
      if (closed) throw prefixed('storage is closed');
      const [c, h] = await Promise.allSettled([coldAppend(batch), hot.append(batch)]);
      if (h.status === 'rejected') {
        counters.hotErrors++;
        hotDiverged = true;
      }
      if (c.status === 'rejected') {
        throw prefixed('cold tier append failed (the batch is kept in the hot tier and retried)', c.reason);
      }
    },

    async query(query: EventQuery): Promise<QueryPage> {
      if (closed) throw prefixed('storage is closed');
      const limit = Math.min(10_000, Math.max(1, Math.floor(query.limit ?? 100)));
      const desc = query.order === 'desc';
      let tier: 'H' | 'C' | 'X' | undefined;
      let inner: string | undefined;
      if (query.cursor !== undefined && query.cursor !== '') {
        const match = /^([HCX]):(.*)$/s.exec(query.cursor);
        if (match === null) throw prefixed('cursor is not one this storage issued');
        tier = match[1] as 'H' | 'C' | 'X';
        inner = match[2];
      }
      if (tier === undefined && hotCovers()) return hotPage(query, limit, undefined);
      // Where this page starts: in the cold tier (`coldCursor`, undefined: its start) or in the
      // retry queue (`xFrom`, an index; undefined: its start in the query's order).
      let phase: 'C' | 'X' = desc ? 'X' : 'C';
      let coldCursor: string | undefined;
      let xFrom: number | undefined;
      /** Continues after event `lastId`, now in the cold tier. */
      const resumeInCold = async (lastId: string): Promise<boolean> => {
        const after = await coldCursorAfter(query, lastId);
        if (after === 'end') {
          if (desc) return false; // it was the oldest event
          phase = 'X';
        } else {
          phase = 'C';
          coldCursor = after;
        }
        return true;
      };
      if (tier === 'H') {
        // `H:<hot evictions when issued>:<last event id>:<hot cursor>`.
        const match = /^([0-9a-z]+):([^:]*):(.*)$/s.exec(inner!);
        if (match === null) throw prefixed('cursor is not one this storage issued');
        if (hot.stats().evicted === Number.parseInt(match[1]!, 36)) return hotPage(query, limit, match[3]);
        // The hot tier evicted events since that page, perhaps some not returned yet: continue in the
        // cold tier, which holds the same events in the same order, after the last one returned.
        counters.hotFallbacks++;
        if (!(await resumeInCold(decodeURIComponent(match[2]!)))) return { events: [] };
      } else if (tier === 'C') {
        phase = 'C';
        coldCursor = inner === '' ? undefined : inner;
      } else if (tier === 'X') {
        phase = 'X';
        if (inner !== '') {
          const lastId = decodeURIComponent(inner!);
          const at = hotOnly.findIndex((e) => e.id === lastId);
          if (at !== -1) xFrom = at + (desc ? -1 : 1);
          // A retry moved it (and the events around it) into the cold tier meanwhile.
          else if (!(await resumeInCold(lastId))) return { events: [] };
        }
      }
      counters.coldAnswers++;
      const events: FleetEvent[] = [];
      const seen = new Set<string>();
      const push = (e: FleetEvent) => {
        if (!seen.has(e.id)) (seen.add(e.id), events.push(e));
      };
      /** One cold page into `events`; the `C:` cursor if more match there. */
      const fromCold = async (): Promise<string | undefined> => {
        const page = await cold.query({ ...query, limit: limit - events.length, cursor: coldCursor });
        page.events.forEach(push);
        return page.nextCursor === undefined ? undefined : `C:${page.nextCursor}`;
      };
      /** Retry-queue events into `events`; the `X:` cursor if more match there. */
      const fromHotOnly = (): string | undefined => {
        const page = hotOnlyPage(query, xFrom, desc, limit - events.length);
        page.events.forEach(push);
        return page.more ? `X:${encodeURIComponent(hotOnly[page.last!]!.id)}` : undefined;
      };
      // Asc: the cold tier, then the retry queue (appended after the cold failure); desc: the reverse.
      if (!desc) {
        if (phase === 'C') {
          const next = await fromCold();
          if (next !== undefined) return { events, nextCursor: next };
          if (events.length === limit) return hotOnlyPage(query, undefined, false, 1).events.length > 0 ? { events, nextCursor: 'X:' } : { events };
        }
        const next = fromHotOnly();
        return next === undefined ? { events } : { events, nextCursor: next };
      }
      if (phase === 'X') {
        const next = fromHotOnly();
        if (next !== undefined) return { events, nextCursor: next };
        if (events.length === limit) {
          const peek = await cold.query({ ...query, limit: 1 });
          return peek.events.length > 0 ? { events, nextCursor: 'C:' } : { events };
        }
      }
      const next = await fromCold();
      return next === undefined ? { events } : { events, nextCursor: next };
    },

    stats(): StorageStats {
      const c = cold.stats();
      const h = hot.stats();
      return {
        events: c.events + hotOnly.length,
        evicted: c.evicted,
        ...(c.bytes === undefined ? {} : { bytes: c.bytes }),
        hotEvents: h.events,
        hotEvicted: h.evicted,
        hotOnly: hotOnly.length,
        ...counters,
      };
    },

    async flush() {
      if (hotOnly.length > 0) await coldAppend([]).catch(() => {});
      await Promise.all([cold.flush?.(), hot.flush?.()]);
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(retryTimer);
      if (hotOnly.length > 0) await coldAppend([]).catch(() => {});
      await coldChain;
      const results = await Promise.allSettled([cold.close(), hot.close()]);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw prefixed('close failed', (failed as PromiseRejectedResult).reason);
    },
  };
}
