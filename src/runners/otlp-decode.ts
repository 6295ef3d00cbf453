/**
 * OTLP request bodies (logs, metrics, traces; protobuf or JSON) into plain records the receiver maps to
 * events. Protobuf is read with protobufjs (an optional peer dependency, loaded on first use) against the
 * official opentelemetry-proto schema (otlp-descriptor.ts, generated): metrics and traces decoded into its
 * message tree, logs read record by record with its Reader (otlp-wire.ts). JSON follows the OTLP/JSON
 * mapping (lowerCamelCase names, ids as hex, 64-bit integers as strings or numbers). All arrive in one shape.
 */
import { importOptionalPeer } from '../core/index.js';
import { OTLP_DESCRIPTOR } from './otlp-descriptor.js';
import { CheckedLogsRequest, EMPTY_PROTOTYPE, LOGS_REQUEST_TYPE, LogsWire, nanosToMs as nanosPartsToMs, type ProtobufWireModule, type SchemaRoot, type SchemaType } from './otlp-wire.js';

export type OtlpSignal = 'logs' | 'metrics' | 'traces';
export type OtlpAttributes = Record<string, unknown>;

export interface OtlpLogRecord {
  timeMs: number;
  severityText?: string;
  severityNumber?: number;
  body: unknown;
  /** `event_name` of the record (OTLP 1.5+), when set. */
  eventName?: string;
  attributes: OtlpAttributes;
  traceId?: string;
  spanId?: string;
  resource: OtlpAttributes;
  scope: string;
}

export interface OtlpSpanEvent {
  name: string;
  timeMs: number;
  attributes: OtlpAttributes;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  attributes: OtlpAttributes;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage?: string;
  events: OtlpSpanEvent[];
  resource: OtlpAttributes;
  scope: string;
}

export interface OtlpDataPoint {
  metric: string;
  unit?: string;
  kind: 'sum' | 'gauge' | 'histogram';
  temporality: 'delta' | 'cumulative' | 'unspecified';
  monotonic: boolean;
  /** The point's value; a histogram's sum. */
  value: number;
  count?: number;
  attributes: OtlpAttributes;
  timeMs: number;
  startMs?: number;
  resource: OtlpAttributes;
  scope: string;
}

type Obj = Record<string, unknown>;

const snakeNames = new Map<string, string>();
const snakeOf = (camel: string): string => {
  let snake = snakeNames.get(camel);
  if (snake === undefined) snakeNames.set(camel, (snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)));
  return snake;
};

/**
 * A field under its lowerCamelCase (OTLP/JSON) or snake_case (a decoded protobuf message, whose
 * descriptor keeps the .proto names) name. An unset message field of a decoded message is `null`.
 */
function field(o: unknown, camel: string): unknown {
  if (o === null || typeof o !== 'object') return undefined;
  // A decoded message has only the snake_case name: looking up the other one first walks its prototype.
  if (readingProtobuf) return (o as Obj)[snakeOf(camel)] ?? undefined;
  const v = (o as Obj)[camel];
  return v !== undefined ? v : (o as Obj)[snakeOf(camel)];
}

/** Set while a decoded protobuf message (not OTLP/JSON) is being mapped; the mapping is synchronous. */
let readingProtobuf = false;

function list(o: unknown, camel: string): unknown[] {
  const v = field(o, camel);
  return Array.isArray(v) ? v : [];
}

function int(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  if (v !== null && typeof v === 'object' && 'low' in v) return longToNumber(v as LongLike);
  return 0;
}

/** A protobufjs `Long` (64-bit integers of decoded messages) as a number, without a string. */
interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}
const longToNumber = (v: LongLike): number => (v.unsigned ? v.high >>> 0 : v.high | 0) * 4_294_967_296 + (v.low >>> 0);

/**
 * The member set in a oneof of a decoded protobuf message (`value` of AnyValue and of number data
 * points), by its .proto name: its other members read as their defaults there, not as unset.
 */
function oneofMember(o: Obj): string | undefined {
  const which = o.value;
  return typeof which === 'string' && which.includes('_') ? which : undefined;
}

