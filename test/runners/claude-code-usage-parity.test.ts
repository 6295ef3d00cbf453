/**
 * `claudeUsage` on the real transcripts in ../shared/real-cc and on generated sets, checked three
 * ways: against figures computed here from the raw lines with a plain independent pass, against
 * ccusage 18.0.11 (the JS devDependency) in `ccusage` mode, and against the Rust ccusage 20
 * (`@ccusage/ccusage-linux-x64`) in the default `data` mode.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTranscripts } from '../../bench/claude-code-transcripts-gen.js';
import { claudeUsage, type ClaudeUsageReport } from '../../src/runners/claude-code-usage.js';

const REAL = resolve(process.cwd(), '../shared/real-cc/transcripts');
const JS_CCUSAGE = join(process.cwd(), 'node_modules/ccusage/dist/index.js');
const RUST_PACKAGE = join(process.cwd(), 'node_modules/@ccusage/ccusage-linux-x64/bin/ccusage');
const REPORTS = ['daily', 'weekly', 'monthly', 'session', 'blocks'] as const;
type Report = (typeof REPORTS)[number];
const FIELD = { daily: 'daily', weekly: 'weekly', monthly: 'monthly', session: 'sessions', blocks: 'blocks' } as const;
const KEY = { daily: 'date', weekly: 'week', monthly: 'month', session: 'sessionId', blocks: 'id' } as const;

const work = mkdtempSync(join(tmpdir(), 'fleetscope-usage-parity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The Rust binary, made executable in a temp copy (npm does not set the mode of a non-bin file). */
function rustBinary(): string | undefined {
  if (!existsSync(RUST_PACKAGE)) {
    console.warn(`\n[fleetscope] SKIPPING the Rust ccusage parity: ${RUST_PACKAGE} is not installed (npm install -D @ccusage/ccusage-linux-x64 works on linux-x64 only)\n`);
    return undefined;
  }
  const copy = join(work, 'ccusage-rust');
  copyFileSync(RUST_PACKAGE, copy);
  chmodSync(copy, 0o755);
  return copy;
}
const RUST = rustBinary();

function runJson(command: string[], root: string): Record<string, unknown[]> {
  const [bin, ...args] = command;
  const r = spawnSync(bin!, args, { env: { ...process.env, CLAUDE_CONFIG_DIR: root, TZ: 'UTC', NO_COLOR: '1' }, encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown[]>;
}

/**
 * `root` as one config dir per project (`<dir>/projects/<name>` a symlink to the project), in name
 * order, joined with commas for CLAUDE_CONFIG_DIR. ccusage 18 keeps the first copy of a response it
 * reads, reading files by their earliest timestamp; on a tie its order is the order its glob found
 * the files in, which varies from run to run (the directory walk is concurrent). The real corpus
 * has such a tie: session 3afa26d2 is in two project folders (hooklog-teamwork and
 * hooklog-teamwork-backend) with the same first timestamp and 14 responses in common, so the
 * session report put them in one folder or the other (the flaky parity). Config dirs are read in the
 * order given, so this fixes the order to project name, the order fleetscope breaks that tie in.
 */
function configDirsInProjectOrder(root: string): string {
  const base = mkdtempSync(join(work, 'ccusage-config-'));
  const projects = readdirSync(join(root, 'projects')).sort();
  return projects
    .map((name, i) => {
      const dir = join(base, String(i).padStart(4, '0'));
      mkdirSync(join(dir, 'projects'), { recursive: true });
      symlinkSync(join(root, 'projects', name), join(dir, 'projects', name));
      return dir;
    })
    .join(',');
}

const js = (report: Report, root: string) => runJson([process.execPath, JS_CCUSAGE, report, '--offline', '--json'], configDirsInProjectOrder(root));
const rust = (report: Report, root: string) => runJson([RUST!, 'claude', report, '--offline', '--json'], root);

type Row = Record<string, unknown> & { totalTokens: number };
const cost = (row: Row) => Math.round(((row.totalCost ?? row.costUSD) as number) * 100);

/** Rows keyed by their period / session / block, with tokens and cost to the cent. */
function figures(rows: readonly unknown[], report: Report): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const raw of rows as Row[]) out.set(`${String(raw[KEY[report]])}|${String(raw.projectPath ?? '')}`, [raw.totalTokens, cost(raw)]);
  return out;
}

