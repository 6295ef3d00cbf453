/**
 * A byte-level reader for the usage lines of Claude Code transcripts, so `fleetscope usage` does
 * not `JSON.parse` every assistant line (most of its bytes are content nobody counts).
 *
 * `usageFields(line)` walks the line's JSON structure without building it and returns the few
 * fields `toUsageEntry` reads (`timestamp`, `message.usage` / `model` / `id`, `requestId`,
 * `sessionId`, `cwd`, `version`, `costUSD`, `isApiErrorMessage`, `isSidechain`, `agentId`) as
 * `JSON.parse` would give them, so the same validation and pricing run on them. It answers
 * `undefined` whenever the line is not of the plain shape it knows, and the caller then parses the
 * line whole: a key with an escape, a structural error (torn line), a `progress` line, a content
 * block that is not an object or whose `text` is not a string, a Task/Agent tool call or a tool
 * result (the subagent joins read those), a message without a `usage` object, nesting too deep.
 *
 * What it does not check in the strings it jumps over (found by their closing quote): escape
 * sequences and raw control characters, which `JSON.parse` would reject. Claude Code writes its
 * lines with `JSON.stringify`, which never produces either; a torn line fails the structure.
 */

type Obj = Record<string, unknown>;

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
const T_TIMESTAMP = TOP_NAMES.indexOf('timestamp');
const T_MESSAGE = TOP_NAMES.indexOf('message');
const T_TYPE = TOP_NAMES.indexOf('type');
const M_USAGE = MESSAGE_NAMES.indexOf('usage');
const M_CONTENT = MESSAGE_NAMES.indexOf('content');
const U_CACHE_CREATION = USAGE_NAMES.indexOf('cache_creation');
const [B_TYPE, B_NAME, B_TEXT] = [0, 1, 2];
/** `plainString` slots: top-level keys by index, then message keys, then one for the rest. */
const SLOT_MESSAGE = TOP_NAMES.length;
const SLOT_OTHER = SLOT_MESSAGE + MESSAGE_NAMES.length;
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
  const n = to - from;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key.length !== n) continue;
    let i = 0;
    while (i < n && b[from + i] === key[i]) i++;
    if (i === n) return k;
  }
  return -1;
}

function sameBytes(from: number, to: number, word: Uint8Array): boolean {
  return keyIndex([word], from, to) === 0;
}

/** Reads the value of a known key at `i`; returns the index after it, or FAIL. */
type OnKey = (key: number, i: number, depth: number) => number;

const noKey: OnKey = (_key, i, depth) => skipValue(i, depth);

