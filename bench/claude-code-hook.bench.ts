/**
 * The Claude Code hook path, as Claude Code runs it (a fresh process per call, the built CLI):
 * bare `node -e 0` (the floor, measured in the same run, interleaved), `hook` on an allowed
 * PreToolUse, on a blocked one, on a PostToolUse pairing with its start, and `statusline` with a
 * store to search, and a PostToolUseFailure in a session failing on every call (the alert rules'
 * replay); each through the bundled entry `hook.cjs` (what `fleetscope init` installs) and,
 * for comparison, through the CLI (`index.js hook`). p50 / p95 wall per kind.
 * Target: hook p95 <= 1.5x node p95; statusline the same budget.
 * `FLEETSCOPE_BENCH_HOOK_RUNS` (default 40) runs of each.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, hookEntryOf } from '../test/cli/build-cli.js';

const RUNS = Number(process.env.FLEETSCOPE_BENCH_HOOK_RUNS ?? 40);
const cli = buildCli();
const work = mkdtempSync(join(tmpdir(), 'fleetscope-bench-cchook-'));
const project = join(work, 'project');
mkdirSync(project);
const SESSION = '3f2a1b0c-1111-4222-8333-444455556666';
const env: NodeJS.ProcessEnv = { ...process.env, CLAUDE_PROJECT_DIR: project };
delete env.FLEETSCOPE_STORE;

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function time(args: string[], stdin: string, expect: number): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { input: stdin, stdio: ['pipe', 'ignore', 'pipe'], env });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== expect) throw new Error(`${args.join(' ')}: exit ${r.status}, ${r.stderr}`);
  return ms;
}

const base = { session_id: SESSION, transcript_path: `/home/dev/.claude/projects/-p/${SESSION}.jsonl`, cwd: project, permission_mode: 'default' };
let n = 0;
const statuslineInput = () =>
  JSON.stringify({
    session_id: SESSION,
    model: { id: 'claude-opus-4-6', display_name: 'Opus 4.6' },
    workspace: { current_dir: project, project_dir: project },
    cost: { total_cost_usd: 1.23 },
    context_window: { used_percentage: 42 },
    rate_limits: { five_hour: { used_percentage: 16, resets_at: Math.floor(Date.now() / 1000) + 3600 }, seven_day: { used_percentage: 44, resets_at: Math.floor(Date.now() / 1000) + 86_400 } },
  });
/** The four kinds, run through `file` (the CLI or hook.cjs), named with `label`. */
const kindsOf = (label: string, file: string): Array<{ name: string; run: () => number }> => [
  { name: `${label} PreToolUse (allowed)`, run: () => time([file, 'hook'], JSON.stringify({ ...base, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'npm test' }, tool_use_id: `toolu_${++n}` }), 0) },
  { name: `${label} PostToolUse (paired)`, run: () => time([file, 'hook'], JSON.stringify({ ...base, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'npm test' }, tool_use_id: `toolu_${n}`, tool_response: { stdout: 'ok' }, duration_ms: 812 }), 0) },
  // One session failing on every call: past the 5th failure each call replays its ledger through the alert engine.
  { name: `${label} PostToolUseFailure (burst)`, run: () => time([file, 'hook'], JSON.stringify({ ...base, session_id: `${SESSION}-f`, hook_event_name: 'PostToolUseFailure', tool_name: 'Bash', tool_input: { command: 'npm test' }, tool_use_id: `toolu_f${++n}`, error: 'Exit code 1', is_interrupt: false }), 0) },
  { name: `${label} PreToolUse (blocked)`, run: () => time([file, 'hook'], JSON.stringify({ ...base, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'rm -rf ~' }, tool_use_id: `toolu_b${n}` }), 2) },
  { name: `${label} statusline`, run: () => time([file, 'statusline'], statuslineInput(), 0) },
];
const kinds: Array<{ name: string; run: () => number }> = [
  { name: 'node -e 0', run: () => time(['-e', '0'], '', 0) },
  ...kindsOf('hook.cjs', hookEntryOf(cli)),
  ...kindsOf('CLI', cli),
];

try {
  console.log(`### Claude Code hook and statusline, one process per call (${RUNS} runs of each, interleaved)`);
  for (let i = 0; i < 3; i++) for (const k of kinds) k.run(); // warm the page cache
  const samples = new Map<string, number[]>(kinds.map((k) => [k.name, []]));
  for (let i = 0; i < RUNS; i++) for (const k of kinds) samples.get(k.name)!.push(k.run());
  const floor = pct(samples.get('node -e 0')!, 95);
  const floor50 = pct(samples.get('node -e 0')!, 50);
  for (const k of kinds) {
    const s = samples.get(k.name)!;
    const p95 = pct(s, 95);
    console.log(`${k.name.padEnd(34)} p50 ${pct(s, 50).toFixed(1).padStart(6)} ms (${(pct(s, 50) / floor50).toFixed(2)}x)  p95 ${p95.toFixed(1).padStart(6)} ms  ${k.name === 'node -e 0' ? '(reference)' : `p95 ${(p95 / floor).toFixed(2)}x node (target <= 1.5x)`}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
