/**
 * Fleet benchmarks (issue 15), against real servers started here (scripts/local-servers.ts):
 * 1. PostgreSQL append rate (batches of 1,000 events: the default COPY with two statements at once, COPY one
 *    at a time, the INSERT ... unnest of before, two appenders at once, and on a server that keeps
 *    PostgreSQL's durable defaults, with and without `synchronousCommit: false`) next to the file log's,
 *    same events, same run, alternating; CPU per event of the appender and of the server, COPY and INSERT;
 * 2. a store of FLEETSCOPE_BENCH_PG_EVENTS (default 10,000,000) events appended through the storage (the
 *    default COPY: the sustained rate, per million, as the indexes grow), then a query by session over it,
 *    first page asc and desc;
 * 3. Redis Streams end to end: two host processes (observer → redisStreamExporter) → Redis →
 *    redisStreamRunner → a central observer with the default analyzers, events per second until the
 *    analyzers have all, and the CPU per event of each part (the hosts, redis-server, the central),
 *    alternating with the reference of the same round: the hosts writing, then the central reading alone;
 *    each round in both stream entry formats (v1 JSON arrays of events, v2 rows + header), alternating;
 * 4. latency from a host's emit to the central analyzers at a paced 10,000 events/s (p50 / p99).
 *
 * `npm run bench -- fleet`. FLEETSCOPE_BENCH_ROUNDS (default 3) sets the alternations of parts 1 and 3;
 * FLEETSCOPE_BENCH_FLEET (default `append,big,redis`) the parts run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createObserver, defineAnalyzer, type FleetEvent } from '../src/index.js';
import { redisStreamExporter } from '../src/exporters/redis-streams.js';
import { redisStreamRunner } from '../src/runners/redis-streams.js';
import { fileLogStorage } from '../src/storage/file-log.js';
import { postgresStorage } from '../src/storage/postgres.js';
import { startPostgres, startRedis } from '../scripts/local-servers.js';
import { benchToolEnd } from './bench-support.js';

const loadAverage = () => loadavg().map((x) => x.toFixed(1)).join(' / ');
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const ROUNDS = Number(process.env.FLEETSCOPE_BENCH_ROUNDS ?? 3);
const BIG = Number(process.env.FLEETSCOPE_BENCH_PG_EVENTS ?? 10_000_000);
const T0 = Date.UTC(2026, 0, 1);
const BATCH = 1000;
const PARTS = new Set((process.env.FLEETSCOPE_BENCH_FLEET ?? 'append,big,redis').split(','));
const PRODUCER = fileURLToPath(new URL('../test/fleet/processes/producer.ts', import.meta.url));

/** CPU time (µs) used so far by one process, from /proc (utime + stime, in 1/100 s). */
function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) throw new Error('no such process');
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** CPU time (µs) used so far by the server's processes (backends and background workers), from /proc. */
async function serverCpuMicros(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const pids = (await client.query('SELECT pid FROM pg_stat_activity')).rows.map((row: { pid: number }) => row.pid);
    return pids.reduce((sum: number, pid: number) => sum + processCpuMicros(pid), 0);
  } finally {
    await client.end();
  }
}

const makeEvent = (i: number, tag: string): FleetEvent => benchToolEnd(i, `s-${i % 1000}`, `${tag}-${i.toString(36)}`);

const [postgres, durable, redis] = await Promise.all([startPostgres(), startPostgres({ durable: true }), startRedis()]);
const root = mkdtempSync(join(tmpdir(), 'fleetscope-bench-fleet-'));
const cleanup = async () => {
  await redis.destroy();
  postgres.destroy();
  durable.destroy();
  rmSync(root, { recursive: true, force: true });
};

