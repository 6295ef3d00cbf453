/**
 * Bounded line scanning of JSONL files, shared by the Claude Code transcripts runner, `fleetscope
 * usage` and anything else that reads append-only logs: fixed-size reads, a cap on line length (a
 * 50 MB line is skipped and counted, never buffered whole), and a torn last line left for later.
 */
import { readSync } from 'node:fs';
import { closingQuote } from './claude-code-usage-scan.js';

/** Default cap on one line: 16 MiB. Longer lines are skipped and counted. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

const CHUNK_BYTES = 1024 * 1024;

export interface ScanOptions {
  /** Lines longer than this many bytes are skipped (counted in `oversized`). */
  maxLineBytes: number;
  /**
   * Treat bytes after the last newline as a complete line (one-shot reads of a finished file).
   * When false (following a live file) they are left unread: `next` stops at the last newline.
   */
  flushTail: boolean;
  /** The previous scan ended inside an oversized line: skip up to the next newline first. */
  skipping?: boolean;
}

export interface ScanResult {
  /** Offset of the first byte not consumed (start of a torn last line, or `end`). */
  next: number;
  /** Lines skipped for being longer than `maxLineBytes`. */
  oversized: number;
  /** The scan ended inside an oversized line; pass it back as `skipping`. */
  skipping: boolean;
}

/** Called with a line's bytes `buf[start, end)` (no newline); the buffer is reused after the call. */
export type LineHandler = (buf: Buffer, start: number, end: number) => void;

let shared: Buffer | undefined;

/** Reads `[from, to)` of an open file and calls `onLine` for each complete, non-oversized line. */
export function scanLines(fd: number, from: number, to: number, options: ScanOptions, onLine: LineHandler): ScanResult {
  const chunk = shared ?? (shared = Buffer.allocUnsafe(CHUNK_BYTES));
  let pos = from;
  let lineStart = from;
  let carry: Buffer[] = [];
  let carryLength = 0;
  let skipping = options.skipping === true;
  let oversized = 0;
  while (pos < to) {
    const n = readSync(fd, chunk, 0, Math.min(CHUNK_BYTES, to - pos), pos);
    if (n <= 0) break;
    let s = 0;
    for (;;) {
      const nl = chunk.indexOf(10, s);
      if (nl === -1 || nl >= n) break;
      if (skipping) {
        skipping = false;
      } else if (carryLength > 0) {
        if (carryLength + (nl - s) > options.maxLineBytes) {
          oversized++;
        } else {
          carry.push(chunk.subarray(s, nl));
          const line = Buffer.concat(carry);
          onLine(line, 0, line.length);
        }
      } else if (nl - s > options.maxLineBytes) {
        oversized++;
      } else if (nl > s) {
        onLine(chunk, s, nl);
      }
      if (carryLength > 0) {
        carry = []; // only after a carried line: a new array per line was ~30 bytes of garbage a line
        carryLength = 0;
      }
      s = nl + 1;
      lineStart = pos + s;
    }
    if (!skipping && n > s) {
      if (carryLength + (n - s) > options.maxLineBytes) {
        skipping = true;
        oversized++;
        carry = [];
        carryLength = 0;
      } else {
        carry.push(Buffer.from(chunk.subarray(s, n)));
        carryLength += n - s;
      }
    }
    pos += n;
  }
  if (skipping) return { next: pos, oversized, skipping: true };
  if (options.flushTail) {
    if (carryLength > 0) {
      const line = Buffer.concat(carry);
      onLine(line, 0, line.length);
    }
    return { next: pos, oversized, skipping: false };
  }
  return { next: lineStart, oversized, skipping: false };
}

/** True when `buf[start, end)` is only spaces, tabs and carriage returns. */
export function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

// ── Parsing a line without its long strings ─────────────────────────────────────────────

/** Object values whose raw JSON is longer than this many bytes are cut out (see `parseCut`). */
const CUT_BYTES = 256;
/**
 * Lines shorter than this are parsed whole: cutting would not pay. (1 KiB before session 11: at 2 KiB
 * the parse of the 300 MiB generated set, whose assistant lines are ≈ 1.1 KiB with one 330-byte text,
 * costs 10% less, and ../shared/real-cc the same.)
 */
const CUT_MIN_LINE = 2048;

/**
 * Keys whose values are never cut, long or not: the ids, names and times the transcript events
 * compare or copy (a cut value stands for its string only where it is read as text).
 */
const KEEP_WHOLE: ReadonlySet<string> = new Set([
  'type', 'id', 'uuid', 'parentUuid', 'sessionId', 'agentId', 'agentType', 'timestamp', 'model', 'requestId',
  'tool_use_id', 'name', 'cwd', 'version', 'promptId', 'speed', 'role', 'parentToolUseID',
]);

/** A cut string's stand-in: NUL, this per-process nonce, and its number in the line (JSON text, inside the quotes). */
const NONCE = `fs${Math.random().toString(36).slice(2, 10)}:`;
const MARK_JSON = `\\u0000${NONCE}`;
const MARK = `\u0000${NONCE}`;

/**
 * A transcript line parsed with its long string values cut out: `JSON.parse` of the line where
 * each object value longer than 256 bytes (other than the ids of `KEEP_WHOLE`) is replaced by a
 * short stand-in, so the tool outputs, file contents and text that make most of a transcript's
 * bytes are neither decoded nor parsed. `full(value)` gives a stand-in's string back, exactly as
 * `JSON.parse` of the whole line would have (decoded from the line's bytes on demand, only while
 * the line is being handled: the buffer is reused after).
 *
 * Like the usage scanner it jumps from quote to quote and does not check what it cuts: raw control
 * characters or bad escapes inside a cut string, which `JSON.parse` rejects and `JSON.stringify`
 * (Claude Code's writer) never produces, are not seen. A string that does not close sends the line
 * to the whole parse.
 */
