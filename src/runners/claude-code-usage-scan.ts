/**
 * A byte-level reader for the usage lines of Claude Code transcripts, so `fleetscope usage` does
 * not `JSON.parse` every assistant line (most of its bytes are content nobody counts) nor build
 * objects for it (their garbage, not the parse, set the young generation's size and so the peak
 * memory).
 *
 * `readUsageLine(buf, start, end, out)` walks the line's JSON structure without building it, notes
 * where the few values `toUsageEntry` reads are (`timestamp`, `message.usage` / `model` / `id` /
 * `content`, `requestId`, `sessionId`, `cwd`, `version`, `costUSD`, `isApiErrorMessage`,
 * `isSidechain`, `agentId`), checks them by `toUsageEntry`'s rules and writes what `usage` keeps
 * into `out`, equal to `usageLineOf(toUsageEntry(JSON.parse(line)))`. It answers false whenever the
 * line is not of the plain shape it knows, and the caller then parses the line whole: a key with an
 * escape, a structural error (torn line), a `progress` line, a content block that is not an object
 * or whose `text` is not a string, a Task/Agent tool call or a tool result (the subagent joins read
 * those), a field of the wrong type, a line that does not count, nesting too deep.
 *
 * Claude Code writes the keys of the top level, `message` and `usage` in the same order line after
 * line: the walk knows such a key by comparing its bytes with the last line's key at the same
 * position (`Layout`), and takes the generic path (scan the key, look it up) on any difference.
 *
 * What it does not check in the strings it jumps over (found by their closing quote): escape
 * sequences and raw control characters, which `JSON.parse` would reject. Claude Code writes its
 * lines with `JSON.stringify`, which never produces either; a torn line fails the structure.
 */

import { costFromTokens, type UsageEntry } from './claude-code-transcript.js';

/** Result of a walk: the index after the value, or -1 (the caller falls back to `JSON.parse`). */
const FAIL = -1;
const MAX_DEPTH = 64;

const EMPTY = Buffer.alloc(0);
let b: Buffer = EMPTY;
let end = 0;

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

// Keys read at the top level, in `message`, in `usage`, in `usage.cache_creation` and in content blocks.
const TOP_NAMES = ['timestamp', 'message', 'cwd', 'sessionId', 'requestId', 'version', 'costUSD', 'isApiErrorMessage', 'isSidechain', 'agentId', 'type'];
const MESSAGE_NAMES = ['usage', 'model', 'id', 'content'];
const USAGE_NAMES = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'speed', 'cache_creation'];
const TOP = TOP_NAMES.map(ascii);
const MESSAGE = MESSAGE_NAMES.map(ascii);
const USAGE = USAGE_NAMES.map(ascii);
const CACHE_CREATION = [ascii('ephemeral_1h_input_tokens')];
const BLOCK = ['type', 'name', 'text'].map(ascii);
const [T_TIMESTAMP, T_MESSAGE, T_CWD, T_SESSION, T_REQUEST, T_VERSION, T_COST, T_API_ERROR, T_SIDECHAIN, T_AGENT, T_TYPE] = TOP_NAMES.map((_, k) => k) as [number, number, number, number, number, number, number, number, number, number, number];
const [M_USAGE, M_MODEL, M_ID, M_CONTENT] = [0, 1, 2, 3];
const [U_INPUT, U_OUTPUT, U_CACHE_WRITE, U_CACHE_READ, U_SPEED, U_CACHE_CREATION] = [0, 1, 2, 3, 4, 5];
const [B_TYPE, B_NAME, B_TEXT] = [0, 1, 2];
const PROGRESS = ascii('progress');
const TOOL_RESULT = ascii('tool_result');
const TASK = ascii('Task');
const AGENT = ascii('Agent');

function skipWs(i: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    i++;
  }
  return i;
}

/**
 * The index of the quote closing the JSON string that opens at `open` (`buf[open]` is `"`), found by
 * jumping quote to quote and counting the backslashes before each; -1 when it is not before `limit`.
 */
export function closingQuote(buf: Buffer, open: number, limit: number): number {
  let from = open + 1;
  for (;;) {
    const q = buf.indexOf(34, from);
    if (q === -1 || q >= limit) return -1;
    let k = q - 1;
    while (buf[k] === 92) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    from = q + 1;
  }
}

/** The index after the string opening at `i`. */
function skipString(i: number): number {
  const q = closingQuote(b, i, end);
  return q === -1 ? FAIL : q + 1;
}

