/** Pieces shared by several benchmarks (not a benchmark itself: no `.bench.ts` suffix). */
import type { FleetEvent } from '../src/core/index.js';

/** mulberry32: a small deterministic PRNG, so every run feeds the same events (the one the anomalies analyzer seeds). */
export { seededRandom as mulberry32 } from '../src/analyzers/anomalies-options.js';

/** Heap used + array buffers after a full GC (the process must run with --expose-gc, as `npm run bench` does). */
export function retainedBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc (npm run bench does)');
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Bytes as MB with one decimal. */
export const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

const TOOLS = ['Bash', 'Read', 'Edit', 'Grep', 'WebFetch'];
/** Time of event 0 of `benchToolEnd`. */
export const BENCH_T0 = Date.UTC(2025, 0, 1);

/** A realistic validated `tool.end` event (~330 bytes of JSON), the storage benchmarks' unit. */
export function benchToolEnd(i: number, sessionId: string, id: string): FleetEvent {
  return {
    id,
    timestamp: BENCH_T0 + i,
    severity: 'info',
    source: 'bench',
    sessionId,
    agentId: `agent-${i % 8}`,
    workflowId: 'wf-1',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: (0x1000000000000000n + BigInt(i)).toString(16),
    parentSpanId: '00f067aa0ba902b7',
    type: 'tool.end',
    payload: { toolName: TOOLS[i % 5]!, toolCallId: `toolu_${i.toString(36)}`, status: 'success', durationMs: 10 + (i % 90), output: 'ok' },
  } as FleetEvent;
}