try {
  // ── 1. Append rate ─────────────────────────────────────────────────────────────────────
  if (PARTS.has('append')) {
    const total = Number(process.env.FLEETSCOPE_BENCH_PG_APPEND ?? 200_000);
    const appendAll = async (append: (events: FleetEvent[], writer: number) => Promise<void>, tag: string, writers = 1): Promise<number> => {
      const events = Array.from({ length: total }, (_, i) => makeEvent(i, tag));
      const started = performance.now();
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = w * BATCH; i < total; i += BATCH * writers) await append(events.slice(i, i + BATCH), w);
        }),
      );
      return total / ((performance.now() - started) / 1000);
    };
    type Options = Parameters<typeof postgresStorage>[0];
    const rates = { file: [] as number[], copy: [] as number[], copy1: [] as number[], insert: [] as number[], two: [] as number[], durable: [] as number[], asyncCommit: [] as number[] };
    /** CPU µs per event of one PostgreSQL appender: this process and every server process, summed. */
    const cpu = { copy: { node: [] as number[], server: [] as number[] }, insert: { node: [] as number[], server: [] as number[] } };
    /** The rate of one storage, timed once its connections are open; with `into`, the CPU per event of both sides. */
    const appendTo = async (url: string, table: string, options: Partial<Options> = {}, into?: { node: number[]; server: number[] }) => {
      const storage = postgresStorage({ connectionString: url, table, ...options });
      await storage.append(Array.from({ length: 2 * BATCH }, (_, i) => makeEvent(i, `seed-${table}`)));
      const [node0, server0] = [process.cpuUsage(), into ? await serverCpuMicros(url) : 0];
      const rate = await appendAll((b) => storage.append(b), table);
      if (into) {
        const nodeUsed = process.cpuUsage(node0);
        into.node.push((nodeUsed.user + nodeUsed.system) / total);
        into.server.push(((await serverCpuMicros(url)) - server0) / total);
      }
      await storage.close();
      return rate;
    };
    for (let round = 0; round < ROUNDS; round++) {
      const file = fileLogStorage({ dir: join(root, `log-${round}`) });
      rates.file.push(await appendAll((b) => file.append(b), `f${round}`));
      await file.close();
      rates.copy.push(await appendTo(postgres.url, `copy_${round}`, {}, cpu.copy));
      rates.copy1.push(await appendTo(postgres.url, `copy1_${round}`, { appendParallelism: 1 }));
      rates.insert.push(await appendTo(postgres.url, `insert_${round}`, { appendWith: 'insert' }, cpu.insert));
      const hosts = [0, 1].map(() => postgresStorage({ connectionString: postgres.url, table: `two_${round}` }));
      rates.two.push(await appendAll((b, w) => hosts[w]!.append(b), `q${round}`, 2));
      await Promise.all(hosts.map((h) => h.close()));
      rates.durable.push(await appendTo(durable.url, `durable_${round}`));
      rates.asyncCommit.push(await appendTo(durable.url, `async_${round}`, { synchronousCommit: false }));
    }
    console.log(`### Append, ${fmt(total)} tool.end events in batches of ${fmt(BATCH)} (median of ${ROUNDS} alternating rounds, load ${loadAverage()})\n`);
    console.log('| storage | events/s | vs file log |');
    console.log('|---|---:|---:|');
    const fileRate = median(rates.file);
    const row = (label: string, xs: number[]) => console.log(`| ${label} | ${fmt(median(xs))} | ${(median(xs) / fileRate).toFixed(2)}× |`);
    row('file log (reference)', rates.file);
    row('PostgreSQL, default (COPY, 2 statements at once)', rates.copy);
    row('PostgreSQL, COPY, `appendParallelism: 1`', rates.copy1);
    row("PostgreSQL, `appendWith: 'insert'` (INSERT ... unnest ON CONFLICT, 2 at once: the previous default)", rates.insert);
    row('PostgreSQL, 2 appenders at once (default each)', rates.two);
    row('PostgreSQL, default, durable server (fsync, synchronous_commit on)', rates.durable);
    row('PostgreSQL, `synchronousCommit: false`, durable server (fsync on)', rates.asyncCommit);
    console.log('');
    for (const [label, used] of Object.entries(cpu)) {
      const perEvent = median(used.node) + median(used.server);
      console.log(`PostgreSQL ${label}, 1 appender, CPU per event: ${fmt(median(used.node), 1)} µs here + ${fmt(median(used.server), 1)} µs in the server = ${fmt(1e6 / perEvent)} events per CPU-second`);
    }
  console.log('');

  }

  // ── 2. A big store through the storage, then a query by session ─────────────────────────
  if (PARTS.has('big')) {
    const big = postgresStorage({ connectionString: postgres.url, table: 'big', partitionBy: 'month' });
    const perMillion: number[] = [];
    let started = performance.now();
    let millionStarted = started;
    const cpu2 = process.cpuUsage();
    const server2 = await serverCpuMicros(postgres.url);
    // 1,000 sessions, 8 agents; batches generated as they go (10 M events do not fit in memory at once).
    for (let from = 0; from < BIG; from += BATCH) {
      await big.append(Array.from({ length: Math.min(BATCH, BIG - from) }, (_, k) => makeEvent(from + k, 'big')));
      if ((from + BATCH) % 1_000_000 === 0) {
        perMillion.push(1_000_000 / ((performance.now() - millionStarted) / 1000));
        millionStarted = performance.now();
      }
    }
    const fillSeconds = (performance.now() - started) / 1000;
    const used2 = process.cpuUsage(cpu2);
    const server2Used = (await serverCpuMicros(postgres.url)) - server2;
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await client.query('ANALYZE big');
    const rows = Number((await client.query('SELECT count(*) AS n FROM big')).rows[0].n);
    await client.end();
    const times = { asc: [] as number[], desc: [] as number[] };
    for (let q = 0; q < 30; q++) {
      for (const order of ['asc', 'desc'] as const) {
        started = performance.now();
        const page = await big.query({ sessionId: `s-${(q * 37) % 1000}`, limit: 100, order });
        times[order].push(performance.now() - started);
        if (page.events.length !== 100) throw new Error(`expected a full page, got ${page.events.length}`);
      }
  }
  await big.close();
  console.log(`### ${fmt(rows)} events appended through the storage (default options, batches of ${fmt(BATCH)}, load ${loadAverage()})\n`);
  console.log(`${fmt(rows / fillSeconds)} events/s over ${fmt(fillSeconds, 1)} s; per million: ${perMillion.map((r) => fmt(r)).join(', ')}`);
  console.log(`CPU per event: ${fmt((used2.user + used2.system) / rows, 1)} µs here + ${fmt(server2Used / rows, 1)} µs in the server\n`);
  console.log(`### Query by session over ${fmt(rows)} PostgreSQL rows, first page of 100, 30 sessions\n`);
  console.log(`| order | median | p95 |\n|---|---:|---:|`);
  for (const order of ['asc', 'desc'] as const) console.log(`| ${order} | ${fmt(median(times[order]), 2)} ms | ${fmt(quantile(times[order], 0.95), 2)} ms |`);
  console.log('');

  }

  // ── 3. Redis Streams end to end ─────────────────────────────────────────────────────────
  // Hosts as they run in a fleet: processes of their own (test/fleet/processes/producer.ts), the
  // central analysis here. Timed from the first entry the central reads to the last event its analyzers saw.
  if (PARTS.has('redis')) {
    const hosts = 2;
    const perHost = 100_000;
    const n = hosts * (perHost + 2); // each host adds its agent.start and agent.end
    type HostReport = { written: number; ms: number; cpuMicros: number };
    const produce = (stream: string, format: 1 | 2) =>
      Array.from({ length: hosts }, (_, h) =>
        new Promise<HostReport>((resolve, reject) => {
          let out = '';
          const child = spawn(process.execPath, ['--import', 'tsx', PRODUCER, redis.url, stream, String(h), String(perHost), String(T0), String(format)], { stdio: ['ignore', 'pipe', 'ignore'] });
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as HostReport) : reject(new Error(`producer exited ${code}`))));
        }),
      );
    /** A central observer (default analyzers) reading `stream` until its analyzers had all `n` events: events/s and CPU µs per event. */
    const drain = async (stream: string) => {
      const central = createObserver({ runners: [redisStreamRunner({ url: redis.url, stream, consumer: 'bench' })], storage: false });
      const runnerOf = () => central.stats().runners['redis-streams']?.details as Record<string, number> | undefined;
      while ((runnerOf()?.entries ?? 0) === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      const started = performance.now();
      const cpu3 = process.cpuUsage();
      while ((runnerOf()?.emitted ?? 0) < n) await new Promise((resolve) => setTimeout(resolve, 5));
      await central.flush();
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu3);
      const calls = (central.snapshot().cost as { calls: number }).calls;
      await central.close();
      return { rate: n / seconds, cpu: (used.user + used.system) / n, calls };
    };
    const redisCpu = () => processCpuMicros(redis.pid);
    const hostCpuOf = (reports: HostReport[]) => reports.reduce((sum, r) => sum + r.cpuMicros, 0) / n;
    // The CPU budget per event of each part (the hosts, redis-server, the central) in alternating rounds:
    // end to end, all at once, then the reference of the same round: the central alone on a stream written
    // beforehand; each round once with the v1 entry format (JSON arrays of events) and once with v2 (rows
    // and a header, the default), alternating which goes first.
    type Figures = { rate: number[]; hosts: number[]; hostRate: number[]; redis: number[]; central: number[]; calls: number; bytes: number[];
      ref: { rate: number[]; central: number[]; hosts: number[]; redisWrite: number[]; redisRead: number[] } };
    const figures = (): Figures => ({ rate: [], hosts: [], hostRate: [], redis: [], central: [], calls: 0, bytes: [], ref: { rate: [], central: [], hosts: [], redisWrite: [], redisRead: [] } });
    const byFormat = { 1: figures(), 2: figures() };
    const streamBytes = (stream: string) => Number(spawnSync('redis-cli', ['-p', String(redis.port), 'MEMORY', 'USAGE', stream, 'SAMPLES', '0'], { encoding: 'utf8' }).stdout.trim());
    const roundOf = async (round: number, format: 1 | 2) => {
      const f = byFormat[format];
      const [e2eStream, drainStream] = [`bench-throughput-v${format}-${round}`, `bench-drain-v${format}-${round}`];
      let redis0 = redisCpu();
      const producing = produce(e2eStream, format);
      const together = await drain(e2eStream);
      const hostReports = await Promise.all(producing);
      f.redis.push((redisCpu() - redis0) / n);
      f.rate.push(together.rate);
      f.central.push(together.cpu);
      f.calls = together.calls;
      f.hosts.push(hostCpuOf(hostReports));
      f.hostRate.push(hostReports.reduce((sum, r) => sum + r.written / (r.ms / 1000), 0));
      f.bytes.push(streamBytes(e2eStream) / n);
      redis0 = redisCpu();
      f.ref.hosts.push(hostCpuOf(await Promise.all(produce(drainStream, format))));
      const redis1 = redisCpu();
      f.ref.redisWrite.push((redis1 - redis0) / n);
      const alone = await drain(drainStream);
      f.ref.redisRead.push((redisCpu() - redis1) / n);
      f.ref.rate.push(alone.rate);
      f.ref.central.push(alone.cpu);
      // As a capped stream would, give the memory back (a stream trimmed by MAXLEN reuses it).
      spawnSync('redis-cli', ['-p', String(redis.port), 'DEL', e2eStream, drainStream], { stdio: 'ignore' });
    };
    for (let round = 0; round < ROUNDS; round++) {
      const order: (1 | 2)[] = round % 2 === 0 ? [1, 2] : [2, 1];
      for (const format of order) await roundOf(round, format);
    }
    console.log(`### Redis Streams: ${hosts} host processes × ${fmt(perHost)} llm.call → Redis → consumer group → default analyzers (median of ${ROUNDS} alternating rounds per entry format, load ${loadAverage()})\n`);
    console.log('| entry format | measured | events/s | CPU per event: hosts + redis-server + central = total |\n|---|---|---:|---:|');
    for (const format of [1, 2] as const) {
      const f = byFormat[format];
      const budget = median(f.hosts) + median(f.redis) + median(f.central);
      const budgetAlone = median(f.ref.hosts) + median(f.ref.redisWrite) + median(f.ref.redisRead) + median(f.ref.central);
      console.log(`| v${format} | end to end, hosts and central at once (cost analyzer: ${fmt(f.calls)} calls; stream ${fmt(median(f.bytes))} bytes per event in Redis) | ${fmt(median(f.rate))} (${(median(f.rate) / median(f.ref.rate)).toFixed(2)}× the central alone; ${(median(f.rate) / median(byFormat[1].rate)).toFixed(2)}× v1) | ${fmt(median(f.hosts), 1)} + ${fmt(median(f.redis), 1)} + ${fmt(median(f.central), 1)} = ${fmt(budget, 1)} µs: ${fmt(2e6 / budget)} events/s on 2 cores at best |`);
      console.log(`| v${format} | the hosts meanwhile (emit → exporter → XADD), summed | ${fmt(median(f.hostRate))} | |`);
      console.log(`| v${format} | each part alone: hosts writing, then the central reading (reference) | ${fmt(median(f.ref.rate))} (the central) | ${fmt(median(f.ref.hosts), 1)} + ${fmt(median(f.ref.redisWrite), 1)} (XADD) + ${fmt(median(f.ref.redisRead), 1)} (XREADGROUP) + ${fmt(median(f.ref.central), 1)} = ${fmt(budgetAlone, 1)} µs: ${fmt(2e6 / budgetAlone)} events/s on 2 cores at best |`);
    }
    console.log('');

    // ── 4. Latency at 10,000 events/s ────────────────────────────────────────────────────────
    const latencies: number[] = [];
    const latency = defineAnalyzer({
      name: 'latency',
      onEvent: (event) => {
        if (event.type === 'llm.call') latencies.push(Date.now() - event.timestamp);
      },
      snapshot: () => latencies.length,
    });
    const paced = 'bench-latency';
    const receiver = createObserver({ runners: [redisStreamRunner({ url: redis.url, stream: paced, consumer: 'latency', startId: '$', blockMs: 100 })], analyzers: [latency], storage: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sender = createObserver({ storage: false, analyzers: [], exporters: [redisStreamExporter({ url: redis.url, stream: paced })] });
    const seconds4 = 5;
    for (let tick = 0; tick < seconds4 * 100; tick++) {
      const due = performance.now() + 10;
      for (let i = 0; i < 100; i++) sender.emit({ type: 'llm.call', payload: { model: 'm', status: 'success', inputTokens: 1, outputTokens: 1 } });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    }
    await sender.close();
    const deadline = Date.now() + 10_000;
    while (latencies.length < seconds4 * 10_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await receiver.close();
    console.log(`### Latency, emit on a host → central analyzer, paced at 10,000 events/s for ${seconds4} s (${fmt(latencies.length)} events)\n`);
    console.log(`p50 ${fmt(quantile(latencies, 0.5))} ms, p99 ${fmt(quantile(latencies, 0.99))} ms, max ${fmt(Math.max(...latencies))} ms\n`);
  }
} finally {
  await cleanup();
}
