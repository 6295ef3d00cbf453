/**
 * Token and cost totals over Claude Code transcripts, per day, week, month, session and 5-hour
 * billing block, plus a per-conversation, per-subagent breakdown joined to the Task calls that
 * started each subagent.
 *
 * Two ways to count (`mode`):
 * - `data` (default), right per the data: Claude Code writes one line per content block while
 *   streaming and `output_tokens` grows across the copies of one response, so the largest copy
 *   counts; 1-hour cache writes (`cache_creation.ephemeral_1h_input_tokens`) are billed at 2x the
 *   input price (5-minute writes at 1.25x); `agent_progress` echoes of subagent messages count
 *   once with the subagent's own copy (and alone when the subagent's file is missing).
 * - `ccusage`: ccusage 18.0.11's figures exactly (`ccusage daily|weekly|monthly|session|blocks
 *   --offline --json`): the first copy, every cache write at 1.25x, progress lines ignored, files
 *   replayed by earliest timestamp because which copy counts depends on it.
 *
 * One read of each file (the reading is in `claude-code-usage-files.ts`): lines that cannot hold
 * usage are never JSON-parsed, and only a compact record per response is kept.
 */
import { relative, sep } from 'node:path';
import { DEFAULT_MAX_LINE_BYTES } from './claude-code-lines.js';
import { costWith1hCache, transcriptFileInfo } from './claude-code-transcript.js';
import { billingBlocks, type BlockEntry, type UsageBlock } from './claude-code-usage-blocks.js';
import { blankRec, defaultClaudePaths, findTranscriptFiles, interner, mergeCopy, scanFile, type FileScan, type Rec, type RecTable, type TaskLink } from './claude-code-usage-files.js';

export { defaultClaudePaths, findTranscriptFiles, NO_CLAUDE_PATHS } from './claude-code-usage-files.js';
export type { UsageBlock, BurnRate, BlockProjection } from './claude-code-usage-blocks.js';

/** How tokens are counted and priced; see the module comment. */
export type UsageMode = 'data' | 'ccusage';

/** First day of a week for `weekly`. */
export type WeekStart = 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';

