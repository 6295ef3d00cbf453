/**
 * File log storage: an append-only, segmented JSONL event log in one directory, shared safely by
 * several processes (the observer, the CLI, parallel Claude Code hook invocations).
 *
 * Layout: `00000001.jsonl`, `00000002.jsonl`, ... (optionally `.jsonl.gz` once cold), each
 * starting with a header line; `<seq>.idx.json` (time range, sessions, agents, workflows, types)
 * and `<seq>.pos.json` (line offsets per session) let a query skip segments and jump to lines.
 *
 * Concurrency: every process opens the newest segment with O_APPEND and writes each batch of
 * whole lines with one `write()` (at most `maxWriteBytes`). On Linux local filesystems an
 * O_APPEND write is placed and copied under the inode lock, so lines from different processes
 * never interleave. Rotation needs no lock: the next segment is created complete with its header
 * in a temporary file and `link()`ed to its final name, which fails with EEXIST for every process
 * but one. A writer checks before each batch whether its segment is full or a newer one exists.
 * See docs/storage.md for the guarantees of each fsync policy.
 *
 * Import graph: node built-ins and core types only (zlib lazily), so the hook process starts fast.
 */
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { EventQuery, FleetEvent, QueryPage, Storage, StorageStats } from '../core/index.js';
import type { SegmentSummary } from './file-log-segment.js';
import {
  NEWLINE,
  SEGMENT_RE,
  Segment,
  headerLine,
  lineAt,
  linesBackward,
  linesForward,
  openReader,
  parseLine,
  readManifest,
  readOffsets,
  readSummary,
  segmentFile,
  writeManifest,
  writeSidecars,
  type SegmentReader,
} from './file-log-segment.js';
import { runMaintenance, type MaintenanceOptions } from './file-log-maintenance.js';

/** When appended events become durable; see docs/storage.md. */
export type FsyncPolicy = 'always' | 'batch' | 'interval' | 'never';

export interface FileLogStorageOptions {
  /** Directory of the log; created if missing. Required. */
  dir: string;
  /**
   * `always`: every `append()` is its own write followed by fdatasync, resolved after it.
   * `batch`: appends queued while a write is in flight are coalesced into one write + one fdatasync;
   * each append resolves after the fdatasync covering it. `interval` (default): written at once,
   * fdatasync every `fsyncIntervalMs` in the background. `never`: the OS decides (and `close()` does not sync).
   */
  fsync?: FsyncPolicy;
  /** Period of the background fdatasync of policy `interval`. Default 1000 ms. */
  fsyncIntervalMs?: number;
  /** A segment is closed and a new one started past this size. Default 32 MiB; at most 1 GiB. */
  maxSegmentBytes?: number;
  /** A segment is closed and a new one started past this age. Default 1 h. */
  maxSegmentAgeMs?: number;
  /** Closed segments whose newest event is older than this are deleted. Default 30 days; `Infinity` keeps them. */
  maxAgeMs?: number;
  /** Oldest closed segments are deleted while the log is bigger than this. Default 1 GiB; `Infinity` keeps them. */
  maxTotalBytes?: number;
  /** Gzip closed segments that have not been written for `gzipAfterMs`. Default false. */
  gzip?: boolean;
  /** Quiet time before a closed segment is gzipped (late appenders may still be finishing). Default 60 s. */
  gzipAfterMs?: number;
  /** Largest single `write()`; a bigger batch is split at line boundaries. Default 1 MiB. */
  maxWriteBytes?: number;
  /** Serialized bytes waiting to be written; appends beyond it are rejected and counted. Default 64 MiB. */
  maxPendingBytes?: number;
  /** Segments whose session offsets are kept in memory (least recently used first out). Default 8. */
  cachedSegments?: number;
  /** Period of maintenance (sidecars, gzip, retention) in a long-lived process. Default 60 s; 0 disables the timer. */
  maintenanceIntervalMs?: number;
  /** Clock for segment age and retention. Default `Date.now`. */
  clock?: () => number;
  /** Name in stats. Default `file-log`. */
  name?: string;
}

// The core's page limits, repeated here so this file imports core types only (see header).
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;
const MAX_SEGMENT_BYTES = 2 ** 30;
/**
 * A closed segment unwritten for this long is final: a writer checks for a newer segment before
 * every batch, so only a batch already past that check (microseconds) can still land in it.
 */
const FINAL_QUIET_MS = 30_000;
/** Maintenance rewrites a stale manifest at most this often (close() always does). */
const MANIFEST_INTERVAL_MS = 10_000;

