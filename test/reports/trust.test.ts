/**
 * Figures a reviewer reads in a report: units in titles, p-values as `p < 0.001`, anomaly findings
 * naming their events, Σ over leaf executions only. Every expected figure is computed by hand.
 */
import { describe, expect, it } from 'vitest';
import { createObserver, renderMarkdownReport, type FleetEvent } from 'fleetscope';
import { anomaliesAnalyzer, bottlenecksAnalyzer, defaultAnalyzers, fleetAnalyzer, type AnomaliesSnapshot, type BottlenecksSnapshot } from 'fleetscope/analyzers';
import { renderHtmlReport } from 'fleetscope/reports';
import { findingOf } from '../../src/analyzers/regressions-baseline.js';
import { BUILTIN_RULES } from '../../src/analyzers/insight-rules.js';
import { pClause, pValueText, msText } from '../../src/analyzers/figures.js';
import { evidenceEntries, evidenceLine } from '../../src/reports/evidence.js';
import type { Regression } from '../../src/analyzers/types.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

describe('figures in titles and evidence', () => {
  it('p-values: < 0.001 for tiny ones (0 and 1.2e-17 included), three decimals otherwise', () => {
    expect([0, 1.2e-17, 0.000999, 0.001, 0.0047, 0.5].map(pValueText)).toEqual(['< 0.001', '< 0.001', '< 0.001', '0.001', '0.005', '0.500']);
    expect(pClause(1.2e-17)).toBe('p < 0.001');
    expect(pClause(0.0047)).toBe('p = 0.005');
    expect([7.46, 192.306, 999.4, 1437].map(msText)).toEqual(['7.5 ms', '192 ms', '999 ms', '1.4 s']);
  });

  const regression = (r: Partial<Regression>): Regression => ({
    operation: 'tool:fetch_url',
    metric: 'latency_p95',
    baseline: 102.587,
    current: 219.271,
    change: 1.137,
    classification: 'severe',
    pValue: 0,
    samples: 12,
    ...r,
  });

  it('a regression title gives its figures with their unit and its p-value, as the recommendation does', () => {
    const latency = findingOf(regression({}));
    // 102.587 ms → 103 ms, 219.271 ms → 219 ms; change 1.137 → +114%.
    expect(latency.title).toBe('tool:fetch_url latency p95 up 114% vs baseline (103 ms → 219 ms, severe, p < 0.001)');
    const tokens = findingOf(regression({ operation: 'llm:m', metric: 'tokens_mean', baseline: 1200, current: 1800.4, change: 0.5, classification: 'moderate', pValue: 0.0047 }));
    expect(tokens.title).toBe('llm:m tokens mean up 50% vs baseline (1,200 tokens → 1,800 tokens, moderate, p = 0.005)');
    const rule = BUILTIN_RULES.find((r) => r.id === 'performance.regression')!;
    const text = typeof rule.recommendation === 'function' ? rule.recommendation(latency) : rule.recommendation;
    expect(text).toContain('(+114%, p < 0.001)');
    expect(text).not.toContain('p = <');
  });

  it('evidence: units on durations, dollars and rates, p as in the text, impact and effort left to their own lines', () => {
    const evidence = { durationMs: 193.884, pValue: 0, costUsd: 0.5109, failureRate: 0.545, count: 3, impact: 'x', effort: 'low', nested: { a: 1 } };
    expect(evidenceEntries(evidence, 10)).toEqual([
      ['durationMs', '194 ms'],
      ['p', '< 0.001'],
      ['costUsd', '$0.5109'],
      ['failureRate', '55%'],
      ['count', '3'],
    ]);
    expect(evidenceLine(evidence, 10)).toBe('durationMs=194 ms, p < 0.001, costUsd=$0.5109, failureRate=55%, count=3');
    expect(evidenceLine({ pValue: 0.0047, samples: 6 }, 10)).toBe('p = 0.005, samples=6');
  });
});

describe('resource pressure titles carry the metric unit', () => {
  it('% for CPU, MiB / GiB for bytes', async () => {
    const observer = createObserver({ analyzers: [bottlenecksAnalyzer()], storage: false, clock: () => T0 + 60_000 });
    // CPU: 3 of 4 samples over 80 % (75%), max 97.5 %; RSS: 4 of 4 over 1.5 GiB, max 2 GiB.
    for (const [i, v] of [90, 97.5, 50, 85].entries()) observer.emit({ type: 'metric', timestamp: T0 + i * 1000, payload: { name: 'process.cpu.percent', kind: 'gauge', unit: '%', value: v } });
    for (let i = 0; i < 4; i++) observer.emit({ type: 'metric', timestamp: T0 + i * 1000, payload: { name: 'process.memory.rss', kind: 'gauge', unit: 'By', value: 1.6 * 2 ** 30 + i * (0.4 / 3) * 2 ** 30 } });
    await observer.flush();
    const titles = (observer.snapshot().bottlenecks as BottlenecksSnapshot).findings.map((f) => f.title);
    await observer.close();
    expect(titles).toContain('process.cpu.percent above 80 % in 75% of 4 samples (max 97.5 %)');
    expect(titles).toContain('process.memory.rss above 1.5 GiB in 100% of 4 samples (max 2.0 GiB)');
  });
});

