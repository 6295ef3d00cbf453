/**
 * The default alert rules in the Claude Code hook (issue 12: "5 failed PostToolUse in 30 s must
 * raise an alert"), end to end through the built hook entry (`hook.cjs`, what `fleetscope init`
 * installs): real PostToolUseFailure payloads from ../shared/real-cc, one process per call as
 * Claude Code runs them; the `alert` event in the store and the audit log; `fleetscope report`
 * over the store shows it in "Alerts and guardrail blocks"; a later success after the window
 * resolves it. The wall clock of a hook process is moved with a preload (no waiting).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, hookEntryOf } from './build-cli.js';
import { hookAlerts, HOOK_ALERT_RULES } from '../../src/cli/hook-alerts.js';

const REAL = join(process.cwd(), '../shared/real-cc/hooks/crypto/post_tool_use_failure.json');

let cli: string;
let root: string;
beforeAll(() => {
  cli = buildCli();
  root = mkdtempSync(join(tmpdir(), 'fleetscope-hook-alerts-'));
  writeFileSync(join(root, 'fake-now.cjs'), 'const offset = Number(process.env.FAKE_NOW_OFFSET_MS || 0);\nconst real = Date.now;\nDate.now = () => real() + offset;\n');
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One hook call as Claude Code makes it, `offsetMs` after now. */
function hook(store: string, payload: unknown, offsetMs = 0): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['-r', join(root, 'fake-now.cjs'), hookEntryOf(cli), 'hook', '--store', store], {
    input: JSON.stringify(payload),
    encoding: 'utf8',
    env: { ...process.env, FAKE_NOW_OFFSET_MS: String(offsetMs), FLEETSCOPE_STORE: '' },
  });
  return { code: r.status, stderr: r.stderr };
}

function storedAlerts(store: string): Array<{ payload: { rule: string; state: string; value: number; labels: Record<string, string> } }> {
  const lines = readdirSync(store)
    .filter((f) => /^\d+\.jsonl$/.test(f))
    .flatMap((f) => readFileSync(join(store, f), 'utf8').split('\n'));
  return lines.filter((l) => l.includes('"type":"alert"')).map((l) => JSON.parse(l));
}

describe('alerts in the Claude Code hook', () => {
  const real = JSON.parse(readFileSync(REAL, 'utf8')) as Array<Record<string, unknown>>;
  // The real payload as Claude Code sent it (the logger's own fields removed).
  const { raw_input: _raw, timestamp: _ts, ...failure } = real[0]!;
  const call = (i: number, extra: Record<string, unknown> = {}) => ({ ...failure, tool_use_id: `${String(failure.tool_use_id)}_${i}`, ...extra });

  it('5 failed PostToolUse in 30 s raise one alert, stored, audited, reported; a success after the window resolves it', () => {
    expect(failure.hook_event_name).toBe('PostToolUseFailure');
    const store = join(root, 'burst');
    for (let i = 0; i < 4; i++) expect(hook(store, call(i), i * 5_000).code).toBe(0);
    expect(storedAlerts(store)).toEqual([]); // 4 failures: below the threshold
    expect(hook(store, call(4), 20_000).code).toBe(0);
    const fired = storedAlerts(store);
    expect(fired.map((a) => [a.payload.rule, a.payload.state, a.payload.value])).toEqual([['tool_failures_burst', 'firing', 5]]);
    expect(fired[0]!.payload.labels.sessionId).toBe(failure.session_id);
    expect(hook(store, call(5), 21_000).code).toBe(0); // a 6th failure: still firing, no second alert
    expect(storedAlerts(store)).toHaveLength(1);

    const audit = spawnSync(process.execPath, [cli, 'audit', 'show', '--store', store], { encoding: 'utf8' });
    expect(audit.stdout).toContain('rule=tool_failures_burst  state=firing');
    const report = spawnSync(process.execPath, [cli, 'report', '--store', store, '--md', join(root, 'burst.md')], { encoding: 'utf8' });
    expect(report.status).toBe(0);
    const md = readFileSync(join(root, 'burst.md'), 'utf8');
    const section = md.slice(md.indexOf('## Alerts and guardrail blocks'));
    expect(section).toContain('1 firing, 0 pending; 1 fired and 0 resolved so far');
    expect(section).toContain(`| firing | tool_failures_burst | error | 5 failed tool calls in 30 s in session ${String(failure.session_id)}`);

    // 30 s after the last failure the window is empty: the next tool end resolves the alert.
    const success = { ...call(6), hook_event_name: 'PostToolUse', tool_response: { stdout: 'ok' } };
    delete (success as Record<string, unknown>).error;
    expect(hook(store, success, 60_000).code).toBe(0);
    expect(storedAlerts(store).map((a) => a.payload.state)).toEqual(['firing', 'resolved']);
    spawnSync(process.execPath, [cli, 'report', '--store', store, '--md', join(root, 'burst.md')], { encoding: 'utf8' });
    expect(readFileSync(join(root, 'burst.md'), 'utf8')).toContain('0 firing, 0 pending; 1 fired and 1 resolved so far');
  }, 60_000);

  it('failures spread over more than 30 s raise nothing; --no-alerts turns the rules off', () => {
    const store = join(root, 'spread');
    for (let i = 0; i < 6; i++) expect(hook(store, call(i), i * 10_000).code).toBe(0); // 10 s apart: at most 3 in any 30 s
    expect(storedAlerts(store)).toEqual([]);
    const off = join(root, 'off');
    for (let i = 0; i < 5; i++) {
      spawnSync(process.execPath, [hookEntryOf(cli), 'hook', '--store', off, '--no-alerts'], { input: JSON.stringify(call(i)), encoding: 'utf8' });
    }
    expect(storedAlerts(off)).toEqual([]);
  }, 60_000);
});

