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

type Fields = Record<string, unknown>;

/**
 * Sets `key` only when `value` is defined, so events carry only what the source said. Objects are
 * built this way rather than filled and then cleaned with `delete`, which turns an object into a
 * dictionary that every later reader (the validator copies each event) walks slowly.
 */
function put(o: Fields, key: string, value: unknown): void {
  if (value !== undefined) o[key] = value;
}

/** Plain JSON copy of attributes for a custom event's payload (null-prototype in, plain out, no undefined values). */
function plain(attributes: OtlpAttributes): Fields {
  const out: Fields = {};
  for (const key of Object.keys(attributes)) if (key !== '__proto__') put(out, key, attributes[key]);
  return out;
}

/** The join attributes of a Claude Code record (prompt, parent agent, query source, user), if any. */
function joinAttributes(a: OtlpAttributes): Fields | undefined {
  const out: Fields = {};
  put(out, 'claude_code.prompt_id', str(a['prompt.id']));
  put(out, 'claude_code.parent_agent_id', str(a.parent_agent_id));
  put(out, 'claude_code.query_source', str(a.query_source));
  put(out, 'user.id', str(a['user.id']));
  put(out, 'organization.id', str(a['organization.id']));
  for (const _ in out) return out;
  return undefined;
}

/**
 * A new event of `type` with what every event of one Claude Code record shares: source, time,
 * session, agent (the subagent that made it) and the join attributes. Its mapper adds the payload.
 */
