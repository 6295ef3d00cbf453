/**
 * OTLP logs requests (`ExportLogsServiceRequest`, protobuf) read one log record at a time with protobufjs's
 * `Reader`, instead of decoded whole into a message tree first: with the tree, a 1,000-record request
 * survived a scavenge, and garbage collection was 30–45% of the receiver's time.
 *
 * Nothing of the format is typed in here: which field number is which, its wire type and the message type
 * it holds come from the official opentelemetry-proto schema (otlp-descriptor.ts, loaded with protobufjs's
 * `Root.fromJSON`), built once into one table per message type (`LogsWire`). The fields the walk reads are
 * found in those tables by their .proto names (`time_unix_nano`, `attributes`, ...) once, then read by number.
 *
 * A request is checked whole first (`LogsWire#check`: tags, each known field's wire type, lengths within
 * their message, nesting ≤ MAX_WIRE_DEPTH), so a malformed one is refused before any record is ingested;
 * only a checked request (`CheckedLogsRequest`) can be read. The records are those reading protobufjs's
 * decoded message gives (test/runners/otlp-wire.test.ts decodes the same bytes both ways).
 */
import type { OtlpAttributes, OtlpLogRecord } from './otlp-decode.js';
import { OTLP_DESCRIPTOR } from './otlp-descriptor.js';

/** Protobuf wire types (the ones proto3 uses; groups, 3 and 4, are refused). */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
/** Deepest nesting of messages accepted (AnyValue arrays and key-value lists nest; real ones are shallow). */
export const MAX_WIRE_DEPTH = 64;
export const LOGS_REQUEST_TYPE = 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest';

/** The reader protobufjs's `Reader.create` gives for a Buffer (its public members the walk uses). */
interface ProtobufReader {
  buf: Buffer;
  pos: number;
  /** The end reads are checked against (the buffer's length, narrowed here to the message being checked). */
  len: number;
  uint32(): number;
  int32(): number;
  int64(): number | { low: number; high: number };
  bool(): boolean;
  fixed32(): number;
  double(): number;
  string(): string;
  skip(length?: number): unknown;
  skipType(wireType: number): unknown;
}
/** A protobufjs reflection field, resolved (`Root#resolveAll`). */
interface SchemaField {
  name: string;
  id: number;
  type: string;
  repeated: boolean;
  map: boolean;
  resolvedType: SchemaType | object | null;
}
/** A protobufjs reflection message type. */
export interface SchemaType {
  fullName: string;
  fieldsArray: SchemaField[];
}
export interface SchemaRoot {
  lookupType(name: string): SchemaType;
  resolveAll(): unknown;
}
/** What the walk takes from protobufjs (an optional peer dependency, loaded by otlp-decode.ts). */
export interface ProtobufWireModule {
  Root: { fromJSON(json: Record<string, unknown>): SchemaRoot };
  Reader: { create(buffer: Uint8Array): ProtobufReader };
  /** Wire types of the scalar types, and of those a repeated field may pack. */
  types: { basic: Record<string, number | undefined>; packed: Record<string, number | undefined> };
}

/** One field of a message type, as the schema defines it. */
export interface WireField {
  /** Its .proto name. */
  name: string;
  /** The wire type its values must have. */
  wire: number;
  /** A repeated scalar, which may also come packed (length-delimited). */
  packed: boolean;
  /** Its message type's fields, when it holds a message. */
  message?: WireMessage;
}
/** A message type's fields by number (unknown numbers are skipped, as protobuf says). */
export type WireMessage = readonly (WireField | undefined)[];

/** The fields of `type` and, recursively, of the message types they hold (AnyValue and ArrayValue refer to each other). */
function wireMessage(protobuf: ProtobufWireModule, type: SchemaType, built: Map<string, WireField[]>): WireMessage {
  const existing = built.get(type.fullName);
  if (existing !== undefined) return existing;
  const fields: WireField[] = [];
  built.set(type.fullName, fields);
  for (const field of type.fieldsArray) {
    const nested = field.resolvedType;
    const isMessage = nested !== null && 'fieldsArray' in nested;
    // An enum is a varint; maps (none in OTLP) would be repeated entry messages, unchecked here.
    const wire = isMessage || field.map ? LEN : nested !== null ? VARINT : protobuf.types.basic[field.type];
    if (wire === undefined) throw new Error(`protobuf schema: ${type.fullName}.${field.name} has unknown type ${field.type}`);
    fields[field.id] = {
      name: field.name,
      wire,
      packed: field.repeated && !isMessage && protobuf.types.packed[field.type] !== undefined,
      ...(isMessage && !field.map ? { message: wireMessage(protobuf, nested as SchemaType, built) } : {}),
    };
  }
  return fields;
}

