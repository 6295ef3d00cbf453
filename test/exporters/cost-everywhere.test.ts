/**
 * The same prices reach every way out: one priced `claude-sonnet-4-5` call appears in the cost
 * analyzer's snapshot, in the Prometheus cost series (checked by promtool) and in the OTel
 * span's `fleetscope.cost_usd`, with the same figure; calls of unknown cost appear as unknown
 * everywhere, never as $0.
 */
import { spawnSync } from 'node:child_process';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { costAnalyzer, type CostSnapshot } from '../../src/analyzers/cost.js';
import { otelExporter } from '../../src/exporters/otel.js';
import { prometheusExporter } from '../../src/exporters/prometheus.js';
import { systemTool } from '../support/system-tool.js';

const hasPromtool = systemTool('promtool', ['--version'], 'Debian package `prometheus`; without it the cost series are NOT validated by the real tool');

const calls = [
  // Sonnet 4.5: 100,000 × $3 + 20,000 × $15 = $0.60 (the example).
  { agentId: 'planner', payload: { model: 'claude-sonnet-4-5', status: 'success', inputTokens: 100_000, outputTokens: 20_000, latencyMs: 900 } },
  // gpt-4o with cache: 1,000 × $2.50 + 4,000 × $1.25 + 100 × $10 = 8,500 µ$.
  { agentId: 'coder', payload: { model: 'gpt-4o-2024-08-06', status: 'success', inputTokens: 1000, cacheReadTokens: 4000, outputTokens: 100, latencyMs: 400 } },
  // Host-supplied cost wins over the table.
  { agentId: 'coder', payload: { model: 'gpt-4o', status: 'success', inputTokens: 10, outputTokens: 10, costUsd: 0.25, latencyMs: 100 } },
  // Unknown: a stream without usage, and a model without a price.
  { agentId: 'coder', payload: { model: 'gpt-4o', status: 'success', latencyMs: 100, stream: true } },
  { agentId: 'coder', payload: { model: 'gpt-4o-overloaded', status: 'success', inputTokens: 5, outputTokens: 5, latencyMs: 100 } },
] as const;

describe('cost in every way out', () => {
  it('Prometheus, OTel and the cost analyzer show the same known cost and the same unknowns', async () => {
    const prometheus = prometheusExporter();
    const spans = new InMemorySpanExporter();
    const otel = otelExporter({ exporter: spans });
    const observer = createObserver({ storage: false, analyzers: [costAnalyzer()], exporters: [prometheus, otel] });
    let i = 0;
    for (const c of calls) observer.emit({ type: 'llm.call', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: `00000000000000${String(++i).padStart(2, '0')}`, ...c } as never);
    await observer.flush();
    const cost = observer.snapshot().cost as CostSnapshot;
    // 0.60 + 0.0085 + 0.25
    expect(cost.totalUsd).toBeCloseTo(0.8585, 9);
    expect(cost).toMatchObject({ pricedCalls: 3, unpricedCalls: 2, noUsageCalls: 1 });

    const text = prometheus.metrics();
    const sample = (line: string) => Number(text.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1]);
    expect(sample('fleetscope_llm_cost_usd_total{model="claude-sonnet-4-5",agent="planner"}')).toBeCloseTo(0.6, 12);
    expect(sample('fleetscope_llm_cost_usd_total{model="gpt-4o-2024-08-06",agent="coder"}')).toBeCloseTo(0.0085, 12);
    expect(sample('fleetscope_llm_cost_usd_total{model="gpt-4o",agent="coder"}')).toBeCloseTo(0.25, 12);
    expect(sample('fleetscope_llm_unknown_cost_calls_total{model="gpt-4o",agent="coder",reason="no_usage"}')).toBe(1);
    expect(sample('fleetscope_llm_unknown_cost_calls_total{model="gpt-4o-overloaded",agent="coder",reason="no_price"}')).toBe(1);
    expect(text).not.toContain('fleetscope_llm_cost_usd_total{model="gpt-4o-overloaded"');
    if (hasPromtool) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${check.stdout}${check.stderr}`).toBe('');
      expect(check.status).toBe(0);
    }

    await otel.flush?.();
    const byModel = spans.getFinishedSpans().map((s) => [s.attributes['gen_ai.request.model'], s.attributes['fleetscope.cost_usd']]);
    expect(byModel).toHaveLength(5);
    expect(byModel[0]![1]).toBeCloseTo(0.6, 12);
    expect(byModel[1]![1]).toBeCloseTo(0.0085, 12);
    expect(byModel[2]![1]).toBe(0.25);
    expect(byModel[3]![1]).toBeUndefined();
    expect(byModel[4]![1]).toBeUndefined();
    await observer.close();
  });

  it('1-hour cache writes are priced at 2x input alike everywhere, and the token series count them once', async () => {
    const prometheus = prometheusExporter();
    const spans = new InMemorySpanExporter();
    const otel = otelExporter({ exporter: spans });
    const observer = createObserver({ storage: false, analyzers: [costAnalyzer()], exporters: [prometheus, otel] });
    // 1000 × $3 + 250 × $3.75 (5-minute writes) + 150 × $6 (1-hour writes) = 4837.5 µ$
    const payload = { model: 'claude-sonnet-4-5', status: 'success', inputTokens: 1000, cacheWriteTokens: 400, cacheWrite1hTokens: 150 };
    observer.emit({ type: 'llm.call', agentId: 'planner', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '0000000000000001', payload } as never);
    await observer.flush();
    expect((observer.snapshot().cost as CostSnapshot).totalUsd).toBeCloseTo(0.0048375, 12);
    const text = prometheus.metrics();
    const sample = (line: string) => Number(text.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1]);
    expect(sample('fleetscope_llm_cost_usd_total{model="claude-sonnet-4-5",agent="planner"}')).toBeCloseTo(0.0048375, 12);
    expect(sample('fleetscope_llm_tokens_total{model="claude-sonnet-4-5",agent="planner",kind="cache_write"}')).toBe(400);
    await otel.flush?.();
    const [span] = spans.getFinishedSpans();
    expect(span!.attributes['fleetscope.cost_usd']).toBeCloseTo(0.0048375, 12);
    expect(span!.attributes['gen_ai.usage.cache_creation.input_tokens']).toBe(400);
    expect(span!.attributes['fleetscope.usage.cache_creation_1h.input_tokens']).toBe(150);
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBe(1400);
    await observer.close();
  });

  it('pricing: false counts only host-supplied costs; a bad table throws at construction', () => {
    const prometheus = prometheusExporter({ pricing: false });
    expect(() => prometheusExporter({ pricing: { m: { input: -1, output: 1 } } })).toThrow(/\[fleetscope\] \[prometheus\] pricing\["m"\]\.input/);
    expect(() => otelExporter({ pricing: { m: { input: 1 } as never } })).toThrow(/\[fleetscope\] \[otel\] pricing\["m"\]\.output/);
    void prometheus.export([{ id: 'e1', timestamp: 1, severity: 'info', source: 'host', sessionId: 's', agentId: 'a', type: 'llm.call', payload: { model: 'gpt-4o', status: 'success', inputTokens: 1000 } } as never]);
    expect(prometheus.metrics()).toContain('fleetscope_llm_unknown_cost_calls_total{model="gpt-4o",agent="a",reason="no_price"} 1');
  });
});
