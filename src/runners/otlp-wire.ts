/**
 * OTLP logs requests (`ExportLogsServiceRequest`, protobuf) read straight from the wire bytes, one log
 * record at a time, instead of decoding the whole request into a tree first: with protobufjs, a
 * 1,000-record request's tree survived a scavenge, and garbage collection was 30–45% of the receiver's
 * time. The walk follows the opentelemetry-proto schema (otlp-descriptor.ts: logs/v1, common/v1,
 * resource/v1) and gives what reading protobufjs's decoded message gives (test/runners/otlp-wire.test.ts
 * decodes the same bytes both ways). A request is checked whole (`checkLogsRequest`: tags, wire types,
 * lengths, nesting) before any record is read, so a malformed one is refused without a partial ingest.
 */
import type { OtlpAttributes, OtlpLogRecord } from './otlp-decode.js';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
/** Deepest nesting of messages accepted (AnyValue arrays and key-value lists nest; real ones are shallow). */
export const MAX_WIRE_DEPTH = 64;

/** What a message's field must be: its wire type, and its message type when it is one. */
interface FieldSpec {
  wire: number;
  message?: MessageSpec;
}
/** A message type: its known fields by number (unknown ones are skipped, as protobuf says). */
type MessageSpec = (FieldSpec | undefined)[];

const spec = (fields: Record<number, FieldSpec>): MessageSpec => {
  const out: MessageSpec = [];
  for (const [number, field] of Object.entries(fields)) out[Number(number)] = field;
  return out;
};
const scalar = (wire: number): FieldSpec => ({ wire });
const STRING = scalar(LEN);

// common/v1: AnyValue, ArrayValue, KeyValueList and KeyValue refer to each other.
const ANY_VALUE: MessageSpec = [];
const KEY_VALUE = spec({ 1: STRING, 2: { wire: LEN, message: ANY_VALUE }, 3: scalar(VARINT) });
const ARRAY_VALUE = spec({ 1: { wire: LEN, message: ANY_VALUE } });
const KEY_VALUE_LIST = spec({ 1: { wire: LEN, message: KEY_VALUE } });
Object.assign(
  ANY_VALUE,
  spec({
    1: STRING,
    2: scalar(VARINT),
    3: scalar(VARINT),
    4: scalar(I64),
    5: { wire: LEN, message: ARRAY_VALUE },
    6: { wire: LEN, message: KEY_VALUE_LIST },
    7: scalar(LEN),
    8: scalar(VARINT),
  }),
);
const ATTRIBUTE = { wire: LEN, message: KEY_VALUE };
const SCOPE = spec({ 1: STRING, 2: STRING, 3: ATTRIBUTE, 4: scalar(VARINT) });
const RESOURCE = spec({ 1: ATTRIBUTE, 2: scalar(VARINT), 3: scalar(LEN) });
const LOG_RECORD = spec({
  1: scalar(I64),
  11: scalar(I64),
  2: scalar(VARINT),
  3: STRING,
  5: { wire: LEN, message: ANY_VALUE },
  6: ATTRIBUTE,
  7: scalar(VARINT),
  8: scalar(I32),
  9: scalar(LEN),
  10: scalar(LEN),
  12: STRING,
});
const SCOPE_LOGS = spec({ 1: { wire: LEN, message: SCOPE }, 2: { wire: LEN, message: LOG_RECORD }, 3: STRING });
const RESOURCE_LOGS = spec({ 1: { wire: LEN, message: RESOURCE }, 2: { wire: LEN, message: SCOPE_LOGS }, 3: STRING });
const LOGS_REQUEST = spec({ 1: { wire: LEN, message: RESOURCE_LOGS } });

const malformed = (what: string): never => {
  throw new Error(`protobuf: ${what}`);
};

// The field just read by `next` (the walk is synchronous): its number, wire type, and where its
// value is: `at..end` of a length-delimited one, the 64-bit varint as `low`/`high`, or `at` of a fixed one.
let fieldNumber = 0;
let wireType = 0;
let at = 0;
let end = 0;
let low = 0;
let high = 0;

/** Reads a varint at `pos` (before `limit`) into `low`/`high`; the position after it. */
function varint(b: Uint8Array, pos: number, limit: number): number {
  let lo = 0;
  let hi = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= limit) malformed('truncated varint');
    if (shift > 63) malformed('varint longer than 10 bytes');
    const byte = b[pos++]!;
    if (shift < 28) lo |= (byte & 0x7f) << shift;
    else if (shift === 28) {
      lo |= (byte & 0x0f) << 28;
      hi |= (byte & 0x7f) >>> 4;
    } else hi |= (byte & 0x7f) << (shift - 32);
    if (byte < 0x80) break;
  }
  low = lo >>> 0;
  high = hi >>> 0;
  return pos;
}