const malformed = (what: string): never => {
  throw new Error(`protobuf: ${what}`);
};

/** Where the message whose length the reader is at ends; the reader is left at its first field. */
function messageEnd(r: ProtobufReader): number {
  const length = r.uint32();
  return r.pos + length;
}

/** Skips a value of wire type `wire` of field `number`, refusing what proto3 never sends. */
function skipChecked(r: ProtobufReader, number: number, wire: number): void {
  switch (wire) {
    case VARINT: {
      const from = r.pos;
      r.skip();
      if (r.pos - from > 10) malformed(`field ${number}: varint longer than 10 bytes`);
      return;
    }
    case I64:
    case LEN:
    case I32:
      r.skipType(wire);
      return;
    default:
      malformed(`field ${number}: unsupported wire type ${wire}`);
  }
}

/** Checks the message at `r.pos..end` against `message`, recursively; throws what is wrong. */
function checkMessage(r: ProtobufReader, end: number, message: WireMessage, depth: number): void {
  if (depth > MAX_WIRE_DEPTH) malformed(`nested deeper than ${MAX_WIRE_DEPTH}`);
  const outer = r.len;
  r.len = end; // the Reader's own bounds checks then stop at this message's end, not the buffer's
  while (r.pos < end) {
    const tag = r.uint32();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (number === 0) malformed('invalid field tag (field number 0)');
    const field = message[number];
    if (field !== undefined && wire !== field.wire && !(field.packed && wire === LEN)) {
      malformed(`field ${number} (${field.name}): wire type ${wire}, expected ${field.wire}`);
    }
    if (field?.message === undefined) skipChecked(r, number, wire);
    else {
      const length = r.uint32();
      if (length > end - r.pos) malformed(`field ${number} (${field.name}): length beyond the message`);
      checkMessage(r, r.pos + length, field.message, depth + 1);
    }
  }
  r.len = outer;
}

/**
 * The prototype of attribute records: empty, with no prototype of its own, so no `__proto__` accessor
 * (a sender's keys, `__proto__` included, stay data) and nothing inherited. Unlike
 * `Object.create(null)`, which V8 keeps as a hash table, records over it keep a fast shape (smaller, and
 * quicker to read and copy).
 */
export const EMPTY_PROTOTYPE: object = Object.freeze(Object.create(null));

/** A signed 64-bit integer as protobufjs's `Reader#int64` gives it (a `Long`, or a number without long.js), as a number. */
const int64 = (v: number | { low: number; high: number }): number => (typeof v === 'number' ? v : (v.high | 0) * 4_294_967_296 + (v.low >>> 0));

/**
 * 64-bit nanoseconds (halves `lo` unsigned, `hi` as the sign wants) as milliseconds, whole milliseconds
 * exact (as from the string form): with 2^32 = 4294 × 10^6 + 967296, ns = hi × 4294 × 10^6 + (hi × 967296
 * + lo), each part exact.
 */
export function nanosToMs(lo: number, hi: number): number {
  const rest = hi * 967_296 + lo;
  const restMs = Math.floor(rest / 1e6);
  return hi * 4294 + restMs + (rest - restMs * 1e6) / 1e6;
}

/** Buffer's own hex decoder, without `toString`'s argument handling (most of its cost on short ids). */
const hexSlice = (b: Buffer, from: number, to: number) => (b as unknown as { hexSlice(from: number, to: number): string }).hexSlice(from, to);

/** The bytes field the reader is at, as hex; undefined when empty (as an unset id reads). */
function hexOf(r: ProtobufReader): string | undefined {
  const length = r.uint32();
  const from = r.pos;
  r.skip(length);
  return length > 0 ? hexSlice(r.buf, from, r.pos) : undefined;
}

/** Attribute keys repeat from record to record: each is decoded once and kept, found again by its bytes. */
const KEY_SLOTS = 1024;
const MAX_KEPT_KEY = 64;
const keptKeys: (string | undefined)[] = new Array<string | undefined>(KEY_SLOTS).fill(undefined);

