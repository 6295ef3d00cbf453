/**
 * One agent host of the fleet test: emits `count` llm.call events (ids `h<host>-<i>`) and one agent
 * run of workflow `wf` (from T0 + host * 1000 ms, 10,000 ms long) through the Redis Streams exporter,
 * then closes (draining the exporter) and prints its exporter counters as JSON, with the ms and CPU µs
 * from its first emit to its close (the benchmark's host rate).
 * argv: redisUrl stream host count T0 [entryFormat: 1 or 2, default the exporter's]
 */
import { createObserver } from '../../../src/index.js';
import { redisStreamExporter } from '../../../src/exporters/redis-streams.js';

const [url, stream, hostArg, countArg, t0Arg, formatArg] = process.argv.slice(2);
const host = Number(hostArg);
const count = Number(countArg);
const t0 = Number(t0Arg);
const exporter = redisStreamExporter({ url: url!, stream: stream!, maxQueueSize: 1_000_000, shutdownTimeoutMs: 60_000, ...(formatArg === undefined ? {} : { entryFormat: Number(formatArg) as 1 | 2 }) });
const observer = createObserver({ storage: false, analyzers: [], exporters: [exporter] });

const agentId = `worker-${host}`;
const spanId = (0x1000 + host).toString(16).padStart(16, '0');
const traceId = 'a'.repeat(32);
const start = t0 + host * 1000;
const began = performance.now();
const cpu = process.cpuUsage();
observer.emit({ type: 'agent.start', id: `h${host}-start`, timestamp: start, sessionId: "run-1", agentId, workflowId: 'wf', traceId, spanId, payload: { name: 'worker' } });
for (let i = 0; i < count; i++) {
  observer.emit({
    type: 'llm.call',
    id: `h${host}-${i}`,
    timestamp: start + 1 + (i % 9000),
    sessionId: "run-1",
    agentId,
    workflowId: 'wf',
    traceId,
    parentSpanId: spanId,
    payload: { model: 'claude-sonnet-4-5', provider: 'anthropic', status: 'success', inputTokens: 10, outputTokens: 1 + (i % 5) },
  });
  // A host's event loop turns while it works.
  if (i % 2000 === 1999) await new Promise((resolve) => setImmediate(resolve));
}
observer.emit({ type: 'agent.end', id: `h${host}-end`, timestamp: start + 10_000, sessionId: "run-1", agentId, workflowId: 'wf', traceId, spanId, payload: { name: 'worker', status: 'success', durationMs: 10_000 } });
await observer.close();
const used = process.cpuUsage(cpu);
process.stdout.write(`${JSON.stringify({ ...exporter.stats!(), ms: performance.now() - began, cpuMicros: used.user + used.system })}\n`);
