/**
 * Analyzers benchmark (issue 3): the whole default analyzer set on the demo's event mix.
 * - throughput: events/s through emit + every default analyzer, until flush() has drained them,
 *   next to the same run with no analyzers (the reference, same process); with events built as
 *   they are emitted (as a host does: the main figure) and replayed from a prebuilt pool of
 *   50,000 (cold in the CPU caches: a pessimistic second figure; see analyzer-mix.ts);
 * - heap across 10 million events (after GC), which must stay flat (bounded analyzer state);
 * - report() after 1 million events.
 * Run with `npm run bench -- analyzers`. EVENTS=2000000 shortens the heap run.
 */
import { performance } from 'node:perf_hooks';
import { createObserver } from '../src/index.js';
import { CHUNK, feed, hostBuilt, pool, type MixSource } from './analyzer-mix.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const TOTAL = Number(process.env.EVENTS ?? 10_000_000);

async function throughput(analyzers: boolean, events: MixSource, count: number): Promise<{ rate: number; cpu: number; dropped: number }> {
  const observer = createObserver({ storage: false, ...(analyzers ? {} : { analyzers: [] }), flushTimeoutMs: 120_000 });
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await feed(observer, events, count);
  const used = process.cpuUsage(cpu0);
  const seconds = (performance.now() - start) / 1000;
  const dropped = observer.stats().dropped;
  await observer.close();
  return { rate: count / seconds, cpu: ((used.user + used.system) * 1000) / count, dropped };
}

console.log(`event mix: agent.start, tool.start, tool.end, llm.call, agent.end; 97 sessions, 211 workflows, 4 models (1 unpriced)\n`);

// The machine is shared: reference and full set alternate, 3 runs each after a warm-up; best of each.
async function compare(label: string, events: MixSource) {
  await throughput(true, events, 200_000); // warm-up
  const reference = { rate: 0, cpu: Infinity, dropped: 0 };
  const full = { rate: 0, cpu: Infinity, dropped: 0 };
  for (let run = 0; run < 3; run++) {
    for (const [into, analyzers] of [[reference, false], [full, true]] as const) {
      const r = await throughput(analyzers, events, 1_000_000);
      into.rate = Math.max(into.rate, r.rate);
      into.cpu = Math.min(into.cpu, r.cpu);
      into.dropped += r.dropped;
    }
  }
  console.log(`throughput, ${label}, 1M events, emit → flush drained (best of 3, alternating):`);
  console.log(`  no analyzers (reference)   ${fmt(reference.rate)} events/s  (CPU ${fmt(reference.cpu)} ns/event)`);
  console.log(
    `  default analyzer set       ${fmt(full.rate)} events/s  (${(full.rate / reference.rate).toFixed(2)}× the reference; CPU ${fmt(full.cpu)} ns/event, ` +
      `${fmt(1e9 / full.rate - 1e9 / reference.rate)} ns/event over the reference; dropped ${full.dropped})`,
  );
  console.log(`  target ≥ 500,000 events/s: ${full.rate >= 500_000 ? 'met' : 'NOT met'}\n`);
}
const events = hostBuilt();
await compare('events built as emitted (as a host does)', events);
await compare('events replayed from a prebuilt pool of 50,000 (cache-cold)', pool(50_000));

// report() after 1M events, then keep going to TOTAL for the heap.
const observer = createObserver({ storage: false, flushTimeoutMs: 120_000 });
await feed(observer, events, 1_000_000);
let t0 = performance.now();
const report = await observer.report();
const reportMs = performance.now() - t0;
t0 = performance.now();
observer.snapshot();
const snapshotMs = performance.now() - t0;
console.log(`report() after 1M events: ${fmt(reportMs, 1)} ms (${fmt(report.length)} chars); snapshot() alone ${fmt(snapshotMs, 1)} ms; target < 1000 ms: ${reportMs < 1000 ? 'met' : 'NOT met'}\n`);

const samples: [number, number][] = [[1_000_000, heapMb()]];
await feed(observer, events, TOTAL - 1_000_000, (n) => {
  if ((n + 1_000_000) % 3_000_000 < CHUNK) samples.push([n + 1_000_000, heapMb()]);
});
samples.push([TOTAL, heapMb()]);
console.log(`heap (after GC) across ${fmt(TOTAL)} events with the default analyzer set:`);
for (const [n, mb] of samples) console.log(`  ${fmt(n).padStart(12)} events  ${mb.toFixed(1)} MB`);
console.log(`  growth from 1M to ${fmt(TOTAL)}: ${(samples[samples.length - 1]![1] - samples[0]![1]).toFixed(1)} MB; dropped ${observer.stats().dropped}`);
await observer.close();
