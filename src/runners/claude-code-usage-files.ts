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
import { progressUsageEntry, toUsageEntry } from './claude-code-transcript.js';
import { closingQuote, NO_TIMESTAMP, readUsageLine, topLevelTimestamp, UNSURE, usageLineOf, type UsageLine } from './claude-code-usage-scan.js';
import type { ClaudeUsageReport } from './claude-code-usage.js';

/** What to say when `defaultClaudePaths()` finds nothing (a home without `.claude`). */
export const NO_CLAUDE_PATHS = 'no Claude Code transcripts: neither $CLAUDE_CONFIG_DIR nor ~/.config/claude nor ~/.claude holds a projects/ folder';

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

/**
 * What is kept of one usage line until the files are replayed (a view of one row of a `RecTable`):
 * the line's figures (`UsageLine`, whose `timestamp` is kept as `ts`) and what the replay adds.
 */
export interface Rec extends Omit<UsageLine, 'timestamp'> {
  day: string;
  /** ISO timestamp (ccusage picks a session's latest entry by string comparison). */
  ts: string;
  /** `message.model` as written, for pricing (`model` is `-fast` suffixed for fast mode). */
  rawModel: string | undefined;
  /** An `agent_progress` copy of a subagent message (in the parent's transcript). */
  progress: boolean;
  /** Superseded by another copy of the same response (set while replaying). */
  dropped: boolean;
}

const NUMBERS = ['input', 'output', 'cacheWrite', 'cacheWrite1h', 'cacheRead', 'costUSD', 'cost'] as const;
/** Strings that take few values (days, models, sessions, agents): kept as numbers of a `StringPool`. */
const POOLED = ['day', 'model', 'rawModel', 'sessionId', 'agentId'] as const;
/** Strings that take a new value nearly every record. */
const OWN = ['key', 'ts'] as const;
type NumberField = (typeof NUMBERS)[number];
type PooledField = (typeof POOLED)[number];
type OwnField = (typeof OWN)[number];
type StringField = PooledField | OwnField;
const WIDTH = NUMBERS.length;
const AT = Object.fromEntries(NUMBERS.map((name, k) => [name, k])) as Record<NumberField, number>;
const POOL_WIDTH = POOLED.length;
const POOL_AT = Object.fromEntries(POOLED.map((name, k) => [name, k])) as Record<PooledField, number>;
const isPooled = (field: StringField): field is PooledField => field !== 'key' && field !== 'ts';

/**
 * The distinct strings of a read (days, models, session and agent ids), each stored once and
 * numbered: a record keeps 4-byte numbers instead of 8-byte pointers in growing arrays, and
 * equal strings are one string. Number 0 is `undefined`.
 */
export class StringPool {
  private readonly values: Array<string | undefined> = [undefined];
  private readonly ids = new Map<string, number>();

  /** The number of `value` (added when new). */
  id(value: string | undefined): number {
    if (value === undefined) return 0;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  /** The string numbered `id`. */
  at(id: number): string | undefined {
    return this.values[id];
  }

  /** `value`'s pooled copy (the first string of its text), so records share one string. */
  intern(value: string | undefined): string | undefined {
    return this.values[this.id(value)];
  }
}
const BIT = { fast: 1, sidechain: 2, progress: 4, dropped: 8 } as const;
type FlagField = keyof typeof BIT;

/**
 * The records of one file, column by column: figures in one `Float64Array`, the strings that repeat
 * as numbers of a shared `StringPool` in an `Int32Array`, the others (key, timestamp) in plain
 * arrays, flags in bits. A record costs about a third of an object's memory and nothing for the
 * young generation to copy, which is most of `usage`'s peak memory on large histories.
 */
export class RecTable {
  length = 0;
  private numbers = new Float64Array(WIDTH * 16);
  private pooled = new Int32Array(POOL_WIDTH * 16);
  private flags = new Uint8Array(16);
  private readonly strings: Record<OwnField, Array<string | undefined>> = { key: [], ts: [] };

  constructor(private readonly pool: StringPool) {}

  /** Appends a record and returns its row (field by field: a loop over names would make every access a lookup). */
  push(rec: Omit<Rec, 'dropped'>): number {
    const row = this.length++;
    if (row === this.flags.length) this.grow();
    this.write(row, rec);
    return row;
  }

