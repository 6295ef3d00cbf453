/**
 * The transform contract: a step on the way OUT of the bus, applied to each batch just before
 * a sink receives it (the storage appender, each exporter). Redaction is the first user. Like
 * OpenTelemetry's SpanProcessor it is a small synchronous hook the pipeline calls; unlike it, a
 * transform decides once per sink, at construction, whether it applies there at all
 * (`forSink` returns undefined), so a sink it does not touch pays nothing.
 */
import type { EventInput, FleetEvent } from './events.js';

/** The sink a batch is about to reach. */
export interface SinkInfo {
  kind: 'storage' | 'exporter';
  /** The storage's or exporter's `name`. */
  name: string;
}

/** What a transform may do besides rewriting batches. */
export interface TransformContext {
  /**
   * Puts a derived event on the bus (e.g. a summary of what was redacted). Its `source`
   * defaults to `transform:<name>`.
   */
  emit(event: EventInput): void;
  /** Reports a non-fatal problem (counted in `stats()`, sent on the bus as `plugin.error`). */
  reportError(error: unknown, operation?: string): void;
  /** The observer's clock (ms since the epoch). */
  now(): number;
}

/** Rewrites one batch for one sink. Must not mutate the events it receives (they are shared). */
export type BatchTransform = (batch: readonly FleetEvent[]) => readonly FleetEvent[];

/**
 * A transform applied between the bus and the sinks. The pipeline calls `forSink` once per sink
 * when the observer is built; the function it returns runs on every batch bound for that sink.
 * If that function throws, the batch is NOT delivered to that sink (fail closed: a redaction
 * that broke must not let the unredacted batch through); the failure is counted.
 */
export interface EventTransform {
  readonly name: string;
  forSink(sink: SinkInfo, context: TransformContext): BatchTransform | undefined;
  /** Transform-specific counters, shown in `stats().transforms[name]`. */
  stats?(): Record<string, unknown>;
}