/** The index after a short string without escapes opening at `i` (keys), or FAIL. */
function skipPlainString(i: number): number {
  for (let k = i + 1; k < end; k++) {
    const c = b[k];
    if (c === 34) return k + 1;
    if (c === 92) return FAIL;
  }
  return FAIL;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

/** The index after a number in JSON's grammar starting at `i`, or FAIL. */
function skipNumber(i: number): number {
  if (b[i] === 45) i++;
  if (b[i] === 48) i++;
  else if (isDigit(b[i])) while (isDigit(b[i])) i++;
  else return FAIL;
  if (b[i] === 46) {
    i++;
    if (!isDigit(b[i])) return FAIL;
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 101 || b[i] === 69) {
    i++;
    if (b[i] === 43 || b[i] === 45) i++;
    if (!isDigit(b[i])) return FAIL;
    while (isDigit(b[i])) i++;
  }
  return i <= end ? i : FAIL;
}

function skipWord(i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return FAIL;
  return i + word.length <= end ? i + word.length : FAIL;
}

/** The index after any JSON value at `i` (structure checked, strings jumped), or FAIL. */
function skipValue(i: number, depth: number): number {
  const c = b[i];
  if (c === 34) return skipString(i);
  if (c === 123) return walkObject(i, depth, undefined, noKey);
  if (c === 91) return walkArray(i, depth, skipValue);
  if (c === 116) return skipWord(i, 'true');
  if (c === 102) return skipWord(i, 'false');
  if (c === 110) return skipWord(i, 'null');
  return skipNumber(i);
}

/** Which of `keys` the key in `[from, to)` is, or -1. */
function keyIndex(keys: readonly Uint8Array[], from: number, to: number): number {
  for (let k = 0; k < keys.length; k++) if (sameBytes(from, to, keys[k]!)) return k;
  return -1;
}

function sameBytes(from: number, to: number, word: Uint8Array): boolean {
  if (to - from !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (b[from + i] !== word[i]) return false;
  return true;
}

/** Reads the value of a known key at `i`; returns the index after it, or FAIL. */
type OnKey = (key: number, i: number, depth: number) => number;

const noKey: OnKey = (_key, i, depth) => skipValue(i, depth);

/**
 * The keys of one kind of object (the top level, `message`, `usage`) as the last line wrote them:
 * per position, the bytes `"name":` and the key's index in its list (-1: a key not read). Claude
 * Code writes the same keys in the same order line after line, so a key is known by comparing its
 * bytes with the last line's key at the same position, without scanning it and looking it up.
 * Exact: matched bytes are a key without escapes and its colon, as the generic path requires.
 */
interface Layout {
  keys: Array<Uint8Array | undefined>;
  index: number[];
}
const MAX_LAYOUT = 32;
const newLayout = (): Layout => ({ keys: [], index: [] });

function matchAt(i: number, word: Uint8Array): boolean {
  if (i + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return false;
  return true;
}

/** Walks the object at `i`, handing each value of a key in `keys` to `onKey` and skipping the rest. */
function walkObject(i: number, depth: number, keys: readonly Uint8Array[] | undefined, onKey: OnKey, layout?: Layout): number {
  if (depth > MAX_DEPTH) return FAIL;
  i = skipWs(i + 1);
  if (b[i] === 125) return i + 1;
  for (let at = 0; ; at++) {
    let key: number;
    const known = layout !== undefined && at < MAX_LAYOUT ? layout.keys[at] : undefined;
    if (known !== undefined && matchAt(i, known)) {
      key = layout!.index[at]!;
      i = skipWs(i + known.length);
    } else {
      if (b[i] !== 34) return FAIL;
      const keyEnd = skipPlainString(i);
      if (keyEnd === FAIL) return FAIL;
      key = keys === undefined ? -1 : keyIndex(keys, i + 1, keyEnd - 1);
      if (layout !== undefined && at < MAX_LAYOUT) {
        // A copy (the buffer is reused), and only of a key its colon follows directly.
        layout.keys[at] = b[keyEnd] === 58 ? new Uint8Array(b.subarray(i, keyEnd + 1)) : undefined;
        layout.index[at] = key;
      }
      i = skipWs(keyEnd);
      if (b[i] !== 58) return FAIL;
      i = skipWs(i + 1);
    }
    i = key === -1 ? skipValue(i, depth + 1) : onKey(key, i, depth + 1);
    if (i === FAIL) return FAIL;
    i = skipWs(i);
    if (b[i] === 125) return i + 1;
    if (b[i] !== 44) return FAIL;
    i = skipWs(i + 1);
  }
}

function walkArray(i: number, depth: number, onItem: (i: number, depth: number) => number): number {
  if (depth > MAX_DEPTH) return FAIL;
  i = skipWs(i + 1);
  if (b[i] === 93) return i + 1;
  for (;;) {
    i = onItem(i, depth + 1);
    if (i === FAIL) return FAIL;
    i = skipWs(i);
    if (b[i] === 93) return i + 1;
    if (b[i] !== 44) return FAIL;
    i = skipWs(i + 1);
  }
}

// ── Where the values are ────────────────────────────────────────────────────────────────

/**
 * Per field, where its value starts and ends in the line (ABSENT: not there; the last one wins, as
 * in `JSON.parse`): the top-level keys by index, then `message`'s, `usage`'s and
 * `usage.cache_creation.ephemeral_1h_input_tokens`.
 */
const M_FIELD = TOP_NAMES.length;
const F_USAGE = M_FIELD + MESSAGE_NAMES.length;
const F_1H = F_USAGE + USAGE_NAMES.length;
const from = new Int32Array(F_1H + 1);
const to = new Int32Array(F_1H + 1);
const ABSENT = -1;

function clear(first: number, count: number): void {
  from.fill(ABSENT, first, first + count);
}

/** Notes the value at `i` as field `field`; returns the index after it, or FAIL. */
function note(field: number, i: number, depth: number): number {
  const after = skipValue(i, depth);
  from[field] = i;
  to[field] = after;
  return after;
}

const onCacheCreation: OnKey = (_key, i, depth) => note(F_1H, i, depth);

const onUsage: OnKey = (key, i, depth) => {
  if (key === U_CACHE_CREATION && b[i] === 123) {
    from[F_1H] = ABSENT;
    return walkObject(i, depth, CACHE_CREATION, onCacheCreation);
  }
  if (key === U_CACHE_CREATION) from[F_1H] = ABSENT;
  return note(F_USAGE + key, i, depth);
};

/** A content block: an object whose `text` is a string, not a Task/Agent call nor a tool result. */
const onBlockKey: OnKey = (key, i, depth) => {
  if (key === B_TEXT) return b[i] === 34 ? skipString(i) : FAIL;
  if (b[i] !== 34) return skipValue(i, depth);
  const after = skipPlainString(i);
  if (after === FAIL) return FAIL; // an escaped type or name: let JSON.parse read it
  if (key === B_TYPE && sameBytes(i + 1, after - 1, TOOL_RESULT)) return FAIL;
  if (key === B_NAME && (sameBytes(i + 1, after - 1, TASK) || sameBytes(i + 1, after - 1, AGENT))) return FAIL;
  return after;
};

const onBlock = (i: number, depth: number): number => (b[i] === 123 ? walkObject(i, depth, BLOCK, onBlockKey) : FAIL);

const onMessage: OnKey = (key, i, depth) => {
  if (key === M_USAGE) {
    from[M_FIELD + key] = i;
    if (b[i] !== 123) return skipValue(i, depth);
    clear(F_USAGE, USAGE_NAMES.length + 1);
    return walkObject(i, depth, USAGE, onUsage, USAGE_LAYOUT);
  }
  if (key === M_CONTENT) {
    from[M_FIELD + key] = i;
    // Every block must pass toUsageEntry's check (else FAIL): only their presence is kept.
    return b[i] === 91 ? walkArray(i, depth, onBlock) : FAIL;
  }
  return note(M_FIELD + key, i, depth);
};

let plain = true;
const TOP_LAYOUT = newLayout();
const MESSAGE_LAYOUT = newLayout();
const USAGE_LAYOUT = newLayout();

const onTop: OnKey = (key, i, depth) => {
  if (key === T_MESSAGE) {
    from[key] = i;
    if (b[i] !== 123) {
      plain = false;
      return skipValue(i, depth);
    }
    clear(M_FIELD, MESSAGE_NAMES.length);
    clear(F_USAGE, USAGE_NAMES.length + 1);
    return walkObject(i, depth, MESSAGE, onMessage, MESSAGE_LAYOUT);
  }
  if (key === T_TYPE && b[i] === 34) {
    const after = skipPlainString(i);
    return after === FAIL || sameBytes(i + 1, after - 1, PROGRESS) ? FAIL : after;
  }
  return note(key, i, depth);
};

// ── A line's top-level timestamp ────────────────────────────────────────────────────────

/** `topLevelTimestamp`'s answers besides an index: no top-level string `timestamp`; cannot tell. */
export const NO_TIMESTAMP = -1;
export const UNSURE = -2;
const TIMESTAMP_ONLY = [TOP[T_TIMESTAMP]!];
let lastTimestamp = ABSENT;

const onTimestamp: OnKey = (_key, i, depth) => {
  const after = skipValue(i, depth);
  lastTimestamp = b[i] === 34 ? i : ABSENT; // the last of a repeated key wins, as in JSON.parse
  return after;
};

/**
 * Where the string value of the line's top-level `timestamp` opens (its quote), found by walking the
 * top-level object only (nested values are skipped by their structure, so a `"timestamp"` inside
 * content is never taken for it): NO_TIMESTAMP when the line has none (or it is not a string),
 * UNSURE when the walk cannot tell (a structural error, an escaped key, nesting too deep): then
 * only `JSON.parse` can. A line whose strings hold escapes `JSON.parse` rejects may be answered
 * as if valid; its caller uses the answer only to know that the line cannot lower an earliest
 * timestamp, which an invalid line cannot either.
 */
export function topLevelTimestamp(buf: Buffer, start: number, stop: number): number {
  b = buf;
  end = stop;
  lastTimestamp = ABSENT;
  let i = skipWs(start);
  try {
    i = b[i] === 123 ? walkObject(i, 0, TIMESTAMP_ONLY, onTimestamp) : FAIL;
    if (i !== FAIL) i = skipWs(i);
    if (i !== end) return UNSURE;
    return lastTimestamp === ABSENT ? NO_TIMESTAMP : lastTimestamp;
  } catch {
    return UNSURE;
  } finally {
    b = EMPTY;
  }
}
// ── The values, by toUsageEntry's rules ─────────────────────────────────────────────────

/** What `fleetscope usage` keeps of a usage line (the fields of its `UsageEntry` it reads). */
export interface UsageLine {
  /** ISO timestamp as written. */
  timestamp: string;
  /** `message.model` (in a `Rec`: `-fast` suffixed for fast mode). */
  model: string | undefined;
  /** `usage.speed === "fast"`. */
  fast: boolean;
  input: number;
  output: number;
  cacheWrite: number;
  cacheWrite1h: number;
  cacheRead: number;
  /** The line's `costUSD`, when it has one. */
  costUSD: number | undefined;
  /**
   * ccusage 18's cost: `costUSD`, else tokens x prices with every write at the 5-minute rate (in a
   * `Rec` of the data's view, replaced by the data's cost when the files are replayed).
   */
  cost: number;
  /** `message.id:requestId`, when both are there. */
  key: string | undefined;
  sessionId: string | undefined;
  agentId: string | undefined;
  sidechain: boolean;
}

/** The line of the slow path (a parsed line's entry), in the same shape. */
export function usageLineOf(e: UsageEntry, out: UsageLine): UsageLine {
  out.timestamp = e.timestamp;
  out.model = e.model;
  out.fast = e.fast;
  out.input = e.inputTokens;
  out.output = e.outputTokens;
  out.cacheWrite = e.cacheCreationTokens;
  out.cacheWrite1h = e.cacheWrite1hTokens;
  out.cacheRead = e.cacheReadTokens;
  out.costUSD = e.costUSD;
  out.cost = e.cost;
  out.key = e.dedupeKey;
  out.sessionId = e.sessionId;
  out.agentId = e.agentId;
  out.sidechain = e.isSidechain;
  return out;
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;
const VERSION_PREFIX = /^\d+\.\d+\.\d+/;
const STANDARD = ascii('standard');
const FAST = ascii('fast');

const has = (field: number): boolean => from[field] !== ABSENT;
const first = (field: number): number => b[from[field]!]!;
const isString = (field: number): boolean => first(field) === 34;
/** Field `field` is there and a number (the walk checked its grammar). */
const isNumberAt = (field: number): boolean => {
  if (!has(field)) return false;
  const c = first(field);
  return c === 45 || isDigit(c);
};
/** `optNumber`: absent, or a number. */
const optNumber = (field: number): boolean => !has(field) || isNumberAt(field);

/** The number of field `field` as `JSON.parse` reads it (plain digits here, the rest by JSON.parse). */
function numberOf(field: number): number {
  const i = from[field]!;
  const after = to[field]!;
  if (after - i < 16 && isDigit(b[i]) && isWholeNumber(i, after)) {
    let n = 0;
    for (let k = i; k < after; k++) n = n * 10 + (b[k]! - 48);
    return n;
  }
  return JSON.parse(b.toString('latin1', i, after)) as number;
}

function isWholeNumber(from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isDigit(b[k])) return false;
  return true;
}

/** Per slot, the last string read: session ids, models, ids repeat line after line. */
const lastString: string[] = [];

/**
 * The string of field `field` (a JSON string), decoded once per distinct value in a row (`slot`
 * names the field for that reuse; -1: values that never repeat, as timestamps).
 */
function stringOf(field: number, slot: number): string {
  const i = from[field]! + 1;
  const end = to[field]! - 1;
  if (hasBackslash(i, end)) return JSON.parse(b.toString('utf8', i - 1, end + 1)) as string;
  if (slot === -1) return b.toString('utf8', i, end);
  const known = lastString[slot];
  if (known !== undefined && known.length === end - i) {
    let k = 0;
    while (k < known.length && known.charCodeAt(k) === b[i + k] && b[i + k]! < 128) k++;
    if (k === known.length) return known; // the same ASCII bytes as the last one
  }
  const text = b.toString('utf8', i, end);
  lastString[slot] = text;
  return text;
}

function hasBackslash(from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (b[k] === 92) return true;
  return false;
}

/** `optString`: absent, or a string of at least `minLength` characters. */
function optString(field: number, minLength: number): boolean {
  if (!has(field)) return true;
  // A JSON string's text is empty only when its two quotes are side by side.
  return isString(field) && (minLength === 0 || to[field]! - from[field]! > 2);
}

const SLOT_MODEL = 0;
const SLOT_SESSION = 1;
const SLOT_AGENT = 2;
let lastKey: string | undefined;
const tokens = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: undefined as number | undefined, cache_read_input_tokens: undefined as number | undefined };

/** `version` is a string starting with `\d+.\d+.\d+` (read on the bytes, decoded only when escaped). */
function versionOk(): boolean {
  if (!isString(T_VERSION)) return false;
  let i = from[T_VERSION]! + 1;
  const stop = to[T_VERSION]! - 1;
  if (hasBackslash(i, stop)) return VERSION_PREFIX.test(stringOf(T_VERSION, -1));
  for (let part = 0; part < 3; part++) {
    if (part > 0 && b[i++] !== 46) return false;
    if (i >= stop || !isDigit(b[i])) return false;
    while (i < stop && isDigit(b[i])) i++;
  }
  return true;
}

/** `toUsageEntry`'s checks on the noted values; false when the line needs `JSON.parse` (or does not count). */
function valid(): boolean {
  const M = M_FIELD;
  if (!has(T_TIMESTAMP) || !isString(T_TIMESTAMP) || !has(T_MESSAGE) || !has(M + M_USAGE) || first(M + M_USAGE) !== 123) return false;
  if (!isNumberAt(F_USAGE + U_INPUT) || !isNumberAt(F_USAGE + U_OUTPUT)) return false;
  if (!optNumber(F_USAGE + U_CACHE_WRITE) || !optNumber(F_USAGE + U_CACHE_READ) || !optNumber(T_COST)) return false;
  const speed = F_USAGE + U_SPEED;
  if (has(speed) && !(isString(speed) && (sameBytes(from[speed]! + 1, to[speed]! - 1, STANDARD) || sameBytes(from[speed]! + 1, to[speed]! - 1, FAST)))) return false;
  if (!optString(M + M_MODEL, 1) || !optString(M + M_ID, 1) || !optString(T_CWD, 0) || !optString(T_SESSION, 1) || !optString(T_REQUEST, 1)) return false;
  if (has(T_VERSION) && !versionOk()) return false;
  const error = T_API_ERROR;
  return !has(error) || first(error) === 116 || first(error) === 102;
}

/** Writes the noted values into `out` (after `valid`); false when the timestamp is not ISO. */
function fill(out: UsageLine): boolean {
  const M = M_FIELD;
  out.timestamp = stringOf(T_TIMESTAMP, -1);
  if (!ISO_TIMESTAMP.test(out.timestamp)) return false;
  out.model = has(M + M_MODEL) ? stringOf(M + M_MODEL, SLOT_MODEL) : undefined;
  const speed = F_USAGE + U_SPEED;
  out.fast = has(speed) && sameBytes(from[speed]! + 1, to[speed]! - 1, FAST);
  out.input = numberOf(F_USAGE + U_INPUT);
  out.output = numberOf(F_USAGE + U_OUTPUT);
  const write = has(F_USAGE + U_CACHE_WRITE) ? numberOf(F_USAGE + U_CACHE_WRITE) : undefined;
  const read = has(F_USAGE + U_CACHE_READ) ? numberOf(F_USAGE + U_CACHE_READ) : undefined;
  out.cacheWrite = write ?? 0;
  out.cacheRead = read ?? 0;
  out.cacheWrite1h = isNumberAt(F_1H) ? numberOf(F_1H) : 0;
  out.costUSD = has(T_COST) ? numberOf(T_COST) : undefined;
  if (out.costUSD !== undefined) out.cost = out.costUSD;
  else if (out.model === undefined) out.cost = 0;
  else {
    tokens.input_tokens = out.input;
    tokens.output_tokens = out.output;
    tokens.cache_creation_input_tokens = write;
    tokens.cache_read_input_tokens = read;
    out.cost = costFromTokens(tokens, out.model, out.fast);
  }
  out.key = keyOf();
  out.sessionId = has(T_SESSION) ? stringOf(T_SESSION, SLOT_SESSION) : undefined;
  out.agentId = has(T_AGENT) && isString(T_AGENT) && to[T_AGENT]! - from[T_AGENT]! > 2 ? stringOf(T_AGENT, SLOT_AGENT) : undefined;
  out.sidechain = has(T_SIDECHAIN) && first(T_SIDECHAIN) === 116;
  return true;
}

/** The bytes of the last key built (`id:requestId`), to know a copy of the same response by its bytes. */
let keyBytes = Buffer.alloc(256);
let keyLength = -1;

/**
 * `message.id:requestId`, the previous line's string when the bytes are the same (copies of a
 * response come one after another). Built as one flat string from the line's bytes: a template of
 * two decoded strings would be a rope of three strings (about twice the memory, kept per record).
 */
function keyOf(): string | undefined {
  if (!has(M_FIELD + M_ID) || !has(T_REQUEST)) return undefined;
  const idFrom = from[M_FIELD + M_ID]! + 1;
  const idTo = to[M_FIELD + M_ID]! - 1;
  const requestFrom = from[T_REQUEST]! + 1;
  const requestTo = to[T_REQUEST]! - 1;
  if (hasBackslash(idFrom, idTo) || hasBackslash(requestFrom, requestTo)) {
    keyLength = -1;
    lastKey = `${stringOf(M_FIELD + M_ID, -1)}:${stringOf(T_REQUEST, -1)}`;
    return lastKey;
  }
  const length = idTo - idFrom + 1 + requestTo - requestFrom;
  if (lastKey !== undefined && length === keyLength && sameAt(idFrom, idTo, 0) && keyBytes[idTo - idFrom] === 58 && sameAt(requestFrom, requestTo, idTo - idFrom + 1)) return lastKey;
  if (keyBytes.length < length) keyBytes = Buffer.alloc(2 * length);
  // Byte loops, not `Buffer#copy` (which makes a view object per call, for ~30 bytes).
  for (let k = idFrom; k < idTo; k++) keyBytes[k - idFrom] = b[k]!;
  keyBytes[idTo - idFrom] = 58;
  for (let k = requestFrom, at = idTo - idFrom + 1; k < requestTo; k++, at++) keyBytes[at] = b[k]!;
  keyLength = length;
  lastKey = keyBytes.toString('utf8', 0, length);
  return lastKey;
}

/** Whether the line's bytes `[from, to)` equal `keyBytes` from `at`. */
function sameAt(from: number, to: number, at: number): boolean {
  for (let k = from; k < to; k++) if (b[k] !== keyBytes[at + k - from]) return false;
  return true;
}

/**
 * Reads the usage line `buf[start, end)` into `out` and answers true, when it is of the plain shape
 * and counts; false: parse it whole (see the module comment).
 */
export function readUsageLine(buf: Buffer, start: number, stop: number, out: UsageLine): boolean {
  b = buf;
  end = stop;
  plain = true;
  from.fill(ABSENT);
  let i = skipWs(start);
  try {
    i = b[i] === 123 ? walkObject(i, 0, TOP, onTop, TOP_LAYOUT) : FAIL;
    if (i !== FAIL) i = skipWs(i);
    return i === end && plain && valid() && fill(out);
  } catch {
    return false; // a string JSON.parse rejects, or a stack too deep
  } finally {
    b = EMPTY; // keep no reference to a (possibly 16 MiB) line
  }
}
