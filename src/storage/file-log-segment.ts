/**
 * One segment of the file log: its name, its header line, its in-memory index and its sidecar
 * files, and line-by-line reading in either direction.
 *
 * Only node built-ins and core types are imported here: the hook process loads this file on
 * every invocation. zlib is imported lazily, and only to read a gzipped segment.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { FleetEvent } from '../core/index.js';

/** First line of every segment; it is not an event and queries skip it. */
export const HEADER_KEY = 'fleetscopeSegment';
export const SEGMENT_RE = /^(\d{8,})\.jsonl(\.gz)?$/;
export const NEWLINE = 0x0a;

export function segmentFile(seq: number): string {
  return `${String(seq).padStart(8, '0')}.jsonl`;
}

export function headerLine(seq: number, created: number): string {
  return `${JSON.stringify({ [HEADER_KEY]: 1, seq, created })}\n`;
}

/** Summary of a segment, written as `<seq>.idx.json`; session offsets go to `<seq>.pos.json`. */
export interface SegmentSummary {
  v: 1;
  /** Bytes of the segment (uncompressed) the index covers; lines beyond are read on demand. */
  bytes: number;
  count: number;
  minTs: number | null;
  maxTs: number | null;
  /** Lines that were not valid events (a torn write sealed by a later append). */
  skipped: number;
  created: number | null;
  sessions: string[];
  agents: string[];
  workflows: string[];
  types: string[];
}

/** What an event line contributes to the index. */
export interface IndexedFields {
  timestamp: number;
  sessionId: string;
  agentId: string;
  workflowId?: string | undefined;
  type: string;
}

export class Segment {
  readonly seq: number;
  /** True once the plain file has been replaced by `<seq>.jsonl.gz`. */
  gz: boolean;
  /** Bytes from 0 the index covers (always ends at a line boundary). */
  covered = 0;
  count = 0;
  minTs = Infinity;
  maxTs = -Infinity;
  skipped = 0;
  created: number | undefined;
  sessions = new Set<string>();
  agents = new Set<string>();
  workflows = new Set<string>();
  types = new Set<string>();
  /**
   * Line offsets by session, covering [0, covered); undefined when not in memory. Offsets read
   * from a sidecar stay base64 until a query asks for that session.
   */
  offsets: Map<string, number[] | string> | undefined = new Map();
  /** `covered` of the sidecar on disk (0: none). */
  sidecarBytes = 0;
  /** Whether the summary has been loaded from the sidecar or built from the file. */
  loaded = false;
  /**
   * The in-memory summary covers the whole file and the file has been quiet for long enough that no
   * late appender can reach it any more: queries skip it on its summary alone, without a stat.
   */
  final = false;
  /** Bytes on disk (compressed size for gz), for retention. */
  diskBytes = 0;
  mtimeMs = 0;

  constructor(seq: number, gz: boolean) {
    this.seq = seq;
    this.gz = gz;
  }

  // The previous event's keys: consecutive events of one session or agent skip the set and map lookups.
  private lastSession: string | undefined;
  private lastAgent: string | undefined;
  private lastType: string | undefined;
  private lastWorkflow: string | undefined;
  private lastList: number[] | undefined;
  private lastOffsets: Map<string, number[] | string> | undefined;

  add(fields: IndexedFields, offset: number): void {
    this.count++;
    const ts = fields.timestamp;
    if (ts < this.minTs) this.minTs = ts;
    if (ts > this.maxTs) this.maxTs = ts;
    const { sessionId, agentId, type, workflowId } = fields;
    if (agentId !== this.lastAgent) {
      this.agents.add(agentId);
      this.lastAgent = agentId;
    }
    if (type !== this.lastType) {
      this.types.add(type);
      this.lastType = type;
    }
    if (workflowId !== undefined && workflowId !== this.lastWorkflow) {
      this.workflows.add(workflowId);
      this.lastWorkflow = workflowId;
    }
    let list = this.lastList;
    if (sessionId !== this.lastSession || this.offsets !== this.lastOffsets) {
      this.sessions.add(sessionId);
      this.lastSession = sessionId;
      list = undefined;
      if (this.offsets !== undefined) {
        list = this.offsetsOf(sessionId);
        if (list.length === 0) this.offsets.set(sessionId, list);
      }
      this.lastList = list;
      this.lastOffsets = this.offsets;
    }
    if (list !== undefined) list.push(offset);
  }

