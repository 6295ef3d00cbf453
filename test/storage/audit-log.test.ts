/**
 * The audit log: one chain, each kind of tampering detected and named, a torn tail reported and
 * recovered (not taken for tampering), an HMAC key, several processes appending to one log, and
 * the observer option.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createObserver, type FleetEvent } from '../../src/index.js';
import { auditLog, readAuditRecords, verifyAuditLog, type AuditRecord } from '../../src/storage/index.js';
import { recordHash } from '../../src/storage/audit-format.js';

const run = promisify(execFile);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleetscope-audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function decision(i: number): FleetEvent {
  return {
    id: `d-${i}`, type: 'guardrail.decision', timestamp: 1_700_000_000_000 + i, severity: 'warning', source: 'guardrails', sessionId: 's-1', agentId: 'main',
    payload: { rule: 'secrets.env', action: i % 2 === 0 ? 'block' : 'log', reason: 'reads .env', toolName: 'Bash', inputHash: `h${i}` },
  } as unknown as FleetEvent;
}

/** A log of genesis + config + 8 decisions (seq 0..9), written in 3 batches. */
async function writeLog(key?: string) {
  const log = auditLog({ dir, key, config: { redact: true } });
  await log.append([decision(0), decision(1), decision(2)]);
  await log.append([decision(3), decision(4)]);
  await log.append([decision(5), decision(6), decision(7)]);
  await log.close();
}

const logFile = () => join(dir, 'audit.log');
const lines = () => readFileSync(logFile(), 'utf8').trimEnd().split('\n');
const writeLines = (ls: string[]) => writeFileSync(logFile(), `${ls.join('\n')}\n`);

