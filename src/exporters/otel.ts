/**
 * OpenTelemetry exporter: pairs span start/end events into spans (see `otel-spans.ts` for the
 * mapping) and hands them to an OTel `SpanExporter`, by default the official OTLP/HTTP exporter
 * (`@opentelemetry/exporter-trace-otlp-http`), so fleetscope traces reach Jaeger, Tempo,
 * Honeycomb, Langfuse, Phoenix or any OpenTelemetry Collector.
 *
 * The OTel packages are optional peers, imported on first export. A missing package is reported
 * as a failed export with a `[fleetscope] [otel] ...` message, never thrown.
 */
import {
  errorMessage,
  withTimeout,
  type Exporter,
  type ExporterStats,
  type ExportResult,
  type FleetEvent,
} from '../core/index.js';
import { DEFAULT_PRICING, checkPricingTable, createCallPricer, type PricingTable } from '../core/pricing.js';
import { buildSpan, openSpan, spanKey, type OpenSpan, type OtelSpan, type SpanShape } from './otel-spans.js';

/** The part of an OTel `SpanExporter` fleetscope uses; `@opentelemetry/sdk-trace-base` exporters fit. */
export interface SpanExporterLike {
  export(spans: unknown[], resultCallback: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

export interface OtelExporterOptions {
  /** Exporter name in `stats()`. Default `otel`. */
  name?: string;
  /**
   * Any OTel `SpanExporter` (or a promise of one). Default: the official OTLP/HTTP exporter of
   * `@opentelemetry/exporter-trace-otlp-http`, loaded lazily, sending to `url`.
   */
  exporter?: SpanExporterLike | Promise<SpanExporterLike>;
  /** OTLP/HTTP traces endpoint of the default exporter. Default `http://localhost:4318/v1/traces`. */
  url?: string;
  /** Extra headers of the default exporter (API keys, ...). Default none. */
  headers?: Record<string, string>;
  /** `service.name` of the resource. Default `fleetscope`. */
  serviceName?: string;
  /** Extra resource attributes. Default none. */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** Most spans started and not yet ended that are remembered; the oldest is flushed as unfinished beyond it. Default 10000. */
  maxOpenSpans?: number;
  /** A span open longer than this (by the clock) is flushed as unfinished. Default 3600000 (1 h). */
  maxOpenAgeMs?: number;
  /** Most finished spans waiting to be exported; newer ones are dropped and counted beyond it. Default 8192. */
  maxQueueSize?: number;
  /** Most spans in one `SpanExporter.export` call. Default 512. */
  maxBatchSize?: number;
  /** Deadline of one `SpanExporter.export` call. Default 10000 ms. */
  exportTimeoutMs?: number;
  /** Clock for the open-span age (ms since epoch). Default `Date.now`. */
  clock?: () => number;
  /**
   * Prices (USD per million tokens) for the `fleetscope.cost_usd` attribute of LLM call spans,
   * added to the shipped table (the `cost` analyzer's) or replacing its entries; `false` sets it
   * only from the `costUsd` a call carries. A call's own `costUsd` always wins; a call of unknown
   * cost (no usage, no price) gets no attribute, never 0. Default: the shipped table.
   */
  pricing?: PricingTable | false;
  /** Use only `pricing`, not the shipped table. Default `false`. */
  replacePricing?: boolean;
}

export const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';

const SCOPE = { name: 'fleetscope', version: '0.1.0' };

const ENDS: Record<string, string> = { 'session.end': 'session.start', 'agent.end': 'agent.start', 'tool.end': 'tool.start' };
const STARTS = new Set(['session.start', 'agent.start', 'tool.start']);

/** What an importer returns; injectable in tests to simulate a missing package. */
export type ModuleImporter = (specifier: string) => Promise<Record<string, unknown>>;

export function otelExporter(options: OtelExporterOptions = {}, importModule: ModuleImporter = (s) => import(s)): Exporter {
  const name = options.name ?? 'otel';
  const url = options.url ?? DEFAULT_OTLP_TRACES_URL;
  const maxOpen = options.maxOpenSpans ?? 10_000;
  const maxOpenAgeMs = options.maxOpenAgeMs ?? 3_600_000;
  const maxQueue = options.maxQueueSize ?? 8192;
  const maxBatch = options.maxBatchSize ?? 512;
  const timeoutMs = options.exportTimeoutMs ?? 10_000;
  const clock = options.clock ?? Date.now;
  for (const [key, value] of Object.entries({ maxOpen, maxQueue, maxBatch, timeoutMs, maxOpenAgeMs })) {
    if (!(typeof value === 'number' && value > 0)) throw new Error(`[fleetscope] [otel] ${key} must be a positive number, got ${value}`);
  }
  const resourceAttributes = { 'service.name': options.serviceName ?? 'fleetscope', ...options.resourceAttributes };

  const costOf =
    options.pricing === false
      ? undefined
      : createCallPricer({ ...(options.replacePricing === true ? {} : DEFAULT_PRICING), ...checkPricingTable(options.pricing ?? {}, 'otel') });
  const open = new Map<string, OpenSpan>();
  let queue: OtelSpan[] = [];
  let target: Promise<{ exporter: SpanExporterLike; shape: SpanShape }> | undefined;
  let sending: Promise<ExportResult> | undefined;
  let shutDown = false;
  const counters = { spans: 0, exportedSpans: 0, failedSpans: 0, droppedSpans: 0, unfinishedSpans: 0, orphanEnds: 0, failures: 0 };
  /** Spans handed to the SpanExporter whose answer has not come (a hung collector): lost if the process ends now. */
  let sendingSpans = 0;
  let lastError: string | undefined;

  /** Loads the SpanExporter and the resource once; a failure is retried on the next export. */
  const load = () => {
    target ??= (async () => {
      let resource: unknown = { attributes: resourceAttributes };
      try {
        const mod = await importModule('@opentelemetry/resources');
        const fromAttributes = mod.resourceFromAttributes as ((a: object) => unknown) | undefined;
        if (typeof fromAttributes === 'function') resource = fromAttributes(resourceAttributes);
      } catch {
        // Optional: a plain { attributes } resource is what the OTLP serializers read.
      }
      if (options.exporter !== undefined) return { exporter: await options.exporter, shape: { resource, scope: SCOPE, costOf } };
      let mod: Record<string, unknown>;
      try {
        mod = await importModule('@opentelemetry/exporter-trace-otlp-http');
      } catch (error) {
        throw new Error(
          `[fleetscope] [otel] cannot load @opentelemetry/exporter-trace-otlp-http (npm install @opentelemetry/exporter-trace-otlp-http @opentelemetry/resources): ${errorMessage(error)}`,
          { cause: error },
        );
      }
      const Ctor = mod.OTLPTraceExporter as new (config: object) => SpanExporterLike;
      return { exporter: new Ctor({ url, headers: options.headers ?? {}, timeoutMillis: timeoutMs }), shape: { resource, scope: SCOPE, costOf } };
    })();
    target.catch(() => {
      target = undefined;
    });
    return target;
  };

  const enqueue = (span: OtelSpan) => {
    counters.spans++;
    if (queue.length >= maxQueue) counters.droppedSpans++;
    else queue.push(span);
  };

  const finishUnfinished = (shape: SpanShape, entry: OpenSpan, endMs: number) => {
    counters.unfinishedSpans++;
    const parent = entry.start.parentSpanId;
    enqueue(buildSpan(shape, { ...entry, ...(parent ? { parentSpanId: parent } : {}) }, entry.start.timestamp, endMs, entry.start, undefined, true));
  };

  const convert = (shape: SpanShape, batch: readonly FleetEvent[]) => {
    for (const event of batch) {
      if (STARTS.has(event.type)) {
        const key = spanKey(event);
        if (open.size >= maxOpen) {
          const [oldestKey, oldest] = open.entries().next().value as [string, OpenSpan];
          open.delete(oldestKey);
          finishUnfinished(shape, oldest, event.timestamp);
        }
        open.set(key, openSpan(event));
      } else if (ENDS[event.type] !== undefined) {
        const key = spanKey(event);
        const entry = open.get(key);
        open.delete(key);
        const durationMs = (event.payload as { durationMs?: number }).durationMs;
        if (entry === undefined) counters.orphanEnds++;
        const startMs = entry?.start.timestamp ?? event.timestamp - (durationMs ?? 0);
        const parent = event.parentSpanId ?? entry?.start.parentSpanId;
        const ids = entry ?? openSpan(event);
        enqueue(buildSpan(shape, { traceId: ids.traceId, spanId: ids.spanId, ...(parent ? { parentSpanId: parent } : {}) }, startMs, event.timestamp, entry?.start, event));
      } else if (event.type === 'llm.call') {
        const latency = (event.payload as { latencyMs?: number }).latencyMs ?? 0;
        const ids = openSpan(event);
        const parent = event.parentSpanId;
        enqueue(buildSpan(shape, { traceId: ids.traceId, spanId: ids.spanId, ...(parent ? { parentSpanId: parent } : {}) }, event.timestamp - latency, event.timestamp, undefined, event));
      }
    }
    // Spans left open too long (their end was lost): flush as unfinished, oldest first.
    const cutoff = clock() - maxOpenAgeMs;
    for (const [key, entry] of open) {
      if (entry.start.timestamp >= cutoff) break;
      open.delete(key);
      finishUnfinished(shape, entry, clock());
    }
  };

  const sendChunk = (exporter: SpanExporterLike, spans: OtelSpan[]) =>
    withTimeout(
      new Promise<{ code: number; error?: Error }>((resolve) => {
        try {
          exporter.export(spans, resolve);
        } catch (error) {
          resolve({ code: 1, error: error instanceof Error ? error : new Error(errorMessage(error)) });
        }
      }),
      timeoutMs,
      '[fleetscope] [otel] SpanExporter.export',
    );

  /** Sends the queue in chunks, one sender at a time. */
  const drain = async (): Promise<ExportResult> => {
    while (sending !== undefined) await sending;
    if (queue.length === 0) return { code: 'success' };
    sending = (async (): Promise<ExportResult> => {
      let failure: Error | undefined;
      try {
        const { exporter } = await load();
        while (queue.length > 0) {
          const chunk = queue.slice(0, maxBatch);
          queue = queue.slice(chunk.length);
          sendingSpans += chunk.length;
          try {
            const result = await sendChunk(exporter, chunk);
            if (result.code === 0) counters.exportedSpans += chunk.length;
            else throw result.error ?? new Error('SpanExporter reported failure');
          } catch (error) {
            counters.failedSpans += chunk.length;
            failure = error instanceof Error ? error : new Error(errorMessage(error));
          } finally {
            sendingSpans -= chunk.length;
          }
        }
      } catch (error) {
        // The exporter could not be loaded: the queued spans are lost (counted), later exports retry the load.
        counters.failedSpans += queue.length;
        queue = [];
        failure = error instanceof Error ? error : new Error(errorMessage(error));
      }
      if (failure === undefined) return { code: 'success' };
      counters.failures++;
      lastError = failure.message;
      const message = failure.message.startsWith('[fleetscope]') ? failure.message : `[fleetscope] [otel] export failed: ${failure.message}`;
      return { code: 'failed', error: new Error(message, { cause: failure }), retryable: false };
    })();
    try {
      return await sending;
    } finally {
      sending = undefined;
    }
  };

  return {
    name,
    filter: { types: ['session.start', 'session.end', 'agent.start', 'agent.end', 'tool.start', 'tool.end', 'llm.call'] },
    async export(batch: readonly FleetEvent[]): Promise<ExportResult> {
      if (shutDown) return { code: 'failed', error: new Error('[fleetscope] [otel] exporter is shut down') };
      try {
        let shape: SpanShape;
        try {
          shape = (await load()).shape;
        } catch (error) {
          counters.failures++;
          lastError = errorMessage(error);
          return { code: 'failed', error: error instanceof Error ? error : new Error(lastError), retryable: false };
        }
        convert(shape, batch);
        return await drain();
      } catch (error) {
        return { code: 'failed', error: new Error(`[fleetscope] [otel] ${errorMessage(error)}`) };
      }
    },
    async flush(): Promise<void> {
      if (shutDown) return;
      await drain();
      const loaded = await target?.catch(() => undefined);
      await loaded?.exporter.forceFlush?.().catch(() => undefined);
    },
    async shutdown(): Promise<void> {
      if (shutDown) return;
      shutDown = true;
      if (open.size > 0) {
        try {
          const { shape } = await load();
          const now = clock();
          for (const entry of open.values()) finishUnfinished(shape, entry, Math.max(now, entry.start.timestamp));
        } catch {
          counters.failedSpans += open.size;
        }
        open.clear();
      }
      await drain();
      const loaded = await target?.catch(() => undefined);
      await loaded?.exporter.shutdown().catch(() => undefined);
    },
    stats(): ExporterStats {
      return { ...counters, openSpans: open.size, queuedSpans: queue.length, sendingSpans, ...(lastError === undefined ? {} : { lastError }) };
    },
  };
}
