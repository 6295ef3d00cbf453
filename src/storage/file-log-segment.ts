/**
 * One segment of the file log: its name, its header line, its in-memory index (the summary and
 * the session offsets), and the files that keep that index on disk: the sidecars and the manifest.
 * Reading a segment's lines is in file-log-reader.ts.
 *
 * Only node built-ins are imported here: the hook process loads this file on every invocation.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

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
  /** Events per type (absent in sidecars written before it was counted). */
  typeCounts?: Record<string, number>;
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
  /** Events per type; undefined when loaded from a sidecar that did not count them. */
  typeCounts: Map<string, number> | undefined = new Map();
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
    if (this.typeCounts !== undefined) this.typeCounts.set(type, (this.typeCounts.get(type) ?? 0) + 1);
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

  /** Offset of the session's last line (undefined if none or not in memory); a sidecar's list is not decoded whole. */
  lastOffsetOf(sessionId: string): number | undefined {
    const value = this.offsets?.get(sessionId);
    if (value === undefined || typeof value !== 'string') return value?.at(-1);
    return lastEncodedOffset(value);
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
      ...(this.typeCounts !== undefined ? { typeCounts: Object.fromEntries(this.typeCounts) } : {}),
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
    this.typeCounts = countsOf(s.typeCounts);
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
    this.typeCounts = new Map();
    this.offsets = new Map();
    this.sidecarBytes = 0;
    this.loaded = true;
    this.final = false;
    this.forgetLast();
  }
}

/** A sidecar's `typeCounts` as a map; undefined when it has none (or not of numbers). */
function countsOf(value: unknown): Map<string, number> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const entries = Object.entries(value);
  return entries.every(([, n]) => typeof n === 'number' && Number.isInteger(n) && n >= 0) ? new Map(entries as [string, number][]) : undefined;
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

/** The last uint32 of `encodeOffsets`' base64, decoding only the last 4-character groups that hold it. */
export function lastEncodedOffset(text: string): number | undefined {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = (text.length / 4) * 3 - padding;
  if (bytes < 4) return undefined;
  const group = Math.floor((bytes - 4) / 3);
  return Buffer.from(text.slice(group * 4), 'base64').readUInt32LE(bytes - 4 - group * 3);
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
  // Null prototype: a session named `__proto__` is a key like any other.
  const positions: Record<string, string> = Object.create(null) as Record<string, string>;
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