interface Pending {
  /** The batch as JSON Lines. */
  text: string;
  /** UTF-8 bytes of `text`. */
  bytes: number;
  /** Bytes of each line (newline included); the same array as `lineChars` when the text is ASCII. */
  lineBytes: Uint32Array;
  /** UTF-16 code units of each line (newline included). */
  lineChars: Uint32Array;
  events: readonly FleetEvent[];
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Active {
  segment: Segment;
  fd: number;
  /** File size right after this process's last write when nobody else wrote in between; -1 unknown. */
  end: number;
}

/**
 * Serializes a batch to JSON Lines with the byte length of every line (the offsets of the session
 * index). One string, no Buffer: `fs.writeSync(fd, string)` encodes it straight into the kernel
 * write. Lines are measured in bytes only when the batch is not pure ASCII (one native scan tells).
 */
function serialize(batch: readonly FleetEvent[]): Pick<Pending, 'text' | 'bytes' | 'lineBytes' | 'lineChars'> {
  const lineChars = new Uint32Array(batch.length);
  let text = '';
  for (let i = 0; i < batch.length; i++) {
    const line = JSON.stringify(batch[i]);
    lineChars[i] = line.length + 1;
    text += `${line}\n`;
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes === text.length) return { text, bytes, lineBytes: lineChars, lineChars };
  const lineBytes = new Uint32Array(batch.length);
  for (let i = 0, at = 0; i < batch.length; i++) {
    lineBytes[i] = Buffer.byteLength(text.slice(at, at + lineChars[i]!), 'utf8');
    at += lineChars[i]!;
  }
  return { text, bytes, lineBytes, lineChars };
}

interface Position {
  seq: number;
  offset: number;
}

function encodeCursor(p: Position): string {
  return `f${p.seq.toString(36)}.${p.offset.toString(36)}`;
}

function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const match = /^f([0-9a-z]+)\.([0-9a-z]+)$/.exec(cursor);
  if (match === null) throw new Error('[fleetscope] [file-log] cursor is not one this storage issued');
  return { seq: Number.parseInt(match[1]!, 36), offset: Number.parseInt(match[2]!, 36) };
}

function fail(message: string): never {
  throw new Error(`[fleetscope] [file-log] ${message}`);
}

function wrapError(operation: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`[fleetscope] [file-log] ${operation} failed: ${message}`, { cause: error });
}

const RESOLVED = Promise.resolve();
const noop = () => {};

const fdatasync = (fd: number) =>
  new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));

