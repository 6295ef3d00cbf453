import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centsOnly, writeUsageFixture } from '../runners/claude-code-fixtures.js';
import { formatInt, sessionTable } from '../../src/cli/usage-table.js';
import { buildCli } from './build-cli.js';

const TZ = 'Asia/Kolkata'; // a half-hour offset: day boundaries at hh:30 UTC
const CCUSAGE = join(process.cwd(), 'node_modules/ccusage/dist/index.js');
let cli: string;
let root: string;

beforeAll(() => {
  cli = buildCli();
  root = mkdtempSync(join(tmpdir(), 'fleetscope-usage-cli-'));
  writeUsageFixture(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, TZ, NO_COLOR: '1', ...env } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('fleetscope usage', () => {
  it('--json equals ccusage daily and session (--offline --json) on the same files, system time zone', () => {
    const ours = JSON.parse(run([cli, 'usage', '--json', '--ccusage'], { CLAUDE_CONFIG_DIR: root }));
    const oursSessions = JSON.parse(run([cli, 'usage', 'session', '--json', '--ccusage'], { CLAUDE_CONFIG_DIR: root }));
    const block = JSON.parse(run([cli, 'usage', '--json'], { CLAUDE_CONFIG_DIR: root })).ccusage;
    const daily = JSON.parse(run([CCUSAGE, 'daily', '--offline', '--json'], { CLAUDE_CONFIG_DIR: root }));
    const session = JSON.parse(run([CCUSAGE, 'session', '--offline', '--json'], { CLAUDE_CONFIG_DIR: root }));
    expect(daily.daily.length).toBeGreaterThan(1);
    expect(centsOnly(ours.daily)).toEqual(centsOnly(daily.daily));
    expect(centsOnly(ours.totals)).toEqual(centsOnly(daily.totals));
    expect(centsOnly(block.daily)).toEqual(centsOnly(daily.daily));
    expect(centsOnly(oursSessions.sessions)).toEqual(centsOnly(session.sessions));
  });

  it('takes paths as arguments and --since/--until like ccusage', () => {
    const ours = JSON.parse(run([cli, 'usage', root, '--json', '--ccusage', '--since', '20250302', '--until', '20250303']));
    const daily = JSON.parse(run([CCUSAGE, 'daily', '--offline', '--json', '--since', '20250302', '--until', '20250303'], { CLAUDE_CONFIG_DIR: root }));
    expect(centsOnly(ours.daily)).toEqual(centsOnly(daily.daily));
  });

  it('takes --claude DIR as the read commands do (a path), and a bare --claude as the default dirs', () => {
    const byArgument = JSON.parse(run([cli, 'usage', 'daily', root, '--json']));
    expect(byArgument.daily.length).toBeGreaterThan(1);
    expect(JSON.parse(run([cli, 'usage', 'daily', '--claude', root, '--json']))).toEqual(byArgument);
    expect(JSON.parse(run([cli, 'usage', '--claude', '--json'], { CLAUDE_CONFIG_DIR: root }))).toEqual(byArgument);
    expect(JSON.parse(run([cli, 'usage', '--json', '--claude'], { CLAUDE_CONFIG_DIR: root }))).toEqual(byArgument);
  });

  it('prints a session table with the subagent on its own row, joined to the Task call that started it', () => {
    const text = run([cli, 'usage', 'session', root]);
    expect(text).toContain('Claude Code usage by session');
    expect(text).toMatch(/Explore subagent a1b2c3d: Find the flaky test\s+320\s+520\s+5,000\s+5,000\s+10,840/);
  });
});

describe('fleetscope usage arguments and reports', () => {
  function raw(args: string[]) {
    return spawnSync(process.execPath, [cli, 'usage', ...args], { encoding: 'utf8', env: { ...process.env, TZ, NO_COLOR: '1', CLAUDE_CONFIG_DIR: root } });
  }

  it('--help prints the reports and options and exits 0; an unknown flag or a bad value exits 1', () => {
    const help = raw(['--help']);
    expect(help.status).toBe(0);
    for (const word of ['daily', 'weekly', 'monthly', 'session', 'blocks', '--breakdown', '--order', '--compact', '--ccusage']) expect(help.stdout).toContain(word);
    const unknown = raw(['--frobnicate']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("Unknown option '--frobnicate'");
    expect(raw(['daily', '--order', 'sideways']).status).toBe(1);
    expect(raw(['daily', '--since', 'yesterday']).status).toBe(1);
    expect(raw(['weekly', '--start-of-week', 'someday']).status).toBe(1);
  });

  it('a home without .claude (no CLAUDE_CONFIG_DIR): an empty report, exit 0, and why on stderr', () => {
    const home = mkdtempSync(join(tmpdir(), 'fleetscope-usage-home-'));
    try {
      const env: Record<string, string | undefined> = { ...process.env, TZ, NO_COLOR: '1', HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
      delete env.CLAUDE_CONFIG_DIR;
      for (const args of [[], ['--json']]) {
        const r = spawnSync(process.execPath, [cli, 'usage', ...args], { encoding: 'utf8', env });
        expect(r.status).toBe(0);
        expect(r.stderr).toContain('no Claude Code transcripts: neither $CLAUDE_CONFIG_DIR nor ~/.config/claude nor ~/.claude holds a projects/ folder');
      }
      const json = spawnSync(process.execPath, [cli, 'usage', '--json'], { encoding: 'utf8', env });
      expect(JSON.parse(json.stdout).totals.totalTokens).toBe(0);
      const empty = spawnSync(process.execPath, [cli, 'usage', home], { encoding: 'utf8', env });
      expect(empty.stderr).toContain(`no transcript (*.jsonl) found under ${home}`);
      expect(empty.stderr).toContain('0 files, 0 responses, 0 repeated copies merged');
      // One file that is not a transcript: counts of one are singular.
      writeFileSync(join(home, 'notes.jsonl'), '{"hello":1}\n');
      const one = spawnSync(process.execPath, [cli, 'usage', home], { encoding: 'utf8', env });
      expect(one.stderr).toContain('1 file, 0 responses, 0 repeated copies merged');
      // A path that is not there is an error, not an empty report with exit 0 (a report name's typo, most often).
      const typo = spawnSync(process.execPath, [cli, 'usage', 'dialy'], { encoding: 'utf8', env, cwd: home });
      expect(typo.status).toBe(1);
      expect(typo.stdout).toBe('');
      expect(typo.stderr).toContain('fleetscope usage: dialy: no such file or directory (reports: daily, weekly, monthly, session, blocks)');
      const missing = spawnSync(process.execPath, [cli, 'usage', 'session', join(home, 'gone'), '--json'], { encoding: 'utf8', env });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain(`${join(home, 'gone')}: no such file or directory`);
      expect(missing.stderr).not.toContain('(reports:');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('weekly --json carries the ccusage block; --ccusage gives ccusage 18 weekly figures', () => {
    const ours = JSON.parse(raw(['weekly', '--json']).stdout);
    const cc = JSON.parse(raw(['weekly', '--json', '--ccusage']).stdout);
    const theirs = JSON.parse(run([CCUSAGE, 'weekly', '--offline', '--json'], { CLAUDE_CONFIG_DIR: root }));
    expect(Object.keys(ours).sort()).toEqual(['ccusage', 'totals', 'weekly']);
    expect(centsOnly(cc.weekly)).toEqual(centsOnly(theirs.weekly));
    expect(centsOnly(ours.ccusage.weekly)).toEqual(centsOnly(theirs.weekly));
  });

  it('--breakdown adds a row per model, --compact keeps input, output and cost, --order desc reverses', () => {
    const daily = JSON.parse(raw(['daily', '--json']).stdout).daily as Array<{ date: string; modelBreakdowns: unknown[] }>;
    const text = raw(['daily', '--breakdown']).stdout;
    const modelRows = text.split('\n').filter((l) => l.startsWith('  └ ')).length;
    expect(modelRows).toBe(daily.reduce((n, d) => n + d.modelBreakdowns.length, 0));
    const compact = raw(['daily', '--compact']).stdout;
    expect(compact).not.toContain('Cache read');
    expect(compact).toContain('Cost (USD)');
    const desc = JSON.parse(raw(['daily', '--json', '--order', 'desc']).stdout).daily as Array<{ date: string }>;
    expect(desc.map((d) => d.date)).toEqual(daily.map((d) => d.date).reverse());
  });
});

describe('usage tables without Intl', () => {
  it('groups integers as Intl.NumberFormat("en-US") does, and leaves anything else to it', () => {
    const intl = new Intl.NumberFormat('en-US');
    const values = [0, -0, 7, 999, 1000, -1000, 12345, 999999, 1000000, 3470068750, -123456789, Number.MAX_SAFE_INTEGER, 2 ** 60, 1.5, 1234.5678, Number.NaN, Number.POSITIVE_INFINITY];
    for (const n of values) expect(formatInt(n), String(n)).toBe(intl.format(n));
  });
});

describe('usage tables on a narrow terminal', () => {
  const tokens = (input: number, output: number, cost: number) => ({ inputTokens: input, outputTokens: output, cacheCreationTokens: 0, cacheReadTokens: 0, totalTokens: input + output, totalCost: cost });
  const session = (sessionId: string, projectPath: string) => ({ sessionId, projectPath, lastActivity: '2026-05-10T11:16:00.000Z', modelsUsed: ['claude-sonnet-4-5'], modelBreakdowns: [], ...tokens(1200, 3400, 1.5) });

  it('session: the labels are cut to fit the width (was: compact columns, still wider than the terminal)', () => {
    const sessions = [session('5662de58-b7fb-4500-bf91-a60590136031', '-home-dev-src-a-project-with-a-long-name'), session('b5f72bb6-6f0a-4bb1-b936-5a704d08566f', 'app')];
    const text = sessionTable(sessions, undefined, tokens(2400, 6800, 3), { compact: false, breakdown: false, columns: 80 });
    const lines = text.split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    // 80 = label + 2 + "2026-05-10 11:16" (16) + 2 + Input (5) + 2 + Output (6) + 2 + "Cost (USD)" (10): 35 left for the label.
    expect(lines[2]).toBe(`${'5662de58-b7fb-4500-bf91-a60590136031 (-home-dev-src-a-project-with-a-long-name)'.slice(0, 34)}…  2026-05-10 11:16  1,200   3,400       $1.50`);
    expect(lines[3]).toBe('b5f72bb6-6f0a-4bb1-b936-5a704d0856…  2026-05-10 11:16  1,200   3,400       $1.50');
    expect(lines[4]).toBe(`Total${' '.repeat(30)}                    2,400   6,800       $3.00`);
    // Not a terminal: nothing is cut.
    expect(sessionTable(sessions, undefined, tokens(2400, 6800, 3), { compact: true, breakdown: false, columns: undefined })).toContain('(-home-dev-src-a-project-with-a-long-name)');
  });
});
