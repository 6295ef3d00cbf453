/**
 * `fleetscope usage [daily|weekly|monthly|session|blocks] [paths...]`: token and cost totals from
 * Claude Code transcripts, counted right per the data by default (largest streamed copy of each
 * response, 1-hour cache writes at 2x input), or exactly as ccusage 18.0.11 counts with `--ccusage`.
 * `--json` prints what the table shows plus, by default, a `ccusage` block with ccusage's figures.
 *
 * Exit codes: 0 done, 1 bad arguments (unknown flag, bad date, bad value, a path that does not exist).
 */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { claudeUsage, NO_CLAUDE_PATHS, type ClaudeUsageReport, type UsageGrouping, type UsageView, type WeekStart } from '../runners/claude-code-usage.js';
import { counted } from './options.js';
import { blocksTable, periodTable, sessionTable, type TableOptions } from './usage-table.js';

const REPORTS = ['daily', 'weekly', 'monthly', 'session', 'blocks'] as const;
type Report = (typeof REPORTS)[number];

export const USAGE_HELP = `Usage: fleetscope usage [daily|weekly|monthly|session|blocks] [paths...] [options]

Token and cost totals from Claude Code transcripts (paths: Claude config dirs holding projects/,
projects dirs or .jsonl files; default $CLAUDE_CONFIG_DIR, else ~/.config/claude and ~/.claude).

Reports (default daily):
  daily      per day                        weekly   per week (see --start-of-week)
  monthly    per month                      session  per session, with each subagent apart
  blocks     5-hour billing blocks; the active block's burn rate and projection

Options:
  -j, --json                 JSON: the report's rows and totals, plus a "ccusage" block with
                             ccusage 18.0.11's figures for the same rows
  -s, --since YYYYMMDD       keep days on or after this date (YYYY-MM-DD also accepted)
  -u, --until YYYYMMDD       keep days on or before this date
  -z, --timezone TZ          IANA time zone for days (default: the system's)
  -b, --breakdown            a row per model under each row
  -o, --order asc|desc       row order by date (default: asc; session: desc)
  -w, --start-of-week DAY    first day of a week for weekly (default: sunday)
      --compact              narrow columns (input, output, cost) whatever the width
      --active               blocks: only the active block
      --claude [DIR]         a path, as the read commands name it (repeatable; bare: the default)
      --ccusage              count exactly as ccusage 18.0.11 does: the first streamed copy of a
                             response (under-counts output), every cache write at 1.25x input
  -h, --help                 this help

By default the figures are right per the data: the largest streamed copy of each response counts
and 1-hour cache writes cost 2x input. See docs/claude-code.md ("Usage reports").

Exit codes: 0 done (an empty report when no transcript is found), 1 a bad argument or a path that
does not exist.
`;

/** The report's grouping: the others are not computed. */
const GROUPING: Record<Report, UsageGrouping> = { daily: 'daily', weekly: 'weekly', monthly: 'monthly', session: 'sessions', blocks: 'blocks' };

