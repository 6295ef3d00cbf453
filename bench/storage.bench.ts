/**
 * Storage benchmarks (issue 5): file log append throughput in batches, against JSON.stringify
 * alone and batched JSON.stringify + one write per 1000 events measured in the same run; then a
 * query by session over a 10-million-event file log, generated once into a tmp dir and removed.
 *
 * `npm run bench -- storage`. FLEETSCOPE_BENCH_EVENTS overrides the size of the big store
 * (default 10,000,000: ~3.5 GB on disk, a minute or two).
 */
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FleetEvent } from '../src/core/index.js';
import { fileLogStorage } from '../src/storage/file-log.js';
import { BENCH_T0 as T0, benchToolEnd } from './bench-support.js';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const root = mkdtempSync(join(tmpdir(), 'fleetscope-bench-storage-'));
const cleanup = () => rmSync(root, { recursive: true, force: true });
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

/** A realistic tool.end event (~330 bytes of JSON). `session` spreads events over many sessions. */
function makeEvent(i: number, session: string): FleetEvent {
  return benchToolEnd(i, session, `ev-${i.toString(36)}-${(i * 2654435761 >>> 0).toString(36)}`);
}

// ── 1. Append throughput ───────────────────────────────────────────────────────────────
// The machine is shared and its load swings within seconds, so the reference and the file log are
// measured in alternation, ROUNDS times, each on fresh files; the report gives medians.
const ROUNDS = Number(process.env.FLEETSCOPE_BENCH_ROUNDS ?? 5);

async function appendThroughput(): Promise<void> {
  const total = 200_000;
  const batchSize = 1000;
  const events = Array.from({ length: total }, (_, i) => makeEvent(i, `s-${i % 1000}`));

  let t = performance.now();
  let bytes = 0;
  for (const event of events) bytes += JSON.stringify(event).length;
  const stringifyRate = total / ((performance.now() - t) / 1000);

  const reference = (round: number): number => {
    const fd = openSync(join(root, `reference-${round}.jsonl`), 'a');
    const start = performance.now();
    for (let i = 0; i < total; i += batchSize) {
      let text = '';
      for (let j = i; j < i + batchSize; j++) text += `${JSON.stringify(events[j])}\n`;
      writeSync(fd, text);
    }
    const rate = total / ((performance.now() - start) / 1000);
    closeSync(fd);
    rmSync(join(root, `reference-${round}.jsonl`));
    return rate;
  };
  const fileLog = async (fsync: 'interval' | 'batch', round: number): Promise<number> => {
    const dir = join(root, `append-${fsync}-${round}`);
    const storage = fileLogStorage({ dir, fsync, maxAgeMs: Infinity, maxTotalBytes: Infinity });
    const start = performance.now();
    for (let i = 0; i < total; i += batchSize) await storage.append(events.slice(i, i + batchSize));
    await storage.flush!();
    const rate = total / ((performance.now() - start) / 1000);
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
    return rate;
  };
  const refRates: number[] = [];
  const intervalRates: number[] = [];
  const batchRates: number[] = [];
  const ratios: number[] = [];
  // One round not recorded: the file log's code is compiled by the JIT like the reference's loop already was.
  reference(-1);
  await fileLog('interval', -1);
  await fileLog('batch', -1);
  for (let round = 0; round < ROUNDS; round++) {
    globalThis.gc?.();
    const ref = reference(round);
    globalThis.gc?.();
    const interval = await fileLog('interval', round);
    globalThis.gc?.();
    batchRates.push(await fileLog('batch', round));
    refRates.push(ref);
    intervalRates.push(interval);
    ratios.push(interval / ref);
  }
  console.log(`events: ${fmt(total)} of ~${fmt(bytes / total)} bytes, batches of ${batchSize}, each append awaited; ${ROUNDS} alternating rounds after a warm-up round, medians`);
  console.log(`JSON.stringify alone:                        ${fmt(stringifyRate)} events/s`);
  console.log(`batched JSON.stringify + 1 write / 1000:      ${fmt(median(refRates))} events/s  (rounds: ${refRates.map((r) => fmt(r / 1000)).join(' ')} k)`);
  console.log(
    `fileLogStorage append (fsync interval, default): ${fmt(median(intervalRates))} events/s  (${fmt(median(ratios), 2)}x the batched reference, median of per-round ratios; rounds: ${intervalRates.map((r) => fmt(r / 1000)).join(' ')} k)`,
  );
  console.log(`fileLogStorage append (fsync batch):           ${fmt(median(batchRates))} events/s  (${fmt(median(batchRates) / median(refRates), 2)}x)`);
}

