import { describe, expect, it } from 'vitest';
import { createObserver, type EventOf, type FleetEvent } from '../../src/index.js';
import { alertsAnalyzer, costAnalyzer, DEFAULT_ALERT_RULES, ruleEventTypes, type AlertRule, type AlertsSnapshot } from '../../src/analyzers/index.js';

/** An observer with a fake clock and the given alert rules; collects `alert` events. */
function setup(rules?: readonly AlertRule[], extra: { cost?: boolean } = {}) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const alerts = alertsAnalyzer({ rules, evaluateIntervalMs: 3_600_000 });
  const observer = createObserver({
    clock: () => now,
    storage: false,
    analyzers: extra.cost ? [costAnalyzer({ pricing: { 'm-1': { input: 1, output: 1 } } }), alerts] : [alerts],
  });
  const fired: EventOf<'alert'>[] = [];
  observer.on('alert', (e) => void fired.push(e));
  const at = (ms: number) => (now = Date.parse('2026-01-01T00:00:00Z') + ms);
  const fail = (ms: number, toolName = 'Bash', agentId = 'main') =>
    observer.emit({ type: 'tool.end', timestamp: Date.parse('2026-01-01T00:00:00Z') + ms, agentId, payload: { toolName, status: 'error', error: 'x' } });
  const ok = (ms: number, toolName = 'Bash', agentId = 'main') =>
    observer.emit({ type: 'tool.end', timestamp: Date.parse('2026-01-01T00:00:00Z') + ms, agentId, payload: { toolName, status: 'success' } });
  const settle = async () => {
    await observer.flush();
  };
  /** The agent ends at `ms`. */
  const end = (ms: number, agentId: string) =>
    observer.emit({ type: 'agent.end', timestamp: Date.parse('2026-01-01T00:00:00Z') + ms, agentId, payload: { name: agentId, status: 'success' } });
  /** The clock moves to `ms`, the engine catches up and judges its rules (absence is judged on the clock). */
  const evaluateAt = async (ms: number) => {
    at(ms);
    await settle();
    alerts.evaluate();
    await settle();
  };
  return { observer, alerts, fired, at, fail, ok, end, settle, evaluateAt, states: () => fired.map((e) => `${e.payload.rule}:${e.payload.state}`) };
}

const BURST: AlertRule = { kind: 'threshold', name: 'burst', measure: 'count', where: { types: ['tool.end'], status: 'error' }, windowMs: 30_000, value: 5, severity: 'error' };

