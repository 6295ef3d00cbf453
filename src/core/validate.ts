/**
 * The door: turns a raw object into a trusted `FleetEvent`, or into a reason that names the
 * field and the problem. Hand-written (no schema library) because it runs on every `emit`.
 */
import { BUILTIN_EVENT_TYPES, SEVERITIES, type FleetEvent, type Severity } from './events.js';
import { checkField, checkPayload, describe, describeNumber, payloadSchemaOf } from './payload-schema.js';
import { DEFAULT_PAYLOAD_LIMITS, UNFIT, copyFit, repairValue, type PayloadLimits, type RepairKind } from './sanitize.js';
import { hexIdKind } from './ids.js';

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


const BUILTIN_NAMESPACES = new Set(
  BUILTIN_EVENT_TYPES.filter((t) => t.includes('.')).map((t) => t.slice(0, t.indexOf('.'))),
);
const SEVERITY_SET = new Set<string>(SEVERITIES);

/** `namespace.name`, letters, digits, `_` and `-`; e.g. `myapp.cache_hit`. */
const CUSTOM_TYPE = /^[A-Za-z][\w-]*(\.[\w-]+)+$/;
/**
 * Whether `value` holds a control character (U+0000–U+001F or U+007F). A loop rather than a
 * regular expression: ids are short, and the call into the regexp engine cost more than the
 * walk (the event ids of a replayed store are checked on every event).
 */
function hasControlChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
const MAX_ID_LENGTH = 256;
const MAX_TAGS = 64;
/** 9999-12-31: anything later is a unit mistake (µs or ns), not a date. */
const MAX_TIMESTAMP = 253_402_300_799_999;

/**
 * Ids seen valid recently. Session, agent, workflow and trace ids repeat on almost every event,
 * so most checks become one set lookup. Trace ids have a set of their own (a valid session id is
 * not a valid trace id). Bounded: cleared when full.
 */
const knownIds = new Set<string>();
const knownTraceIds = new Set<string>();
const KNOWN_IDS_MAX = 4096;

function remember(known: Set<string>, value: string): void {
  if (known.size >= KNOWN_IDS_MAX) known.clear();
  known.add(value);
}

const NO_REPAIRS: readonly RepairKind[] = [];

/**
 * Id fields, each with a one-entry cache of its last valid value: consecutive events almost
 * always repeat their session, workflow and trace, so the check is a pointer compare. Event ids
 * are unique per event: neither cached nor remembered. Span ids have their own memory (below).
 */
const ID = 0;
const SOURCE = 1;
const SESSION = 2;
const AGENT = 3;
const WORKFLOW = 4;
const TRACE = 5;
const lastValid: (string | undefined)[] = new Array<string | undefined>(6).fill(undefined);

/**
 * The last valid span id and parent span id: a tool's end repeats its start's span, and
 * consecutive events of one agent share its span as their parent.
 */
let lastSpan: string | undefined;
let lastParentSpan: string | undefined;

function checkId(value: unknown, field: string, slot: number): string | undefined {
  if (value === lastValid[slot]) return undefined;
  if (typeof value !== 'string') return `${field}: must be a string (got ${describe(value)})`;
  // An event id is new on every event: looked up, it would only be hashed for a miss.
  if (slot !== ID && knownIds.has(value)) return undefined;
  if (value.length === 0 || value.length > MAX_ID_LENGTH) return `${field}: must be 1-${MAX_ID_LENGTH} characters`;
  if (hasControlChar(value)) return `${field}: must not contain control characters`;
  if (slot !== ID) {
    remember(knownIds, value);
    lastValid[slot] = value;
  }
  return undefined;
}

/** Lowercase hex of exactly `length` characters, not all zeros (W3C trace context). */
const isHexId = (value: string, length: number): boolean => hexIdKind(value, length) === 1;

function checkTraceId(value: unknown): string | undefined {
  if (value === lastValid[TRACE]) return undefined;
  const problem = 'traceId: must be 32 lowercase hex characters, not all zero';
  if (typeof value !== 'string') return problem;
  // Trace ids repeat per session: remembered.
  if (!knownTraceIds.has(value)) {
    if (!isHexId(value, 32)) return problem;
    remember(knownTraceIds, value);
  }
  lastValid[TRACE] = value;
  return undefined;
}