describe('hookAlerts (the ledger and the replay)', () => {
  const end = (i: number, t: number, status = 'error') => ({ id: `e${i}`, timestamp: t, sessionId: 's-1', agentId: 'main', toolName: 'Bash', status });
  let n = 0;
  const newId = () => `a${++n}`;

  it('reads only tool-end rules of the defaults; judges each line once, in file order', async () => {
    expect(HOOK_ALERT_RULES.map((r) => r.name)).toEqual(['tool_failures_burst', 'tool_error_ratio']);
    const dir = mkdtempSync(join(tmpdir(), 'fleetscope-hook-ledger-'));
    try {
      const t0 = 1_800_000_000_000;
      const states: string[][] = [];
      for (let i = 0; i < 5; i++) states.push((await hookAlerts(dir, end(i, t0 + i * 1000), newId)).map((a) => `${(a.payload as { rule: string }).rule}:${(a.payload as { state: string }).state}`));
      expect(states).toEqual([[], [], [], [], ['tool_failures_burst:firing']]);
      // Successes every 2 s from t0 + 5 s: the failure of t0 leaves the 30-s window (250-ms buckets)
      // after t0 + 30 s, so the 14th success (t0 + 31 s) resolves the alert, once; 5 failures in 20
      // ends is no 50% error ratio.
      const later: string[] = [];
      for (let i = 0; i < 15; i++) for (const a of await hookAlerts(dir, end(10 + i, t0 + 5_000 + i * 2_000, 'success'), newId)) later.push(`${i}:${(a.payload as { state: string }).state}`);
      expect(later).toEqual(['13:resolved']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** The `rule:state:value` transitions each call returns. */
  const run = async (dir: string, calls: [number, number, string?][]) => {
    const out: string[][] = [];
    for (const [i, t, status] of calls) out.push((await hookAlerts(dir, end(i, t, status), newId)).map((a) => { const p = a.payload as { rule: string; state: string; value: number }; return `${p.rule}:${p.state}:${p.value}`; }));
    return out;
  };

  it('lines appended out of time order (concurrent hooks stamp at start, append later) fire once and never flap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetscope-hook-ledger-'));
    try {
      const t0 = 1_800_000_000_000;
      // Stamps in file order: 3 s, 1 s, 4 s, 0 s, 2 s, 5 s, 1.5 s. The replay's time is the latest
      // stamp so far (3, 3, 4, 4, 4, 5, 5 s): the 5th line makes 5 failures in 30 s, the 6th and 7th
      // keep it firing. Before the fix, the 4th line's clock went back to 0 s: the window hid the
      // "future" lines, and the rule resolved and fired again.
      const states = await run(dir, [[0, t0 + 3000], [1, t0 + 1000], [2, t0 + 4000], [3, t0], [4, t0 + 2000], [5, t0 + 5000], [6, t0 + 1500]]);
      expect(states).toEqual([[], [], [], [], ['tool_failures_burst:firing:5'], [], []]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an alert that fired long ago is resolved by the next tool end, however late it comes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetscope-hook-ledger-'));
    try {
      const t0 = 1_800_000_000_000;
      // 5 failures in 4 s fire; the next tool end comes 10 min later (past every window and `for`
      // of the hook's rules, 6 min): the burst's window is empty, so it resolves with value 0.
      // Before the fix, the replay read only the last 6 min and never knew the alert was firing.
      const states = await run(dir, [[0, t0], [1, t0 + 1000], [2, t0 + 2000], [3, t0 + 3000], [4, t0 + 4000], [5, t0 + 600_000, 'success'], [6, t0 + 601_000, 'success']]);
      expect(states).toEqual([[], [], [], [], ['tool_failures_burst:firing:5'], ['tool_failures_burst:resolved:0'], []]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