describe('alerts: threshold', () => {
  it('the seeds\' acceptance test: 5 failed tool.end within 30 s fire; 4 do not', async () => {
    const s = setup([BURST]);
    for (let i = 0; i < 4; i++) s.fail(i * 5000); // 0, 5, 10, 15 s
    s.at(15_000);
    await s.settle();
    expect(s.fired).toEqual([]);
    s.fail(20_000);
    s.at(20_000);
    await s.settle();
    expect(s.states()).toEqual(['burst:firing']);
    const a = s.fired[0]!;
    expect(a.severity).toBe('error');
    expect(a.payload).toMatchObject({ value: 5, threshold: 5, state: 'firing', labels: { alertname: 'burst', severity: 'error' }, startsAt: Date.parse('2026-01-01T00:00:20Z') });
    expect(a.payload.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    // 30 s after the 5th failure the window is empty again: resolved, same fingerprint
    s.at(55_000);
    s.alerts.evaluate();
    await s.settle();
    expect(s.states()).toEqual(['burst:firing', 'burst:resolved']);
    expect(s.fired[1]!.payload).toMatchObject({ fingerprint: a.payload.fingerprint, endsAt: Date.parse('2026-01-01T00:00:55Z') });
    await s.observer.close();
  });

  it('5 failures spread over 40 s do not fire (never 5 inside 30 s)', async () => {
    const s = setup([BURST]);
    for (let i = 0; i < 5; i++) {
      s.fail(i * 10_000); // 0, 10, 20, 30, 40 s: at most 3 or 4 inside any 30 s
      s.at(i * 10_000);
      await s.settle();
    }
    expect(s.fired).toEqual([]);
    await s.observer.close();
  });

  it('ratio with grouping by tool, minEvents, and `for` (pending, then firing)', async () => {
    const rule: AlertRule = { kind: 'threshold', name: 'ratio', measure: 'ratio', where: { types: ['tool.end'], status: 'error' }, windowMs: 60_000, value: 0.5, minEvents: 4, groupBy: ['toolName'], forMs: 10_000 };
    const s = setup([rule]);
    s.fail(0, 'Read');
    s.fail(1000, 'Read');
    s.ok(2000, 'Read'); // 2/3, below minEvents
    s.at(2000);
    await s.settle();
    expect(s.fired).toEqual([]);
    s.ok(3000, 'Read'); // 2/4 = 0.5 ≥ 0.5 with 4 events
    s.ok(3000, 'Bash');
    s.at(3000);
    await s.settle();
    expect(s.states()).toEqual(['ratio:pending']);
    expect(s.fired[0]!.payload.labels).toEqual({ alertname: 'ratio', severity: 'warning', toolName: 'Read' });
    s.at(13_000);
    s.alerts.evaluate();
    await s.settle();
    expect(s.states()).toEqual(['ratio:pending', 'ratio:firing']);
    expect(s.fired[1]!.payload.value).toBe(0.5);
    await s.observer.close();
  });

  it('rate: events per second over the window', async () => {
    // ≥ 0.5 failures a second over 10 s: 5 in 10 s fire, 4 do not.
    const s = setup([{ kind: 'threshold', name: 'rate', measure: 'rate', where: { types: ['tool.end'], status: 'error' }, windowMs: 10_000, value: 0.5 }]);
    for (let i = 0; i < 4; i++) s.fail(i * 2000);
    s.at(7000);
    await s.settle();
    expect(s.fired).toEqual([]);
    s.fail(8000);
    s.at(8000);
    await s.settle();
    expect(s.fired.map((e) => [e.payload.state, e.payload.value, e.payload.threshold])).toEqual([['firing', 0.5, 0.5]]);
    // 20 s later the window is empty: resolved.
    s.at(28_000);
    s.alerts.evaluate();
    await s.settle();
    expect(s.states()).toEqual(['rate:firing', 'rate:resolved']);
    await s.observer.close();
  });

  it('percentile of a field over the window', async () => {
    const rule: AlertRule = { kind: 'threshold', name: 'slow', measure: 'percentile', where: { types: ['tool.end'] }, field: 'durationMs', percentile: 90, windowMs: 60_000, value: 1000, minEvents: 10 };
    const s = setup([rule]);
    // 10 calls: 100..900 ms and one of 5000: p90 (nearest rank 9 of 10) = 900 < 1000
    for (let i = 1; i <= 9; i++) s.observer.emit({ type: 'tool.end', timestamp: Date.parse('2026-01-01T00:00:00Z') + i, payload: { toolName: 'T', status: 'success', durationMs: i * 100 } });
    s.observer.emit({ type: 'tool.end', timestamp: Date.parse('2026-01-01T00:00:00Z') + 10, payload: { toolName: 'T', status: 'success', durationMs: 5000 } });
    await s.settle();
    expect(s.fired).toEqual([]);
    // one more slow call: 11 samples, rank ceil(9.9) = 10 → the 10th smallest = 5000
    s.observer.emit({ type: 'tool.end', timestamp: Date.parse('2026-01-01T00:00:00Z') + 11, payload: { toolName: 'T', status: 'success', durationMs: 6000 } });
    await s.settle();
    expect(s.states()).toEqual(['slow:firing']);
    expect(s.fired[0]!.payload.value).toBe(5000);
    await s.observer.close();
  });

  it('cooldown keeps a resolved alert quiet; silence hides state changes; acknowledge re-emits with acknowledged', async () => {
    const s = setup([{ ...BURST, cooldownMs: 120_000 }]);
    for (let i = 0; i < 5; i++) s.fail(i * 1000);
    await s.settle();
    expect(s.states()).toEqual(['burst:firing']);
    const fp = s.fired[0]!.payload.fingerprint!;
    expect(s.alerts.acknowledge(fp, 'alice')).toBe(true);
    expect(s.alerts.acknowledge('0000000000000000')).toBe(false);
    await s.settle();
    expect(s.fired[1]!.payload).toMatchObject({ state: 'firing', acknowledged: true });
    s.at(60_000);
    s.alerts.evaluate();
    for (let i = 0; i < 5; i++) s.fail(61_000 + i * 1000); // inside the cooldown
    s.at(66_000);
    await s.settle();
    expect(s.states()).toEqual(['burst:firing', 'burst:firing', 'burst:resolved']);
    expect(s.alerts.snapshot().counts.cooldownSuppressed).toBeGreaterThan(0);
    // after the cooldown, silenced by alertname: state changes recorded, not emitted
    s.at(200_000);
    s.alerts.evaluate();
    const id = s.alerts.silence({ alertname: 'burst' }, 600_000, 'maintenance');
    for (let i = 0; i < 5; i++) s.fail(201_000 + i * 1000);
    s.at(206_000);
    await s.settle();
    expect(s.states()).toHaveLength(3);
    const snap = s.alerts.snapshot();
    expect(snap.active[0]).toMatchObject({ rule: 'burst', state: 'firing', silenced: true });
    expect(snap.counts.silenced).toBe(1);
    expect(snap.silences).toEqual([{ id, matchers: { alertname: 'burst' }, endsAt: Date.parse('2026-01-01T00:00:00Z') + 200_000 + 600_000, comment: 'maintenance' }]);
    expect(s.alerts.unsilence(id)).toBe(true);
    await s.observer.close();
  });
});

describe('alerts: the event types the engine subscribes to', () => {
  it('the default rules name theirs: the engine reads those only (plus guardrail decisions, the alerts the hook records them as, and ends of agents)', () => {
    expect(ruleEventTypes(DEFAULT_ALERT_RULES)?.sort()).toEqual(
      ['agent.end', 'agent.start', 'alert', 'anomaly', 'guardrail.decision', 'llm.call', 'message', 'session.end', 'tool.end', 'tool.start'],
    );
    expect(alertsAnalyzer().filter?.types?.length).toBe(10);
  });

  it('a rule that names no types makes the engine read every event', () => {
    const all: AlertRule = { kind: 'threshold', name: 'errors', measure: 'count', where: { minSeverity: 'error' }, windowMs: 60_000, value: 3 };
    expect(ruleEventTypes([...DEFAULT_ALERT_RULES, all])).toBeUndefined();
    expect(alertsAnalyzer({ rules: [all] }).filter).toBeUndefined();
    const ratio: AlertRule = { kind: 'threshold', name: 'r', measure: 'ratio', where: { types: ['llm.call'], status: 'error' }, of: {}, windowMs: 60_000, value: 0.5 };
    expect(ruleEventTypes([ratio])).toBeUndefined();
    expect(ruleEventTypes([{ kind: 'budget', name: 'b', scope: 'day', limitUsd: 5 }])).toEqual(['guardrail.decision', 'alert']);
  });

  it('an error-severity event of an unlisted type still fires a rule that reads every type', async () => {
    const all: AlertRule = { kind: 'threshold', name: 'errors', measure: 'count', where: { minSeverity: 'error' }, windowMs: 60_000, value: 2 };
    const observer = createObserver({ storage: false, analyzers: [], alerts: { rules: [all] } });
    const fired: string[] = [];
    observer.on('alert', (e) => void fired.push((e as EventOf<'alert'>).payload.rule));
    for (let i = 0; i < 2; i++) observer.emit({ type: 'custom.failure', severity: 'error', payload: {} });
    await observer.flush();
    expect(fired).toEqual(['errors']);
    await observer.close();
  });
});

describe('alerts: bounded groups', () => {
  it('maxGroupsPerRule: the group seen longest ago is forgotten, not one seen again since', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const rule: AlertRule = { kind: 'threshold', name: 'calls', measure: 'count', where: { types: ['tool.end'] }, windowMs: 600_000, value: 3, groupBy: ['toolName'] };
    const alerts = alertsAnalyzer({ rules: [rule], maxGroupsPerRule: 4, evaluateIntervalMs: 3_600_000 });
    const observer = createObserver({ clock: () => now, storage: false, analyzers: [alerts] });
    const fired: string[] = [];
    observer.on('alert', (e) => void fired.push((e as EventOf<'alert'>).payload.labels!.toolName!));
    const call = (toolName: string) => observer.emit({ type: 'tool.end', timestamp: (now += 1000), payload: { toolName, status: 'success' } });
    for (const tool of ['A', 'B', 'C', 'D', 'A', 'E']) call(tool); // E is a 5th group: B goes (A was seen again)
    call('A'); // A's third call: its count was kept
    call('B');
    call('B'); // B's count started again at E: 2, not 3
    await observer.flush();
    expect(fired).toEqual(['A']);
    expect(alerts.snapshot().counts.groupsEvicted).toBe(2); // B at E, then C at B's return
    await observer.close();
  });
});

