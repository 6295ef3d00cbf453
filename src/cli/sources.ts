/**
 * The sources of the read commands — hook stores (file logs), Claude Code transcripts, JSONL
 * event files, SQLite stores — opened through the public API and replayed into an observer.
 * Several sources at once are merged without counting a call twice, by the core's `dedupeKey`
 * (a tool call by its `toolCallId`, Claude Code's tool_use id; an LLM call by its request id; a
 * session's or subagent's start and end by their span; a prompt by its id): the first source
 * that has it keeps it, as the observer does for its runners. Filters (`--session`, `--agent`, `--since`, `--until`, `--type`)
 * are pushed down to store queries where they can be and applied to every event.
 */
import { accessSync, closeSync, constants, createReadStream, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { dedupeKey, isDerivedEvent, SourceDedupe, type EventInput, type EventQuery, type FleetEvent, type Observer, type QueryPage, type Storage } from '../core/index.js';
// Each module itself, not the runners' or storages' index: those load every runner and storage (OTLP,
// guardrails, redaction, the audit log) into every read command.
import { defaultClaudePaths, NO_CLAUDE_PATHS } from '../runners/claude-code-usage-files.js';
import { fileLogStorage, type FileLogStorage } from '../storage/file-log.js';
import { postgresStorage } from '../storage/postgres.js';
import { sqliteStorage } from '../storage/sqlite.js';
import { ClaudeWorkerLost, readClaude, type ClaudeReadMode } from './claude-source.js';
import { CliError, EXIT, counted, parseTime, progressLine, warn, withoutPassword } from './options.js';
import { readRedisStream } from './redis-source.js';

/** The store format this version reads (first line of every segment: `{"fleetscopeSegment":1,...}`). */
const SEGMENT_FORMAT = 1;
const SEGMENT_RE = /^(\d{8,})\.jsonl(\.gz)?$/;
/**
 * Events replayed between two `observer.flush()` (well under a subscription's 131,072 slots), and
 * events per store query: small pages let the events die young (10,000 kept them past a scavenge:
 * GC took 2.6 s of a 1M-event `report`, 0.6–0.9 s at 2,000).
 */
const FLUSH_EVERY = 2_000;
const PAGE = 2_000;
/** The stream `redisStreamExporter` writes by default. */
const DEFAULT_STREAM = 'fleetscope:events';

export type SourceKind = 'store' | 'claude' | 'jsonl' | 'sqlite' | 'postgres' | 'redis';

export interface SourceSpec {
  kind: SourceKind;
  /** Resolved path; '' for the default Claude Code dirs; the URL of a database or Redis. */
  path: string;
  /** The stream key of a `redis` source. */
  stream?: string;
}

/** What was selected: exact session or a prefix (resolved by `readSelection`). */
export interface EventSelection {
  sessionId?: string;
  /** Only these sessions (`sessions`: the newest ones); each is read through the store's session index. */
  sessionIds?: readonly string[];
  agentId?: string;
  from?: number;
  to?: number;
  /** Exact types and `ns.*` patterns. */
  types?: string[];
}

/** What reading one source found, for messages and `stats`. */
export interface SourceFacts {
  kind: SourceKind;
  path: string;
  /** Events handed on (after filters and de-duplication). */
  events: number;
  /** Events left out as already seen from an earlier source. */
  duplicates: number;
  /** Source-specific counts: skipped lines, malformed lines, files, ... */
  details: Record<string, number>;
}

export interface SourceOptionValues {
  store?: string[];
  claude?: string[];
  jsonl?: string[];
  sqlite?: string[];
  postgres?: string[];
  redis?: string[];
  stream?: string;
  session?: string;
  agent?: string;
  since?: string;
  until?: string;
  type?: string[];
}

/** The sources named on the command line; none named: the default hook store, which must exist. */
export function sourcesFrom(values: SourceOptionValues): SourceSpec[] {
  const out: SourceSpec[] = [];
  for (const p of values.store ?? []) out.push({ kind: 'store', path: resolve(p) });
  for (const p of values.claude ?? []) out.push({ kind: 'claude', path: p === '' ? '' : resolve(p) });
  for (const p of values.jsonl ?? []) out.push({ kind: 'jsonl', path: resolve(p) });
  for (const p of values.sqlite ?? []) out.push({ kind: 'sqlite', path: resolve(p) });
  for (const url of values.postgres ?? []) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new CliError(`--postgres takes a postgres:// URL, got ${withoutPassword(url)}`);
    out.push({ kind: 'postgres', path: url });
  }
  for (const url of values.redis ?? []) {
    if (!/^rediss?:\/\//.test(url)) throw new CliError(`--redis takes a redis:// URL, got ${withoutPassword(url)}`);
    out.push({ kind: 'redis', path: url, stream: values.stream ?? DEFAULT_STREAM });
  }
  if (values.stream !== undefined && (values.redis ?? []).length === 0) throw new CliError('--stream names the stream of a --redis source: give --redis URL too');
  if (out.length === 0) {
    const dir = process.env.FLEETSCOPE_STORE ?? '.fleetscope';
    if (!existsSync(dir)) {
      throw new CliError(
        `no store at ${resolve(dir)}: install the hook (docs/claude-code.md), or name a source: --store DIR, --claude [DIR], --jsonl FILE, --sqlite FILE`,
      );
    }
    out.push({ kind: 'store', path: resolve(dir) });
  }
  for (const s of out) checkReadable(s);
  return out;
}

export function selectionFrom(values: SourceOptionValues, now = Date.now()): EventSelection {
  const sel: EventSelection = {};
  if (values.session !== undefined) sel.sessionId = values.session;
  if (values.agent !== undefined) sel.agentId = values.agent;
  if (values.since !== undefined) sel.from = parseTime(values.since, 'since', now);
  if (values.until !== undefined) sel.to = parseTime(values.until, 'until', now);
  if (values.type !== undefined) sel.types = values.type.flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t !== '');
  if (sel.from !== undefined && sel.to !== undefined && sel.from >= sel.to) throw new CliError('--since must be before --until');
  return sel;
}