  /** Writes `rec` over record `row`. */
  write(row: number, rec: Omit<Rec, 'dropped'>): void {
    const n = this.numbers;
    const at = row * WIDTH;
    n[at + AT.input] = rec.input;
    n[at + AT.output] = rec.output;
    n[at + AT.cacheWrite] = rec.cacheWrite;
    n[at + AT.cacheWrite1h] = rec.cacheWrite1h;
    n[at + AT.cacheRead] = rec.cacheRead;
    n[at + AT.costUSD] = rec.costUSD ?? Number.NaN;
    n[at + AT.cost] = rec.cost;
    const s = this.strings;
    s.key[row] = rec.key;
    s.ts[row] = rec.ts;
    const p = this.pooled;
    const pool = this.pool;
    const pat = row * POOL_WIDTH;
    p[pat + POOL_AT.day] = pool.id(rec.day);
    p[pat + POOL_AT.model] = pool.id(rec.model);
    p[pat + POOL_AT.rawModel] = pool.id(rec.rawModel);
    p[pat + POOL_AT.sessionId] = pool.id(rec.sessionId);
    p[pat + POOL_AT.agentId] = pool.id(rec.agentId);
    this.flags[row] = (rec.fast ? BIT.fast : 0) | (rec.sidechain ? BIT.sidechain : 0) | (rec.progress ? BIT.progress : 0);
  }

  /** Index of this table's first record among all tables' (set by the caller that needs it). */
  base = 0;
  private readonly views = [new RecView(this), new RecView(this)];

  /**
   * Record `row` as a `Rec`: one of two views of this table (`which`), pointed at `row`, valid
   * until the next call with the same `which` (so a record costs no object).
   */
  view(row: number, which: 0 | 1 = 0): Rec {
    return this.views[which]!.at(row);
  }

  /**
   * Copies record `row` into `into` (a plain object, reused): cheaper than a view when every field
   * is read, several times.
   */
  read(row: number, into: Rec): Rec {
    const n = this.numbers;
    const at = row * WIDTH;
    into.input = n[at + AT.input]!;
    into.output = n[at + AT.output]!;
    into.cacheWrite = n[at + AT.cacheWrite]!;
    into.cacheWrite1h = n[at + AT.cacheWrite1h]!;
    into.cacheRead = n[at + AT.cacheRead]!;
    const costUSD = n[at + AT.costUSD]!;
    into.costUSD = Number.isNaN(costUSD) ? undefined : costUSD;
    into.cost = n[at + AT.cost]!;
    const s = this.strings;
    into.key = s.key[row];
    into.ts = s.ts[row]!;
    const p = this.pooled;
    const pool = this.pool;
    const pat = row * POOL_WIDTH;
    into.day = pool.at(p[pat + POOL_AT.day]!)!;
    into.model = pool.at(p[pat + POOL_AT.model]!);
    into.rawModel = pool.at(p[pat + POOL_AT.rawModel]!);
    into.sessionId = pool.at(p[pat + POOL_AT.sessionId]!);
    into.agentId = pool.at(p[pat + POOL_AT.agentId]!);
    const flags = this.flags[row]!;
    into.fast = (flags & BIT.fast) !== 0;
    into.sidechain = (flags & BIT.sidechain) !== 0;
    into.progress = (flags & BIT.progress) !== 0;
    into.dropped = (flags & BIT.dropped) !== 0;
    return into;
  }

  number(row: number, field: NumberField): number {
    return this.numbers[row * WIDTH + AT[field]]!;
  }

  setNumber(row: number, field: NumberField, value: number): void {
    this.numbers[row * WIDTH + AT[field]] = value;
  }

  string(row: number, field: StringField): string | undefined {
    return isPooled(field) ? this.pool.at(this.pooled[row * POOL_WIDTH + POOL_AT[field]]!) : this.strings[field][row];
  }

  setString(row: number, field: StringField, value: string | undefined): void {
    if (isPooled(field)) this.pooled[row * POOL_WIDTH + POOL_AT[field]] = this.pool.id(value);
    else this.strings[field][row] = value;
  }

  flag(row: number, field: FlagField): boolean {
    return (this.flags[row]! & BIT[field]) !== 0;
  }

  setFlag(row: number, field: FlagField, value: boolean): void {
    this.flags[row] = value ? this.flags[row]! | BIT[field] : this.flags[row]! & ~BIT[field];
  }

