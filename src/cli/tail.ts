/**
 * `fleetscope tail [--follow] [--filter EXPR]`: one readable line per event (time, session, agent,
 * type, summary), coloured by severity on a TTY; `--json` prints the raw events, one per line.
 * `--follow` keeps reading a store as it grows, across segment rotation (queries by time from the
 * newest event printed, so a rotated segment is read like any other); a PostgreSQL store the same
 * way, and a Redis stream with `XREAD BLOCK` from its newest entry; through a server outage it says so
 * on stderr, retries with backoff and resumes from its position (follow-outage.ts).
 */
import type { FleetEvent } from '../core/index.js';
import { createObserver } from '../index.js';
import { renderEventLine } from '../reports/event-line.js';
import { CliError, SOURCE_HELP, SOURCE_OPTIONS, colorEnabled, parseCommand } from './options.js';
import { postgresStorage } from '../storage/index.js';
import { followOutage, sleep } from './follow-outage.js';
import { followRedisStream, newestRedisEntryId } from './redis-source.js';
import { checkStore, openStoreForReading, replaySelection, requireEvents, selectionFrom, sourcesFrom, warnSkipped, type EventSelection, type SourceSpec } from './sources.js';

const HELP = `Usage: fleetscope tail [sources] [filters] [-n N] [--follow] [--filter EXPR] [--json]

One line per event: time (UTC), session, agent, type, summary. Colour by severity on a TTY.
  -n, --lines N      the last N events (default 20; 0: all)
  -f, --follow       keep printing events as the store grows (--store, --postgres: polled;
                     --redis: XREAD BLOCK; Ctrl-C ends); a server restart or outage is said on
                     stderr and retried with backoff, resuming where it stopped
  --poll-ms N        --follow: how often the store is polled, in ms (default 500, at least 20)
  --filter EXPR      space-separated terms, all must hold: key=value or key!=value, value may
                     use * (keys: type, session, agent, source, severity, tool, model, status)
                     e.g. --filter 'type=tool.end status=error tool=Bash*'
  --json             the raw events, one JSON object per line

${SOURCE_HELP}

Exit codes: 0 printed, 1 error, 3 no event matched (without --follow).
`;

/** How far back each poll of --follow reads for events appended late. */
const LATE_MS = 5000;

const OPTIONS = {
  ...SOURCE_OPTIONS,
  lines: { type: 'string', short: 'n' },
  follow: { type: 'boolean', short: 'f' },
  filter: { type: 'string' },
  'poll-ms': { type: 'string' },
} as const;