const WEEK_DAYS: readonly WeekStart[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export interface ClaudeUsageOptions {
  /**
   * Claude config dirs (holding `projects/`), projects dirs, or transcript files. Default:
   * `$CLAUDE_CONFIG_DIR` (comma-separated) or else `~/.config/claude` and `~/.claude`, like ccusage.
   */
  paths?: readonly string[];
  /** IANA time zone for grouping by day; default the system's (as ccusage). */
  timezone?: string;
  /** Keep days (and sessions by last activity) on or after this date, `YYYYMMDD` or `YYYY-MM-DD`. */
  since?: string;
  /** Keep days (and sessions by last activity) on or before this date. */
  until?: string;
  /** Lines longer than this are skipped and counted; default 16 MiB. */
  maxLineBytes?: number;
  /** The figures of the report's top level; default `'data'`. */
  mode?: UsageMode;
  /** Also compute ccusage 18.0.11's figures into `report.ccusage` (when `mode` is `'data'`); default false. */
  compareWithCcusage?: boolean;
  /** First day of the week for `weekly`; default `'sunday'` (as ccusage). */
  startOfWeek?: WeekStart;
  /** "Now" for the active billing block, epoch ms; default `Date.now()`. */
  now?: number;
  /**
   * The groupings to compute; default all. Those left out come back empty (`daily` and `totals`
   * are always computed): `fleetscope usage daily` asks for `['daily']` and skips the rest's work.
   */
  groupings?: readonly UsageGrouping[];
}

/** A grouping of `ClaudeUsageReport` (`sessions` includes `conversations`). */
export type UsageGrouping = 'daily' | 'weekly' | 'monthly' | 'sessions' | 'blocks';
export interface ModelBreakdown {
  modelName: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  cost: number;
}

export interface TokenTotals {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  totalCost: number;
}

export interface DailyUsage extends TokenTotals {
  /** `YYYY-MM-DD` in the chosen time zone. */
  date: string;
  modelsUsed: string[];
  modelBreakdowns: ModelBreakdown[];
}

export interface WeeklyUsage extends TokenTotals {
  /** `YYYY-MM-DD` of the week's first day. */
  week: string;
  modelsUsed: string[];
  modelBreakdowns: ModelBreakdown[];
}

export interface MonthlyUsage extends TokenTotals {
  /** `YYYY-MM`. */
  month: string;
  modelsUsed: string[];
  modelBreakdowns: ModelBreakdown[];
}

/**
 * A session. In `data` mode: a Claude Code session (its `sessionId`, subagents included),
 * `lastActivity`/`firstActivity` as ISO timestamps. In `ccusage` mode: ccusage 18's "session", the
 * directory holding the transcript relative to `projects/`, `lastActivity` as `YYYY-MM-DD`.
 */
export interface SessionUsage extends TokenTotals {
  sessionId: string;
  lastActivity: string;
  firstActivity?: string;
  modelsUsed: string[];
  modelBreakdowns: ModelBreakdown[];
  projectPath: string;
}

export interface AgentUsage extends TokenTotals {
  /** `main`, or the subagent id (`agent-<id>.jsonl`, or the lines' `agentId`). */
  agentId: string;
  /** What the subagent is: `subagent`, `compaction` (`agent-acompact-*`), or `main`. */
  kind: 'main' | 'subagent' | 'compaction';
  modelsUsed: string[];
  /** The parent's Task (or Agent) tool call that started this subagent, when the transcript shows it. */
  task?: TaskLink;
}

/** A Claude Code session (its `sessionId`), with the main agent and each subagent apart. */
export interface ConversationUsage extends TokenTotals {
  sessionId: string;
  project: string;
  lastActivity: string;
  agents: AgentUsage[];
}

/** One way of counting, grouped every way. */
export interface UsageView {
  daily: DailyUsage[];
  weekly: WeeklyUsage[];
  monthly: MonthlyUsage[];
  sessions: SessionUsage[];
  blocks: UsageBlock[];
  totals: TokenTotals;
}

export interface ClaudeUsageReport extends UsageView {
  /** How the top-level figures were counted. */
  mode: UsageMode;
  /** Per conversation and agent (in the report's mode). */
  conversations: ConversationUsage[];
  /** ccusage 18.0.11's figures, when asked for with `compareWithCcusage`. */
  ccusage?: UsageView;
  /** What was read and skipped. */
  stats: {
    files: number;
    lines: number;
    usageEntries: number;
    duplicates: number;
    malformed: number;
    oversized: number;
    unreadable: number;
  };
}

// ── Aggregation (ccusage's order of operations, so floats match) ────────────────────────

interface Acc {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalCost: number;
  models: Map<string, ModelBreakdown>;
  modelsUsed: string[];
  latest: string;
}

function newAcc(): Acc {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    totalCost: 0,
    models: new Map(),
    modelsUsed: [],
    latest: '',
  };
}

function add(acc: Acc, e: Rec): void {
  acc.inputTokens += e.input;
  acc.outputTokens += e.output;
  acc.cacheCreationTokens += e.cacheWrite;
  acc.cacheReadTokens += e.cacheRead;
  acc.totalCost += e.cost;
  if (e.ts > acc.latest) acc.latest = e.ts;
  const model = e.model;
  if (model !== undefined && model !== '<synthetic>' && !acc.modelsUsed.includes(model)) acc.modelsUsed.push(model);
  const name = model ?? 'unknown';
  if (name === '<synthetic>') return;
  let b = acc.models.get(name);
  if (b === undefined) {
    b = { modelName: name, inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, cost: 0 };
    acc.models.set(name, b);
  }
  b.inputTokens += e.input;
  b.outputTokens += e.output;
  b.cacheCreationTokens += e.cacheWrite;
  b.cacheReadTokens += e.cacheRead;
  b.cost += e.cost;
}

function totalsOf(acc: Omit<TokenTotals, 'totalTokens'>): TokenTotals {
  return {
    inputTokens: acc.inputTokens,
    outputTokens: acc.outputTokens,
    cacheCreationTokens: acc.cacheCreationTokens,
    cacheReadTokens: acc.cacheReadTokens,
    totalTokens: acc.inputTokens + acc.outputTokens + acc.cacheCreationTokens + acc.cacheReadTokens,
    totalCost: acc.totalCost,
  };
}

