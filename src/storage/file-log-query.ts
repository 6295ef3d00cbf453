/**
 * The read path of the file log: segments skipped on their summaries, a session's lines found by
 * their offsets, other lines filtered on raw bytes before parsing, pages in either order with a
 * cursor naming a segment and a line offset.
 *
 * Node built-ins and core types only (see file-log.ts).
 */
import type { EventQuery, FleetEvent, QueryPage } from '../core/index.js';
import type { Segment } from './file-log-segment.js';
import { linesAt, linesBackward, linesForward, openReader, parseLine, type SegmentReader } from './file-log-reader.js';
import type { SegmentIndex } from './file-log-index.js';
import { fail, sorted, type FileLogState } from './file-log-state.js';

// The core's page limits, repeated here so this file imports core types only (see file-log.ts).
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

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

/** The `query` of one file log's `Storage`; `drained` settles once this process's queued appends are written. */
export function fileLogQuery(state: FileLogState, index: SegmentIndex, drained: () => Promise<void>) {
  const { dir } = state;
  const { catchUp, ensureOffsets, settled, touch } = index;

  return async function query(query: EventQuery): Promise<QueryPage> {
    if (state.closed) fail('storage is closed');
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)));
    const cursor = decodeCursor(query.cursor);
    const desc = query.order === 'desc';
    const types = query.types === undefined ? undefined : new Set(query.types);
    await state.ready();
    await drained();
    await index.refresh();
    const list = sorted(state);
    const newest = list.at(-1)?.seq ?? 0;
    // Summaries of segments this instance has not seen yet: the manifest, then sidecars, read in parallel.
    await index.loadSummaries();
    index.updateManifestOnce();
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
      const reader = await openUnlessDeleted(dir, segment);
      if (reader === undefined) continue;
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
          runs: for await (const lines of linesAt(reader, ordered)) {
            for (const [offset, buffer, start, stop] of lines) {
              const event = parseLine(buffer, start, stop);
              if (event === undefined || event === 'header') continue;
              if (!take(event, offset)) break runs;
            }
          }
        } else {
          const linesOf = desc
            ? linesBackward(reader, 0, Math.min(segment.covered, before))
            : linesForward(reader, after + 1, segment.covered);
          chunks: for await (const lines of linesOf) {
            for (const [offset, buffer, start, stop] of lines) {
              if (desc && offset >= before) continue;
              if (!wantedLine(buffer, start, stop, required, typeNeedles)) continue;
              const event = parseLine(buffer, start, stop);
              if (event === undefined || event === 'header') continue;
              if (!take(event, offset)) break chunks;
            }
          }
        }
      } finally {
        await reader.close();
      }
      if (more) break;
    }
    return more && last !== undefined ? { events, nextCursor: encodeCursor(last) } : { events };
  };
}

/** A reader of the segment; undefined when retention deleted it since the directory was listed. */
async function openUnlessDeleted(dir: string, segment: Segment): Promise<SegmentReader | undefined> {
  try {
    return await openReader(dir, segment);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Whether a line holds every required needle and one of the type needles (if any), checked on its bytes. */
function wantedLine(buffer: Buffer, start: number, stop: number, required: readonly Buffer[], typeNeedles: readonly Buffer[] | undefined): boolean {
  const holds = (needle: Buffer) => {
    const at = buffer.indexOf(needle, start);
    return at !== -1 && at < stop;
  };
  return required.every(holds) && (typeNeedles === undefined || typeNeedles.some(holds));
}

/**
 * `latestSessions(n)` of one file log: the ids of the `n` sessions whose last event was appended
 * latest, newest first, from the segments' session offsets (a sidecar, or the lines the index has not
 * covered yet), without reading a single event: the same sessions, in the same order, as the first
 * `n` distinct sessions of a `desc` query over the whole store.
 */
export function fileLogLatestSessions(state: FileLogState, index: SegmentIndex, drained: () => Promise<void>) {
  const { dir } = state;
  return async function latestSessions(n: number): Promise<string[]> {
    if (state.closed) fail('storage is closed');
    await state.ready();
    await drained();
    await index.refresh();
    await index.loadSummaries();
    const found: string[] = [];
    const seen = new Set<string>();
    for (const segment of sorted(state).reverse()) {
      if (found.length >= n) break;
      const reader = await openUnlessDeleted(dir, segment);
      if (reader === undefined) continue;
      try {
        await index.catchUp(segment, reader);
        await index.ensureOffsets(segment);
        if (segment.offsets === undefined || segment.covered === 0) await index.catchUp(segment, reader);
      } finally {
        await reader.close();
      }
      index.touch(segment.seq);
      const last = [...segment.sessions]
        .filter((id) => !seen.has(id))
        .map((id) => [id, segment.lastOffsetOf(id) ?? -1] as const)
        .sort((a, b) => b[1] - a[1]);
      for (const [id] of last) {
        if (found.length >= n) break;
        seen.add(id);
        found.push(id);
      }
    }
    return found;
  };
}

/** What the segment summaries say about a whole file log (`FileLogStorage.summarize`). */
export interface FileLogSummary {
  events: number;
  /** Distinct session ids. */
  sessions: number;
  firstEvent: number | null;
  lastEvent: number | null;
  /** Events per type; undefined when a segment's sidecar was written before types were counted. */
  byType: Record<string, number> | undefined;
  /** Lines that were not valid events. */
  skippedLines: number;
  segments: number;
}

export function fileLogSummarize(state: FileLogState, index: SegmentIndex, drained: () => Promise<void>) {
  const { dir } = state;
  return async function summarize(): Promise<FileLogSummary> {
    if (state.closed) fail('storage is closed');
    await state.ready();
    await drained();
    await index.refresh();
    await index.loadSummaries();
    const list = sorted(state);
    const newest = list.at(-1)?.seq ?? 0;
    const sessions = new Set<string>();
    const byType = new Map<string, number>();
    const out: FileLogSummary = { events: 0, sessions: 0, firstEvent: null, lastEvent: null, byType: undefined, skippedLines: 0, segments: list.length };
    let typesKnown = true;
    for (const segment of list) {
      // A summary covering the whole file answers; else the lines it does not cover are indexed first.
      const whole = index.settled(segment, newest) || (segment.gz && segment.loaded && segment.sidecarBytes > 0 && segment.sidecarBytes === segment.covered);
      if (!whole) {
        const reader = await openUnlessDeleted(dir, segment);
        if (reader === undefined) continue;
        try {
          await index.catchUp(segment, reader);
        } finally {
          await reader.close();
        }
      }
      if (segment.count === 0) {
        out.skippedLines += segment.skipped;
        continue;
      }
      out.events += segment.count;
      out.skippedLines += segment.skipped;
      for (const id of segment.sessions) sessions.add(id);
      if (out.firstEvent === null || segment.minTs < out.firstEvent) out.firstEvent = segment.minTs;
      if (out.lastEvent === null || segment.maxTs > out.lastEvent) out.lastEvent = segment.maxTs;
      if (segment.typeCounts === undefined) typesKnown = false;
      else for (const [type, n] of segment.typeCounts) byType.set(type, (byType.get(type) ?? 0) + n);
    }
    out.sessions = sessions.size;
    if (typesKnown) out.byType = Object.fromEntries(byType);
    return out;
  };
}
