/**
 * The OpenAI Agents SDK (`@openai/agents` 0.20.0, its `openai` 7 client; runs on Node 20 although
 * `openai` 7 declares Node >= 22) traced by `openAIAgentsProcessor`, against a fake Responses API
 * on loopback. A team run (plain): `triage` hands off to `research_lead`, which calls two
 * sub-agents as tools in one turn (they run at once): `researcher_a` (a tool that works, a custom
 * span) and `researcher_b` (a tool that fails). Then a streamed run of `summarizer`. Token counts
 * are ×1000 so that the cost shows in cents.
 */
import { Agent, OpenAIProvider, Runner, setTraceProcessors, setTracingDisabled, tool, withCustomSpan } from '@openai/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createObserver, type Observer } from '../../src/index.js';
import type { EventInput } from '../../src/core/index.js';
import { aggregationAnalyzer, costAnalyzer, fleetAnalyzer, type AggregationAnalyzerSnapshot, type CostSnapshot, type FleetSnapshot } from '../../src/analyzers/index.js';
import { openAIAgentsProcessor, type OpenAIAgentsProcessor } from '../../src/runners/index.js';
import { fakeOpenAIResponsesServer, hasCalled, type FakeResponsesServer } from '../support/fake-openai-responses.js';
import { PRICES, payloads } from './otel-frameworks-harness.js';

let server: FakeResponsesServer;
let observer: Observer;
let processor: OpenAIAgentsProcessor;
const events: EventInput[] = [];
const ofType = (type: string) => events.filter((e) => e.type === type);
const K = 1000;

beforeAll(async () => {
  server = await fakeOpenAIResponsesServer((request) => {
    switch (request.instructions) {
      case 'triage':
        return { toolCalls: [{ name: 'transfer_to_research_lead', arguments: {} }], usage: { prompt: 100 * K, completion: 10 * K } };
      case 'lead':
        return hasCalled(request, 'researcher_a')
          ? { text: 'report', usage: { prompt: 600 * K, cached: 300 * K, completion: 50 * K } }
          : {
              toolCalls: [
                { name: 'researcher_a', arguments: { input: 'topic a' } },
                { name: 'researcher_b', arguments: { input: 'topic b' } },
              ],
              usage: { prompt: 300 * K, cached: 200 * K, completion: 30 * K },
            };
      case 'researcher a':
      case 'researcher b': {
        const toolName = request.instructions === 'researcher a' ? 'search' : 'flaky_search';
        return hasCalled(request, toolName)
          ? { text: `summary by ${request.instructions}`, usage: { prompt: 400 * K, completion: 30 * K } }
          : { toolCalls: [{ name: toolName, arguments: { q: request.instructions } }], usage: { prompt: 200 * K, cached: 100 * K, completion: 20 * K }, delayMs: 100 };
      }
      default:
        return hasCalled(request, 'search')
          ? { text: 'short summary', usage: { prompt: 80 * K, cached: 40 * K, completion: 6 * K } }
          : { toolCalls: [{ name: 'search', arguments: { q: 'news' } }], usage: { prompt: 50 * K, cached: 40 * K, completion: 4 * K } };
    }
  });
  observer = createObserver({
    storage: false,
    analyzers: [costAnalyzer({ pricing: PRICES, replacePricing: true }), fleetAnalyzer({ pricing: PRICES, replacePricing: true }), aggregationAnalyzer()],
  });
  processor = openAIAgentsProcessor({ emit: (event) => (events.push(event), observer.emit(event)), flush: () => observer.flush() });
  // Under vitest NODE_ENV is `test`, in which the SDK turns tracing off by default.
  setTracingDisabled(false);
  setTraceProcessors([processor]);

  const search = tool({
    name: 'search',
    description: 'web search',
    parameters: z.object({ q: z.string() }),
    execute: async ({ q }) => withCustomSpan(async () => `3 results for ${q}`, { data: { name: 'index_lookup', data: { shard: 3 } } }),
  });
  const flaky = tool({
    name: 'flaky_search',
    description: 'a search that fails',
    parameters: z.object({ q: z.string() }),
    execute: async (): Promise<string> => {
      throw new Error('search index offline');
    },
    // With the default error function the SDK redacts the error in its trace.
    errorFunction: (_context, error) => `search failed: ${String(error)}`,
  });
  const researcherA = new Agent({ name: 'researcher_a', instructions: 'researcher a', model: 'gpt-4o-mini', tools: [search] });
  const researcherB = new Agent({ name: 'researcher_b', instructions: 'researcher b', model: 'gpt-4o-mini', tools: [flaky] });
  const lead = new Agent({
    name: 'research_lead',
    instructions: 'lead',
    model: 'gpt-4o',
    tools: [researcherA.asTool({ toolName: 'researcher_a', toolDescription: 'researches a' }), researcherB.asTool({ toolName: 'researcher_b', toolDescription: 'researches b' })],
  });
  const triage = new Agent({
    name: 'triage',
    instructions: 'triage',
    model: 'gpt-4o',
    handoffs: [lead],
    inputGuardrails: [{ name: 'no_secrets', runInParallel: false, execute: async () => ({ outputInfo: null, tripwireTriggered: false }) }],
  });
  const summarizer = new Agent({ name: 'summarizer', instructions: 'summarizer', model: 'gpt-4o', tools: [search] });
  const runner = new Runner({ modelProvider: new OpenAIProvider({ apiKey: 'sk-test', baseURL: server.baseURL, useResponses: true }) });

  await runner.run(triage, 'research a and b');
  const streamed = await runner.run(summarizer, 'summarize the news', { stream: true });
  for await (const _event of streamed) void _event;
  await streamed.completed;
});

