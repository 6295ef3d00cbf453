/**
 * Bounded line scanning of JSONL files, shared by the Claude Code transcripts runner, `fleetscope
 * usage` and anything else that reads append-only logs: fixed-size reads, a cap on line length (a
 * 50 MB line is skipped and counted, never buffered whole), and a torn last line left for later.
 */
import { readSync } from 'node:fs';

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
      carry = [];
      carryLength = 0;
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