function breakdowns(acc: Acc): ModelBreakdown[] {
  // Array.prototype.sort is stable: equal costs keep first-seen order, as in ccusage.
  return [...acc.models.values()].sort((a, b) => b.cost - a.cost);
}

function sumTotals(rows: readonly TokenTotals[]): TokenTotals {
  const t = { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, totalCost: 0 };
  for (const r of rows) {
    t.inputTokens += r.inputTokens;
    t.outputTokens += r.outputTokens;
    t.cacheCreationTokens += r.cacheCreationTokens;
    t.cacheReadTokens += r.cacheReadTokens;
    t.totalCost += r.totalCost;
  }
  // ccusage's key order for totals: costs before totalTokens.
  return { ...t, totalTokens: t.inputTokens + t.outputTokens + t.cacheCreationTokens + t.cacheReadTokens };
}

/** `Date`'s own calendar, for the system's time zone (no time zone asked for) and UTC. */
const LOCAL_DAY = { year: 'getFullYear', month: 'getMonth', day: 'getDate' } as const;
const UTC_DAY = { year: 'getUTCFullYear', month: 'getUTCMonth', day: 'getUTCDate' } as const;

/**
 * `YYYY-MM-DD` of an ISO timestamp in a time zone, as `Intl.DateTimeFormat('en-CA')` writes it,
 * cached per minute. The system's zone and UTC are read from `Date` itself (the same ICU zone),
 * since loading Intl's date formatting costs ~8 MB of memory, more than `usage` itself.
 */
function dayFormatter(timezone: string | undefined): (iso: string) => string {
  const getters = timezone === undefined ? LOCAL_DAY : timezone === 'UTC' || timezone === 'Etc/UTC' ? UTC_DAY : undefined;
  // Built now for other zones, so a bad zone name fails before any file is read.
  let format = getters === undefined ? new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: timezone }) : undefined;
  const formatted = (date: Date): string => {
    if (getters !== undefined) {
      const year = date[getters.year]();
      if (year >= 1000 && year <= 9999) return `${year}-${String(date[getters.month]() + 1).padStart(2, '0')}-${String(date[getters.day]()).padStart(2, '0')}`;
    }
    format ??= new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: timezone });
    return format.format(date);
  };
  const cache = new Map<string, string>();
  let lastKey = '';
  let lastDay = '';
  return (iso) => {
    // Lines come in time order: most share the previous one's minute.
    if (lastKey.length === 16 && iso.startsWith(lastKey)) return lastDay;
    const key = iso.slice(0, 16);
    let day = cache.get(key);
    if (day === undefined) {
      day = formatted(new Date(iso));
      if (cache.size > 100_000) cache.clear();
      cache.set(key, day);
    }
    lastKey = key;
    lastDay = day;
    return day;
  };
}

function dateFilter(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const digits = value.replace(/-/g, '');
  if (!/^\d{8}$/.test(digits)) throw new Error(`[fleetscope] [usage] dates are YYYYMMDD or YYYY-MM-DD, got "${value}"`);
  return digits;
}

function inRange(day: string, since: string | undefined, until: string | undefined): boolean {
  const d = day.replace(/-/g, '');
  return (since === undefined || d >= since) && (until === undefined || d <= until);
}

/** `YYYY-MM-DD` of the first day of the week holding `day` (a `YYYY-MM-DD`). */
function weekOf(day: string, startDay: number): string {
  const t = Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
  const back = (new Date(t).getUTCDay() - startDay + 7) % 7;
  return new Date(t - back * 86_400_000).toISOString().slice(0, 10);
}

function bump<K>(map: Map<K, Acc>, key: K): Acc {
  let acc = map.get(key);
  if (acc === undefined) map.set(key, (acc = newAcc()));
  return acc;
}

function sortByCost(acc: Acc): ModelBreakdown[] {
  return breakdowns(acc);
}

interface Context {
  since: string | undefined;
  until: string | undefined;
  dayOf: (iso: string) => string;
  startDay: number;
  now: number;
  /** Which groupings to compute (see `ClaudeUsageOptions.groupings`). */
  wants: Record<UsageGrouping, boolean>;
}

