/**
 * The four plugin contracts. A plugin is a plain object (usually returned by a factory
 * function); it depends on `fleetscope/core` only. The observer wraps every call, so a plugin
 * that throws or rejects is isolated: the error is counted in `stats()`, reported on the bus as a
 * `plugin.error` event, and the other plugins and the host go on.
 */
import type { EventInput, FleetEvent } from './events.js';
import type { EventFilter } from './filter.js';
import type { SubscribeOptions } from './subscription.js';

/** Where runners (and analyzers) put events: the observer's validated `emit` path. */
export interface EventSink {
  /** Validates and publishes one event; never throws (invalid input is counted). */
  emit(event: EventInput): void;
  emitMany(events: Iterable<EventInput>): void;
}

// ── Runner ──────────────────────────────────────────────────────────────────────────────

export type RunnerStatus = 'idle' | 'running' | 'degraded' | 'stopped' | 'failed';

export interface RunnerHealth {
  status: RunnerStatus;
  /** Human-readable state, e.g. the last error. */
  message?: string;
  /** Counters the runner keeps: lines read, malformed lines skipped, files followed, ... */
  details?: Record<string, number | string | boolean>;
}

export interface RunnerContext extends EventSink {
  /** Reports a non-fatal problem of the runner (counted in `stats()`, sent on the bus). */
  reportError(error: unknown, operation?: string): void;
  /** Aborted when the observer stops the runner. */
  readonly signal: AbortSignal;
}

/** A source of events: Claude Code hooks, transcripts, an OTel bridge, process metrics, ... */
export interface Runner {
  readonly name: string;
  /** Starts producing events into `sink`. May resolve once ready; must not block forever. */
  start(sink: RunnerContext): void | Promise<void>;
  /** Stops producing and releases resources (timers, file handles). Called once. */
  stop(): void | Promise<void>;
  health(): RunnerHealth;
}

// ── Analyzer ────────────────────────────────────────────────────────────────────────────

/** What an analyzer consumes: batches of validated events, in publish order. */
export type EventStream = AsyncIterable<readonly FleetEvent[]>;

export interface AnalyzerContext {
  /**
   * Puts a derived event (alert, insight, anomaly, ...) on the bus. Its `source` defaults to
   * `analyzer:<name>`, and the analyzer's own stream never receives it back.
   */
  emit(event: EventInput): void;
  /** Current snapshot of an analyzer named in `dependsOn`; undefined for any other. */
  snapshotOf<T = unknown>(name: string): T | undefined;
  /** Reports a non-fatal problem (counted, sent on the bus); the analyzer goes on. */
  reportError(error: unknown, operation?: string): void;
  /** Aborted when the observer closes. */
  readonly signal: AbortSignal;
  /** The observer's clock (ms since epoch); injectable for tests. */
  now(): number;
}

/**
 * A consumer with state. `consume` reads the stream until it ends (the observer closes) and
 * keeps bounded state; `snapshot` returns its current results as plain JSON-serializable data.
 */
export interface Analyzer<Snapshot = unknown> {
  readonly name: string;
  /** Analyzers whose snapshots this one reads; they are started first. */
  readonly dependsOn?: readonly string[];
  /** Which events to receive; default all but the analyzer's own derived events. */
  readonly filter?: EventFilter;
  /** Buffer options of the analyzer's subscription. */
  readonly subscription?: Omit<SubscribeOptions, 'signal' | 'name'>;
  consume(stream: EventStream, context: AnalyzerContext): Promise<void>;
  snapshot(): Snapshot;
}

// ── Storage ─────────────────────────────────────────────────────────────────────────────

export interface EventQuery {
  sessionId?: string;
  agentId?: string;
  workflowId?: string;
  /** Any of these types. */
  types?: readonly string[];
  /** Inclusive lower bound on `timestamp` (ms). */
  from?: number;
  /** Exclusive upper bound on `timestamp` (ms). */
  to?: number;
  /** Page size; default 100, at most 10,000. */
  limit?: number;
  /** `nextCursor` of the previous page; opaque. */
  cursor?: string;
  /** `asc` (default): the order events were appended; `desc`: newest appended first. */
  order?: 'asc' | 'desc';
}

export interface QueryPage {
  events: FleetEvent[];
  /** Present when more events match; pass it as `cursor` for the next page. */
  nextCursor?: string;
}

export interface StorageStats {
  /** Events currently held. */
  events: number;
  /** Events removed by capacity, age or size retention. */
  evicted: number;
  /** Approximate bytes held, when the backend knows. */
  bytes?: number;
  /** Backend-specific counters (segments, torn records dropped, write errors, ...). */
  [counter: string]: number | string | boolean | undefined;
}

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 10_000;

/**
 * Durable or in-memory event storage. Appends arrive in batches from one appender per
 * observer; queries return events in append order with cursor pagination.
 */
export interface Storage {
  readonly name: string;
  append(batch: readonly FleetEvent[]): Promise<void>;
  query(query: EventQuery): Promise<QueryPage>;
  stats(): StorageStats;
  /** Makes appended events durable (fsync, pending writes). */
  flush?(): Promise<void>;
  close(): Promise<void>;
}

/** A storage backend as a plain typed factory. */
export type StorageFactory<Options> = (options: Options) => Storage;

// ── Exporter ────────────────────────────────────────────────────────────────────────────

export type ExportResult =
  | { code: 'success' }
  | {
      code: 'failed';
      error: Error;
      /** Whether trying the same batch again may succeed (the observer does not retry; exporters do). */
      retryable?: boolean;
    };

export interface ExporterStats {
  [counter: string]: number | string | boolean | undefined;
}

/** Sends batches of events to the outside world: OTLP, Prometheus, a webhook, a file. */
export interface Exporter {
  readonly name: string;
  /** Which events to receive; default all. */
  readonly filter?: EventFilter;
  /** Buffer options of the exporter's subscription (its bounded queue). */
  readonly subscription?: Omit<SubscribeOptions, 'signal' | 'name'>;
  export(batch: readonly FleetEvent[]): Promise<ExportResult>;
  /** Sends whatever the exporter buffers itself. */
  flush?(): Promise<void>;
  /** Flushes and releases resources. Called once. */
  shutdown(): Promise<void>;
  /** Exporter-specific counters, shown in `stats().exporters[name]`. */
  stats?(): ExporterStats;
}

export type ExporterFactory<Options> = (options: Options) => Exporter;
