/**
 * The fleet under faults, with real servers: a 30 s network partition (Redis frozen with SIGSTOP while
 * hosts emit and the central analysis reads), PostgreSQL stopped for 30 s under the consumer, and a Redis
 * restart (its data lost) under hosts and consumer. Producers keep the host fast and lose nothing they
 * did not count; the consumer resumes from its pending entries; every event lands in PostgreSQL exactly
 * once. (The poison entry is in redis-streams.test.ts.)
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObserver, type EventInput } from '../../src/index.js';
import { redisStreamExporter } from '../../src/exporters/redis-streams.js';
import { redisStreamRunner } from '../../src/runners/redis-streams.js';
import { postgresStorage } from '../../src/storage/postgres.js';
import { hasPostgres, hasRedis, startPostgres, startRedis, type RunningPostgres, type RunningRedis } from '../support/servers.js';

/** Seconds of a partition (a server frozen or stopped): the half minute; FLEETSCOPE_PARTITION_SECONDS=3 for a quick local run. */
const PARTITION_MS = Number(process.env.FLEETSCOPE_PARTITION_SECONDS ?? 30) * 1000;

const event = (i: number, tag: string): EventInput => ({
  type: 'llm.call',
  id: `${tag}-${i}`,
  sessionId: tag,
  payload: { model: 'claude-sonnet-4-5', status: 'success', inputTokens: 1, outputTokens: 1 },
});

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!hasPostgres || !hasRedis)('fleet faults', () => {
  let postgres: RunningPostgres;
  let redis: RunningRedis;
  let client: pg.Client;
  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    postgres?.destroy();
    await redis?.destroy();
  });

  const count = async (table: string) => {
    const row = (await client.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${table}`)).rows[0] as { n: number; ids: number };
    return row;
  };

  it('a network partition (Redis frozen): hosts stay fast, and every event arrives once after it heals', async () => {
    const stream = 'partition';
    const table = 'partition_events';
    const runner = redisStreamRunner({ url: redis.url, stream, consumer: 'c', storage: postgresStorage({ connectionString: postgres.url, table }), blockMs: 100 });
    const central = createObserver({ runners: [runner], storage: false });
    const exporter = redisStreamExporter({ url: redis.url, stream, retryBaseMs: 50, retryMaxMs: 500 });
    const host = createObserver({ storage: false, analyzers: [], exporters: [exporter] });
    for (let i = 0; i < 1000; i++) host.emit(event(i, 'p'));
    await host.flush();
    await until(async () => (await count(table).catch(() => ({ n: 0 }))).n === 1000, 30_000, 'the events before the partition');
    redis.pause();
    const started = performance.now();
    for (let i = 1000; i < 3000; i++) host.emit(event(i, 'p'));
    const emitMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, PARTITION_MS));
    redis.resume();
    await host.close();
    expect(exporter.stats!()).toMatchObject({ written: 3000, dropped: 0 });
    await until(async () => (await count(table)).n >= 3000, 60_000, 'all events in PostgreSQL');
    expect(await count(table)).toEqual({ n: 3000, ids: 3000 });
    // Generous bound: 2,000 emits during the partition did not wait on the network (a wait is seconds).
    expect(emitMs).toBeLessThan(PARTITION_MS);
    await central.close();
  }, 120_000);

  it('PostgreSQL stopped for the partition under the consumer: entries stay pending and land once it is back', async () => {
    const stream = 'pg-restart';
    const table = 'restart_events';
    const runner = redisStreamRunner({ url: redis.url, stream, consumer: 'c', storage: postgresStorage({ connectionString: postgres.url, table }), blockMs: 100 });
    const central = createObserver({ runners: [runner], storage: false });
    const host = createObserver({ storage: false, analyzers: [], exporters: [redisStreamExporter({ url: redis.url, stream })] });
    for (let i = 0; i < 500; i++) host.emit(event(i, 'r'));
    await host.flush();
    await until(async () => (await count(table).catch(() => ({ n: 0 }))).n === 500, 30_000, 'the first events');
    await client.end();
    postgres.stop();
    for (let i = 500; i < 1500; i++) host.emit(event(i, 'r'));
    await host.close();
    await until(async () => Number(runner.health().details?.storageErrors) > 0, 30_000, 'a failed write');
    expect(runner.health().status).toBe('degraded');
    await new Promise((resolve) => setTimeout(resolve, PARTITION_MS));
    postgres.start();
    client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await until(async () => (await count(table)).n >= 1500, 60_000, 'the events after the restart');
    expect(await count(table)).toEqual({ n: 1500, ids: 1500 });
    await central.close();
  }, 120_000);

  it('a Redis restart that loses its data: the host keeps its queue, the consumer re-creates its group, each event lands once', async () => {
    const restarting = await startRedis();
    const stream = 'redis-restart';
    const table = 'redis_restart_events';
    const runner = redisStreamRunner({ url: restarting.url, stream, consumer: 'c', storage: postgresStorage({ connectionString: postgres.url, table }), blockMs: 100 });
    const central = createObserver({ runners: [runner], storage: false });
    const exporter = redisStreamExporter({ url: restarting.url, stream, retryBaseMs: 50, retryMaxMs: 500 });
    const host = createObserver({ storage: false, analyzers: [], exporters: [exporter] });
    for (let i = 0; i < 500; i++) host.emit(event(i, 'x'));
    await host.flush();
    await until(async () => (await count(table).catch(() => ({ n: 0 }))).n === 500, 30_000, 'the events before the restart');
    await restarting.stop();
    for (let i = 500; i < 1500; i++) host.emit(event(i, 'x'));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await restarting.start();
    await host.close();
    expect(exporter.stats!()).toMatchObject({ written: 1500, dropped: 0, abandoned: 0 });
    await until(async () => (await count(table)).n >= 1500, 60_000, 'the events after the restart');
    expect(await count(table)).toEqual({ n: 1500, ids: 1500 });
    // The restarted server had no group: the runner created it again and read the new entries from the start.
    expect(runner.health()).toMatchObject({ status: 'running', details: { emitted: 1500, duplicates: 0 } });
    expect(runner.health().details?.readErrors).toBeGreaterThan(0); // NOGROUP, once
    await central.close();
    await restarting.destroy();
  }, 120_000);
});