  /** Forgets the previous event's keys (the sets or the offsets were replaced). */
  private forgetLast(): void {
    this.lastSession = this.lastAgent = this.lastType = this.lastWorkflow = undefined;
    this.lastList = undefined;
    this.lastOffsets = undefined;
  }

  /** Offsets of one session's lines, ascending (empty if none or not in memory). */
  offsetsOf(sessionId: string): number[] {
    const value = this.offsets?.get(sessionId);
    if (value === undefined) return [];
    if (typeof value !== 'string') return value;
    const decoded = decodeOffsets(value);
    this.offsets!.set(sessionId, decoded);
    return decoded;
  }

  summary(): SegmentSummary {
    return {
      v: 1,
      bytes: this.covered,
      count: this.count,
      minTs: this.count === 0 ? null : this.minTs,
      maxTs: this.count === 0 ? null : this.maxTs,
      skipped: this.skipped,
      created: this.created ?? null,
      sessions: [...this.sessions],
      agents: [...this.agents],
      workflows: [...this.workflows],
      types: [...this.types],
    };
  }

  loadSummary(s: SegmentSummary): void {
    this.covered = s.bytes;
    this.count = s.count;
    this.minTs = s.minTs ?? Infinity;
    this.maxTs = s.maxTs ?? -Infinity;
    this.skipped = s.skipped;
    if (s.created !== null) this.created = s.created;
    this.sessions = new Set(s.sessions);
    this.agents = new Set(s.agents);
    this.workflows = new Set(s.workflows);
    this.types = new Set(s.types);
    this.offsets = undefined;
    this.sidecarBytes = s.bytes;
    this.loaded = true;
    this.final = false;
    this.forgetLast();
  }

  reset(): void {
    this.covered = 0;
    this.count = 0;
    this.minTs = Infinity;
    this.maxTs = -Infinity;
    this.skipped = 0;
    this.sessions = new Set();
    this.agents = new Set();
    this.workflows = new Set();
    this.types = new Set();
    this.offsets = new Map();
    this.sidecarBytes = 0;
    this.loaded = true;
    this.final = false;
    this.forgetLast();
  }
}

// ── Sidecar files ───────────────────────────────────────────────────────────────────────

export function summaryPath(dir: string, seq: number): string {
  return join(dir, `${String(seq).padStart(8, '0')}.idx.json`);
}

export function offsetsPath(dir: string, seq: number): string {
  return join(dir, `${String(seq).padStart(8, '0')}.pos.json`);
}