function rowsOf(report: ClaudeUsageReport, which: Report): unknown[] {
  return report[FIELD[which]] as unknown[];
}

// ── An independent pass over the raw lines ──────────────────────────────────────────────

interface Raw {
  responses: number;
  differing: number;
  firstOutput: number;
  largestOutput: number;
  otherFieldsDiffer: number;
  cacheWrites: number;
  cacheWrites1h: number;
  /** Responses seen only as agent_progress copies (their subagent's file is not in the corpus). */
  progressOnly: Map<string, { day: string; tokens: number }>;
}

function jsonlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) jsonlFiles(full, out);
    else if (name.endsWith('.jsonl')) out.push(full);
  }
  return out;
}

function rawPass(root: string): Raw {
  const copies = new Map<string, Array<Record<string, number>>>();
  const progress = new Map<string, { day: string; tokens: number }>();
  for (const file of jsonlFiles(join(root, 'projects'))) {
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (text.trim() === '') continue;
      const line = JSON.parse(text) as { message?: { id?: string; usage?: Record<string, number> }; requestId?: string; data?: { message?: { timestamp: string; requestId?: string; message?: { id?: string; usage?: Record<string, number> } } } };
      const usage = line.message?.usage;
      if (usage !== undefined && line.message?.id !== undefined && line.requestId !== undefined) {
        const key = `${line.message.id}:${line.requestId}`;
        copies.set(key, [...(copies.get(key) ?? []), usage]);
      }
      const inner = line.data?.message;
      const u = inner?.message?.usage;
      if (u !== undefined && inner?.message?.id !== undefined && inner.requestId !== undefined) {
        const tokens = u.input_tokens! + u.output_tokens! + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
        const key = `${inner.message.id}:${inner.requestId}`;
        const prior = progress.get(key);
        if (prior === undefined || tokens > prior.tokens) progress.set(key, { day: inner.timestamp.slice(0, 10), tokens });
      }
    }
  }
  const raw: Raw = { responses: copies.size, differing: 0, firstOutput: 0, largestOutput: 0, otherFieldsDiffer: 0, cacheWrites: 0, cacheWrites1h: 0, progressOnly: new Map() };
  for (const list of copies.values()) {
    const outputs = list.map((u) => u.output_tokens!);
    if (new Set(outputs).size > 1) raw.differing++;
    raw.firstOutput += outputs[0]!;
    raw.largestOutput += Math.max(...outputs);
    for (const field of ['input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens']) {
      if (new Set(list.map((u) => u[field])).size > 1) raw.otherFieldsDiffer++;
    }
    raw.cacheWrites += list[0]!.cache_creation_input_tokens ?? 0;
    raw.cacheWrites1h += (list[0]!.cache_creation as unknown as { ephemeral_1h_input_tokens?: number } | undefined)?.ephemeral_1h_input_tokens ?? 0;
  }
  for (const [key, p] of progress) if (!copies.has(key)) raw.progressOnly.set(key, p);
  return raw;
}

// ── The real corpus ─────────────────────────────────────────────────────────────────────

