/**
 * The run of the AI SDK scenario (ai-sdk-scenario.ts has its scripted answers and checks), written
 * once for ai 6 (in-process, otel-bridge-ai-sdk.test.ts) and ai 7 (under Node 22,
 * ai-sdk-7-child.ts): an orchestrator whose first turn calls two research sub-agents at once (one
 * `generateText`, one `streamText`) and a tool that fails. Both versions take the same options
 * (`experimental_telemetry` is ai 7's deprecated name of `telemetry`, `stepCountIs` its alias of
 * `isStepCount`), so the package is passed in. No vitest here: the Node 22 child imports it.
 */
import { z } from 'zod';

/** What the scenario uses of the `ai` package, ai 6 and ai 7 alike. */
export interface AiSdk {
  generateText(options: Record<string, unknown>): PromiseLike<{ text: string }>;
  streamText(options: Record<string, unknown>): { text: PromiseLike<string> };
  tool(definition: Record<string, unknown>): unknown;
  stepCountIs(steps: number): unknown;
}

/** Runs the orchestrator; `model()` gives the provider's chat model, `telemetryKey` the option that names a run. */
export async function runOrchestrator(ai: AiSdk, model: () => unknown, telemetryKey: 'telemetry' | 'experimental_telemetry'): Promise<void> {
  const telemetry = (functionId: string) => ({ [telemetryKey]: { isEnabled: true, functionId } });
  await ai.generateText({
    model: model(),
    ...telemetry('orchestrator'),
    prompt: 'plan the launch',
    stopWhen: ai.stepCountIs(3),
    tools: {
      research: ai.tool({
        description: 'research a topic with a sub-agent',
        inputSchema: z.object({ topic: z.string() }),
        execute: async ({ topic }: { topic: string }) => {
          if (topic === 'a') return (await ai.generateText({ model: model(), ...telemetry('researcher-a'), prompt: `research ${topic}` })).text;
          return await ai.streamText({ model: model(), ...telemetry('researcher-b'), prompt: `research ${topic}` }).text;
        },
      }),
      lookup_inventory: ai.tool({
        description: 'inventory lookup',
        inputSchema: z.object({ sku: z.string() }),
        execute: async (): Promise<string> => {
          throw new Error('inventory service unavailable');
        },
      }),
    },
  });
}
