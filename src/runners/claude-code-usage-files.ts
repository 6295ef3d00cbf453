/**
 * The reading side of `claude-code-usage.ts`: the Claude Code transcript files, found the way
 * ccusage finds them (also used by the transcripts runner), and each file read once into
 * compact usage records. Lines that cannot hold usage are never JSON-parsed; a key repeated
 * inside one file is dropped here, while duplicates across files are left to the report,
 * which replays the files in ccusage's order.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { isBlank, scanLines } from './claude-code-lines.js';
import { progressUsageEntry, toUsageEntry, type UsageEntry } from './claude-code-transcript.js';
import { closingQuote, usageFields } from './claude-code-usage-scan.js';
import type { ClaudeUsageReport } from './claude-code-usage.js';

/** The `projects/` dirs of the Claude config dirs, found the way ccusage finds them. */
export function defaultClaudePaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.CLAUDE_CONFIG_DIR ?? '').trim();
  const xdg = env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
  const candidates =
    fromEnv !== '' ? fromEnv.split(',').map((p) => p.trim()).filter((p) => p !== '') : [join(xdg, 'claude'), join(homedir(), '.claude')];
  // Only dirs that hold `projects/` (ccusage's rule), so e.g. ~/.claude/history.jsonl is never read.
  return candidates.map((p) => join(resolve(p), 'projects')).filter(isDir);
}