/** Walks the object at `i`, handing each value of a key in `keys` to `onKey` and skipping the rest. */
function walkObject(i: number, depth: number, keys: readonly Uint8Array[] | undefined, onKey: OnKey): number {
  if (depth > MAX_DEPTH) return FAIL;
  i = skipWs(i + 1);
  if (b[i] === 125) return i + 1;
  for (;;) {
    if (b[i] !== 34) return FAIL;
    const keyEnd = skipPlainString(i);
    if (keyEnd === FAIL) return FAIL;
    const key = keys === undefined ? -1 : keyIndex(keys, i + 1, keyEnd - 1);
    i = skipWs(keyEnd);
    if (b[i] !== 58) return FAIL;
    i = skipWs(i + 1);
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

// ── Values as JSON.parse gives them ─────────────────────────────────────────────────────

let value: unknown;

/** Per field, the last string read and its bytes: session ids, models, paths repeat line after line. */
const lastBytes: Uint8Array[] = [];
const lastString: string[] = [];

/** The plain string in `[from, to)` of field `slot`, decoded once per distinct value in a row. */
function plainString(slot: number, from: number, to: number): string {
  const known = lastBytes[slot];
  if (known !== undefined && known.length === to - from) {
    let k = 0;
    while (k < known.length && known[k] === b[from + k]) k++;
    if (k === known.length) return lastString[slot]!;
  }
  const text = b.toString('utf8', from, to);
  lastBytes[slot] = Uint8Array.prototype.slice.call(b, from, to);
  lastString[slot] = text;
  return text;
}

/**
 * Reads the value at `i` into `value`; plain strings and whole numbers without `JSON.parse`.
 * `slot` names the field for `plainString`'s reuse (-1: values that never repeat, as timestamps).
 */
function readValue(i: number, depth: number, slot: number): number {
  const c = b[i];
  const after = skipValue(i, depth);
  if (after === FAIL) return FAIL;
  if (c === 34) {
    if (hasBackslash(i + 1, after - 1)) value = JSON.parse(b.toString('utf8', i, after));
    else value = slot === -1 ? b.toString('utf8', i + 1, after - 1) : plainString(slot, i + 1, after - 1);
  } else if (c !== 45 && after - i < 16 && isDigit(c) && isWholeNumber(i, after)) {
    let n = 0;
    for (let k = i; k < after; k++) n = n * 10 + (b[k]! - 48);
    value = n;
  } else {
    value = JSON.parse(b.toString('utf8', i, after));
  }
  return after;
}

function hasBackslash(from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (b[k] === 92) return true;
  return false;
}

function isWholeNumber(from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isDigit(b[k])) return false;
  return true;
}

// ── The walk of a usage line ────────────────────────────────────────────────────────────

let top: Obj;
let message: Obj | undefined;
let usage: Obj | undefined;
let plain = true;

const onCacheCreation: OnKey = (_key, i, depth) => {
  const after = readValue(i, depth, SLOT_OTHER);
  (usage!.cache_creation as Obj).ephemeral_1h_input_tokens = value;
  return after;
};

const onUsage: OnKey = (key, i, depth) => {
  if (key === U_CACHE_CREATION && b[i] === 123) {
    usage!.cache_creation = {};
    return walkObject(i, depth, CACHE_CREATION, onCacheCreation);
  }
  const after = readValue(i, depth, SLOT_OTHER);
  usage![USAGE_NAMES[key]!] = value;
  return after;
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
    if (b[i] !== 123) {
      usage = undefined;
      return skipValue(i, depth);
    }
    usage = {};
    return walkObject(i, depth, USAGE, onUsage);
  }
  if (key === M_CONTENT) {
    if (b[i] !== 91) return FAIL;
    // Every block passed toUsageEntry's check: an empty array stands for them.
    message!.content = [];
    return walkArray(i, depth, onBlock);
  }
  const after = readValue(i, depth, SLOT_MESSAGE + key);
  message![MESSAGE_NAMES[key]!] = value;
  return after;
};

const onTop: OnKey = (key, i, depth) => {
  if (key === T_MESSAGE) {
    if (b[i] !== 123) {
      plain = false;
      return skipValue(i, depth);
    }
    message = {};
    usage = undefined;
    const after = walkObject(i, depth, MESSAGE, onMessage);
    if (usage !== undefined) message.usage = usage;
    return after;
  }
  if (key === T_TYPE && b[i] === 34) {
    const after = skipPlainString(i);
    return after === FAIL || sameBytes(i + 1, after - 1, PROGRESS) ? FAIL : after;
  }
  const after = readValue(i, depth, key === T_TIMESTAMP ? -1 : key);
  top[TOP_NAMES[key]!] = value;
  return after;
};

/**
 * The fields of a usage line that `toUsageEntry` reads, equal to those of `JSON.parse(line)`, or
 * undefined: parse the line whole (see the module comment).
 */
export function usageFields(line: Buffer): Obj | undefined {
  b = line;
  end = line.length;
  top = {};
  message = undefined;
  usage = undefined;
  plain = true;
  let i = skipWs(0);
  try {
    i = b[i] === 123 ? walkObject(i, 0, TOP, onTop) : FAIL;
    if (i !== FAIL) i = skipWs(i);
  } catch {
    i = FAIL; // a string JSON.parse rejects, or a stack too deep
  } finally {
    b = EMPTY; // keep no reference to a (possibly 16 MiB) line
  }
  const read = message as Obj | undefined; // set by the walk's callbacks
  if (i !== end || !plain || read === undefined || read.usage === undefined) return undefined;
  top.message = read;
  return top;
}