/** A missing or unreadable path is an error before anything is read. */
function checkReadable(source: SourceSpec): void {
  // A database or a Redis server is checked by connecting, when it is read.
  if (source.kind === 'postgres' || source.kind === 'redis') return;
  if (source.path === '') {
    if (defaultClaudePaths().length === 0) {
      throw new CliError(`${NO_CLAUDE_PATHS}; pass --claude DIR`);
    }
    return;
  }
  let st;
  try {
    st = statSync(source.path);
  } catch {
    throw new CliError(`${source.path}: no such file or directory`);
  }
  const wantDir = source.kind === 'store';
  if (wantDir && !st.isDirectory()) throw new CliError(`${source.path}: not a directory (--store takes a store directory)`);
  if ((source.kind === 'jsonl' || source.kind === 'sqlite') && !st.isFile()) throw new CliError(`${source.path}: not a file`);
  try {
    accessSync(source.path, st.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK);
    if (st.isDirectory()) readdirSync(source.path);
  } catch {
    throw new CliError(`${source.path}: permission denied`);
  }
}

const typeMatcher = (types: readonly string[] | undefined): ((type: string) => boolean) | undefined => {
  if (types === undefined || types.length === 0) return undefined;
  const exact = new Set(types.filter((t) => !t.endsWith('*')));
  const prefixes = types.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1));
  return (type) => exact.has(type) || prefixes.some((p) => type.startsWith(p));
};

/** The predicate every event passes; `sessionPrefix` matches ids starting with it. */
function predicate(sel: EventSelection, sessionPrefix: boolean): (e: EventInput) => boolean {
  const types = typeMatcher(sel.types);
  const sessions = sel.sessionIds === undefined ? undefined : new Set(sel.sessionIds);
  return (e) => {
    if (sessions !== undefined && !sessions.has(e.sessionId ?? '')) return false;
    if (sel.sessionId !== undefined && (sessionPrefix ? !(e.sessionId ?? '').startsWith(sel.sessionId) : e.sessionId !== sel.sessionId)) return false;
    if (sel.agentId !== undefined && e.agentId !== sel.agentId) return false;
    const ts = e.timestamp;
    if (sel.from !== undefined && (ts === undefined || ts < sel.from)) return false;
    if (sel.to !== undefined && (ts === undefined || ts >= sel.to)) return false;
    if (types !== undefined && !types(e.type)) return false;
    return true;
  };
}

/**
 * "Now" on the replayed events' time line: the newest event time read so far (the wall clock
 * before the first), as `replayStorage` does. Given to the replay's observer as its `clock`, it
 * makes analyzers date what they derive, and measure what is still running ("stuck agent"), against
 * the history rather than the day the report is made, so a report over the same events is the same.
 */