export interface FileRef {
  file: string;
  /** The `projects/` dir it was found under (ccusage's base for session ids). */
  base: string;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `**\/*.jsonl` under `dir`, skipping dot entries (tinyglobby's default), depth first. */
function walk(dir: string, base: string, out: FileRef[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const full = join(dir, name);
    if (name.endsWith('.jsonl')) {
      try {
        if (statSync(full).isFile()) {
          out.push({ file: full, base });
          continue;
        }
      } catch {
        continue;
      }
    }
    if (isDir(full)) walk(full, base, out);
  }
}

/** Transcript files under the given paths (see `ClaudeUsageOptions.paths`). */
export function findTranscriptFiles(paths: readonly string[]): FileRef[] {
  const out: FileRef[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const abs = resolve(p);
    if (seen.has(abs)) continue;
    seen.add(abs);
    if (isDir(join(abs, 'projects'))) walk(join(abs, 'projects'), join(abs, 'projects'), out);
    else if (isDir(abs)) walk(abs, abs, out);
    else if (existsSync(abs)) {
      const parts = abs.split(sep);
      const at = parts.lastIndexOf('projects');
      out.push({ file: abs, base: at > 0 ? parts.slice(0, at + 1).join(sep) : parts.slice(0, -2).join(sep) || sep });
    }
  }
  return out;
}

/** What is kept of one usage line until the files are replayed. */
export interface Rec {
  key: string | undefined;
  day: string;
  /** ISO timestamp (ccusage picks a session's latest entry by string comparison). */
  ts: string;
  /** Model as reported (`-fast` suffixed for fast mode). */
  model: string | undefined;
  /** `message.model` as written, for pricing. */
  rawModel: string | undefined;
  fast: boolean;
  input: number;
  output: number;
  cacheWrite: number;
  cacheWrite1h: number;
  cacheRead: number;
  /** The line's `costUSD`, when it has one. */
  costUSD: number | undefined;
  /** ccusage 18's cost (all writes at the 5-minute rate); only set in the ccusage view. */
  cost: number;
  sessionId: string | undefined;
  agentId: string | undefined;
  sidechain: boolean;
  /** An `agent_progress` copy of a subagent message (in the parent's transcript). */
  progress: boolean;
  /** Superseded by another copy of the same response (set while replaying). */
  dropped: boolean;
}

/** A Task/Agent tool call of a main transcript, and the subagent it started. */
export interface TaskLink {
  toolUseId: string;
  description?: string;
  subagentType?: string;
}

export interface FileScan {
  ref: FileRef;
  earliest: number;
  /** ccusage 18's view: the first copy of each response, `agent_progress` copies left out. */
  recs: Rec[];
  /** The data's view: one record per response with its largest `output_tokens`, progress copies included. */
  best: Rec[];
  /** Task tool calls seen in this file, by tool_use id. */
  tasks: Map<string, TaskLink>;
  /** Subagent id → the Task tool_use id that started it (from tool results and progress lines). */
  agentTask: Map<string, string>;
}

/** Which views `scanFile` builds (each costs memory and time; build only what is shown). */
export interface ScanViews {
  ccusage: boolean;
  data: boolean;
}

const USAGE_KEY = Buffer.from('"usage"');
const CONTENT_KEY = Buffer.from('"content":[');
const TASK_NAMES = [Buffer.from('"name":"Task"'), Buffer.from('"name":"Agent"')];
const TOOL_USE_RESULT = Buffer.from('"toolUseResult"');
/** Claude Code writes one block per line; a tool_use block's name is within its first ~100 bytes. */
const NAME_WINDOW = 256;

/**
 * The end (index of the closing `]`) of the JSON array opening at `open`, skipping strings by
 * jumping quote to quote; -1 when it cannot be found.
 */
function arrayEnd(line: Buffer, open: number): number {
  let depth = 0;
  for (let i = open; i < line.length; i++) {
    const c = line[i];
    if (c === 34) {
      i = closingQuote(line, i, line.length);
      if (i === -1) return -1;
    } else if (c === 91 || c === 123) {
      depth++;
    } else if (c === 93 || c === 125) {
      depth--;
      if (depth === 0) return c === 93 ? i : -1;
    }
  }
  return -1;
}

/**
 * The line as text with its first `"content":[...]` array emptied, or the whole line. The content
 * (text, tool inputs) is most of an assistant line's bytes and none of its usage, so the data view
 * parses the rest only. The whole line when the content matters: a Task/Agent tool call or a
 * tool result with `toolUseResult` (the subagent joins).
 */
function withoutContent(line: Buffer): string {
  const at = line.indexOf(CONTENT_KEY);
  if (at <= 0 || line[at - 1] === 92) return line.toString('utf8');
  const open = at + CONTENT_KEY.length - 1;
  const head = line.subarray(open, open + NAME_WINDOW);
  if (head.indexOf(TASK_NAMES[0]!) !== -1 || head.indexOf(TASK_NAMES[1]!) !== -1) return line.toString('utf8');
  const close = arrayEnd(line, open);
  if (close === -1 || line.indexOf(TOOL_USE_RESULT, close) !== -1) return line.toString('utf8');
  return `${line.toString('utf8', 0, open + 1)}${line.toString('utf8', close)}`;
}
const TIMESTAMP_KEY = Buffer.from('"timestamp"');

/**
 * Whether a line that is not otherwise parsed may lower the file's earliest top-level `timestamp`
 * (ccusage's `getEarliestTimestamp`): true when any raw `"timestamp"` value in it is earlier than
 * `below` or cannot be read raw. Then the line is parsed, so the result is exact.
 */
function mayLowerEarliest(line: Buffer, below: number): boolean {
  let at = 0;
  for (;;) {
    const k = line.indexOf(TIMESTAMP_KEY, at);
    if (k === -1) return false;
    let i = k + TIMESTAMP_KEY.length;
    while (i < line.length && (line[i] === 32 || line[i] === 58 || line[i] === 9)) i++;
    if (line[i] === 34) {
      const close = line.indexOf(34, i + 1);
      if (close === -1) return true;
      const raw = line.toString('latin1', i + 1, close);
      if (raw.includes('\\')) return true;
      const t = Date.parse(raw);
      if (!Number.isNaN(t) && t < below) return true;
      at = close + 1;
    } else {
      at = i;
    }
  }
}

/** Interns the few distinct strings (days, models, sessions) so records share them. */
export function interner(): (value: string | undefined) => string | undefined {
  const pool = new Map<string, string>();
  return (value) => {
    if (value === undefined) return undefined;
    const known = pool.get(value);
    if (known !== undefined) return known;
    if (pool.size < 1_000_000) pool.set(value, value);
    return value;
  };
}

function noteTasks(json: Record<string, unknown>, scan: FileScan): void {
  const message = json.message as { content?: unknown } | undefined;
  const content = message !== null && typeof message === 'object' ? message.content : undefined;
  if (Array.isArray(content)) {
    for (const block of content as Array<Record<string, unknown> | null>) {
      if (block === null || typeof block !== 'object') continue;
      if (block.type === 'tool_use' && (block.name === 'Task' || block.name === 'Agent') && typeof block.id === 'string') {
        const input = (block.input ?? {}) as Record<string, unknown>;
        scan.tasks.set(block.id, {
          toolUseId: block.id,
          ...(typeof input.description === 'string' ? { description: input.description } : {}),
          ...(typeof input.subagent_type === 'string' ? { subagentType: input.subagent_type } : {}),
        });
      } else if (block.type === 'tool_result' && typeof block.tool_use_id === 'string') {
        const result = json.toolUseResult as Record<string, unknown> | undefined;
        if (result !== null && typeof result === 'object' && typeof result.agentId === 'string') scan.agentTask.set(result.agentId, block.tool_use_id);
      }
    }
  }
  if (json.type === 'progress' && typeof json.parentToolUseID === 'string') {
    const data = json.data as Record<string, unknown> | undefined;
    if (data !== null && typeof data === 'object' && typeof data.agentId === 'string') scan.agentTask.set(data.agentId, json.parentToolUseID);
  }
}

function toRec(e: UsageEntry, progress: boolean, dayOf: (iso: string) => string, intern: (value: string | undefined) => string | undefined): Rec {
  return {
    key: e.dedupeKey,
    day: dayOf(e.timestamp),
    ts: e.timestamp,
    model: intern(e.displayModel),
    rawModel: intern(e.model),
    fast: e.fast,
    input: e.inputTokens,
    output: e.outputTokens,
    cacheWrite: e.cacheCreationTokens,
    cacheWrite1h: e.cacheWrite1hTokens,
    cacheRead: e.cacheReadTokens,
    costUSD: e.costUSD,
    cost: e.cost,
    sessionId: intern(e.sessionId),
    agentId: intern(e.agentId),
    sidechain: e.isSidechain,
    progress,
    dropped: false,
  };
}

/**
 * Keeps one record per response in `best`: the copy with the largest `output_tokens` (Claude Code
 * writes a line per content block while streaming, and only `output_tokens` grows across them),
 * attributed to a transcript's own copy rather than an `agent_progress` echo when both exist.
 */
export function mergeCopy(kept: Rec, copy: Rec, dayOf: (iso: string) => string): 'keep' | 'replace' {
  const output = Math.max(kept.output, copy.output);
  if (kept.progress && !copy.progress) {
    copy.output = output;
    return 'replace';
  }
  if (copy.output > kept.output) {
    kept.output = output;
    kept.ts = copy.ts;
    kept.day = dayOf(copy.ts);
  }
  return 'keep';
}

export function scanFile(
  ref: FileRef,
  maxLineBytes: number,
  stats: ClaudeUsageReport['stats'],
  dayOf: (iso: string) => string,
  intern: (value: string | undefined) => string | undefined,
  views: ScanViews = { ccusage: true, data: false },
): FileScan {
  const scan: FileScan = { ref, earliest: Number.POSITIVE_INFINITY, recs: [], best: [], tasks: new Map(), agentTask: new Map() };
  // A key repeated inside one file is a duplicate whatever the file order: settle it now.
  const keysInFile = new Set<string>();
  const bestInFile = new Map<string, number>();
  let fd: number;
  try {
    fd = openSync(ref.file, 'r');
  } catch {
    stats.unreadable++;
    return scan;
  }
  try {
    const size = fstatSync(fd).size;
    const keep = (e: UsageEntry | undefined, json: unknown): void => {
      if (e !== undefined && views.ccusage) {
        if (e.dedupeKey !== undefined && keysInFile.has(e.dedupeKey)) {
          if (!views.data) stats.duplicates++;
        } else {
          if (e.dedupeKey !== undefined) keysInFile.add(e.dedupeKey);
          scan.recs.push(toRec(e, false, dayOf, intern));
        }
      }
      if (!views.data) return;
      const progress = e === undefined ? progressUsageEntry(json) : undefined;
      const entry = e ?? progress;
      if (entry === undefined) return;
      const rec = toRec(entry, progress !== undefined, dayOf, intern);
      if (rec.key === undefined) {
        scan.best.push(rec);
        return;
      }
      const at = bestInFile.get(rec.key);
      if (at === undefined) {
        bestInFile.set(rec.key, scan.best.length);
        scan.best.push(rec);
      } else {
        stats.duplicates++;
        if (mergeCopy(scan.best[at]!, rec, dayOf) === 'replace') scan.best[at] = rec;
      }
    };
    const noteTime = (ts: unknown): void => {
      if (typeof ts !== 'string') return;
      const t = Date.parse(ts);
      if (!Number.isNaN(t) && t < scan.earliest) scan.earliest = t;
    };
    const result = scanLines(fd, 0, size, { maxLineBytes, flushTail: true }, (buf, start, end) => {
      stats.lines++;
      const line = buf.subarray(start, end);
      const hasUsage = line.indexOf(USAGE_KEY) !== -1;
      if (hasUsage) {
        // The plain usage line (nearly all of them) is read without JSON.parse; see claude-code-usage-scan.ts.
        const fields = usageFields(line);
        const e = fields === undefined ? undefined : toUsageEntry(fields);
        if (e !== undefined) {
          noteTime(e.timestamp);
          keep(e, fields);
          return;
        }
      } else if (!mayLowerEarliest(line, scan.earliest)) return;
      if (isBlank(buf, start, end)) return;
      let json: unknown;
      try {
        json = JSON.parse(!hasUsage || views.ccusage ? line.toString('utf8') : withoutContent(line));
      } catch {
        stats.malformed++;
        return;
      }
      if (typeof json !== 'object' || json === null) return;
      noteTime((json as { timestamp?: unknown }).timestamp);
      if (!hasUsage) return;
      if (views.data) noteTasks(json as Record<string, unknown>, scan);
      keep(toUsageEntry(json), json);
    });
    stats.oversized += result.oversized;
  } catch {
    stats.unreadable++;
  } finally {
    closeSync(fd);
  }
  return scan;
}