/** Whether `key` is the ASCII reading of `b[from..from + key.length)` (a non-ASCII key never matches: its bytes are not its code units). */
function isKeyAt(key: string, b: Buffer, from: number): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== b[from + i]) return false;
  return true;
}

/** The attribute key (a string field) the reader is at: a kept string when the same bytes came before (no new string for V8 to hash and intern). */
function keyOf(r: ProtobufReader): string {
  const from = r.pos;
  const size = r.uint32();
  if (size > MAX_KEPT_KEY) {
    r.pos = from;
    return r.string();
  }
  const b = r.buf;
  const at = r.pos;
  r.skip(size);
  let hash = size;
  for (let i = at; i < at + size; i++) hash = Math.imul(hash ^ b[i]!, 0x01000193);
  const slot = (hash ^ (hash >>> 15)) & (KEY_SLOTS - 1);
  const kept = keptKeys[slot];
  if (kept !== undefined && kept.length === size && isKeyAt(kept, b, at)) return kept;
  r.pos = from;
  const key = r.string();
  keptKeys[slot] = key;
  return key;
}

/**
 * Where the last field `number` of the message at `r.pos..end` is (just past its tag), or -1; the reader is
 * left where it was. A resource and a scope may come after the records they apply to.
 */
function findLast(r: ProtobufReader, end: number, number: number): number {
  const start = r.pos;
  let found = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === number) found = r.pos;
    r.skipType(tag & 7);
  }
  r.pos = start;
  return found;
}

/** The number of the field `name` of `message` in the schema; the schema not having it is a load-time error. */
function numberOf(message: WireMessage, name: string): number {
  const number = message.findIndex((field) => field?.name === name);
  if (number < 0) throw new Error(`protobuf schema: no field ${name}`);
  return number;
}

/**
 * The numbers of the fields the walk reads, looked up by .proto name once when the tables are built: the
 * walk then compares numbers, as protobuf's own generated decoders do.
 */
function fieldNumbers(t: { request: WireMessage; resourceLogs: WireMessage; resource: WireMessage; scopeLogs: WireMessage; scope: WireMessage; logRecord: WireMessage; anyValue: WireMessage; arrayValue: WireMessage; keyValueList: WireMessage; keyValue: WireMessage }) {
  return {
    resourceLogs: numberOf(t.request, 'resource_logs'),
    resource: numberOf(t.resourceLogs, 'resource'),
    scopeLogs: numberOf(t.resourceLogs, 'scope_logs'),
    resourceAttributes: numberOf(t.resource, 'attributes'),
    scope: numberOf(t.scopeLogs, 'scope'),
    logRecords: numberOf(t.scopeLogs, 'log_records'),
    scopeName: numberOf(t.scope, 'name'),
    attributes: numberOf(t.logRecord, 'attributes'),
    timeUnixNano: numberOf(t.logRecord, 'time_unix_nano'),
    observedTimeUnixNano: numberOf(t.logRecord, 'observed_time_unix_nano'),
    severityNumber: numberOf(t.logRecord, 'severity_number'),
    severityText: numberOf(t.logRecord, 'severity_text'),
    body: numberOf(t.logRecord, 'body'),
    traceId: numberOf(t.logRecord, 'trace_id'),
    spanId: numberOf(t.logRecord, 'span_id'),
    eventName: numberOf(t.logRecord, 'event_name'),
    stringValue: numberOf(t.anyValue, 'string_value'),
    boolValue: numberOf(t.anyValue, 'bool_value'),
    intValue: numberOf(t.anyValue, 'int_value'),
    doubleValue: numberOf(t.anyValue, 'double_value'),
    arrayValue: numberOf(t.anyValue, 'array_value'),
    kvlistValue: numberOf(t.anyValue, 'kvlist_value'),
    bytesValue: numberOf(t.anyValue, 'bytes_value'),
    arrayValues: numberOf(t.arrayValue, 'values'),
    kvlistValues: numberOf(t.keyValueList, 'values'),
    key: numberOf(t.keyValue, 'key'),
    value: numberOf(t.keyValue, 'value'),
  };
}

/**
 * The logs request schema as the walk needs it, with protobufjs's Reader: built once from protobufjs and
 * the OTLP descriptor (or `root`, another schema: the tests give one with moved fields).
 */
