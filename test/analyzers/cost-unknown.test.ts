import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { aggregationAnalyzer, type AggregationAnalyzerSnapshot } from '../../src/analyzers/aggregation.js';
import { costAnalyzer, type CostSnapshot } from '../../src/analyzers/cost.js';
import { sessionsAnalyzer, type SessionsSnapshot } from '../../src/analyzers/sessions.js';
import { defaultAnalyzers } from '../../src/analyzers/index.js';
import { DEFAULT_PRICING, findModelPrice } from '../../src/analyzers/pricing.js';

const T0 = 1_700_002_800_000;

describe('cost is never silently wrong', () => {
  it('prices by prefix only when what follows is a version, and says how each model was matched', () => {
    expect(findModelPrice(DEFAULT_PRICING, 'gpt-4o')).toMatchObject({ key: 'gpt-4o', matchedBy: 'exact' });
    expect(findModelPrice(DEFAULT_PRICING, 'openai/gpt-4o-2024-08-06')).toMatchObject({ key: 'gpt-4o', matchedBy: 'normalized' });
    expect(findModelPrice(DEFAULT_PRICING, 'claude-4-5-sonnet-20250929')).toMatchObject({ key: 'claude-sonnet-4-5', matchedBy: 'alias' });
    expect(findModelPrice(DEFAULT_PRICING, 'gemini-2.5-pro-preview-06-05')).toMatchObject({ key: 'gemini-2.5-pro', matchedBy: 'prefix' });
    expect(findModelPrice(DEFAULT_PRICING, 'gpt-4-0613')).toMatchObject({ key: 'gpt-4', matchedBy: 'prefix' });
    // Names that only share a prefix with a real model are other models: not priced.
    expect(findModelPrice(DEFAULT_PRICING, 'gpt-4o-overloaded')).toBeUndefined();
    expect(findModelPrice(DEFAULT_PRICING, 'gpt-4o-audio-preview')).toBeUndefined();
    expect(findModelPrice(DEFAULT_PRICING, 'claude-sonnet-4-5-turbo')).toBeUndefined();
  });

  it('counts a call without usage as unknown cost, not $0, and names it in the headline and a finding', async () => {
    const observer = createObserver({ storage: false, analyzers: defaultAnalyzers(), clock: () => T0 + 60_000 });
    const call = (model: string, tokens: Record<string, number>, agentId = 'main') =>
      observer.emit({ type: 'llm.call', timestamp: T0, agentId, payload: { model, status: 'success', latencyMs: 100, ...tokens } });
    // gpt-4o: $2.50 in, $10 out, $1.25 cache read per million → 1000×2.5 + 2000×1.25 + 100×10 = 6000 µ$.
    call('gpt-4o-2024-08-06', { inputTokens: 1000, cacheReadTokens: 2000, outputTokens: 100 });
    // A stream without include_usage: no counts at all → unknown cost.
    call('gpt-4o', {});
    // Not gpt-4o: unpriced.
    call('gpt-4o-overloaded', { inputTokens: 100, outputTokens: 10 });
    // Sonnet 4.5 through an alias: 1000×3 + 100×15 = 4500 µ$.
    call('claude-4-5-sonnet', { inputTokens: 1000, outputTokens: 100 }, 'helper');
    // Gemini 2.5 Pro by prefix: 2000×1.25 = 2500 µ$.
    call('gemini-2.5-pro-preview-06-05', { inputTokens: 2000 });
    await observer.flush();
    const cost = observer.snapshot().cost as CostSnapshot;
    expect(cost.totalUsd).toBeCloseTo(0.013, 12);
    expect(cost).toMatchObject({ calls: 5, pricedCalls: 3, unpricedCalls: 2, noUsageCalls: 1 });
    expect(cost.noUsage).toEqual([{ model: 'gpt-4o', calls: 1 }]);
    expect(cost.unpriced.map((u) => u.model)).toEqual(['gpt-4o-overloaded']);
    expect(cost.byModel['gpt-4o']).toMatchObject({ calls: 1, unpricedCalls: 1, costUsd: 0 });
    expect(cost.byModel['gpt-4o']!.matchedBy).toBeUndefined();
    expect(cost.byModel['gpt-4o-2024-08-06']).toMatchObject({ pricedAs: 'gpt-4o', matchedBy: 'normalized' });
    expect(cost.byModel['claude-4-5-sonnet']).toMatchObject({ pricedAs: 'claude-sonnet-4-5', matchedBy: 'alias' });
    expect(cost.byModel['gemini-2.5-pro-preview-06-05']).toMatchObject({ pricedAs: 'gemini-2.5-pro', matchedBy: 'prefix' });
    const finding = cost.findings.find((f) => f.kind === 'cost.no_usage');
    expect(finding?.title).toMatch(/^1 LLM call\(s\) carried no usage.*include_usage/);
    expect(finding?.evidence).toEqual({ calls: 1, models: 'gpt-4o (1)' });
    const report = await observer.report();
    expect(report).toContain('| Cost (known) | $0.0130 over 3 LLM calls — plus 2 unpriced (unknown cost; 1 without usage) |');
    await observer.close();
  });

  it('a call with costUsd and no tokens is a known cost', async () => {
    const observer = createObserver({ storage: false, analyzers: [costAnalyzer()] });
    observer.emit({ type: 'llm.call', payload: { model: 'gpt-4o', status: 'success', costUsd: 0.25 } });
    await observer.flush();
    expect(observer.snapshot().cost).toMatchObject({ totalUsd: 0.25, pricedCalls: 1, unpricedCalls: 0, noUsageCalls: 0 });
    await observer.close();
  });

  // Found by QA (AI SDK 6 against a provider answering 429): two failed attempts without usage were
  // reported as "streams without include_usage, or an instrumentation that drops token counts".
  it('names the failed calls among the calls without usage', async () => {
    const observer = createObserver({ storage: false, analyzers: [costAnalyzer()] });
    for (const status of ['error', 'error', 'success'] as const) observer.emit({ type: 'llm.call', timestamp: T0, payload: { model: 'gpt-4o', status } });
    await observer.flush();
    const finding = (observer.snapshot().cost as CostSnapshot).findings.find((f) => f.kind === 'cost.no_usage')!;
    expect(finding.title).toBe(
      '3 LLM call(s) carried no usage, so their cost is unknown (not $0): 2 of them failed (a refused request is usually not billed); otherwise streams without `stream_options: { include_usage: true }`, or an instrumentation that drops token counts',
    );
    expect(finding.evidence).toEqual({ calls: 3, failed: 2, models: 'gpt-4o (3)' });
    await observer.close();
  });

  // Found by QA (`fleetscope sessions` after a stream without include_usage): the sessions analyzer
  // priced the call at a known $0 while the cost analyzer called it unknown.
  it('the sessions analyzer counts a call without usage as unpriced, as the cost analyzer does', async () => {
    const observer = createObserver({ storage: false, analyzers: [sessionsAnalyzer()] });
    const call = (tokens: Record<string, number>) => observer.emit({ type: 'llm.call', timestamp: T0, sessionId: 's-1', payload: { model: 'gpt-4o', status: 'success', ...tokens } });
    call({ inputTokens: 1000, cacheReadTokens: 2000, outputTokens: 100 }); // 6,000 µ$ (as above)
    call({});
    await observer.flush();
    const session = (observer.snapshot().sessions as SessionsSnapshot).sessions[0]!;
    expect(session).toMatchObject({ llmCalls: 2, pricedCalls: 1, unpricedCalls: 1 });
    expect(session.costUsd).toBeCloseTo(0.006, 12);
    await observer.close();
  });
});