const nanosToMs = (v: unknown): number => {
  if (typeof v === 'string' && v.length > 6) return Number(v.slice(0, -6)) + Number(v.slice(-6)) / 1e6;
  if (v !== null && typeof v === 'object' && 'low' in v) return longNanosToMs(v as LongLike);
  return int(v) / 1e6;
};

/** Nanoseconds in a `Long` as milliseconds, whole milliseconds exact. */
const longNanosToMs = (v: LongLike): number => nanosPartsToMs(v.low >>> 0, v.unsigned ? v.high >>> 0 : v.high | 0);

function hex(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v.toLowerCase();
  if (v instanceof Uint8Array) return v.length === 0 ? undefined : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return undefined;
}

/** An OTLP AnyValue as plain JSON. */
export function anyValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return undefined;
  const member = oneofMember(v as Obj);
  if (member !== undefined) return anyValueOf(member, (v as Obj)[member]);
  const s = field(v, 'stringValue');
  if (s !== undefined) return s;
  const b = field(v, 'boolValue');
  if (b !== undefined) return b;
  const i = field(v, 'intValue');
  if (i !== undefined) return int(i);
  const d = field(v, 'doubleValue');
  if (d !== undefined) return Number(d);
  const arr = field(v, 'arrayValue');
  if (arr !== undefined) return list(arr, 'values').map(anyValue);
  const kv = field(v, 'kvlistValue');
  if (kv !== undefined) return attributes(list(kv, 'values'));
  const bytes = field(v, 'bytesValue');
  if (bytes !== undefined) return typeof bytes === 'string' ? bytes : hex(bytes);
  return undefined;
}

/** The value of the AnyValue member `member` (a decoded protobuf message's). */
function anyValueOf(member: string, value: unknown): unknown {
  switch (member) {
    case 'string_value':
    case 'bool_value':
      return value;
    case 'int_value':
      return int(value);
    case 'double_value':
      return Number(value);
    case 'array_value':
      return list(value, 'values').map(anyValue);
    case 'kvlist_value':
      return attributes(list(value, 'values'));
    case 'bytes_value':
      return hex(value);
    default:
      return undefined;
  }
}

/** OTLP KeyValue list into a record with no inherited keys (keys are the sender's: `__proto__` stays data). */
export function attributes(kvs: unknown[]): OtlpAttributes {
  const out: OtlpAttributes = Object.create(EMPTY_PROTOTYPE);
  for (const kv of kvs) {
    const key = field(kv, 'key');
    if (typeof key === 'string') out[key] = anyValue(field(kv, 'value'));
  }
  return out;
}

const scopeName = (scoped: unknown) => String(field(field(scoped, 'scope'), 'name') ?? '');
const resourceOf = (resourceX: unknown) => attributes(list(field(resourceX, 'resource'), 'attributes'));

function readLogs(body: unknown, sink: (record: OtlpLogRecord) => void): void {
  for (const rl of list(body, 'resourceLogs')) {
    const resource = resourceOf(rl);
    for (const sl of list(rl, 'scopeLogs')) {
      const scope = scopeName(sl);
      for (const r of list(sl, 'logRecords')) {
        const time = nanosToMs(field(r, 'timeUnixNano'));
        const record: OtlpLogRecord = {
          timeMs: time > 0 ? time : nanosToMs(field(r, 'observedTimeUnixNano')),
          body: anyValue(field(r, 'body')),
          attributes: attributes(list(r, 'attributes')),
          resource,
          scope,
        };
        const severityText = field(r, 'severityText');
        if (typeof severityText === 'string' && severityText !== '') record.severityText = severityText;
        const severityNumber = int(field(r, 'severityNumber'));
        if (severityNumber > 0) record.severityNumber = severityNumber;
        const eventName = field(r, 'eventName');
        if (typeof eventName === 'string' && eventName !== '') record.eventName = eventName;
        const traceId = hex(field(r, 'traceId'));
        if (traceId !== undefined) record.traceId = traceId;
        const spanId = hex(field(r, 'spanId'));
        if (spanId !== undefined) record.spanId = spanId;
        sink(record);
      }
    }
  }
}

