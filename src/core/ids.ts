/**
 * W3C trace-context ids, cut from a pooled block of crypto-random bytes: random enough for
 * tracing backends. Each id is written as one flat string by `String.fromCharCode` over a
 * byte-to-hex table (measured: ~30 ns per span id, against ~80 for `Buffer#toString('hex')` per
 * id; a substring of the whole block in hex is cheaper to make but slower to read, as V8 keeps it
 * as a slice of the block).
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/** Character codes of each byte's two hex digits: byte b at [2b] and [2b + 1]. */
const HEX_CODES = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  const hex = b.toString(16).padStart(2, '0');
  HEX_CODES[b * 2] = hex.charCodeAt(0);
  HEX_CODES[b * 2 + 1] = hex.charCodeAt(1);
}

/** The next `count` pool bytes at `at` (refilled when it runs out), or -1 if they are all zero. */
function take(count: number): number {
  if (offset + count > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += count;
  // All zeros is invalid in W3C trace context; astronomically rare, but cheap to rule out.
  let any = 0;
  for (let i = at; i < offset; i++) any |= pool[i]!;
  return any === 0 ? -1 : at;
}

/** Eight pool bytes from `at` as 16 hex characters. */
function hex8(at: number): string {
  const h = HEX_CODES;
  const a = pool[at]! * 2, b = pool[at + 1]! * 2, c = pool[at + 2]! * 2, d = pool[at + 3]! * 2;
  const e = pool[at + 4]! * 2, f = pool[at + 5]! * 2, g = pool[at + 6]! * 2, k = pool[at + 7]! * 2;
  return String.fromCharCode(
    h[a]!, h[a + 1]!, h[b]!, h[b + 1]!, h[c]!, h[c + 1]!, h[d]!, h[d + 1]!,
    h[e]!, h[e + 1]!, h[f]!, h[f + 1]!, h[g]!, h[g + 1]!, h[k]!, h[k + 1]!,
  );
}

/** 16 random bytes as 32 lowercase hex characters. */
export function newTraceId(): string {
  let at: number;
  while ((at = take(16)) < 0);
  // One flat string: a concatenation of 32 characters would be a cons string.
  return pool.toString('hex', at, at + 16);
}

/** 8 random bytes as 16 lowercase hex characters. */
export function newSpanId(): string {
  let at: number;
  while ((at = take(8)) < 0);
  return hex8(at);
}

/**
 * 1 for `1-9a-f`, 2 for `0`, 0 otherwise: one table lookup per character. Internal (not exported
 * by the package): also read by the OTel bridge's open-span table, which checks an id and hashes
 * it in one pass.
 */
export const HEX_DIGIT = new Uint8Array(128);
for (const c of '123456789abcdef') HEX_DIGIT[c.charCodeAt(0)] = 1;
HEX_DIGIT[48] = 2;

/**
 * What `value` is as a W3C id of `length` characters: 0 if not exactly that many lowercase hex
 * digits, 2 if all zeros (invalid in W3C trace context), else 1. A table lookup per character,
 * not a range test: ids are random, so digit-or-letter branches mispredict (measured ~2.5× slower).
 */
export function hexIdKind(value: string, length: number): 0 | 1 | 2 {
  if (value.length !== length) return 0;
  let seen = 0;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    const kind = c < 128 ? HEX_DIGIT[c]! : 0;
    if (kind === 0) return 0;
    seen |= kind;
  }
  return (seen & 1) === 1 ? 1 : 2;
}

/**
 * Maps any string id (a UUID session id, say) to a stable trace id: a UUID's 32 hex digits
 * when it is one, else a 128-bit FNV-1a-style hash of the string.
 */
export function traceIdFrom(value: string): string {
  const hex = value.replace(/-/g, '').toLowerCase();
  if (/^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex)) return hex;
  const out = hashHex(value, 4);
  return /^0+$/.test(out) ? '0'.repeat(31) + '1' : out;
}

/**
 * `seeds` FNV-1a-style 32-bit hashes of `value` (seed 0, 1, ...), as 8 hex digits each:
 * `traceIdFrom`'s hash is `hashHex(value, 4)`, and its first 16 digits are `hashHex(value, 2)`.
 */
export function hashHex(value: string, seeds: number): string {
  if (seeds === 2) return hashHex2(value);
  let out = '';
  for (let seed = 0; seed < seeds; seed++) {
    let hash = 0x811c9dc5 ^ seed;
    for (let i = 0; i < value.length; i++) {
      hash ^= value.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    out += (hash >>> 0).toString(16).padStart(8, '0');
  }
  return out;
}

/** `hashHex(value, 2)` in one pass over the string (span ids: one per tool call and session). */
function hashHex2(value: string): string {
  let h0 = 0x811c9dc5;
  let h1 = 0x811c9dc5 ^ 1;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    h0 = Math.imul(h0 ^ c, 0x01000193);
    h1 = Math.imul(h1 ^ c, 0x01000193);
  }
  return (h0 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}