export class LogsWire {
  private readonly Reader: ProtobufWireModule['Reader'];
  private readonly built = new Map<string, WireField[]>();
  private readonly request: WireMessage;
  private readonly anyValue: WireMessage;
  private readonly n: ReturnType<typeof fieldNumbers>;

  constructor(protobuf: ProtobufWireModule, root: SchemaRoot = protobuf.Root.fromJSON(OTLP_DESCRIPTOR)) {
    root.resolveAll();
    this.Reader = protobuf.Reader;
    // lookupType throws at load time if the schema lacks one of them.
    const table = (name: string) => wireMessage(protobuf, root.lookupType(name), this.built);
    this.request = table(LOGS_REQUEST_TYPE);
    this.anyValue = table('opentelemetry.proto.common.v1.AnyValue');
    this.n = fieldNumbers({
      request: this.request,
      resourceLogs: table('opentelemetry.proto.logs.v1.ResourceLogs'),
      resource: table('opentelemetry.proto.resource.v1.Resource'),
      scopeLogs: table('opentelemetry.proto.logs.v1.ScopeLogs'),
      scope: table('opentelemetry.proto.common.v1.InstrumentationScope'),
      logRecord: table('opentelemetry.proto.logs.v1.LogRecord'),
      anyValue: this.anyValue,
      arrayValue: table('opentelemetry.proto.common.v1.ArrayValue'),
      keyValueList: table('opentelemetry.proto.common.v1.KeyValueList'),
      keyValue: table('opentelemetry.proto.common.v1.KeyValue'),
    });
  }

  /** The fields of message type `fullName` (without the leading dot) as the walk checks them; undefined if the request does not hold it. */
  fieldsOf(fullName: string): WireMessage | undefined {
    return this.built.get(`.${fullName}`) ?? this.built.get(fullName);
  }

  /** Throws (with what is wrong) unless `body` is a well-formed `ExportLogsServiceRequest`; then it can be read. */
  check(body: Uint8Array): CheckedLogsRequest {
    const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const r = this.Reader.create(buffer);
    try {
      checkMessage(r, r.len, this.request, 0);
    } catch (error) {
      // The Reader's own bounds checks: a value or varint running past its message.
      if (error instanceof RangeError) malformed(`truncated (${error.message})`);
      throw error;
    }
    return new CheckedLogsRequest(this, buffer);
  }

