/**
 * Concurrent Claude Code hook processes of one session (parallel tool calls end together): 32 real
 * PostToolUseFailure payloads from ../shared/real-cc, each in its own `hook.cjs` process, all
 * started at once against one store. Claude Code runs the hooks of parallel tool calls in parallel,
 * so the session's alert ledger (`<store>/alerts/<session>.jsonl`), the file log and the audit log
 * see concurrent writers.
 *
 * Expected, by hand: 32 failures of Bash within a few seconds. `tool_failures_burst` (≥ 5 failed
 * tool ends in 30 s per session) fires exactly once, with the value of the line that crossed it
 * (5); `tool_error_ratio` (≥ 50% of ≥ 20 tool ends over 5 min, for 60 s) goes pending exactly once
 * when the 20th end is judged (20 of 20 failed) and does not fire (its `for` cannot elapse in a
 * burst). So 2 `alert` events in the store, the same 2 in the audit log, whose chain verifies.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_CC } from '../runners/claude-code-real.js';
import { buildCli, hookEntryOf } from './build-cli.js';

const REAL = join(REAL_CC, 'hooks', 'crypto', 'post_tool_use_failure.json');
const PROCESSES = Number(process.env.HOOK_CONCURRENCY ?? 32);

let cli: string;
let root: string;
beforeAll(() => {
  cli = buildCli();
  root = mkdtempSync(join(tmpdir(), 'fleetscope-hook-concurrent-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One hook process, not waited for: resolves with its exit code and stderr. */
function hookAsync(store: string, payload: unknown, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [hookEntryOf(cli), 'hook', '--store', store], { env: { ...process.env, FLEETSCOPE_STORE: '', FLEETSCOPE_AUDIT_KEY: '', ...env }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(JSON.stringify(payload));
  });
}

interface StoredAlert {
  id: string;
  payload: { rule: string; state: string; value: number; fingerprint: string; labels: Record<string, string> };
}

function storedAlerts(store: string): StoredAlert[] {
  return readdirSync(store)
    .filter((f) => /^\d+\.jsonl$/.test(f))
    .flatMap((f) => readFileSync(join(store, f), 'utf8').split('\n'))
    .filter((l) => l.includes('"type":"alert"'))
    .map((l) => JSON.parse(l) as StoredAlert);
}

describe('concurrent hook processes of one session', () => {
  const real = JSON.parse(readFileSync(REAL, 'utf8')) as Array<Record<string, unknown>>;
  const { raw_input: _raw, timestamp: _ts, ...failure } = real[0]!;
  const call = (i: number) => ({ ...failure, tool_use_id: `${String(failure.tool_use_id)}_c${i}` });

  it(`${PROCESSES} PostToolUseFailure at once: one firing, one pending, nothing torn, the audit chain verifies`, async () => {
    expect(failure.hook_event_name).toBe('PostToolUseFailure');
    expect(failure.tool_name).toBe('Bash');
    const store = join(root, 'burst');
    const results = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => hookAsync(store, call(i))));
    // Every process answered 0 and said nothing: no deadline cut one short, no write failed.
    expect(results.map((r) => r.code)).toEqual(Array(PROCESSES).fill(0));
    expect(results.map((r) => r.stderr).filter((s) => s !== '')).toEqual([]);

    // The ledger: one whole line per process, none torn, none lost.
    const ledgerFiles = readdirSync(join(store, 'alerts'));
    expect(ledgerFiles).toEqual([`${String(failure.session_id)}.jsonl`]);
    const ledger = readFileSync(join(store, 'alerts', ledgerFiles[0]!), 'utf8');
    expect(ledger.endsWith('\n')).toBe(true);
    const lines = ledger.slice(0, -1).split('\n').map((l) => JSON.parse(l) as { id: string; status: string; tool: string });
    expect(lines).toHaveLength(PROCESSES);
    expect(new Set(lines.map((l) => l.id)).size).toBe(PROCESSES);
    expect(lines.every((l) => l.status === 'error' && l.tool === 'Bash')).toBe(true);

    // The alerts: each transition once.
    const alerts = storedAlerts(store);
    expect(alerts.map((a) => [a.payload.rule, a.payload.state, a.payload.value]).sort()).toEqual([
      ['tool_error_ratio', 'pending', 1],
      ['tool_failures_burst', 'firing', 5],
    ]);
    expect(alerts.find((a) => a.payload.rule === 'tool_failures_burst')!.payload.labels.sessionId).toBe(failure.session_id);

    // The audit log holds the same two alerts, and its one chain verifies.
    const verify = spawnSync(process.execPath, [cli, 'audit', 'verify', '--store', store, '--json'], { encoding: 'utf8', env: { ...process.env, FLEETSCOPE_AUDIT_KEY: '' } });
    expect(verify.status).toBe(0);
    const report = JSON.parse(verify.stdout) as { ok: boolean; records: number; verified: number; torn: unknown[] };
    // genesis + 2 alerts
    expect(report).toMatchObject({ ok: true, records: 3, verified: 3, torn: [] });
    const show = JSON.parse(spawnSync(process.execPath, [cli, 'audit', 'show', '--store', store, '--json'], { encoding: 'utf8' }).stdout) as { event: { id: string } }[];
    expect(show.map((r) => r.event.id).sort()).toEqual(alerts.map((a) => a.id).sort());
  }, 120_000);
});