export class ReplayClock {
  private newest = -Infinity;
  readonly now = (): number => (this.newest === -Infinity ? Date.now() : this.newest);

  see(timestamp: number | undefined): void {
    if (timestamp !== undefined && timestamp > this.newest) this.newest = timestamp;
  }

  /** Back to no event read (a new observer replays from the start). */
  reset(): void {
    this.newest = -Infinity;
  }
}

export interface ReplayOptions {
  /** Called with each event the observer accepted (trace, tail). */
  onEvent?: (event: FleetEvent) => void;
  /** Treat `sessionId` as a prefix. */
  sessionPrefix?: boolean;
  /** Label of the progress line. */
  label?: string;
  /**
   * Leave out events an analyzer derived (source `analyzer:<name>`: insights, anomalies, budget
   * alerts): replayed through the analyzers again, they would be counted twice. Default false.
   */
  skipDerived?: boolean;
  /** Told each replayed event's time (see `ReplayClock`). */
  clock?: ReplayClock;
  /** Where `--claude` transcripts are read (see `claudeReadMode`); default from FLEETSCOPE_READ_WORKER. */
  claudeRead?: ClaudeReadMode;
}

export interface ReplayResult {
  sources: SourceFacts[];
  /** Events the observer accepted. */
  events: number;
  /** Events the observer refused (counted by reason in its stats). */
  invalid: number;
  /** Distinct session ids seen (up to 100), for prefix resolution. */
  sessionIds: string[];
}

/**
 * Reads every source in turn and emits the selected events into `observer`, flushing every
 * FLUSH_EVERY events so that no analyzer's buffer overflows. Throws CliError for a source it
 * cannot read (a store of another version, a file that holds no events).
 */
export async function replay(sources: readonly SourceSpec[], sel: EventSelection, observer: Observer, options: ReplayOptions = {}): Promise<ReplayResult> {
  const keep = predicate(sel, options.sessionPrefix === true);
  // A replay reads a bounded set of files: every key is remembered.
  const seen = sources.length > 1 ? new SourceDedupe(Infinity) : undefined;
  const sessionIds = new Set<string>();
  const progress = progressLine(options.label ?? 'reading');
  const result: ReplayResult = { sources: [], events: 0, invalid: 0, sessionIds: [] };
  let sinceFlush = 0;

  const push = async (inputs: Iterable<EventInput>, facts: SourceFacts, index: number): Promise<void> => {
    for (const input of inputs) {
      if (!keep(input)) continue;
      if (options.skipDerived === true && isDerivedEvent(input)) continue;
      if (seen !== undefined) {
        const key = dedupeKey(input);
        if (key !== undefined && !seen.admit(key, index)) {
          facts.duplicates++;
          continue;
        }
      }
      options.clock?.see(input.timestamp);
      const event = observer.emit(input);
      if (event === undefined) {
        result.invalid++;
        continue;
      }
      facts.events++;
      result.events++;
      if (sessionIds.size < 100) sessionIds.add(event.sessionId);
      options.onEvent?.(event);
      sinceFlush++;
    }
    if (sinceFlush >= FLUSH_EVERY) {
      sinceFlush = 0;
      progress.update(`${result.events.toLocaleString('en-US')} events`);
      await observer.flush();
    }
  };

  try {
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i]!;
      const facts: SourceFacts = { kind: source.kind, path: withoutPassword(source.path), events: 0, duplicates: 0, details: {} };
      result.sources.push(facts);
      const sink = (inputs: Iterable<EventInput>) => push(inputs, facts, i);
      if (source.kind === 'store') await readStore(source.path, sel, options.sessionPrefix === true, sink, facts);
      else if (source.kind === 'sqlite') await readSqlite(source.path, sel, options.sessionPrefix === true, sink, facts);
      else if (source.kind === 'postgres') await readPostgres(source.path, sel, options.sessionPrefix === true, sink);
      else if (source.kind === 'redis') await readRedisStream(source.path, source.stream ?? DEFAULT_STREAM, sink, facts.details);
      else if (source.kind === 'jsonl') await readJsonl(source.path, sink, facts);
      else await readClaude(source.path, sink, facts, options.claudeRead);
    }
    await observer.flush();
  } finally {
    progress.done();
  }
  result.sessionIds = [...sessionIds];
  return result;
}