function kindOf(agentId: string): AgentUsage['kind'] {
  if (agentId === 'main') return 'main';
  return agentId.startsWith('acompact-') ? 'compaction' : 'subagent';
}

/** Groups counted records every way. `each` yields each scan and its counted records. */
function group(scans: readonly FileScan[], pick: (scan: FileScan) => RecTable, mode: UsageMode, ctx: Context): UsageView & { conversations: ConversationUsage[] } {
  const days = new Map<string, Acc>();
  const weeks = new Map<string, Acc>();
  const months = new Map<string, Acc>();
  const sessions = new Map<string, { acc: Acc; sessionId: string; projectPath: string; first: string }>();
  const conversations = new Map<string, { acc: Acc; project: string; agents: Map<string, Acc>; tasks: Map<string, TaskLink>; agentTask: Map<string, string> }>();
  const blockEntries: BlockEntry[] = [];
  const periods = new Map<string, { week: string; month: string }>();
  const periodOf = (day: string) => {
    let p = periods.get(day);
    if (p === undefined) periods.set(day, (p = { week: weekOf(day, ctx.startDay), month: day.slice(0, 7) }));
    return p;
  };
  const rec = blankRec();
  const wants = ctx.wants;
  for (const scan of scans) {
    const recs = pick(scan);
    if (recs.length === 0 && scan.tasks.size === 0 && scan.agentTask.size === 0) continue;
    const parts = relative(scan.ref.base, scan.ref.file).split(sep);
    const ccSession = parts[parts.length - 2] ?? 'unknown';
    const joined = parts.slice(0, -2).join(sep);
    const ccProjectPath = joined.length > 0 ? joined : 'Unknown Project';
    const info = transcriptFileInfo(scan.ref.file);
    for (let row = 0; row < recs.length; row++) {
      if (recs.flag(row, 'dropped')) continue;
      const e = recs.read(row, rec);
      add(bump(days, e.day), e);
      if (wants.weekly || wants.monthly) {
        const period = periodOf(e.day);
        if (wants.weekly) add(bump(weeks, period.week), e);
        if (wants.monthly) add(bump(months, period.month), e);
      }
      if (wants.blocks) blockEntries.push({ time: Date.parse(e.ts), model: e.model, input: e.input, output: e.output, cacheWrite: e.cacheWrite, cacheRead: e.cacheRead, cost: e.cost });
      if (!wants.sessions) continue;
      const conversationId = e.sessionId ?? info.sessionId;
      const sessionKey = mode === 'ccusage' ? `${ccProjectPath}/${ccSession}` : conversationId;
      let s = sessions.get(sessionKey);
      if (s === undefined) {
        sessions.set(
          sessionKey,
          (s = mode === 'ccusage'
            ? { acc: newAcc(), sessionId: ccSession, projectPath: ccProjectPath, first: e.ts }
            : { acc: newAcc(), sessionId: conversationId, projectPath: info.project ?? 'Unknown Project', first: e.ts }),
        );
      }
      if (e.ts < s.first) s.first = e.ts;
      add(s.acc, e);
      let c = conversations.get(conversationId);
      if (c === undefined) {
        conversations.set(conversationId, (c = { acc: newAcc(), project: info.project ?? 'unknown', agents: new Map(), tasks: new Map(), agentTask: new Map() }));
      }
      add(c.acc, e);
      const agentId = info.agentId ?? e.agentId ?? (e.sidechain ? 'sidechain' : 'main');
      add(bump(c.agents, agentId), e);
    }
    // The Task calls of a main transcript join its subagents (by the tool results' and progress lines' agentId).
    if (wants.sessions && (scan.tasks.size > 0 || scan.agentTask.size > 0)) {
      const c = conversations.get((recs.length > 0 ? recs.string(0, 'sessionId') : undefined) ?? info.sessionId);
      if (c !== undefined) {
        for (const [id, t] of scan.tasks) c.tasks.set(id, t);
        for (const [agent, id] of scan.agentTask) c.agentTask.set(agent, id);
      }
    }
  }
  const keep = (day: string) => inRange(day, ctx.since, ctx.until);
  const rows = <K extends string>(map: Map<string, Acc>, key: K) =>
    [...map.entries()]
      .map(([k, acc]) => ({ [key]: k, ...totalsOf(acc), modelsUsed: acc.modelsUsed, modelBreakdowns: sortByCost(acc) }) as { [P in K]: string } & TokenTotals & { modelsUsed: string[]; modelBreakdowns: ModelBreakdown[] })
      .sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0));
  const daily: DailyUsage[] = rows(days, 'date').filter((d) => keep(d.date));
  const weekly: WeeklyUsage[] = rows(weeks, 'week').filter((w) => keep(w.week));
  const monthly: MonthlyUsage[] = rows(months, 'month').filter((m) => keep(`${m.month}-01`) || keep(`${m.month}-31`));
  const sessionRows: SessionUsage[] = [...sessions.values()]
    .map(({ acc, sessionId, projectPath, first }) => ({
      sessionId,
      ...totalsOf(acc),
      lastActivity: mode === 'ccusage' ? ctx.dayOf(acc.latest) : acc.latest,
      ...(mode === 'data' ? { firstActivity: first } : {}),
      modelsUsed: acc.modelsUsed,
      modelBreakdowns: breakdowns(acc),
      projectPath,
    }))
    .filter((s) => keep(mode === 'ccusage' ? s.lastActivity : ctx.dayOf(s.lastActivity)))
    .sort((a, b) => Date.parse(b.lastActivity) - Date.parse(a.lastActivity));
  const conversationRows: ConversationUsage[] = [...conversations.entries()]
    .filter(([, c]) => c.acc.latest !== '')
    .map(([sessionId, { acc, project, agents, tasks, agentTask }]) => ({
      sessionId,
      project,
      ...totalsOf(acc),
      lastActivity: ctx.dayOf(acc.latest),
      agents: [...agents.entries()].map(([agentId, a]) => {
        const toolUseId = agentTask.get(agentId);
        const task = toolUseId === undefined ? undefined : (tasks.get(toolUseId) ?? { toolUseId });
        return { agentId, kind: kindOf(agentId), ...totalsOf(a), modelsUsed: a.modelsUsed, ...(task !== undefined ? { task } : {}) };
      }),
    }))
    .filter((c) => keep(c.lastActivity))
    .sort((a, b) => Date.parse(b.lastActivity) - Date.parse(a.lastActivity));
  const blocks = billingBlocks(blockEntries, ctx.now).filter((b) => keep(ctx.dayOf(b.startTime)));
  return { daily, weekly, monthly, sessions: sessionRows, blocks, totals: sumTotals(daily), conversations: conversationRows };
}

