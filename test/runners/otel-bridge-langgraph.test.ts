/**
 * LangChain.js / LangGraph (`@langchain/langgraph` 1.x, `@langchain/openai` 1.4 — the last on
 * `openai` 6, which installs on Node 20) traced by OpenInference's LangChain instrumentation (ESM:
 * `manuallyInstrument` on `@langchain/core/callbacks/manager`), against a fake OpenAI on loopback.
 * A team graph runs two research sub-agents at once: `researcher_a` added as a subgraph node
 * (plain calls, a tool that works), `researcher_b` invoked from inside a node with `config`
 * passed on (streamed calls, a tool that fails).
 */
import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import type { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { ChatOpenAI } from '@langchain/openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fakeOpenAIServer, hasToolResult, lastUserText, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { harness, payloads, type Harness } from './otel-frameworks-harness.js';

let server: FakeOpenAIServer;
let h: Harness;
let instrumentation: LangChainInstrumentation;

beforeAll(async () => {
  server = await fakeOpenAIServer((request) => {
    const topic = lastUserText(request);
    // First turn of each researcher: 200 input (100 cached), 20 output, one tool call.
    if (!hasToolResult(request)) {
      return { toolCalls: [{ name: topic === 'topic a' ? 'search' : 'flaky_search', arguments: { q: topic } }], usage: { prompt: 200, cached: 100, completion: 20 }, delayMs: 100 };
    }
    // Second turn: 400 input, 30 output.
    return { text: `summary of ${topic}`, usage: { prompt: 400, completion: 30 }, delayMs: 50 };
  });
  h = harness();
  instrumentation = new LangChainInstrumentation({ tracerProvider: h.provider });
  instrumentation.manuallyInstrument(CallbackManagerModule);

  const search = tool(async ({ q }) => `3 results for ${q}`, { name: 'search', description: 'web search', schema: z.object({ q: z.string() }) });
  const flaky = tool(
    async (): Promise<string> => {
      throw new Error('search index offline');
    },
    { name: 'flaky_search', description: 'a search that fails', schema: z.object({ q: z.string() }) },
  );
  const researcher = (name: string, streaming: boolean) => {
    const model = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'sk-test', configuration: { baseURL: server.baseURL }, streaming, streamUsage: true }).bindTools([search, flaky]);
    return new StateGraph(MessagesAnnotation)
      .addNode('call_model', async (state, config) => {
        if (!streaming) return { messages: [await model.invoke(state.messages, config)] };
        // Streamed with .stream(): invoke() on a streaming ChatOpenAI also estimates the tokens with
        // tiktoken ranks fetched from tiktoken.pages.dev at run time, which hangs offline.
        let message: AIMessageChunk | undefined;
        for await (const chunk of await model.stream(state.messages, config)) message = message === undefined ? chunk : message.concat(chunk);
        return { messages: [message!] };
      })
      .addNode('tools', new ToolNode([search, flaky], { handleToolErrors: true }))
      .addEdge(START, 'call_model')
      .addConditionalEdges('call_model', (state) => ((state.messages.at(-1) as AIMessage).tool_calls?.length ? 'tools' : END))
      .addEdge('tools', 'call_model')
      .compile({ name });
  };
  const team = new StateGraph(MessagesAnnotation)
    .addNode('researcher_a', researcher('researcher_a', false))
    .addNode('researcher_b', async (_state, config) => researcher('researcher_b', true).invoke({ messages: [{ role: 'user', content: 'topic b' }] }, config))
    .addEdge(START, 'researcher_a')
    .addEdge(START, 'researcher_b')
    .addEdge('researcher_a', END)
    .addEdge('researcher_b', END)
    .compile({ name: 'launch_team' });
  await team.invoke({ messages: [{ role: 'user', content: 'topic a' }] });
});

afterAll(async () => {
  instrumentation?.disable();
  await h?.close();
  await server?.close();
});

describe('LangGraph via OpenInference through fleetscopeSpanProcessor', () => {
  it('reads the model calls with cached tokens, the stream flag, and prices them', async () => {
    const { cost } = await h.settle();
    const calls = h.ofType('llm.call');
    expect(calls).toHaveLength(4);
    expect(payloads(calls).map((p) => p.model)).toEqual(Array(4).fill('gpt-4o-mini'));
    // Fresh input (200 − 100) × 2 + 400 × 2 = 1,000; cache read 200; output (20 + 30) × 2 = 100.
    expect(cost.tokens).toEqual({ input: 1000, output: 100, cacheRead: 200, cacheWrite: 0 });
    // 1,000 × $0.15 + 200 × $0.075 + 100 × $0.60 per million = 150 + 15 + 60 µ$ = $0.000225.
    expect(cost.totalUsd).toBeCloseTo(0.000225, 12);
    expect(cost).toMatchObject({ pricedCalls: 4, unpricedCalls: 0 });
    expect(calls.filter((c) => c.agentId === 'researcher_b').map((c) => (c.payload as { stream?: boolean }).stream)).toEqual([true, true]);
    expect(calls.filter((c) => c.agentId === 'researcher_a').map((c) => (c.payload as { stream?: boolean }).stream)).toEqual([false, false]);
    expect(server.requests.filter((r) => r.stream).every((r) => r.includeUsage)).toBe(true);
  });

  it('reads tools with statuses, and the failure message without its stack trace', () => {
    const ends = h.ofType('tool.end');
    expect(ends.map((e) => [e.agentId, (e.payload as { toolName: string }).toolName, (e.payload as { status: string }).status]).sort()).toEqual([
      ['researcher_a', 'search', 'success'],
      ['researcher_b', 'flaky_search', 'error'],
    ]);
    expect((ends.find((e) => e.agentId === 'researcher_b')!.payload as { error: string }).error).toBe('search index offline');
  });

  it('makes the graph root and each subgraph run agents, with parents, running in parallel', async () => {
    const { fleet, aggregation } = await h.settle();
    expect(payloads(h.ofType('agent.start')).map((p) => [p.name, p.parentAgentId]).sort()).toEqual([
      ['launch_team', undefined],
      ['researcher_a', 'launch_team'],
      ['researcher_b', 'launch_team'],
    ]);
    const workflow = fleet.workflows[0]!;
    expect(workflow.leafExecutions).toBe(2);
    expect(workflow.parallelizationRatio).toBeGreaterThan(0.8);
    expect(aggregation.findings.map((f) => f.kind)).not.toContain('aggregation.clock_skew');
    expect(h.observer.stats().events.invalid).toBe(0);
    expect(h.processor.stats()).toMatchObject({ llmCalls: 4, toolCalls: 2, agentRuns: 3, errors: 0, held: 0 });
  });
});