/** The queries a store can answer itself (one per session of `sessionIds`); the rest of the selection is applied per event. */
function pushDown(sel: EventSelection, sessionPrefix: boolean): EventQuery[] {
  const q = pushDownOne(sel, sessionPrefix);
  return sel.sessionIds === undefined ? [q] : sel.sessionIds.map((sessionId) => ({ ...q, sessionId }));
}

function pushDownOne(sel: EventSelection, sessionPrefix: boolean): EventQuery {
  const q: EventQuery = { limit: PAGE };
  if (sel.sessionId !== undefined && !sessionPrefix) q.sessionId = sel.sessionId;
  if (sel.agentId !== undefined) q.agentId = sel.agentId;
  if (sel.from !== undefined) q.from = sel.from;
  if (sel.to !== undefined) q.to = sel.to;
  if (sel.types !== undefined && sel.types.length > 0 && sel.types.every((t) => !t.endsWith('*'))) q.types = sel.types;
  return q;
}

/**
 * Every page of `queries`, in order, into `sink`. The next page is asked for before the current one
 * goes to the sink, so that the store's file system calls (a file log's `readdir`, `open`, `read`,
 * `close` per page) and its parsing between them overlap the analyzers' work instead of following
 * it; at most two pages are held at once.
 */
async function pageThrough(storage: Storage, queries: readonly EventQuery[], sink: (inputs: Iterable<EventInput>) => Promise<void>): Promise<void> {
  for (const query of queries) {
    let next: Promise<QueryPage> | undefined = storage.query(query);
    while (next !== undefined) {
      const page: QueryPage = await next;
      next = page.nextCursor === undefined ? undefined : storage.query({ ...query, cursor: page.nextCursor });
      // Marked handled while the sink runs (a rejection is still thrown by the `await` above).
      next?.catch(() => undefined);
      await sink(page.events as readonly EventInput[]);
    }
  }
}

/**
 * A file log opened to read: no maintenance timer, and no retention (maxAgeMs / maxTotalBytes
 * Infinity) — a reader must never delete a store's old segments, whatever their age.
 */
export function openStoreForReading(dir: string): FileLogStorage {
  return fileLogStorage({ dir, maintenanceIntervalMs: 0, maxAgeMs: Infinity, maxTotalBytes: Infinity });
}

/** Checks a file-log directory: segments present, each of the format this version reads. */
export function checkStore(dir: string): { segments: string[] } {
  const segments = readdirSync(dir).filter((n) => SEGMENT_RE.test(n)).sort();
  const first = segments.find((n) => n.endsWith('.jsonl'));
  if (first !== undefined) {
    const fd = openSync(`${dir}/${first}`, 'r');
    const buf = Buffer.alloc(256);
    let n = 0;
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
    const line = buf.toString('utf8', 0, n).split('\n', 1)[0] ?? '';
    let header: unknown;
    try {
      header = JSON.parse(line);
    } catch {
      header = undefined;
    }
    const version = (header as { fleetscopeSegment?: unknown } | undefined)?.fleetscopeSegment;
    if (version === undefined) throw new CliError(`${dir}/${first}: not a fleetscope store segment (no {"fleetscopeSegment":…} header)`);
    if (version !== SEGMENT_FORMAT) {
      throw new CliError(`${dir}: store format ${JSON.stringify(version)}, this fleetscope reads format ${SEGMENT_FORMAT}; use the fleetscope version that wrote it`);
    }
  }
  return { segments };
}

async function readStore(dir: string, sel: EventSelection, sessionPrefix: boolean, sink: (inputs: Iterable<EventInput>) => Promise<void>, facts: SourceFacts): Promise<void> {
  const { segments } = checkStore(dir);
  facts.details.segments = segments.length;
  if (segments.length === 0) return;
  const storage = openStoreForReading(dir);
  try {
    await pageThrough(storage, pushDown(sel, sessionPrefix), sink);
    const st = storage.stats();
    facts.details.skippedLines = Number(st.skippedLines ?? 0);
    facts.details.tornRecords = Number(st.tornRecords ?? 0);
  } catch (error) {
    throw new CliError(`cannot read store ${dir}: ${(error as Error).message}`);
  } finally {
    await storage.close();
  }
}

