/**
 * Claude Code runners benchmark (issue 4):
 *  1. `fleetscope usage daily` (--json and table) vs the Rust ccusage 20 (`claude daily --offline
 *     --json`) and the JS ccusage 18 over the same generated transcripts (default 1 GiB;
 *     `FLEETSCOPE_BENCH_USAGE_MB=200` for a quick run), side by side in one run, best of
 *     `FLEETSCOPE_BENCH_USAGE_RUNS` (3): CPU time (user + system) and peak RSS from GNU time -v.
 *     Target: at most half the Rust binary's CPU time and peak memory. Figures compared too.
 *  2. One `fleetscope hook` (PreToolUse, default guardrails, file-log store) vs bare `node -e 0`,
 *     50 runs each, interleaved: p50 / p95 wall. Target: hook p95 <= 1.5x node p95.
 * Both tools run the built code (tsup, as published).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli } from '../test/cli/build-cli.js';
import { generateTranscripts } from './claude-code-transcripts-gen.js';

const TARGET_MB = Number(process.env.FLEETSCOPE_BENCH_USAGE_MB ?? 1024);
const HOOK_RUNS = Number(process.env.FLEETSCOPE_BENCH_HOOK_RUNS ?? 50);
const root = join(process.cwd());
const CCUSAGE = join(root, 'node_modules', 'ccusage', 'dist', 'index.js');
const RUST = join(root, 'node_modules', '@ccusage', 'ccusage-linux-x64', 'bin', 'ccusage');
const RUNS = Number(process.env.FLEETSCOPE_BENCH_USAGE_RUNS ?? 3);

// ── Measuring ─────────────────────────────────────────────────────────────────────────

interface Run {
  wallMs: number;
  maxRssMb: number;
  /** User + system CPU seconds (GNU time), NaN without it. */
  cpuS: number;
  stdout: string;
}

