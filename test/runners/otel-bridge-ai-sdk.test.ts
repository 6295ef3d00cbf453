/**
 * The Vercel AI SDK (`ai` 6.x + `@ai-sdk/openai` 3.x, what npm installs on Node 20) with
 * `experimental_telemetry`, against a fake OpenAI on loopback: an orchestrator whose first turn
 * calls two research sub-agents at once (one `generateText`, one `streamText`) and a tool that
 * fails (ai-sdk-scenario.ts: the scripted answers and the hand-computed checks; ai 7 runs the same
 * scenario under Node 22 in ai-sdk-7.test.ts).
 */
import { createOpenAI } from '@ai-sdk/openai';
import * as ai from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeOpenAIServer, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { runOrchestrator } from './ai-sdk-orchestrator.js';
import { expectAgentTree, expectModelCalls, expectTools, orchestratorTurns, type ScenarioRun } from './ai-sdk-scenario.js';
import { harness, type Harness } from './otel-frameworks-harness.js';

let server: FakeOpenAIServer;
let h: Harness;

beforeAll(async () => {
  server = await fakeOpenAIServer(orchestratorTurns);
  h = harness();
  const openai = createOpenAI({ baseURL: server.baseURL, apiKey: 'sk-test' });
  await runOrchestrator(ai, () => openai.chat('gpt-4o'), 'experimental_telemetry');
});

afterAll(async () => {
  await h?.close();
  await server?.close();
});

async function run(): Promise<ScenarioRun> {
  return { events: h.events, ...(await h.settle()) };
}

describe('AI SDK 6 (ai.* spans) through fleetscopeSpanProcessor', () => {
  it('sends the streamed sub-agent with include_usage (so its usage is known)', () => {
    expect(server.requests).toHaveLength(4);
    expect(server.requests.filter((r) => r.stream).map((r) => r.includeUsage)).toEqual([true]);
  });

  it('counts each model call once, with cached tokens as cached, and prices it to the cent', async () => {
    const calls = expectModelCalls(await run());
    expect(calls.find((c) => c.agentId === 'researcher-a')!.payload).toMatchObject({ stream: false });
  });

  it('turns ai.toolCall spans into tool calls with statuses and the failure message', async () => {
    expectTools(await run());
  });

  it('makes each generateText/streamText run an agent, nested runs its sub-agents, and sees them run in parallel', async () => {
    expectAgentTree(await run());
    expect(h.observer.stats().events.invalid).toBe(0);
    expect(h.processor.stats()).toMatchObject({ llmCalls: 4, toolCalls: 3, agentRuns: 3, errors: 0, held: 0 });
  });
});
