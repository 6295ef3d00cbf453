/**
 * OpenTelemetry bridge: a `SpanProcessor` a host adds to its own tracer provider, so an agent
 * framework already instrumented with OpenTelemetry gets fleetscope's analysis with one line:
 *
 * ```ts
 * const provider = new BasicTracerProvider({
 *   spanProcessors: [new BatchSpanProcessor(exporter), fleetscopeSpanProcessor(observer)],
 * });
 * ```
 *
 * Finished GenAI spans (OTel GenAI semantic conventions, OpenInference, OpenLLMetry/Traceloop)
 * become `llm.call`, `tool.start`/`tool.end` and `agent.start`/`agent.end` events that keep the
 * span's trace id, span id and parent span id. Nothing from the OTel SDK is imported: the span
 * shapes below are structural, so `@opentelemetry/*` stay optional peer dependencies.
 */
import { errorMessage, FleetscopeError, type EventInput } from '../core/index.js';
import * as A from './otel-bridge-attributes.js';
import {
  classifySpan,
  content,
  first,
  number,
  text,
  tokensFromAttributes,
  type AttributesLike,
  type AttributeValueLike,
} from './otel-bridge-readers.js';

export { classifySpan, tokensFromAttributes, type AttributesLike, type AttributeValueLike, type SpanCategory } from './otel-bridge-readers.js';

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

export interface FleetscopeSpanProcessorOptions {
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
  /**
   * Spans whose instrumentation scope name starts with one of these are skipped, so that
   * fleetscope never re-reads its own exported spans. Default `['fleetscope']`.
   */
  ignoreScopes?: readonly string[];
  /** Most spans tracked at once between start and end (for agent/session inheritance). Default 10000. */
  maxOpenSpans?: number;
}

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
  /** Failures while converting or emitting (never thrown into the SDK). */
  errors: number;
  lastError?: string;
}

export interface FleetscopeSpanProcessor extends SpanProcessorLike {
  stats(): SpanBridgeStats;
}

/** Inherited along the span tree: set when a span starts, read by its descendants when they end. */
interface Lineage {
  agentId?: string;
  agentName?: string;
  sessionId?: string;
}

