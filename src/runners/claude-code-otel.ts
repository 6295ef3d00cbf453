/**
 * Claude Code's native OpenTelemetry export (`CLAUDE_CODE_ENABLE_TELEMETRY=1`) as fleetscope events:
 * - log events `claude_code.api_request` → `llm.call` (tokens incl. cache, `cost_usd` as reported,
 *   `duration_ms`, `request_id`), `claude_code.api_error` → a failed `llm.call`, `claude_code.tool_result`
 *   → `tool.end`, `claude_code.user_prompt` → a user `message`; every other event (tool_decision,
 *   compaction, hook_execution_complete, ...) → a custom `claude_code.<name>` event, never dropped;
 * - beta trace spans `claude_code.llm_request` → `llm.call` and `claude_code.tool` → `tool.end` (the
 *   same call reported by a log event and a span counts once: both carry `request_id` / `tool_use_id`),
 *   `claude_code.interaction` → `claude_code.interaction` (a turn, with its duration);
 * - metrics (`claude_code.token.usage`, `claude_code.cost.usage`, ...) → `metric` events; delta points
 *   (Claude Code's default temporality) are summed per series, so each event carries the running total.
 * The subagent that made a call (`agent_id`, or `agent.name` / `query_source: subagent`) is its agentId.
 * Other OTLP logs become `log` events and other metrics `metric` events; other spans are counted and
 * skipped (use the in-process OTel bridge for a framework's spans).
 */
import type { EventInput, Severity } from '../core/index.js';
import type { OtlpAttributes, OtlpDataPoint, OtlpLogRecord, OtlpSpan } from './otlp-decode.js';

const PREFIX = 'claude_code.';

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const bool = (v: unknown): boolean | undefined => (v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined);

/** Drops undefined fields, so payloads carry only what the source said. */
function defined<T extends Record<string, unknown>>(o: T): T {
  for (const key of Object.keys(o)) if (o[key] === undefined) delete o[key];
  return o;
}

/** Plain JSON copy of attributes for a custom event's payload (null-prototype in, plain out). */
function plain(attributes: OtlpAttributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(attributes)) if (key !== '__proto__') out[key] = attributes[key];
  return out;
}

/** What every event of one Claude Code record shares: session, agent, time, source. */
function envelope(attributes: OtlpAttributes, resource: OtlpAttributes, fallbackMs: number, source: string) {
  const eventTime = typeof attributes['event.timestamp'] === 'string' ? Date.parse(attributes['event.timestamp']) : Number.NaN;
  const agent =
    str(attributes.agent_id) ?? str(attributes['agent.id']) ?? str(attributes['agent.name']) ?? (attributes.query_source === 'subagent' ? 'subagent' : undefined);
  const sessionId = str(attributes['session.id']) ?? str(resource['session.id']);
  return defined({
    source,
    timestamp: Number.isFinite(eventTime) ? eventTime : fallbackMs > 0 ? fallbackMs : undefined,
    sessionId,
    agentId: agent ?? 'main',
    attributes: defined({
      'claude_code.prompt_id': str(attributes['prompt.id']),
      'claude_code.parent_agent_id': str(attributes.parent_agent_id),
      'claude_code.query_source': str(attributes.query_source),
      'user.id': str(attributes['user.id']),
      'organization.id': str(attributes['organization.id']),
    }),
  });
}

/** The name of a Claude Code event record (`api_request`), or undefined for another source's log. */
function claudeCodeEventName(record: OtlpLogRecord): string | undefined {
  for (const candidate of [record.eventName, record.body, record.attributes['event.name']]) {
    if (typeof candidate !== 'string') continue;
    if (candidate.startsWith(PREFIX)) return candidate.slice(PREFIX.length);
  }
  if (typeof record.attributes['event.name'] === 'string' && record.scope.includes('claude')) return record.attributes['event.name'];
  return undefined;
}

export interface MappedEvent {
  event: EventInput;
  /** Join key shared by every report of the same call (`llm:<request id>`, `tool:<tool_use id>`). */
  key?: string;
}

