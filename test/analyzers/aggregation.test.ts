import { quantile } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { aggregationAnalyzer, type AggregationAnalyzerSnapshot } from '../../src/analyzers/aggregation.js';

/** A round hour, so that every window's slots start at t0. */
const T0 = 1_700_002_800_000;

function setup(options: Parameters<typeof aggregationAnalyzer>[0] = {}) {
  let now = T0;
  const observer = createObserver({ analyzers: [aggregationAnalyzer(options)], storage: false, clock: () => now });
  return {
    observer,
    setNow: (t: number) => {
      now = t;
    },
    snap: () => observer.snapshot().aggregation as AggregationAnalyzerSnapshot,
  };
}

describe('aggregationAnalyzer', () => {
  it('computes latency, rates, tokens and cost in windows that roll over', async () => {
    const { observer, setNow, snap } = setup();
    setNow(T0 + 10_000);
    // 10 calls of "search": 100, 200, ..., 1000 ms, one per second; calls 3 and 7 fail.
    for (let i = 0; i < 10; i++) {
      observer.emit({
        type: 'tool.end',
        timestamp: T0 + i * 1000,
        payload: { toolName: 'search', status: i === 3 || i === 7 ? 'error' : 'success', durationMs: (i + 1) * 100 },
      });
    }
    observer.emit({
      type: 'llm.call',
      timestamp: T0 + 9_000,
      payload: { model: 'm1', status: 'success', latencyMs: 800, inputTokens: 100, outputTokens: 50, cacheReadTokens: 1000, cacheWriteTokens: 10, costUsd: 0.25 },
    });
    // Unknown cost: counted as unpriced, never as $0.
    observer.emit({ type: 'llm.call', timestamp: T0 + 9_500, payload: { model: 'm1', status: 'error', latencyMs: 400, inputTokens: 7 } });
    await observer.flush();

    let s = snap();
    const w1 = s.windows['1m']!;
    expect(w1.events).toBe(12);
    // 12 events over the 10 s since the first one.
    expect(w1.eventsPerSecond).toBe(1.2);
    expect(w1.byType).toEqual({ 'tool.end': 10, 'llm.call': 2 });
    const search = w1.tools.search!;
    expect(search.operation).toBe('tool:search');
    expect(search.latency.count).toBe(10);
    expect(search.latency.mean).toBe(550);
    expect(search.latency.max).toBe(1000);
    // Exact quantiles as simple-statistics computes them (linear between order statistics,
    // h = q·(n − 1) over 100, 200, …, 1000): p50 h = 4.5 → 500 + 0.5·100 = 550;
    // p95 h = 8.55 → 900 + 0.55·100 = 955; p99 h = 8.91 → 991 (each ±1%).
    expect(Math.abs(search.latency.p50 - 550) / 550).toBeLessThanOrEqual(0.01);
    expect(Math.abs(search.latency.p95 - 955) / 955).toBeLessThanOrEqual(0.01);
    expect(Math.abs(search.latency.p99 - 991) / 991).toBeLessThanOrEqual(0.01);
    expect(search.successes).toBe(8);
    expect(search.errors).toBe(2);
    expect(search.errorRate).toBe(0.2);
    const m1 = w1.models.m1!;
    expect(m1.tokens).toEqual({ input: 107, output: 50, cacheRead: 1000, cacheWrite: 10 });
    expect(m1.costUsd).toBe(0.25);
    expect(m1.unpricedCalls).toBe(1);
    expect(w1.costUsd).toBe(0.25);
    expect((w1 as { unpricedCalls?: number }).unpricedCalls).toBe(1);
    // 9 successes, 3 errors over tools and LLM calls.
    expect(w1.errorRate).toBe(0.25);
    expect(w1.successRate).toBe(0.75);
    expect(s.quantileRelativeError).toBe(0.01);

    // Two minutes later the 1-minute window is empty; the 5-minute one still holds everything.
    setNow(T0 + 130_000);
    s = snap();
    expect(s.windows['1m']!.events).toBe(0);
    expect(s.windows['1m']!.tools).toEqual({});
    expect(s.windows['5m']!.events).toBe(12);
    expect(s.windows['5m']!.tools.search!.latency.count).toBe(10);

    // Two hours later only the cumulative figures remain.
    setNow(T0 + 7_200_000);
    s = snap();
    for (const label of ['1m', '5m', '15m', '1h']) expect(s.windows[label]!.events).toBe(0);
    expect(s.cumulative.events).toBe(12);
    expect(s.cumulative.windowMs).toBeNull();
    expect(s.cumulative.tools.search!.latency.mean).toBe(550);

    // New events after the roll-over land in fresh slots.
    observer.emit({ type: 'tool.end', timestamp: T0 + 7_199_000, payload: { toolName: 'search', status: 'success', durationMs: 40 } });
    await observer.flush();
    s = snap();
    expect(s.windows['1m']!.tools.search!.latency).toEqual({ count: 1, mean: 40, p50: 40, p95: 40, p99: 40, max: 40 });
    expect(s.cumulative.tools.search!.latency.count).toBe(11);
    await observer.close();
  });

  it('honours configured windows', async () => {
    const { observer, setNow, snap } = setup({ windows: { '10s': 10_000 }, slotsPerWindow: 10 });
    setNow(T0 + 5_000);
    observer.emit({ type: 'agent.end', timestamp: T0, payload: { name: 'planner', status: 'success', durationMs: 3000 } });
    await observer.flush();
    expect(Object.keys(snap().windows)).toEqual(['10s']);
    expect(snap().windows['10s']!.agents.planner!.latency.count).toBe(1);
    setNow(T0 + 11_000);
    expect(snap().windows['10s']!.agents).toEqual({});
    await observer.close();
  });

  it('copes with bad input: missing, negative and absurd durations, unmatched and unfinished spans, clock skew', async () => {
    const { observer, setNow, snap } = setup();
    setNow(T0 + 600_000);
    const ok = (ms: number, t: number) =>
      observer.emit({ type: 'tool.end', timestamp: t, payload: { toolName: 'read', status: 'success', durationMs: ms } });
    ok(100, T0 + 599_000);
    ok(300, T0 + 599_000);
    // Missing duration: counted as an outcome, not as a latency.
    observer.emit({ type: 'tool.end', timestamp: T0 + 599_000, payload: { toolName: 'read', status: 'success' } });
    // Absurd: two days. Left out of the percentiles.
    ok(2 * 86_400_000, T0 + 599_000);
    // Negative: rejected at the door.
    expect(ok(-5, T0 + 599_000)).toBeUndefined();
    // Clock skew: an agent whose clock is an hour ahead; clamped to now, so it is in the 1m window.
    ok(200, T0 + 600_000 + 3_600_000);
    // Ten minutes old: not in the 1m or 5m window, in 15m.
    ok(50, T0);
    // A start that never ends, and a session that is still running.
    observer.emit({ type: 'tool.start', timestamp: T0, spanId: 'aaaaaaaaaaaaaaaa', payload: { toolName: 'hang' } });
    observer.emit({ type: 'session.start', timestamp: T0 + 599_000, spanId: 'bbbbbbbbbbbbbbbb', workflowId: 'wf', payload: {} });
    observer.emit({ type: 'agent.start', timestamp: T0 + 599_000, spanId: 'cccccccccccccccc', workflowId: 'wf', payload: { name: 'a' } });
    // An end whose start was never seen.
    observer.emit({ type: 'agent.end', timestamp: T0 + 599_000, spanId: 'dddddddddddddddd', payload: { name: 'b', status: 'success', durationMs: 10 } });
    await observer.flush();

    let s = snap();
    expect(observer.stats().events.invalid).toBe(1);
    const w1 = s.windows['1m']!.tools.read!;
    // 100, 300, 200 (the skewed one): the missing and absurd durations are not in the latency.
    expect(w1.latency.count).toBe(3);
    expect(w1.latency.mean).toBe(200);
    expect(w1.latency.max).toBe(300);
    expect(w1.successes).toBe(5);
    expect(s.windows['5m']!.tools.read!.latency.count).toBe(3);
    expect(s.windows['15m']!.tools.read!.latency.count).toBe(4);
    // Unmatched ends: the 6 tool.end events (none had a start) and the agent.end.
    expect(s.dataQuality).toMatchObject({ absurdDurations: 1, missingDurations: 1, futureTimestamps: 1, unmatchedEnds: 7 });
    expect(s.active).toEqual({ sessions: 1, agents: 1, workflows: 1 });
    // The tool started 10 minutes ago is not yet stale (horizon 1 h).
    expect(s.dataQuality.unfinished).toEqual({ sessions: 0, agents: 0, tools: 0 });
    expect(s.findings.map((f) => f.kind).sort()).toEqual(['aggregation.absurd_durations', 'aggregation.clock_skew']);

    setNow(T0 + 600_000 + 3_600_001);
    s = snap();
    expect(s.dataQuality.unfinished).toEqual({ sessions: 1, agents: 1, tools: 1 });
    expect(s.active).toEqual({ sessions: 0, agents: 0, workflows: 0 });
    expect(s.findings.find((f) => f.kind === 'aggregation.unfinished_spans')?.evidence).toEqual({ sessions: 1, agents: 1, tools: 1 });
    // The snapshot is plain JSON.
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    await observer.close();
  });

  it('bounds the number of operations', async () => {
    const { observer, snap } = setup({ maxOperations: 2 });
    for (const name of ['a', 'b', 'c', 'd']) {
      observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: name, status: 'success', durationMs: 1 } });
    }
    await observer.flush();
    const s = snap();
    expect(Object.keys(s.cumulative.tools).sort()).toEqual(['(other)', 'a', 'b']);
    expect(s.cumulative.tools['(other)']!.successes).toBe(2);
    expect(s.dataQuality.operationsOverflow).toBe(2);
    await observer.close();
  });

  it('opens no span for a tool call that cannot be paired (no span id, no call id): open sessions are not pushed out', async () => {
    const { observer, snap } = setup({ maxOpenSpans: 2 });
    observer.emit({ type: 'session.start', timestamp: T0, spanId: 'bbbbbbbbbbbbbbbb', workflowId: 'wf', payload: {} });
    for (let i = 0; i < 5; i++) observer.emit({ type: 'tool.start', timestamp: T0, payload: { toolName: 'read' } });
    // A call id pairs start and end: opened, then closed.
    observer.emit({ type: 'tool.start', timestamp: T0, payload: { toolName: 'read', toolCallId: 'c1' } });
    observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 'read', toolCallId: 'c1', status: 'success', durationMs: 5 } });
    // Without either, an end is unmatched.
    observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 'read', status: 'success', durationMs: 5 } });
    await observer.flush();
    const s = snap();
    expect(s.active).toEqual({ sessions: 1, agents: 0, workflows: 1 });
    expect(s.dataQuality).toMatchObject({ openSpansDropped: 0, unmatchedEnds: 1 });
    await observer.close();
  });

  it('rejects bad options at construction', () => {
    expect(() => aggregationAnalyzer({ slotsPerWindow: 0 })).toThrow(/\[fleetscope\] \[aggregation\]/);
    expect(() => aggregationAnalyzer({ windows: { x: -1 } })).toThrow(/window "x"/);
  });

  it('window quantiles from the coarser sketch slots stay within 1% of the exact ones, with slots sampled never', async () => {
    const { observer, setNow, snap } = setup();
    // 6,000 latencies spanning 1 ms to 100 s, over the 50 minutes before now: inside every 1h sketch slot still live.
    const values: number[] = [];
    let x = 14;
    for (let i = 0; i < 6000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      values.push(Math.round(Math.exp((x / 2 ** 31) * Math.log(100_000))));
    }
    setNow(T0 + 3_600_000);
    observer.emitMany(values.map((durationMs, i) => ({ type: 'tool.end' as const, timestamp: T0 + 600_000 + i * 500, payload: { toolName: 'read', status: 'success' as const, durationMs } })));
    await observer.flush();
    const s = snap();
    const latency = s.windows['1h']!.tools.read!.latency;
    expect(latency.count).toBe(6000);
    for (const [q, got] of [[0.5, latency.p50], [0.95, latency.p95], [0.99, latency.p99]] as const) {
      const exact = quantile(values, q);
      expect(Math.abs(got - exact) / exact, `p${q * 100}`).toBeLessThanOrEqual(0.01);
    }
    expect(s.dataQuality.sampledSlots).toBe(0);
    expect(s.dataQuality.sketchBytes).toBeGreaterThan(0);
    await observer.close();
  });
});
