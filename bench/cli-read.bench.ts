/**
 * The read commands, as built, over generated data (issue 11's targets):
 *  1. `report --json` over generated Claude Code transcripts vs `usage --json` on the same files
 *     (same run, page cache warmed for both): target ≤ 1.5× the time, < 500 MB peak RSS. CLI_BENCH_RUNS rounds
 *     alternate usage, report (transcripts read in the worker thread) and report with FLEETSCOPE_READ_WORKER=off.
 *     CLI_BENCH_TRANSCRIPT_MB (default 1200); CLI_BENCH_TRANSCRIPTS=DIR keeps the transcripts there for later runs.
 *  2. A file-log store of CLI_BENCH_EVENTS events (default 1,000,000; 1,000 sessions of 1,000):
 *     `report --json` ≤ 5 s; `sessions` and `trace <id>` ≤ 0.5 s. References in the same run: `node -e 0`
 *     (start-up) and `node -e` reading every segment and JSON.parse-ing every line (the floor of a full read).
 *     Each figure is the median of CLI_BENCH_RUNS runs (default 3), wall and CPU (user + sys).
 *     CLI_BENCH_STORE=DIR keeps the store in DIR and reuses it on later runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createObserver } from '../src/index.js';
import { fileLogStorage } from '../src/storage/file-log.js';
import { buildCli } from '../test/cli/build-cli.js';
import { generateTranscripts } from './claude-code-transcripts-gen.js';

const TRANSCRIPT_MB = Number(process.env.CLI_BENCH_TRANSCRIPT_MB ?? 1200);
const EVENTS = Number(process.env.CLI_BENCH_EVENTS ?? 1_000_000);

interface Measured {
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
  stdout: string;
}

function measure(args: string[], env: Record<string, string> = {}): Measured {
  const useTime = existsSync('/usr/bin/time');
  const started = process.hrtime.bigint();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const cpu = (what: string) => Number(new RegExp(`${what} time \\(seconds\\): ([\\d.]+)`).exec(r.stderr)?.[1] ?? Number.NaN) * 1000;
  return { wallMs, cpuMs: cpu('User') + cpu('System'), maxRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN, stdout: r.stdout };
}

const RUNS = Number(process.env.CLI_BENCH_RUNS ?? 3);

/** The run of median wall time among RUNS runs. */
function median(args: string[], env: Record<string, string> = {}): Measured {
  const runs = Array.from({ length: RUNS }, () => measure(args, env)).sort((a, b) => a.wallMs - b.wallMs);
  return runs[Math.floor(runs.length / 2)]!;
}

/** Reads every segment of a store and JSON.parses every line: what any full read costs at least. */
const READ_ALL = `const fs = require('node:fs'); const dir = process.argv[1]; let n = 0;
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
  const text = fs.readFileSync(dir + '/' + f, 'latin1');
  for (let s = 0, e = text.indexOf('\\n'); e !== -1; s = e + 1, e = text.indexOf('\\n', s)) if (JSON.parse(text.slice(s, e)).id) n++;
}
console.log(n);`;

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const cli = buildCli();
const env = { NO_COLOR: '1', TZ: 'UTC' };

/** The median of `values`. */
const mid = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const load = (): string => loadavg()[0]!.toFixed(1);

if (TRANSCRIPT_MB > 0) {
  // CLI_BENCH_TRANSCRIPTS=DIR keeps the generated transcripts in DIR and reuses them on later runs.
  const keptTranscripts = process.env.CLI_BENCH_TRANSCRIPTS;
  const work = keptTranscripts ?? mkdtempSync(join(tmpdir(), 'fleetscope-bench-cli-cc-'));
  try {
    if (keptTranscripts === undefined || !existsSync(join(work, 'projects'))) {
      const gen = generateTranscripts(work, TRANSCRIPT_MB * 2 ** 20);
      console.log(`### report --json vs usage --json, ${(gen.bytes / 2 ** 20).toFixed(0)} MiB of transcripts (${gen.files} files, ${gen.lines} lines)`);
    } else console.log(`### report --json vs usage --json, the transcripts in ${work}`);
    const ccEnv = { ...env, CLAUDE_CONFIG_DIR: work };
    measure([cli, 'usage', '--json'], ccEnv); // warm the page cache
    // Rounds alternate usage, report (transcripts read in the worker thread: 8 MiB or more) and report
    // with FLEETSCOPE_READ_WORKER=off (read on the main thread, as before the worker), so load changes hit all three.
    const runs: Record<'usage' | 'worker' | 'main', Measured[]> = { usage: [], worker: [], main: [] };
    const loads = [load()];
    for (let i = 0; i < RUNS; i++) {
      runs.usage.push(measure([cli, 'usage', '--json'], ccEnv));
      runs.worker.push(measure([cli, 'report', '--claude', work, '--json'], ccEnv));
      runs.main.push(measure([cli, 'report', '--claude', work, '--json'], { ...ccEnv, FLEETSCOPE_READ_WORKER: 'off' }));
      loads.push(load());
    }
    const u = JSON.parse(runs.usage[0]!.stdout) as { totals: { totalTokens: number; totalCost: number } };
    const r = JSON.parse(runs.worker[0]!.stdout) as { cost: { totalUsd: number; calls: number } };
    const same = [...runs.worker, ...runs.main].every((m) => m.stdout === runs.worker[0]!.stdout);
    const wall = (k: keyof typeof runs) => mid(runs[k].map((m) => m.wallMs));
    const cpu = (k: keyof typeof runs) => mid(runs[k].map((m) => m.cpuMs));
    const rss = (k: keyof typeof runs) => Math.max(...runs[k].map((m) => m.maxRssMb));
    console.log(`${RUNS} rounds, medians; load average ${loads.join(' → ')}`);
    console.log(`usage --json:                  ${s(wall('usage'))} (CPU ${s(cpu('usage'))}), peak RSS ${rss('usage').toFixed(0)} MB`);
    for (const k of ['worker', 'main'] as const) {
      const what = k === 'worker' ? 'report --json (worker thread):' : 'report --json (main thread):  ';
      console.log(
        `${what} ${s(wall(k))} (CPU ${s(cpu(k))}), peak RSS ${rss(k).toFixed(0)} MB; ` +
          `ratio ${(wall(k) / wall('usage')).toFixed(2)}x wall, ${(cpu(k) / cpu('usage')).toFixed(2)}x CPU (target <= 1.5x wall), RSS target < 500 MB`,
      );
    }
    console.log(`reports byte for byte the same in every run: ${same}; cost $${r.cost.totalUsd.toFixed(2)} vs usage $${u.totals.totalCost.toFixed(2)} (equal: the same rules)`);
  } finally {
    if (keptTranscripts === undefined) rmSync(work, { recursive: true, force: true });
  }
}

