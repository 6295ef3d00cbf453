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
 * This file validates the options and wires the parts, which share one `FileLogState`:
 * file-log-writer.ts (queue, writes, fdatasync), file-log-active.ts (the segment written to,
 * rotation, torn records), file-log-index.ts (summaries, session offsets, maintenance),
 * file-log-query.ts (reading pages), on top of file-log-segment.ts (a segment, its index and
 * sidecars), file-log-reader.ts (reading its lines) and file-log-maintenance.ts.
 *
 * Import graph: node built-ins and core types only (zlib lazily), so the hook process starts fast.
 * Every file-log-*.ts module keeps to it.
 */
import { promises as fsp } from 'node:fs';
import type { Storage, StorageStats } from '../core/index.js';
import { writeSidecars } from './file-log-segment.js';
import type { MaintenanceOptions } from './file-log-maintenance.js';
import { newCounters, fail, wrapError, type FileLogState } from './file-log-state.js';
import { activeSegment } from './file-log-active.js';
import { fileLogWriter, type FsyncPolicy } from './file-log-writer.js';
import { segmentIndex } from './file-log-index.js';
import { fileLogLatestSessions, fileLogQuery, fileLogSummarize, type FileLogSummary } from './file-log-query.js';

export type { FsyncPolicy } from './file-log-writer.js';

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

const MAX_SEGMENT_BYTES = 2 ** 30;

/** A file log: a `Storage`, and what its session index answers without reading events. */
export interface FileLogStorage extends Storage {
  /**
   * The ids of the `n` sessions whose last event was appended latest, newest first (what the first
   * `n` distinct sessions of a `desc` query give), from the segments' session offsets alone.
   */
  latestSessions(n: number): Promise<string[]>;
  /**
   * Facts about the whole store from the segment summaries (sidecars, manifest), without parsing
   * an event they already cover: events, distinct sessions, time range, events per type (undefined
   * when a sidecar written by an older version, which did not count types, is in use), skipped lines.
   */
  summarize(): Promise<FileLogSummary>;
}

/** Creates a file log `Storage` in `options.dir`. */
export function fileLogStorage(options: FileLogStorageOptions): FileLogStorage {
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

  const background = new Set<Promise<unknown>>();
  let initialized: Promise<void> | undefined;
  let maintenanceTimer: NodeJS.Timeout | undefined;
  const state: FileLogState = {
    dir,
    clock,
    counters: newCounters(),
    lastError: undefined,
    segments: new Map(),
    active: undefined,
    closed: false,
    isReady: false,
    ready,
    track,
  };
  const { counters, segments } = state;
  const index = segmentIndex(state, { cachedSegments, maintenance });
  const output = activeSegment(state, {
    maxSegmentBytes,
    maxSegmentAgeMs,
    rotated: (segment) => track(index.sealSegment(segment)),
  });
  const writer = fileLogWriter(state, output, { fsync, fsyncIntervalMs, maxWriteBytes, maxPendingBytes });

  function track(promise: Promise<unknown>): void {
    const p = promise.catch((error) => {
      counters.maintenanceErrors++;
      state.lastError = wrapError('maintenance', error).message;
    });
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  async function init(): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
    await index.refresh();
    await output.detectTornTail();
    writer.startSyncTimer();
    if (maintenanceIntervalMs > 0) {
      maintenanceTimer = setInterval(() => track(index.maintain()), maintenanceIntervalMs);
      maintenanceTimer.unref();
    }
  }

  function ready(): Promise<void> {
    initialized ??= init().then(
      () => {
        state.isReady = true;
      },
      (error: unknown) => {
        // A failed open (ENOTDIR, EROFS, EACCES) is retried on the next call, once the cause is fixed.
        initialized = undefined;
        throw error;
      },
    );
    return initialized;
  }

  return {
    name,

    append: writer.append,

    query: fileLogQuery(state, index, writer.drained),

    latestSessions: fileLogLatestSessions(state, index, writer.drained),

    summarize: fileLogSummarize(state, index, writer.drained),

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
      index.loadInBackground();
      return {
        ...counters,
        events,
        bytes,
        segments: segments.size,
        unreadSegments: unread,
        skippedLines,
        queuedBytes: writer.queuedBytes(),
        lastError: state.lastError,
      };
    },

    flush: writer.flush,

    async close() {
      if (state.closed) return;
      await writer.drained();
      await writer.flush();
      state.closed = true;
      writer.stopSyncTimer();
      clearInterval(maintenanceTimer);
      await Promise.all(background);
      // Save this process's index of the active segment, so the next open does not re-read it.
      const current = state.active?.segment;
      if (current !== undefined && current.covered > current.sidecarBytes && current.offsets !== undefined) {
        await writeSidecars(dir, current).catch(() => {});
      }
      await index.updateManifest(true).catch(() => {});
      output.closeActive();
      segments.clear();
      writer.discardQueue();
    },
  };
}