const OPTIONS = {
  json: { type: 'boolean', short: 'j' },
  since: { type: 'string', short: 's' },
  until: { type: 'string', short: 'u' },
  timezone: { type: 'string', short: 'z' },
  breakdown: { type: 'boolean', short: 'b' },
  order: { type: 'string', short: 'o' },
  'start-of-week': { type: 'string', short: 'w' },
  compact: { type: 'boolean' },
  active: { type: 'boolean' },
  ccusage: { type: 'boolean' },
  claude: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `--claude [DIR]`, as the read commands take it, is another way to name a path: `--claude DIR` adds
 * DIR, a bare `--claude` (last, or before another option) means the default config dirs.
 */
function withoutBareClaude(argv: readonly string[]): string[] {
  return argv.filter((arg, i) => !(arg === '--claude' && (i === argv.length - 1 || argv[i + 1]!.startsWith('-'))));
}

function rowsOf(view: UsageView, report: Report): Record<string, unknown> {
  switch (report) {
    case 'daily':
      return { daily: view.daily, totals: view.totals };
    case 'weekly':
      return { weekly: view.weekly, totals: view.totals };
    case 'monthly':
      return { monthly: view.monthly, totals: view.totals };
    case 'session':
      return { sessions: view.sessions, totals: view.totals };
    case 'blocks':
      return { blocks: view.blocks };
  }
}

function ordered<T>(rows: readonly T[], order: 'asc' | 'desc', natural: 'asc' | 'desc'): T[] {
  return order === natural ? [...rows] : [...rows].reverse();
}

function orderView(view: UsageView, order: 'asc' | 'desc' | undefined, active: boolean): UsageView {
  return {
    ...view,
    daily: ordered(view.daily, order ?? 'asc', 'asc'),
    weekly: ordered(view.weekly, order ?? 'asc', 'asc'),
    monthly: ordered(view.monthly, order ?? 'asc', 'asc'),
    sessions: ordered(view.sessions, order ?? 'desc', 'desc'),
    blocks: ordered(
      view.blocks.filter((b) => !active || b.isActive),
      order ?? 'asc',
      'asc',
    ),
  };
}

function text(report: Report, r: ClaudeUsageReport, options: TableOptions, now: number): string {
  const title = r.mode === 'ccusage' ? ' (counted as ccusage 18.0.11 does)' : '';
  switch (report) {
    case 'daily':
      return `Claude Code usage by day${title}\n\n${periodTable('Date', r.daily.map((d) => ({ ...d, key: d.date })), r.totals, options)}\n`;
    case 'weekly':
      return `Claude Code usage by week${title}\n\n${periodTable('Week', r.weekly.map((d) => ({ ...d, key: d.week })), r.totals, options)}\n`;
    case 'monthly':
      return `Claude Code usage by month${title}\n\n${periodTable('Month', r.monthly.map((d) => ({ ...d, key: d.month })), r.totals, options)}\n`;
    case 'session':
      return `Claude Code usage by session, main agent and subagents apart${title}\n\n${sessionTable(r.sessions, r.conversations, r.totals, options)}\n`;
    case 'blocks':
      return `Claude Code usage by 5-hour billing block${title}\n\n${r.blocks.length === 0 ? 'No usage.' : blocksTable(r.blocks, options, now)}\n`;
  }
}

/** Says why the report is empty (a home without `.claude`, or paths holding no transcript). */
function noTranscripts(paths: readonly string[]): void {
  const why = paths.length > 0 ? `no transcript (*.jsonl) found under ${paths.join(', ')}` : `${NO_CLAUDE_PATHS}; pass the Claude config dir or a projects dir as a path`;
  process.stderr.write(`fleetscope usage: ${why}\n`);
}

/** Why a path cannot be read (`no such file or directory`, `permission denied`), or undefined. */
function pathProblem(path: string): string | undefined {
  try {
    statSync(path);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
  }
}

function fail(message: string): number {
  process.stderr.write(`fleetscope usage: ${message}\nRun "fleetscope usage --help" for the options.\n`);
  return 1;
}

export async function runUsageCommand(argv: readonly string[]): Promise<number> {
  // The records kept while reading survive the young generation's collections, and V8 then grows it
  // (to 2 x 16 MiB), which was a third of the peak memory. This one-shot command keeps it at its
  // start size: a few more, cheaper collections. (Read by V8 at each growth, so it works from here.)
  setFlagsFromString('--semi-space-growth-factor=1');
  let parsed;
  try {
    parsed = parseArgs({ args: withoutBareClaude(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(USAGE_HELP);
    return 0;
  }
  const first = positionals[0];
  const report: Report = REPORTS.includes(first as Report) ? (first as Report) : 'daily';
  const paths = [...(REPORTS.includes(first as Report) ? positionals.slice(1) : positionals), ...(values.claude ?? [])];
  if (values.order !== undefined && values.order !== 'asc' && values.order !== 'desc') return fail(`--order is asc or desc, got "${values.order}"`);
  // A path that is not there is a mistake (a typo of a report name, most often), not an empty report.
  for (const path of paths) {
    const problem = pathProblem(path);
    if (problem === undefined) continue;
    const typo = path === first && !path.includes('/') ? ` (reports: ${REPORTS.join(', ')})` : '';
    return fail(`${path}: ${problem}${typo}`);
  }
  const now = Date.now();
  let r: ClaudeUsageReport;
  try {
    r = claudeUsage({
      ...(paths.length > 0 ? { paths } : {}),
      ...(values.since !== undefined ? { since: values.since } : {}),
      ...(values.until !== undefined ? { until: values.until } : {}),
      ...(values.timezone !== undefined ? { timezone: values.timezone } : {}),
      ...(values['start-of-week'] !== undefined ? { startOfWeek: values['start-of-week'].toLowerCase() as WeekStart } : {}),
      mode: values.ccusage === true ? 'ccusage' : 'data',
      compareWithCcusage: values.json === true && values.ccusage !== true,
      groupings: [GROUPING[report]],
      now,
    });
  } catch (error) {
    return fail((error as Error).message.replace(/^\[fleetscope\] \[usage\] /, ''));
  }
  const order = values.order as 'asc' | 'desc' | undefined;
  const active = values.active === true;
  const view = orderView(r, order, active);
  if (values.json === true) {
    const out: Record<string, unknown> = rowsOf(view, report);
    if (report === 'session' && r.mode === 'data') out.conversations = r.conversations;
    if (r.ccusage !== undefined) out.ccusage = rowsOf(orderView(r.ccusage, order, active), report);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    if (r.stats.files === 0) noTranscripts(paths);
    return 0;
  }
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  process.stdout.write(text(report, { ...r, ...view }, { compact: values.compact === true, breakdown: values.breakdown === true, columns }, now));
  const s = r.stats;
  if (s.files === 0) noTranscripts(paths);
  process.stderr.write(
    `${counted(s.files, 'file')}, ${counted(s.usageEntries, 'response')}, ${counted(s.duplicates, 'repeated copy', 'repeated copies')} merged` +
      (s.malformed + s.oversized + s.unreadable > 0
        ? `, ${counted(s.malformed, 'malformed line')}, ${counted(s.oversized, 'oversized line')}, ${counted(s.unreadable, 'unreadable file')}`
        : '') +
      '\n',
  );
  return 0;
}
