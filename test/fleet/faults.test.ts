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
import { hasPostgres, hasRedis, startPostgres, startRedis, type RunningPostgres, type RunningRedis, until } from '../support/servers.js';

/** Seconds of a partition (a server frozen or stopped): the half minute; FLEETSCOPE_PARTITION_SECONDS=3 for a quick local run. */
const PARTITION_MS = Number(process.env.FLEETSCOPE_PARTITION_SECONDS ?? 30) * 1000;

const event = (i: number, tag: string): EventInput => ({
  type: 'llm.call',
  id: `${tag}-${i}`,
  sessionId: tag,
  payload: { model: 'claude-sonnet-4-5', status: 'success', inputTokens: 1, outputTokens: 1 },
});


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

  /** Waits until `n` events are in `table`, then finds each of them there exactly once. */
  const expectEachOnce = async (table: string, n: number, what: string) => {
    await until(async () => (await count(table).catch(() => ({ n: 0 }))).n >= n, 60_000, what);
    expect(await count(table)).toEqual({ n, ids: n });
  };

  /**
   * A host exporting to `stream` and a central analysis reading it into PostgreSQL's `table`, with the
   * host's first `first` events (ids `<tag>-<i>`) landed already; `emit(from, to)` emits more.
   */
  const fleet = async (redisUrl: string, stream: string, tag: string, first: number, exporterOptions: { retryBaseMs?: number; retryMaxMs?: number } = {}) => {
    const table = `${stream.replaceAll('-', '_')}_events`;
    const runner = redisStreamRunner({ url: redisUrl, stream, consumer: 'c', storage: postgresStorage({ connectionString: postgres.url, table }), blockMs: 100 });
    const central = createObserver({ runners: [runner], storage: false });
    const exporter = redisStreamExporter({ url: redisUrl, stream, ...exporterOptions });
    const host = createObserver({ storage: false, analyzers: [], exporters: [exporter] });
    const emit = (from: number, to: number) => {
      for (let i = from; i < to; i++) host.emit(event(i, tag));
    };
    emit(0, first);
    await host.flush();
    await expectEachOnce(table, first, `the first ${first} events`);
    return { table, runner, central, exporter, host, emit };
  };

  it('a network partition (Redis frozen): hosts stay fast, and every event arrives once after it heals', async () => {
    const { table, central, exporter, host, emit } = await fleet(redis.url, 'partition', 'p', 1000, { retryBaseMs: 50, retryMaxMs: 500 });
    redis.pause();
    emit(1000, 3000);
    // Untimed (house rule): the 2,000 emits returned, all accepted, while Redis was still frozen, and
    // the exporter had not been handed one of them yet: no emit waited on the network.
    expect(host.stats().events.accepted).toBe(3000);
    expect(exporter.stats!()).toMatchObject({ written: 1000 });
    await new Promise((resolve) => setTimeout(resolve, PARTITION_MS));
    redis.resume();
    await host.close();
    expect(exporter.stats!()).toMatchObject({ written: 3000, dropped: 0 });
    await expectEachOnce(table, 3000, 'all events in PostgreSQL');
    await central.close();
  }, 120_000);

  it('PostgreSQL stopped for the partition under the consumer: entries stay pending and land once it is back', async () => {
    const { table, runner, central, host, emit } = await fleet(redis.url, 'pg-restart', 'r', 500);
    await client.end();
    postgres.stop();
    emit(500, 1500);
    await host.close();
    await until(async () => Number(runner.health().details?.storageErrors) > 0, 30_000, 'a failed write');
    expect(runner.health().status).toBe('degraded');
    await new Promise((resolve) => setTimeout(resolve, PARTITION_MS));
    postgres.start();
    client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await expectEachOnce(table, 1500, 'the events after the restart');
    await central.close();
  }, 120_000);

  it('a Redis restart that loses its data: the host keeps its queue, the consumer re-creates its group, each event lands once', async () => {
    const restarting = await startRedis();
    const { table, runner, central, exporter, host, emit } = await fleet(restarting.url, 'redis-restart', 'x', 500, { retryBaseMs: 50, retryMaxMs: 500 });
    await restarting.stop();
    emit(500, 1500);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await restarting.start();
    await host.close();
    expect(exporter.stats!()).toMatchObject({ written: 1500, dropped: 0, abandoned: 0 });
    await expectEachOnce(table, 1500, 'the events after the restart');
    // The restarted server had no group: the runner created it again and read the new entries from the start.
    expect(runner.health()).toMatchObject({ status: 'running', details: { emitted: 1500, duplicates: 0 } });
    expect(runner.health().details?.readErrors).toBeGreaterThan(0); // NOGROUP, once
    await central.close();
    await restarting.destroy();
  }, 120_000);
});