describe('clock skew tolerance', () => {
  const run = async (options: Parameters<typeof aggregationAnalyzer>[0]) => {
    const observer = createObserver({ storage: false, analyzers: [aggregationAnalyzer(options)], clock: () => T0 });
    // An OTel span end a fraction of a millisecond (and 900 ms) after the clock, then 1.5 s after.
    for (const ahead of [0.4, 900, 1500]) {
      observer.emit({ type: 'tool.end', timestamp: T0 + ahead, payload: { toolName: 't', status: 'success', durationMs: 5 } });
    }
    await observer.flush();
    const s = observer.snapshot().aggregation as AggregationAnalyzerSnapshot;
    await observer.close();
    return s;
  };

  it('tolerates 1 s by default: only the event 1.5 s ahead is skew', async () => {
    const s = await run({});
    expect(s.dataQuality.futureTimestamps).toBe(1);
    expect(s.findings.find((f) => f.kind === 'aggregation.clock_skew')?.evidence).toEqual({ futureTimestamps: 1 });
  });

  it('is configurable, and 0 restores the strict check', async () => {
    expect((await run({ clockSkewToleranceMs: 0 })).dataQuality.futureTimestamps).toBe(3);
    expect((await run({ clockSkewToleranceMs: 2000 })).findings.some((f) => f.kind === 'aggregation.clock_skew')).toBe(false);
    expect(() => aggregationAnalyzer({ clockSkewToleranceMs: -1 })).toThrow(/clockSkewToleranceMs/);
  });
});
