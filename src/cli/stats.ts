/**
 * `fleetscope stats`: facts about the sources — events by type, sessions, time range, size on
 * disk, segments, torn and skipped lines. Counts come from the `aggregation` and `sessions`
 * analyzers over the replayed events and from each source's own counters.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createObserver } from '../index.js';
import { aggregationAnalyzer, sessionsAnalyzer, type AggregationAnalyzerSnapshot, type SessionsSnapshot } from '../analyzers/index.js';
import { formatInt, formatTime } from '../reports/terminal.js';
import { SOURCE_HELP, SOURCE_OPTIONS, parseCommand } from './options.js';
import { replaySelection, requireEvents, selectionFrom, sourcesFrom, type SourceSpec } from './sources.js';

const HELP = `Usage: fleetscope stats [sources] [filters] [--json]

Facts about the sources: events by type, sessions, time range, size on disk, segments, torn
records and skipped (corrupted or partial) lines, duplicates merged across sources.

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

export async function runStatsCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommand(argv, SOURCE_OPTIONS, false);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const sources: SourceSpec[] = sourcesFrom(values);
  const sel = selectionFrom(values);
  const { observer, result } = await replaySelection(sources, sel, () =>
    createObserver({ storage: false, analyzers: [aggregationAnalyzer({ windows: {} }), sessionsAnalyzer({ maxSessions: 1_000_000 })], onError: () => undefined }),
  );
  try {
    requireEvents(result, sel);
    const snapshots = observer.snapshot();
    const aggregation = snapshots.aggregation as AggregationAnalyzerSnapshot;
    const sessions = snapshots.sessions as SessionsSnapshot;
    const byType = Object.fromEntries(Object.entries(aggregation.cumulative.byType).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
    const facts = {
      events: aggregation.cumulative.events,
      invalid: result.invalid,
      sessions: sessions.sessions.length + sessions.evicted,
      firstEvent: sessions.firstEventAt,
      lastEvent: sessions.lastEventAt,
      byType,
      sources: result.sources.map((s) => ({ kind: s.kind, path: s.path, events: s.events, duplicates: s.duplicates, bytesOnDisk: s.kind === 'postgres' || s.kind === 'redis' ? 0 : bytesOnDisk(s.path), ...s.details })),
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(facts, null, 2)}\n`);
      return 0;
    }
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
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  } finally {
    await observer.close();
  }
}
