/**
 * Shared set-up of the framework tests: a real OpenTelemetry tracer provider with an async
 * context manager (as a host's `NodeSDK` would register), fleetscope's span processor feeding an
 * observer with the analyzers the assertions read, and the events it was given.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createObserver, type Observer } from '../../src/index.js';
import type { EventInput } from '../../src/core/index.js';
import { aggregationAnalyzer, costAnalyzer, fleetAnalyzer, type AggregationAnalyzerSnapshot, type CostSnapshot, type FleetSnapshot } from '../../src/analyzers/index.js';
import type { PricingTable } from '../../src/analyzers/pricing.js';
import { fleetscopeSpanProcessor, type FleetscopeSpanProcessor, type FleetscopeSpanProcessorOptions } from '../../src/runners/otel-bridge.js';

/** The prices the tests compute by hand with (USD per million tokens). */
export const PRICES: PricingTable = {
  'gpt-4o': { input: 2.5, output: 10, cacheRead: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cacheRead: 0.075 },
};

export interface Harness {
  observer: Observer;
  processor: FleetscopeSpanProcessor;
  provider: BasicTracerProvider;
  events: EventInput[];
  ofType(type: string): EventInput[];
  /** Flushes the provider and the observer, then the snapshots the tests read. */
  settle(): Promise<{ cost: CostSnapshot; fleet: FleetSnapshot; aggregation: AggregationAnalyzerSnapshot }>;
  close(): Promise<void>;
}

export function harness(options: FleetscopeSpanProcessorOptions = {}): Harness {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const observer = createObserver({
    storage: false,
    analyzers: [costAnalyzer({ pricing: PRICES, replacePricing: true }), fleetAnalyzer({ pricing: PRICES, replacePricing: true }), aggregationAnalyzer()],
  });
  const events: EventInput[] = [];
  const processor = fleetscopeSpanProcessor(
    {
      emit: (event) => {
        events.push(event);
        return observer.emit(event);
      },
      flush: () => observer.flush(),
    },
    options,
  );
  const asSdk: SpanProcessor = processor;
  const provider = new BasicTracerProvider({ spanProcessors: [asSdk] });
  trace.setGlobalTracerProvider(provider);
  return {
    observer,
    processor,
    provider,
    events,
    ofType: (type) => events.filter((e) => e.type === type),
    async settle() {
      await provider.forceFlush();
      await observer.flush();
      const s = observer.snapshot();
      return { cost: s.cost as CostSnapshot, fleet: s.fleet as FleetSnapshot, aggregation: s.aggregation as AggregationAnalyzerSnapshot };
    },
    async close() {
      await provider.shutdown();
      await observer.close();
      trace.disable();
      context.disable();
    },
  };
}

/** Payload fields of events, for compact assertions. */
export const payloads = (events: EventInput[]) => events.map((e) => e.payload as Record<string, unknown>);