export class CutLineParser {
  private buf: Buffer = Buffer.alloc(0);
  private readonly cuts: number[] = [];

  /** The parsed line (throws like `JSON.parse` on a malformed one). */
  parse(buf: Buffer, start: number, end: number): unknown {
    this.buf = buf;
    this.cuts.length = 0;
    const text = end - start < CUT_MIN_LINE ? undefined : this.cutText(buf, start, end);
    return JSON.parse(text ?? buf.toString('utf8', start, end));
  }

  /** The cut line's bytes are assembled here, then decoded once (no string per piece). */
  private scratch: Buffer = Buffer.alloc(0);

  /** The line's text with its long values replaced by stand-ins; undefined when nothing was cut. */
  private cutText(buf: Buffer, start: number, end: number): string | undefined {
    // The cut line is never longer than the line: a stand-in is far shorter than what it replaces.
    if (this.scratch.length < end - start) this.scratch = Buffer.allocUnsafe(Math.max(end - start, 2 * this.scratch.length));
    const out = this.scratch;
    let w = 0;
    let from = start;
    let keyOpen = -1;
    let keyClose = -1;
    for (let i = start; ; ) {
      const open = nextQuote(buf, i, end);
      if (open === -1) break;
      const close = closeOf(buf, open, end);
      if (close === -1) return undefined;
      if (buf[open - 1] === 58 && keyClose === open - 2 && close - open - 1 > CUT_BYTES && !KEEP_WHOLE.has(buf.toString('latin1', keyOpen + 1, keyClose))) {
        w += copyBytes(buf, from, open, out, w);
        w += writeStandIn(out, w, this.cuts.length / 2);
        this.cuts.push(open, close + 1);
        from = close + 1;
      }
      keyOpen = open;
      keyClose = close;
      i = close + 1;
    }
    if (this.cuts.length === 0) return undefined;
    w += copyBytes(buf, from, end, out, w);
    return out.toString('utf8', 0, w);
  }

  /** How many strings were cut out of the line last parsed. */
  get cutCount(): number {
    return this.cuts.length / 2;
  }

  /** The string a stand-in stands for; any other value as it is. */
  full(value: unknown): unknown {
    if (typeof value !== 'string' || value.charCodeAt(0) !== 0 || !value.startsWith(MARK)) return value;
    const k = 2 * Number(value.slice(MARK.length));
    return JSON.parse(this.buf.toString('utf8', this.cuts[k], this.cuts[k + 1])) as string;
  }

  /** `value` with every stand-in inside it (objects and arrays, in place) given back. */
  fullDeep(value: unknown): unknown {
    if (this.cuts.length === 0) return value;
    if (typeof value === 'string') return this.full(value);
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = this.fullDeep(value[i]);
    } else {
      const o = value as Record<string, unknown>;
      for (const key of Object.keys(o)) o[key] = this.fullDeep(o[key]);
    }
    return value;
  }

  /** Forgets the line (drops the reference to the reused buffer). */
  done(): void {
    this.buf = EMPTY;
    this.cuts.length = 0;
  }
}

const EMPTY = Buffer.alloc(0);

/** The stand-ins of a line's first cuts as bytes, quotes included (written with one native copy, no string). */
const STAND_INS: readonly Buffer[] = Array.from({ length: 32 }, (_, k) => Buffer.from(`"${MARK_JSON}${k}"`, 'latin1'));

function writeStandIn(out: Buffer, at: number, k: number): number {
  if (k >= STAND_INS.length) return out.write(`"${MARK_JSON}${k}"`, at, 'latin1');
  const bytes = STAND_INS[k]!;
  out.set(bytes, at);
  return bytes.length;
}

/** `source.copy(target, at, from, to)` without its argument checks (the bounds are known good here). */
function copyBytes(source: Buffer, from: number, to: number, target: Buffer, at: number): number {
  target.set(new Uint8Array(source.buffer, source.byteOffset + from, to - from), at);
  return to - from;
}

/**
 * How far `nextQuote` and `closeOf` walk byte by byte before calling `indexOf`: most strings of a
 * line are keys and ids, and most gaps between strings are `":` or `,"`, for which one native
 * `indexOf` call (≈ 5 million a 300 MiB set) costs more than the walk.
 */
const WALK_BYTES = 40;

/** The first `"` in `buf[from, end)`, or -1. */
function nextQuote(buf: Buffer, from: number, end: number): number {
  const stop = Math.min(end, from + WALK_BYTES);
  for (let i = from; i < stop; i++) if (buf[i] === 34) return i;
  if (stop === end) return -1;
  const q = buf.indexOf(34, stop);
  return q === -1 || q >= end ? -1 : q;
}

/** `closingQuote(buf, open, end)`, walking a short string without escapes itself. */
function closeOf(buf: Buffer, open: number, end: number): number {
  const stop = Math.min(end, open + 1 + WALK_BYTES);
  for (let i = open + 1; i < stop; i++) {
    const c = buf[i];
    if (c === 34) return i;
    if (c === 92) break;
  }
  return closingQuote(buf, open, end);
}