// ── 2. Query by session over a big store ───────────────────────────────────────────────
async function queryBigStore(): Promise<void> {
  const total = Number(process.env.FLEETSCOPE_BENCH_EVENTS ?? 10_000_000);
  if (total === 0) return;
  const free = (() => {
    const s = statfsSync(root);
    return s.bavail * s.bsize;
  })();
  if (free < total * 450) {
    console.log(`SKIPPED the ${fmt(total)}-event store: ${fmt(free / 2 ** 30, 1)} GiB free, need ~${fmt((total * 450) / 2 ** 30, 1)} GiB`);
    return;
  }
  // 100 windows of 100,000 events; in each, 1,000 sessions interleave round-robin (100 events each):
  // 100,000 sessions in all, each living a short while, as sessions do.
  const sessionOf = (i: number) => `session-${Math.floor(i / 100_000) * 1000 + (i % 1000)}`;
  const dir = join(root, 'big');
  const storage = fileLogStorage({ dir, fsync: 'never', maxAgeMs: Infinity, maxTotalBytes: Infinity, maintenanceIntervalMs: 0 });
  let t = performance.now();
  const batchSize = 10_000;
  for (let i = 0; i < total; i += batchSize) {
    const batch: FleetEvent[] = new Array(Math.min(batchSize, total - i));
    for (let j = 0; j < batch.length; j++) batch[j] = makeEvent(i + j, sessionOf(i + j));
    await storage.append(batch);
  }
  await storage.close();
  const writeSeconds = (performance.now() - t) / 1000;
  console.log(`generated ${fmt(total)} events in ${fmt(writeSeconds, 1)} s (${fmt(total / writeSeconds)} events/s incl. building events)`);

  // A fresh instance, as a new process would open it: first without a manifest (it reads every
  // segment's sidecar, then writes manifest.json on close), then again with it.
  const opener = fileLogStorage({ dir, maxAgeMs: Infinity, maxTotalBytes: Infinity, maintenanceIntervalMs: 0 });
  t = performance.now();
  await opener.query({ sessionId: sessionOf(Math.floor(total / 3)) });
  const coldNoManifest = performance.now() - t;
  await opener.close();
  const reader = fileLogStorage({ dir, maxAgeMs: Infinity, maxTotalBytes: Infinity, maintenanceIntervalMs: 0 });
  t = performance.now();
  const first = await reader.query({ sessionId: sessionOf(Math.floor(total / 2)) });
  const cold = performance.now() - t;
  const stats = reader.stats();
  const sessionCount = Math.ceil(total / 100_000) * 1000;
  const times: number[] = [];
  const descTimes: number[] = [];
  let returned = 0;
  for (let k = 0; k < 200; k++) {
    const i = Math.floor(((k * 7919) % 1000) / 1000 * total) + k;
    const session = sessionOf(i % total);
    t = performance.now();
    const page = await reader.query({ sessionId: session });
    times.push(performance.now() - t);
    returned += page.events.length;
    t = performance.now();
    await reader.query({ sessionId: session, order: 'desc', limit: 10 });
    descTimes.push(performance.now() - t);
  }
  t = performance.now();
  const byAgent = await reader.query({ agentId: 'agent-3', from: T0 + total - 50_000 });
  const agentMs = performance.now() - t;
  await reader.close();
  console.log(`store: ${fmt(Number(stats.events))} events, ${fmt(Number(stats.bytes) / 2 ** 30, 2)} GiB, ${stats.segments} segments, ${fmt(sessionCount)} sessions`);
  console.log(`query by session, first after open without manifest.json (reads ${stats.segments} sidecars): ${fmt(coldNoManifest, 1)} ms`);
  console.log(`query by session, first after open with manifest.json: ${fmt(cold, 1)} ms, ${first.events.length} events`);
  console.log(`query by session (limit 100), 200 sessions: median ${fmt(median(times), 2)} ms, p95 ${fmt(quantile(times, 0.95), 2)} ms, max ${fmt(Math.max(...times), 2)} ms (${fmt(returned / 200)} events per page)`);
  console.log(`query by session desc (limit 10): median ${fmt(median(descTimes), 2)} ms, p95 ${fmt(quantile(descTimes, 0.95), 2)} ms`);
  console.log(`query by agent in the last 50,000 ms of the store: ${fmt(agentMs, 1)} ms, ${byAgent.events.length} events`);
}

await appendThroughput();
await queryBigStore();
cleanup();