const SPAN_KINDS = ['internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_ERROR = 2;
const MAX_OTHER_ATTRIBUTES = 64;
const HEX_TRACE = /^[0-9a-f]{32}$/;
const HEX_SPAN = /^[0-9a-f]{16}$/;

const hrToMs = (time: HrTimeLike): number => time[0] * 1000 + time[1] / 1e6;
const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** Error text of a failed span: its status message, else its exception event, else `error.type`. */
function errorOf(span: ReadableSpanLike): string | undefined {
  if (span.status?.code !== STATUS_ERROR) return undefined;
  if (span.status.message) return span.status.message;
  const exception = span.events?.find((e) => e.name === 'exception');
  if (exception?.attributes !== undefined) {
    const message = exception.attributes['exception.message'];
    const type = exception.attributes['exception.type'];
    if (typeof message === 'string' && message !== '') return typeof type === 'string' && type !== '' ? `${type}: ${message}` : message;
    if (typeof type === 'string' && type !== '') return type;
  }
  return text(span.attributes, A.ERROR_TYPE) ?? 'error';
}

function parentSpanIdOf(span: ReadableSpanLike): string | undefined {
  const id = span.parentSpanContext?.spanId ?? span.parentSpanId;
  return typeof id === 'string' && HEX_SPAN.test(id) && id !== '0000000000000000' ? id : undefined;
}

/**
 * Creates the span processor. `target` is an observer (or any `{ emit }` sink); events are
 * emitted synchronously in `onEnd`, so `forceFlush` only flushes the target when it can.
 * Never throws into the OpenTelemetry SDK: failures are counted in `stats()`.
 */
export function fleetscopeSpanProcessor(target: BridgeTarget, options: FleetscopeSpanProcessorOptions = {}): FleetscopeSpanProcessor {
  const fail = (message: string): never => {
    throw new FleetscopeError(`[fleetscope] [otel-bridge] invalid option: ${message}`, { kind: 'runner', plugin: 'otel-bridge', operation: 'options' });
  };
  if (typeof target?.emit !== 'function') fail('the target must be an observer or a sink with emit()');
  const otherSpans = options.otherSpans ?? 'ignore';
  if (otherSpans !== 'ignore' && otherSpans !== 'event') fail(`otherSpans must be 'ignore' or 'event'`);
  const otherSpanType = options.otherSpanType ?? 'otel.span';
  if (typeof otherSpanType !== 'string' || !/^[A-Za-z][\w-]*(\.[\w-]+)+$/.test(otherSpanType)) {
    fail('otherSpanType must be a namespaced type such as "otel.span"');
  }
  const maxOpenSpans = options.maxOpenSpans ?? 10_000;
  if (typeof maxOpenSpans !== 'number' || !Number.isInteger(maxOpenSpans) || maxOpenSpans < 1) fail('maxOpenSpans must be an integer >= 1');
  const source = options.source ?? 'otel';
  const captureContent = options.captureContent ?? true;
  const ignoreScopes = options.ignoreScopes ?? ['fleetscope'];
  const open = new Map<string, Lineage>();
  const stats: SpanBridgeStats = {
    spansEnded: 0,
    llmCalls: 0,
    toolCalls: 0,
    agentRuns: 0,
    otherSpans: 0,
    ignored: 0,
    ownSpans: 0,
    inputTokensWithoutCache: 0,
    errors: 0,
  };
  let isShutdown = false;

  const isOwn = (span: ReadableSpanLike) => {
    const scope = span.instrumentationScope?.name ?? span.instrumentationLibrary?.name;
    return typeof scope === 'string' && ignoreScopes.some((prefix) => scope.startsWith(prefix));
  };

  /** What a span passes on to its descendants: its own agent/session, else its parent's. */
  const lineageOf = (span: ReadableSpanLike, inherited: Lineage | undefined): Lineage => {
    const attributes = span.attributes ?? {};
    const sessionId = text(attributes, A.SESSION_ID) ?? inherited?.sessionId;
    if (classifySpan(attributes) === 'agent') {
      const agentName = text(attributes, A.AGENT_NAME) ?? text(attributes, A.ENTITY_NAME) ?? span.name;
      return { agentName, agentId: text(attributes, A.AGENT_ID) ?? agentName, sessionId };
    }
    return { agentId: inherited?.agentId, agentName: inherited?.agentName, sessionId };
  };

  const emit = (event: EventInput) => {
    try {
      target.emit(event);
    } catch (error) {
      stats.errors++;
      stats.lastError = errorMessage(error);
    }
  };

  const convert = (span: ReadableSpanLike, parentLineage: Lineage | undefined) => {
    const attributes = span.attributes ?? {};
    const kind = classifySpan(attributes);
    if (kind === 'other' && otherSpans === 'ignore') {
      stats.ignored++;
      return;
    }
    const context = span.spanContext();
    const traceId = HEX_TRACE.test(context.traceId) ? context.traceId : undefined;
    const spanId = HEX_SPAN.test(context.spanId) ? context.spanId : undefined;
    const parentSpanId = parentSpanIdOf(span);
    const own = lineageOf(span, parentLineage);
    const sessionId = own.sessionId ?? options.sessionId;
    const startMs = hrToMs(span.startTime);
    const endMs = hrToMs(span.endTime);
    const durationMs = round3(span.duration !== undefined ? hrToMs(span.duration) : Math.max(0, endMs - startMs));
    const error = errorOf(span);
    const operation = text(attributes, [A.OPERATION]);
    const workflowName = text(attributes, A.WORKFLOW_NAME);
    const envelope = {
      source,
      traceId,
      spanId,
      parentSpanId,
      sessionId,
      attributes: {
        'otel.span.name': span.name,
        ...(operation !== undefined ? { 'gen_ai.operation.name': operation } : {}),
        ...(workflowName !== undefined ? { 'traceloop.workflow.name': workflowName } : {}),
      },
    };

    if (kind === 'llm') {
      const usage = tokensFromAttributes(attributes);
      if (usage.excludedCache) stats.inputTokensWithoutCache++;
      const oiKind = typeof attributes[A.OPENINFERENCE_KIND] === 'string' ? String(attributes[A.OPENINFERENCE_KIND]).toUpperCase() : undefined;
      const requestType = text(attributes, [A.TRACELOOP_REQUEST_TYPE]);
      const stream = first(attributes, A.STREAM);
      stats.llmCalls++;
      emit({
        ...envelope,
        type: 'llm.call',
        timestamp: endMs,
        agentId: own.agentId,
        payload: {
          provider: text(attributes, A.PROVIDER),
          model: text(attributes, A.MODEL) ?? 'unknown',
          operation:
            operation ??
            (oiKind !== undefined ? A.OPENINFERENCE_LLM_KINDS[oiKind] : undefined) ??
            (requestType !== undefined ? A.TRACELOOP_OPERATIONS[requestType] : undefined) ??
            'chat',
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          cacheReadTokens: usage.cacheReadTokens,
          cacheWriteTokens: usage.cacheWriteTokens,
          costUsd: number(attributes, A.COST_USD),
          latencyMs: durationMs,
          status: error === undefined ? 'success' : 'error',
          error,
          responseId: text(attributes, A.RESPONSE_ID),
          finishReason: text(attributes, A.FINISH_REASONS),
          stream: typeof stream === 'boolean' ? stream : undefined,
        },
      });
      return;
    }

    if (kind === 'tool') {
      const toolName = text(attributes, A.TOOL_NAME) ?? text(attributes, A.ENTITY_NAME) ?? span.name;
      const toolCallId = text(attributes, A.TOOL_CALL_ID);
      const input = captureContent ? content(first(attributes, A.TOOL_INPUT)) : undefined;
      const output = captureContent ? content(first(attributes, A.TOOL_OUTPUT)) : undefined;
      stats.toolCalls++;
      const fields = { ...envelope, agentId: own.agentId };
      emit({ ...fields, type: 'tool.start', timestamp: startMs, payload: { toolName, toolCallId, input } });
      emit({
        ...fields,
        type: 'tool.end',
        timestamp: endMs,
        payload: { toolName, toolCallId, status: error === undefined ? 'success' : 'error', durationMs, output, error },
      });
      return;
    }

    if (kind === 'agent') {
      const name = own.agentName ?? span.name;
      const parentAgentId = parentLineage?.agentId;
      const fields = { ...envelope, agentId: own.agentId };
      const agentType = operation === 'create_agent' ? 'create_agent' : undefined;
      const input = captureContent ? content(first(attributes, ['input.value', 'traceloop.entity.input'])) : undefined;
      const output = captureContent ? content(first(attributes, ['output.value', 'traceloop.entity.output'])) : undefined;
      stats.agentRuns++;
      emit({ ...fields, type: 'agent.start', timestamp: startMs, payload: { name, parentAgentId, agentType, input } });
      emit({
        ...fields,
        type: 'agent.end',
        timestamp: endMs,
        payload: { name, parentAgentId, agentType, status: error === undefined ? 'success' : 'error', durationMs, error, output },
      });
      return;
    }

    const copied: Record<string, unknown> = {};
    let count = 0;
    for (const key in attributes) {
      if (count++ >= MAX_OTHER_ATTRIBUTES) break;
      copied[key] = attributes[key];
    }
    stats.otherSpans++;
    emit({
      ...envelope,
      type: otherSpanType,
      timestamp: startMs,
      agentId: own.agentId,
      severity: error === undefined ? 'info' : 'error',
      payload: {
        name: span.name,
        kind: SPAN_KINDS[span.kind ?? 0] ?? 'internal',
        durationMs,
        status: error === undefined ? 'success' : 'error',
        error,
        attributes: copied,
      },
    });
  };

  return {
    onStart(span) {
      if (isShutdown) return;
      try {
        if (isOwn(span)) return;
        const spanId = span.spanContext().spanId;
        const parentId = parentSpanIdOf(span);
        if (open.size >= maxOpenSpans) {
          // Bounded: forget the oldest open span (its descendants lose inheritance, nothing else).
          const oldest = open.keys().next().value;
          if (oldest !== undefined) open.delete(oldest);
        }
        open.set(spanId, lineageOf(span, parentId === undefined ? undefined : open.get(parentId)));
      } catch (error) {
        stats.errors++;
        stats.lastError = errorMessage(error);
      }
    },
    onEnd(span) {
      if (isShutdown) return;
      try {
        stats.spansEnded++;
        if (isOwn(span)) {
          stats.ownSpans++;
          return;
        }
        const spanId = span.spanContext().spanId;
        open.delete(spanId);
        const parentId = parentSpanIdOf(span);
        convert(span, parentId === undefined ? undefined : open.get(parentId));
      } catch (error) {
        stats.errors++;
        stats.lastError = errorMessage(error);
      }
    },
    async forceFlush() {
      try {
        await target.flush?.();
      } catch (error) {
        stats.errors++;
        stats.lastError = errorMessage(error);
      }
    },
    async shutdown() {
      isShutdown = true;
      open.clear();
    },
    stats() {
      return { ...stats };
    },
  };
}