/** Reads the field at `pos` (before `limit`) into the state above; the position after it. */
function next(b: Uint8Array, pos: number, limit: number): number {
  pos = varint(b, pos, limit);
  if (high !== 0 || low < 8) malformed('invalid field tag');
  fieldNumber = low >>> 3;
  wireType = low & 7;
  at = pos;
  switch (wireType) {
    case VARINT:
      return varint(b, pos, limit);
    case I64:
      end = pos + 8;
      break;
    case LEN:
      pos = varint(b, pos, limit);
      if (high !== 0 || low > limit - pos) malformed(`field ${fieldNumber}: length beyond the message`);
      at = pos;
      end = pos + low;
      break;
    case I32:
      end = pos + 4;
      break;
    default:
      return malformed(`field ${fieldNumber}: unsupported wire type ${wireType}`);
  }
  if (end > limit) malformed(`field ${fieldNumber}: truncated`);
  return end;
}

/** Checks `b[pos..limit)` as a message of type `message`, recursively; throws what is wrong. */
function check(b: Uint8Array, pos: number, limit: number, message: MessageSpec, depth: number): void {
  if (depth > MAX_WIRE_DEPTH) malformed(`nested deeper than ${MAX_WIRE_DEPTH}`);
  while (pos < limit) {
    pos = next(b, pos, limit);
    const field = message[fieldNumber];
    if (field === undefined) continue;
    if (field.wire !== wireType) malformed(`field ${fieldNumber}: wire type ${wireType}, expected ${field.wire}`);
    if (field.message !== undefined) check(b, at, end, field.message, depth + 1);
  }
}

/** Throws (with what is wrong) unless `body` is a well-formed `ExportLogsServiceRequest`. */
export function checkLogsRequest(body: Uint8Array): void {
  check(body, 0, body.length, LOGS_REQUEST, 0);
}

/**
 * The prototype of attribute records: empty, with no prototype of its own, so no `__proto__` accessor
 * (a sender's keys, `__proto__` included, stay data) and nothing inherited. Unlike
 * `Object.create(null)`, which V8 keeps as a hash table, records over it keep a fast shape (smaller, and
 * quicker to read and copy).
 */
export const EMPTY_PROTOTYPE: object = Object.freeze(Object.create(null));

/** A signed 64-bit integer from its halves, as protobufjs's `Long` reads as a number. */
const int64 = (lo: number, hi: number): number => (hi | 0) * 4_294_967_296 + lo;

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

const fixed64Low = (b: Buffer, pos: number) => b.readUInt32LE(pos);
const fixed64High = (b: Buffer, pos: number) => b.readUInt32LE(pos + 4);
/** `Buffer#toString`'s own decoders, without its argument handling (most of its cost on short strings). */
interface BufferSlices {
  utf8Slice(from: number, to: number): string;
  hexSlice(from: number, to: number): string;
}
const utf8 = (b: Buffer, from: number, to: number) => (b as unknown as BufferSlices).utf8Slice(from, to);
const hexOf = (b: Buffer, from: number, to: number) => (to > from ? (b as unknown as BufferSlices).hexSlice(from, to) : undefined);

/** Attribute keys repeat from record to record: each is decoded once and kept, found again by its bytes. */
const KEY_SLOTS = 1024;
const MAX_KEPT_KEY = 64;
const keptKeys: (string | undefined)[] = new Array<string | undefined>(KEY_SLOTS).fill(undefined);

/** Whether `key` is the ASCII reading of `b[from..from + key.length)` (a non-ASCII key never matches: its bytes are not its code units). */
function isKeyAt(key: string, b: Buffer, from: number): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== b[from + i]) return false;
  return true;
}

/** The attribute key `b[from..to)`: a kept string when the same bytes came before (no new string for V8 to hash and intern). */
function keyAt(b: Buffer, from: number, to: number): string {
  const size = to - from;
  if (size > MAX_KEPT_KEY) return utf8(b, from, to);
  let hash = size;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ b[i]!, 0x01000193);
  const slot = (hash ^ (hash >>> 15)) & (KEY_SLOTS - 1);
  const kept = keptKeys[slot];
  if (kept !== undefined && kept.length === size && isKeyAt(kept, b, from)) return kept;
  const key = utf8(b, from, to);
  keptKeys[slot] = key;
  return key;
}

/** The AnyValue at `b[pos..limit)` as plain JSON: its last member set, as protobufjs keeps it. */
function anyValue(b: Buffer, pos: number, limit: number): unknown {
  let value: unknown = '';
  while (pos < limit) {
    pos = next(b, pos, limit);
    switch (fieldNumber) {
      case 1:
        value = utf8(b, at, end);
        break;
      case 2:
        value = low !== 0;
        break;
      case 3:
        value = int64(low, high);
        break;
      case 4:
        value = b.readDoubleLE(at);
        break;
      case 5:
        value = arrayValue(b, at, end);
        break;
      case 6:
        value = keyValues(b, at, end, 1);
        break;
      case 7:
        value = hexOf(b, at, end);
        break;
      case 8:
        value = undefined;
        break;
    }
  }
  return value;
}

function arrayValue(b: Buffer, pos: number, limit: number): unknown[] {
  const values: unknown[] = [];
  while (pos < limit) {
    pos = next(b, pos, limit);
    if (fieldNumber === 1) values.push(anyValue(b, at, end));
  }
  return values;
}

