/**
 * Text tables for `fleetscope usage`: width-aware (on a TTY the table fits the terminal's
 * columns, falling back to the compact columns when the full ones do not fit), `--compact`
 * forcing the narrow columns, `--breakdown` adding a row per model under each period.
 */
import type { AgentUsage, ConversationUsage, ModelBreakdown, SessionUsage, TokenTotals, UsageBlock } from '../runners/claude-code-usage.js';

let intl: Intl.NumberFormat | undefined;

/**
 * `Intl.NumberFormat('en-US')`'s figure for `n`: whole numbers are grouped by hand (loading ICU's
 * number formatting costs ~8 MB of memory, more than `usage` itself), anything else goes to Intl.
 */
export function formatInt(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return (intl ??= new Intl.NumberFormat('en-US')).format(n);
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

export interface TableOptions {
  /** Narrow columns (input, output, cost) whatever the width. */
  compact: boolean;
  /** Rows per model under each row. */
  breakdown: boolean;
  /** Terminal width, or undefined when not a TTY (no limit). */
  columns: number | undefined;
}

export function money(value: number): string {
  return `$${value.toFixed(2)}`;
}

type Align = 'left' | 'right';

interface Column {
  head: string;
  align: Align;
}

function render(columns: readonly Column[], rows: readonly string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.head.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (columns[i]!.align === 'left' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.head)), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function tableWidth(columns: readonly Column[], rows: readonly string[][]): number {
  const widths = columns.map((c, i) => Math.max(c.head.length, ...rows.map((r) => (r[i] ?? '').length)));
  return widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
}

/** Shortens `claude-sonnet-4-5-20250929` to `sonnet-4-5` as ccusage does. */
export function shortModel(model: string): string {
  const m = /^claude-(?:(\d(?:-\d)?)-)?(opus|sonnet|haiku)(?:-(\d(?:-\d)?))?(?:-\d{8})?(-fast)?$/.exec(model);
  if (m === null) return model;
  return `${m[2]}-${m[3] ?? m[1] ?? ''}${m[4] ?? ''}`.replace(/-$/, '');
}

const FULL: Column[] = [
  { head: 'Input', align: 'right' },
  { head: 'Output', align: 'right' },
  { head: 'Cache write', align: 'right' },
  { head: 'Cache read', align: 'right' },
  { head: 'Total tokens', align: 'right' },
  { head: 'Cost (USD)', align: 'right' },
];
const COMPACT: Column[] = [
  { head: 'Input', align: 'right' },
  { head: 'Output', align: 'right' },
  { head: 'Cost (USD)', align: 'right' },
];

function tokenCells(t: Omit<TokenTotals, 'totalCost'> & { totalCost?: number; cost?: number }, compact: boolean): string[] {
  const cost = money(t.totalCost ?? t.cost ?? 0);
  if (compact) return [formatInt(t.inputTokens), formatInt(t.outputTokens), cost];
  const total = t.totalTokens ?? t.inputTokens + t.outputTokens + t.cacheCreationTokens + t.cacheReadTokens;
  return [formatInt(t.inputTokens), formatInt(t.outputTokens), formatInt(t.cacheCreationTokens), formatInt(t.cacheReadTokens), formatInt(total), cost];
}

function breakdownRows(models: readonly ModelBreakdown[], compact: boolean, pad: number): string[][] {
  return models.map((m) => [`  └ ${shortModel(m.modelName)}`, ...Array<string>(pad).fill(''), ...tokenCells({ ...m, totalTokens: m.inputTokens + m.outputTokens + m.cacheCreationTokens + m.cacheReadTokens }, compact)]);
}

/**
 * Renders with the full columns, or the compact ones when forced or when the full table is wider
 * than the terminal.
 */
function fit(lead: readonly Column[], build: (compact: boolean) => string[][], options: TableOptions): string {
  if (!options.compact) {
    const rows = build(false);
    const columns = [...lead, ...FULL];
    if (options.columns === undefined || tableWidth(columns, rows) <= options.columns) return render(columns, rows);
  }
  const columns = [...lead, ...COMPACT];
  const rows = build(true);
  return render(columns, options.columns === undefined ? rows : withFirstColumnFitted(columns, rows, options.columns));
}

/** The first column's narrowest width when shortened: a session id's first 8 characters and an ellipsis. */
const MIN_FIRST_COLUMN = 12;

/**
 * Rows whose first cells (the row's label: a session id with its project, an agent's task) are cut with
 * `…` so that the table fits `width`: the compact columns alone do not narrow a long label (was: a
 * 130-column session table on an 80-column terminal).
 */
function withFirstColumnFitted(columns: readonly Column[], rows: readonly string[][], width: number): string[][] {
  const over = tableWidth(columns, rows) - width;
  if (over <= 0) return rows as string[][];
  const first = Math.max(columns[0]!.head.length, ...rows.map((r) => (r[0] ?? '').length));
  const keep = Math.max(MIN_FIRST_COLUMN, columns[0]!.head.length, first - over);
  return rows.map((r) => ((r[0] ?? '').length > keep ? [`${r[0]!.slice(0, keep - 1)}…`, ...r.slice(1)] : r));
}

export interface PeriodRow extends TokenTotals {
  modelsUsed: string[];
  modelBreakdowns: ModelBreakdown[];
}

/** Daily, weekly or monthly rows with a total line. */
export function periodTable(label: string, rows: ReadonlyArray<PeriodRow & { key: string }>, totals: TokenTotals, options: TableOptions): string {
  const lead: Column[] = [
    { head: label, align: 'left' },
    { head: 'Models', align: 'left' },
  ];
  return fit(
    lead,
    (compact) => {
      const out: string[][] = [];
      for (const r of rows) {
        out.push([r.key, r.modelsUsed.map(shortModel).join(', '), ...tokenCells(r, compact)]);
        if (options.breakdown) out.push(...breakdownRows(r.modelBreakdowns, compact, 1));
      }
      out.push(['Total', '', ...tokenCells(totals, compact)]);
      return out;
    },
    options,
  );
}

function agentLabel(a: AgentUsage): string {
  if (a.kind === 'main') return '  main';
  const what = a.kind === 'compaction' ? 'compaction' : a.task?.subagentType !== undefined ? `${a.task.subagentType} subagent` : 'subagent';
  const description = a.task?.description !== undefined ? `: ${a.task.description}` : '';
  const text = `  ${what} ${a.agentId}${description}`;
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** Sessions, each followed by its agents (main, subagents with their Task description, compaction). */
export function sessionTable(
  sessions: readonly SessionUsage[],
  conversations: readonly ConversationUsage[] | undefined,
  totals: TokenTotals,
  options: TableOptions,
): string {
  const byId = new Map((conversations ?? []).map((c) => [c.sessionId, c]));
  const lead: Column[] = [
    { head: 'Session / agent', align: 'left' },
    { head: 'Last activity', align: 'left' },
  ];
  return fit(
    lead,
    (compact) => {
      const out: string[][] = [];
      for (const s of sessions) {
        out.push([`${s.sessionId} (${s.projectPath})`, s.lastActivity.slice(0, 16).replace('T', ' '), ...tokenCells(s, compact)]);
        if (options.breakdown) out.push(...breakdownRows(s.modelBreakdowns, compact, 1));
        const c = byId.get(s.sessionId);
        if (c !== undefined && (c.agents.length > 1 || c.agents[0]?.kind !== 'main')) {
          for (const a of c.agents) out.push([agentLabel(a), '', ...tokenCells(a, compact)]);
        }
      }
      out.push(['Total', '', ...tokenCells(totals, compact)]);
      return out;
    },
    options,
  );
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** 5-hour blocks; the active one with its burn rate and projection below the table. */
export function blocksTable(blocks: readonly UsageBlock[], options: TableOptions, now: number): string {
  const lead: Column[] = [
    { head: 'Block start (UTC)', align: 'left' },
    { head: 'Status', align: 'left' },
    { head: 'Models', align: 'left' },
  ];
  const table = fit(
    lead,
    (compact) =>
      blocks.map((b) => {
        const start = b.startTime.slice(0, 16).replace('T', ' ');
        if (b.isGap) return [start, `gap ${minutes(Date.parse(b.endTime) - Date.parse(b.startTime))}`, '', ...Array<string>(compact ? 3 : 6).fill('')];
        const status = b.isActive ? `ACTIVE, ${minutes(Date.parse(b.endTime) - now)} left` : minutes(Date.parse(b.actualEndTime!) - Date.parse(b.startTime));
        const t = b.tokenCounts;
        return [
          start,
          status,
          b.models.map(shortModel).join(', '),
          ...tokenCells({ inputTokens: t.inputTokens, outputTokens: t.outputTokens, cacheCreationTokens: t.cacheCreationInputTokens, cacheReadTokens: t.cacheReadInputTokens, totalTokens: b.totalTokens, totalCost: b.costUSD }, compact),
        ];
      }),
    options,
  );
  const active = blocks.find((b) => b.isActive);
  if (active === undefined || active.burnRate === null) return table;
  const lines = [table, '', `Active block: burn rate ${formatInt(Math.round(active.burnRate.tokensPerMinute))} tokens/min, ${money(active.burnRate.costPerHour)}/hour`];
  if (active.projection !== null) {
    lines.push(`Projected by the block's end (${active.projection.remainingMinutes} min left): ${formatInt(active.projection.totalTokens)} tokens, ${money(active.projection.totalCost)}`);
  }
  return lines.join('\n');
}
