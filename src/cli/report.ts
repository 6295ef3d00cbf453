/**
 * `fleetscope report [--md FILE] [--html FILE] [--json]`: replays the selected events through the
 * default analyzers (the same code a host runs) and writes the markdown report, the HTML report or
 * the snapshot as JSON. Without an output flag the markdown goes to stdout; with a file, stdout
 * gets where it was written and the headline figures.
 */
import { createObserver } from '../index.js';
import { alertsAnalyzer, defaultAnalyzers, sessionsAnalyzer } from '../analyzers/index.js';
import type { FleetEvent } from '../core/index.js';
import { renderHeadline } from '../reports/headline.js';
import { PREFIX, SOURCE_HELP, SOURCE_OPTIONS, parseCommand, writeFileAtomic } from './options.js';
import { ReplayClock, replaySelection, requireEvents, selectionFrom, sourcesFrom, warnSkipped } from './sources.js';

const HELP = `Usage: fleetscope report [sources] [filters] [--md FILE] [--html FILE] [--json] [--title TEXT]

Replays the selected events through the default analyzers and writes their report:
  (no output flag)   the markdown report on stdout
  --md FILE          the markdown report to FILE
  --html FILE        the HTML report to FILE (self-contained; opens offline)
  --json             the analyzers' snapshot as JSON on stdout (with --md/--html: { written, snapshots })
  --include-content  put tool inputs and outputs, prompts and messages in the HTML (default: left
                     out, so the page is safe to share)
  --title TEXT       the report's title (default "fleetscope report")

${SOURCE_HELP}

Exit codes: 0 written, 1 error, 3 no events selected.
`;

const OPTIONS = {
  ...SOURCE_OPTIONS,
  md: { type: 'string' },
  html: { type: 'string' },
  title: { type: 'string' },
  'include-content': { type: 'boolean' },
} as const;

/** Prefix of the ids of replayed events that had none (transcripts, hook payloads): `replay` and a count. */
const REPLAY_ID_PREFIX = 'replay';
/** Seed of the anomalies analyzer's Isolation Forest in a report. */
const REPLAY_SEED = 11;

/** Events the HTML report embeds at most (its views draw the newest sessions; the rest are counted). */
const MAX_HTML_EVENTS = 500_000;

export async function runReportCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommand(argv, OPTIONS, false);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const sources = sourcesFrom(values);
  const sel = selectionFrom(values);
  // The HTML views draw stored events too: kept as they are replayed (only when asked for).
  let events: FleetEvent[] = [];
  let notKept = 0;
  const keep = values.html !== undefined;
  // The report is of the history read: its clock is the events' (see ReplayClock), and insights are
  // read from the analyzers once, at the end, not half-way through the history.
  const clock = new ReplayClock();
  const { observer, result } = await replaySelection(
    sources,
    sel,
    () => {
      events = [];
      notKept = 0;
      clock.reset();
      // The alert engine without rules: its snapshot counts the guardrail blocks the hook stored (the
      // report's "Alerts and guardrail blocks"); rules are a live host's choice, not the report's.
      // Reproducible: events read without an id get the same ids on every run, and the anomaly
      // forest is seeded and works in event order, so the same input gives the same report.
      return createObserver({
        storage: false,
        clock: clock.now,
        eventIdPrefix: REPLAY_ID_PREFIX,
        analyzers: [
          ...defaultAnalyzers({ insights: { intervalMs: Infinity }, anomalies: { isolationForest: { seed: REPLAY_SEED } } }),
          sessionsAnalyzer(),
          alertsAnalyzer({ rules: [] }),
        ],
        onError: () => undefined,
      });
    },
    {
      skipDerived: true,
      clock,
      ...(keep
        ? {
            onEvent: (e: FleetEvent) => {
              if (events.length < MAX_HTML_EVENTS) events.push(e);
              else notKept++;
            },
          }
        : {}),
    },
  );
  try {
    requireEvents(result, sel);
    warnSkipped(result);
    const title = values.title ?? 'fleetscope report';
    const snapshots = observer.snapshot();
    const written: string[] = [];
    if (values.md !== undefined) {
      await writeFileAtomic(values.md, await observer.report({ title }));
      written.push(values.md);
    }
    if (values.html !== undefined) {
      const capture = Object.fromEntries(result.sources.map((f) => [`${f.kind} ${f.path || 'default'}`, { events: f.events, duplicates: f.duplicates, ...f.details }]));
      // Loaded only here: the HTML report's d3 modules are not needed for markdown or JSON.
      const { renderHtmlReport } = await import('../reports/html.js');
      const html = renderHtmlReport({
        title,
        snapshots,
        stats: observer.stats(),
        events,
        eventsNotRead: notKept,
        capture,
        includeContent: values['include-content'] === true,
      });
      await writeFileAtomic(values.html, html);
      written.push(values.html);
    }
    if (written.length === 0) {
      process.stdout.write(values.json ? `${JSON.stringify(snapshots, null, 2)}\n` : await observer.report({ title }));
      return 0;
    }
    if (values.json) process.stdout.write(`${JSON.stringify({ written, snapshots }, null, 2)}\n`);
    else process.stdout.write(`${written.map((f) => `${PREFIX} wrote ${f}`).join('\n')}\n\n${renderHeadline(snapshots)}\n`);
    return 0;
  } finally {
    await observer.close();
  }
}