function measure(args: string[], env: Record<string, string>, bin: string = process.execPath): Run {
  const useTime = existsSync('/usr/bin/time');
  const started = process.hrtime.bigint();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-v', bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(process.execPath, ['-e', `const {spawnSync}=require('child_process');const r=spawnSync(process.execPath,${JSON.stringify(args)},{stdio:['ignore','inherit','inherit']});process.stderr.write('Maximum resident set size (kbytes): '+process.resourceUsage().maxRSS+'\\n');process.exit(r.status)`], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  return { wallMs, maxRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN, cpuS: user && sys ? Number(user[1]) + Number(sys[1]) : Number.NaN, stdout: r.stdout };
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const cli = buildCli();
const work = mkdtempSync(join(tmpdir(), 'fleetscope-bench-cc-'));
try {
  console.log(`### fleetscope usage vs ccusage ${TARGET_MB} MB`);
  const genStart = Date.now();
  const gen = generateTranscripts(work, TARGET_MB * 2 ** 20);
  console.log(`generated ${(gen.bytes / 2 ** 20).toFixed(0)} MiB, ${gen.files} files, ${gen.lines} lines in ${((Date.now() - genStart) / 1000).toFixed(1)} s`);
  const env = { CLAUDE_CONFIG_DIR: work, TZ: 'UTC', NO_COLOR: '1' };
  // The Rust ccusage 20 (native, multi-threaded: its CPU time is the sum over threads).
  const rust = join(work, 'ccusage-rust');
  const haveRust = existsSync(RUST);
  if (haveRust) {
    copyFileSync(RUST, rust);
    chmodSync(rust, 0o755);
  } else console.log(`(Rust ccusage missing at ${RUST}: npm install -D @ccusage/ccusage-linux-x64)`);
  // Warm the page cache for all equally.
  measure([cli, 'usage', 'daily', '--json'], env);
  const runs: Array<[string, Run]> = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(['fleetscope usage daily --json (data + ccusage block)', measure([cli, 'usage', 'daily', '--json'], env)]);
    runs.push(['fleetscope usage daily (table)', measure([cli, 'usage', 'daily'], env)]);
    if (haveRust) runs.push(['ccusage 20 (Rust) claude daily --json', measure(['claude', 'daily', '--offline', '--json'], env, rust)]);
    if (i === 0) runs.push(['ccusage 18 (JS) daily --json', measure([CCUSAGE, 'daily', '--offline', '--json'], env)]);
  }
  const best = new Map<string, Run>();
  for (const [name, run] of runs) {
    const prior = best.get(name);
    if (prior === undefined || run.cpuS < prior.cpuS) best.set(name, run);
  }
  for (const [name, run] of best) console.log(`${name.padEnd(52)} cpu ${run.cpuS.toFixed(2)} s, wall ${(run.wallMs / 1000).toFixed(2)} s, peak RSS ${run.maxRssMb.toFixed(0)} MB`);
  const ours = best.get('fleetscope usage daily --json (data + ccusage block)')!;
  const table = best.get('fleetscope usage daily (table)')!;
  const js18 = best.get('ccusage 18 (JS) daily --json')!;
  const a = JSON.parse(ours.stdout) as { totals: { totalTokens: number; totalCost: number }; ccusage: { totals: { totalTokens: number; totalCost: number } } };
  const b = JSON.parse(js18.stdout) as { totals: { totalTokens: number; totalCost: number } };
  const same = (x: { totalTokens: number; totalCost: number }, y: { totalTokens: number; totalCost: number }) =>
    x.totalTokens === y.totalTokens && Math.round(x.totalCost * 100) === Math.round(y.totalCost * 100);
  console.log(`ccusage block equals ccusage 18: ${same(a.ccusage.totals, b.totals)}; ccusage 18 / fleetscope cpu: ${(js18.cpuS / ours.cpuS).toFixed(1)}x`);
  if (haveRust) {
    const r = best.get('ccusage 20 (Rust) claude daily --json')!;
    const c = JSON.parse(r.stdout) as { totals: { totalTokens: number; totalCost: number } };
    console.log(`default figures equal Rust ccusage 20: ${same(a.totals, c.totals)} (${a.totals.totalTokens} tokens, $${a.totals.totalCost.toFixed(2)})`);
    console.log(
      `vs Rust (target <= 0.5): --json cpu ${(ours.cpuS / r.cpuS).toFixed(2)}x, peak RSS ${(ours.maxRssMb / r.maxRssMb).toFixed(2)}x; table cpu ${(table.cpuS / r.cpuS).toFixed(2)}x, peak RSS ${(table.maxRssMb / r.maxRssMb).toFixed(2)}x`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(`\n### fleetscope hook vs node -e 0 (${HOOK_RUNS} runs each, interleaved)`);
const hookDir = mkdtempSync(join(tmpdir(), 'fleetscope-bench-hook-'));
try {
  const input = JSON.stringify({
    session_id: '3f2a1b0c-1111-4222-8333-444455556666',
    transcript_path: '/home/dev/.claude/projects/-home-dev-app/3f2a1b0c-1111-4222-8333-444455556666.jsonl',
    cwd: hookDir,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'npm test', description: 'Run the tests' },
    tool_use_id: 'toolu_01ABCDEF',
  });
  const bare: number[] = [];
  const hook: number[] = [];
  const time = (args: string[], stdin: string): number => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { input: stdin, stdio: ['pipe', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  for (let i = 0; i < 3; i++) {
    time(['-e', '0'], '');
    time([cli, 'hook'], input);
  }
  for (let i = 0; i < HOOK_RUNS; i++) {
    bare.push(time(['-e', '0'], ''));
    hook.push(time([cli, 'hook'], input));
  }
  const p95b = pct(bare, 95);
  const p95h = pct(hook, 95);
  console.log(`node -e 0:       p50 ${pct(bare, 50).toFixed(1)} ms, p95 ${p95b.toFixed(1)} ms`);
  console.log(`fleetscope hook: p50 ${pct(hook, 50).toFixed(1)} ms, p95 ${p95h.toFixed(1)} ms`);
  console.log(`ratio p95 ${(p95h / p95b).toFixed(2)}x (target <= 1.5x)`);
} finally {
  rmSync(hookDir, { recursive: true, force: true });
}
