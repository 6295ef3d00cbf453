/**
 * OTel bridge: what `fleetscopeSpanProcessor` adds to each ended span, next to the OpenTelemetry
 * SDK's own cost of creating and ending that span, in the same run (target: the bridge adds at
 * most 50%). Spans are GenAI-shaped (an agent run with a tool call and a model call inside,
 * attributes as the AI SDK / GenAI conventions set them); the reference provider has no span
 * processor at all. Two bridge targets: a no-op sink (the bridge alone) and a real observer
 * without storage (bridge + validation + bus), the one-line setup of the docs.
 * Times are the process's CPU time (user + system), not wall time: on a shared machine, time
 * spent waiting for a core is not the code's cost and would swamp the ratio.
 *
 * `npm run bench -- otel-bridge`
 */
import { context, trace, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createObserver } from '../src/index.js';
import { fleetscopeSpanProcessor } from '../src/runners/otel-bridge.js';

const SPANS_PER_TREE = 3;
const TREES = Number(process.env.TREES ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 9);

/** One agent run: agent span, a tool span and an LLM span as its children (3 spans). */
function tree(tracer: Tracer, i: number) {
  const agent = tracer.startSpan('invoke_agent planner', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner', 'gen_ai.conversation.id': 'conv-1' } });
  const ctx = trace.setSpan(context.active(), agent);
  const tool = tracer.startSpan('execute_tool search', { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'gen_ai.tool.call.id': `call_${i}` } }, ctx);
  tool.end();
  const llm = tracer.startSpan('chat gpt-4o', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' } }, ctx);
  llm.setAttributes({
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.response.id': `chatcmpl-${i}`,
    'gen_ai.usage.input_tokens': 1200,
    'gen_ai.usage.cache_read.input_tokens': 1000,
    'gen_ai.usage.output_tokens': 50,
    'gen_ai.response.finish_reasons': ['stop'],
  });
  llm.end();
  agent.end();
}

function timeOf(tracer: Tracer): number {
  const before = process.cpuUsage();
  for (let i = 0; i < TREES; i++) tree(tracer, i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / (TREES * SPANS_PER_TREE); // CPU µs per span
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  let sunk = 0;
  const sdkOnly = new BasicTracerProvider().getTracer('bench');
  const bridgeOnlyProcessor = fleetscopeSpanProcessor({ emit: () => void sunk++ });
  const bridgeOnly = new BasicTracerProvider({ spanProcessors: [bridgeOnlyProcessor] }).getTracer('bench');
  const observer = createObserver({ storage: false, analyzers: [] });
  const withObserver = new BasicTracerProvider({ spanProcessors: [fleetscopeSpanProcessor(observer)] }).getTracer('bench');

  const runs = { sdk: [] as number[], bridge: [] as number[], observer: [] as number[] };
  // Warm-up, then rounds alternating the three so that load and JIT drift hit each alike.
  timeOf(sdkOnly);
  timeOf(bridgeOnly);
  timeOf(withObserver);
  await observer.flush();
  for (let r = 0; r < ROUNDS; r++) {
    runs.sdk.push(timeOf(sdkOnly));
    runs.bridge.push(timeOf(bridgeOnly));
    runs.observer.push(timeOf(withObserver));
    await observer.flush();
  }
  const sdk = median(runs.sdk);
  const bridge = median(runs.bridge);
  const full = median(runs.observer);
  const fmt = (x: number) => x.toFixed(3);
  console.log(`${TREES * SPANS_PER_TREE} spans per round (agent + tool + chat), median of ${ROUNDS} rounds, CPU µs per ended span:`);
  console.log(`| setup | µs / span | added over the SDK | added / SDK |`);
  console.log(`|---|---:|---:|---:|`);
  console.log(`| SDK alone (no processor): create, set attributes, end | ${fmt(sdk)} | — | — |`);
  console.log(`| SDK + fleetscopeSpanProcessor → no-op sink | ${fmt(bridge)} | ${fmt(bridge - sdk)} | ${(((bridge - sdk) / sdk) * 100).toFixed(0)}% |`);
  console.log(`| SDK + fleetscopeSpanProcessor → observer (no storage) | ${fmt(full)} | ${fmt(full - sdk)} | ${(((full - sdk) / sdk) * 100).toFixed(0)}% |`);
  console.log(`rounds: sdk ${runs.sdk.map(fmt).join(' ')} | bridge ${runs.bridge.map(fmt).join(' ')} | observer ${runs.observer.map(fmt).join(' ')}`);
  console.log(`events: sink ${sunk}, observer accepted ${observer.stats().events.accepted}, invalid ${observer.stats().events.invalid}; bridge errors ${bridgeOnlyProcessor.stats().errors}`);
  await observer.close();
}

await main();
