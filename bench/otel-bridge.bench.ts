/**
 * OTel bridge: what `fleetscopeSpanProcessor` adds to each ended span, next to the OpenTelemetry
 * SDK's own cost of creating and ending that span, in the same run (target: the bridge adds at
 * most 50%). Spans are GenAI-shaped (an agent run with a tool call and a model call inside,
 * attributes as the AI SDK / GenAI conventions set them); the reference provider has no span
 * processor at all. Two bridge targets: a no-op sink (the bridge alone: the target's figure) and
 * a real observer without storage (bridge + validation + bus), the one-line setup of the docs.
 *
 * Each bridge setup runs in child processes of its own, as a host has one bridge: two bridges in
 * one process share the processor's compiled code and type feedback (one closure site per
 * function), so the observer's events made the sink bridge's code polymorphic and moved its
 * figure by 5–8 points. Inside a child, the SDK alone and the SDK + that bridge alternate round
 * by round after a warm-up of both, so that load and JIT drift hit the reference and the bridge
 * alike; each child gives its medians, and the report is the median over the children, which
 * alternate between the setups.
 * Times are the process's CPU time (user + system), not wall time: on a shared machine, time
 * spent waiting for a core is not the code's cost and would swamp the ratio.
 *
 * `npm run bench -- otel-bridge` (env: TREES per round, ROUNDS per child, PROCESSES per setup)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { context, trace, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createObserver } from '../src/index.js';
import { fleetscopeSpanProcessor } from '../src/runners/otel-bridge.js';

const SPANS_PER_TREE = 3;
const TREES = Number(process.env.TREES ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 9);
const PROCESSES = Number(process.env.PROCESSES ?? 5);
const SETUPS = ['sink', 'observer'] as const;
type Setup = (typeof SETUPS)[number];
/** Set in a child: the one bridge setup it measures. */
const CHILD_SETUP = process.env.FLEETSCOPE_BRIDGE_BENCH_SETUP as Setup | undefined;

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

/** What one child measured: its medians, its rounds, and what the bridge saw. */
interface ChildResult {
  setup: Setup;
  sdk: number;
  bridge: number;
  sdkRounds: number[];
  bridgeRounds: number[];
  events: number;
  invalid: number;
  errors: number;
}

/** A child: the SDK alone and the SDK + one bridge setup, alternating rounds; prints one JSON line. */
async function child(setup: Setup) {
  let sunk = 0;
  const sdkOnly = new BasicTracerProvider().getTracer('bench');
  const observer = setup === 'observer' ? createObserver({ storage: false, analyzers: [] }) : undefined;
  const processor = fleetscopeSpanProcessor(observer ?? { emit: () => void sunk++ });
  const withBridge = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('bench');
  const sdkRounds: number[] = [];
  const bridgeRounds: number[] = [];
  // Warm-up: two rounds of each (the first round of a fresh process runs half-compiled code).
  for (let w = 0; w < 2; w++) {
    timeOf(sdkOnly);
    timeOf(withBridge);
    await observer?.flush();
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Which goes first alternates: the second of a pair runs in the heap the first left.
    if (r % 2 === 0) {
      sdkRounds.push(timeOf(sdkOnly));
      bridgeRounds.push(timeOf(withBridge));
    } else {
      bridgeRounds.push(timeOf(withBridge));
      sdkRounds.push(timeOf(sdkOnly));
    }
    await observer?.flush();
  }
  const result: ChildResult = {
    setup,
    sdk: median(sdkRounds),
    bridge: median(bridgeRounds),
    sdkRounds,
    bridgeRounds,
    events: observer?.stats().events.accepted ?? sunk,
    invalid: observer?.stats().events.invalid ?? 0,
    errors: processor.stats().errors,
  };
  await observer?.close();
  console.log(JSON.stringify(result));
}

function runChild(setup: Setup): ChildResult {
  const out = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, FLEETSCOPE_BRIDGE_BENCH_SETUP: setup },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (out.status !== 0) throw new Error(`bench child (${setup}) exited with ${out.status}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as ChildResult;
}

async function main() {
  const results: ChildResult[] = [];
  // Children alternate between the setups, so that a burst of load falls on both.
  for (let p = 0; p < PROCESSES; p++) for (const setup of SETUPS) results.push(runChild(setup));
  const fmt = (x: number) => x.toFixed(3);
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const added = (r: ChildResult) => (r.bridge - r.sdk) / r.sdk;
  console.log(`${TREES * SPANS_PER_TREE} spans per round (agent + tool + chat), ${ROUNDS} rounds per child process alternating the SDK alone and the SDK + one bridge, ${PROCESSES} processes per setup; CPU µs per ended span, medians over the processes:`);
  console.log(`| setup | SDK alone (same processes) | SDK + bridge | added over the SDK | added / SDK (range over processes) |`);
  console.log(`|---|---:|---:|---:|---:|`);
  const names: Record<Setup, string> = { sink: 'fleetscopeSpanProcessor → no-op sink', observer: 'fleetscopeSpanProcessor → observer (no storage)' };
  for (const setup of SETUPS) {
    const mine = results.filter((r) => r.setup === setup);
    const ratios = mine.map(added);
    const sdk = median(mine.map((r) => r.sdk));
    const bridge = median(mine.map((r) => r.bridge));
    console.log(`| ${names[setup]} | ${fmt(sdk)} | ${fmt(bridge)} | ${fmt(median(mine.map((r) => r.bridge - r.sdk)))} | **${pct(median(ratios))}** (${pct(Math.min(...ratios))}–${pct(Math.max(...ratios))}) |`);
  }
  for (const r of results) {
    console.log(`${r.setup}: sdk ${r.sdkRounds.map(fmt).join(' ')} | bridge ${r.bridgeRounds.map(fmt).join(' ')} → ${pct(added(r))}; events ${r.events}, invalid ${r.invalid}, bridge errors ${r.errors}`);
  }
}

if (CHILD_SETUP !== undefined) await child(CHILD_SETUP);
else await main();
