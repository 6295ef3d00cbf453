/**
 * Tiered storage: a hot tier (in memory by default) in front of a durable cold tier, behind one
 * `Storage`. Every batch goes to both. A query is answered by the hot tier alone while it provably
 * holds everything the cold tier holds (same event count, nothing evicted); otherwise by the cold
 * tier, merged with the events whose cold append failed (kept in the hot tier and a bounded list),
 * deduplicated by event id. Cursors name the tier they came from, so paging never repeats or skips.
 */
import type { EventQuery, FleetEvent, QueryPage, Storage, StorageStats } from '../core/index.js';
import { memoryStorage } from './memory.js';

export interface TieredStorageOptions {
  /** The fast tier. Default `memoryStorage()` (100,000 events, 24 h). */
  hot?: Storage;
  /** The durable tier (file log, SQLite, ...). Required. */
  cold: Storage;
  /** Events kept for queries when the cold append failed (oldest dropped first, counted). Default 10,000. */
  maxColdFailures?: number;
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
  const name = options.name ?? 'tiered';
  /** Events only the hot tier has (their cold append failed), in append order. */
  const hotOnly: FleetEvent[] = [];
  const counters = { coldErrors: 0, hotErrors: 0, hotOnlyDropped: 0, hotAnswers: 0, coldAnswers: 0 };
  let hotDiverged = false;
  let closed = false;

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

  return {
    name,

    async append(batch) {
      if (closed) throw prefixed('storage is closed');
      const [c, h] = await Promise.allSettled([cold.append(batch), hot.append(batch)]);
      if (h.status === 'rejected') {
        counters.hotErrors++;
        hotDiverged = true;
      }
      if (c.status === 'rejected') {
        counters.coldErrors++;
        hotDiverged = true;
        for (const event of batch) hotOnly.push(event);
        if (hotOnly.length > maxColdFailures) counters.hotOnlyDropped += hotOnly.splice(0, hotOnly.length - maxColdFailures).length;
        throw prefixed('cold tier append failed (the batch is kept in the hot tier)', c.reason);
      }
    },

    async query(query: EventQuery): Promise<QueryPage> {
      if (closed) throw prefixed('storage is closed');
      const limit = Math.min(10_000, Math.max(1, Math.floor(query.limit ?? 100)));
      const desc = query.order === 'desc';
      const raw = query.cursor;
      let tier: 'H' | 'C' | 'X' | undefined;
      let inner: string | undefined;
      if (raw !== undefined && raw !== '') {
        const match = /^([HCX]):(.*)$/s.exec(raw);
        if (match === null) throw prefixed('cursor is not one this storage issued');
        tier = match[1] as 'H' | 'C' | 'X';
        inner = match[2];
      }
      if (tier === 'H' || (tier === undefined && hotCovers())) {
        counters.hotAnswers++;
        const page = await hot.query({ ...query, limit, cursor: inner });
        return page.nextCursor === undefined ? { events: page.events } : { events: page.events, nextCursor: `H:${page.nextCursor}` };
      }
      counters.coldAnswers++;
      // Cold first in asc (hot-only events were appended after the cold failure), hot-only first in desc.
      const events: FleetEvent[] = [];
      const seen = new Set<string>();
      const fromCold = async (cursor: string | undefined): Promise<QueryPage | undefined> => {
        const page = await cold.query({ ...query, limit: limit - events.length, cursor });
        for (const e of page.events) if (!seen.has(e.id)) (seen.add(e.id), events.push(e));
        return page.nextCursor === undefined ? undefined : { events: [], nextCursor: `C:${page.nextCursor}` };
      };
      const fromHotOnly = (start: number | undefined): QueryPage | undefined => {
        const page = hotOnlyPage(query, start, desc, limit - events.length);
        for (const e of page.events) if (!seen.has(e.id)) (seen.add(e.id), events.push(e));
        return page.more ? { events: [], nextCursor: `X:${page.last! + (desc ? -1 : 1)}` } : undefined;
      };
      const xStart = tier === 'X' ? Number(inner) : undefined;
      if (!desc) {
        if (tier !== 'X') {
          const next = await fromCold(inner);
          if (next !== undefined) return { events, nextCursor: next.nextCursor! };
        }
        if (events.length < limit) {
          const next = fromHotOnly(xStart);
          if (next !== undefined) return { events, nextCursor: next.nextCursor! };
        } else if (hotOnlyPage(query, xStart, desc, 1).events.length > 0) {
          return { events, nextCursor: `X:${xStart ?? 0}` };
        }
        return { events };
      }
      if (tier !== 'C') {
        const next = fromHotOnly(xStart);
        if (next !== undefined) return { events, nextCursor: next.nextCursor! };
      }
      if (events.length < limit) {
        const next = await fromCold(tier === 'C' ? inner : undefined);
        if (next !== undefined) return { events, nextCursor: next.nextCursor! };
        return { events };
      }
      const peek = await cold.query({ ...query, limit: 1, cursor: tier === 'C' ? inner : undefined });
      return peek.events.length > 0 ? { events, nextCursor: tier === 'C' ? raw! : 'C:' } : { events };
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
      await Promise.all([cold.flush?.(), hot.flush?.()]);
    },

    async close() {
      if (closed) return;
      closed = true;
      const results = await Promise.allSettled([cold.close(), hot.close()]);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw prefixed('close failed', (failed as PromiseRejectedResult).reason);
    },
  };
}
