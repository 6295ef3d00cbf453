/**
 * Reading a segment's lines: random access to its bytes (the plain file, or a gzipped one
 * decompressed whole), complete lines in either direction in 1 MiB chunks, the line at an offset,
 * and parsing a line into an event.
 *
 * Node built-ins and core types only (see file-log.ts); zlib is imported lazily, and only to read
 * a gzipped segment.
 */
import { isAscii } from 'node:buffer';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { FleetEvent } from '../core/index.js';
import { HEADER_KEY, NEWLINE, segmentFile, type Segment } from './file-log-segment.js';

/** Random access to a segment's (uncompressed) bytes. */
export interface SegmentReader {
  size: number;
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export async function openReader(dir: string, segment: Segment): Promise<SegmentReader> {
  const plain = join(dir, segmentFile(segment.seq));
  if (!segment.gz) {
    try {
      const handle = await fsp.open(plain, 'r');
      const { size } = await handle.stat();
      return {
        size,
        async read(position, length) {
          const buffer = Buffer.allocUnsafe(length);
          const { bytesRead } = await handle.read(buffer, 0, length, position);
          return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
        },
        close: () => handle.close(),
      };
    } catch (error) {
      // Another process may have gzipped it since we listed the directory.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      segment.gz = true;
    }
  }
  const { gunzip } = await import('node:zlib');
  const compressed = await fsp.readFile(`${plain}.gz`);
  const data = await new Promise<Buffer>((resolve, reject) =>
    gunzip(compressed, (error, result) => (error ? reject(error) : resolve(result))),
  );
  return {
    size: data.length,
    read: async (position, length) => data.subarray(position, Math.min(data.length, position + length)),
    close: async () => {},
  };
}

const CHUNK = 1 << 20;

/** One line of a segment: its offset in the file, and where it lies in `buffer` (without its newline). */
export type Line = [offset: number, buffer: Buffer, lineStart: number, lineEnd: number];

/**
 * Complete lines of [start, end) in ascending order, with their offsets, a read's worth at a time
 * (one await per chunk, not per line). A last line without `\n` is not yielded. Each read starts at
 * the first incomplete line of the previous one (read again from the page cache), so no chunk is
 * copied to join a line across two reads.
 */
export async function* linesForward(reader: SegmentReader, start: number, end: number): AsyncGenerator<Line[]> {
  let length = CHUNK;
  for (let pos = start; pos < end; ) {
    const wanted = Math.min(length, end - pos);
    const chunk = await reader.read(pos, wanted);
    const lines: Line[] = [];
    let lineStart = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, lineStart)) {
      lines.push([pos + lineStart, chunk, lineStart, nl]);
      lineStart = nl + 1;
    }
    if (lines.length > 0) yield lines;
    if (lineStart === 0) {
      // No complete line: the rest is one incomplete line, or a line longer than the read.
      if (chunk.length < wanted || wanted === end - pos) break;
      length *= 2;
      continue;
    }
    pos += lineStart;
    length = CHUNK;
  }
}

/** Complete lines of [start, end) in descending order, a read's worth at a time; `end` must be a line boundary. */
export async function* linesBackward(reader: SegmentReader, start: number, end: number): AsyncGenerator<Line[]> {
  let carry: Buffer | undefined;
  for (let pos = end; pos > start; ) {
    const from = Math.max(start, pos - CHUNK);
    const chunk = await reader.read(from, pos - from);
    pos = from;
    const buffer = carry === undefined ? chunk : Buffer.concat([chunk, carry]);
    // Lines ending in this buffer, last first; the piece before the first newline belongs to an earlier chunk.
    let lineEnd = buffer.length - 1;
    if (buffer[lineEnd] !== NEWLINE) {
      // Only possible for the very first chunk when `end` is not a boundary: ignore the partial line.
      lineEnd = buffer.lastIndexOf(NEWLINE);
    }
    const lines: Line[] = [];
    while (lineEnd >= 0) {
      const prev = lineEnd === 0 ? -1 : buffer.lastIndexOf(NEWLINE, lineEnd - 1);
      if (prev === -1 && from > start) break;
      lines.push([from + prev + 1, buffer, prev + 1, lineEnd]);
      lineEnd = prev;
    }
    if (lines.length > 0) yield lines;
    carry = lineEnd >= 0 ? buffer.subarray(0, lineEnd + 1) : undefined;
  }
}

