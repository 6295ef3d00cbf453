/**
 * The fleet, end to end, with real servers and real processes: 4 agent hosts × 50,000 events into
 * Redis Streams, 2 analysis consumers writing to PostgreSQL, one consumer killed with SIGKILL while it
 * holds unacknowledged entries. Every event must be in PostgreSQL exactly once, and the analysis
 * replayed from PostgreSQL must give the hand-computed fleet figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayStorage } from '../../src/replay.js';
import { postgresStorage } from '../../src/storage/postgres.js';
import type { CostSnapshot } from '../../src/analyzers/cost-snapshot.js';
import type { FleetSnapshot } from '../../src/analyzers/fleet-snapshot.js';
import { hasPostgres, hasRedis, startPostgres, startRedis, type RunningPostgres, type RunningRedis, until } from '../support/servers.js';

const HOSTS = 4;
const EVENTS = 50_000;
const script = (name: string) => fileURLToPath(new URL(`./processes/${name}.ts`, import.meta.url));

function run(name: string, args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script(name), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l !== ''));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

const last = (lines: string[]) => (lines.length === 0 ? {} : (JSON.parse(lines[lines.length - 1]!) as Record<string, number>));


describe.skipIf(!hasPostgres || !hasRedis)('fleet: 4 hosts → Redis Streams → 2 consumers → PostgreSQL, one consumer killed', () => {
  let postgres: RunningPostgres;
  let redis: RunningRedis;
  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  }, 60_000);
  afterAll(async () => {
    postgres?.destroy();
    await redis?.destroy();
  });

  it('stores every event exactly once and replays the hand-computed fleet figures', async () => {
    const stream = 'fleet';
    const table = 'fleet_events';
    const t0 = Date.UTC(2026, 11, 4, 12);
    const consumers = ['alpha', 'beta'].map((name) => run('consumer', [redis.url, stream, name, postgres.url, table]));
    const producers = Array.from({ length: HOSTS }, (_, h) => run('producer', [redis.url, stream, String(h), String(EVENTS), String(t0)]));

    // Kill alpha once it has acknowledged some entries, while the hosts are still producing, and
    // preferably while it holds entries read but not acknowledged (what beta must claim): alpha acks
    // within milliseconds of a read, so the moment is looked for (up to 10 s), not assumed.
    await until(() => Number(last(consumers[0]!.lines).acked) >= 30, 120_000, 'consumer alpha to acknowledge entries');
    const watcher = new Redis(redis.url);
    const alphaPending = async (): Promise<number> => {
      const summary = (await watcher.call('XPENDING', stream, 'fleet')) as [number, unknown, unknown, [string, string][] | null];
      return Number(summary[3]?.find(([name]) => name === 'alpha')?.[1] ?? 0);
    };
    const lookUntil = Date.now() + 10_000;
    while (Date.now() < lookUntil && (await alphaPending()) === 0) await new Promise((resolve) => setImmediate(resolve));
    consumers[0]!.child.kill('SIGKILL');
    await consumers[0]!.exited;
    const pendingAtKill = await alphaPending();
    watcher.disconnect();

    const codes = await Promise.all(producers.map((p) => p.exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    for (const p of producers) expect(last(p.lines)).toMatchObject({ written: EVENTS + 2, dropped: 0 });

    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    const total = HOSTS * (EVENTS + 2);
    await until(async () => Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n) >= total, 120_000, 'every event in PostgreSQL');
    // beta took over alpha's unacknowledged entries: nothing stays pending.
    const admin = new Redis(redis.url);
    await until(async () => ((await admin.call('XPENDING', stream, 'fleet')) as [number])[0] === 0, 30_000, 'no pending entries');
    admin.disconnect();
    consumers[1]!.child.kill('SIGTERM');
    expect(await consumers[1]!.exited).toBe(0);
    const beta = last(consumers[1]!.lines);
    expect(beta.final).toBe(true);
    if (pendingAtKill > 0) expect(beta.claimed).toBeGreaterThan(0);
    else console.warn(`fleet.test: alpha held no unacknowledged entry when killed (looked for 10 s): beta's claim path not exercised this run (claimed ${String(beta.claimed)})`);

    const counts = (await client.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${table}`)).rows[0];
    expect(counts).toEqual({ n: total, ids: total });
    await client.end();

    // The fleet report's figures, from PostgreSQL.
    const observer = await replayStorage(postgresStorage({ connectionString: postgres.url, table }), { pageSize: 10_000 });
    const cost = observer.snapshot().cost as CostSnapshot;
    // Per host: input 50,000 × 10; output Σ 1 + (i mod 5) = 50,000 + 10,000 × (0+1+2+3+4) = 150,000.
    expect(cost.calls).toBe(HOSTS * EVENTS);
    expect(cost.tokens).toMatchObject({ input: 2_000_000, output: 600_000 });
    // claude-sonnet-4-5 at $3 / $15 per million: 2,000,000 × 3e-6 + 600,000 × 15e-6 = 6 + 9.
    expect(cost.totalUsd).toBeCloseTo(15, 9);
    // One workflow over four hosts: agents from T0 + h s, 10 s each. Σ = 40 s, union = 13 s, longest = 10 s:
    // parallelization (40 − 13) / (40 − 10) = 0.9, potential saving 13 − 10 = 3 s.
    const workflow = (observer.snapshot().fleet as FleetSnapshot).workflows.find((w) => w.workflowId === 'wf');
    expect(workflow).toMatchObject({ leafExecutions: 4, wallClockMs: 13_000, parallelizationRatio: 0.9, potentialSavingMs: 3_000 });
    await observer.close();
  }, 300_000);
});