describe('usage on the real transcripts (../shared/real-cc)', () => {
  let raw: Raw;
  let data: ClaudeUsageReport;
  let cc: ClaudeUsageReport;
  beforeAll(() => {
    raw = rawPass(REAL);
    const now = Date.parse('2027-01-01T00:00:00Z');
    data = claudeUsage({ paths: [REAL], timezone: 'UTC', now });
    cc = claudeUsage({ paths: [REAL], timezone: 'UTC', mode: 'ccusage', now });
  });

  it('shows what the issue says: 551 of 2,149 responses differ in output_tokens only; first copies 242,959, largest 456,234', () => {
    expect(raw.responses).toBe(2149);
    expect(raw.differing).toBe(551);
    expect(raw.otherFieldsDiffer).toBe(0);
    expect(raw.firstOutput).toBe(242_959);
    expect(raw.largestOutput).toBe(456_234);
    // 1-hour writes: 24% of cache writes.
    expect(Math.round((100 * raw.cacheWrites1h) / raw.cacheWrites)).toBe(24);
  });

  it('counts the largest copy by default, plus the responses known only from agent_progress copies', () => {
    let progressTokens = 0;
    for (const p of raw.progressOnly.values()) progressTokens += p.tokens;
    expect(raw.progressOnly.size).toBe(20);
    const t = data.totals;
    const progressOutput = t.outputTokens - raw.largestOutput;
    expect(progressOutput).toBeGreaterThan(0);
    expect(t.totalTokens).toBe(cc.totals.totalTokens + (raw.largestOutput - raw.firstOutput) + progressTokens);
    expect(cc.totals.outputTokens).toBe(242_959);
  });

  it('--ccusage mode equals ccusage 18.0.11 in every report: tokens exactly, cost to the cent', () => {
    for (const report of REPORTS) {
      const theirs = js(report, REAL);
      expect(figures(rowsOf(cc, report), report), report).toEqual(figures(theirs[FIELD[report]]!, report));
    }
  }, 240_000);

  it.runIf(RUST !== undefined)('the default mode equals the Rust ccusage 20 daily report: tokens exactly, cost to the cent', () => {
    expect(figures(data.daily, 'daily')).toEqual(figures(rust('daily', REAL).daily!, 'daily'));
    const totals = rust('daily', REAL).totals as unknown as Row;
    expect(data.totals.totalTokens).toBe(totals.totalTokens);
    expect(Math.round(data.totals.totalCost * 100)).toBe(cost(totals));
  });

  it.runIf(RUST !== undefined)('Rust ccusage 20 leaves agent_progress copies out of weekly, monthly and blocks (not daily): the gap is exactly those responses', () => {
    let progressTokens = 0;
    for (const p of raw.progressOnly.values()) progressTokens += p.tokens;
    for (const report of ['weekly', 'monthly', 'blocks'] as const) {
      const theirs = rust(report, REAL)[FIELD[report]] as Row[];
      const sum = (rows: readonly Row[]) => rows.reduce((a, r) => a + r.totalTokens, 0);
      expect(sum(rowsOf(data, report) as Row[]) - sum(theirs), report).toBe(progressTokens);
    }
  });
});

// ── Generated sets ──────────────────────────────────────────────────────────────────────

describe('usage on a generated set (growing output copies, 1-hour cache writes, subagents)', () => {
  const root = join(work, 'generated');
  let data: ClaudeUsageReport;
  let cc: ClaudeUsageReport;
  beforeAll(() => {
    generateTranscripts(root, 3 * 2 ** 20, 4);
    const now = Date.parse('2027-01-01T00:00:00Z');
    data = claudeUsage({ paths: [root], timezone: 'UTC', now });
    cc = claudeUsage({ paths: [root], timezone: 'UTC', mode: 'ccusage', now });
  });

  it('the two modes differ the way the data says (largest vs first copy)', () => {
    const raw = rawPass(root);
    expect(raw.differing).toBeGreaterThan(0);
    expect(data.totals.outputTokens).toBe(raw.largestOutput);
    expect(cc.totals.outputTokens).toBe(raw.firstOutput);
  });

  it('--ccusage mode equals ccusage 18.0.11 in every report', () => {
    for (const report of REPORTS) {
      expect(figures(rowsOf(cc, report), report), report).toEqual(figures(js(report, root)[FIELD[report]]!, report));
    }
  }, 240_000);

  it.runIf(RUST !== undefined)('the default mode equals the Rust ccusage 20 in every report', () => {
    for (const report of REPORTS) {
      expect(figures(rowsOf(data, report), report), report).toEqual(figures(rust(report, root)[FIELD[report]]!, report));
    }
  });
});
