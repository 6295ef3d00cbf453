/**
 * The door: turns a raw object into a trusted `FleetEvent`, or into a reason that names the
 * field and the problem. Hand-written (no schema library) because it runs on every `emit`.
 */
import {
  BUILTIN_EVENT_TYPES,
  SEVERITIES,
  type BuiltinEventType,
  type FleetEvent,
  type Severity,
} from './events.js';
import { DEFAULT_PAYLOAD_LIMITS, fitsAsIs, sanitizeValue, type PayloadLimits, type RepairKind } from './sanitize.js';

/** Envelope values used where the raw event leaves a field out. */
export interface EventDefaults {
  source: string;
  sessionId: string;
  agentId: string;
  workflowId?: string;
  traceId?: string;
  /** Parent for a new event: the span of the scope it is emitted in. */
  parentSpanId?: string;
}

export type ValidationResult =
  | { ok: true; event: FleetEvent; repairs: readonly RepairKind[] }
  | {
      ok: false;
      /** Stable text naming the field and the problem, e.g. `timestamp: must be a finite number >= 0`. */
      reason: string;
    };

type FieldKind = 'string' | 'count' | 'number' | 'duration' | 'boolean' | 'object' | 'any' | readonly string[];

/** [field, kind, required] */
type FieldSpec = readonly [string, FieldKind, boolean];

const TOOL_STATUSES = ['success', 'error', 'blocked'] as const;
const CALL_STATUSES = ['success', 'error'] as const;
const AGENT_STATUSES = ['success', 'error', 'cancelled'] as const;
const ROLES = ['user', 'assistant', 'system', 'notification'] as const;
const INSIGHT_CATEGORIES = ['performance', 'cost', 'reliability', 'efficiency', 'quality'] as const;
const INSIGHT_PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
const PLUGIN_KINDS = ['runner', 'analyzer', 'storage', 'exporter'] as const;

/** Payload schemas of the built-in types; `any` fields are sanitized with the rest. */
const PAYLOAD_SPECS: Record<BuiltinEventType, readonly FieldSpec[]> = {
  'session.start': [
    ['reason', 'string', false],
    ['cwd', 'string', false],
    ['name', 'string', false],
  ],
  'session.end': [
    ['reason', 'string', false],
    ['status', CALL_STATUSES, false],
    ['durationMs', 'duration', false],
  ],
  'agent.start': [
    ['name', 'string', true],
    ['parentAgentId', 'string', false],
    ['agentType', 'string', false],
  ],
  'agent.end': [
    ['name', 'string', true],
    ['parentAgentId', 'string', false],
    ['agentType', 'string', false],
    ['status', AGENT_STATUSES, true],
    ['durationMs', 'duration', false],
    ['error', 'string', false],
  ],
  'tool.start': [
    ['toolName', 'string', true],
    ['toolCallId', 'string', false],
  ],
  'tool.end': [
    ['toolName', 'string', true],
    ['toolCallId', 'string', false],
    ['status', TOOL_STATUSES, true],
    ['durationMs', 'duration', false],
    ['error', 'string', false],
  ],
  'llm.call': [
    ['provider', 'string', false],
    ['model', 'string', true],
    ['operation', 'string', false],
    ['inputTokens', 'count', false],
    ['outputTokens', 'count', false],
    ['cacheReadTokens', 'count', false],
    ['cacheWriteTokens', 'count', false],
    ['costUsd', 'duration', false],
    ['latencyMs', 'duration', false],
    ['status', CALL_STATUSES, true],
    ['error', 'string', false],
    ['requestId', 'string', false],
    ['responseId', 'string', false],
    ['finishReason', 'string', false],
    ['stream', 'boolean', false],
  ],
  message: [
    ['role', ROLES, true],
    ['text', 'string', false],
    ['kind', 'string', false],
  ],
  metric: [
    ['name', 'string', true],
    ['value', 'number', true],
    ['unit', 'string', false],
    ['kind', ['gauge', 'counter'], false],
  ],
  log: [
    ['message', 'string', true],
    ['fields', 'object', false],
  ],
  alert: [
    ['rule', 'string', true],
    ['message', 'string', true],
    ['value', 'number', false],
    ['threshold', 'number', false],
    ['details', 'object', false],
  ],
  insight: [
    ['rule', 'string', true],
    ['title', 'string', true],
    ['category', INSIGHT_CATEGORIES, true],
    ['priority', INSIGHT_PRIORITIES, true],
    ['confidence', 'number', true],
    ['recommendation', 'string', true],
    ['evidence', 'object', false],
  ],
  anomaly: [
    ['operation', 'string', true],
    ['method', 'string', true],
    ['score', 'number', true],
    ['features', 'object', true],
    ['eventId', 'string', false],
  ],
  'plugin.error': [
    ['plugin', 'string', true],
    ['kind', PLUGIN_KINDS, true],
    ['operation', 'string', true],
    ['message', 'string', true],
  ],
};