async function readSqlite(path: string, sel: EventSelection, sessionPrefix: boolean, sink: (inputs: Iterable<EventInput>) => Promise<void>, facts: SourceFacts): Promise<void> {
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') !== 'SQLite format 3\0') throw new CliError(`${path}: not a SQLite database`);
  const storage = sqliteStorage({ path });
  try {
    await pageThrough(storage, pushDown(sel, sessionPrefix), sink);
  } catch (error) {
    throw new CliError(`cannot read SQLite store ${path}: ${(error as Error).message}`);
  } finally {
    await storage.close();
  }
}

/** A PostgreSQL store (`postgresStorage`, docs/fleet.md): the fleet's events, queried through its indexes. */
async function readPostgres(url: string, sel: EventSelection, sessionPrefix: boolean, sink: (inputs: Iterable<EventInput>) => Promise<void>): Promise<void> {
  const storage = postgresStorage({ connectionString: url });
  try {
    await pageThrough(storage, pushDown(sel, sessionPrefix), sink);
  } catch (error) {
    throw new CliError(`cannot read PostgreSQL store ${withoutPassword(url)}: ${(error as Error).message.replaceAll(url, withoutPassword(url))}`);
  } finally {
    await storage.close();
  }
}

/** A JSONL file of events (an export, an event file, a segment): one JSON object per line. */
async function readJsonl(path: string, sink: (inputs: Iterable<EventInput>) => Promise<void>, facts: SourceFacts): Promise<void> {
  const d = (facts.details = { lines: 0, malformed: 0, notEvents: 0, headers: 0 });
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let batch: EventInput[] = [];
  try {
    for await (const line of lines) {
      d.lines++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        d.malformed++;
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        d.notEvents++;
        continue;
      }
      if ('fleetscopeSegment' in value) {
        d.headers++;
        continue;
      }
      if (typeof (value as { type?: unknown }).type !== 'string') {
        d.notEvents++;
        continue;
      }
      batch.push(value as EventInput);
      if (batch.length >= 1000) {
        await sink(batch);
        batch = [];
      }
    }
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  await sink(batch);
  if (facts.events === 0 && d.malformed + d.notEvents > 0 && d.malformed + d.notEvents >= d.lines - d.headers - 1) {
    throw new CliError(`${path}: not a file of fleetscope events (${d.lines} lines: ${d.malformed} not JSON, ${d.notEvents} not events)`);
  }
}

/** One stderr line for what a source skipped (torn or corrupted lines), so nothing is lost silently. */
export function warnSkipped(result: ReplayResult): void {
  for (const f of result.sources) {
    const d = f.details;
    const skipped = (d.skippedLines ?? 0) + (d.malformed ?? 0) + (d.notEvents ?? 0) + (d.oversized ?? 0);
    if (skipped > 0) warn(`${f.path || 'transcripts'}: ${counted(skipped, 'line')} skipped (torn, corrupted or not events)`);
  }
  if (result.invalid > 0) warn(`${counted(result.invalid, 'event')} refused as invalid`);
}

/**
 * `replay` with `--session` resolved: an exact id first; when nothing matches, the sessions whose
 * id starts with it. Several: an error naming them; none: "nothing matched" (exit 3).
 * `makeObserver` is called again for the prefix pass, so no event is counted twice.
 */
export async function replaySelection(
  sources: readonly SourceSpec[],
  sel: EventSelection,
  makeObserver: () => Observer,
  options: ReplayOptions = {},
): Promise<{ observer: Observer; result: ReplayResult; sessionId?: string }> {
  let { observer, result } = await replayFresh(sources, sel, makeObserver, options);
  if (sel.sessionId === undefined || result.events > 0) return { observer, result, ...(sel.sessionId !== undefined ? { sessionId: sel.sessionId } : {}) };
  // Nothing under the exact id: try it as a prefix.
  await observer.close();
  const prefix = sel.sessionId;
  const indexed = await sessionsByPrefix(sources, sel, prefix);
  let matches = indexed;
  if (matches === undefined) {
    const probe = await replayFresh(sources, { ...sel, types: undefined }, makeObserver, { ...options, onEvent: undefined, sessionPrefix: true });
    matches = probe.result.sessionIds;
    await probe.observer.close();
  }
  if (matches.length === 0) throw new CliError(`no session matches "${prefix}"`, EXIT.nothing);
  if (matches.length > 1) {
    const count = indexed === undefined && matches.length >= 100 ? '100 or more' : String(matches.length);
    const shown = [...matches].sort().slice(0, 10).join(', ');
    throw new CliError(`"${prefix}" matches ${count} sessions: ${shown}${matches.length > 10 ? ', …' : ''}; give more of the id`);
  }
  const sessionId = matches[0]!;
  ({ observer, result } = await replayFresh(sources, { ...sel, sessionId }, makeObserver, options));
  return { observer, result, sessionId };
}