/** ccusage 18's replay: files by earliest timestamp, the first copy of a response counts. */
function ccusageView(scans: FileScan[], stats: ClaudeUsageReport['stats'], ctx: Context, countStats: boolean) {
  // ccusage sorts files by earliest timestamp (stable; files without one last).
  const ordered = [...scans].sort((a, b) => {
    const fa = Number.isFinite(a.earliest);
    const fb = Number.isFinite(b.earliest);
    if (!fa && !fb) return 0;
    if (!fa) return 1;
    if (!fb) return -1;
    return a.earliest - b.earliest;
  });
  const seen = new Set<string>();
  for (const scan of ordered) {
    const recs = scan.recs;
    for (let row = 0; row < recs.length; row++) {
      const key = recs.string(row, 'key');
      if (key !== undefined) {
        if (seen.has(key)) {
          recs.setFlag(row, 'dropped', true);
          if (countStats) stats.duplicates++;
          continue;
        }
        seen.add(key);
      }
      if (countStats) stats.usageEntries++;
    }
  }
  return group(ordered, (scan) => scan.recs, 'ccusage', ctx);
}

/** The data's view: one record per response (largest output), priced with 1-hour writes at 2x. */
function dataView(scans: FileScan[], stats: ClaudeUsageReport['stats'], ctx: Context) {
  // The kept copy of each response, by its index among all files' records.
  const kept = new Map<string, number>();
  let base = 0;
  for (const scan of scans) {
    scan.best.base = base;
    base += scan.best.length;
  }
  const tableOf = (index: number): RecTable => {
    let lo = 0;
    let hi = scans.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (scans[mid]!.best.base <= index) lo = mid;
      else hi = mid - 1;
    }
    return scans[lo]!.best;
  };
  for (const scan of scans) {
    const best = scan.best;
    for (let row = 0; row < best.length; row++) {
      const key = best.string(row, 'key');
      if (key === undefined) continue;
      const prior = kept.get(key);
      if (prior === undefined) {
        kept.set(key, best.base + row);
        continue;
      }
      stats.duplicates++;
      const priorTable = tableOf(prior);
      const priorRec = priorTable.view(prior - priorTable.base, 1);
      const e = best.view(row);
      if (mergeCopy(priorRec, e, ctx.dayOf) === 'replace') {
        priorRec.dropped = true;
        kept.set(key, best.base + row);
      } else {
        e.dropped = true;
      }
    }
  }
  const tokens = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const rec = blankRec();
  for (const scan of scans) {
    const best = scan.best;
    for (let row = 0; row < best.length; row++) {
      if (best.flag(row, 'dropped')) continue;
      stats.usageEntries++;
      const e = best.read(row, rec);
      if (e.costUSD !== undefined || e.rawModel === undefined) {
        best.setNumber(row, 'cost', e.costUSD ?? 0);
        continue;
      }
      tokens.input_tokens = e.input;
      tokens.output_tokens = e.output;
      tokens.cache_creation_input_tokens = e.cacheWrite;
      tokens.cache_read_input_tokens = e.cacheRead;
      best.setNumber(row, 'cost', costWith1hCache(tokens, e.cacheWrite1h, e.rawModel, e.fast));
    }
  }
  return group(scans, (scan) => scan.best, 'data', ctx);
}

