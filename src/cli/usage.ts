/**
 * `fleetscope usage [paths...] [--json] [--since D] [--until D] [--timezone TZ]`: token and cost
 * totals per day, per session and per subagent from Claude Code transcripts. `--json` prints
 * `{ daily, sessions, totals, conversations, stats }`: `daily`/`totals` equal `ccusage daily
 * --offline --json`, `sessions` equals `ccusage session --offline --json`.
 */
import { claudeUsage, type ClaudeUsageReport, type TokenTotals } from '../runners/claude-code-usage.js';
import { parseArgs, stringOption } from './args.js';

const int = new Intl.NumberFormat('en-US');

function money(value: number): string {
  return `$${value.toFixed(2)}`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function cells(t: TokenTotals): string[] {
  return [
    int.format(t.inputTokens),
    int.format(t.outputTokens),
    int.format(t.cacheCreationTokens),
    int.format(t.cacheReadTokens),
    int.format(t.totalTokens),
    money(t.totalCost),
  ];
}

const TOKENS_HEAD = ['Input', 'Output', 'Cache write', 'Cache read', 'Total tokens', 'Cost'];

/** The text report: per day, per session (with its subagents), totals. */
export function formatUsage(report: ClaudeUsageReport): string {
  const out: string[] = [];
  out.push('Claude Code usage by day\n');
  out.push(table(['Date', 'Models', ...TOKENS_HEAD], report.daily.map((d) => [d.date, d.modelsUsed.join(', '), ...cells(d)])));
  out.push('\n\nBy session (main agent and subagents)\n');
  const rows: string[][] = [];
  for (const c of report.conversations) {
    rows.push([`${c.sessionId} (${c.project}, ${c.lastActivity})`, ...cells(c)]);
    if (c.agents.length > 1 || c.agents[0]?.agentId !== 'main') {
      for (const a of c.agents) rows.push([`  ${a.agentId === 'main' ? 'main' : `subagent ${a.agentId}`}`, ...cells(a)]);
    }
  }
  out.push(table(['Session / agent', ...TOKENS_HEAD], rows));
  out.push(`\n\nTotal: ${cells(report.totals).join(' / ')} (input / output / cache write / cache read / all tokens / cost)`);
  const s = report.stats;
  out.push(
    `\n${s.files} files, ${s.usageEntries} usage entries, ${s.duplicates} duplicates skipped` +
      (s.malformed + s.oversized + s.unreadable > 0 ? `, ${s.malformed} malformed lines, ${s.oversized} oversized lines, ${s.unreadable} unreadable files` : '') +
      '\n',
  );
  return out.join('');
}

export async function runUsageCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['since', 'until', 'timezone', 'tz']);
  const report = claudeUsage({
    ...(args.positionals.length > 0 ? { paths: args.positionals } : {}),
    ...(stringOption(args, 'since') ? { since: stringOption(args, 'since') } : {}),
    ...(stringOption(args, 'until') ? { until: stringOption(args, 'until') } : {}),
    ...((stringOption(args, 'timezone') ?? stringOption(args, 'tz')) ? { timezone: stringOption(args, 'timezone') ?? stringOption(args, 'tz') } : {}),
  });
  if (args.options.get('json') === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(formatUsage(report));
  return 0;
}