  /**
   * Reads a request `check` passed (see `CheckedLogsRequest#read`) into `sink`, one record at a time. Each
   * field is read by its number in the schema (`fieldNumbers`), with the wire type `check` found it has.
   */
  read(body: Buffer, sink: (record: OtlpLogRecord) => void): void {
    const r = this.Reader.create(body);
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === this.n.resourceLogs) this.readResourceLogs(r, messageEnd(r), sink);
      else r.skipType(tag & 7);
    }
  }

  private readResourceLogs(r: ProtobufReader, end: number, sink: (record: OtlpLogRecord) => void): void {
    const start = r.pos;
    const resourceAt = findLast(r, end, this.n.resource);
    let resource: OtlpAttributes = Object.create(EMPTY_PROTOTYPE);
    if (resourceAt >= 0) {
      r.pos = resourceAt;
      resource = this.keyValues(r, messageEnd(r), this.n.resourceAttributes);
      r.pos = start;
    }
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === this.n.scopeLogs) this.readScopeLogs(r, messageEnd(r), resource, sink);
      else r.skipType(tag & 7);
    }
  }

  private readScopeLogs(r: ProtobufReader, end: number, resource: OtlpAttributes, sink: (record: OtlpLogRecord) => void): void {
    const start = r.pos;
    const scopeAt = findLast(r, end, this.n.scope);
    let scope = '';
    if (scopeAt >= 0) {
      r.pos = scopeAt;
      const nameAt = findLast(r, messageEnd(r), this.n.scopeName);
      if (nameAt >= 0) {
        r.pos = nameAt;
        scope = r.string();
      }
      r.pos = start;
    }
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === this.n.logRecords) sink(this.readLogRecord(r, messageEnd(r), resource, scope));
      else r.skipType(tag & 7);
    }
  }

  /** The record at `r.pos..end`, in `readLogs`' shape (otlp-decode.ts). */
  private readLogRecord(r: ProtobufReader, end: number, resource: OtlpAttributes, scope: string): OtlpLogRecord {
    let timeLow = 0;
    let timeHigh = 0;
    let observedLow = 0;
    let observedHigh = 0;
    let severityNumber = 0;
    let severityText = '';
    let eventName = '';
    let body: unknown;
    let traceId: string | undefined;
    let spanId: string | undefined;
    const attributes: OtlpAttributes = Object.create(EMPTY_PROTOTYPE);
    const n = this.n;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag >>> 3) {
        case n.attributes:
          this.addKeyValue(r, messageEnd(r), attributes);
          break;
        case n.timeUnixNano: // fixed64, as its two little-endian halves (no Long)
          timeLow = r.fixed32();
          timeHigh = r.fixed32();
          break;
        case n.observedTimeUnixNano:
          observedLow = r.fixed32();
          observedHigh = r.fixed32();
          break;
        case n.severityNumber:
          severityNumber = r.int32();
          break;
        case n.severityText:
          severityText = r.string();
          break;
        case n.body:
          body = this.readAnyValue(r, messageEnd(r));
          break;
        case n.traceId:
          traceId = hexOf(r);
          break;
        case n.spanId:
          spanId = hexOf(r);
          break;
        case n.eventName:
          eventName = r.string();
          break;
        default:
          r.skipType(tag & 7);
      }
    }
    const time = nanosToMs(timeLow, timeHigh);
    const record: OtlpLogRecord = { timeMs: time > 0 ? time : nanosToMs(observedLow, observedHigh), body, attributes, resource, scope };
    if (severityText !== '') record.severityText = severityText;
    if (severityNumber > 0) record.severityNumber = severityNumber;
    if (eventName !== '') record.eventName = eventName;
    if (traceId !== undefined) record.traceId = traceId;
    if (spanId !== undefined) record.spanId = spanId;
    return record;
  }

  /** The AnyValue at `r.pos..end` as plain JSON: its last member set, as protobufjs keeps it ('' when none is). */
  private readAnyValue(r: ProtobufReader, end: number): unknown {
    let value: unknown = '';
    const n = this.n;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag >>> 3) {
        case n.stringValue:
          value = r.string();
          break;
        case n.intValue:
          value = int64(r.int64());
          break;
        case n.doubleValue:
          value = r.double();
          break;
        case n.boolValue:
          value = r.bool();
          break;
        case n.arrayValue:
          value = this.readArrayValue(r, messageEnd(r));
          break;
        case n.kvlistValue:
          value = this.keyValues(r, messageEnd(r), n.kvlistValues);
          break;
        case n.bytesValue:
          value = hexOf(r);
          break;
        default:
          // Another member of the `value` oneof (`string_value_strindex`): set, with no value read here.
          if (this.anyValue[tag >>> 3] !== undefined) value = undefined;
          r.skipType(tag & 7);
      }
    }
    return value;
  }

  private readArrayValue(r: ProtobufReader, end: number): unknown[] {
    const values: unknown[] = [];
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === this.n.arrayValues) values.push(this.readAnyValue(r, messageEnd(r)));
      else r.skipType(tag & 7);
    }
    return values;
  }

  /** Adds the KeyValue at `r.pos..end` to `out` (a missing key is `''`, a missing value `undefined`). */
  private addKeyValue(r: ProtobufReader, end: number, out: OtlpAttributes): void {
    let key = '';
    let value: unknown;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag >>> 3) {
        case this.n.key:
          key = keyOf(r);
          break;
        case this.n.value:
          value = this.readAnyValue(r, messageEnd(r));
          break;
        default:
          r.skipType(tag & 7);
      }
    }
    out[key] = value;
  }

  /** The KeyValues in field `number` of the message at `r.pos..end`, as a record. */
  private keyValues(r: ProtobufReader, end: number, number: number): OtlpAttributes {
    const out: OtlpAttributes = Object.create(EMPTY_PROTOTYPE);
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === number) this.addKeyValue(r, messageEnd(r), out);
      else r.skipType(tag & 7);
    }
    return out;
  }
}

/** A logs request `LogsWire#check` found well-formed: only such a request is read. */
export class CheckedLogsRequest {
  constructor(
    private readonly wire: LogsWire,
    readonly body: Buffer,
  ) {}

  /** Reads the request's records into `sink`, one at a time. */
  read(sink: (record: OtlpLogRecord) => void): void {
    this.wire.read(this.body, sink);
  }
}