function isSpanId(value: unknown): value is string {
  return typeof value === 'string' && isHexId(value, 16);
}

/** Default severity from the payload's outcome, so failed calls are `error` without saying so. */
function defaultSeverity(type: string, payload: Record<string, unknown>): Severity {
  switch (type) {
    case 'plugin.error':
      return 'error';
    case 'alert':
    case 'anomaly':
      return 'warning';
    case 'guardrail.decision':
      return payload.action === 'block' ? 'warning' : 'info';
    default: {
      const status = payload.status;
      if (status === 'error') return 'error';
      if (status === 'blocked') return 'warning';
      return 'info';
    }
  }
}

const BASE36_DIGITS = Array.from('0123456789abcdefghijklmnopqrstuvwxyz');

/**
 * Generates event ids: a 6-character prefix per generator (random unless given) and a base-36 counter.
 * Kept under 13 characters for the first 60 million ids, because V8 stores a shorter
 * concatenation as one flat string (32 bytes) rather than a cons string of two (~56 bytes).
 * The counter's last digit comes from a table and the rest is formatted once per 36 ids
 * (measured: ~15 ns less per id than `counter.toString(36)` each time).
 */
export function createIdGenerator(fixedPrefix?: string): () => string {
  const prefix = fixedPrefix ?? Math.random().toString(36).slice(2, 8).padEnd(6, '0');
  let high = 0;
  let head = prefix;
  let low = 1; // the first id is `${prefix}1`
  return () => {
    if (low === 36) {
      low = 0;
      head = `${prefix}${(++high).toString(36)}`;
    }
    return head + BASE36_DIGITS[low++]!;
  };
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
  const out: CheckOutput = { repairs: NO_REPAIRS };
  const checked = checkEvent(raw, options, out);
  return typeof checked === 'string' ? { ok: false, reason: checked } : { ok: true, event: checked, repairs: out.repairs };
}

/** Where `checkEvent` puts what it repaired in an accepted event. */
export interface CheckOutput {
  repairs: readonly RepairKind[];
}

/**
 * `validateEvent` without a result object: the trusted event, or the reason (a string) it was
 * rejected; the repairs of an accepted event go to `out`. The emit path calls this one and
 * reuses `out`, so an accepted event allocates only itself and its id.
 */
export function checkEvent(raw: unknown, options: ValidateOptions, out: CheckOutput): FleetEvent | string {
  try {
    return validateUnsafe(raw, options, out);
  } catch (error) {
    // A hostile object (throwing getter, revoked proxy) must not reach the host.
    return `event: could not be read (${error instanceof Error ? error.name : 'error'})`;
  }
}