function llmCall(a: OtlpAttributes, base: ReturnType<typeof envelope>, failed: boolean): MappedEvent {
  const requestId = str(a.request_id) ?? str(a['gen_ai.response.id']);
  const payload = defined({
    model: str(a.model) ?? str(a['gen_ai.request.model']) ?? 'unknown',
    provider: 'anthropic',
    status: failed ? 'error' : 'success',
    inputTokens: num(a.input_tokens) ?? num(a['gen_ai.usage.input_tokens']),
    outputTokens: num(a.output_tokens) ?? num(a['gen_ai.usage.output_tokens']),
    cacheReadTokens: num(a.cache_read_tokens),
    cacheWriteTokens: num(a.cache_creation_tokens),
    costUsd: num(a.cost_usd),
    latencyMs: num(a.duration_ms),
    requestId,
    error: failed ? (str(a.error) ?? `status ${str(a.status_code) ?? 'unknown'}`) : undefined,
  });
  return {
    event: { ...base, type: 'llm.call', severity: failed ? 'error' : 'info', payload } as EventInput,
    ...(requestId === undefined ? {} : { key: `llm:${requestId}` }),
  };
}

/**
 * `runMs`: the tool's own run time, taking precedence over the attributes' `duration_ms` (on a
 * `claude_code.tool` span that one is the wall time, permission wait included).
 */
function toolEnd(a: OtlpAttributes, base: ReturnType<typeof envelope>, durationMs: number | undefined, runMs?: number): MappedEvent {
  const toolCallId = str(a.tool_use_id) ?? str(a['gen_ai.tool.call.id']);
  const success = bool(a.success);
  const error = str(a.error) ?? str(a.error_type);
  const failed = success === false || (success === undefined && error !== undefined);
  const payload = defined({
    toolName: str(a.tool_name) ?? str(a['gen_ai.tool.name']) ?? 'unknown',
    toolCallId,
    status: failed ? 'error' : 'success',
    durationMs: runMs ?? num(a.duration_ms) ?? durationMs,
    error: failed ? (error ?? 'failed') : undefined,
  });
  return {
    event: { ...base, type: 'tool.end', severity: (failed ? 'warning' : 'info') as Severity, payload } as EventInput,
    ...(toolCallId === undefined ? {} : { key: `tool:${toolCallId}` }),
  };
}

/** One OTLP log record as a fleetscope event. */
export function mapLogRecord(record: OtlpLogRecord, source: string): MappedEvent {
  const name = claudeCodeEventName(record);
  const a = record.attributes;
  if (name === undefined) {
    const message = typeof record.body === 'string' ? record.body : record.body === undefined ? record.severityText ?? 'log' : JSON.stringify(record.body);
    return {
      event: defined({
        type: 'log',
        source,
        timestamp: record.timeMs > 0 ? record.timeMs : undefined,
        sessionId: str(a['session.id']) ?? str(record.resource['session.id']),
        payload: { message: message.slice(0, 8192), fields: plain(a) },
      }) as EventInput,
    };
  }
  const base = envelope(a, record.resource, record.timeMs, source);
  switch (name) {
    case 'api_request':
      return llmCall(a, base, false);
    case 'api_error':
      return llmCall(a, base, true);
    case 'tool_result':
      return toolEnd(a, base, undefined);
    case 'user_prompt':
      return {
        event: { ...base, type: 'message', payload: defined({ role: 'user', kind: 'prompt', id: str(a['prompt.id']), text: str(a.prompt), promptLength: num(a.prompt_length) }) } as EventInput,
      };
    default:
      return { event: { ...base, type: `claude_code.${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`, payload: plain(a) } as EventInput };
  }
}

/**
 * The phases of `claude_code.tool` spans, from their child spans: `.blocked_on_user` (the
 * permission prompt: the user's time) and `.execution` (the tool's run). Children end before their
 * parent, so they are seen first (in the same export or an earlier one); the last `max` parents
 * are remembered.
 */
export class ToolPhases {
  private readonly byParent = new Map<string, { blockedMs?: number; executionMs?: number }>();
  constructor(private readonly max: number) {}