describe('anomaly findings name the events they are based on', () => {
  it('the most anomalous event first, then up to five', async () => {
    const observer = createObserver({ analyzers: [anomaliesAnalyzer({ isolationForest: false })], storage: false, clock: () => T0 });
    // 40 calls at 90..110 ms, then outliers of 5,000 ms and 20,000 ms.
    const history = Array.from({ length: 40 }, (_, i) => 90 + (i % 5) * 5);
    for (const ms of history) observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 'bash', status: 'success', durationMs: ms } });
    const five = observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 'bash', status: 'success', durationMs: 5000 } })!;
    const twenty = observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 'bash', status: 'success', durationMs: 20_000 } })!;
    await observer.flush();
    const [finding] = (observer.snapshot().anomalies as AnomaliesSnapshot).findings;
    await observer.close();
    // By hand: z of ln(1+x) against the values before it (sample sd). 5,000 ms: z ≈ 55 against the
    // 40; 20,000 ms: against the 41 (5,000 included, which widens the sd), z ≈ 6.4: 5,000 ms first.
    const z = (x: number, before: number[]) => {
      const logs = before.map(Math.log1p);
      const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
      const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
      return (Math.log1p(x) - mean) / sd;
    };
    expect(z(5000, history)).toBeGreaterThan(z(20_000, [...history, 5000]));
    expect(finding!.evidence).toMatchObject({ count: 2, method: 'zscore', eventId: five.id, eventIds: `${five.id}, ${twenty.id}` });
    const title = /^2 anomalous tool:bash events \(\|z-score\| up to ([\d.]+); most anomalous: event (\S+)\)$/.exec(finding!.title);
    expect(title?.[2]).toBe(five.id);
    expect(Number(title?.[1])).toBeCloseTo(z(5000, history), 1);
  });
});

describe('the HTML report links an anomaly insight to its events', () => {
  it('the insight lists the event ids of its evidence as links to their anchors', async () => {
    const observer = createObserver({ analyzers: defaultAnalyzers(), storage: false, clock: () => T0 });
    const events: FleetEvent[] = [];
    for (let i = 0; i < 40; i++) events.push(observer.emit({ type: 'tool.end', timestamp: T0, sessionId: 's1', payload: { toolName: 'bash', status: 'success', durationMs: 90 + (i % 5) * 5 } })!);
    const outlier = observer.emit({ type: 'tool.end', timestamp: T0, sessionId: 's1', payload: { toolName: 'bash', status: 'success', durationMs: 5000 } })!;
    events.push(outlier);
    await observer.flush();
    const html = renderHtmlReport({ title: 't', generatedAt: T0, snapshots: observer.snapshot(), stats: observer.stats(), events });
    await observer.close();
    const insight = /<li class="insight[^"]*" data-rule="anomaly\.outlier"[\s\S]*?<\/li>/.exec(html)?.[0] ?? '';
    expect(insight).toContain(`most anomalous: event ${outlier.id}`);
    expect(insight).toContain(`<a href="#ev-${outlier.id}" data-event="${outlier.id}">`);
  });
});

describe('workflow tables', () => {
  it('Σ execution sums leaf executions only: a parent covering its children is not added again', async () => {
    const observer = createObserver({ analyzers: [fleetAnalyzer()], storage: false, clock: () => T0 + 60_000 });
    const span = (n: number) => n.toString(16).padStart(16, '0');
    const agent = (n: number, name: string, start: number, end: number, parent?: number) => {
      const common = { sessionId: 's1', agentId: name, workflowId: 'wf-1', spanId: span(n), ...(parent === undefined ? {} : { parentSpanId: span(parent) }) };
      return [
        { ...common, type: 'agent.start', timestamp: T0 + start, payload: { name, ...(parent === undefined ? {} : { parentAgentId: 'planner' }) } },
        { ...common, type: 'agent.end', timestamp: T0 + end, payload: { name, status: 'success', durationMs: end - start } },
      ];
    };
    // planner [0, 10 s] runs worker-a [1 s, 4 s] then worker-b [5 s, 9 s]: leaves 3 s + 4 s = 7 s
    // (with the planner: 17 s, counted twice); sequential leaves → parallelization 0.
    const events = [...agent(1, 'planner', 0, 10_000), ...agent(2, 'worker-a', 1000, 4000, 1), ...agent(3, 'worker-b', 5000, 9000, 1)];
    for (const e of events.sort((a, b) => a.timestamp - b.timestamp)) observer.emit(e as never);
    await observer.flush();
    const report = renderMarkdownReport({ title: 't', generatedAt: T0, snapshots: observer.snapshot(), stats: observer.stats() });
    await observer.close();
    expect(report).toContain('| Workflow | State | Agents ok / failed / running | Wall clock | Σ leaf execution | Parallelization |');
    expect(report).toMatch(/\| wf-1 \| completed \| 3 \/ 0 \/ 0 \| 10\.00 s \| 7\.00 s \| 0\.00 \|/);
  });
});

describe('rates per hour need an hour observed', () => {
  it('12 calls over 1 minute: the impact names the minute, not "720 per hour"; over 2 hours the rate is given', async () => {
    const run = async (spanMs: number) => {
      const observer = createObserver({ analyzers: defaultAnalyzers(), storage: false, clock: () => T0 + spanMs });
      // 12 calls of fetch_url of 6,000 ms (over the 5 s slow-tool mean), spread evenly over spanMs (first at T0, last at T0 + spanMs).
      for (let i = 0; i < 12; i++) observer.emit({ type: 'tool.end', timestamp: T0 + (i * spanMs) / 11, sessionId: 's1', payload: { toolName: 'fetch_url', status: 'success', durationMs: 6000 } });
      await observer.flush();
      const report = await observer.report({ title: 't' });
      await observer.close();
      return report;
    };
    const minute = await run(60_000);
    expect(minute).toContain('12 calls of 6.0 s on average (over 1.0 min observed)');
    expect(minute).not.toContain('per hour');
    expect(minute).not.toContain('frequencyPerHour');
    // 12 calls over 2 h: 6.0 per hour.
    const twoHours = await run(7_200_000);
    expect(twoHours).toContain('12 calls of 6.0 s on average (6.0 per hour)');
  });
});