  private grow(): void {
    const numbers = new Float64Array(this.numbers.length * 2);
    numbers.set(this.numbers);
    this.numbers = numbers;
    const pooled = new Int32Array(this.pooled.length * 2);
    pooled.set(this.pooled);
    this.pooled = pooled;
    const flags = new Uint8Array(this.flags.length * 2);
    flags.set(this.flags);
    this.flags = flags;
  }
}

/** One record of a `RecTable` read and written as a `Rec`. */
class RecView implements Rec {
  private row = 0;
  constructor(private readonly t: RecTable) {}
  at(row: number): this {
    this.row = row;
    return this;
  }
  get key() { return this.t.string(this.row, 'key'); }
  get day() { return this.t.string(this.row, 'day')!; }
  set day(v: string) { this.t.setString(this.row, 'day', v); }
  get ts() { return this.t.string(this.row, 'ts')!; }
  set ts(v: string) { this.t.setString(this.row, 'ts', v); }
  get model() { return this.t.string(this.row, 'model'); }
  get rawModel() { return this.t.string(this.row, 'rawModel'); }
  get sessionId() { return this.t.string(this.row, 'sessionId'); }
  get agentId() { return this.t.string(this.row, 'agentId'); }
  get fast() { return this.t.flag(this.row, 'fast'); }
  get sidechain() { return this.t.flag(this.row, 'sidechain'); }
  get progress() { return this.t.flag(this.row, 'progress'); }
  get dropped() { return this.t.flag(this.row, 'dropped'); }
  set dropped(v: boolean) { this.t.setFlag(this.row, 'dropped', v); }
  get input() { return this.t.number(this.row, 'input'); }
  get output() { return this.t.number(this.row, 'output'); }
  set output(v: number) { this.t.setNumber(this.row, 'output', v); }
  get cacheWrite() { return this.t.number(this.row, 'cacheWrite'); }
  get cacheWrite1h() { return this.t.number(this.row, 'cacheWrite1h'); }
  get cacheRead() { return this.t.number(this.row, 'cacheRead'); }
  get costUSD() {
    const v = this.t.number(this.row, 'costUSD');
    return Number.isNaN(v) ? undefined : v;
  }
  get cost() { return this.t.number(this.row, 'cost'); }
  set cost(v: number) { this.t.setNumber(this.row, 'cost', v); }
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
  recs: RecTable;
  /** The data's view: one record per response with its largest `output_tokens`, progress copies included. */
  best: RecTable;
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

/**
 * Whether `buf[start, end)` holds `"usage"`. One search serves the lines up to the next match
 * (lines of a chunk come in order), so a line without usage costs nothing.
 */
let searched: Buffer | undefined;
let searchedFrom = 0;
let nextUsage = -1;
function usageKeyIn(buf: Buffer, start: number, end: number): boolean {
  if (buf !== searched || start <= searchedFrom || (nextUsage !== -1 && nextUsage < start)) {
    nextUsage = buf.indexOf(USAGE_KEY, start);
    searched = buf;
  }
  searchedFrom = start;
  return nextUsage !== -1 && nextUsage + USAGE_KEY.length <= end;
}
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
/** The form of `Date#toISOString` (what Claude Code writes): `0` stands for a digit. */
const ISO_FORM = '0000-00-00T00:00:00.000Z';

function isoFormAt(text: { [k: number]: number } | string, from: number, length: number): boolean {
  if (length !== ISO_FORM.length) return false;
  for (let k = 0; k < ISO_FORM.length; k++) {
    const c = typeof text === 'string' ? text.charCodeAt(from + k) : text[from + k]!;
    const form = ISO_FORM.charCodeAt(k);
    if (form === 48 ? c < 48 || c > 57 : c !== form) return false;
  }
  return true;
}

/**
 * A file's earliest top-level `timestamp` (ccusage's `getEarliestTimestamp`), as epoch ms and as
 * ISO text. A timestamp of the ISO form whose text is not below the earliest's cannot be earlier
 * (for that form text order is time order, and a date out of range parses later or not at all),
 * so it is not parsed.
 */
class Earliest {
  time = Number.POSITIVE_INFINITY;
  private iso = '';