describe('alerts: absence, anomaly, guardrail, budget', () => {
  const STALLED: AlertRule = { kind: 'absence', name: 'stalled', windowMs: 600_000, groupBy: ['agentId'] };

  it('absence: no event from an agent for 10 min; an ended agent is not stalled', async () => {
    const s = setup([STALLED]);
    s.ok(0, 'Read', 'worker-1');
    s.ok(0, 'Read', 'worker-2');
    s.end(1000, 'worker-2');
    await s.evaluateAt(599_000);
    expect(s.fired).toEqual([]);
    await s.evaluateAt(600_000);
    expect(s.states()).toEqual(['stalled:firing']);
    expect(s.fired[0]!.payload.labels).toMatchObject({ agentId: 'worker-1' });
    expect(s.fired[0]!.agentId).toBe('worker-1');
    s.ok(601_000, 'Read', 'worker-1');
    s.at(601_000);
    await s.settle();
    expect(s.states()).toEqual(['stalled:firing', 'stalled:resolved']);
    await s.observer.close();
  });

  it('absence: an agent that ended is not stalled until it starts again; then it is watched again', async () => {
    const s = setup([STALLED]);
    s.ok(0, 'Read', 'worker-2');
    s.end(1000, 'worker-2');
    await s.evaluateAt(1_200_000);
    expect(s.fired).toEqual([]);
    s.ok(1_200_000, 'Read', 'worker-2');
    await s.evaluateAt(1_799_999);
    expect(s.fired).toEqual([]);
    await s.evaluateAt(1_800_000);
    expect(s.states()).toEqual(['stalled:firing']);
    expect(s.fired[0]!.payload.labels).toMatchObject({ agentId: 'worker-2' });
    await s.observer.close();
  });

  it('anomaly: 3 high-score anomalies of one operation within the window', async () => {
    const s = setup([{ kind: 'anomaly', name: 'anom', minZ: 6, minScore: 0.8, minCount: 3, windowMs: 60_000 }]);
    const anomaly = (ms: number, score: number, method = 'zscore') =>
      s.observer.emit({ type: 'anomaly', timestamp: Date.parse('2026-01-01T00:00:00Z') + ms, payload: { operation: 'tool:Bash', method, score, features: {} } });
    anomaly(0, 7);
    anomaly(1000, 4.5); // below minZ: not counted
    anomaly(2000, 0.9, 'isolation_forest');
    await s.settle();
    expect(s.fired).toEqual([]);
    anomaly(3000, -6.5); // |z| counts
    await s.settle();
    expect(s.states()).toEqual(['anom:firing']);
    expect(s.fired[0]!.payload).toMatchObject({ value: 3, labels: { operation: 'tool:Bash' } });
    await s.observer.close();
  });

  it('guardrail blocks raise an alert per rule and agent, and the snapshot counts decisions', async () => {
    const s = setup([{ kind: 'guardrail', name: 'gb', groupBy: ['rule'] }]);
    const decision = (action: string, rule = 'rm-rf-root-or-home') =>
      s.observer.emit({ type: 'guardrail.decision', payload: { rule, action: action as 'block', reason: 'r', toolName: 'Bash', inputHash: 'a'.repeat(64) } });
    decision('alert', 'dump-environment');
    decision('block');
    decision('block');
    await s.settle();
    expect(s.states()).toEqual(['gb:firing']);
    expect(s.fired[0]!.payload.labels).toMatchObject({ rule: 'rm-rf-root-or-home' });
    const g = s.alerts.snapshot().guardrails;
    expect(g).toMatchObject({ decisions: 3, blocks: 2, byRule: { 'rm-rf-root-or-home': { block: 2, alert: 0, redact: 0, log: 0 }, 'dump-environment': { block: 0, alert: 1, redact: 0, log: 0 } } });
    expect(g.recentBlocks).toHaveLength(2);
    await s.observer.close();
  });

  it('budget bands read the cost analyzer: 80% then 100% of a session budget, once each', async () => {
    const s = setup([{ kind: 'budget', name: 'session_budget', scope: 'session', limitUsd: 1 }], { cost: true });
    // price 1 USD per 1M tokens of input and output: 400k input + 400k output = $0.80
    const llm = (sessionId: string, tokens: number) =>
      s.observer.emit({ type: 'llm.call', sessionId, payload: { model: 'm-1', status: 'success', inputTokens: tokens, outputTokens: tokens } });
    llm('s1', 300_000); // $0.60
    await s.settle();
    s.at(10_000);
    s.alerts.evaluate();
    expect(s.fired).toEqual([]);
    llm('s1', 100_000); // $0.80 → 80% band
    await s.settle();
    s.at(20_000);
    s.alerts.evaluate();
    await s.settle();
    expect(s.fired.map((e) => [e.payload.state, e.payload.labels?.band, e.payload.value])).toEqual([['firing', '80%', 0.8]]);
    llm('s1', 50_000); // $0.90: no new band
    s.at(30_000);
    await s.settle();
    s.alerts.evaluate();
    llm('s1', 60_000); // $1.02 → 100%
    s.at(40_000);
    await s.settle();
    s.alerts.evaluate();
    await s.settle();
    expect(s.fired.map((e) => [e.payload.state, e.payload.labels?.band, e.sessionId])).toEqual([['firing', '80%', 's1'], ['firing', '100%', 's1']]);
    await s.observer.close();
  });
});

