/**
 * `defineAnalyzer`: a custom analyzer in a few lines. It hides the stream loop: you handle
 * one event (or one batch) at a time and return a snapshot.
 */
import type { Analyzer, AnalyzerContext, EventFilter, FleetEvent } from '../core/index.js';

export interface AnalyzerDefinition<Snapshot> {
  name: string;
  /** Analyzers whose snapshots `context.snapshotOf` may read; started before this one. */
  dependsOn?: readonly string[];
  /** Which events to receive. Default all. */
  filter?: EventFilter;
  /** Called for each event, in order. */
  onEvent?: (event: FleetEvent, context: AnalyzerContext) => void;
  /** Called once per batch after `onEvent` ran on each of its events. */
  onBatch?: (batch: readonly FleetEvent[], context: AnalyzerContext) => void | Promise<void>;
  /** Current results as plain JSON data. */
  snapshot: () => Snapshot;
}

/**
 * Calls `handle` on each event of a batch with one `try` per batch rather than per event (the
 * per-event path stays lean): an event whose handling throws is reported through
 * `context.reportError` and skipped, and the batch goes on with the next event.
 */
export function eachEvent(
  batch: readonly FleetEvent[],
  handle: (event: FleetEvent) => void,
  context: Pick<AnalyzerContext, 'reportError'>,
): void {
  let i = 0;
  while (i < batch.length) {
    try {
      for (; i < batch.length; i++) handle(batch[i]!);
    } catch (error) {
      context.reportError(error, 'consume');
      i++;
    }
  }
}

/**
 * Builds an `Analyzer` from callbacks. An event whose `onEvent` throws is reported through
 * `context.reportError` and skipped; a throwing `onBatch` is reported and the next batch goes on.
 */
export function defineAnalyzer<Snapshot>(definition: AnalyzerDefinition<Snapshot>): Analyzer<Snapshot> {
  const { onEvent, onBatch } = definition;
  return {
    name: definition.name,
    dependsOn: definition.dependsOn,
    filter: definition.filter,
    snapshot: definition.snapshot,
    async consume(stream, context) {
      const handle = onEvent === undefined ? undefined : (event: FleetEvent) => onEvent(event, context);
      for await (const batch of stream) {
        if (handle !== undefined) eachEvent(batch, handle, context);
        if (onBatch === undefined) continue;
        try {
          await onBatch(batch, context);
        } catch (error) {
          context.reportError(error, 'consume');
        }
      }
    },
  };
}