/** Reads the line starting at `offset` (without its newline), or undefined if it is incomplete. */
export async function lineAt(reader: SegmentReader, offset: number): Promise<Buffer | undefined> {
  for (let length = 4096; ; length *= 4) {
    const chunk = await reader.read(offset, length);
    const nl = chunk.indexOf(NEWLINE);
    if (nl !== -1) return chunk.subarray(0, nl);
    if (chunk.length < length) return undefined;
  }
}

/** Offsets closer than this are read together (the bytes between them are read and skipped). */
const RUN_GAP = 64 * 1024;

/**
 * The lines starting at `offsets` (sorted, ascending or descending), in that order, a run at a time:
 * neighbouring lines are read with one read of up to 1 MiB, not one read each (a session's lines
 * are mostly close together). An incomplete line is left out.
 */
export async function* linesAt(reader: SegmentReader, offsets: readonly number[]): AsyncGenerator<Line[]> {
  for (let i = 0; i < offsets.length; ) {
    let j = i + 1;
    while (j < offsets.length && Math.abs(offsets[j]! - offsets[j - 1]!) <= RUN_GAP && Math.abs(offsets[j]! - offsets[i]!) < CHUNK) j++;
    const low = Math.min(offsets[i]!, offsets[j - 1]!);
    // From the run's lowest offset to its highest, and (usually) the whole line there.
    const chunk = await reader.read(low, Math.max(offsets[i]!, offsets[j - 1]!) - low + 4096);
    const lines: Line[] = [];
    for (; i < j; i++) {
      const start = offsets[i]! - low;
      const nl = chunk.indexOf(NEWLINE, start);
      // A line longer than what the run's read covered: read alone.
      const line = nl !== -1 ? chunk : await lineAt(reader, offsets[i]!);
      if (line !== undefined) lines.push(nl !== -1 ? [offsets[i]!, chunk, start, nl] : [offsets[i]!, line, 0, line.length]);
    }
    yield lines;
  }
}

/** The last buffer decoded whole (every line of a chunk is parsed from one string). */
let decoded: { buffer: Buffer; text: string | undefined } | undefined;

/**
 * The text of [start, end) of `buffer`. A chunk of ASCII bytes (the usual case) is decoded once,
 * and each of its lines is a slice of that string, not a decoding of its own; a chunk holding
 * other text (JSON.stringify writes it as it is, in UTF-8) is decoded line by line.
 */
function textOf(buffer: Buffer, start: number, end: number): string {
  if (buffer.length < 64 * 1024) return buffer.toString('utf8', start, end);
  if (decoded?.buffer !== buffer) decoded = { buffer, text: isAscii(buffer) ? buffer.toString('latin1') : undefined };
  return decoded.text === undefined ? buffer.toString('utf8', start, end) : decoded.text.slice(start, end);
}

/** Parses one line into an event; undefined for the header, an empty line or a torn record. */
export function parseLine(buffer: Buffer, start: number, end: number): FleetEvent | 'header' | undefined {
  if (end <= start) return undefined;
  try {
    const value = JSON.parse(textOf(buffer, start, end)) as Record<string, unknown>;
    if (value === null || typeof value !== 'object') return undefined;
    if (HEADER_KEY in value) return 'header';
    if (typeof value.id !== 'string' || typeof value.type !== 'string' || typeof value.sessionId !== 'string') {
      return undefined;
    }
    return value as unknown as FleetEvent;
  } catch {
    return undefined;
  }
}
