/**
 * `fleetscope trace <session-id | prefix>`: the span tree of one session in the terminal, from
 * its stored events, with the `fleet` analyzer's critical path marked; `--json` gives the tree.
 * Over a store the session's lines are found through the store's session index.
 */
// The core observer and the two analyzers' modules (see sessions.ts).
import { createCoreObserver, type FleetEvent } from '../core/index.js';
import { fleetAnalyzer, type FleetSnapshot } from '../analyzers/fleet.js';
import { sessionsAnalyzer, type SessionsSnapshot } from '../analyzers/sessions.js';
// The renderers' own modules, not the reports index: that one loads the HTML report and its d3 modules.
import { buildTraceTree, renderTraceTree } from '../reports/trace-tree.js';
import { formatDuration, formatTokens, formatUsd } from '../reports/terminal.js';
import { CliError, SOURCE_HELP, SOURCE_OPTIONS, colorEnabled, counted, parseCommand, terminalWidth } from './options.js';
import { replaySelection, requireEvents, selectionFrom, sourcesFrom, warnSkipped } from './sources.js';

const HELP = `Usage: fleetscope trace <session-id | prefix> [sources] [filters] [--json]

The span tree of one session: session → agents / turns → subagents → tool and LLM calls, each with
its start offset, duration, status (failed in red, blocked in yellow), tokens and cost; ◆ marks the
critical path. A prefix of the id is enough when it names one session.

${SOURCE_HELP}

Exit codes: 0 shown, 1 error (also: the prefix matches several sessions), 3 no such session.
`;

/** Events of one session held for the tree; beyond, the tree is cut (and says so). */
const MAX_EVENTS = 500_000;

export async function runTraceCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, SOURCE_OPTIONS, true);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(positionals.length === 0 ? 'trace needs a session id (or a prefix of one)' : `trace takes one session id, got ${positionals.length}`);
  if (values.session !== undefined) throw new CliError('trace takes the session as its argument, not --session');
  const sources = sourcesFrom(values);
  const sel = { ...selectionFrom(values), sessionId: positionals[0]! };
  let events: FleetEvent[] = [];
  let cut = 0;
  const { observer, result, sessionId } = await replaySelection(
    sources,
    sel,
    () => {
      events = [];
      cut = 0;
      return createCoreObserver({ analyzers: [fleetAnalyzer(), sessionsAnalyzer()], onError: () => undefined });
    },
    {
      onEvent: (e) => {
        if (events.length < MAX_EVENTS) events.push(e);
        else cut++;
      },
    },
  );
  try {
    requireEvents(result, sel);
    warnSkipped(result);
    const snapshots = observer.snapshot();
    const tree = buildTraceTree(sessionId!, events, snapshots.fleet as FleetSnapshot);
    const summary = (snapshots.sessions as SessionsSnapshot).sessions.find((s) => s.sessionId === sessionId);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...tree, session: summary, ...(cut > 0 ? { eventsLeftOut: cut } : {}) }, null, 2)}\n`);
      return 0;
    }
    const head = summary
      ? `session ${summary.sessionId}${summary.project ? ` (${summary.project})` : ''}: ${formatDuration(summary.durationMs)}, ${counted(summary.agents, 'agent')}, ` +
        `${counted(summary.toolCalls, 'tool call')} (${summary.failedTools} failed, ${summary.blockedTools} blocked), ${counted(summary.llmCalls, 'LLM call')}, ` +
        `${formatTokens(summary.tokens.input + summary.tokens.output + summary.tokens.cacheRead + summary.tokens.cacheWrite)} tokens, ${formatUsd(summary.costUsd)}`
      : `session ${sessionId}`;
    process.stdout.write(`${head}\n\n${renderTraceTree(tree, { color: colorEnabled(), width: terminalWidth() })}\n`);
    if (cut > 0) process.stderr.write(`fleetscope: the tree shows the first ${MAX_EVENTS} events; ${cut} more left out\n`);
    return 0;
  } finally {
    await observer.close();
  }
}
