/**
 * The read commands (report, sessions, trace, tail, stats) run as built, over hand-built sources
 * whose figures are computed by hand in fixtures.ts and here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './build-cli.js';
import { createObserver } from '../../src/index.js';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { sqliteStorage } from '../../src/storage/sqlite.js';
import { assistant, writeLines } from '../runners/claude-code-fixtures.js';
import { S1, S2, T0, T1, hookEnv, run, storeEvents, writeStore, writeTranscripts } from './fixtures.js';

let cli: string;
let root: string;
let store: string;
let claude: string;

beforeAll(async () => {
  cli = buildCli();
  root = mkdtempSync(join(tmpdir(), 'fleetscope-read-'));
  store = join(root, 'store');
  claude = join(root, 'claude');
  await writeStore(store);
  writeTranscripts(claude);
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const json = (stdout: string) => JSON.parse(stdout) as Record<string, any>;

describe('fleetscope sessions', () => {
  it('lists each session newest first with figures from the store', () => {
    const r = run(cli, ['sessions', '--store', store, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [b, a] = json(r.stdout).sessions;
    expect(b).toMatchObject({
      sessionId: S2, start: T1, durationMs: 10_000, agents: 1, subagents: 0, toolCalls: 1, failedTools: 0, blockedTools: 0,
      llmCalls: 1, tokens: { input: 1000, output: 500, cacheRead: 0, cacheWrite: 0 }, costUsd: 0.5, project: '/home/dev/other',
    });
    // S1: Bash success, Bash blocked, Read error, Grep success (subagent).
    expect(a).toMatchObject({ sessionId: S1, start: T0, durationMs: 20_000, agents: 2, subagents: 1, toolCalls: 4, failedTools: 1, blockedTools: 1, llmCalls: 0, costUsd: 0, project: '/home/dev/app' });
  });

  it('merges the store and the transcripts without counting toolu_1 twice', () => {
    const r = run(cli, ['sessions', '--store', store, '--claude', claude, '--session', S1, '--json']);
    expect(r.code).toBe(0);
    const [a] = json(r.stdout).sessions;
    // 4 tool calls (toolu_1 is in both), 2 LLM calls from the transcript; sonnet-4-5 at $3 / $15 / $0.30
    // per million: msg_A 100×3 + 50×15 + 1000×0.3 = 1350 µ$, msg_B 10×3 + 20×15 = 330 µ$.
    expect(a).toMatchObject({ sessionId: S1, toolCalls: 4, llmCalls: 2, tokens: { input: 110, output: 70, cacheRead: 1000, cacheWrite: 0 } });
    expect(a.costUsd).toBeCloseTo(0.00168, 8);
    const stats = json(run(cli, ['stats', '--store', store, '--claude', claude, '--json']).stdout);
    const fromClaude = stats.sources.find((s: { kind: string }) => s.kind === 'claude');
    // Left out as seen in the store: session.start, session.end, tool.start and tool.end of toolu_1.
    expect(fromClaude.duplicates).toBe(4);
    // New: the 2 LLM calls and the user's prompt (the store holds no prompt message).
    expect(fromClaude.events).toBe(3);
  });

  it('reads a SQLite store as it reads the file log; --agent and --until select events', async () => {
    const db = join(root, 'events.db');
    const observer = createObserver({ storage: sqliteStorage({ path: db }), analyzers: [] });
    for (const e of storeEvents()) observer.emit(e);
    await observer.close();
    const sessions = (...args: string[]) => json(run(cli, ['sessions', ...args, '--json']).stdout).sessions;
    expect(sessions('--sqlite', db)).toEqual(sessions('--store', store));
    // agent-sub1 only: its start (8 s), Grep toolu_4 (success) and its end (12 s): one subagent, 4 s.
    expect(sessions('--sqlite', db, '--agent', 'agent-sub1')).toEqual([
      expect.objectContaining({ sessionId: S1, start: T0 + 8000, durationMs: 4000, agents: 1, subagents: 1, toolCalls: 1, failedTools: 0, blockedTools: 0, events: 4 }),
    ]);
    // Before 7 s (exclusive): S1's start, main's start, Bash toolu_1 (success) and toolu_2 (blocked); none of S2.
    const until = new Date(T0 + 7000).toISOString();
    expect(sessions('--sqlite', db, '--until', until)).toEqual([
      expect.objectContaining({ sessionId: S1, start: T0, durationMs: 6000, toolCalls: 2, failedTools: 0, blockedTools: 1, events: 6 }),
    ]);
    expect(json(run(cli, ['stats', '--sqlite', db, '--until', until, '--json']).stdout)).toMatchObject({ events: 6, sessions: 1, byType: { 'session.start': 1, 'agent.start': 1, 'tool.start': 2, 'tool.end': 2 } });
  });

  it("lists no session made only of analyzers' derived events (an exporter's file of a live run, like the demo's)", () => {
    // What a jsonlExporter wrote: the run's events, then insights the analyzers derived with the observer's default
    // session id ("host") and the agents they are about, and a budget alert in S2 an hour after S2's last event.
    const file = join(root, 'with-derived.jsonl');
    const derived = (sessionId: string, agentId: string, timestamp: number, i: number, type = 'insight') =>
      JSON.stringify({ id: `d${i}`, type, timestamp, severity: 'info', source: `analyzer:${type === 'insight' ? 'insights' : 'cost'}`, sessionId, agentId, payload: type === 'insight' ? { rule: 'r', title: 't', category: 'cost', priority: 'low', confidence: 0.5, recommendation: 'x' } : { rule: 'budget', message: 'm' } });
    const own = run(cli, ['tail', '--store', store, '-n', '0', '--json']).stdout.trimEnd().split('\n');
    writeFileSync(file, [...own, derived('host', 'main', T1 + 20_000, 1), derived('host', 'agent-sub1', T1 + 20_000, 2), derived(S2, 'main', T1 + 3_600_000, 3, 'alert')].join('\n') + '\n');
    const r = run(cli, ['sessions', '--jsonl', file, '--json']);
    expect(r.code).toBe(0);
    // Was: a third row "host" (2 agents, 0 tool calls) and S2 lasting 1 h.
    expect(json(r.stdout).sessions.map((x: { sessionId: string; durationMs: number }) => [x.sessionId, x.durationMs])).toEqual([
      [S2, 10_000],
      [S1, 20_000],
    ]);
  });

  it('fits the table to the width and has a compact form', () => {
    const wide = run(cli, ['sessions', '--store', store], { env: { COLUMNS: '200' } });
    expect(wide.stdout.split('\n')[0]).toMatch(/Session\s+Start \(UTC\)\s+Duration\s+Agents\s+Tools\s+Failed\s+Blocked\s+LLM\s+Tokens\s+Cost\s+Project/);
    expect(wide.stdout).toContain('2025-06-01 12:00:00');
    expect(wide.stdout).toContain('20.00 s');
    const narrow = run(cli, ['sessions', '--store', store], { env: { COLUMNS: '70' } });
    for (const line of narrow.stdout.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(70);
    expect(narrow.stdout).toContain('Cost');
    const compact = run(cli, ['sessions', '--store', store, '--compact']);
    expect(compact.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(['Session', 'Start (UTC)', 'Duration', 'Tools', 'Tokens', 'Cost']);
  });
});

describe('fleetscope trace', () => {
  it('prints the span tree of a session found by prefix', () => {
    const r = run(cli, ['trace', 'aaaa', '--store', store, '--json']);
    expect(r.code).toBe(0);
    const tree = json(r.stdout);
    expect(tree.sessionId).toBe(S1);
    const turn = tree.root.children[0];
    expect(turn).toMatchObject({ kind: 'agent', name: 'main', offsetMs: 1000, durationMs: 14_000, status: 'success', critical: true });
    expect(turn.children.map((c: any) => [c.name, c.offsetMs, c.durationMs, c.status])).toEqual([
      ['Bash', 2000, 3000, 'success'],
      ['Bash', 6000, 0, 'blocked'],
      ['Read', 7000, 500, 'error'],
      ['Explore (subagent agent-sub1)', 8000, 4000, 'success'],
    ]);
    expect(turn.children[3].children[0]).toMatchObject({ name: 'Grep', offsetMs: 9000, durationMs: 1000 });
    const text = run(cli, ['trace', S1, '--store', store]).stdout;
    expect(text).toMatch(/Bash.*\+6\.00 s.*0 ms blocked/);
    expect(text).toMatch(/main\s+◆/);
    // One of a thing is said in the singular (was: "1 agents, 1 tool calls, 1 LLM calls").
    const header = run(cli, ['trace', S2, '--store', store]).stdout.split('\n')[0];
    expect(header).toMatch(/^session aaab2222-\S+ \(\/home\/dev\/other\): 10\.00 s, 1 agent, 1 tool call \(0 failed, 0 blocked\), 1 LLM call, /);
  });

  it('names the sessions an ambiguous prefix matches, and says when none does', () => {
    const several = run(cli, ['trace', 'aaa', '--store', store]);
    expect(several.code).toBe(1);
    expect(several.stderr).toBe(`fleetscope: "aaa" matches 2 sessions: ${S1}, ${S2}; give more of the id\n`);
    const none = run(cli, ['trace', 'zzz', '--store', store]);
    expect(none.code).toBe(3);
    expect(none.stderr).toBe('fleetscope: no session matches "zzz"\n');
  });
});

describe('fleetscope report', () => {
  it('writes the markdown report and prints where and the headline', () => {
    const out = join(root, 'out', 'report.md');
    mkdirSync(join(root, 'out'), { recursive: true });
    const r = run(cli, ['report', '--store', store, '--md', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`fleetscope: wrote ${out}`);
    expect(r.stdout).toMatch(/Events\s+19\n/);
    expect(r.stdout).toMatch(/Tool calls\s+5\n/);
    expect(r.stdout).toMatch(/Sessions\s+2\n/);
    expect(r.stdout).toMatch(/LLM calls\s+1\n/);
    const md = readFileSync(out, 'utf8');
    expect(md).toMatch(/^# fleetscope report/);
    // Written whole through a temp file: nothing else is left beside it.
    expect(readdirSync(join(root, 'out'))).toEqual(['report.md']);
  });

  it('--html writes the self-contained page (temp file + rename)', () => {
    const out = join(root, 'html-out', 'report.html');
    mkdirSync(join(root, 'html-out'), { recursive: true });
    const r = run(cli, ['report', '--store', store, '--html', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`fleetscope: wrote ${out}`);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
    // Content is left out unless asked for: the Bash command of toolu_1 is not in the page.
    expect(html).not.toContain('npm test');
    expect(readdirSync(join(root, 'html-out'))).toEqual(['report.html']);
  });

  it('--json gives the snapshot the report renders', () => {
    const r = run(cli, ['report', '--store', store, '--json']);
    const snap = json(r.stdout);
    expect(snap.cost.calls).toBe(1);
    expect(snap.cost.totalUsd).toBe(0.5);
    expect(snap.sessions.sessions).toHaveLength(2);
    expect(snap.aggregation.cumulative.byType['tool.end']).toBe(5);
    // With --md, what --help says it prints (was: "the headline as JSON", while it prints { written, snapshots }).
    const md = join(root, 'json-and-md.md');
    const both = json(run(cli, ['report', '--store', store, '--md', md, '--json']).stdout);
    expect(Object.keys(both)).toEqual(['written', 'snapshots']);
    expect(both.written).toEqual([md]);
    expect(run(cli, ['report', '--help']).stdout).toContain('--json             the analyzers\' snapshot as JSON on stdout (with --md/--html: { written, snapshots })');
  });

  it('replays a store of several pages and segments whole and in order', async () => {
    // A session of 2,501 tool calls: 5,004 events, 3 pages of the CLI's 2,000, over segments of
    // 256 KiB (≈ 2 of them). The session's start puts each page boundary between a call's start and
    // its end (events 2,000 and 4,000 are ends), so pages read out of order leave ends unmatched.
    const dir = join(root, 'paged');
    const observer = createObserver({ storage: fileLogStorage({ dir, maxSegmentBytes: 256 * 1024, maintenanceIntervalMs: 0, fsync: 'never' }), analyzers: [] });
    observer.emit({ type: 'session.start', sessionId: 'paged', agentId: 'main', timestamp: T0, payload: {} });
    for (let k = 0; k < 2501; k++) {
      const payload = { toolName: 'Read', toolCallId: `call-${k}` };
      observer.emit({ type: 'tool.start', sessionId: 'paged', agentId: 'main', timestamp: T0 + k * 10, payload });
      observer.emit({ type: 'tool.end', sessionId: 'paged', agentId: 'main', timestamp: T0 + k * 10 + 1, payload: { ...payload, status: 'success', durationMs: 1 } });
    }
    observer.emit({ type: 'session.end', sessionId: 'paged', agentId: 'main', timestamp: T0 + 25_001, payload: {} });
    await observer.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl')).length).toBeGreaterThan(1);
    const snap = json(run(cli, ['report', '--store', dir, '--json']).stdout);
    expect(snap.aggregation.cumulative.byType).toEqual({ 'session.start': 1, 'tool.start': 2501, 'tool.end': 2501, 'session.end': 1 });
    // Pages out of order or lost would leave ends without their start (or starts open).
    expect(snap.aggregation.dataQuality).toMatchObject({ unmatchedEnds: 0, unfinished: { sessions: 0, agents: 0, tools: 0 } });
    expect(snap.sessions.sessions).toEqual([expect.objectContaining({ sessionId: 'paged', toolCalls: 2501, durationMs: 25_001 })]);
  });

  it("lists the hook's guardrail blocks under Alerts and guardrail blocks", () => {
    // A store written by the hook itself: one PreToolUse of `rm -rf /`, blocked (exit 2), and one of `printenv`, let through.
    const hooked = join(root, 'hooked');
    const hook = (command: string, id: string) =>
      spawnSync(process.execPath, [cli, 'hook', '--store', hooked], {
        input: JSON.stringify({ session_id: S1, cwd: '/home/dev/app', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command }, tool_use_id: id }),
        encoding: 'utf8',
        env: hookEnv(),
      }).status;
    expect(hook('rm -rf /', 'toolu_b')).toBe(2);
    expect(hook('ls', 'toolu_c')).toBe(0);
    const out = join(root, 'hooked.md');
    expect(run(cli, ['report', '--store', hooked, '--md', out]).code).toBe(0);
    const md = readFileSync(out, 'utf8');
    const section = md.slice(md.indexOf('## Alerts and guardrail blocks'));
    expect(section).toContain('No alert rules ran. Guardrail decisions: 1 (1 block).');
    expect(section).toContain('| rm-rf-root-or-home | 1 | 0 | 0 | 0 |');
    expect(section).toMatch(/\| rm-rf-root-or-home \| Bash \| main \| yes \| Recursive forced delete of \/ or the home directory \(rule rm-rf-root-or-home\) \|/);
  });

  it('filters by session, time and type', () => {
    const r = run(cli, ['report', '--store', store, '--json', '--since', new Date(T1).toISOString(), '--type', 'tool.*']);
    const snap = json(r.stdout);
    expect(snap.aggregation.cumulative.byType).toEqual({ 'tool.start': 1, 'tool.end': 1 });
  });
});

describe('fleetscope tail', () => {
  it('prints the last events, one line each', () => {
    const r = run(cli, ['tail', '--store', store, '-n', '2']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`14:00:04.000 aaab2222 main             llm.call           claude-opus-4-1 success 1500 tokens $0.5000 in 900 ms`);
    expect(lines[1]).toBe(`14:00:10.000 aaab2222 main             session.end        ended (exit) after 10.00 s`);
  });

  it('--filter and --json', () => {
    const r = run(cli, ['tail', '--store', store, '-n', '0', '--json', '--filter', 'type=tool.end status!=success']);
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.payload.toolCallId)).toEqual(['toolu_2', 'toolu_3']);
    const bad = run(cli, ['tail', '--store', store, '--filter', 'colour=red']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^fleetscope: --filter: "colour=red"/);
    // A bad --poll-ms is an error, and --help names it (was: silently 500 ms, and undocumented there).
    for (const value of ['abc', '5', '1.5']) {
      // A timeout: accepted, the value would follow the store for ever.
      const poll = spawnSync(process.execPath, [cli, 'tail', '--store', store, '--follow', '--poll-ms', value], { encoding: 'utf8', timeout: 15_000 });
      expect(poll.status).toBe(1);
      expect(poll.stderr).toBe(`fleetscope: --poll-ms "${value}" is not a whole number >= 20\n`);
    }
    expect(run(cli, ['tail', '--help']).stdout).toContain('--poll-ms N        --follow: how often the store is polled');
  });

  it('colours by severity on FORCE_COLOR, never with NO_COLOR', () => {
    expect(run(cli, ['tail', '--store', store, '-n', '0'], { env: { FORCE_COLOR: '1' } }).stdout).toContain('\x1b[31mtool.end');
    expect(run(cli, ['tail', '--store', store, '-n', '0'], { env: { NO_COLOR: '1' } }).stdout).not.toContain('\x1b[');
  });

  it('--follow prints what is appended, across segment rotation', async () => {
    const dir = join(root, 'follow');
    await writeStore(dir, storeEvents().slice(0, 2));
    const child = spawn(process.execPath, [cli, 'tail', '--store', dir, '--follow', '--poll-ms', '50', '-n', '0', '--json'], { env: { ...process.env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const lines = () => out.split('\n').filter((l) => l !== '').length;
    const until = async (n: number) => {
      for (let i = 0; i < 400 && lines() < n; i++) await new Promise((r) => setTimeout(r, 50));
    };
    await until(2);
    // Small segments: the 17 events appended rotate the log several times.
    await writeStore(dir, storeEvents().slice(2), 1024);
    await until(19);
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await code).toBe(0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl')).length).toBeGreaterThan(2);
    const ids = out.trimEnd().split('\n').map((l) => JSON.parse(l).timestamp as number);
    expect(ids).toHaveLength(19);
    expect(ids).toEqual(storeEvents().map((e) => e.timestamp));
    // Reading never applies retention: these 2025 segments are far older than the default 30 days.
    const files = readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort();
    expect(json(run(cli, ['stats', '--store', dir, '--json']).stdout).events).toBe(19);
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()).toEqual(files);
  });
});

describe('fleetscope stats', () => {
  it('gives events by type, sessions and the time range', () => {
    const facts = json(run(cli, ['stats', '--store', store, '--json']).stdout);
    expect(facts).toMatchObject({
      events: 19,
      sessions: 2,
      firstEvent: T0,
      lastEvent: T1 + 10_000,
      byType: { 'tool.start': 5, 'tool.end': 5, 'agent.start': 2, 'agent.end': 2, 'session.start': 2, 'session.end': 2, 'llm.call': 1 },
    });
    expect(facts.sources[0]).toMatchObject({ kind: 'store', events: 19, segments: 1, skippedLines: 0 });
    expect(facts.sources[0].bytesOnDisk).toBeGreaterThan(0);
  });

  it('over one store without filters, answers from the segment index with the figures of a replay', () => {
    const indexed = json(run(cli, ['stats', '--store', store, '--json']).stdout);
    // A filter that keeps every event makes stats replay the events through the analyzers.
    const replayed = json(run(cli, ['stats', '--store', store, '--since', '2000-01-01', '--json']).stdout);
    expect(indexed).toEqual(replayed);
  });
});

describe('every command', () => {
  it('--version, unknown flags, missing paths', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    expect(run(cli, ['--version']).stdout).toBe(`fleetscope ${pkg.version}\n`);
    expect(run(cli, ['sessions', '--version']).stdout).toBe(`fleetscope ${pkg.version}\n`);
    for (const command of ['report', 'sessions', 'tail', 'stats']) {
      const unknown = run(cli, [command, '--store', store, '--colour']);
      expect(unknown.code, command).toBe(1);
      expect(unknown.stderr).toBe(`fleetscope: Unknown option '--colour' (see --help)\n`);
      const missing = run(cli, [command, '--store', join(root, 'nope')]);
      expect(missing.code, command).toBe(1);
      expect(missing.stderr).toBe(`fleetscope: ${join(root, 'nope')}: no such file or directory\n`);
      const help = run(cli, [command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: fleetscope ${command}`));
    }
    const noStore = run(cli, ['sessions'], { cwd: root, env: { FLEETSCOPE_STORE: undefined } });
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toMatch(/^fleetscope: no store at .*\.fleetscope: install the hook/);
  });

  it("a missing optional peer's error carries one prefix (was: fleetscope: cannot read x.db: [fleetscope] [sqlite] ...)", () => {
    // A host project without better-sqlite3: its resolution fails.
    const blocker = join(root, 'no-better-sqlite3.mjs');
    const hook = `export async function resolve(s, c, next) { if (s === 'better-sqlite3') { const e = new Error('Cannot find package better-sqlite3'); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; } return next(s, c); }`;
    writeFileSync(blocker, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n`);
    const db = join(root, 'no-driver.db');
    writeFileSync(db, '');
    const r = spawnSync(process.execPath, ['--import', blocker, cli, 'sessions', '--sqlite', db], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`fleetscope: cannot read ${db}: better-sqlite3 could not be loaded; install it with \`npm install better-sqlite3\` (an optional peer dependency)\n`);
  });

  it('reads the default store of the project (./.fleetscope)', async () => {
    const project = join(root, 'project');
    await writeStore(join(project, '.fleetscope'));
    const r = run(cli, ['stats', '--json'], { cwd: project, env: { FLEETSCOPE_STORE: undefined } });
    expect(r.code).toBe(0);
    expect(json(r.stdout).events).toBe(19);
  });

  it('ends quietly when stdout closes early (| head)', async () => {
    const big = join(root, 'big.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) lines.push(JSON.stringify({ type: 'log', sessionId: 's', timestamp: T0 + i, payload: { message: `line ${i}` } }));
    writeFileSync(big, `${lines.join('\n')}\n`);
    const child = spawn(process.execPath, [cli, 'tail', '--jsonl', big, '-n', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('bad input', () => {
  it('an empty store: a message and exit 3', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    for (const command of ['report', 'sessions', 'stats', 'tail']) {
      const r = run(cli, [command, '--store', empty]);
      expect(r.code, command).toBe(3);
      expect(r.stderr).toBe(`fleetscope: no events in ${empty} (empty store?)\n`);
      expect(r.stdout).toBe('');
    }
  });

  it('a store of another version', () => {
    const other = join(root, 'v2');
    mkdirSync(other);
    writeFileSync(join(other, '00000001.jsonl'), `${JSON.stringify({ fleetscopeSegment: 2, seq: 1, created: T0 })}\n`);
    const r = run(cli, ['report', '--store', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`fleetscope: ${other}: store format 2, this fleetscope reads format 1; use the fleetscope version that wrote it\n`);
  });

  it('a torn last line and corrupted lines in the middle are skipped and counted', () => {
    const dir = join(root, 'torn');
    mkdirSync(dir);
    const lines = storeEvents().map((e, i) => JSON.stringify({ id: `e${i + 1}`, severity: 'info', ...e }));
    const text = [JSON.stringify({ fleetscopeSegment: 1, seq: 1, created: T0 }), ...lines.slice(0, 5), '{"id":"x","type":"tool.e\u0000garbage', 'not json at all', ...lines.slice(5)].join('\n');
    writeFileSync(join(dir, '00000001.jsonl'), `${text}\n{"id":"torn","type":"tool.end","payl`);
    const r = run(cli, ['stats', '--store', dir, '--json']);
    expect(r.code).toBe(0);
    const facts = json(r.stdout);
    expect(facts.events).toBe(19);
    expect(facts.sources[0].skippedLines).toBe(3);
    const report = run(cli, ['report', '--store', dir, '--json']);
    expect(report.code).toBe(0);
    expect(report.stderr).toContain(`fleetscope: ${dir}: 3 lines skipped (torn, corrupted or not events)`);
  });

  it('a file that is not a transcript, a JSONL file that holds no events', () => {
    const notTranscript = join(root, 'not-cc', 'projects', 'p');
    mkdirSync(notTranscript, { recursive: true });
    writeFileSync(join(notTranscript, 'x.jsonl'), '{"hello":"world"}\n{"hello":"again"}\n');
    const r = run(cli, ['report', '--claude', join(root, 'not-cc')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`fleetscope: ${join(root, 'not-cc')}: not a Claude Code transcript (2 lines, 2 not transcript entries)\n`);
    const notEvents = join(root, 'not-events.jsonl');
    writeFileSync(notEvents, 'hello\n[1,2]\n');
    const j = run(cli, ['stats', '--jsonl', notEvents]);
    expect(j.code).toBe(1);
    expect(j.stderr).toBe(`fleetscope: ${notEvents}: not a file of fleetscope events (2 lines: 1 not JSON, 1 not events)\n`);
  });

  it('an empty --jsonl file is an empty source (exit 3, as docs/cli.md says), not a file of non-events (exit 1)', () => {
    const cases = {
      'empty.jsonl': '',
      'blank.jsonl': '\n  \n\n',
      'header-only.jsonl': `${JSON.stringify({ fleetscopeSegment: 1, seq: 1, created: T0 })}\n`,
    };
    for (const [name, text] of Object.entries(cases)) {
      const file = join(root, name);
      writeFileSync(file, text);
      for (const command of ['report', 'sessions', 'stats', 'tail']) {
        const r = run(cli, [command, '--jsonl', file, '--json']);
        expect(r.code, `${command} ${name}`).toBe(3);
        expect(r.stderr).toBe(`fleetscope: no events in ${file} (empty store?)\n`);
        expect(r.stdout).toBe('');
      }
    }
    // The same file with one line that is not an event: exit 1.
    const oneBad = join(root, 'one-bad.jsonl');
    writeFileSync(oneBad, '{"hello":"world"}\n');
    const r = run(cli, ['report', '--jsonl', oneBad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`fleetscope: ${oneBad}: not a file of fleetscope events (1 lines: 0 not JSON, 1 not events)\n`);
  });

  it('a path that is not what the flag wants, and a directory without permission', () => {
    const file = join(root, 'not-events.jsonl');
    expect(run(cli, ['stats', '--store', file]).stderr).toBe(`fleetscope: ${file}: not a directory (--store takes a store directory)\n`);
    const locked = join(root, 'locked');
    mkdirSync(locked, { mode: 0o000 });
    mkdirSync(join(root, 'locked-claude'), { mode: 0o000 });
    // Root reads everything: as root, the CLI runs as `nobody`, with the CLI and the test folder opened to it.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    if (process.getuid?.() === 0) for (const dir of [root, dirname(cli)]) chmodSync(dir, 0o755);
    for (const [flag, path] of [['--store', locked], ['--claude', join(root, 'locked-claude')]] as const) {
      for (const command of ['report', 'sessions', 'stats']) {
        const r = spawnSync(process.execPath, [cli, command, flag, path], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, ...asUser });
        expect(r.stderr, `${command} ${flag}`).toBe(`fleetscope: ${path}: permission denied\n`);
        expect(r.status).toBe(1);
        expect(r.stdout).toBe('');
      }
    }
  });

  it('--claude takes a directory named without a slash when it exists', () => {
    const r = run(cli, ['sessions', '--claude', 'claude', '--json'], { cwd: root });
    expect(r.code).toBe(0);
    expect(json(r.stdout).sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual([S1]);
  });

  it('a 2 GB single transcript is read through in steps: its 2 GiB line skipped and counted, the entries around it kept', () => {
    // Sparse: the 2 GiB of NUL bytes between two newlines take no disk.
    const dir = join(root, 'huge-cc');
    const file = join(dir, 'projects', 'p', `${S2}.jsonl`);
    const c = { sessionId: S2, cwd: '/home/dev/other' };
    writeLines(file, [assistant(c, new Date(T1).toISOString(), { model: 'claude-sonnet-4-5-20250929', messageId: 'msg_1', requestId: 'req_1', usage: { input_tokens: 1000, output_tokens: 200 } })]);
    truncateSync(file, statSync(file).size + 2 ** 31);
    appendFileSync(file, '\n');
    writeLines(file, [assistant(c, new Date(T1 + 1000).toISOString(), { model: 'claude-sonnet-4-5-20250929', messageId: 'msg_2', requestId: 'req_2', usage: { input_tokens: 10, output_tokens: 20 } })], true);
    expect(statSync(file).size).toBeGreaterThan(2 ** 31);
    const r = run(cli, ['report', '--claude', dir, '--json']);
    expect(r.stderr).toBe(`fleetscope: ${dir}: 1 line skipped (torn, corrupted or not events)\n`);
    expect(r.code).toBe(0);
    // claude-sonnet-4-5 at $3 / $15 per million: msg_1 1000×3 + 200×15 = 6000 µ$, msg_2 10×3 + 20×15 = 330 µ$.
    const snap = json(r.stdout);
    expect(snap.cost.calls).toBe(2);
    expect(snap.cost.totalUsd).toBeCloseTo(0.00633, 9);
    // Nothing but the one line: not a transcript, and said so (it used to spin forever re-reading the line).
    const only = join(root, 'only-nul', 'projects', 'p');
    mkdirSync(only, { recursive: true });
    writeFileSync(join(only, 'x.jsonl'), '');
    truncateSync(join(only, 'x.jsonl'), 2 ** 31);
    const nul = run(cli, ['report', '--claude', join(root, 'only-nul')]);
    expect(nul.stderr).toBe(`fleetscope: ${join(root, 'only-nul')}: not a Claude Code transcript (0 lines, 1 over 16 MiB skipped)\n`);
    expect(nul.code).toBe(1);
  }, 120_000);

  it('an unwritable --md target fails with a message and leaves no partial file', () => {
    const target = join(root, 'no-such-dir', 'r.md');
    const r = run(cli, ['report', '--store', store, '--md', target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`fleetscope: cannot write ${target}: ENOENT: no such file or directory\n`);
    // FILE is a directory: the rename fails (was: "rename 'DIR.123.456.tmp' -> 'DIR'" in the message), no temporary file left.
    const folder = join(root, 'a-folder');
    mkdirSync(folder);
    const onDir = run(cli, ['report', '--store', store, '--html', folder]);
    expect(onDir.code).toBe(1);
    expect(onDir.stderr).toBe(`fleetscope: cannot write ${folder}: EISDIR: illegal operation on a directory\n`);
    expect(readdirSync(root).filter((n) => n.startsWith('a-folder.'))).toEqual([]);
    expect(existsSync(join(root, 'no-such-dir'))).toBe(false);
  });
});