  /** Records a phase span; other spans are ignored. */
  note(span: OtlpSpan): void {
    const phase = span.name === `${PREFIX}tool.blocked_on_user` ? 'blockedMs' : span.name === `${PREFIX}tool.execution` ? 'executionMs' : undefined;
    if (phase === undefined || span.parentSpanId === undefined || !(span.endMs >= span.startMs)) return;
    let phases = this.byParent.get(span.parentSpanId);
    if (phases === undefined) {
      if (this.byParent.size >= this.max) this.byParent.delete(this.byParent.keys().next().value as string);
      this.byParent.set(span.parentSpanId, (phases = {}));
    }
    phases[phase] = (phases[phase] ?? 0) + (span.endMs - span.startMs);
  }

  /** The phases of the tool span `spanId`, forgotten once taken. */
  take(spanId: string): { blockedMs?: number; executionMs?: number } | undefined {
    const phases = this.byParent.get(spanId);
    if (phases !== undefined) this.byParent.delete(spanId);
    return phases;
  }
}

/** One OTLP span as a fleetscope event; undefined for a span that is not Claude Code's (counted by the caller). */
export function mapSpan(span: OtlpSpan, source: string, phases?: ToolPhases): MappedEvent | undefined {
  if (!span.name.startsWith(PREFIX)) return undefined;
  const a = span.attributes;
  const base = { ...envelope(a, span.resource, span.endMs, source), traceId: span.traceId || undefined };
  const durationMs = span.endMs >= span.startMs ? span.endMs - span.startMs : undefined;
  switch (span.name) {
    case 'claude_code.llm_request': {
      const mapped = llmCall(a, base, span.statusCode === 2);
      const payload = (mapped.event as { payload: Record<string, unknown> }).payload;
      payload.latencyMs ??= durationMs;
      return mapped;
    }
    case 'claude_code.tool': {
      // The tool's run: its execution phase, else the span less the permission prompt's wait.
      const p = phases?.take(span.spanId);
      const runMs = p?.executionMs ?? (p?.blockedMs !== undefined && durationMs !== undefined ? Math.max(0, durationMs - p.blockedMs) : undefined);
      const mapped = toolEnd(a, base, durationMs, runMs);
      if (p?.blockedMs !== undefined) mapped.event.attributes = { ...mapped.event.attributes, 'claude_code.blocked_on_user_ms': p.blockedMs };
      return mapped;
    }
    case 'claude_code.interaction':
      return { event: { ...base, type: 'claude_code.interaction', payload: defined({ ...plain(a), durationMs }) } as EventInput };
    default:
      // `.blocked_on_user`, `.execution`: phases of a tool span, reported through it.
      return { event: { ...base, type: `claude_code.${span.name.slice(PREFIX.length).replace(/[^A-Za-z0-9_.-]/g, '_')}`, payload: defined({ ...plain(a), durationMs }) } as EventInput };
  }
}

/** Sums delta points per series so each `metric` event carries the running total. Bounded by `maxSeries`. */
export class MetricTotals {
  private readonly totals = new Map<string, number>();
  dropped = 0;
  constructor(private readonly maxSeries: number) {}

  /** The point as a `metric` event, or undefined when the series table is full (counted in `dropped`). */
  map(point: OtlpDataPoint, source: string): EventInput | undefined {
    const attributes = plain(point.attributes);
    let value = point.value;
    const counter = point.kind === 'sum' && point.monotonic;
    if (point.kind === 'sum' && point.temporality === 'delta') {
      const series = `${point.metric}\u0000${JSON.stringify(Object.entries(attributes).sort(([x], [y]) => (x < y ? -1 : 1)))}`;
      const previous = this.totals.get(series);
      if (previous === undefined && this.totals.size >= this.maxSeries) {
        this.dropped++;
        return undefined;
      }
      value = (previous ?? 0) + point.value;
      this.totals.set(series, value);
    }
    return defined({
      type: 'metric',
      source,
      timestamp: point.timeMs > 0 ? point.timeMs : undefined,
      sessionId: str(point.attributes['session.id']) ?? str(point.resource['session.id']),
      attributes,
      payload: defined({ name: point.metric, value, unit: point.unit, kind: counter ? 'counter' : 'gauge' }),
    }) as EventInput;
  }
}
