/**
 * Turns fleetscope events into OpenTelemetry spans, shaped like the SDK's `ReadableSpan`
 * (`@opentelemetry/sdk-trace-base` 2.x) so any `SpanExporter` accepts them, without loading the SDK.
 *
 * Mapping (OpenTelemetry GenAI semantic conventions, `gen_ai.*`):
 * - `session.start`/`session.end` → root span `session {sessionId}` (INTERNAL)
 * - `agent.start`/`agent.end`     → `invoke_agent {name}` (INTERNAL), `gen_ai.operation.name=invoke_agent`
 * - `tool.start`/`tool.end`       → `execute_tool {toolName}` (INTERNAL), `gen_ai.operation.name=execute_tool`
 * - `llm.call`                    → `{operation} {model}` (CLIENT), `gen_ai.operation.name=chat` by default
 *
 * A start and its end share one `spanId`; the span keeps fleetscope's trace, span and parent ids.
 * `llm.call` is one event at the end of the call: start = timestamp − latencyMs.
 */
import { newSpanId, traceIdFrom, type EventOf, type FleetEvent } from '../core/index.js';

/** `SpanKind` of `@opentelemetry/api` (numeric enum). */
export const SPAN_KIND = { INTERNAL: 0, SERVER: 1, CLIENT: 2 } as const;
/** `SpanStatusCode` of `@opentelemetry/api`. */
export const SPAN_STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export type AttributeValue = string | number | boolean | string[];
export type Attributes = Record<string, AttributeValue>;
export type HrTime = [number, number];

export interface SpanContextLike {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
}

/** Structurally an SDK 2.x `ReadableSpan`. */
export interface OtelSpan {
  readonly name: string;
  readonly kind: number;
  readonly spanContext: () => SpanContextLike;
  readonly parentSpanContext?: SpanContextLike;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: { code: number; message?: string };
  readonly attributes: Attributes;
  readonly links: [];
  readonly events: [];
  readonly duration: HrTime;
  readonly ended: boolean;
  readonly resource: unknown;
  readonly instrumentationScope: { name: string; version?: string };
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
}

/** Trace flag `sampled`. */
const SAMPLED = 1;

/** Milliseconds since the epoch (fractions allowed) as `[seconds, nanoseconds]`. */
export function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  if (nanos >= 1e9) return [seconds + 1, nanos - 1e9];
  if (nanos < 0) nanos = 0;
  return [seconds, nanos];
}

/** What the converter remembers of an open span: its start event. */
export interface OpenSpan {
  readonly start: FleetEvent;
  readonly spanId: string;
  readonly traceId: string;
}

export interface SpanShape {
  resource: unknown;
  scope: { name: string; version?: string };
  /** Cost of an `llm.call` (its own `costUsd`, else from a pricing table); undefined when unknown. */
  costOf?: (call: EventOf<'llm.call'>['payload']) => number | undefined;
}

export function spanKey(event: FleetEvent): string {
  if (event.spanId !== undefined) return event.spanId;
  // Sources without span ids: pair by what identifies the operation.
  const p = event.payload as { toolCallId?: string; name?: string };
  if (event.type.startsWith('tool.')) return `tool\u0000${event.sessionId}\u0000${p.toolCallId ?? ''}`;
  if (event.type.startsWith('agent.')) return `agent\u0000${event.sessionId}\u0000${event.agentId}`;
  return `session\u0000${event.sessionId}`;
}

export function openSpan(event: FleetEvent): OpenSpan {
  return { start: event, spanId: event.spanId ?? newSpanId(), traceId: event.traceId ?? traceIdFrom(event.sessionId) };
}

function put(attributes: Attributes, key: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'string' || typeof value === 'boolean') attributes[key] = value;
  else if (typeof value === 'number' && Number.isFinite(value)) attributes[key] = value;
}

/** Host attributes of an event, flattened to OTel attribute values (objects as JSON). */
function hostAttributes(attributes: Attributes, event: FleetEvent): void {
  if (event.attributes === undefined) return;
  for (const [key, value] of Object.entries(event.attributes)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'object') {
      try {
        attributes[key] = JSON.stringify(value);
      } catch {
        // Events are JSON-safe after validation; nothing to do if not.
      }
    } else put(attributes, key, value);
  }
}

function baseAttributes(event: FleetEvent): Attributes {
  const attributes: Attributes = {};
  hostAttributes(attributes, event);
  attributes['gen_ai.conversation.id'] = event.sessionId;
  put(attributes, 'fleetscope.workflow.id', event.workflowId);
  put(attributes, 'fleetscope.source', event.source);
  return attributes;
}

interface Built {
  name: string;
  kind: number;
  attributes: Attributes;
  error?: string;
  failed: boolean;
}

