/**
 * Runs the analyzers over history read back from a storage: the events a fleet of hosts wrote to
 * PostgreSQL (or any `Storage`), in a time range, replayed through a fresh observer with the default
 * analyzers (or yours), so `snapshot()` and `report()` give one picture of every host's runs.
 *
 * ```ts
 * const observer = await replayStorage(postgresStorage({ connectionString }), { from: Date.now() - 86_400_000 });
 * console.log(await observer.report());
 * ```
 */
import type { EventInput, EventQuery, Observer, Storage } from './core/index.js';
import { createObserver, type CreateObserverOptions } from './index.js';
import { defaultAnalyzers } from './analyzers/defaults.js';

/** Seed of the anomalies analyzer's forest when the caller gives no analyzers. */
const REPLAY_SEED = 11;

export interface ReplayStorageOptions extends Omit<EventQuery, 'cursor' | 'limit' | 'order'> {
  /** Options of the observer the events are replayed into. Default: `createObserver()`'s defaults. */
  observer?: CreateObserverOptions;
  /** Events per storage query. Default 5000. */
  pageSize?: number;
}

/**
 * Reads every event matching the query from `storage`, in append order, into a new observer and
 * waits until its analyzers have seen them all. The observer's clock is the newest event time read
 * (unless `observer.clock` is given), so windows and "running for" figures are measured against the
 * history, not today's wall clock. Without `observer.analyzers`, the default set runs with the
 * anomalies forest seeded, so the same history gives the same report. The caller closes the observer.
 */
export async function replayStorage(storage: Storage, options: ReplayStorageOptions = {}): Promise<Observer> {
  const { observer: observerOptions = {}, pageSize = 5000, ...query } = options;
  let newest = 0;
  const observer = createObserver({
    clock: () => (newest > 0 ? newest : Date.now()),
    // Reproducible by default: the same history gives the same anomalies (see `isolationForest.seed`).
    analyzers: defaultAnalyzers({ anomalies: { isolationForest: { seed: REPLAY_SEED } } }),
    ...observerOptions,
  });
  let cursor: string | undefined;
  do {
    const page = await storage.query({ ...query, limit: pageSize, cursor });
    for (const event of page.events) if (event.timestamp > newest) newest = event.timestamp;
    observer.emitMany(page.events as unknown as EventInput[]);
    // Let the analyzers drain a page before the next one, so no subscriber buffer overflows.
    await observer.flush();
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return observer;
}