describe('alerts: budget bands per day and per agent', () => {
  it('day: 80% and 100% of a daily budget once each per day, again the next day', async () => {
    const s = setup([{ kind: 'budget', name: 'daily', scope: 'day', limitUsd: 1 }], { cost: true });
    const spend = (usd: number) =>
      s.observer.emit({ type: 'llm.call', sessionId: 's1', payload: { model: 'm-1', status: 'success', inputTokens: usd * 500_000, outputTokens: usd * 500_000 } });
    const tick = async (ms: number) => {
      await s.settle();
      s.at(ms);
      s.alerts.evaluate();
      await s.settle();
    };
    const firing = () => s.fired.filter((e) => e.payload.state === 'firing').map((e) => `${e.payload.labels?.day} ${e.payload.labels?.band}`);
    await tick(1000); // the day starts with nothing spent
    spend(0.85);
    await tick(2000);
    spend(0.2); // $1.05
    await tick(3000);
    spend(0.1);
    await tick(4000);
    expect(firing()).toEqual(['2026-01-01 80%', '2026-01-01 100%']);
    await tick(86_400_000 + 1000); // next day: $1.15 already spent is yesterday's
    expect(firing()).toHaveLength(2);
    spend(0.8);
    await tick(86_400_000 + 2000);
    expect(firing()).toEqual(['2026-01-01 80%', '2026-01-01 100%', '2026-01-02 80%']);
    await s.observer.close();
  });

  it('agent: each agent against its own budget', async () => {
    const s = setup([{ kind: 'budget', name: 'per_agent', scope: 'agent', limitUsd: 1, bands: [1] }], { cost: true });
    const spend = (agentId: string, usd: number) =>
      s.observer.emit({ type: 'llm.call', agentId, sessionId: agentId, payload: { model: 'm-1', status: 'success', inputTokens: usd * 500_000, outputTokens: usd * 500_000 } });
    spend('a', 0.6);
    spend('b', 0.6);
    spend('a', 0.6); // a: $1.20, b: $0.60
    await s.settle();
    s.at(1000);
    s.alerts.evaluate();
    await s.settle();
    expect(s.fired.map((e) => [e.payload.state, e.payload.labels?.agentId, e.payload.labels?.band])).toEqual([['firing', 'a', '100%']]);
    await s.observer.close();
  });
});