function describe(start: FleetEvent | undefined, end: FleetEvent | undefined): Built {
  const event = (end ?? start)!;
  const attributes = baseAttributes(start ?? event);
  if (end !== undefined && start !== undefined) hostAttributes(attributes, end);
  attributes['gen_ai.conversation.id'] = event.sessionId;
  switch (event.type) {
    case 'session.start':
    case 'session.end': {
      const s = (start as EventOf<'session.start'> | undefined)?.payload;
      const e = (end as EventOf<'session.end'> | undefined)?.payload;
      put(attributes, 'fleetscope.session.reason', s?.reason);
      put(attributes, 'fleetscope.session.cwd', s?.cwd);
      put(attributes, 'fleetscope.session.end_reason', e?.reason);
      return { name: `session ${event.sessionId}`, kind: SPAN_KIND.INTERNAL, attributes, failed: e?.status === 'error' };
    }
    case 'agent.start':
    case 'agent.end': {
      const p = (event as EventOf<'agent.start'> | EventOf<'agent.end'>).payload;
      const e = (end as EventOf<'agent.end'> | undefined)?.payload;
      attributes['gen_ai.operation.name'] = 'invoke_agent';
      attributes['gen_ai.agent.name'] = p.name;
      attributes['gen_ai.agent.id'] = event.agentId;
      put(attributes, 'fleetscope.agent.type', p.agentType);
      put(attributes, 'fleetscope.agent.parent_id', p.parentAgentId);
      put(attributes, 'fleetscope.agent.status', e?.status);
      return {
        name: `invoke_agent ${p.name}`,
        kind: SPAN_KIND.INTERNAL,
        attributes,
        failed: e?.status === 'error',
        error: e?.error,
      };
    }
    case 'tool.start':
    case 'tool.end': {
      const p = (event as EventOf<'tool.start'> | EventOf<'tool.end'>).payload;
      const e = (end as EventOf<'tool.end'> | undefined)?.payload;
      attributes['gen_ai.operation.name'] = 'execute_tool';
      attributes['gen_ai.tool.name'] = p.toolName;
      put(attributes, 'gen_ai.tool.call.id', p.toolCallId ?? e?.toolCallId);
      attributes['gen_ai.agent.id'] = event.agentId;
      put(attributes, 'fleetscope.tool.status', e?.status);
      return {
        name: `execute_tool ${p.toolName}`,
        kind: SPAN_KIND.INTERNAL,
        attributes,
        failed: e?.status === 'error' || e?.status === 'blocked',
        error: e?.error,
      };
    }
    default: {
      const p = (event as EventOf<'llm.call'>).payload;
      const operation = p.operation ?? 'chat';
      attributes['gen_ai.operation.name'] = operation;
      put(attributes, 'gen_ai.provider.name', p.provider);
      attributes['gen_ai.request.model'] = p.model;
      attributes['gen_ai.response.model'] = p.model;
      attributes['gen_ai.agent.id'] = event.agentId;
      const input = (p.inputTokens ?? 0) + (p.cacheReadTokens ?? 0) + (p.cacheWriteTokens ?? 0);
      if (p.inputTokens !== undefined || p.cacheReadTokens !== undefined || p.cacheWriteTokens !== undefined) {
        attributes['gen_ai.usage.input_tokens'] = input;
      }
      put(attributes, 'gen_ai.usage.output_tokens', p.outputTokens);
      put(attributes, 'gen_ai.usage.cache_read.input_tokens', p.cacheReadTokens);
      put(attributes, 'gen_ai.usage.cache_creation.input_tokens', p.cacheWriteTokens);
      // No semantic convention yet for the 1-hour part of the cache writes (priced apart).
      put(attributes, 'fleetscope.usage.cache_creation_1h.input_tokens', p.cacheWrite1hTokens);
      put(attributes, 'gen_ai.response.id', p.responseId ?? p.requestId);
      if (p.finishReason !== undefined) attributes['gen_ai.response.finish_reasons'] = [p.finishReason];
      put(attributes, 'fleetscope.cost_usd', p.costUsd);
      put(attributes, 'fleetscope.llm.stream', p.stream);
      return {
        name: `${operation} ${p.model}`,
        kind: SPAN_KIND.CLIENT,
        attributes,
        failed: p.status === 'error',
        error: p.error,
      };
    }
  }
}

/**
 * Builds one span. `start`/`end` are the pair (either may be missing: an end without a start uses
 * its `durationMs`; a start without an end is `unfinished` and ends at `endMs`).
 */
export function buildSpan(
  shape: SpanShape,
  ids: { traceId: string; spanId: string; parentSpanId?: string },
  startMs: number,
  endMs: number,
  start: FleetEvent | undefined,
  end: FleetEvent | undefined,
  unfinished = false,
): OtelSpan {
  const built = describe(start, end);
  const call = start ?? end;
  if (call?.type === 'llm.call' && shape.costOf !== undefined) {
    // The same price the cost analyzer counts: the call's own costUsd, else its tokens at the table's prices.
    const usd = shape.costOf((call as EventOf<'llm.call'>).payload);
    if (usd !== undefined) built.attributes['fleetscope.cost_usd'] = usd;
  }
  if (unfinished) built.attributes['fleetscope.span.unfinished'] = true;
  if (built.failed) built.attributes['error.type'] = '_OTHER';
  const startTime = hrTime(startMs);
  const endTime = hrTime(Math.max(endMs, startMs));
  const context: SpanContextLike = { traceId: ids.traceId, spanId: ids.spanId, traceFlags: SAMPLED };
  const parentSpanContext =
    ids.parentSpanId === undefined
      ? undefined
      : { traceId: ids.traceId, spanId: ids.parentSpanId, traceFlags: SAMPLED, isRemote: false };
  const status = built.failed
    ? { code: SPAN_STATUS.ERROR, ...(built.error === undefined ? {} : { message: built.error }) }
    : { code: SPAN_STATUS.UNSET };
  return {
    name: built.name,
    kind: built.kind,
    spanContext: () => context,
    ...(parentSpanContext === undefined ? {} : { parentSpanContext }),
    startTime,
    endTime,
    duration: hrTime(Math.max(endMs, startMs) - startMs),
    status,
    attributes: built.attributes,
    links: [],
    events: [],
    ended: true,
    resource: shape.resource,
    instrumentationScope: shape.scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