function readSpans(body: unknown, sink: (span: OtlpSpan) => void): void {
  for (const rs of list(body, 'resourceSpans')) {
    const resource = resourceOf(rs);
    for (const ss of list(rs, 'scopeSpans')) {
      const scope = scopeName(ss);
      for (const s of list(ss, 'spans')) {
        const status = field(s, 'status');
        const span: OtlpSpan = {
          traceId: hex(field(s, 'traceId')) ?? '',
          spanId: hex(field(s, 'spanId')) ?? '',
          name: String(field(s, 'name') ?? ''),
          kind: int(field(s, 'kind')),
          startMs: nanosToMs(field(s, 'startTimeUnixNano')),
          endMs: nanosToMs(field(s, 'endTimeUnixNano')),
          attributes: attributes(list(s, 'attributes')),
          statusCode: int(field(status, 'code')),
          events: list(s, 'events').map((e) => ({
            name: String(field(e, 'name') ?? ''),
            timeMs: nanosToMs(field(e, 'timeUnixNano')),
            attributes: attributes(list(e, 'attributes')),
          })),
          resource,
          scope,
        };
        const parent = hex(field(s, 'parentSpanId'));
        if (parent !== undefined) span.parentSpanId = parent;
        const message = field(status, 'message');
        if (typeof message === 'string' && message !== '') span.statusMessage = message;
        sink(span);
      }
    }
  }
}

const TEMPORALITY: Record<number, OtlpDataPoint['temporality']> = { 1: 'delta', 2: 'cumulative' };

function readPoints(body: unknown, sink: (point: OtlpDataPoint) => void): void {
  for (const rm of list(body, 'resourceMetrics')) {
    const resource = resourceOf(rm);
    for (const sm of list(rm, 'scopeMetrics')) {
      const scope = scopeName(sm);
      for (const m of list(sm, 'metrics')) {
        const metric = String(field(m, 'name') ?? '');
        const unit = field(m, 'unit');
        const base = { metric, resource, scope, ...(typeof unit === 'string' && unit !== '' ? { unit } : {}) };
        const kinds: [OtlpDataPoint['kind'], unknown][] = [
          ['sum', field(m, 'sum')],
          ['gauge', field(m, 'gauge')],
          ['histogram', field(m, 'histogram')],
        ];
        for (const [kind, data] of kinds) {
          if (data === undefined || data === null) continue;
          const temporality = TEMPORALITY[int(field(data, 'aggregationTemporality'))] ?? 'unspecified';
          const monotonic = field(data, 'isMonotonic') === true;
          for (const p of list(data, 'dataPoints')) {
            const member = oneofMember(p as Obj);
            const asDouble = member === undefined ? field(p, 'asDouble') : member === 'as_double' ? (p as Obj).as_double : undefined;
            const value = kind === 'histogram' ? Number(field(p, 'sum') ?? 0) : asDouble !== undefined && asDouble !== null ? Number(asDouble) : int(field(p, 'asInt'));
            const point: OtlpDataPoint = {
              ...base,
              kind,
              temporality,
              monotonic,
              value,
              attributes: attributes(list(p, 'attributes')),
              timeMs: nanosToMs(field(p, 'timeUnixNano')),
            };
            const start = nanosToMs(field(p, 'startTimeUnixNano'));
            if (start > 0) point.startMs = start;
            if (kind === 'histogram') point.count = int(field(p, 'count'));
            sink(point);
          }
        }
      }
    }
  }
}

const REQUEST_TYPES: Record<OtlpSignal, string> = {
  logs: LOGS_REQUEST_TYPE,
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
};

interface ProtobufType {
  decode(buffer: Uint8Array): unknown;
  encode(message: Record<string, unknown>): { finish(): Uint8Array };
}
interface ProtobufRoot extends SchemaRoot {
  lookupType(name: string): ProtobufType & SchemaType;
}
interface ProtobufModule extends ProtobufWireModule {
  Root: { fromJSON(json: Record<string, unknown>): ProtobufRoot };
}

/** `google.rpc.Status` (google/rpc/status.proto) without `details`: the body of an OTLP/HTTP refusal. */
const RPC_STATUS = { nested: { google: { nested: { rpc: { nested: { Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } } } } } } } };
let statusType: Promise<ProtobufType> | undefined;

