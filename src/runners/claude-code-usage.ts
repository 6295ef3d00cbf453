/**
 * Token and cost totals over Claude Code transcripts, per day and per session, equal to what
 * ccusage 18.0.11 reports (`ccusage daily|session --offline --json`) on the same files, plus a
 * per-conversation, per-subagent breakdown that ccusage does not give.
 *
 * One read of each file (ccusage reads each twice; the reading is in `claude-code-usage-files.ts`):
 * lines that cannot hold usage are never JSON-parsed, and only a compact record per usage line
 * is kept. Files are then replayed in ccusage's order (by earliest timestamp), because which
 * copy of a duplicated entry counts depends on it.
 */
import { relative, sep } from 'node:path';
import { DEFAULT_MAX_LINE_BYTES } from './claude-code-lines.js';
import { transcriptFileInfo } from './claude-code-transcript.js';
import { defaultClaudePaths, findTranscriptFiles, interner, scanFile, type Rec } from './claude-code-usage-files.js';

export { defaultClaudePaths, findTranscriptFiles } from './claude-code-usage-files.js';

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
}

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

/** ccusage's "session": the directory holding the transcript, relative to `projects/`. */
export interface SessionUsage extends TokenTotals {
  sessionId: string;
  lastActivity: string;
  modelsUsed: string[];
  modelBreakdowns: ModelBreakdown[];
  projectPath: string;
}

export interface AgentUsage extends TokenTotals {
  /** `main`, or the subagent id (`agent-<id>.jsonl`, or the lines' `agentId`). */
  agentId: string;
  modelsUsed: string[];
}

/** A Claude Code session (its `sessionId`), with the main agent and each subagent apart. */
export interface ConversationUsage extends TokenTotals {
  sessionId: string;
  project: string;
  lastActivity: string;
  agents: AgentUsage[];
}

export interface ClaudeUsageReport {
  daily: DailyUsage[];
  sessions: SessionUsage[];
  totals: TokenTotals;
  conversations: ConversationUsage[];
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

/** `YYYY-MM-DD` of an ISO timestamp in a time zone (en-CA formats dates that way), cached per minute. */
function dayFormatter(timezone: string | undefined): (iso: string) => string {
  const format = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: timezone });
  const cache = new Map<string, string>();
  return (iso) => {
    const key = iso.slice(0, 16);
    let day = cache.get(key);
    if (day === undefined) {
      day = format.format(new Date(iso));
      if (cache.size > 100_000) cache.clear();
      cache.set(key, day);
    }
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

/** Reads transcripts and returns ccusage-equal daily and session totals plus per-agent breakdowns. */
export function claudeUsage(options: ClaudeUsageOptions = {}): ClaudeUsageReport {
  const since = dateFilter(options.since);
  const until = dateFilter(options.until);
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const stats = { files: 0, lines: 0, usageEntries: 0, duplicates: 0, malformed: 0, oversized: 0, unreadable: 0 };
  const refs = findTranscriptFiles(options.paths ?? defaultClaudePaths());
  stats.files = refs.length;
  const dayOf = dayFormatter(options.timezone);
  const intern = interner();
  const scans = refs.map((ref) => scanFile(ref, maxLineBytes, stats, dayOf, intern));
  // ccusage sorts files by earliest timestamp (stable; files without one last).
  scans.sort((a, b) => {
    const fa = Number.isFinite(a.earliest);
    const fb = Number.isFinite(b.earliest);
    if (!fa && !fb) return 0;
    if (!fa) return 1;
    if (!fb) return -1;
    return a.earliest - b.earliest;
  });

  const seen = new Set<string>();
  const days = new Map<string, Acc>();
  const sessions = new Map<string, { acc: Acc; sessionId: string; projectPath: string }>();
  const conversations = new Map<string, { acc: Acc; project: string; agents: Map<string, Acc> }>();
  for (const scan of scans) {
    const parts = relative(scan.ref.base, scan.ref.file).split(sep);
    const ccSession = parts[parts.length - 2] ?? 'unknown';
    const joined = parts.slice(0, -2).join(sep);
    const projectPath = joined.length > 0 ? joined : 'Unknown Project';
    const sessionKey = `${projectPath}/${ccSession}`;
    const info = transcriptFileInfo(scan.ref.file);
    for (const e of scan.recs) {
      if (e.key !== undefined) {
        if (seen.has(e.key)) {
          stats.duplicates++;
          continue;
        }
        seen.add(e.key);
      }
      stats.usageEntries++;
      const day = e.day;
      let d = days.get(day);
      if (d === undefined) days.set(day, (d = newAcc()));
      add(d, e);
      let s = sessions.get(sessionKey);
      if (s === undefined) sessions.set(sessionKey, (s = { acc: newAcc(), sessionId: ccSession, projectPath }));
      add(s.acc, e);
      const conversationId = e.sessionId ?? info.sessionId;
      let c = conversations.get(conversationId);
      if (c === undefined) conversations.set(conversationId, (c = { acc: newAcc(), project: info.project ?? 'unknown', agents: new Map() }));
      add(c.acc, e);
      const agentId = info.agentId ?? e.agentId ?? (e.sidechain ? 'sidechain' : 'main');
      let a = c.agents.get(agentId);
      if (a === undefined) c.agents.set(agentId, (a = newAcc()));
      add(a, e);
    }
    scan.recs = [];
  }

  const daily: DailyUsage[] = [...days.entries()]
    .map(([date, acc]) => ({ date, ...totalsOf(acc), modelsUsed: acc.modelsUsed, modelBreakdowns: breakdowns(acc) }))
    .filter((d) => inRange(d.date, since, until))
    .sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
  const sessionRows: SessionUsage[] = [...sessions.values()]
    .map(({ acc, sessionId, projectPath }) => ({
      sessionId,
      ...totalsOf(acc),
      lastActivity: dayOf(acc.latest),
      modelsUsed: acc.modelsUsed,
      modelBreakdowns: breakdowns(acc),
      projectPath,
    }))
    .filter((s) => inRange(s.lastActivity, since, until))
    .sort((a, b) => Date.parse(b.lastActivity) - Date.parse(a.lastActivity));
  const conversationRows: ConversationUsage[] = [...conversations.entries()]
    .map(([sessionId, { acc, project, agents }]) => ({
      sessionId,
      project,
      ...totalsOf(acc),
      lastActivity: dayOf(acc.latest),
      agents: [...agents.entries()].map(([agentId, a]) => ({ agentId, ...totalsOf(a), modelsUsed: a.modelsUsed })),
    }))
    .filter((c) => inRange(c.lastActivity, since, until))
    .sort((a, b) => Date.parse(b.lastActivity) - Date.parse(a.lastActivity));
  return { daily, sessions: sessionRows, totals: sumTotals(daily), conversations: conversationRows, stats };
}