/** Session offsets as base64 of little-endian uint32s: compact, and decoded only when asked for. */
function encodeOffsets(offsets: readonly number[]): string {
  const array = Uint32Array.from(offsets);
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

function decodeOffsets(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  const out: number[] = new Array(bytes.length >>> 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readUInt32LE(i * 4);
  return out;
}

/** Writes both sidecars atomically (tmp + rename); the offsets file first, so a summary always has its offsets. */
export async function writeSidecars(dir: string, segment: Segment): Promise<void> {
  if (segment.offsets === undefined) return;
  const positions: Record<string, string> = {};
  for (const [session, list] of segment.offsets) positions[session] = typeof list === 'string' ? list : encodeOffsets(list);
  const tag = `${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  const pos = offsetsPath(dir, segment.seq);
  const idx = summaryPath(dir, segment.seq);
  const summary = segment.summary();
  await fsp.writeFile(`${pos}.${tag}`, JSON.stringify({ v: 1, bytes: summary.bytes, sessions: positions }));
  await fsp.rename(`${pos}.${tag}`, pos);
  await fsp.writeFile(`${idx}.${tag}`, JSON.stringify(summary));
  await fsp.rename(`${idx}.${tag}`, idx);
  segment.sidecarBytes = summary.bytes;
}

export async function readSummary(dir: string, seq: number): Promise<SegmentSummary | undefined> {
  try {
    const parsed = JSON.parse(await fsp.readFile(summaryPath(dir, seq), 'utf8')) as SegmentSummary;
    return parsed.v === 1 && typeof parsed.bytes === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

// ── Manifest ────────────────────────────────────────────────────────────────────────────

/** `manifest.json`: the summaries of closed segments in one file, so opening a store reads one file, not one per segment. */
export const MANIFEST_FILE = 'manifest.json';

interface ManifestFile {
  v: 1;
  segments: (SegmentSummary & { seq: number })[];
}

/**
 * The manifest's summaries by segment (empty when missing or unreadable). It is a cache of the
 * `.idx.json` sidecars: an entry is used like its sidecar (checked against the file's size before a
 * query trusts it), a segment missing from it is read from its sidecar, and it is rewritten when stale.
 */
export async function readManifest(dir: string): Promise<Map<number, SegmentSummary>> {
  const out = new Map<number, SegmentSummary>();
  try {
    const parsed = JSON.parse(await fsp.readFile(join(dir, MANIFEST_FILE), 'utf8')) as ManifestFile;
    if (parsed.v !== 1 || !Array.isArray(parsed.segments)) return out;
    for (const entry of parsed.segments) {
      if (typeof entry?.seq === 'number' && entry.v === 1 && typeof entry.bytes === 'number') out.set(entry.seq, entry);
    }
  } catch {
    // missing or torn: every summary comes from its sidecar
  }
  return out;
}

/** Replaces the manifest atomically (tmp + rename) with the given segments' summaries. */
export async function writeManifest(dir: string, segments: readonly Segment[]): Promise<void> {
  const file: ManifestFile = { v: 1, segments: segments.map((s) => ({ seq: s.seq, ...s.summary() })) };
  const path = join(dir, MANIFEST_FILE);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(file));
  await fsp.rename(tmp, path);
}

/** Session offsets of a sidecar covering exactly `bytes`, or undefined when missing or stale. */
export async function readOffsets(dir: string, seq: number, bytes: number): Promise<Map<string, number[] | string> | undefined> {
  try {
    const parsed = JSON.parse(await fsp.readFile(offsetsPath(dir, seq), 'utf8')) as {
      bytes: number;
      sessions: Record<string, string>;
    };
    if (parsed.bytes !== bytes) return undefined;
    return new Map(Object.entries(parsed.sessions));
  } catch {
    return undefined;
  }
}

// ── Reading ─────────────────────────────────────────────────────────────────────────────

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

/** Complete lines of [start, end) in ascending order, with their offsets. A last line without `\n` is not yielded. */
export async function* linesForward(
  reader: SegmentReader,
  start: number,
  end: number,
): AsyncGenerator<[offset: number, buffer: Buffer, lineStart: number, lineEnd: number]> {
  let carry: Buffer | undefined;
  let carryOffset = start;
  for (let pos = start; pos < end; ) {
    const chunk = await reader.read(pos, Math.min(CHUNK, end - pos));
    if (chunk.length === 0) break;
    pos += chunk.length;
    const buffer = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
    let lineStart = 0;
    for (let nl = buffer.indexOf(NEWLINE); nl !== -1; nl = buffer.indexOf(NEWLINE, lineStart)) {
      yield [carryOffset + lineStart, buffer, lineStart, nl];
      lineStart = nl + 1;
    }
    carry = lineStart < buffer.length ? buffer.subarray(lineStart) : undefined;
    carryOffset += lineStart;
  }
}

/** Complete lines of [start, end) in descending order; `end` must be a line boundary. */
export async function* linesBackward(
  reader: SegmentReader,
  start: number,
  end: number,
): AsyncGenerator<[offset: number, buffer: Buffer, lineStart: number, lineEnd: number]> {
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
    while (lineEnd >= 0) {
      const prev = lineEnd === 0 ? -1 : buffer.lastIndexOf(NEWLINE, lineEnd - 1);
      if (prev === -1 && from > start) break;
      yield [from + prev + 1, buffer, prev + 1, lineEnd];
      lineEnd = prev;
    }
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

/** Parses one line into an event; undefined for the header, an empty line or a torn record. */
export function parseLine(buffer: Buffer, start: number, end: number): FleetEvent | 'header' | undefined {
  if (end <= start) return undefined;
  try {
    const value = JSON.parse(buffer.toString('utf8', start, end)) as Record<string, unknown>;
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
