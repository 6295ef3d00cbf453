/**
 * `createObserver`'s one-option switches of issue 12: `alerts` (engine + delivery exporters),
 * `guardrails` (an engine from packs, recorded or enforced) and `audit` together with them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserver, GuardrailBlockedError, type EventOf, type FleetEvent } from '../src/index.js';
import { recordingExporter } from './support/recording-exporter.js';
import { alertsAnalyzer, defaultAnalyzers, defineAnalyzer, type AlertRule } from '../src/analyzers/index.js';
import { readAuditRecords, verifyAuditLog } from '../src/storage/index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** `n` failed tool calls one second apart, the first at `fromS` seconds. */
const failures = (observer: ReturnType<typeof createObserver>, n: number, fromS = 0) => {
  for (let i = 0; i < n; i++) observer.emit({ type: 'tool.end', timestamp: T0 + (fromS + i) * 1000, payload: { toolName: 'Bash', status: 'error', error: 'x' } });
};

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('createObserver({ alerts })', () => {
  it('true: the default rules run; 5 failed tool calls in 30 s fire tool_failures_burst', async () => {
    const observer = createObserver({ clock: () => T0 + 10_000, storage: false, analyzers: [], alerts: true });
    const fired: EventOf<'alert'>[] = [];
    observer.on('alert', (e) => void fired.push(e));
    failures(observer, 4);
    await observer.flush();
    expect(fired).toEqual([]);
    failures(observer, 1, 4);
    await observer.flush();
    expect(fired.map((e) => `${e.payload.rule}:${e.payload.state}`)).toEqual(['tool_failures_burst:firing']);
    expect((observer.snapshot().alerts as { active: unknown[] }).active).toHaveLength(1);
    await observer.close();
  });

  it('the engine is handed each batch before the other analyzers: the alert is on the bus before they read its trigger', async () => {
    let alerted = false;
    const seenWhenRead: boolean[] = [];
    const later = defineAnalyzer({
      name: 'later',
      filter: { types: ['tool.end'] },
      onEvent: () => void seenWhenRead.push(alerted),
      snapshot: () => ({}),
    });
    const observer = createObserver({ clock: () => T0 + 10_000, storage: false, analyzers: [...defaultAnalyzers(), later], alerts: true });
    observer.on('alert', () => {
      alerted = true;
    });
    failures(observer, 5);
    await observer.flush();
    expect(alerted).toBe(true);
    // The later analyzer read all 5 failures in one batch, after the engine had fired.
    expect(seenWhenRead).toEqual([true, true, true, true, true]);
    expect(defaultAnalyzers({ alerts: true })[0]!.name).toBe('alerts');
    await observer.close();
  });

  it('exporters given with the alerts receive the alert events only; rules are the given ones', async () => {
    const rule: AlertRule = { kind: 'threshold', name: 'two_failures', measure: 'count', where: { types: ['tool.end'], status: 'error' }, windowMs: 30_000, value: 2 };
    const delivery = recordingExporter('pager');
    const everything = recordingExporter('all');
    const observer = createObserver({ clock: () => T0 + 5000, storage: false, analyzers: [], exporters: [everything], alerts: { rules: [rule], exporters: [delivery] } });
    failures(observer, 3);
    await observer.flush();
    // 3 tool.end in one batch, judged at its end: 3 failures >= 2, one alert, firing
    expect(delivery.events.map((e) => e.type)).toEqual(['alert']);
    expect((delivery.events[0] as EventOf<'alert'>).payload).toMatchObject({ rule: 'two_failures', state: 'firing', value: 3 });
    expect(everything.events.filter((e) => e.type === 'tool.end')).toHaveLength(3);
    expect(Object.keys(observer.stats().exporters).sort()).toEqual(['all', 'pager']);
    await observer.close();
  });

  it('engine: the host keeps its reference to acknowledge and silence', async () => {
    const engine = alertsAnalyzer({ rules: [{ kind: 'threshold', name: 'one', measure: 'count', where: { types: ['tool.end'], status: 'error' }, windowMs: 30_000, value: 1 }] });
    const observer = createObserver({ clock: () => T0 + 5000, storage: false, analyzers: [], alerts: { engine } });
    failures(observer, 1);
    await observer.flush();
    const active = engine.snapshot().active;
    expect(active).toHaveLength(1);
    expect(engine.acknowledge(active[0]!.fingerprint, 'oncall')).toBe(true);
    expect(engine.snapshot().active[0]).toMatchObject({ acknowledged: true, acknowledgedBy: 'oncall' });
    await observer.close();
  });
});

describe('createObserver({ guardrails })', () => {
  it('true: the default pack records a decision and lets the call run', async () => {
    const observer = createObserver({ storage: false, analyzers: [], guardrails: true });
    const decisions: FleetEvent[] = [];
    observer.on('guardrail.decision', (e) => void decisions.push(e));
    let ran = 0;
    await observer.tool('Bash', { command: 'rm -rf ~' }, () => ran++);
    await observer.tool('Bash', { command: 'rm -rf ./build' }, () => ran++);
    expect(ran).toBe(2);
    expect(decisions.map((e) => (e.payload as { rule: string }).rule)).toEqual(['rm-rf-root-or-home']);
    await observer.close();
  });

  it('packs and enforce: a block rejects with GuardrailBlockedError and the function does not run', async () => {
    const observer = createObserver({ storage: false, analyzers: [], guardrails: { packs: ['default', 'secrets'], enforce: true } });
    let ran = false;
    const error = await observer.tool('Bash', { command: 'cat .env' }, () => void (ran = true)).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(GuardrailBlockedError);
    expect(error).toMatchObject({ rule: 'shell-read-secret-file' });
    await observer.close();
  });

  it('a value that is not an option is refused at construction', () => {
    expect(() => createObserver({ storage: false, analyzers: [], guardrails: 'yes' as never })).toThrow(/guardrails/);
  });
});

describe('createObserver({ audit }) with alerts and guardrails', () => {
  it('a block, its guardrail_block alert and the configuration land in one valid chain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetscope-options-audit-'));
    dirs.push(dir);
    const observer = createObserver({ storage: false, analyzers: [], audit: dir, alerts: true, guardrails: { enforce: true } });
    await observer.tool('Bash', { command: 'git push --force origin main' }, () => 1).catch(() => {});
    await observer.flush();
    await observer.close();
    expect(verifyAuditLog({ dir })).toMatchObject({ ok: true });
    const { records } = readAuditRecords(dir);
    const config = records.find((r) => r.kind === 'config')!;
    expect(config.config).toMatchObject({ analyzers: ['alerts'], guardrails: { policy: 'guardrails', enforce: true } });
    const types = records.filter((r) => r.kind === 'event').map((r) => `${r.event!.type}:${(r.event!.payload as { rule?: string }).rule ?? ''}`);
    expect(types).toContain('guardrail.decision:git-force-push-main');
    expect(types).toContain('alert:guardrail_block');
  });
});