describe('audit log', () => {
  it('writes one chain: seq 0..n, each prev the hash before, the head at the last record', async () => {
    await writeLog();
    const { records } = readAuditRecords(dir);
    expect(records.map((r) => r.kind)).toEqual(['genesis', 'config', ...Array(8).fill('event')]);
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 1; i < records.length; i++) expect(records[i]!.prev).toBe(records[i - 1]!.hash);
    // The hash is SHA-256 of the canonical JSON without `hash`, recomputed here independently.
    const { createHash } = await import('node:crypto');
    const stringify = (await import('fast-json-stable-stringify')).default;
    const { hash, ...body } = records[4]!;
    expect(hash).toBe(createHash('sha256').update(stringify(body)).digest('hex'));
    expect(JSON.parse(readFileSync(join(dir, 'audit.head'), 'utf8'))).toMatchObject({ seq: 9, hash: records[9]!.hash });
    expect(verifyAuditLog({ dir })).toMatchObject({ ok: true, records: 10, verified: 10, torn: [] });
  });

  it('names an edited record (content changed, hash left as it was)', async () => {
    await writeLog();
    const ls = lines();
    ls[4] = ls[4]!.replace('"block"', '"log"');
    writeLines(ls);
    expect(verifyAuditLog({ dir }).firstBreak).toMatchObject({ kind: 'edited', line: 5, seq: 4 });
  });

  it('names an edited record whose hash was recomputed (the next record no longer chains)', async () => {
    await writeLog();
    const ls = lines();
    const record = JSON.parse(ls[4]!) as AuditRecord;
    (record.event!.payload as { action: string }).action = 'log';
    record.hash = recordHash(record, undefined);
    ls[4] = JSON.stringify(record);
    writeLines(ls);
    expect(verifyAuditLog({ dir }).firstBreak).toMatchObject({ kind: 'edited', line: 5, seq: 4 });
  });

  it('names removed records', async () => {
    await writeLog();
    const ls = lines();
    ls.splice(5, 2); // seq 5 and 6
    writeLines(ls);
    expect(verifyAuditLog({ dir }).firstBreak).toMatchObject({ kind: 'removed', line: 6, seq: 5 });
  });

  it('names reordered records', async () => {
    await writeLog();
    const ls = lines();
    [ls[5], ls[6]] = [ls[6]!, ls[5]!];
    writeLines(ls);
    expect(verifyAuditLog({ dir }).firstBreak).toMatchObject({ kind: 'reordered', line: 6, seq: 6 });
  });

  it('names an inserted record, forged with a valid hash of its own', async () => {
    await writeLog();
    const ls = lines();
    const before = JSON.parse(ls[5]!) as AuditRecord;
    const forged = { ...before, seq: 6, ts: before.ts + 1, event: { ...before.event, id: 'forged' }, prev: before.hash } as AuditRecord;
    forged.hash = recordHash(forged, undefined);
    ls.splice(6, 0, JSON.stringify(forged));
    writeLines(ls);
    expect(verifyAuditLog({ dir }).firstBreak).toMatchObject({ kind: 'inserted', line: 7, seq: 6 });
  });

  it('names a truncated tail (the head names a later record)', async () => {
    await writeLog();
    writeLines(lines().slice(0, 7));
    expect(verifyAuditLog({ dir }).firstBreak).toMatchObject({ kind: 'truncated', seq: 7 });
  });

  it('reports a torn last record, not tampering; the next writer ends it and records a recovery', async () => {
    await writeLog();
    const fragment = '{"v":1,"seq":10,"ts":17000';
    appendFileSync(logFile(), fragment);
    const torn = verifyAuditLog({ dir });
    expect(torn.ok).toBe(true);
    expect(torn.torn).toEqual([{ line: 11, bytes: fragment.length, recovered: false }]);
    const log = auditLog({ dir });
    await log.append([decision(8)]);
    await log.close();
    const after = verifyAuditLog({ dir });
    expect(after).toMatchObject({ ok: true, records: 12, torn: [{ line: 11, bytes: fragment.length, recovered: true }] });
    expect(readAuditRecords(dir).records.slice(-2).map((r) => [r.seq, r.kind])).toEqual([[10, 'recovery'], [11, 'event']]);
  });

  it('a damaged line in the middle is an edit, not a torn record', async () => {
    await writeLog();
    const ls = lines();
    ls[3] = ls[3]!.slice(0, 20);
    writeLines(ls);
    expect(verifyAuditLog({ dir }).firstBreak).toMatchObject({ kind: 'edited', line: 4 });
  });

  it('with a key: a forger without the key cannot re-hash an edit; the key is needed to verify', async () => {
    await writeLog('k3y');
    expect(verifyAuditLog({ dir }).error).toMatch(/keyed/);
    expect(verifyAuditLog({ dir, key: 'k3y' }).ok).toBe(true);
    const ls = lines();
    const record = JSON.parse(ls[4]!) as AuditRecord;
    (record.event!.payload as { action: string }).action = 'log';
    record.hash = recordHash(record, undefined); // plain SHA-256: all a forger can compute
    ls[4] = JSON.stringify(record);
    writeLines(ls);
    expect(verifyAuditLog({ dir, key: 'k3y' }).firstBreak).toMatchObject({ kind: 'edited', line: 5 });
    expect(verifyAuditLog({ dir, key: 'wrong' }).firstBreak?.kind).toBe('edited');
  });

  it('several processes appending at once keep one valid chain', async () => {
    const writers = 4;
    const each = 25;
    const script = join(__dirname, 'fixtures', 'audit-writer.ts');
    await Promise.all(
      Array.from({ length: writers }, (_, w) => run(process.execPath, ['--import', 'tsx', script, dir, String(each), String(w), String(writers)], { cwd: join(__dirname, '..', '..') })),
    );
    const report = verifyAuditLog({ dir });
    expect(report).toMatchObject({ ok: true, records: 1 + writers * each, verified: 1 + writers * each, headSeq: writers * each });
    const ids = readAuditRecords(dir).records.flatMap((r) => (r.event ? [r.event.id as string] : []));
    expect(new Set(ids).size).toBe(writers * each);
    // Interleaved, not one writer after another: the lock is per batch.
    const sources = readAuditRecords(dir).records.flatMap((r) => (r.event ? [r.event.source as string] : []));
    const switches = sources.filter((s, i) => i > 0 && s !== sources[i - 1]).length;
    expect(switches).toBeGreaterThan(writers - 1);
  }, 60_000);

  it("a lock left by a writer that is gone (a hook ended at its deadline) is taken over at once; a live writer's is not", async () => {
    // A process that has exited: its pid names no process any more (pids are not reused this fast).
    const child = execFile(process.execPath, ['-e', '0']);
    const deadPid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'audit.lock'), `${deadPid} left-by-a-killed-hook`); // fresh: mtime now, far from staleLockMs
    const log = auditLog({ dir, lockTimeoutMs: 1000 });
    await log.append([decision(0)]);
    expect(log.stats()).toMatchObject({ staleLocksTaken: 1, failedBatches: 0 });
    expect(existsSync(join(dir, 'audit.lock'))).toBe(false); // released after the append
    await log.close();
    expect(verifyAuditLog({ dir })).toMatchObject({ ok: true, records: 2 });

    // A live holder (this test's parent process), fresh: waited for, not taken; the batch fails at lockTimeoutMs.
    writeFileSync(join(dir, 'audit.lock'), `${process.ppid} a-live-writer`);
    const blocked = auditLog({ dir, lockTimeoutMs: 200 });
    await blocked.append([decision(1)]).catch(() => undefined);
    expect(blocked.stats()).toMatchObject({ staleLocksTaken: 0, failedBatches: 1 });
    expect(readFileSync(join(dir, 'audit.lock'), 'utf8')).toBe(`${process.ppid} a-live-writer`); // untouched
    await blocked.close();
  });

  it('createObserver({ audit }) records the configuration and the security events, redacted', async () => {
    const observer = createObserver({ analyzers: [], audit: dir });
    observer.emit({ type: 'guardrail.decision', payload: { rule: 'secrets.env', action: 'block', reason: 'cat .env with AKIAIOSFODNN7EXAMPLE', toolName: 'Bash', inputHash: 'abc' } });
    observer.emit({ type: 'tool.end', payload: { toolName: 'Bash', status: 'success' } });
    observer.emit({ type: 'alert', payload: { rule: 'errors.spike', message: '5 failures in 30 s' } });
    await observer.close();
    const { records } = readAuditRecords(dir);
    expect(records.map((r) => r.kind)).toEqual(['genesis', 'config', 'event', 'event', 'event']);
    expect(records[1]!.config).toMatchObject({ analyzers: [], exporters: [], storage: 'memory' });
    // The key in the decision's reason was found: the findings summary is recorded too.
    expect(records.slice(2).map((r) => r.event!.type).sort()).toEqual(['alert', 'guardrail.decision', 'redaction.findings']);
    const findings = records.find((r) => r.event?.type === 'redaction.findings')!.event!.payload as { byCategory: Record<string, number> };
    expect(findings.byCategory).toEqual({ aws_key: 1 });
    // Exporter redaction (on by default for secrets) applies before the audit log.
    expect((records.find((r) => r.event?.type === 'guardrail.decision')!.event!.payload as { reason: string }).reason).toBe('cat .env with [REDACTED:aws_key]');
    expect(verifyAuditLog({ dir }).ok).toBe(true);
  });
});
