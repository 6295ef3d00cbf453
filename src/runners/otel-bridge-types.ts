/**
 * Types of the OpenTelemetry bridge (otel-bridge.ts): the structural OTel span shapes it reads (nothing
 * from the OTel SDK is imported), its options and its counters.
 */
import { errorMessage, type EventInput } from '../core/index.js';
import type { AttributeProblem, AttributesLike, SpanCategory } from './otel-bridge-readers.js';

// ── Structural OTel types (a subset of @opentelemetry/api and sdk-trace-base 1.x/2.x) ──

/** `[seconds, nanoseconds]`, as in `@opentelemetry/api`. */
export type HrTimeLike = readonly [number, number];

export interface SpanContextLike {
  traceId: string;
  spanId: string;
}

/** What the processor reads of a finished span (`ReadableSpan` in sdk-trace-base). */
export interface ReadableSpanLike {
  readonly name: string;
  readonly kind?: number;
  spanContext(): SpanContextLike;
  /** sdk-trace-base 2.x. */
  readonly parentSpanContext?: SpanContextLike;
  /** sdk-trace-base 1.x. */
  readonly parentSpanId?: string;
  readonly startTime: HrTimeLike;
  readonly endTime: HrTimeLike;
  readonly duration?: HrTimeLike;
  /** `code`: 0 unset, 1 ok, 2 error (`SpanStatusCode`). */
  readonly status: { code: number; message?: string };
  readonly attributes: AttributesLike;
  readonly events?: readonly { name: string; attributes?: AttributesLike }[];
  readonly instrumentationScope?: { name: string };
  /** sdk-trace-base 1.x name of `instrumentationScope`. */
  readonly instrumentationLibrary?: { name: string };
}

/** The OTel `SpanProcessor` interface, structurally. Assignable to sdk-trace-base's `SpanProcessor`. */
export interface SpanProcessorLike {
  onStart(span: ReadableSpanLike, parentContext: unknown): void;
  onEnd(span: ReadableSpanLike): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Where bridged events go: an observer, or a runner's sink. */
export interface BridgeTarget {
  emit(event: EventInput): unknown;
  /** Called by `forceFlush` when present (an observer's `flush`). */
  flush?(): Promise<unknown>;
}

/** `target.emit` that never throws into the framework: a failure is counted in `counters`. */
export function guardedEmit(target: BridgeTarget, counters: { errors: number; lastError?: string }): (event: EventInput) => void {
  return (event) => {
    try {
      target.emit(event);
    } catch (error) {
      counters.errors++;
      counters.lastError = errorMessage(error);
    }
  };
}

/** What `classify` may answer: a category, or a category with the agent's or tool's name. */
export type SpanClassification = SpanCategory | { kind: SpanCategory; name?: string };

export interface FleetscopeSpanProcessorOptions {
  /**
   * Declares what a span is, for frameworks (or spans) the built-in conventions miss: return
   * `'agent'`, `'tool'`, `'llm'` or `'other'` (optionally `{ kind, name }`), or `undefined` to
   * keep the built-in answer. Called when a span starts (so that its descendants inherit an
   * agent) and when it ends, with the span as the SDK gives it. A throw is counted
   * (`invalid['classify-error']`) and the built-in answer used. Default: none.
   *
   * ```ts
   * fleetscopeSpanProcessor(observer, { classify: (span) => (span.name.startsWith('crew.') ? 'agent' : undefined) })
   * ```
   */
  classify?: (span: ReadableSpanLike) => SpanClassification | undefined;
  /**
   * What to do with spans that are not GenAI model, tool or agent spans (HTTP, DB, chains,
   * retrievers, workflows...): `ignore` (default), or `event`: one custom event of type
   * `otherSpanType` per span, with its name, kind, duration, status and attributes.
   */
  otherSpans?: 'ignore' | 'event';
  /** Type of the events for `otherSpans: 'event'`; must be namespaced. Default `otel.span`. */
  otherSpanType?: `${string}.${string}`;
  /** `source` of the events. Default `otel`. */
  source?: string;
  /** Session of spans that name none (no `gen_ai.conversation.id` / `session.id` on them or their ancestors). Default: the observer's. */
  sessionId?: string;
  /** Whether tool arguments/results and agent input/output found on spans go into events. Default true. */
  captureContent?: boolean;
  /** Longest content string (tool arguments/results, agent input/output) kept; longer ones are cut and counted `oversized`. Default 32,768. */
  maxContentLength?: number;
  /**
   * Spans whose instrumentation scope name starts with one of these are skipped, so that
   * fleetscope never re-reads its own exported spans. Default `['fleetscope']`.
   */
  ignoreScopes?: readonly string[];
  /**
   * Most spans tracked at once between start and end (for agent/session inheritance), and most
   * finished spans held back while waiting for an ancestor whose kind is only known at its end
   * (OpenInference chains: a LangGraph graph root). Default 10000.
   */
  maxOpenSpans?: number;
}

/** Why (part of) a span was not read as given; counted in `stats().invalid`. */
export type SpanProblem =
  | AttributeProblem
  /** End before start: the duration is taken as 0. */
  | 'negative-duration'
  /** Start or end time not a `[seconds, nanoseconds]` pair of finite numbers: the span is skipped. */
  | 'bad-time'
  /** `kind` outside the five OTel span kinds: read as `internal`. */
  | 'unknown-span-kind'
  /** No span context with a trace id and span id: the span is skipped. */
  | 'missing-span-context'
  /** The `classify` option threw. */
  | 'classify-error'
  /** Too many finished spans waiting for an ancestor: emitted without waiting (agent attribution may be lost). */
  | 'held-overflow';

/** Counters of the processor, from `stats()`. */
export interface SpanBridgeStats {
  spansEnded: number;
  llmCalls: number;
  toolCalls: number;
  agentRuns: number;
  otherSpans: number;
  ignored: number;
  /** Spans of fleetscope's own instrumentation scope, skipped. */
  ownSpans: number;
  /** Spans whose input token count was smaller than its cache tokens: read as excluding cache. */
  inputTokensWithoutCache: number;
  /** Spans (or attributes) not read as given, by reason. A skipped span is also counted in `ignored`. */
  invalid: Record<SpanProblem, number>;
  /** Finished spans held back right now, waiting for an ancestor chain to end. */
  held: number;
  /** Failures while converting or emitting (never thrown into the SDK). */
  errors: number;
  lastError?: string;
}

export interface FleetscopeSpanProcessor extends SpanProcessorLike {
  stats(): SpanBridgeStats;
}