  /** Notes a timestamp as written. */
  note(ts: unknown): void {
    if (typeof ts !== 'string' || (this.iso !== '' && ts >= this.iso && isoFormAt(ts, 0, ts.length))) return;
    const t = Date.parse(ts);
    if (!Number.isNaN(t) && t < this.time) {
      this.time = t;
      const iso = new Date(t).toISOString();
      this.iso = isoFormAt(iso, 0, iso.length) ? iso : ''; // years past 9999 have another form

    }
  }

  /** Whether the timestamp written in `buf[from, to)` (no quotes) cannot be earlier (see the class comment). */
  notBelow(buf: Buffer, from: number, to: number): boolean {
    if (this.iso === '' || !isoFormAt(buf, from, to - from)) return false;
    for (let k = 0; k < ISO_FORM.length; k++) {
      const c = buf[from + k]!;
      const e = this.iso.charCodeAt(k);
      if (c !== e) return c > e;
    }
    return true;
  }
}

const LAST_TIMESTAMP = Buffer.from('"timestamp":"');

/**
 * Where the text of the line's top-level `timestamp` starts when the line ends with
 * `,"timestamp":"<ISO form>"}` (Claude Code writes it last), else -1. Then, if the line is JSON at
 * all, that is its top-level timestamp: the final `}` closes the top-level object, the quotes around
 * the key and the value are unescaped (none follows a backslash), and of a repeated key
 * `JSON.parse` keeps the last. So a line whose last timestamp is not below the earliest cannot lower
 * it, whatever the rest of its bytes (an invalid line counts no timestamp): none of it is searched.
 */
function lastTimestampAt(buf: Buffer, start: number, end: number): number {
  const text = end - 2 - ISO_FORM.length;
  const key = text - LAST_TIMESTAMP.length;
  if (key - 1 < start || buf[end - 1] !== 125 || buf[end - 2] !== 34 || (buf[key - 1] !== 44 && buf[key - 1] !== 123)) return -1;
  for (let k = 0; k < LAST_TIMESTAMP.length; k++) if (buf[key + k] !== LAST_TIMESTAMP[k]) return -1;
  return isoFormAt(buf, text, ISO_FORM.length) ? text : -1;
}

/**
 * Whether a line that is not otherwise parsed may lower the file's earliest top-level `timestamp`
 * (ccusage's `getEarliestTimestamp`): true when its top-level timestamp is earlier than the
 * earliest or cannot be read raw (escaped, or the walk cannot tell). Then the line is parsed, so the
 * result is exact. Only the top-level object is walked (`topLevelTimestamp`): searching every
 * `"timestamp"` in the line read all of a tool result's bytes with a multi-byte search.
 */
function mayLowerEarliest(buf: Buffer, start: number, end: number, earliest: Earliest): boolean {
  const last = lastTimestampAt(buf, start, end);
  if (last !== -1) return !earliest.notBelow(buf, last, end - 2);
  const at = topLevelTimestamp(buf, start, end);
  if (at === NO_TIMESTAMP) return false;
  if (at === UNSURE) return true;
  const close = closingQuote(buf, at, end);
  if (earliest.notBelow(buf, at + 1, close)) return false;
  const raw = buf.toString('latin1', at + 1, close);
  if (!/^[\x20-\x5b\x5d-\x7e]*$/.test(raw)) return true; // an escape or a non-ASCII byte: JSON.parse decodes it
  const t = Date.parse(raw);
  return !Number.isNaN(t) && t < earliest.time;
}

/** The pool of a read's repeating strings (see `StringPool`). */
export function interner(): StringPool {
  return new StringPool();
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

/** A blank record, to `read` into. */
export function blankRec(): Rec {
  return { ...blankLine(), day: '', ts: '', rawModel: undefined, progress: false, dropped: false };
}

/** A blank `UsageLine` or record to fill (one of each per scan, reused line after line). */
function blankLine(): UsageLine {
  return { timestamp: '', model: undefined, fast: false, input: 0, output: 0, cacheWrite: 0, cacheWrite1h: 0, cacheRead: 0, costUSD: undefined, cost: 0, key: undefined, sessionId: undefined, agentId: undefined, sidechain: false };
}

/** The record of a usage line, written into `rec` (reused: a table copies what it keeps). */
function toRec<R extends Omit<Rec, 'dropped'>>(u: UsageLine, progress: boolean, dayOf: (iso: string) => string, pool: StringPool, rec: R): R {
  const model = pool.intern(u.model);
  rec.key = u.key;
  rec.day = dayOf(u.timestamp);
  rec.ts = u.timestamp;
  rec.model = model === undefined || !u.fast ? model : pool.intern(`${model}-fast`);
  rec.rawModel = model;
  rec.fast = u.fast;
  rec.input = u.input;
  rec.output = u.output;
  rec.cacheWrite = u.cacheWrite;
  rec.cacheWrite1h = u.cacheWrite1h;
  rec.cacheRead = u.cacheRead;
  rec.costUSD = u.costUSD;
  rec.cost = u.cost;
  rec.sessionId = pool.intern(u.sessionId);
  rec.agentId = pool.intern(u.agentId);
  rec.sidechain = u.sidechain;
  rec.progress = progress;
  return rec;
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
  pool: StringPool,
  views: ScanViews = { ccusage: true, data: false },
): FileScan {
  const scan: FileScan = { ref, earliest: Number.POSITIVE_INFINITY, recs: new RecTable(pool), best: new RecTable(pool), tasks: new Map(), agentTask: new Map() };
  // A key repeated inside one file is a duplicate whatever the file order: settle it now.
  const keysInFile = new Set<string>();
  const bestInFile = new Map<string, number>();
  const earliest = new Earliest();
  let fd: number;
  try {
    fd = openSync(ref.file, 'r');
  } catch {
    stats.unreadable++;
    return scan;
  }
  try {
    const size = fstatSync(fd).size;
    const line = blankLine();
    const slow = blankLine();
    const rec = blankRec();
    const keep = (u: UsageLine | undefined, json: unknown): void => {
      // `rec` holds `u`'s record once ccusage's view kept it: the data's view reuses it.
      let filled = false;
      if (u !== undefined && views.ccusage) {
        if (u.key !== undefined && keysInFile.has(u.key)) {
          if (!views.data) stats.duplicates++;
        } else {
          if (u.key !== undefined) keysInFile.add(u.key);
          scan.recs.push(toRec(u, false, dayOf, pool, rec));
          filled = true;
        }
      }
      if (!views.data) return;
      const progress = u === undefined ? progressUsageEntry(json) : undefined;
      const entry = u ?? (progress === undefined ? undefined : usageLineOf(progress, slow));
      if (entry === undefined) return;
      const best = scan.best;
      const copy = filled ? rec : toRec(entry, progress !== undefined, dayOf, pool, rec);
      const key = entry.key;
      const at = key === undefined ? undefined : bestInFile.get(key);
      if (at === undefined) {
        const row = best.push(copy);
        if (key !== undefined) bestInFile.set(key, row);
        return;
      }
      // A later copy of a response already kept: merged into it, never pushed.
      stats.duplicates++;
      if (mergeCopy(best.view(at), copy, dayOf) === 'replace') best.write(at, copy);
    };
    const noteTime = (ts: unknown): void => earliest.note(ts);
    const result = scanLines(fd, 0, size, { maxLineBytes, flushTail: true }, (buf, start, end) => {
      stats.lines++;
      const hasUsage = usageKeyIn(buf, start, end);
      // The plain usage line (nearly all of them) is read without JSON.parse; see claude-code-usage-scan.ts.
      if (hasUsage && readUsageLine(buf, start, end, line)) {
        noteTime(line.timestamp);
        keep(line, undefined);
        return;
      }
      // Only ccusage's view orders files by their earliest timestamp.
      if (!hasUsage && (!views.ccusage || !mayLowerEarliest(buf, start, end, earliest))) return;
      if (isBlank(buf, start, end)) return;
      const text = buf.subarray(start, end);
      let json: unknown;
      try {
        json = JSON.parse(!hasUsage || views.ccusage ? text.toString('utf8') : withoutContent(text));
      } catch {
        stats.malformed++;
        return;
      }
      if (typeof json !== 'object' || json === null) return;
      noteTime((json as { timestamp?: unknown }).timestamp);
      if (!hasUsage) return;
      if (views.data) noteTasks(json as Record<string, unknown>, scan);
      const e = toUsageEntry(json);
      keep(e === undefined ? undefined : usageLineOf(e, slow), json);
    });
    stats.oversized += result.oversized;
  } catch {
    stats.unreadable++;
  } finally {
    closeSync(fd);
    scan.earliest = earliest.time;
  }
  return scan;
}