describe('alerts: bad input', () => {
  it('invalid rules throw at construction with the rule named', () => {
    expect(() => alertsAnalyzer({ rules: [{ kind: 'threshold', name: 'x', measure: 'count', where: {}, windowMs: 0, value: 1 }] })).toThrow(/rule x: "windowMs" must be a number > 0/);
    expect(() => alertsAnalyzer({ rules: [{ kind: 'nope', name: 'y' } as never] })).toThrow(/rule y: "kind" must be/);
    expect(() => alertsAnalyzer({ rules: [BURST, BURST] })).toThrow(/rule burst: the name is used twice/);
  });

  it('a throwing host predicate is isolated and counted; other rules go on', async () => {
    const s = setup([{ ...BURST, name: 'boom', where: { where: () => { throw new Error('x'); } } }, BURST]);
    for (let i = 0; i < 5; i++) s.fail(i);
    await s.settle();
    expect(s.states()).toContain('burst:firing');
    // the 5 tool.end, and the plugin.error event the first failure put on the bus (rate-limited to one a second)
    expect(s.alerts.snapshot().counts.ruleErrors).toBe(6);
    await s.observer.close();
  });

  it('the default set builds and old one-shot alert producers stay valid', async () => {
    const events: FleetEvent[] = [];
    const observer = createObserver({ storage: false, analyzers: [alertsAnalyzer()] });
    observer.on('alert', (e) => void events.push(e));
    expect(observer.emit({ type: 'alert', payload: { rule: 'legacy', message: 'old shape' } })).toBeDefined();
    expect(observer.emit({ type: 'alert', payload: { rule: 'bad', message: 'm', state: 'exploded' as never } })).toBeUndefined();
    await observer.close();
    expect(events.map((e) => e.payload)).toEqual([{ rule: 'legacy', message: 'old shape' }]);
  });
});