function validateUnsafe(raw: unknown, options: ValidateOptions, out: CheckOutput): FleetEvent | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return `event: must be an object (got ${describe(raw)})`;
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
        return `event: unknown field (only envelope fields, type and payload are allowed)`;
    }
  }

  if (typeof type !== 'string') return `type: must be a string (got ${describe(type)})`;
  // One lookup both tells a built-in type and gives its payload schema.
  const schema = payloadSchemaOf(type);
  if (schema === undefined) {
    if (!CUSTOM_TYPE.test(type)) {
      return 'type: unknown type; custom types need a namespace, e.g. "myapp.cache_hit"';
    }
    if (BUILTIN_NAMESPACES.has(type.slice(0, type.indexOf('.')))) {
      return 'type: unknown type in a built-in namespace (session, agent, tool, llm, plugin)';
    }
  }

  if (payload === undefined && schema === undefined) payload = {};
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return `payload: must be an object (got ${describe(payload)})`;
  }
  const limits = options.limits ?? DEFAULT_PAYLOAD_LIMITS;
  // What is kept is a plain-data copy made while checking (each value read once), so nothing the
  // host does to its object afterwards (a getter, a mutation, a throwing toJSON) reaches storage
  // or an exporter. A payload that needs repair is repaired into a copy and checked again.
  let repairs: readonly RepairKind[] = NO_REPAIRS;
  let kept: unknown =
    schema !== undefined
      ? checkPayload(schema, payload as Record<string, unknown>, limits)
      : copyFit(payload, 0, limits, limits.maxPayloadBytes);
  if (typeof kept === 'string') return kept;
  if (kept === UNFIT) {
    const sanitized = repairValue(payload, limits);
    repairs = sanitized.repairs;
    kept = sanitized.value;
    if (typeof kept !== 'object' || kept === null || Array.isArray(kept)) {
      return `payload: must be an object (got ${describe(kept)})`;
    }
    if (schema !== undefined) {
      // The repaired copy is plain data: check the schema on what is kept.
      const again = checkPayload(schema, kept as Record<string, unknown>, limits);
      if (typeof again === 'string') return again;
    }
  }
  payload = kept;

  const { defaults } = options;
  if (timestamp === undefined) timestamp = options.now ? options.now() : Date.now();
  else if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP) {
    return `timestamp: must be milliseconds since the epoch, a finite number >= 0 (got ${describeNumber(timestamp)})`;
  }

  if (severity === undefined) severity = defaultSeverity(type, payload as Record<string, unknown>);
  else if (typeof severity !== 'string' || !SEVERITY_SET.has(severity)) {
    return `severity: must be one of ${SEVERITIES.join(' | ')}`;
  }

  let problem: string | undefined;
  if (id !== undefined && (problem = checkId(id, 'id', ID))) return problem;
  if (source !== undefined && (problem = checkId(source, 'source', SOURCE))) return problem;
  if (sessionId !== undefined && (problem = checkId(sessionId, 'sessionId', SESSION))) return problem;
  if (agentId !== undefined && (problem = checkId(agentId, 'agentId', AGENT))) return problem;
  if (workflowId !== undefined && (problem = checkId(workflowId, 'workflowId', WORKFLOW))) return problem;
  if (traceId !== undefined && (problem = checkTraceId(traceId))) return problem;
  if (spanId !== undefined && spanId !== lastSpan) {
    if (!isSpanId(spanId)) return 'spanId: must be 16 lowercase hex characters, not all zero';
    lastSpan = spanId;
  }
  if (parentSpanId !== undefined && parentSpanId !== lastParentSpan) {
    if (!isSpanId(parentSpanId)) return 'parentSpanId: must be 16 lowercase hex characters, not all zero';
    lastParentSpan = parentSpanId;
  }
  if (tags !== undefined) {
    if (!Array.isArray(tags) || tags.length > MAX_TAGS) return `tags: must be an array of at most ${MAX_TAGS} strings`;
    const copy = new Array<string>(tags.length);
    for (let i = 0; i < copy.length; i++) {
      const tag: unknown = tags[i];
      if (typeof tag !== 'string') return `tags: must be an array of at most ${MAX_TAGS} strings`;
      copy[i] = tag;
    }
    tags = copy;
  }
  if (attributes !== undefined) {
    if ((problem = checkField(attributes, 'object'))) return `attributes: ${problem}`;
    const copy = copyFit(attributes, 0, limits, limits.maxPayloadBytes);
    if (copy === UNFIT) {
      const sanitized = repairValue(attributes, limits);
      attributes = sanitized.value;
      repairs = [...new Set([...repairs, ...sanitized.repairs])];
    } else {
      attributes = copy;
    }
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
      : withExtras(common, tags as string[] | undefined, attributes as Record<string, unknown> | undefined, truncated)
  ) as FleetEvent;
  out.repairs = repairs;
  return event;
}

/**
 * The second shape: the common fields and `tags`, `attributes`, `truncated`, written as one literal.
 * Measured: `{ ...common, tags, attributes, truncated }` cost ~1.5 µs per event (most of the
 * validator's time on the OTLP receiver's events, which all carry attributes); this is a plain copy.
 */
function withExtras(common: Record<Exclude<keyof FleetEvent, 'tags' | 'attributes' | 'truncated'>, unknown>, tags: string[] | undefined, attributes: Record<string, unknown> | undefined, truncated: true | undefined) {
  return {
    id: common.id,
    type: common.type,
    timestamp: common.timestamp,
    severity: common.severity,
    source: common.source,
    sessionId: common.sessionId,
    agentId: common.agentId,
    workflowId: common.workflowId,
    traceId: common.traceId,
    spanId: common.spanId,
    parentSpanId: common.parentSpanId,
    payload: common.payload,
    tags,
    attributes,
    truncated,
  };
}