/** A refusal's `google.rpc.Status`, protobuf-encoded for a client that sent protobuf. */
export async function encodeRpcStatus(code: number, message: string, loadProtobuf: () => Promise<unknown> = () => import('protobufjs')): Promise<Uint8Array> {
  statusType ??= importOptionalPeer<ProtobufModule>(loadProtobuf, 'protobufjs', 'otlp-receiver').then((protobuf) => protobuf.Root.fromJSON(RPC_STATUS).lookupType('google.rpc.Status'));
  statusType.catch(() => (statusType = undefined));
  return (await statusType).encode({ code, message }).finish();
}

/** The OTLP schema loaded with protobufjs: the request types, and the logs walk's tables built from the same root. */
interface OtlpSchema extends Record<OtlpSignal, ProtobufType> {
  logsWire: LogsWire;
}
let types: Promise<OtlpSchema> | undefined;

/** protobufjs and the OTLP schema, loaded once on the first protobuf body. */
function protobufTypes(load: () => Promise<unknown>): Promise<OtlpSchema> {
  types ??= importOptionalPeer<ProtobufModule>(load, 'protobufjs', 'otlp-receiver').then((protobuf) => {
    const root = protobuf.Root.fromJSON(OTLP_DESCRIPTOR);
    return {
      logs: root.lookupType(REQUEST_TYPES.logs),
      metrics: root.lookupType(REQUEST_TYPES.metrics),
      traces: root.lookupType(REQUEST_TYPES.traces),
      logsWire: new LogsWire(protobuf, root),
    };
  });
  types.catch(() => (types = undefined));
  return types;
}

/**
 * A request body parsed (OTLP/JSON), decoded (protobuf metrics and traces) or checked (protobuf logs, a
 * `CheckedLogsRequest`: kept as bytes, read record by record), not yet read: see `readOtlp`.
 */
export interface OtlpMessage {
  signal: OtlpSignal;
  format: 'protobuf' | 'json';
  message: unknown;
}

/** Parses one request body; throws (with a message for the 400 answer) when it is not a valid request. */
export async function decodeOtlp(
  signal: OtlpSignal,
  format: 'protobuf' | 'json',
  body: Uint8Array,
  loadProtobuf: () => Promise<unknown> = () => import('protobufjs'),
): Promise<OtlpMessage> {
  if (format === 'json') {
    const message: unknown = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    if (message === null || typeof message !== 'object' || Array.isArray(message)) throw new Error('the body is not an OTLP/JSON request object');
    return { signal, format, message };
  }
  if (signal === 'logs') return { signal, format, message: (await protobufTypes(loadProtobuf)).logsWire.check(body) };
  return decodeProtobufTree(signal, body, loadProtobuf);
}

/**
 * A protobuf body decoded by protobufjs into a message tree, read as decoded (no `toObject` copy):
 * snake_case names, `Long`s, oneof discriminators. The path of metrics and traces; for logs, the
 * reference the wire reader is tested against.
 */
export async function decodeProtobufTree(signal: OtlpSignal, body: Uint8Array, loadProtobuf: () => Promise<unknown> = () => import('protobufjs')): Promise<OtlpMessage> {
  return { signal, format: 'protobuf', message: (await protobufTypes(loadProtobuf))[signal].decode(body) };
}

/** What `readOtlp` hands each record of a request to, one at a time, as it reads it. */
export interface OtlpSink {
  log(record: OtlpLogRecord): void;
  span(span: OtlpSpan): void;
  point(point: OtlpDataPoint): void;
}

/**
 * Reads a parsed request's records into `sink`, one at a time: a record can be mapped and let go
 * before the next is read (a 1,000-record request does not hold 1,000 records at once).
 */
export function readOtlp({ signal, format, message }: OtlpMessage, sink: OtlpSink): void {
  readingProtobuf = format === 'protobuf';
  try {
    if (message instanceof CheckedLogsRequest) message.read(sink.log);
    else if (signal === 'logs') readLogs(message, sink.log);
    else if (signal === 'traces') readSpans(message, sink.span);
    else readPoints(message, sink.point);
  } finally {
    readingProtobuf = false;
  }
}