/** Writes the store: sessions one after another, each a turn of tool calls and LLM calls (a hook store's shape). */
async function writeStore(dir: string): Promise<number> {
  const t0 = Date.UTC(2025, 5, 1);
  const sessions = Math.max(1, Math.round(EVENTS / 1000));
  const observer = createObserver({ storage: fileLogStorage({ dir, maintenanceIntervalMs: 0, maxAgeMs: Infinity, fsync: 'never' }), analyzers: [] });
  const started = Date.now();
  let n = 0;
  // Sessions one after another, each a turn of tool calls and LLM calls (a hook store's shape).
  for (let si = 0; si < sessions && n < EVENTS; si++) {
    const sessionId = `sess-${String(si).padStart(6, '0')}`;
    let t = t0 + si * 600_000;
    for (let k = 0; k < 250 && n < EVENTS; k++) {
      const tool = ['Bash', 'Read', 'Edit', 'Grep'][k % 4]!;
      observer.emit({ type: 'tool.start', sessionId, agentId: 'main', timestamp: t, payload: { toolName: tool, toolCallId: `t${si}-${k}` } });
      observer.emit({ type: 'tool.end', sessionId, agentId: 'main', timestamp: t + 50 + (k % 7) * 30, payload: { toolName: tool, toolCallId: `t${si}-${k}`, status: k % 23 === 0 ? 'error' : 'success', durationMs: 50 + (k % 7) * 30 } });
      observer.emit({ type: 'llm.call', sessionId, agentId: 'main', timestamp: t + 400, payload: { model: 'claude-sonnet-4-5', inputTokens: 100 + k, outputTokens: 50, cacheReadTokens: 2000, status: 'success', latencyMs: 300 } });
      observer.emit({ type: 'log', sessionId, agentId: 'main', timestamp: t + 500, payload: { message: `step ${k}` } });
      n += 4;
      t += 1000;
    }
    if (si % 20 === 19) await observer.flush();
  }
  await observer.close();
  console.log(`\n### file-log store of ${n.toLocaleString('en-US')} events, ${sessions} sessions (written in ${s(Date.now() - started)})`);
  return n;
}

if (EVENTS > 0) {
  // CLI_BENCH_STORE=DIR keeps the store there and reuses it on the next run (for profiling).
  const kept = process.env.CLI_BENCH_STORE;
  const dir = kept ?? mkdtempSync(join(tmpdir(), 'fleetscope-bench-cli-store-'));
  try {
    if (kept === undefined || !existsSync(join(dir, 'manifest.json'))) await writeStore(dir);
    measure([cli, 'sessions', '--store', dir]); // warm the page cache
    const floor = median(['-e', '0']);
    const readAll = median(['-e', READ_ALL, dir]);
    const sessionsRun = median([cli, 'sessions', '--store', dir]);
    const trace = median([cli, 'trace', 'sess-000500', '--store', dir]);
    const report = median([cli, 'report', '--store', dir, '--json'], env);
    const line = (what: string, m: Measured, ref: Measured, target: string) =>
      console.log(`${what}: ${s(m.wallMs)} wall (${(m.wallMs / ref.wallMs).toFixed(2)}x the reference), CPU ${s(m.cpuMs)}, peak RSS ${m.maxRssMb.toFixed(0)} MB (target ${target})`);
    console.log(`node -e 0 (start-up reference): ${s(floor.wallMs)} wall, CPU ${s(floor.cpuMs)}`);
    console.log(`read + JSON.parse every line (full-read reference): ${s(readAll.wallMs)} wall, CPU ${s(readAll.cpuMs)}`);
    line('sessions (newest 20)', sessionsRun, floor, '<= 0.5 s');
    line('trace <id>', trace, floor, '<= 0.5 s');
    line('report --json', report, readAll, '<= 5 s');
  } finally {
    if (kept === undefined) rmSync(dir, { recursive: true, force: true });
  }
}
