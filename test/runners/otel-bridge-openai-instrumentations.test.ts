/**
 * `openai` 6.x traced by OpenInference's and OpenLLMetry's OpenAI instrumentations (ESM:
 * `manuallyInstrument`), and wrapped by fleetscope's own `wrapOpenAI`, against a fake OpenAI on
 * loopback: a plain call with cached tokens is priced to the cent, and a stream without
 * `stream_options.include_usage` carries no usage, so its cost is unknown (never $0).
 */
import { OpenAIInstrumentation as OpenInferenceOpenAI } from '@arizeai/openinference-instrumentation-openai';
import { OpenAIInstrumentation as OpenLLMetryOpenAI } from '@traceloop/instrumentation-openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { costAnalyzer, type CostSnapshot } from '../../src/analyzers/cost.js';
import { wrapOpenAI } from '../../src/runners/llm-wrappers.js';
import { fakeOpenAIServer, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { harness, payloads, PRICES } from './otel-frameworks-harness.js';

let server: FakeOpenAIServer;
beforeAll(async () => {
  // 2,000 input of which 1,536 cached, 100 output.
  server = await fakeOpenAIServer(() => ({ model: 'gpt-4o-mini-2024-07-18', text: 'hello there', usage: { prompt: 2000, cached: 1536, completion: 100 } }));
});
afterAll(async () => {
  await server?.close();
});

/** One plain call, one stream without include_usage. */
async function twoCalls(client: OpenAI) {
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
  for await (const _chunk of stream) {
    // drain
  }
}

// (2000 − 1536) × $0.15 + 1,536 × $0.075 + 100 × $0.60 per million = 69.6 + 115.2 + 60 µ$ = $0.0002448.
const PLAIN_CALL_USD = 0.0002448;

// OpenLLMetry's JS OpenAI instrumentation (0.27) records no cached tokens (an upstream gap, in
// docs/runners.md): all 2,000 input tokens are priced as fresh: 2,000 × $0.15 + 100 × $0.60 = $0.00036.
const NO_CACHE_INFO_USD = 0.00036;

describe.each([
  ['OpenInference', () => new OpenInferenceOpenAI(), { inputTokens: 464, cacheReadTokens: 1536, outputTokens: 100 }, PLAIN_CALL_USD],
  ['OpenLLMetry', () => new OpenLLMetryOpenAI(), { inputTokens: 2000, cacheReadTokens: undefined, outputTokens: 100 }, NO_CACHE_INFO_USD],
] as const)('%s OpenAI instrumentation through fleetscopeSpanProcessor', (_name, make, tokens, usd) => {
  it('prices the plain call to the cent and counts the stream without usage as unknown cost', async () => {
    const h = harness();
    const instrumentation = make();
    instrumentation.setTracerProvider(h.provider);
    instrumentation.manuallyInstrument(OpenAI as never);
    instrumentation.enable();
    try {
      await twoCalls(new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL }));
      const { cost, aggregation } = await h.settle();
      const calls = payloads(h.ofType('llm.call'));
      expect(calls).toHaveLength(2);
      expect(calls[0]).toMatchObject({ ...tokens, model: 'gpt-4o-mini-2024-07-18', provider: 'openai' });
      expect(calls[1]!.inputTokens).toBeUndefined();
      expect(calls[1]!.outputTokens).toBeUndefined();
      expect(cost.totalUsd).toBeCloseTo(usd, 12);
      expect(cost).toMatchObject({ calls: 2, pricedCalls: 1, unpricedCalls: 1, noUsageCalls: 1 });
      expect(cost.findings.map((f) => f.kind)).toContain('cost.no_usage');
      expect(aggregation.findings.map((f) => f.kind)).not.toContain('aggregation.clock_skew');
      expect(h.observer.stats().events.invalid).toBe(0);
    } finally {
      instrumentation.disable();
      await h.close();
    }
  });

  // Upstream gap (docs/runners.md, "Upstream gaps"): neither instrumentation reads the usage chunk a
  // stream sends with `include_usage` (OpenInference 4.2 skips chunks without choices; OpenLLMetry
  // 0.27 only estimates tokens with `enrichTokens`), so the call stays of unknown cost.
  it('records no usage for a stream even with include_usage: unknown cost, not $0', async () => {
    const h = harness();
    const instrumentation = make();
    instrumentation.setTracerProvider(h.provider);
    instrumentation.manuallyInstrument(OpenAI as never);
    instrumentation.enable();
    try {
      const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
      for await (const _chunk of stream) {
        // drain
      }
      const { cost } = await h.settle();
      expect(server.requests.at(-1)!.includeUsage).toBe(true);
      expect(payloads(h.ofType('llm.call')).map((p) => p.inputTokens)).toEqual([undefined]);
      expect(cost).toMatchObject({ calls: 1, pricedCalls: 0, noUsageCalls: 1, totalUsd: 0 });
    } finally {
      instrumentation.disable();
      await h.close();
    }
  });
});

describe('wrapOpenAI on a stream without include_usage', () => {
  it('emits the call without token counts: unknown cost, not $0', async () => {
    const observer = createObserver({ storage: false, analyzers: [costAnalyzer({ pricing: PRICES, replacePricing: true })] });
    await twoCalls(wrapOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL }), observer));
    await observer.flush();
    const cost = observer.snapshot().cost as CostSnapshot;
    expect(cost.totalUsd).toBeCloseTo(PLAIN_CALL_USD, 12);
    expect(cost).toMatchObject({ calls: 2, pricedCalls: 1, unpricedCalls: 1, noUsageCalls: 1 });
    expect(cost.noUsage).toEqual([{ model: 'gpt-4o-mini-2024-07-18', calls: 1 }]);
    await observer.close();
  });
  it('reads the usage chunk of a stream with include_usage (where the instrumentations do not)', async () => {
    const observer = createObserver({ storage: false, analyzers: [costAnalyzer({ pricing: PRICES, replacePricing: true })] });
    const client = wrapOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL }), observer);
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    for await (const _chunk of stream) {
      // drain
    }
    await observer.flush();
    const cost = observer.snapshot().cost as CostSnapshot;
    expect(cost.totalUsd).toBeCloseTo(PLAIN_CALL_USD, 12);
    expect(cost).toMatchObject({ calls: 1, pricedCalls: 1, noUsageCalls: 0 });
    await observer.close();
  });
});
