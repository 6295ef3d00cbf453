/**
 * The event mix the analyzer benchmarks feed (the demo's shape: agent spans around a tool call
 * and an LLM call; 97 sessions, 211 workflows, 4 models of which 1 unpriced), and the feeding
 * loop: chunks of 4096 emits with one macrotask between them, then flush. MIX_LIVE=1 stamps the
 * pool in the last 10 minutes instead of a fixed past day.
 */
import type { EventInput, Observer } from '../src/index.js';

export const CHUNK = 4096;

/** A pool of the demo's mix, reused round-robin (distinct sessions, workflows, spans and tools). */
export function pool(size: number): EventInput[] {
  const out: EventInput[] = [];
  const tools = ['web_search', 'read_file', 'write_file', 'run_tests', 'fetch_url'];
  const models = ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1', 'llama-3.1-8b-instruct'];
  // Default: a fixed past day (reproducible; older than every rolling window, so only the
  // cumulative figures move). MIX_LIVE=1: the last 10 minutes, as a live stream (windows fill).
  let t = process.env.MIX_LIVE === '1' ? Date.now() - 600_000 : Date.UTC(2025, 5, 1);
  for (let i = 0; out.length < size; i++) {
    const session = `s-${i % 97}`;
    const wf = `wf-${i % 211}`;
    const agentId = `worker-${i % 4}`;
    const agentSpan = (i * 2 + 1).toString(16).padStart(16, '0');
    const span = (i * 2 + 2).toString(16).padStart(16, '0');
    const common = { sessionId: session, agentId, workflowId: wf };
    const toolName = tools[i % tools.length]!;
    t += 37;
    out.push({ ...common, type: 'agent.start', timestamp: t, spanId: agentSpan, payload: { name: agentId } });
    out.push({ ...common, type: 'tool.start', timestamp: t + 1, spanId: span, parentSpanId: agentSpan, payload: { toolName, input: { q: `query ${i % 50}` } } });
    out.push({ ...common, type: 'tool.end', timestamp: t + 20, spanId: span, parentSpanId: agentSpan, payload: { toolName, status: i % 17 === 0 ? 'error' : 'success', durationMs: 10 + (i % 90), error: i % 17 === 0 ? 'HTTP 503' : undefined } });
    out.push({
      ...common, type: 'llm.call', timestamp: t + 25, parentSpanId: agentSpan,
      payload: { model: models[i % models.length]!, status: 'success', inputTokens: 500 + (i % 700), outputTokens: 100 + (i % 300), cacheReadTokens: 4000, cacheWriteTokens: i % 5 === 0 ? 1000 : 0, latencyMs: 400 + (i % 800) },
    });
    out.push({ ...common, type: 'agent.end', timestamp: t + 30, spanId: agentSpan, payload: { name: agentId, status: 'success', durationMs: 30 } });
  }
  return out;
}

export async function feed(observer: Observer, events: readonly EventInput[], count: number, onMillion?: (n: number) => void) {
  let sent = 0;
  while (sent < count) {
    const n = Math.min(CHUNK, count - sent);
    for (let i = 0; i < n; i++) observer.emit(events[(sent + i) % events.length]!);
    sent += n;
    // Let the analyzers read their batches: one macrotask per chunk.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (onMillion !== undefined && sent % 1_000_000 < CHUNK) onMillion(sent);
  }
  await observer.flush();
}