afterAll(async () => {
  setTraceProcessors([]);
  await observer?.close();
  await server?.close();
});

async function settle() {
  await processor.forceFlush();
  const s = observer.snapshot();
  return { cost: s.cost as CostSnapshot, fleet: s.fleet as FleetSnapshot, aggregation: s.aggregation as AggregationAnalyzerSnapshot };
}

describe('OpenAI Agents SDK through openAIAgentsProcessor', () => {
  it('reads every model call with its model, cached tokens apart, and prices it', async () => {
    const { cost } = await settle();
    const calls = ofType('llm.call');
    expect(calls).toHaveLength(9);
    expect(server.requests.map((r) => r.stream).filter(Boolean)).toHaveLength(2);
    const byAgent = (agent: string) => payloads(calls.filter((c) => c.agentId === agent)).map((p) => [p.model, p.inputTokens, p.cacheReadTokens, p.outputTokens]);
    expect(byAgent('triage')).toEqual([['gpt-4o', 100 * K, 0, 10 * K]]);
    expect(byAgent('research_lead')).toEqual([
      ['gpt-4o', 100 * K, 200 * K, 30 * K],
      ['gpt-4o', 300 * K, 300 * K, 50 * K],
    ]);
    expect(byAgent('researcher_b')).toEqual([
      ['gpt-4o-mini', 100 * K, 100 * K, 20 * K],
      ['gpt-4o-mini', 400 * K, 0, 30 * K],
    ]);
    expect(byAgent('summarizer')).toEqual([
      ['gpt-4o', 10 * K, 40 * K, 4 * K],
      ['gpt-4o', 40 * K, 40 * K, 6 * K],
    ]);
    expect(payloads(calls).every((p) => p.provider === 'openai' && p.status === 'success' && typeof p.responseId === 'string')).toBe(true);
    // gpt-4o: fresh 100 + 100 + 300 + 10 + 40 = 550k, cached 200 + 300 + 40 + 40 = 580k, output 10 + 30 + 50 + 4 + 6 = 100k.
    // gpt-4o-mini: fresh (100 + 400) × 2 = 1,000k, cached 200k, output (20 + 30) × 2 = 100k.
    expect(cost.tokens).toEqual({ input: 1_550_000, output: 200_000, cacheRead: 780_000, cacheWrite: 0 });
    // gpt-4o: 550k × $2.50 + 580k × $1.25 + 100k × $10 = $1.375 + $0.725 + $1.00 = $3.10 per million;
    // gpt-4o-mini: 1,000k × $0.15 + 200k × $0.075 + 100k × $0.60 = $0.15 + $0.015 + $0.06 = $0.225.
    expect(cost.totalUsd).toBeCloseTo(3.325, 9);
    expect(cost).toMatchObject({ pricedCalls: 9, unpricedCalls: 0 });
  });

  it('reads the tools with their agents and statuses, and the failure message', () => {
    const ends = ofType('tool.end');
    expect(ends.map((e) => [e.agentId, (e.payload as { toolName: string }).toolName, (e.payload as { status: string }).status]).sort()).toEqual([
      ['research_lead', 'researcher_a', 'success'],
      ['research_lead', 'researcher_b', 'success'],
      ['researcher_a', 'search', 'success'],
      ['researcher_b', 'flaky_search', 'error'],
      ['summarizer', 'search', 'success'],
    ]);
    const failed = ends.find((e) => (e.payload as { toolName: string }).toolName === 'flaky_search')!.payload as { error: string; output: string };
    expect(failed.error).toBe('Error: search index offline');
    expect(failed.output).toBe('search failed: Error: search index offline');
    expect(payloads(ofType('tool.start')).find((p) => p.toolName === 'flaky_search')!.input).toEqual({ q: 'researcher b' });
  });

  it('builds the agent tree from the span chain and the handoff, with the sub-agents in parallel', async () => {
    const { fleet, aggregation } = await settle();
    expect(payloads(ofType('agent.start')).map((p) => [p.name, p.parentAgentId]).sort()).toEqual([
      ['research_lead', 'triage'],
      ['researcher_a', 'research_lead'],
      ['researcher_b', 'research_lead'],
      ['summarizer', undefined],
      ['triage', undefined],
    ]);
    expect(payloads(ofType('openai_agents.handoff'))).toEqual([{ from: 'triage', to: 'research_lead', error: undefined }]);
    const ends = ofType('agent.end');
    const interval = (name: string) => {
      const end = ends.find((e) => (e.payload as { name: string }).name === name)!;
      return [end.timestamp! - (end.payload as { durationMs: number }).durationMs, end.timestamp!];
    };
    const [aStart, aEnd] = interval('researcher_a');
    const [bStart, bEnd] = interval('researcher_b');
    // Each started before the other ended: they ran at once.
    expect(aStart! < bEnd! && bStart! < aEnd!).toBe(true);
    // One workflow per trace: the team run and the streamed run, each priced on its own.
    expect(fleet.workflows.map((w) => [w.executionOrder, w.llmCalls, w.toolCalls, w.toolErrors, w.costUsd]).sort()).toEqual([
      [['summarizer'], 2, 1, 0, 0.325],
      [['triage', 'research_lead', 'researcher_a', 'researcher_b'], 7, 4, 1, 3],
    ]);
    expect(fleet.workflows.find((w) => w.executions === 4)!.parallelizationRatio).toBeGreaterThan(0);
    expect(aggregation.findings.map((f) => f.kind)).not.toContain('aggregation.clock_skew');
  });

  it('maps the SDK ids to W3C ids, keeps the guardrail and custom spans, and counts what it read', () => {
    const calls = ofType('llm.call');
    expect(calls.every((e) => /^[0-9a-f]{32}$/.test(e.traceId!) && /^[0-9a-f]{16}$/.test(e.spanId!) && /^[0-9a-f]{16}$/.test(e.parentSpanId!))).toBe(true);
    expect(new Set(events.map((e) => e.traceId)).size).toBe(2);
    expect(payloads(ofType('openai_agents.guardrail'))).toEqual([{ name: 'no_secrets', triggered: false, durationMs: expect.any(Number) }]);
    expect(ofType('openai_agents.custom').map((e) => [e.agentId, (e.payload as { name: string }).name, (e.payload as { data: unknown }).data])).toEqual([
      ['researcher_a', 'index_lookup', { shard: 3 }],
      ['summarizer', 'index_lookup', { shard: 3 }],
    ]);
    expect(observer.stats().events.invalid).toBe(0);
    expect(processor.stats()).toMatchObject({ llmCalls: 9, callsWithoutUsage: 0, toolCalls: 5, agentRuns: 5, handoffs: 1, guardrails: 1, customSpans: 2, errors: 0 });
    expect(Object.values(processor.stats().invalid).every((n) => n === 0)).toBe(true);
  });
});