const GROUPINGS: readonly UsageGrouping[] = ['daily', 'weekly', 'monthly', 'sessions', 'blocks'];

function wantsOf(groupings: readonly UsageGrouping[] | undefined): Record<UsageGrouping, boolean> {
  const wants = { daily: true, weekly: false, monthly: false, sessions: false, blocks: false };
  for (const g of groupings ?? GROUPINGS) {
    if (!GROUPINGS.includes(g)) throw new Error(`[fleetscope] [usage] groupings are ${GROUPINGS.join(', ')}, got "${String(g)}"`);
    wants[g] = true;
  }
  return wants;
}

/** Reads transcripts once and returns the usage report (see `ClaudeUsageOptions.mode`). */
export function claudeUsage(options: ClaudeUsageOptions = {}): ClaudeUsageReport {
  const mode = options.mode ?? 'data';
  const startDay = WEEK_DAYS.indexOf(options.startOfWeek ?? 'sunday');
  if (startDay === -1) throw new Error(`[fleetscope] [usage] startOfWeek is one of ${WEEK_DAYS.join(', ')}, got "${options.startOfWeek}"`);
  const ctx: Context = {
    since: dateFilter(options.since),
    until: dateFilter(options.until),
    dayOf: dayFormatter(options.timezone),
    startDay,
    now: options.now ?? Date.now(),
    wants: wantsOf(options.groupings),
  };
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const stats = { files: 0, lines: 0, usageEntries: 0, duplicates: 0, malformed: 0, oversized: 0, unreadable: 0 };
  const refs = findTranscriptFiles(options.paths ?? defaultClaudePaths());
  stats.files = refs.length;
  const pool = interner();
  const views = { ccusage: mode === 'ccusage' || options.compareWithCcusage === true, data: mode === 'data' };
  const scans = refs.map((ref) => scanFile(ref, maxLineBytes, stats, ctx.dayOf, pool, views));
  if (mode === 'ccusage') {
    const view = ccusageView(scans, stats, ctx, true);
    return { mode, ...view, stats };
  }
  const view = dataView(scans, stats, ctx);
  const report: ClaudeUsageReport = { mode, ...view, stats };
  if (views.ccusage) {
    const { conversations: _, ...cc } = ccusageView(scans, stats, ctx, false);
    report.ccusage = cc;
  }
  return report;
}
