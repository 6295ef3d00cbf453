/**
 * The Vercel AI SDK (`ai` 6.x + `@ai-sdk/openai` 3.x, what npm installs on Node 20) with
 * `experimental_telemetry`, against a fake OpenAI on loopback: an orchestrator whose first turn
 * calls two research sub-agents at once (one `generateText`, one `streamText`) and a tool that
 * fails; every figure below is computed by hand from the scripted usage.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fakeOpenAIServer, hasToolResult, lastUserText, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { harness, payloads, type Harness } from './otel-frameworks-harness.js';

let server: FakeOpenAIServer;
let h: Harness;

beforeAll(async () => {
  server = await fakeOpenAIServer((request) => {
    const prompt = lastUserText(request);
    const model = 'gpt-4o-2024-08-06';
    // Sub-agents: 300 fresh input tokens, 40 output; slow enough to overlap.
    if (prompt.startsWith('research')) return { model, text: `notes on ${prompt.slice(9)}`, usage: { prompt: 300, completion: 40 }, delayMs: 150 };
    // Orchestrator, turn 1: 1,200 input of which 1,000 cached; three tool calls at once.
    if (!hasToolResult(request)) {
      return {
        model,
        toolCalls: [
          { name: 'research', arguments: { topic: 'a' } },
          { name: 'research', arguments: { topic: 'b' } },
          { name: 'lookup_inventory', arguments: { sku: 'X1' } },
        ],
        usage: { prompt: 1200, cached: 1000, completion: 50 },
      };
    }
    // Turn 2: 1,500 input of which 1,024 cached.
    return { model, text: 'launch plan ready', usage: { prompt: 1500, cached: 1024, completion: 80 } };
  });
  h = harness();
  const openai = createOpenAI({ baseURL: server.baseURL, apiKey: 'sk-test' });
  const telemetry = (functionId: string) => ({ isEnabled: true, functionId });

  await generateText({
    model: openai.chat('gpt-4o'),
    experimental_telemetry: telemetry('orchestrator'),
    prompt: 'plan the launch',
    stopWhen: stepCountIs(3),
    tools: {
      research: tool({
        description: 'research a topic with a sub-agent',
        inputSchema: z.object({ topic: z.string() }),
        execute: async ({ topic }) => {
          if (topic === 'a') {
            const r = await generateText({ model: openai.chat('gpt-4o'), experimental_telemetry: telemetry('researcher-a'), prompt: `research ${topic}` });
            return r.text;
          }
          const r = streamText({ model: openai.chat('gpt-4o'), experimental_telemetry: telemetry('researcher-b'), prompt: `research ${topic}` });
          return await r.text;
        },
      }),
      lookup_inventory: tool({
        description: 'inventory lookup',
        inputSchema: z.object({ sku: z.string() }),
        execute: async (): Promise<string> => {
          throw new Error('inventory service unavailable');
        },
      }),
    },
  });
});

afterAll(async () => {
  await h?.close();
  await server?.close();
});

describe('AI SDK 6 (ai.* spans) through fleetscopeSpanProcessor', () => {
  it('sends the streamed sub-agent with include_usage (so its usage is known)', () => {
    expect(server.requests).toHaveLength(4);
    expect(server.requests.filter((r) => r.stream).map((r) => r.includeUsage)).toEqual([true]);
  });

  it('counts each model call once, with cached tokens as cached, and prices it to the cent', async () => {
    const { cost } = await h.settle();
    const calls = h.ofType('llm.call');
    expect(calls).toHaveLength(4);
    expect(payloads(calls).map((p) => [p.provider, p.model])).toEqual(Array(4).fill(['openai', 'gpt-4o-2024-08-06']));
    // Fresh input: (1200 − 1000) + 300 + 300 + (1500 − 1024) = 1,276; cache read 2,024; output 50 + 40 + 40 + 80 = 210.
    expect(cost.tokens).toEqual({ input: 1276, output: 210, cacheRead: 2024, cacheWrite: 0 });
    // 1,276 × $2.50 + 2,024 × $1.25 + 210 × $10 per million = 3,190 + 2,530 + 2,100 µ$ = $0.00782.
    expect(cost.totalUsd).toBeCloseTo(0.00782, 9);
    expect(cost).toMatchObject({ calls: 4, pricedCalls: 4, unpricedCalls: 0, noUsageCalls: 0 });
    expect(cost.byModel['gpt-4o-2024-08-06']).toMatchObject({ pricedAs: 'gpt-4o', matchedBy: 'normalized' });
    // Per agent: orchestrator 200×2.5 + 1000×1.25 + 50×10 + 476×2.5 + 1024×1.25 + 80×10 = 5,520 µ$; each researcher 300×2.5 + 40×10 = 1,150 µ$.
    expect(cost.byAgent.orchestrator!.costUsd).toBeCloseTo(0.00552, 9);
    expect(cost.byAgent['researcher-a']!.costUsd).toBeCloseTo(0.00115, 9);
    expect(cost.byAgent['researcher-b']!.costUsd).toBeCloseTo(0.00115, 9);
    const stream = calls.find((c) => c.agentId === 'researcher-b')!;
    expect(stream.payload).toMatchObject({ stream: true, operation: 'chat', status: 'success' });
    expect(typeof stream.attributes!.timeToFirstTokenMs).toBe('number');
    expect(calls.find((c) => c.agentId === 'researcher-a')!.payload).toMatchObject({ stream: false });
  });

  it('turns ai.toolCall spans into tool calls with statuses and the failure message', () => {
    const ends = payloads(h.ofType('tool.end'));
    expect(ends.map((p) => [p.toolName, p.status]).sort()).toEqual([
      ['lookup_inventory', 'error'],
      ['research', 'success'],
      ['research', 'success'],
    ]);
    expect(ends.find((p) => p.status === 'error')!.error).toBe('inventory service unavailable');
    expect(ends.find((p) => p.toolName === 'research' && p.output === 'notes on a')).toBeDefined();
    const starts = payloads(h.ofType('tool.start'));
    expect(starts.map((p) => p.input)).toContainEqual({ sku: 'X1' });
    expect(h.ofType('tool.end').every((e) => e.agentId === 'orchestrator')).toBe(true);
  });

  it('makes each generateText/streamText run an agent, nested runs its sub-agents, and sees them run in parallel', async () => {
    const { fleet, aggregation } = await h.settle();
    const starts = payloads(h.ofType('agent.start'));
    expect(starts.map((p) => [p.name, p.parentAgentId]).sort()).toEqual([
      ['orchestrator', undefined],
      ['researcher-a', 'orchestrator'],
      ['researcher-b', 'orchestrator'],
    ]);
    expect(fleet.totals.executions).toBe(3);
    const workflow = fleet.workflows[0]!;
    // Two leaf executions (the researchers) overlapping almost entirely.
    expect(workflow.leafExecutions).toBe(2);
    expect(workflow.parallelizationRatio).toBeGreaterThan(0.8);
    // Span ends carry sub-millisecond fractions a little after Date.now(): no false clock skew.
    expect(aggregation.dataQuality.futureTimestamps).toBe(0);
    expect(aggregation.findings.map((f) => f.kind)).not.toContain('aggregation.clock_skew');
    expect(h.observer.stats().events.invalid).toBe(0);
    expect(h.processor.stats()).toMatchObject({ llmCalls: 4, toolCalls: 3, agentRuns: 3, errors: 0, held: 0 });
  });
});
