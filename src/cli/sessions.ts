/**
 * `fleetscope sessions`: one row per session (start, duration, agents and subagents, tool calls,
 * failed and blocked tools, LLM calls, tokens, cost, project), newest first, from the `sessions`
 * analyzer. Over one store it finds the sessions with the latest activity through the store's
 * index and replays only those (a query by session reads only that session's lines).
 */
// The core observer and the one analyzer's module, not the root or analyzers index: those load every
// analyzer, guardrails and redaction (~0.1 s of start-up) for a command that runs one analyzer.
import { createCoreObserver } from '../core/index.js';
import { sessionsAnalyzer, type SessionsSnapshot } from '../analyzers/sessions.js';
import { renderSessionsTable } from '../reports/sessions-table.js';
import { CliError, SOURCE_HELP, SOURCE_OPTIONS, colorEnabled, parseCommand, terminalWidth } from './options.js';
import { latestSessionIds, replaySelection, requireEvents, selectionFrom, sourcesFrom, warnSkipped } from './sources.js';

const HELP = `Usage: fleetscope sessions [sources] [filters] [--limit N] [--compact] [--json]

One row per session, newest first: start, duration, agents (subagents), tool calls, failed and
blocked tools, LLM calls, tokens, cost (+ when some calls have no known price), project.
  --limit N          the N sessions with the latest activity (default 20; 0: all)
  --compact          only the essential columns (the table also drops columns to fit the terminal)

${SOURCE_HELP}

Exit codes: 0 listed, 1 error, 3 no session matched.
`;

const OPTIONS = { ...SOURCE_OPTIONS, limit: { type: 'string' }, compact: { type: 'boolean' } } as const;

export async function runSessionsCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommand(argv, OPTIONS, false);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new CliError(`--limit ${JSON.stringify(values.limit)} is not a whole number >= 0`);
  const sources = sourcesFrom(values);
  const sel = selectionFrom(values);
  const make = () => createCoreObserver({ analyzers: [sessionsAnalyzer({ maxSessions: limit === 0 ? 1_000_000 : Math.max(limit, 10_000) })], onError: () => undefined });

  const single = sources.length === 1 && ['store', 'sqlite', 'postgres'].includes(sources[0]!.kind) ? sources[0]! : undefined;
  // One store with an index by session (a stream, a file of events or transcripts have none): its index gives the newest sessions, then each session's own lines.
  const latest = single !== undefined && sel.sessionId === undefined && limit > 0 ? await latestSessionIds(single, sel, limit) : undefined;
  const { observer, result } = await replaySelection(sources, latest === undefined ? sel : { ...sel, sessionIds: latest }, make);
  try {
    requireEvents(result, sel);
    warnSkipped(result);
    const snapshot = observer.snapshot().sessions as SessionsSnapshot;
    const rows = limit === 0 ? snapshot.sessions : snapshot.sessions.slice(0, limit);
    if (values.json) process.stdout.write(`${JSON.stringify({ sessions: rows }, null, 2)}\n`);
    else process.stdout.write(`${renderSessionsTable(rows, { width: terminalWidth(), compact: values.compact === true, color: colorEnabled() })}\n`);
    return 0;
  } finally {
    await observer.close();
  }
}