/** Creates a file log `Storage` in `options.dir`. */
export function fileLogStorage(options: FileLogStorageOptions): Storage {
  if (options === null || typeof options !== 'object' || typeof options.dir !== 'string' || options.dir === '') {
    fail('options.dir (a directory path) is required');
  }
  const dir = options.dir;
  const fsync = options.fsync ?? 'interval';
  if (!['always', 'batch', 'interval', 'never'].includes(fsync)) fail(`unknown fsync policy ${String(fsync)}`);
  const num = (value: number | undefined, fallback: number, what: string, min: number): number => {
    const n = value ?? fallback;
    if (typeof n !== 'number' || Number.isNaN(n) || n < min) fail(`${what} must be a number >= ${min}`);
    return n;
  };
  const fsyncIntervalMs = num(options.fsyncIntervalMs, 1000, 'fsyncIntervalMs', 1);
  const maxSegmentBytes = Math.min(MAX_SEGMENT_BYTES, num(options.maxSegmentBytes, 32 * 2 ** 20, 'maxSegmentBytes', 1024));
  const maxSegmentAgeMs = num(options.maxSegmentAgeMs, 60 * 60 * 1000, 'maxSegmentAgeMs', 1);
  const maintenance: MaintenanceOptions = {
    maxAgeMs: num(options.maxAgeMs, 30 * 24 * 60 * 60 * 1000, 'maxAgeMs', 1),
    maxTotalBytes: num(options.maxTotalBytes, 2 ** 30, 'maxTotalBytes', 1),
    gzip: options.gzip ?? false,
    gzipAfterMs: num(options.gzipAfterMs, 60_000, 'gzipAfterMs', 0),
  };
  const maxWriteBytes = num(options.maxWriteBytes, 2 ** 20, 'maxWriteBytes', 256);
  const maxPendingBytes = num(options.maxPendingBytes, 64 * 2 ** 20, 'maxPendingBytes', 1);
  const cachedSegments = Math.floor(num(options.cachedSegments, 8, 'cachedSegments', 1));
  const maintenanceIntervalMs = num(options.maintenanceIntervalMs, 60_000, 'maintenanceIntervalMs', 0);
  const clock = options.clock ?? Date.now;
  const name = options.name ?? 'file-log';

  const counters = {
    appended: 0,
    writes: 0,
    fsyncs: 0,
    rotations: 0,
    writeErrors: 0,
    droppedEvents: 0,
    tornRecords: 0,
    evicted: 0,
    gzipped: 0,
    maintenanceErrors: 0,
  };
  let lastError: string | undefined;
  /** Known segments by sequence number, ascending. */
  const segments = new Map<number, Segment>();
  let active: Active | undefined;
  let queue: Pending[] = [];
  let queuedBytes = 0;
  let draining = false;
  let drained: Promise<void> = Promise.resolve();
  let dirty = false;
  let closed = false;
  let initialized: Promise<void> | undefined;
  /** `init()` has succeeded: appends may write synchronously. */
  let isReady = false;
  const background = new Set<Promise<unknown>>();
  /** Segments whose offsets are in memory, least recently used first. */
  const offsetCache: number[] = [];
  /** Manifest entries not used yet (read once per instance), and the segments the manifest on disk lists. */
  let manifest: Map<number, SegmentSummary> | undefined;
  let manifestOnDisk = new Set<number>();
  let manifestWrittenAt = 0;
  let summariesLoading: Promise<void> | undefined;

  let syncTimer: NodeJS.Timeout | undefined;
  let maintenanceTimer: NodeJS.Timeout | undefined;

  function track(promise: Promise<unknown>): void {
    const p = promise.catch((error) => {
      counters.maintenanceErrors++;
      lastError = wrapError('maintenance', error).message;
    });
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  function sorted(): Segment[] {
    return [...segments.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Lists the directory and adds segments we did not know (and forgets deleted ones). */
  async function refresh(): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const seen = new Set<number>();
    for (const file of names) {
      const match = SEGMENT_RE.exec(file);
      if (match === null) continue;
      const seq = Number(match[1]);
      const gz = match[2] !== undefined;
      seen.add(seq);
      const known = segments.get(seq);
      if (known === undefined) segments.set(seq, new Segment(seq, gz));
      else if (gz && !names.includes(segmentFile(seq))) known.gz = true;
    }
    for (const seq of segments.keys()) if (!seen.has(seq) && active?.segment.seq !== seq) segments.delete(seq);
  }

  /** Loads the summary of every segment not loaded yet: from the manifest, else from its sidecar. */
  async function loadSummaries(): Promise<void> {
    if (manifest === undefined) {
      manifest = await readManifest(dir);
      manifestOnDisk = new Set(manifest.keys());
    }
    const missing = [...segments.values()].filter((s) => !s.loaded);
    if (missing.length === 0) return;
    const entries = manifest;
    await Promise.all(
      missing.map(async (segment) => {
        const summary = entries.get(segment.seq) ?? (await readSummary(dir, segment.seq));
        entries.delete(segment.seq);
        if (summary !== undefined && !segment.loaded) segment.loadSummary(summary);
      }),
    );
  }

  /** Closed segments whose summary on disk is complete, when every closed segment is loaded; else undefined. */
  function manifestSegments(): Segment[] | undefined {
    const list = sorted();
    const closedOnes = list.slice(0, -1);
    if (closedOnes.some((s) => !s.loaded)) return undefined;
    return closedOnes.filter((s) => s.sidecarBytes > 0 && s.sidecarBytes === s.covered && s.count > 0);
  }

  /** Rewrites the manifest when it lists other segments than the closed ones we know (new, deleted). */
  async function updateManifest(force: boolean): Promise<void> {
    if (manifest === undefined || (!force && Date.now() - manifestWrittenAt < MANIFEST_INTERVAL_MS)) return;
    const wanted = manifestSegments();
    if (wanted === undefined) return;
    const seqs = new Set(wanted.map((s) => s.seq));
    manifestWrittenAt = Date.now();
    if (seqs.size === manifestOnDisk.size && [...seqs].every((seq) => manifestOnDisk.has(seq))) return;
    await writeManifest(dir, wanted);
    manifestOnDisk = seqs;
  }

  /**
   * Loads every summary in the background, once per instance (for `stats().events`); segments
   * without a sidecar (the one being written by other processes, one just closed) are indexed from the file.
   */
  function loadInBackground(): void {
    if (summariesLoading !== undefined || closed) return;
    summariesLoading = (async () => {
      await ready();
      await refresh();
      await loadSummaries();
      for (const segment of sorted()) {
        if (closed) return;
        if (!segment.loaded || segment.seq === active?.segment.seq) await catchUp(segment, undefined);
      }
    })().catch((error: unknown) => {
      if (!closed) lastError = wrapError('reading summaries', error).message;
    });
  }

  /**
   * Whether a closed segment's in-memory summary covers its whole file right now, so a query may skip
   * it on the summary alone. A late writer (one that passed its rotation check just before another
   * process rotated) can still append to a closed segment: its size is checked until it is final.
   */
  function settled(segment: Segment, newest: number): boolean {
    if (segment.seq >= newest || !segment.loaded) return false;
    if (segment.final) return true;
    if (segment.gz) {
      // Gzipped after gzipAfterMs of quiet and after its index caught up with the file.
      segment.final = segment.sidecarBytes > 0 && segment.sidecarBytes === segment.covered;
      return segment.final;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(join(dir, segmentFile(segment.seq)));
    } catch {
      return false; // gzipped or deleted meanwhile: the query opens it (or skips it on ENOENT)
    }
    if (stat.size !== segment.covered) return false;
    if (Date.now() - stat.mtimeMs >= FINAL_QUIET_MS) segment.final = true;
    return true;
  }

  async function init(): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
    await refresh();
    await detectTornTail();
    if (fsync === 'interval') {
      syncTimer = setInterval(() => {
        if (dirty && active !== undefined) {
          dirty = false;
          const fd = active.fd;
          fs.fdatasync(fd, (error) => {
            if (error) noteWriteError(error);
            else counters.fsyncs++;
          });
        }
      }, fsyncIntervalMs);
      syncTimer.unref();
    }
    if (maintenanceIntervalMs > 0) {
      maintenanceTimer = setInterval(() => track(maintain()), maintenanceIntervalMs);
      maintenanceTimer.unref();
    }
  }

  function ready(): Promise<void> {
    initialized ??= init().then(() => {
      isReady = true;
    });
    return initialized;
  }

  function noteWriteError(error: unknown): void {
    counters.writeErrors++;
    lastError = wrapError('append', error).message;
  }

  /**
   * A crash (SIGKILL, power loss) can leave the newest segment ending in part of a record. It is
   * sealed with a newline so the next append does not glue onto it, and counted; a record that
   * another process is writing at this very moment is told apart by re-reading after the seal.
   */
  async function detectTornTail(): Promise<void> {
    const newest = sorted().at(-1);
    if (newest === undefined || newest.gz) return;
    const path = join(dir, segmentFile(newest.seq));
    let fd: number | undefined;
    try {
      fd = fs.openSync(path, 'a+');
      const size = fs.fstatSync(fd).size;
      if (size === 0 || lastByte(fd, size) === NEWLINE) return;
      const tailStart = lastLineStart(fd, size);
      fs.writeSync(fd, '\n');
      const length = fs.fstatSync(fd).size - tailStart;
      const buffer = Buffer.alloc(Math.min(length, 16 * 2 ** 20));
      fs.readSync(fd, buffer, 0, buffer.length, tailStart);
      const nl = buffer.indexOf(NEWLINE);
      if (nl === -1 || parseLine(buffer, 0, nl) === undefined) counters.tornRecords++;
    } catch (error) {
      // A read-only directory: nothing to seal; queries skip the torn line anyway.
      if ((error as NodeJS.ErrnoException).code !== 'EACCES' && (error as NodeJS.ErrnoException).code !== 'EROFS') {
        noteWriteError(error);
      }
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  function lastByte(fd: number, size: number): number {
    const one = Buffer.alloc(1);
    fs.readSync(fd, one, 0, 1, size - 1);
    return one[0]!;
  }

  function lastLineStart(fd: number, size: number): number {
    const chunk = Buffer.alloc(64 * 1024);
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - chunk.length);
      fs.readSync(fd, chunk, 0, end - start, start);
      const nl = chunk.subarray(0, end - start).lastIndexOf(NEWLINE);
      if (nl !== -1) return start + nl + 1;
      end = start;
    }
    return 0;
  }

  // ── Writing ──────────────────────────────────────────────────────────────────────────

  /** Creates segment `seq` with its header; false if another process created it first. */
  function createSegment(seq: number): boolean {
    const final = join(dir, segmentFile(seq));
    const tmp = join(dir, `.${segmentFile(seq)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
    fs.writeFileSync(tmp, headerLine(seq, clock()));
    try {
      fs.linkSync(tmp, final);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      fs.unlinkSync(tmp);
    }
  }

  function openActive(seq: number): Active {
    let segment = segments.get(seq);
    if (segment === undefined) {
      segment = new Segment(seq, false);
      segments.set(seq, segment);
    }
    const fd = fs.openSync(join(dir, segmentFile(seq)), 'a+');
    const header = Buffer.alloc(256);
    const read = fs.readSync(fd, header, 0, header.length, 0);
    const nl = header.subarray(0, read).indexOf(NEWLINE);
    if (segment.created === undefined && nl !== -1) {
      try {
        const parsed = JSON.parse(header.toString('utf8', 0, nl)) as { created?: unknown };
        if (typeof parsed.created === 'number') segment.created = parsed.created;
      } catch {
        // not a header: age is counted from now
      }
    }
    segment.created ??= clock();
    // A fresh segment holds only its header: this process's index of it can start complete.
    const size = fs.fstatSync(fd).size;
    if (!segment.loaded && nl !== -1 && size === nl + 1) {
      segment.reset();
      segment.covered = size;
    }
    return { segment, fd, end: -1 };
  }

  function closeActive(): void {
    if (active === undefined) return;
    const { fd } = active;
    active = undefined;
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  }

  /** The segment to write to: the newest one, rotated if full or old. */
  function currentSegment(): { active: Active; size: number } {
    for (let attempt = 0; attempt < 16; attempt++) {
      if (active === undefined) {
        const newest = sorted().at(-1);
        if (newest === undefined || newest.gz) {
          const seq = (newest?.seq ?? 0) + 1;
          createSegment(seq);
          active = openActive(seq);
        } else {
          active = openActive(newest.seq);
        }
      }
      const { segment, fd } = active;
      const size = fs.fstatSync(fd).size;
      const nextExists = fs.existsSync(join(dir, segmentFile(segment.seq + 1)));
      const full = size >= maxSegmentBytes || clock() - (segment.created ?? clock()) >= maxSegmentAgeMs;
      if (!nextExists && !full) return { active, size };
      if (!nextExists && createSegment(segment.seq + 1)) {
        counters.rotations++;
        track(sealSegment(segment));
      }
      closeActive();
      // Move to the newest segment (others may have rotated more than once).
      let seq = segment.seq + 1;
      while (fs.existsSync(join(dir, segmentFile(seq + 1)))) seq++;
      for (let s = segment.seq + 1; s <= seq; s++) if (!segments.has(s)) segments.set(s, new Segment(s, false));
      active = openActive(seq);
    }
    fail('could not settle on a segment to write (rotating too fast?)');
  }

  /** Lines `from`..`to` of one pending append, part of one write. */
  interface Part {
    pending: Pending;
    from: number;
    to: number;
  }

  /**
   * Writes a group of appends in pieces of at most `maxWriteBytes` (whole lines; a line bigger than
   * the cap is written alone). Usually the whole group is one piece: `takeGroup` keeps it under the cap.
   */
  function writeGroup(group: readonly Pending[]): void {
    let text = '';
    let bytes = 0;
    let parts: Part[] = [];
    const flushPiece = () => {
      if (parts.length > 0) writePiece(text, bytes, parts);
      text = '';
      bytes = 0;
      parts = [];
    };
    for (const pending of group) {
      if (bytes + pending.bytes <= maxWriteBytes) {
        text += pending.text;
        bytes += pending.bytes;
        parts.push({ pending, from: 0, to: pending.events.length });
        continue;
      }
      const { lineBytes, lineChars } = pending;
      const n = pending.events.length;
      for (let i = 0, charAt = 0; i < n; ) {
        let j = i;
        let b = 0;
        let c = 0;
        while (j < n && (bytes + b + lineBytes[j]! <= maxWriteBytes || (bytes === 0 && j === i))) {
          b += lineBytes[j]!;
          c += lineChars[j]!;
          j++;
        }
        if (j > i) {
          text += pending.text.slice(charAt, charAt + c);
          bytes += b;
          parts.push({ pending, from: i, to: j });
          charAt += c;
          i = j;
        }
        if (i < n) flushPiece();
      }
    }
    flushPiece();
    if (fsync === 'interval') dirty = true;
  }

  /** Policies `always` and `batch`: the group is acknowledged after the fdatasync covering it. */
  async function syncGroup(): Promise<void> {
    if ((fsync === 'always' || fsync === 'batch') && active !== undefined) {
      await fdatasync(active.fd);
      counters.fsyncs++;
    }
  }

  function writePiece(text: string, bytes: number, parts: readonly Part[]): void {
    const { active: target, size } = currentSegment();
    // Seal a torn record left by a writer that died mid-write, so our first line stays intact. When
    // the file still ends where our own last write ended, its last byte is our newline: no read.
    const sealed = size > 0 && size !== target.end && lastByte(target.fd, size) !== NEWLINE;
    const length = sealed ? bytes + 1 : bytes;
    // One synchronous write() of a string: Node encodes it straight into the syscall's buffer (no
    // Buffer object per batch). For a local file this costs about what handing it to the thread
    // pool and waiting costs, and an append is acknowledged only once its bytes are in the kernel anyway.
    const written = fs.writeSync(target.fd, sealed ? `\n${text}` : text);
    counters.writes++;
    if (written !== length) {
      target.end = -1;
      throw new Error(`short write (${written} of ${length} bytes): disk full?`);
    }
    const after = fs.fstatSync(target.fd).size;
    // If the file grew by exactly our bytes, nobody wrote in between: our lines start at `size`.
    const alone = after === size + written;
    target.end = alone ? after : -1;
    const segment = target.segment;
    if (alone && !sealed && segment.covered === size && segment.offsets !== undefined) {
      let offset = size;
      for (const { pending, from, to } of parts) {
        const { events, lineBytes } = pending;
        for (let i = from; i < to; i++) {
          segment.add(events[i]!, offset);
          offset += lineBytes[i]!;
        }
      }
      segment.covered = offset;
    }
  }

  function takeGroup(): Pending[] {
    if (fsync === 'always') return queue.splice(0, 1);
    let bytes = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || bytes + queue[n]!.bytes <= maxWriteBytes)) {
      bytes += queue[n]!.bytes;
      n++;
    }
    return queue.splice(0, n);
  }

  async function drain(): Promise<void> {
    draining = true;
    try {
      while (queue.length > 0) {
        const group = takeGroup();
        const bytes = group.reduce((sum, p) => sum + p.bytes, 0);
        try {
          await ready();
          writeGroup(group);
          await syncGroup();
          for (const p of group) {
            counters.appended += p.events.length;
            p.resolve();
          }
        } catch (error) {
          noteWriteError(error);
          closeActive(); // reopen on the next attempt (the directory may be writable again)
          const wrapped = wrapError('append', error);
          for (const p of group) p.reject(wrapped);
        } finally {
          queuedBytes -= bytes;
        }
      }
    } finally {
      draining = false;
    }
  }

  // ── Indexing and maintenance ─────────────────────────────────────────────────────────

  function touch(seq: number): void {
    const at = offsetCache.indexOf(seq);
    if (at !== -1) offsetCache.splice(at, 1);
    offsetCache.push(seq);
    while (offsetCache.length > cachedSegments) {
      const victim = segments.get(offsetCache[0]!);
      // Only offsets that are on disk can be dropped; the active segment keeps its own.
      if (victim !== undefined && (victim.sidecarBytes !== victim.covered || victim.seq === active?.segment.seq)) break;
      offsetCache.shift();
      if (victim !== undefined) victim.offsets = undefined;
    }
  }

  /** Catch-ups in flight by segment: two at once (a query and maintenance) would index lines twice. */
  const catching = new Map<number, Promise<void>>();

  /** Makes the segment's summary and session offsets cover every complete line on disk. */
  async function catchUp(segment: Segment, reader: SegmentReader | undefined): Promise<void> {
    let waited = false;
    for (let running = catching.get(segment.seq); running !== undefined; running = catching.get(segment.seq)) {
      await running.catch(() => {});
      waited = true;
    }
    // The other catch-up may have read further than this reader's view of the file.
    if (waited && reader !== undefined && segment.loaded && segment.covered >= reader.size) return;
    const run = catchUpNow(segment, reader);
    catching.set(segment.seq, run);
    try {
      await run;
    } finally {
      if (catching.get(segment.seq) === run) catching.delete(segment.seq);
    }
  }

  async function catchUpNow(segment: Segment, reader: SegmentReader | undefined): Promise<void> {
    if (!segment.loaded) {
      const summary = await readSummary(dir, segment.seq);
      if (summary !== undefined) segment.loadSummary(summary);
      else segment.reset();
    }
    const own = reader === undefined;
    const r = reader ?? (await openReader(dir, segment));
    try {
      if (segment.covered > r.size) segment.reset(); // file was replaced: start over
      if (segment.covered < r.size) {
        await ensureOffsets(segment);
        let end = segment.covered;
        for await (const [offset, buffer, start, stop] of linesForward(r, segment.covered, r.size)) {
          const event = parseLine(buffer, start, stop);
          if (event === undefined) {
            if (stop > start) segment.skipped++;
          } else if (event !== 'header') {
            segment.add(event, offset);
          }
          end = offset + (stop - start) + 1;
        }
        segment.covered = end;
      }
      touch(segment.seq);
    } finally {
      if (own) await r.close();
    }
  }

  /** Loads the session offsets of a segment from its sidecar; without one, the segment is indexed again. */
  async function ensureOffsets(segment: Segment): Promise<void> {
    if (segment.offsets !== undefined) return;
    const offsets = await readOffsets(dir, segment.seq, segment.covered);
    if (offsets === undefined) segment.reset();
    else segment.offsets = offsets;
  }

  /** Writes the sidecars of a segment that was just closed. */
  async function sealSegment(segment: Segment): Promise<void> {
    await catchUp(segment, undefined);
    await writeSidecars(dir, segment);
    await maintain();
  }

  /** Runs maintenance passes one at a time in this process. */
  let maintaining: Promise<void> = Promise.resolve();
  function maintain(): Promise<void> {
    maintaining = maintaining.catch(() => {}).then(maintainOnce);
    return maintaining;
  }

  async function maintainOnce(): Promise<void> {
    if (closed) return;
    await ready();
    await refresh();
    await loadSummaries();
    const newest = sorted().at(-1)?.seq;
    await runMaintenance(dir, sorted(), newest, maintenance, clock(), {
      ensureIndexed: async (segment) => {
        if (segment.final) return;
        // A gzipped segment's summary was caught up before it was gzipped.
        if (segment.gz && segment.loaded && segment.sidecarBytes > 0) return;
        // Its sidecar covers the whole file (one stat): nothing to read.
        if (newest !== undefined && segment.sidecarBytes === segment.covered && settled(segment, newest)) return;
        // Lines a late writer appended after the sidecar was written are indexed and saved too.
        await catchUp(segment, undefined);
        if (segment.sidecarBytes !== segment.covered) await writeSidecars(dir, segment);
        if (newest !== undefined) settled(segment, newest);
      },
      deleted: (segment) => {
        counters.evicted += segment.count;
        segments.delete(segment.seq);
      },
      gzipped: () => counters.gzipped++,
    });
    await updateManifest(false);
  }

  // ── Querying ─────────────────────────────────────────────────────────────────────────

  function mayContain(segment: Segment, query: EventQuery): boolean {
    if (segment.count === 0) return false;
    if (query.sessionId !== undefined && !segment.sessions.has(query.sessionId)) return false;
    if (query.agentId !== undefined && !segment.agents.has(query.agentId)) return false;
    if (query.workflowId !== undefined && !segment.workflows.has(query.workflowId)) return false;
    if (query.types !== undefined && !query.types.some((t) => segment.types.has(t))) return false;
    if (query.from !== undefined && segment.maxTs < query.from) return false;
    if (query.to !== undefined && segment.minTs >= query.to) return false;
    return true;
  }

  function matches(event: FleetEvent, query: EventQuery, types: Set<string> | undefined): boolean {
    return (
      (query.sessionId === undefined || event.sessionId === query.sessionId) &&
      (query.agentId === undefined || event.agentId === query.agentId) &&
      (query.workflowId === undefined || event.workflowId === query.workflowId) &&
      (types === undefined || types.has(event.type)) &&
      (query.from === undefined || event.timestamp >= query.from) &&
      (query.to === undefined || event.timestamp < query.to)
    );
  }

  /** Substrings a matching line must contain, checked on raw bytes before parsing. */
  function needles(query: EventQuery): Buffer[] {
    const out: Buffer[] = [];
    if (query.agentId !== undefined) out.push(Buffer.from(`"agentId":${JSON.stringify(query.agentId)}`));
    if (query.workflowId !== undefined) out.push(Buffer.from(`"workflowId":${JSON.stringify(query.workflowId)}`));
    if (query.sessionId !== undefined) out.push(Buffer.from(`"sessionId":${JSON.stringify(query.sessionId)}`));
    return out;
  }

  async function query(query: EventQuery): Promise<QueryPage> {
    if (closed) fail('storage is closed');
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)));
    const cursor = decodeCursor(query.cursor);
    const desc = query.order === 'desc';
    const types = query.types === undefined ? undefined : new Set(query.types);
    await ready();
    await drained;
    await refresh();
    const list = sorted();
    const newest = list.at(-1)?.seq ?? 0;
    // Summaries of segments this instance has not seen yet: the manifest, then sidecars, read in parallel.
    await loadSummaries();
    if (manifest !== undefined && manifestWrittenAt === 0) track(updateManifest(true));
    if (desc) list.reverse();
    const required = needles(query);
    const typeNeedles = query.types?.map((t) => Buffer.from(`"type":${JSON.stringify(t)}`));
    const events: FleetEvent[] = [];
    let last: Position | undefined;
    let more = false;

    for (const segment of list) {
      if (cursor !== undefined && (desc ? segment.seq > cursor.seq : segment.seq < cursor.seq)) continue;
      // A closed segment's summary is final (a late appender can only reach the one closed last),
      // so most segments are skipped without opening them.
      if (settled(segment, newest) && !mayContain(segment, query)) continue;
      let reader: SegmentReader;
      try {
        reader = await openReader(dir, segment);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted by retention meanwhile
        throw error;
      }
      try {
        await catchUp(segment, reader);
        if (!mayContain(segment, query)) continue;
        const after = cursor !== undefined && segment.seq === cursor.seq ? cursor.offset : -1;
        const before = cursor !== undefined && segment.seq === cursor.seq ? cursor.offset : Infinity;
        const take = (event: FleetEvent, offset: number): boolean => {
          if (!matches(event, query, types)) return true;
          if (events.length === limit) {
            more = true;
            return false;
          }
          events.push(event);
          last = { seq: segment.seq, offset };
          return true;
        };
        if (query.sessionId !== undefined) await ensureOffsets(segment);
        if (segment.offsets === undefined || segment.covered === 0) await catchUp(segment, reader);
        if (query.sessionId !== undefined && segment.offsets !== undefined) {
          touch(segment.seq);
          const offsets = segment.offsetsOf(query.sessionId);
          const ordered = desc ? offsets.filter((o) => o < before).reverse() : offsets.filter((o) => o > after);
          for (const offset of ordered) {
            const line = await lineAt(reader, offset);
            const event = line === undefined ? undefined : parseLine(line, 0, line.length);
            if (event === undefined || event === 'header') continue;
            if (!take(event, offset)) break;
          }
        } else {
          const lines = desc
            ? linesBackward(reader, 0, Math.min(segment.covered, before))
            : linesForward(reader, after + 1, segment.covered);
          for await (const [offset, buffer, start, stop] of lines) {
            if (desc && offset >= before) continue;
            let wanted = true;
            for (const needle of required) {
              const at = buffer.indexOf(needle, start);
              if (at === -1 || at >= stop) wanted = false;
            }
            if (wanted && typeNeedles !== undefined) {
              wanted = typeNeedles.some((needle) => {
                const at = buffer.indexOf(needle, start);
                return at !== -1 && at < stop;
              });
            }
            if (!wanted) continue;
            const event = parseLine(buffer, start, stop);
            if (event === undefined || event === 'header') continue;
            if (!take(event, offset)) break;
          }
        }
      } finally {
        await reader.close();
      }
      if (more) break;
    }
    return more && last !== undefined ? { events, nextCursor: encodeCursor(last) } : { events };
  }

  async function flush(): Promise<void> {
    await drained;
    if (active !== undefined && fsync !== 'never') {
      try {
        await fdatasync(active.fd);
        counters.fsyncs++;
        dirty = false;
      } catch (error) {
        noteWriteError(error);
      }
    }
  }

  return {
    name,

    append(batch) {
      if (closed) return Promise.reject(new Error('[fleetscope] [file-log] storage is closed'));
      if (batch.length === 0) return Promise.resolve();
      const serialized = serialize(batch);
      if (queuedBytes + serialized.bytes > maxPendingBytes && queuedBytes > 0) {
        counters.droppedEvents += batch.length;
        return Promise.reject(new Error('[fleetscope] [file-log] append dropped: too many bytes waiting to be written'));
      }
      // Nothing queued, the directory ready and no fdatasync to wait for: write now, resolved at once.
      if (isReady && !draining && queue.length === 0 && (fsync === 'interval' || fsync === 'never')) {
        try {
          writeGroup([{ ...serialized, events: batch, resolve: noop, reject: noop }]);
          counters.appended += batch.length;
          return RESOLVED;
        } catch (error) {
          noteWriteError(error);
          closeActive(); // reopen on the next attempt (the directory may be writable again)
          return Promise.reject(wrapError('append', error));
        }
      }
      queuedBytes += serialized.bytes;
      return new Promise<void>((resolve, reject) => {
        queue.push({ ...serialized, events: batch, resolve, reject });
        if (!draining) drained = drain();
      });
    },

    query,

    stats(): StorageStats {
      // The whole store: closed segments by their summaries (loaded in the background on first
      // call), the segment being written as far as this instance has indexed it.
      let events = 0;
      let bytes = 0;
      let unread = 0;
      let skippedLines = 0;
      for (const segment of segments.values()) {
        if (!segment.loaded) unread++;
        events += segment.count;
        bytes += segment.covered;
        skippedLines += segment.skipped;
      }
      loadInBackground();
      return {
        ...counters,
        events,
        bytes,
        segments: segments.size,
        unreadSegments: unread,
        skippedLines,
        queuedBytes,
        lastError,
      };
    },

    flush,

    async close() {
      if (closed) return;
      await drained;
      await flush();
      closed = true;
      clearInterval(syncTimer);
      clearInterval(maintenanceTimer);
      await Promise.all(background);
      // Save this process's index of the active segment, so the next open does not re-read it.
      const current = active?.segment;
      if (current !== undefined && current.covered > current.sidecarBytes && current.offsets !== undefined) {
        await writeSidecars(dir, current).catch(() => {});
      }
      await updateManifest(true).catch(() => {});
      closeActive();
      segments.clear();
      queue = [];
    },
  };
}