function claudeCodeEvent(type: string, a: OtlpAttributes, resource: OtlpAttributes, fallbackMs: number, source: string, traceId?: string): Fields {
  const event: Fields = { type, source };
  const stamp = a['event.timestamp'];
  const eventTime = typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
  put(event, 'timestamp', Number.isFinite(eventTime) ? eventTime : fallbackMs > 0 ? fallbackMs : undefined);
  put(event, 'sessionId', str(a['session.id']) ?? str(resource['session.id']));
  event.agentId = str(a.agent_id) ?? str(a['agent.id']) ?? str(a['agent.name']) ?? (a.query_source === 'subagent' ? 'subagent' : 'main');
  put(event, 'traceId', traceId);
  put(event, 'attributes', joinAttributes(a));
  return event;
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

/**
 * A mapped event and its join key, shared by every report of the same call: the request id of an
 * `llm.call`, the tool_use id of a `tool.end` (kept apart by `joinKind`).
 */
export interface MappedEvent {
  event: EventInput;
  joinKind?: 'llm' | 'tool';
  joinKey?: string;
}

const mapped = (event: Fields, joinKind?: 'llm' | 'tool', joinKey?: string): MappedEvent =>
  joinKey === undefined ? { event: event as unknown as EventInput } : { event: event as unknown as EventInput, joinKind, joinKey };

/** `event` as an `llm.call`; `spanMs`: the span's duration, the latency when the attributes give none. */
function llmCall(a: OtlpAttributes, event: Fields, failed: boolean, spanMs?: number): MappedEvent {
  const requestId = str(a.request_id) ?? str(a['gen_ai.response.id']);
  const payload: Fields = { model: str(a.model) ?? str(a['gen_ai.request.model']) ?? 'unknown', provider: 'anthropic', status: failed ? 'error' : 'success' };
  put(payload, 'inputTokens', num(a.input_tokens) ?? num(a['gen_ai.usage.input_tokens']));
  put(payload, 'outputTokens', num(a.output_tokens) ?? num(a['gen_ai.usage.output_tokens']));
  put(payload, 'cacheReadTokens', num(a.cache_read_tokens));
  put(payload, 'cacheWriteTokens', num(a.cache_creation_tokens));
  put(payload, 'costUsd', num(a.cost_usd));
  put(payload, 'latencyMs', num(a.duration_ms) ?? spanMs);
  put(payload, 'requestId', requestId);
  if (failed) payload.error = str(a.error) ?? `status ${str(a.status_code) ?? 'unknown'}`;
  event.severity = failed ? 'error' : 'info';
  event.payload = payload;
  return mapped(event, 'llm', requestId);
}

/**
 * `event` as a `tool.end`. `runMs`: the tool's own run time, taking precedence over the attributes'
 * `duration_ms` (on a `claude_code.tool` span that one is the wall time, permission wait included).
 */
function toolEnd(a: OtlpAttributes, event: Fields, durationMs: number | undefined, runMs?: number): MappedEvent {
  const toolCallId = str(a.tool_use_id) ?? str(a['gen_ai.tool.call.id']);
  const success = bool(a.success);
  const error = str(a.error) ?? str(a.error_type);
  const failed = success === false || (success === undefined && error !== undefined);
  const payload: Fields = { toolName: str(a.tool_name) ?? str(a['gen_ai.tool.name']) ?? 'unknown' };
  put(payload, 'toolCallId', toolCallId);
  payload.status = failed ? 'error' : 'success';
  put(payload, 'durationMs', runMs ?? num(a.duration_ms) ?? durationMs);
  if (failed) payload.error = error ?? 'failed';
  event.severity = (failed ? 'warning' : 'info') satisfies Severity;
  event.payload = payload;
  return mapped(event, 'tool', toolCallId);
}

/** A Claude Code event name as the namespaced type of a custom event (`claude_code.compaction`). */
const customType = (name: string) => `claude_code.${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`;

/** Another source's log record as a `log` event. */
function logEvent(record: OtlpLogRecord, source: string): MappedEvent {
  const a = record.attributes;
  const message = typeof record.body === 'string' ? record.body : record.body === undefined ? record.severityText ?? 'log' : JSON.stringify(record.body);
  const event: Fields = { type: 'log', source };
  put(event, 'timestamp', record.timeMs > 0 ? record.timeMs : undefined);
  put(event, 'sessionId', str(a['session.id']) ?? str(record.resource['session.id']));
  event.payload = { message: message.slice(0, 8192), fields: plain(a) };
  return mapped(event);
}

/** One OTLP log record as a fleetscope event. */
export function mapLogRecord(record: OtlpLogRecord, source: string): MappedEvent {
  const name = claudeCodeEventName(record);
  if (name === undefined) return logEvent(record, source);
  const a = record.attributes;
  switch (name) {
    case 'api_request':
    case 'api_error':
      return llmCall(a, claudeCodeEvent('llm.call', a, record.resource, record.timeMs, source), name === 'api_error');
    case 'tool_result':
      return toolEnd(a, claudeCodeEvent('tool.end', a, record.resource, record.timeMs, source), undefined);
    case 'user_prompt': {
      const event = claudeCodeEvent('message', a, record.resource, record.timeMs, source);
      const payload: Fields = { role: 'user', kind: 'prompt' };
      put(payload, 'id', str(a['prompt.id']));
      put(payload, 'text', str(a.prompt));
      put(payload, 'promptLength', num(a.prompt_length));
      event.payload = payload;
      return mapped(event);
    }
    default: {
      const event = claudeCodeEvent(customType(name), a, record.resource, record.timeMs, source);
      event.payload = plain(a);
      return mapped(event);
    }
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
  const durationMs = span.endMs >= span.startMs ? span.endMs - span.startMs : undefined;
  const event = (type: string) => claudeCodeEvent(type, a, span.resource, span.endMs, source, span.traceId || undefined);
  switch (span.name) {
    case 'claude_code.llm_request':
      return llmCall(a, event('llm.call'), span.statusCode === 2, durationMs);
    case 'claude_code.tool': {
      // The tool's run: its execution phase, else the span less the permission prompt's wait.
      const p = phases?.take(span.spanId);
      const runMs = p?.executionMs ?? (p?.blockedMs !== undefined && durationMs !== undefined ? Math.max(0, durationMs - p.blockedMs) : undefined);
      const tool = event('tool.end');
      if (p?.blockedMs !== undefined) tool.attributes = { ...(tool.attributes as Fields | undefined), 'claude_code.blocked_on_user_ms': p.blockedMs };
      return toolEnd(a, tool, durationMs, runMs);
    }
    default: {
      // `.interaction` (a turn); `.blocked_on_user`, `.execution`: phases of a tool span, reported through it.
      const other = event(customType(span.name.slice(PREFIX.length)));
      const payload = plain(a);
      put(payload, 'durationMs', durationMs);
      other.payload = payload;
      return mapped(other);
    }
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
    const event: Fields = { type: 'metric', source };
    put(event, 'timestamp', point.timeMs > 0 ? point.timeMs : undefined);
    put(event, 'sessionId', str(point.attributes['session.id']) ?? str(point.resource['session.id']));
    event.attributes = attributes;
    const payload: Fields = { name: point.metric, value };
    put(payload, 'unit', point.unit);
    payload.kind = counter ? 'counter' : 'gauge';
    event.payload = payload;
    return event as unknown as EventInput;
  }
}