describe('report: Alerts and guardrail blocks', () => {
  it('renders active alerts and guardrail decisions from the alerts snapshot', async () => {
    const { createGuardrailEngine } = await import('../../src/guardrails/index.js');
    const alerts = alertsAnalyzer({ rules: [BURST, { kind: 'guardrail', name: 'guardrail_block' }] });
    const observer = createObserver({ storage: false, analyzers: [alerts], guardrails: { policy: createGuardrailEngine({ packs: ['default', 'secrets'] }), enforce: true } });
    for (let i = 0; i < 5; i++) observer.emit({ type: 'tool.end', payload: { toolName: 'Bash', status: 'error' } });
    await observer.tool('Bash', { command: 'rm -rf ~' }, () => 0).catch(() => undefined);
    await observer.tool('Bash', { command: 'printenv' }, () => 0);
    const report = await observer.report();
    await observer.close();
    const section = report.slice(report.indexOf('## Alerts and guardrail blocks'));
    expect(section).toContain('2 firing, 0 pending; 2 fired and 0 resolved so far. Guardrail decisions: 2 (1 block).');
    expect(section).toMatch(/\| firing \| burst \| error \| 5 failed|\| firing \| burst \| error \| burst: value 5 \(threshold 5\)/);
    expect(section).toContain('| rm-rf-root-or-home | 1 | 0 | 0 | 0 |');
    expect(section).toContain('| dump-environment | 0 | 1 | 0 | 0 |');
    expect(section).toMatch(/\| rm-rf-root-or-home \| Bash \| main \| yes \| Recursive forced delete/);
  });

  it("counts the Claude Code hook's guardrail alerts as decisions; other alerts are not", async () => {
    const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
    const observer = createObserver({ storage: false, analyzers: [alertsAnalyzer({ rules: [] })] });
    // As the hook stores them: a block and an alert-only answer, then an alert of another engine's rule.
    const hookAlert = (rule: string, action: string, toolName: string) =>
      observer.emit({ type: 'alert', severity: 'warning', sessionId: 's1', agentId: 'main', timestamp: T0, payload: { rule: `guardrail.${rule}`, message: `${rule} said ${action}`, details: { toolName, action } } });
    hookAlert('rm-rf-root-or-home', 'block', 'Bash');
    hookAlert('dump-environment', 'alert', 'Bash');
    observer.emit({ type: 'alert', severity: 'error', timestamp: T0, payload: { rule: 'burst', message: '5 failed' } });
    await observer.flush();
    const snapshot = observer.snapshot().alerts as AlertsSnapshot;
    await observer.close();
    expect(snapshot.guardrails.decisions).toBe(2);
    expect(snapshot.guardrails.blocks).toBe(1);
    expect(snapshot.guardrails.byRule).toEqual({ 'rm-rf-root-or-home': { block: 1, alert: 0, redact: 0, log: 0 }, 'dump-environment': { block: 0, alert: 1, redact: 0, log: 0 } });
    expect(snapshot.guardrails.recentBlocks).toEqual([{ rule: 'rm-rf-root-or-home', toolName: 'Bash', reason: 'rm-rf-root-or-home said block', at: T0, sessionId: 's1', agentId: 'main', enforced: true }]);
    expect(snapshot.counts.fired).toBe(0);
  });

  it('no section without the alerts analyzer', async () => {
    const observer = createObserver({ storage: false });
    const report = await observer.report();
    await observer.close();
    expect(report).not.toContain('## Alerts and guardrail blocks');
  });
});