/** `--filter`: `key=value` / `key!=value` terms joined by spaces, `*` a wildcard. */
export function compileFilter(expr: string): (event: FleetEvent) => boolean {
  const fields: Record<string, (e: FleetEvent) => unknown> = {
    type: (e) => e.type,
    session: (e) => e.sessionId,
    agent: (e) => e.agentId,
    source: (e) => e.source,
    severity: (e) => e.severity,
    tool: (e) => (e.payload as { toolName?: unknown }).toolName,
    model: (e) => (e.payload as { model?: unknown }).model,
    status: (e) => (e.payload as { status?: unknown }).status,
  };
  const terms = expr
    .split(/\s+/)
    .filter((t) => t !== '')
    .map((term) => {
      const m = /^([a-z]+)(!?=)(.*)$/.exec(term);
      if (!m || fields[m[1]!] === undefined) {
        throw new CliError(`--filter: "${term}" is not key=value or key!=value with a key among ${Object.keys(fields).join(', ')}`);
      }
      const re = new RegExp(`^${m[3]!.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      const get = fields[m[1]!]!;
      const negate = m[2] === '!=';
      return (e: FleetEvent) => re.test(String(get(e) ?? '')) !== negate;
    });
  return (e) => terms.every((t) => t(e));
}

export async function runTailCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommand(argv, OPTIONS, false);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const lines = values.lines === undefined ? 20 : Number(values.lines);
  if (!Number.isInteger(lines) || lines < 0) throw new CliError(`--lines ${JSON.stringify(values.lines)} is not a whole number >= 0`);
  const pollMs = values['poll-ms'] === undefined ? 500 : Number(values['poll-ms']);
  if (!Number.isInteger(pollMs) || pollMs < 20) throw new CliError(`--poll-ms ${JSON.stringify(values['poll-ms'])} is not a whole number >= 20`);
  const match = values.filter !== undefined ? compileFilter(values.filter) : () => true;
  const sources = sourcesFrom(values);
  const sel = selectionFrom(values);
  const followed = sources[0]!;
  if (values.follow && (sources.length !== 1 || !['store', 'postgres', 'redis'].includes(followed.kind))) {
    throw new CliError('--follow reads one store: --store DIR (or the default store), --postgres URL or --redis URL');
  }
  // A stream is followed from its newest entry before the first read: entries added meanwhile are read again, and skipped by id.
  const streamFrom = values.follow && followed.kind === 'redis' ? await newestRedisEntryId(followed.path, followed.stream!) : undefined;
  const color = colorEnabled();
  const print = (e: FleetEvent) => process.stdout.write(`${values.json ? JSON.stringify(e) : renderEventLine(e, { color })}\n`);

  // The last `lines` events: a ring, printed once everything is read.
  const ring: FleetEvent[] = [];
  let printedNewest: FleetEvent | undefined;
  /** Ids read, newest ones: --follow does not print them again. */
  const recent = new Map<string, number>();
  let pruneAt = 50_000;
  const { observer, result } = await replaySelection(sources, sel, () => createObserver({ storage: false, analyzers: [], onError: () => undefined }), {
    // Printing as it reads (-n 0) cannot start over if the transcripts' reading worker dies half-way
    // (see replaySelection): those are read on the main thread.
    ...(lines === 0 ? { claudeRead: 'main' as const } : {}),
    onEvent: (e) => {
      recent.set(e.id, e.timestamp);
      if (recent.size > pruneAt) {
        for (const [id, ts] of recent) if (ts < e.timestamp - 2 * LATE_MS) recent.delete(id);
        pruneAt = Math.max(50_000, recent.size * 2);
      }
      if (!match(e)) return;
      if (lines === 0) print(e);
      else {
        ring.push(e);
        if (ring.length > lines) ring.shift();
      }
      if (printedNewest === undefined || e.timestamp >= printedNewest.timestamp) printedNewest = e;
    },
  });
  await observer.close();
  for (const e of ring) print(e);
  warnSkipped(result);
  if (!values.follow) {
    requireEvents(result, sel);
    return 0;
  }
  const keep = (e: FleetEvent) => {
    if (recent.has(e.id)) return false;
    recent.set(e.id, e.timestamp);
    // The oldest ids go first (a Map iterates in insertion order): the stream is read in order.
    if (recent.size > 100_000) for (const id of [...recent.keys()].slice(0, 50_000)) recent.delete(id);
    return true;
  };
  await untilSignal((signal) =>
    streamFrom !== undefined
      ? followRedisStream(followed.path, followed.stream!, streamFrom, (events) => printNew(events, sel, match, print, keep), signal)
      : follow(followed, sel, match, print, printedNewest, recent, pollMs, signal),
  );
  return 0;
}

/** Runs `work` until SIGINT / SIGTERM aborts its signal. */
async function untilSignal(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await work(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Prints the events that pass the selection and the filter and that `keep` has not seen yet. */
function printNew(events: readonly FleetEvent[], sel: EventSelection, match: (e: FleetEvent) => boolean, print: (e: FleetEvent) => void, keep: (e: FleetEvent) => boolean): void {
  const types = sel.types;
  for (const e of events) {
    if (!keep(e)) continue;
    if (sel.sessionId !== undefined && e.sessionId !== sel.sessionId) continue;
    if (sel.agentId !== undefined && e.agentId !== sel.agentId) continue;
    if ((sel.from !== undefined && e.timestamp < sel.from) || (sel.to !== undefined && e.timestamp >= sel.to)) continue;
    if (types !== undefined && !types.some((t) => (t.endsWith('*') ? e.type.startsWith(t.slice(0, -1)) : e.type === t))) continue;
    if (match(e)) print(e);
  }
}

/** Prints what is appended to a store (file log or PostgreSQL) until `signal` aborts. */
async function follow(
  source: SourceSpec,
  sel: EventSelection,
  match: (e: FleetEvent) => boolean,
  print: (e: FleetEvent) => void,
  newest: FleetEvent | undefined,
  printed: Map<string, number>,
  pollMs: number,
  signal: AbortSignal,
): Promise<void> {
  const dir = source.path;
  const storage = source.kind === 'postgres' ? postgresStorage({ connectionString: source.path }) : openStoreForReading(dir);
  const types = sel.types !== undefined && sel.types.every((t) => !t.endsWith('*')) ? sel.types : undefined;
  // Hook processes append concurrently, so an event may land after one with a later timestamp:
  // each poll reads back LATE_MS before the newest event seen and skips the ids already printed.
  let newestTs = newest?.timestamp ?? sel.from ?? Date.now();
  const outage = followOutage(source.kind === 'postgres' ? source.path : dir, signal);
  const poll = async () => {
    let cursor: string | undefined;
    const fromTs = newestTs - LATE_MS;
    do {
      const page = await storage.query({
        from: fromTs,
        ...(sel.to !== undefined ? { to: sel.to } : {}),
        ...(sel.sessionId !== undefined ? { sessionId: sel.sessionId } : {}),
        ...(sel.agentId !== undefined ? { agentId: sel.agentId } : {}),
        ...(types !== undefined ? { types } : {}),
        limit: 10_000,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      for (const e of page.events) {
        if (printed.has(e.id)) continue;
        printed.set(e.id, e.timestamp);
        if (e.timestamp > newestTs) newestTs = e.timestamp;
        if (sel.types !== undefined && types === undefined && !sel.types.some((t) => (t.endsWith('*') ? e.type.startsWith(t.slice(0, -1)) : e.type === t))) continue;
        if (match(e)) print(e);
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    for (const [id, ts] of printed) if (ts < newestTs - 2 * LATE_MS) printed.delete(id);
  };
  try {
    while (!signal.aborted) {
      // A failed poll (the server restarting, a partition) is retried from the same position.
      try {
        if (source.kind === 'postgres' || checkStore(dir).segments.length > 0) await poll();
        outage.succeeded();
      } catch (error) {
        await outage.failed(error);
        continue;
      }
      await sleep(pollMs, signal);
    }
  } finally {
    await storage.close();
  }
}
