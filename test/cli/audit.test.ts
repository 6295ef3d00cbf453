/** `fleetscope audit verify|show`: exit codes, the named break, --json, strict flags. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/index.js';
import { auditLog } from '../../src/storage/index.js';

const root = join(__dirname, '..', '..');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), 'audit', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FLEETSCOPE_STORE: '', FLEETSCOPE_AUDIT_KEY: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let store: string;
beforeAll(async () => {
  store = mkdtempSync(join(tmpdir(), 'fleetscope-audit-cli-'));
  const log = auditLog({ dir: join(store, 'audit'), key: 'sekret' });
  const events = [0, 1, 2].map(
    (i) => ({ id: `d${i}`, type: 'guardrail.decision', timestamp: 1_700_000_000_000 + i, severity: 'warning', source: 'g', sessionId: 's-9', agentId: 'main', payload: { rule: `rule-${i}`, action: 'block', reason: 'rm -rf ~', toolName: 'Bash', inputHash: 'x' } }) as unknown as FleetEvent,
  );
  await log.append(events);
  await log.close();
});
afterAll(() => rmSync(store, { recursive: true, force: true }));

describe('fleetscope audit', () => {
  it('verify: ok with the key, exit 0; without it, exit 1 and says a key is needed', () => {
    const ok = cli('verify', '--store', store, '--key', 'sekret');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^ok: 4 records verified \(hmac-sha256\)/);
    const nokey = cli('verify', '--store', store);
    expect(nokey.code).toBe(1);
    expect(nokey.err).toMatch(/keyed/);
  });

  it('show lists the decisions; --json gives the records', () => {
    const text = cli('show', '--store', store);
    expect(text.code).toBe(0);
    expect(text.out.trim().split('\n')).toHaveLength(3);
    expect(text.out).toContain('guardrail.decision  session=s-9  rule=rule-1  action=block  toolName=Bash  reason=rm -rf ~');
    const json = JSON.parse(cli('show', '--store', store, '--json').out) as { seq: number }[];
    expect(json.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('unknown flags and subcommands are errors (exit 1); --help exits 0', () => {
    expect(cli('verify', '--stor', store).code).toBe(1);
    expect(cli('frobnicate').code).toBe(1);
    const help = cli('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: fleetscope audit <verify|show>');
  });

  it('verify names the break and exits 1 (last: it edits the log)', () => {
    const file = join(store, 'audit', 'audit.log');
    writeFileSync(file, readFileSync(file, 'utf8').replace('rule-1', 'rule-X'));
    const broken = cli('verify', '--store', store, '--key', 'sekret');
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('BROKEN: edited at line 3 (record 2)');
    const json = JSON.parse(cli('verify', '--store', store, '--key', 'sekret', '--json').out) as { firstBreak: { kind: string; seq: number } };
    expect(json.firstBreak).toMatchObject({ kind: 'edited', seq: 2 });
  });
});
