/**
 * The event mix the analyzer benchmarks feed (the demo's shape: agent spans around a tool call
 * and an LLM call; 97 sessions, 211 workflows, 4 models of which 1 unpriced, 10,000 distinct
 * steps of 5 events), in two forms:
 * - `hostBuilt()` builds each event when it is emitted, as a host does: fresh objects, still in
 *   the CPU cache when `emit` reads them. The main figure.
 * - `pool(n)` replays n events built beforehand. 50,000 events (≈ 15 MB with their payloads)
 *   do not fit in the CPU caches, so every emit starts with cache misses no host has (measured:
 *   validation of the same events 2–3× slower). Kept as a second, pessimistic figure.
 * The feeding loop emits chunks of 4096 with one macrotask between them, then flushes.
 * MIX_LIVE=1 stamps the mix in the last 10 minutes instead of a fixed past day.
 */
import type { EventInput, Observer } from '../src/index.js';

export const CHUNK = 4096;

/** Event `i` of a run. */
export type MixSource = (i: number) => EventInput;

const STEPS = 10_000;
const TOOLS = ['web_search', 'read_file', 'write_file', 'run_tests', 'fetch_url'];
const MODELS = ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1', 'llama-3.1-8b-instruct'];
const SESSIONS = Array.from({ length: 97 }, (_, i) => `s-${i}`);
const WORKFLOWS = Array.from({ length: 211 }, (_, i) => `wf-${i}`);
const AGENTS = Array.from({ length: 4 }, (_, i) => `worker-${i}`);
const QUERIES = Array.from({ length: 50 }, (_, i) => `query ${i}`);

/**
 * Default: a fixed past day (reproducible; older than every rolling window, so only the
 * cumulative figures move). MIX_LIVE=1: the last 10 minutes, as a live stream (windows fill).
 */
const startTime = () => (process.env.MIX_LIVE === '1' ? Date.now() - 600_000 : Date.UTC(2025, 5, 1));

const spanOf = (n: number) => n.toString(16).padStart(16, '0');

/** Event `i % 5` of step `k`: agent.start, tool.start, tool.end, llm.call, agent.end. */
function build(k: number, i: number, t: number, agentSpan: string, span: string): EventInput {
  const sessionId = SESSIONS[k % 97]!;
  const workflowId = WORKFLOWS[k % 211]!;
  const agentId = AGENTS[k % 4]!;
  switch (i % 5) {
    case 0:
      return { sessionId, agentId, workflowId, type: 'agent.start', timestamp: t, spanId: agentSpan, payload: { name: agentId } };
    case 1:
      return {
        sessionId, agentId, workflowId, type: 'tool.start', timestamp: t + 1, spanId: span, parentSpanId: agentSpan,
        payload: { toolName: TOOLS[k % 5]!, input: { q: QUERIES[k % 50]! } },
      };
    case 2:
      return {
        sessionId, agentId, workflowId, type: 'tool.end', timestamp: t + 20, spanId: span, parentSpanId: agentSpan,
        payload: { toolName: TOOLS[k % 5]!, status: k % 17 === 0 ? 'error' : 'success', durationMs: 10 + (k % 90), error: k % 17 === 0 ? 'HTTP 503' : undefined },
      };
    case 3:
      return {
        sessionId, agentId, workflowId, type: 'llm.call', timestamp: t + 25, parentSpanId: agentSpan,
        payload: {
          model: MODELS[k % 4]!, status: 'success', inputTokens: 500 + (k % 700), outputTokens: 100 + (k % 300),
          cacheReadTokens: 4000, cacheWriteTokens: k % 5 === 0 ? 1000 : 0, latencyMs: 400 + (k % 800),
        },
      };
    default:
      return { sessionId, agentId, workflowId, type: 'agent.end', timestamp: t + 30, spanId: agentSpan, payload: { name: agentId, status: 'success', durationMs: 30 } };
  }
}

/** The mix built event by event as it is emitted (the host's side: a few array reads and two span ids per step). */
export function hostBuilt(): MixSource {
  const t0 = startTime();
  let step = -1;
  let agentSpan = '';
  let span = '';
  return (i) => {
    const k = Math.floor(i / 5) % STEPS;
    if (k !== step) {
      step = k;
      agentSpan = spanOf(k * 2 + 1);
      span = spanOf(k * 2 + 2);
    }
    return build(k, i, t0 + 37 * (k + 1), agentSpan, span);
  };
}

/** The same mix, `size` events built beforehand and replayed round-robin. */
export function pool(size: number): MixSource {
  const make = hostBuilt();
  const events = Array.from({ length: size }, (_, i) => make(i));
  return (i) => events[i % size]!;
}

export async function feed(observer: Observer, source: MixSource, count: number, onMillion?: (n: number) => void) {
  let sent = 0;
  while (sent < count) {
    const n = Math.min(CHUNK, count - sent);
    for (let i = 0; i < n; i++) observer.emit(source(sent + i));
    sent += n;
    // Let the analyzers read their batches: one macrotask per chunk.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (onMillion !== undefined && sent % 1_000_000 < CHUNK) onMillion(sent);
  }
  await observer.flush();
}
