/**
 * The in-memory index of the file log: which segments exist, their summaries (from the manifest,
 * the sidecars or the files themselves), the session offsets kept in memory, and the maintenance
 * passes that write sidecars, gzip and apply retention.
 *
 * Node built-ins and core types only; zlib is loaded lazily by the modules that need it (see file-log.ts).
 */
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { SegmentSummary } from './file-log-segment.js';
import { SEGMENT_RE, Segment, readManifest, readOffsets, readSummary, segmentFile, writeManifest, writeSidecars } from './file-log-segment.js';
import { linesForward, openReader, parseLine, type SegmentReader } from './file-log-reader.js';
import { runMaintenance, type MaintenanceOptions } from './file-log-maintenance.js';
import { sorted, wrapError, type FileLogState } from './file-log-state.js';

export interface SegmentIndexOptions {
  /** Segments whose session offsets are kept in memory (least recently used first out). */
  cachedSegments: number;
  maintenance: MaintenanceOptions;
}

/**
 * A closed segment unwritten for this long is final: a writer checks for a newer segment before
 * every batch, so only a batch already past that check (microseconds) can still land in it.
 */
const FINAL_QUIET_MS = 30_000;
/** Maintenance rewrites a stale manifest at most this often (close() always does). */
const MANIFEST_INTERVAL_MS = 10_000;

/** The index of one file log's segments, kept in `state.segments`. */
export function segmentIndex(state: FileLogState, options: SegmentIndexOptions) {
  const { dir, clock, counters, segments } = state;
  const { cachedSegments, maintenance } = options;
  /** Segments whose offsets are in memory, least recently used first. */
  const offsetCache: number[] = [];
  /** Manifest entries not used yet (read once per instance), and the segments the manifest on disk lists. */
  let manifest: Map<number, SegmentSummary> | undefined;
  let manifestOnDisk = new Set<number>();
  let manifestWrittenAt = 0;
  let summariesLoading: Promise<void> | undefined;

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
    for (const seq of segments.keys()) if (!seen.has(seq) && state.active?.segment.seq !== seq) segments.delete(seq);
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
    const list = sorted(state);
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

  /** After the first query's `loadSummaries()`: the manifest is checked once in the background. */
  function updateManifestOnce(): void {
    if (manifest !== undefined && manifestWrittenAt === 0) state.track(updateManifest(true));
  }

  /**
   * Loads every summary in the background, once per instance (for `stats().events`); segments
   * without a sidecar (the one being written by other processes, one just closed) are indexed from the file.
   */
  function loadInBackground(): void {
    if (summariesLoading !== undefined || state.closed) return;
    summariesLoading = (async () => {
      await state.ready();
      await refresh();
      await loadSummaries();
      for (const segment of sorted(state)) {
        if (state.closed) return;
        if (!segment.loaded || segment.seq === state.active?.segment.seq) await catchUp(segment, undefined);
      }
    })().catch((error: unknown) => {
      if (!state.closed) state.lastError = wrapError('reading summaries', error).message;
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

  function touch(seq: number): void {
    const at = offsetCache.indexOf(seq);
    if (at !== -1) offsetCache.splice(at, 1);
    offsetCache.push(seq);
    while (offsetCache.length > cachedSegments) {
      const victim = segments.get(offsetCache[0]!);
      // Only offsets that are on disk can be dropped; the active segment keeps its own.
      if (victim !== undefined && (victim.sidecarBytes !== victim.covered || victim.seq === state.active?.segment.seq)) break;
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
        for await (const lines of linesForward(r, segment.covered, r.size)) {
          for (const [offset, buffer, start, stop] of lines) {
            const event = parseLine(buffer, start, stop);
            if (event === undefined) {
              if (stop > start) segment.skipped++;
            } else if (event !== 'header') {
              segment.add(event, offset);
            }
            end = offset + (stop - start) + 1;
          }
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
    if (state.closed) return;
    await state.ready();
    await refresh();
    await loadSummaries();
    const newest = sorted(state).at(-1)?.seq;
    await runMaintenance(dir, sorted(state), newest, maintenance, clock(), {
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

  return {
    refresh,
    loadSummaries,
    updateManifest,
    updateManifestOnce,
    loadInBackground,
    settled,
    touch,
    catchUp,
    ensureOffsets,
    sealSegment,
    maintain,
  };
}

export type SegmentIndex = ReturnType<typeof segmentIndex>;
