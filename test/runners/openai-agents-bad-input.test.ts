/**
 * `openAIAgentsProcessor` fed hostile spans directly (as a buggy SDK version or a custom span
 * could give them): nothing throws into the SDK, every problem is counted with its reason, and a
 * call without usage (tracing without sensitive data) is of unknown cost, not $0.
 */
import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import type { EventInput } from '../../src/core/index.js';
import { costAnalyzer, type CostSnapshot } from '../../src/analyzers/index.js';
import { agentsSpanId, agentsTraceId, openAIAgentsProcessor, usageOfResponse, type AgentsSpanLike } from '../../src/runners/index.js';
import { PRICES } from './otel-frameworks-harness.js';

const TRACE = 'trace_0123456789abcdef0123456789abcdef';

function span(spanId: string, data: Record<string, unknown>, extra: Partial<Record<keyof AgentsSpanLike, unknown>> = {}): AgentsSpanLike {
  return {
    traceId: TRACE,
    spanId,
    parentId: null,
    spanData: data as AgentsSpanLike['spanData'],
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:01.500Z',
    error: null,
    ...extra,
  } as AgentsSpanLike;
}

describe('openAIAgentsProcessor on hostile input', () => {
  it('never throws (nor rejects) and counts each problem', async () => {
    const events: EventInput[] = [];
    const processor = openAIAgentsProcessor({ emit: (e) => events.push(e) }, { maxContentLength: 1000 });
    const hostile = Object.defineProperty({ traceId: TRACE, spanId: 'span_x', parentId: null }, 'spanData', {
      get() {
        throw new Error('getter boom');
      },
    }) as unknown as AgentsSpanLike;
    const inputs: unknown[] = [
      null,
      undefined,
      42,
      {},
      { traceId: TRACE, spanId: 7, spanData: { type: 'agent' } },
      hostile,
      span('span_bad_time', { type: 'function', name: 'f', input: '', output: '' }, { startedAt: 'yesterday', endedAt: null }),
      span('span_negative', { type: 'function', name: 'g', input: 'x'.repeat(10 * 1024 * 1024), output: '' }, { startedAt: '2026-01-01T00:00:05.000Z' }),
      span('span_wrong_usage', { type: 'response', _response: { model: 'gpt-4o', usage: { input_tokens: 'many', output_tokens: -3 } } }),
      span('span_unknown_kind', { type: 'speech_group' }),
      span('span_error_shapes', { type: 'function', name: 'h', input: '', output: '' }, { error: { message: 42, data: 'no' } }),
    ];
    for (const input of inputs) {
      for (const callback of [processor.onTraceStart, processor.onTraceEnd, processor.onSpanStart, processor.onSpanEnd] as ((x: unknown) => Promise<void>)[]) {
        await expect(callback(input)).resolves.toBeUndefined();
      }
    }
    const stats = processor.stats();
    expect(stats.invalid).toMatchObject({ 'missing-id': expect.any(Number), 'bad-time': 2, 'negative-duration': 1, 'wrong-type': 2, oversized: 1 });
    // null, undefined, 42, {}, the numeric span id: skipped twice each (start and end); the getter: counted an error.
    expect(stats.invalid['missing-id']).toBe(10);
    expect(stats.errors).toBe(2);
    expect(stats.lastError).toContain('getter boom');
    expect(stats).toMatchObject({ toolCalls: 3, llmCalls: 1, callsWithoutUsage: 1, ignored: 6 });
    const negative = events.find((e) => e.type === 'tool.end' && (e.payload as { toolName: string }).toolName === 'g')!;
    expect((negative.payload as { durationMs: number }).durationMs).toBe(0);
    expect(String((events.find((e) => e.type === 'tool.start' && (e.payload as { toolName: string }).toolName === 'g')!.payload as { input: string }).input)).toHaveLength(1001);
    expect((events.find((e) => e.type === 'tool.end' && (e.payload as { toolName: string }).toolName === 'h')!.payload as { error: string }).error).toBe('error');
  });

  it('counts a failing target instead of throwing, and stops after shutdown', async () => {
    const processor = openAIAgentsProcessor({
      emit: () => {
        throw new Error('sink down');
      },
    });
    await expect(processor.onSpanStart(span('span_0000000000000001aaaaaaaa', { type: 'agent', name: 'a' }))).resolves.toBeUndefined();
    await expect(processor.onSpanEnd(span('span_0000000000000001aaaaaaaa', { type: 'agent', name: 'a' }))).resolves.toBeUndefined();
    expect(processor.stats()).toMatchObject({ errors: 2, lastError: 'sink down', agentRuns: 1 });
    await processor.shutdown();
    await processor.onSpanEnd(span('span_0000000000000002aaaaaaaa', { type: 'agent', name: 'b' }));
    expect(processor.stats().spansEnded).toBe(1);
  });

  it('prices a call without usage as unknown, not $0', async () => {
    const observer = createObserver({ storage: false, analyzers: [costAnalyzer({ pricing: PRICES, replacePricing: true })] });
    const processor = openAIAgentsProcessor(observer);
    // What a response span holds when the run traces without sensitive data: no `_response`.
    await processor.onSpanEnd(span('span_aaaaaaaaaaaaaaaa00000000', { type: 'response', response_id: 'resp_1' }));
    await processor.onSpanEnd(span('span_bbbbbbbbbbbbbbbb00000000', { type: 'generation', model: 'gpt-4o', usage: { input_tokens: 1000, output_tokens: 100 } }));
    await observer.flush();
    const cost = observer.snapshot().cost as CostSnapshot;
    // 1,000 × $2.50 + 100 × $10 per million = $0.0035.
    expect(cost).toMatchObject({ pricedCalls: 1, noUsageCalls: 1 });
    expect(cost.totalUsd).toBeCloseTo(0.0035, 12);
    await observer.close();
  });

  it('maps the SDK ids to W3C ids, stably', () => {
    expect(agentsTraceId(TRACE)).toBe('0123456789abcdef0123456789abcdef');
    expect(agentsSpanId('span_92f7d62411184dfca65177dd')).toBe('92f7d62411184dfc');
    const custom = agentsSpanId('my-own-id');
    expect(custom).toMatch(/^[0-9a-f]{16}$/);
    expect(agentsSpanId('my-own-id')).toBe(custom);
    expect(agentsTraceId('no-op')).toMatch(/^[0-9a-f]{32}$/);
    expect(agentsSpanId('span_0000000000000000')).not.toBe('0000000000000000');
  });

  it('reads Responses and Chat Completions usage, cached tokens apart', () => {
    expect(usageOfResponse({ input_tokens: 300, input_tokens_details: { cached_tokens: 200 }, output_tokens: 30 })).toEqual({ inputTokens: 100, cacheReadTokens: 200, outputTokens: 30 });
    expect(usageOfResponse({ prompt_tokens: 50, prompt_tokens_details: { cached_tokens: 10 }, completion_tokens: 5 })).toEqual({ inputTokens: 40, cacheReadTokens: 10, outputTokens: 5 });
    // More cached than input: not subtracted (cannot be right), read as fresh input.
    expect(usageOfResponse({ input_tokens: 5, input_tokens_details: { cached_tokens: 9 }, output_tokens: 1 })).toEqual({ inputTokens: 5, cacheReadTokens: undefined, outputTokens: 1 });
    expect(usageOfResponse(null)).toBeUndefined();
  });
});
