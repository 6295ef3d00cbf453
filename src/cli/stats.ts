/**
 * `fleetscope stats`: facts about the sources — events by type, sessions, time range, size on
 * disk, segments, torn and skipped lines. Over one file-log store without filters they come from
 * the store's segment summaries (`FileLogStorage.summarize`: no event parsed twice); otherwise from
 * the `aggregation` and `sessions` analyzers over the replayed events and each source's counters.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createObserver } from '../index.js';
import { aggregationAnalyzer, sessionsAnalyzer, type AggregationAnalyzerSnapshot, type SessionsSnapshot } from '../analyzers/index.js';
import { formatInt, formatTime } from '../reports/terminal.js';
import { CliError, SOURCE_HELP, SOURCE_OPTIONS, parseCommand } from './options.js';
import { checkStore, openStoreForReading, replaySelection, requireEvents, selectionFrom, sourcesFrom, type EventSelection, type ReplayResult, type SourceSpec } from './sources.js';

const HELP = `Usage: fleetscope stats [sources] [filters] [--json]

Facts about the sources: events by type, sessions, time range, size on disk, segments, torn
records and skipped (corrupted or partial) lines, duplicates merged across sources. Over one
store without filters the figures come from its segment index (events as stored).

${SOURCE_HELP}

Exit codes: 0 shown, 1 error, 3 no events.
`;

/** Bytes on disk under a path (a file, or a directory's files, one level of subfolders). */
function bytesOnDisk(path: string): number {
  if (path === '') return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  const walk = (dir: string, depth: number) => {
    for (const name of readdirSync(dir)) {
      try {
        const s = statSync(join(dir, name));
        if (s.isFile()) total += s.size;
        else if (s.isDirectory() && depth < 6) walk(join(dir, name), depth + 1);
      } catch {
        // vanished meanwhile
      }
    }
  };
  walk(path, 0);
  return total;
}

interface StatsFacts {
  events: number;
  invalid: number;
  sessions: number;
  firstEvent: number | null;
  lastEvent: number | null;
  byType: Record<string, number>;
  sources: ({ kind: string; path: string; events: number; duplicates: number; bytesOnDisk: number } & Record<string, unknown>)[];
}

const byCount = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));

function unfiltered(sel: EventSelection): boolean {
  return sel.sessionId === undefined && sel.sessionIds === undefined && sel.agentId === undefined && sel.from === undefined && sel.to === undefined && sel.types === undefined;
}

/** One store's facts from its segment summaries; undefined when they do not hold the counts (older sidecars). */
async function factsFromIndex(source: SourceSpec, sel: EventSelection): Promise<StatsFacts | undefined> {
  const { segments } = checkStore(source.path);
  const storage = openStoreForReading(source.path);
  try {
    const summary = segments.length === 0 ? undefined : await storage.summarize();
    if (summary !== undefined && summary.byType === undefined) return undefined;
    const events = summary?.events ?? 0;
    const empty: ReplayResult = { sources: [{ kind: source.kind, path: source.path, events, duplicates: 0, details: {} }], events, invalid: 0, sessionIds: [] };
    requireEvents(empty, sel);
    const st = storage.stats();
    return {
      events,
      invalid: 0,
      sessions: summary!.sessions,
      firstEvent: summary!.firstEvent,
      lastEvent: summary!.lastEvent,
      byType: byCount(summary!.byType!),
      sources: [{ kind: source.kind, path: source.path, events, duplicates: 0, bytesOnDisk: bytesOnDisk(source.path), segments: segments.length, skippedLines: summary!.skippedLines, tornRecords: Number(st.tornRecords ?? 0) }],
    };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read store ${source.path}: ${(error as Error).message}`);
  } finally {
    await storage.close();
  }
}

/** Facts from the events replayed through the `aggregation` and `sessions` analyzers. */
async function factsFromReplay(sources: readonly SourceSpec[], sel: EventSelection): Promise<StatsFacts> {
  const { observer, result } = await replaySelection(sources, sel, () =>
    createObserver({ storage: false, analyzers: [aggregationAnalyzer({ windows: {} }), sessionsAnalyzer({ maxSessions: 1_000_000 })], onError: () => undefined }),
  );
  try {
    requireEvents(result, sel);
    const snapshots = observer.snapshot();
    const aggregation = snapshots.aggregation as AggregationAnalyzerSnapshot;
    const sessions = snapshots.sessions as SessionsSnapshot;
    return {
      events: aggregation.cumulative.events,
      invalid: result.invalid,
      sessions: sessions.sessions.length + sessions.evicted,
      firstEvent: sessions.firstEventAt,
      lastEvent: sessions.lastEventAt,
      byType: byCount(aggregation.cumulative.byType),
      sources: result.sources.map((s) => ({ kind: s.kind, path: s.path, events: s.events, duplicates: s.duplicates, bytesOnDisk: s.kind === 'postgres' || s.kind === 'redis' ? 0 : bytesOnDisk(s.path), ...s.details })),
    };
  } finally {
    await observer.close();
  }
}

export async function runStatsCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommand(argv, SOURCE_OPTIONS, false);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const sources: SourceSpec[] = sourcesFrom(values);
  const sel = selectionFrom(values);
  const oneStore = sources.length === 1 && sources[0]!.kind === 'store' && unfiltered(sel);
  const facts = (oneStore ? await factsFromIndex(sources[0]!, sel) : undefined) ?? (await factsFromReplay(sources, sel));
  process.stdout.write(values.json ? `${JSON.stringify(facts, null, 2)}\n` : factsText(facts));
  return 0;
}

function factsText(facts: StatsFacts): string {
  const byType = facts.byType;
  const out: string[] = [];
  out.push(`Events     ${formatInt(facts.events)}${facts.invalid > 0 ? ` (${formatInt(facts.invalid)} invalid, left out)` : ''}`);
  out.push(`Sessions   ${formatInt(facts.sessions)}`);
  if (facts.firstEvent !== null && facts.lastEvent !== null) out.push(`Time range ${formatTime(facts.firstEvent)} → ${formatTime(facts.lastEvent)} UTC`);
  out.push('', 'By type');
  const w = Math.max(...Object.keys(byType).map((k) => k.length));
  for (const [type, n] of Object.entries(byType)) out.push(`  ${type.padEnd(w)}  ${formatInt(n).padStart(10)}`);
  out.push('', 'Sources');
  for (const s of facts.sources) {
    const { kind, path, events, duplicates, bytesOnDisk: bytes, ...details } = s;
    const extra = Object.entries(details)
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => `${k} ${formatInt(v as number)}`)
      .join(', ');
    out.push(`  ${kind} ${path || '(default Claude Code dirs)'}`);
    out.push(`    ${formatInt(events)} events, ${(bytes / 2 ** 20).toFixed(1)} MiB on disk${duplicates > 0 ? `, ${formatInt(duplicates)} duplicates merged` : ''}${extra ? `, ${extra}` : ''}`);
  }
  return `${out.join('\n')}\n`;
}
