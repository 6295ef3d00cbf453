/**
 * Maintenance of the file log's closed segments: sidecar indexes, gzip of cold segments and
 * retention by age and total size. Any process may run it; every step tolerates another process
 * doing the same step at the same time (ENOENT is ignored, files are replaced by rename).
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { offsetsPath, segmentFile, summaryPath, type Segment } from './file-log-segment.js';

export interface MaintenanceOptions {
  maxAgeMs: number;
  maxTotalBytes: number;
  gzip: boolean;
  gzipAfterMs: number;
}

export interface MaintenanceHooks {
  /** Loads or builds the segment's index and writes its sidecars if missing. */
  ensureIndexed(segment: Segment): Promise<void>;
  deleted(segment: Segment): void;
  gzipped(segment: Segment): void;
}

/** Unlinks a file; false if it was already gone (another process got there first). */
async function unlinkQuiet(path: string): Promise<boolean> {
  try {
    await fsp.unlink(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return false;
  }
}

async function statQuiet(path: string) {
  try {
    return await fsp.stat(path);
  } catch {
    return undefined;
  }
}

/** Deletes a segment and its sidecars; true if this call removed its data. */
export async function deleteSegment(dir: string, seq: number): Promise<boolean> {
  const base = join(dir, segmentFile(seq));
  const plain = await unlinkQuiet(base);
  const gz = await unlinkQuiet(`${base}.gz`);
  await unlinkQuiet(summaryPath(dir, seq));
  await unlinkQuiet(offsetsPath(dir, seq));
  return plain || gz;
}

/**
 * `segments` ascending; `newest` is the segment being written (never touched). A closed segment
 * is gzipped once nobody has written it for `gzipAfterMs`: a writer that has not yet noticed the
 * rotation could otherwise append to a file that is about to be replaced.
 */
export async function runMaintenance(
  dir: string,
  segments: readonly Segment[],
  newest: number | undefined,
  options: MaintenanceOptions,
  now: number,
  hooks: MaintenanceHooks,
): Promise<void> {
  const closed = segments.filter((s) => newest !== undefined && s.seq < newest);
  for (const segment of closed) {
    const plain = await statQuiet(join(dir, segmentFile(segment.seq)));
    const gz = plain === undefined ? await statQuiet(join(dir, `${segmentFile(segment.seq)}.gz`)) : undefined;
    segment.gz = plain === undefined && gz !== undefined;
    segment.diskBytes = (plain ?? gz)?.size ?? 0;
    segment.mtimeMs = (plain ?? gz)?.mtimeMs ?? 0;
  }
  // Retention: by age of the newest event, then by total size, oldest first.
  let total = closed.reduce((sum, s) => sum + s.diskBytes, 0);
  const kept: Segment[] = [];
  for (const segment of closed) {
    const newestEvent = segment.loaded && segment.count > 0 ? segment.maxTs : segment.mtimeMs;
    if (total > options.maxTotalBytes || (options.maxAgeMs !== Infinity && newestEvent < now - options.maxAgeMs)) {
      if (await deleteSegment(dir, segment.seq)) hooks.deleted(segment);
      total -= segment.diskBytes;
    } else {
      kept.push(segment);
    }
  }
  for (const segment of kept) {
    await hooks.ensureIndexed(segment);
    if (options.gzip && !segment.gz && now - segment.mtimeMs >= options.gzipAfterMs) {
      if (await gzipSegment(dir, segment)) hooks.gzipped(segment);
    }
  }
}

/** Replaces a closed segment by its gzip; false if it changed meanwhile (or another process did it). */
async function gzipSegment(dir: string, segment: Segment): Promise<boolean> {
  const { createGzip } = await import('node:zlib');
  const { pipeline } = await import('node:stream/promises');
  const { createReadStream, createWriteStream } = await import('node:fs');
  const plain = join(dir, segmentFile(segment.seq));
  const tmp = `${plain}.gz.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    const before = await fsp.stat(plain);
    await pipeline(createReadStream(plain), createGzip(), createWriteStream(tmp));
    // A late appender wrote while we compressed: keep the plain file, try again after the next quiet period.
    const after = await fsp.stat(plain);
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
      await unlinkQuiet(tmp);
      return false;
    }
    await fsp.rename(tmp, `${plain}.gz`);
    await unlinkQuiet(plain);
    segment.gz = true;
    return true;
  } catch (error) {
    await unlinkQuiet(tmp).catch(() => {});
    // Another process gzipped it first.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return false;
  }
}