const BUILTIN_TYPES = new Set<string>(BUILTIN_EVENT_TYPES);
const BUILTIN_NAMESPACES = new Set(
  BUILTIN_EVENT_TYPES.filter((t) => t.includes('.')).map((t) => t.slice(0, t.indexOf('.'))),
);
const SEVERITY_SET = new Set<string>(SEVERITIES);

/** A switch on internalized strings is cheaper than a Set lookup on this hot path. */
function isEnvelopeField(key: string): boolean {
  switch (key) {
    case 'type':
    case 'payload':
    case 'sessionId':
    case 'agentId':
    case 'traceId':
    case 'spanId':
    case 'parentSpanId':
    case 'workflowId':
    case 'timestamp':
    case 'severity':
    case 'source':
    case 'id':
    case 'tags':
    case 'attributes':
    case 'truncated':
      return true;
    default:
      return false;
  }
}

/** `namespace.name`, letters, digits, `_` and `-`; e.g. `myapp.cache_hit`. */
const CUSTOM_TYPE = /^[A-Za-z][\w-]*(\.[\w-]+)+$/;
/** Printable, no control characters. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const MAX_ID_LENGTH = 256;
const MAX_TAGS = 64;
/** 9999-12-31: anything later is a unit mistake (µs or ns), not a date. */
const MAX_TIMESTAMP = 253_402_300_799_999;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function checkField(value: unknown, kind: FieldKind): string | undefined {
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? undefined : `must be a string (got ${describe(value)})`;
    case 'count':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0
        ? undefined
        : `must be an integer >= 0 (got ${describe(value)})`;
    case 'duration':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0
        ? undefined
        : `must be a finite number >= 0 (got ${describeNumber(value)})`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `must be a finite number (got ${describeNumber(value)})`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be a boolean (got ${describe(value)})`;
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? undefined
        : `must be an object (got ${describe(value)})`;
    case 'any':
      return undefined;
    default:
      return typeof value === 'string' && kind.includes(value) ? undefined : `must be one of ${kind.join(' | ')}`;
  }
}

/** Numbers are described by class (negative, NaN, Infinity), never by value, to keep reasons few. */
function describeNumber(value: unknown): string {
  if (typeof value !== 'number') return describe(value);
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return 'Infinity';
  return value < 0 ? 'a negative number' : 'a number';
}

/**
 * Ids seen valid recently. Session, agent, workflow and trace ids repeat on almost every event,
 * so most checks become one set lookup. Bounded: cleared when full.
 */
const knownIds = new Set<string>();
const KNOWN_IDS_MAX = 4096;

function remember(value: string): void {
  if (knownIds.size >= KNOWN_IDS_MAX) knownIds.clear();
  knownIds.add(value);
}

/** The last id that passed; consecutive events almost always repeat it (a pointer compare). */
let lastKnownId: string | undefined;
let lastKnownSpanId: string | undefined;
const NO_REPAIRS: readonly RepairKind[] = [];

function checkId(value: unknown, field: string): string | undefined {
  if (value === lastKnownId) return undefined;
  if (typeof value !== 'string') return `${field}: must be a string (got ${describe(value)})`;
  if (knownIds.has(value)) return undefined;
  if (value.length === 0 || value.length > MAX_ID_LENGTH) return `${field}: must be 1-${MAX_ID_LENGTH} characters`;
  if (CONTROL_CHARS.test(value)) return `${field}: must not contain control characters`;
  remember(value);
  lastKnownId = value;
  return undefined;
}

/** 1 for `1-9a-f`, 2 for `0`, 0 otherwise: one table lookup per character. */
const HEX_DIGIT = new Uint8Array(128);
for (const c of '123456789abcdef') HEX_DIGIT[c.charCodeAt(0)] = 1;
HEX_DIGIT[48] = 2;

/** Lowercase hex of exactly `length` characters, not all zeros (W3C trace context). */
function isHexId(value: string, length: number): boolean {
  if (value.length !== length) return false;
  let seen = 0;
  for (let i = 0; i < length; i++) {
    const kind = HEX_DIGIT[value.charCodeAt(i) & 127]!;
    if (kind === 0 || value.charCodeAt(i) > 127) return false;
    seen |= kind;
  }
  return (seen & 1) === 1;
}

function checkHexId(value: unknown, field: string, length: 16 | 32, cache: boolean): string | undefined {
  // A parent span id repeats across its children's events.
  if (value === lastKnownSpanId && length === 16) return undefined;
  if (typeof value === 'string' && cache && knownIds.has(value)) return undefined;
  if (typeof value !== 'string' || !isHexId(value, length)) {
    return `${field}: must be ${length} lowercase hex characters, not all zero`;
  }
  // Trace ids repeat per session; span ids are unique, caching them would only churn the set.
  if (cache) remember(value);
  else if (field === 'parentSpanId') lastKnownSpanId = value;
  return undefined;
}

interface CompiledSpec {
  /** kind and whether required, by field name */
  fields: Map<string, readonly [FieldKind, boolean]>;
  required: readonly string[];
}

/** Field kinds by name, per type, so a payload is checked in one pass over its own keys. */
const COMPILED_SPECS = new Map<string, CompiledSpec>(
  Object.entries(PAYLOAD_SPECS).map(([type, specs]) => [
    type,
    { fields: new Map(specs.map(([field, kind, required]) => [field, [kind, required]])), required: specs.filter((s) => s[2]).map((s) => s[0]) },
  ]),
);

/**
 * Reports problems of the built-in payload type, or undefined when it is valid.
 *
 * Reads the payload with one `for...in` pass: on objects built with spread syntax, V8 makes a
 * named load of an ABSENT property (an optional field left out) cost ~0.7 µs, while a keyed
 * read inside `for...in` costs a few ns whatever the object's shape.
 */
function checkPayload(type: BuiltinEventType, payload: Record<string, unknown>): string | undefined {
  const spec = COMPILED_SPECS.get(type)!;
  let requiredSeen = 0;
  for (const field in payload) {
    const fieldSpec = spec.fields.get(field);
    if (fieldSpec === undefined) continue; // extra fields are the host's own data
    const value = payload[field];
    if (value === undefined) continue;
    const problem = checkField(value, fieldSpec[0]);
    if (problem !== undefined) return `payload.${field}: ${problem}`;
    if (fieldSpec[1]) requiredSeen++;
  }
  if (requiredSeen < spec.required.length) {
    for (const field of spec.required) {
      if (payload[field] === undefined) return `payload.${field}: is required for ${type}`;
    }
  }
  return undefined;
}

/** Default severity from the payload's outcome, so failed calls are `error` without saying so. */
function defaultSeverity(type: string, payload: Record<string, unknown>): Severity {
  switch (type) {
    case 'plugin.error':
      return 'error';
    case 'alert':
    case 'anomaly':
      return 'warning';
    default: {
      const status = payload.status;
      if (status === 'error') return 'error';
      if (status === 'blocked') return 'warning';
      return 'info';
    }
  }
}

/**
 * Generates event ids: a random 6-character prefix per generator and a base-36 counter.
 * Kept under 13 characters for the first 60 million ids, because V8 stores a shorter
 * concatenation as one flat string (32 bytes) rather than a cons string of two (~56 bytes).
 */
export function createIdGenerator(): () => string {
  const prefix = Math.random().toString(36).slice(2, 8).padEnd(6, '0');
  let counter = 0;
  return () => `${prefix}${(++counter).toString(36)}`;
}

export interface ValidateOptions {
  defaults: EventDefaults;
  limits?: PayloadLimits;
  nextId?: () => string;
  now?: () => number;
}

const defaultNextId = createIdGenerator();

/**
 * Validates a raw object and builds the trusted event from it; never throws.
 *
 * Every envelope field except `type` and `payload` is optional on input: ids, timestamp,
 * severity, session and agent are filled in from `defaults`. Unknown top-level fields are
 * rejected (a misspelt `sessionID` would otherwise vanish silently).
 */
export function validateEvent(raw: unknown, options: ValidateOptions): ValidationResult {
  try {
    return validateUnsafe(raw, options);
  } catch (error) {
    // A hostile object (throwing getter, revoked proxy) must not reach the host.
    return { ok: false, reason: `event: could not be read (${error instanceof Error ? error.name : 'error'})` };
  }
}

function validateUnsafe(raw: unknown, options: ValidateOptions): ValidationResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: `event: must be an object (got ${describe(raw)})` };
  }
  // One pass over the input's own keys, never a named read of a field that may be absent
  // (see checkPayload for why), which also rejects unknown fields such as a misspelt `sessionID`.
  const input = raw as Record<string, unknown>;
  let type: unknown;
  let payload: unknown;
  let timestamp: unknown;
  let severity: unknown;
  let id: unknown;
  let source: unknown;
  let sessionId: unknown;
  let agentId: unknown;
  let workflowId: unknown;
  let traceId: unknown;
  let spanId: unknown;
  let parentSpanId: unknown;
  let tags: unknown;
  let attributes: unknown;
  let truncatedInput: unknown;
  for (const key in input) {
    const value = input[key];
    switch (key) {
      case 'type': type = value; break;
      case 'payload': payload = value; break;
      case 'sessionId': sessionId = value; break;
      case 'agentId': agentId = value; break;
      case 'traceId': traceId = value; break;
      case 'spanId': spanId = value; break;
      case 'parentSpanId': parentSpanId = value; break;
      case 'workflowId': workflowId = value; break;
      case 'timestamp': timestamp = value; break;
      case 'severity': severity = value; break;
      case 'source': source = value; break;
      case 'id': id = value; break;
      case 'tags': tags = value; break;
      case 'attributes': attributes = value; break;
      case 'truncated': truncatedInput = value; break;
      default:
        return { ok: false, reason: `event: unknown field (only envelope fields, type and payload are allowed)` };
    }
  }

  if (typeof type !== 'string') return { ok: false, reason: `type: must be a string (got ${describe(type)})` };
  const builtin = BUILTIN_TYPES.has(type);
  if (!builtin) {
    if (!CUSTOM_TYPE.test(type)) {
      return { ok: false, reason: 'type: unknown type; custom types need a namespace, e.g. "myapp.cache_hit"' };
    }
    if (BUILTIN_NAMESPACES.has(type.slice(0, type.indexOf('.')))) {
      return { ok: false, reason: 'type: unknown type in a built-in namespace (session, agent, tool, llm, plugin)' };
    }
  }

  if (payload === undefined && !builtin) payload = {};
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, reason: `payload: must be an object (got ${describe(payload)})` };
  }
  if (builtin) {
    const problem = checkPayload(type as BuiltinEventType, payload as Record<string, unknown>);
    if (problem !== undefined) return { ok: false, reason: problem };
  }

  const { defaults } = options;
  if (timestamp === undefined) timestamp = options.now ? options.now() : Date.now();
  else if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP) {
    return { ok: false, reason: `timestamp: must be milliseconds since the epoch, a finite number >= 0 (got ${describeNumber(timestamp)})` };
  }

  if (severity === undefined) severity = defaultSeverity(type, payload as Record<string, unknown>);
  else if (typeof severity !== 'string' || !SEVERITY_SET.has(severity)) {
    return { ok: false, reason: `severity: must be one of ${SEVERITIES.join(' | ')}` };
  }

  let problem: string | undefined;
  if (id !== undefined && (problem = checkId(id, 'id'))) return { ok: false, reason: problem };
  if (source !== undefined && (problem = checkId(source, 'source'))) return { ok: false, reason: problem };
  if (sessionId !== undefined && (problem = checkId(sessionId, 'sessionId'))) return { ok: false, reason: problem };
  if (agentId !== undefined && (problem = checkId(agentId, 'agentId'))) return { ok: false, reason: problem };
  if (workflowId !== undefined && (problem = checkId(workflowId, 'workflowId'))) return { ok: false, reason: problem };
  if (traceId !== undefined && (problem = checkHexId(traceId, 'traceId', 32, true))) {
    return { ok: false, reason: problem };
  }
  if (spanId !== undefined && (problem = checkHexId(spanId, 'spanId', 16, false))) {
    return { ok: false, reason: problem };
  }
  if (parentSpanId !== undefined && (problem = checkHexId(parentSpanId, 'parentSpanId', 16, false))) {
    return { ok: false, reason: problem };
  }
  if (tags !== undefined) {
    if (!Array.isArray(tags) || tags.length > MAX_TAGS || !tags.every((t) => typeof t === 'string')) {
      return { ok: false, reason: `tags: must be an array of at most ${MAX_TAGS} strings` };
    }
  }
  if (attributes !== undefined && (problem = checkField(attributes, 'object'))) {
    return { ok: false, reason: `attributes: ${problem}` };
  }

  const limits = options.limits ?? DEFAULT_PAYLOAD_LIMITS;
  // The common case, plain JSON within the limits, is checked without allocating anything.
  let repairs: readonly RepairKind[] = NO_REPAIRS;
  if (!fitsAsIs(payload, limits)) {
    const sanitized = sanitizeValue(payload, limits);
    payload = sanitized.value;
    repairs = sanitized.repairs;
  }
  if (attributes !== undefined && !fitsAsIs(attributes, limits)) {
    const sanitized = sanitizeValue(attributes, limits);
    attributes = sanitized.value;
    repairs = [...new Set([...repairs, ...sanitized.repairs])];
  }

  const truncated = (repairs.length > 0 && repairs.includes('truncated')) || truncatedInput === true ? true : undefined;
  // The common shape leaves out the rarely used `tags`, `attributes` and `truncated` (three
  // slots, 24 bytes, fewer per event); events that carry them get a second shape.
  const common = {
    id: (id as string | undefined) ?? (options.nextId ?? defaultNextId)(),
    type,
    timestamp,
    severity,
    source: (source as string | undefined) ?? defaults.source,
    sessionId: (sessionId as string | undefined) ?? defaults.sessionId,
    agentId: (agentId as string | undefined) ?? defaults.agentId,
    workflowId: (workflowId as string | undefined) ?? defaults.workflowId,
    traceId: (traceId as string | undefined) ?? defaults.traceId,
    spanId: spanId as string | undefined,
    parentSpanId: (parentSpanId as string | undefined) ?? defaults.parentSpanId,
    payload,
  };
  const event = (
    tags === undefined && attributes === undefined && truncated === undefined
      ? common
      : { ...common, tags: tags as string[] | undefined, attributes: attributes as Record<string, unknown> | undefined, truncated }
  ) as FleetEvent;
  return { ok: true, event, repairs };
}

export const validationInternals = { PAYLOAD_SPECS };
