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
 * Builds an `Analyzer` from callbacks. A throwing `onEvent`/`onBatch` is reported through
 * `context.reportError` and the analyzer goes on with the next batch.
 */
export function defineAnalyzer<Snapshot>(definition: AnalyzerDefinition<Snapshot>): Analyzer<Snapshot> {
  const { onEvent, onBatch } = definition;
  return {
    name: definition.name,
    dependsOn: definition.dependsOn,
    filter: definition.filter,
    snapshot: definition.snapshot,
    async consume(stream, context) {
      for await (const batch of stream) {
        try {
          if (onEvent !== undefined) for (const event of batch) onEvent(event, context);
          if (onBatch !== undefined) await onBatch(batch, context);
        } catch (error) {
          context.reportError(error, 'consume');
        }
      }
    },
  };
}