/** Adds the KeyValue at `b[pos..limit)` to `out` (a missing key is `''`, a missing value `undefined`). */
function addKeyValue(b: Buffer, pos: number, limit: number, out: OtlpAttributes): void {
  let key = '';
  let valueAt = -1;
  let valueEnd = -1;
  while (pos < limit) {
    pos = next(b, pos, limit);
    if (fieldNumber === 1) key = keyAt(b, at, end);
    else if (fieldNumber === 2) {
      valueAt = at;
      valueEnd = end;
    }
  }
  out[key] = valueAt < 0 ? undefined : anyValue(b, valueAt, valueEnd);
}

/** The KeyValues in field `number` of the message at `b[pos..limit)`, as a record. */
function keyValues(b: Buffer, pos: number, limit: number, number: number, out: OtlpAttributes = Object.create(EMPTY_PROTOTYPE)): OtlpAttributes {
  while (pos < limit) {
    pos = next(b, pos, limit);
    if (fieldNumber === number) addKeyValue(b, at, end, out);
  }
  return out;
}

/** Where the last occurrence of field `number` of the message at `b[pos..limit)` is, as `[at, end]`; undefined if none. */
function lastField(b: Buffer, pos: number, limit: number, number: number): [number, number] | undefined {
  let found: [number, number] | undefined;
  while (pos < limit) {
    pos = next(b, pos, limit);
    if (fieldNumber === number) found = [at, end];
  }
  return found;
}

/** The record at `b[pos..limit)`, in `readLogs`' shape (otlp-decode.ts). */
function logRecord(b: Buffer, pos: number, limit: number, resource: OtlpAttributes, scope: string): OtlpLogRecord {
  let timeLow = 0;
  let timeHigh = 0;
  let observedLow = 0;
  let observedHigh = 0;
  let severityNumber = 0;
  let severityText = '';
  let eventName = '';
  let bodyAt = -1;
  let bodyEnd = -1;
  let traceId: string | undefined;
  let spanId: string | undefined;
  const attributes: OtlpAttributes = Object.create(EMPTY_PROTOTYPE);
  while (pos < limit) {
    pos = next(b, pos, limit);
    switch (fieldNumber) {
      case 1:
        timeLow = fixed64Low(b, at);
        timeHigh = fixed64High(b, at);
        break;
      case 11:
        observedLow = fixed64Low(b, at);
        observedHigh = fixed64High(b, at);
        break;
      case 2:
        severityNumber = low | 0;
        break;
      case 3:
        severityText = utf8(b, at, end);
        break;
      case 5:
        bodyAt = at;
        bodyEnd = end;
        break;
      case 6:
        addKeyValue(b, at, end, attributes);
        break;
      case 9:
        traceId = hexOf(b, at, end);
        break;
      case 10:
        spanId = hexOf(b, at, end);
        break;
      case 12:
        eventName = utf8(b, at, end);
        break;
    }
  }
  const time = nanosToMs(timeLow, timeHigh);
  const record: OtlpLogRecord = {
    timeMs: time > 0 ? time : nanosToMs(observedLow, observedHigh),
    body: bodyAt < 0 ? undefined : anyValue(b, bodyAt, bodyEnd),
    attributes,
    resource,
    scope,
  };
  if (severityText !== '') record.severityText = severityText;
  if (severityNumber > 0) record.severityNumber = severityNumber;
  if (eventName !== '') record.eventName = eventName;
  if (traceId !== undefined) record.traceId = traceId;
  if (spanId !== undefined) record.spanId = spanId;
  return record;
}

function scopeLogs(b: Buffer, pos: number, limit: number, resource: OtlpAttributes, sink: (record: OtlpLogRecord) => void): void {
  const scopeAt = lastField(b, pos, limit, 1);
  const nameAt = scopeAt === undefined ? undefined : lastField(b, scopeAt[0], scopeAt[1], 1);
  const scope = nameAt === undefined ? '' : utf8(b, nameAt[0], nameAt[1]);
  while (pos < limit) {
    pos = next(b, pos, limit);
    if (fieldNumber === 2) {
      const recordEnd = end;
      sink(logRecord(b, at, recordEnd, resource, scope));
    }
  }
}

function resourceLogs(b: Buffer, pos: number, limit: number, sink: (record: OtlpLogRecord) => void): void {
  const resourceAt = lastField(b, pos, limit, 1);
  const resource = resourceAt === undefined ? Object.create(EMPTY_PROTOTYPE) : keyValues(b, resourceAt[0], resourceAt[1], 1);
  while (pos < limit) {
    pos = next(b, pos, limit);
    if (fieldNumber === 2) scopeLogs(b, at, end, resource, sink);
  }
}

/**
 * Reads a logs request checked by `checkLogsRequest` into `sink`, one record at a time. The walk is
 * synchronous: `next`'s state belongs to one walk at a time, and a sink must not start another.
 */
export function readLogsWire(body: Uint8Array, sink: (record: OtlpLogRecord) => void): void {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let pos = 0;
  const limit = b.length;
  while (pos < limit) {
    pos = next(b, pos, limit);
    if (fieldNumber === 1) resourceLogs(b, at, end, sink);
  }
}