/**
 * `replay` into a new observer. If the worker reading `--claude` transcripts dies half-way, its events
 * so far are already in that observer: it is closed and the replay starts over from scratch with a
 * fresh one, the transcripts read on the main thread (said once on stderr).
 */
async function replayFresh(
  sources: readonly SourceSpec[],
  sel: EventSelection,
  makeObserver: () => Observer,
  options: ReplayOptions,
): Promise<{ observer: Observer; result: ReplayResult }> {
  const observer = makeObserver();
  try {
    return { observer, result: await replay(sources, sel, observer, options) };
  } catch (error) {
    if (!(error instanceof ClaudeWorkerLost)) throw error;
    await observer.close();
    warn(`${error.message}: reading again on the main thread`);
  }
  const again = makeObserver();
  return { observer: again, result: await replay(sources, sel, again, { ...options, claudeRead: 'main' }) };
}

/**
 * The sessions whose id starts with `prefix`, from the session indexes of file-log stores (newest
 * first), without reading events; undefined when a source is not a store or the selection filters
 * more than sessions (then the events are read to find them).
 */
async function sessionsByPrefix(sources: readonly SourceSpec[], sel: EventSelection, prefix: string): Promise<string[] | undefined> {
  if (sources.some((s) => s.kind !== 'store') || sel.agentId !== undefined || sel.from !== undefined || sel.to !== undefined) return undefined;
  const found = new Set<string>();
  for (const source of sources) {
    if (checkStore(source.path).segments.length === 0) continue;
    const storage = openStoreForReading(source.path);
    try {
      for (const id of await storage.latestSessions(Number.MAX_SAFE_INTEGER)) if (id.startsWith(prefix)) found.add(id);
    } catch (error) {
      throw new CliError(`cannot read store ${source.path}: ${(error as Error).message}`);
    } finally {
      await storage.close();
    }
  }
  return [...found];
}

/** No event selected: a message and exit 3, never an empty report with exit 0. */
export function requireEvents(result: ReplayResult, sel: EventSelection): void {
  if (result.events > 0) return;
  const where = result.sources.map((s) => s.path || 'Claude Code transcripts').join(', ');
  const filtered = sel.sessionId !== undefined || sel.agentId !== undefined || sel.from !== undefined || sel.to !== undefined || sel.types !== undefined;
  throw new CliError(filtered ? `no events match the filters in ${where}` : `no events in ${where} (empty store?)`, EXIT.nothing);
}

/**
 * The ids of the `n` sessions with the latest activity in one store (file log, SQLite or
 * PostgreSQL), newest first: a query by session then reads only those sessions. A file log answers
 * from its session index when nothing but sessions is selected; otherwise the store is read newest
 * first through its own index, at most `maxEvents` events back (default 1,000,000).
 */
export async function latestSessionIds(source: SourceSpec, sel: EventSelection, n: number, maxEvents = 1_000_000): Promise<string[]> {
  if (source.kind === 'store' && checkStore(source.path).segments.length === 0) return [];
  const storage =
    source.kind === 'store' ? openStoreForReading(source.path) : source.kind === 'postgres' ? postgresStorage({ connectionString: source.path }) : sqliteStorage({ path: source.path });
  const ids = new Set<string>();
  const keep = predicate(sel, false);
  const unfiltered = sel.agentId === undefined && sel.from === undefined && sel.to === undefined && sel.types === undefined;
  try {
    if (unfiltered && 'latestSessions' in storage) return await (storage as FileLogStorage).latestSessions(n);
    let cursor: string | undefined;
    let read = 0;
    const query: EventQuery = { ...pushDownOne(sel, false), order: 'desc' };
    do {
      const page = await storage.query(cursor === undefined ? query : { ...query, cursor });
      for (const e of page.events) {
        if (keep(e as EventInput)) ids.add(e.sessionId);
        if (ids.size >= n) return [...ids];
      }
      read += page.events.length;
      cursor = page.nextCursor;
    } while (cursor !== undefined && read < maxEvents);
    return [...ids];
  } catch (error) {
    throw new CliError(`cannot read ${withoutPassword(source.path)}: ${(error as Error).message}`);
  } finally {
    await storage.close();
  }
}
