/**
 * The retry queue of the tiered storage: the events the cold tier has not stored, in append order,
 * written to it again ahead of the next batch, and the checks that keep every event in exactly one
 * place, the cold tier or the queue.
 *
 * A cold tier that rejects an append may have stored part of the batch, or all of it (a write that
 * failed part-way, a timeout after a successful write), and the `Storage` contract does not say
 * which. So after a rejected append, and again before each retry, the queue reads the cold tier's
 * newest events back to a mark (an event with nothing of the queue stored at or before it) and drops
 * what the cold tier holds: nothing is sent twice. Queries of both tiers and the steps that take
 * events out of the queue exclude each other, so a query never sees an event in both places.
 */
import { MAX_QUERY_LIMIT, type FleetEvent, type Storage } from '../core/index.js';

/** The counters of the queue, shown in the tiered storage's stats. */
export interface RetryQueueCounters {
  /** Cold appends rejected (and retry checks that failed). */
  coldErrors: number;
  /** Events dropped from the full queue, oldest first. */
  hotOnlyDropped: number;
  /** Queued events a retry delivered. */
  coldRetried: number;
  /** Events a rejected append had stored anyway, found by the check and not sent again. */
  coldReconciled: number;
}

export interface RetryQueue {
  /** The events the cold tier does not hold, oldest first. */
  readonly events: readonly FleetEvent[];
  has(id: string): boolean;
  /**
   * Appends the queue, then `batch`, to the cold tier in one append; appends run one after another.
   * On rejection the part of them the cold tier did not store is (still) queued.
   */
  append(batch: readonly FleetEvent[]): Promise<void>;
  /** Runs `body`, a read of both tiers, while no step takes events out of the queue; checks the queue first if a check failed. */
  read<T>(body: () => Promise<T>): Promise<T>;
  /** Settles once the appends issued so far have. */
  idle(): Promise<void>;
}

/**
 * Events a check reads beyond the queue's size when it has no mark (no append succeeded yet in this
 * process) or the cold tier evicted it: room for other processes' writes to a shared file log.
 */
const CHECK_SLACK = 10_000;

export function retryQueue(cold: Storage, maxEvents: number, counters: RetryQueueCounters): RetryQueue {
  let events: FleetEvent[] = [];
  let ids = new Set<string>();
  /** The queue may hold events the cold tier stored: a rejected append whose check failed. */
  let unchecked = false;
  /** An event of the cold tier with no queued event stored at or before it: checks read back to it. */
  let mark: string | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  // The read-write gate: queries read concurrently; a step that takes events out of the queue waits for
  // the queries under way, and queries arriving meanwhile wait for it. Steps are already serial (`chain`).
  let readers = 0;
  let writing: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  function setEvents(next: FleetEvent[]): void {
    events = next;
    ids = new Set(next.map((e) => e.id));
  }

  function enqueue<T>(step: () => Promise<T>): Promise<T> {
    const run = chain.then(step);
    chain = run.catch(() => {});
    return run;
  }

  async function exclusive<T>(body: () => Promise<T>): Promise<T> {
    let open!: () => void;
    writing = new Promise<void>((resolve) => (open = resolve));
    try {
      while (readers > 0) await new Promise<void>((resolve) => (wake = resolve));
      return await body();
    } finally {
      writing = undefined;
      wake = undefined;
      open();
    }
  }

  /** Drops from the queue what the cold tier holds: its events newer than the mark, read newest first. */
  async function check(): Promise<void> {
    if (events.length > 0) {
      const stored = new Set<string>();
      let newest: string | undefined;
      let budget = events.length + CHECK_SLACK;
      let cursor: string | undefined;
      // Usually the mark is among the first few events: start small.
      let limit = 64;
      scan: for (;;) {
        const page = await cold.query({ order: 'desc', limit, cursor });
        if (cursor === undefined) newest = page.events[0]?.id;
        for (const e of page.events) {
          if (e.id === mark || budget-- === 0) break scan;
          if (ids.has(e.id)) stored.add(e.id);
        }
        if (page.nextCursor === undefined) break;
        cursor = page.nextCursor;
        limit = Math.min(MAX_QUERY_LIMIT, limit * 8);
      }
      if (stored.size > 0) {
        setEvents(events.filter((e) => !stored.has(e.id)));
        counters.coldReconciled += stored.size;
      }
      // Everything still queued is absent from the cold tier up to its newest event.
      if (newest !== undefined) mark = newest;
    }
    unchecked = false;
  }

  /** After a rejected append: `batch` joins the queue (oldest dropped beyond `maxEvents`), which is then checked. */
  async function rejected(batch: readonly FleetEvent[]): Promise<void> {
    counters.coldErrors++;
    let next = batch.length === 0 ? events : events.concat(batch);
    if (next.length > maxEvents) {
      counters.hotOnlyDropped += next.length - maxEvents;
      next = next.slice(next.length - maxEvents);
    }
    setEvents(next);
    unchecked = true;
    // If the cold tier cannot be read either, the check runs again before the next retry or query.
    await check().catch(() => {});
  }

  async function step(batch: readonly FleetEvent[]): Promise<void> {
    if (events.length === 0 && !unchecked) {
      // Nothing to take out of the queue: queries need not wait for this append.
      try {
        await cold.append(batch);
      } catch (error) {
        await exclusive(() => rejected(batch));
        throw error;
      }
      if (batch.length > 0) mark = batch[batch.length - 1]!.id;
      return;
    }
    await exclusive(async () => {
      try {
        // Also finds a write that landed after its append was rejected.
        await check();
        await cold.append(events.length === 0 ? batch : batch.length === 0 ? events : [...events, ...batch]);
      } catch (error) {
        await rejected(batch);
        throw error;
      }
      counters.coldRetried += events.length;
      const last = batch.length > 0 ? batch[batch.length - 1] : events[events.length - 1];
      if (last !== undefined) mark = last.id;
      setEvents([]);
    });
  }

  return {
    get events() {
      return events;
    },
    has: (id) => ids.has(id),
    append: (batch) => enqueue(() => step(batch)),

    async read(body) {
      for (;;) {
        if (unchecked) await enqueue(() => (unchecked ? exclusive(check) : Promise.resolve()));
        while (writing !== undefined) await writing;
        if (unchecked) continue;
        readers++;
        try {
          return await body();
        } finally {
          if (--readers === 0) wake?.();
        }
      }
    },

    idle: () => chain.then(() => {}),
  };
}
