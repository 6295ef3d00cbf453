/**
 * Fleet reads from a Redis stream (`--redis URL --stream NAME`): the read commands over the entries
 * `redisStreamExporter` wrote, read with XRANGE so that a consumer group loses nothing, and
 * `tail --follow` over XREAD BLOCK. A real redis-server; figures computed by hand.
 */
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/core/index.js';
import { redisStreamExporter } from '../../src/exporters/redis-streams.js';
import { buildCli } from '../cli/build-cli.js';
import { tailFollow } from './tail-follow.js';
import { hasRedis, startRedis, type RunningRedis } from '../support/servers.js';

const T0 = Date.UTC(2026, 11, 1, 9);
const ev = (id: string, sessionId: string, type: string, timestamp: number, payload: Record<string, unknown>): FleetEvent =>
  ({ id, type, timestamp, severity: 'info', source: 'host-a', sessionId, agentId: 'main', payload }) as FleetEvent;
const call = (id: string, sessionId: string, timestamp: number, inputTokens: number, outputTokens: number) =>
  ev(id, sessionId, 'llm.call', timestamp, { model: 'claude-sonnet-4-5', status: 'success', inputTokens, outputTokens });

describe.skipIf(!hasRedis)('fleetscope report / sessions / tail --redis URL --stream NAME', () => {
  let server: RunningRedis;
  let redis: Redis;
  let cli: string;
  const stream = 'fleet-cli';
  beforeAll(async () => {
    cli = buildCli();
    server = await startRedis();
    redis = new Redis(server.url);
    redis.on('error', () => undefined); // reconnects by itself after the restart test
    // A group of consumers that has read nothing yet: the CLI must not take its entries.
    await redis.xgroup('CREATE', stream, 'analysis', '0', 'MKSTREAM');
    // 1,500 entries of one event each (more than one XRANGE page of 1,000), then a poison entry.
    // s-1: 1,000 calls of 1,000 in / 100 out; s-2: 500 calls of 2,000 in / 400 out.
    const exporter = redisStreamExporter({ url: server.url, stream, eventsPerEntry: 1 });
    const events = Array.from({ length: 1500 }, (_, i) => (i < 1000 ? call(`a${i}`, 's-1', T0 + i, 1000, 100) : call(`b${i}`, 's-2', T0 + i, 2000, 400)));
    await exporter.export(events);
    await exporter.shutdown();
    await redis.xadd(stream, '*', 'events', 'not json');
  }, 120_000);
  afterAll(async () => {
    redis?.disconnect();
    await server?.destroy();
  });

  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('reports over the whole stream, and the consumer group still gets every entry', async () => {
    const out = run('report', '--redis', server.url, '--stream', stream, '--json');
    expect(out.status, out.stderr).toBe(0);
    const cost = (JSON.parse(out.stdout) as { cost: { calls: number; totalUsd: number } }).cost;
    expect(cost.calls).toBe(1500);
    // $3 / $15 per million: s-1 = 1000 × (1000 × 3 + 100 × 15) / 1e6 = 4.5; s-2 = 500 × (2000 × 3 + 400 × 15) / 1e6 = 6.
    expect(cost.totalUsd).toBeCloseTo(10.5, 6);
    const read = (await redis.xreadgroup('GROUP', 'analysis', 'c1', 'COUNT', 10_000, 'STREAMS', stream, '>')) as [string, unknown[]][];
    expect(read[0]![1]).toHaveLength(1501);
  });

  it('lists the sessions, and counts the poison entry in stats', () => {
    const out = run('sessions', '--redis', server.url, '--stream', stream, '--json');
    expect(out.status, out.stderr).toBe(0);
    const rows = (JSON.parse(out.stdout) as { sessions: { sessionId: string; llmCalls: number; costUsd: number }[] }).sessions;
    const byId = Object.fromEntries(rows.map((r) => [r.sessionId, r]));
    expect(byId['s-1']).toMatchObject({ llmCalls: 1000 });
    expect(byId['s-2']!.costUsd).toBeCloseTo(6, 6);
    const stats = JSON.parse(run('stats', '--redis', server.url, '--stream', stream, '--json').stdout) as { events: number; sources: Record<string, unknown>[] };
    expect(stats.events).toBe(1500);
    expect(stats.sources[0]).toMatchObject({ kind: 'redis', entries: 1501, poison: 1 });
  });

  it('traces a session of the stream', () => {
    const out = run('trace', 's-2', '--redis', server.url, '--stream', stream, '--json');
    expect(out.status, out.stderr).toBe(0);
    const tree = JSON.parse(out.stdout) as { sessionId: string; root: { children: { kind: string; offsetMs: number; tokens: number }[] } };
    expect(tree.sessionId).toBe('s-2');
    // s-2: 500 calls, the i-th at T0 + 1000 + i, of 2,000 in / 400 out.
    expect(tree.root.children).toHaveLength(500);
    expect(tree.root.children.every((c, i) => c.kind === 'llm' && c.offsetMs === i && c.tokens === 2400)).toBe(true);
  });

  it('tail --follow prints the entries added after it started, once each', async () => {
    const tail = tailFollow(cli, ['--redis', server.url, '--stream', stream, '-n', '2']);
    await tail.until(2);
    await redis.xadd(stream, '*', 'events', JSON.stringify([call('c1', 's-3', T0 + 5000, 1, 1), call('c2', 's-3', T0 + 5001, 1, 1)]));
    await redis.xadd(stream, '*', 'events', JSON.stringify([call('c1', 's-3', T0 + 5000, 1, 1)])); // redelivered: printed once
    await redis.xadd(stream, '*', 'events', JSON.stringify([call('c3', 's-3', T0 + 5002, 1, 1)]));
    await tail.until(5);
    expect(await tail.stop()).toBe(0);
    expect(tail.ids()).toEqual(['b1498', 'b1499', 'c1', 'c2', 'c3']);
  });

  it('tail --follow keeps following through a Redis restart: says so on stderr, resumes after the last entry read', async () => {
    const tail = tailFollow(cli, ['--redis', server.url, '--stream', stream, '-n', '1']);
    await tail.until(1);
    await server.stop();
    await tail.untilStderr('lost');
    // The server kept nothing (no persistence): the stream starts again with newer entry ids.
    await server.start();
    await tail.untilStderr('is back');
    await redis.xadd(stream, '*', 'events', JSON.stringify([call('d1', 's-4', T0 + 6000, 1, 1)]));
    await tail.until(2);
    expect(await tail.stop()).toBe(0);
    expect(tail.ids()).toEqual(['c3', 'd1']);
    const lines = tail.stderr().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^fleetscope tail: lost redis:\/\/127\.0\.0\.1:\d+ \(.+\); retrying until it is back/);
    expect(lines[1]).toMatch(/is back; following from where it stopped$/);
  }, 60_000);

  it('a bad URL, a missing --redis or a dead server is a clear error (exit 1), the password never shown', () => {
    expect(run('report', '--redis', 'http://x').stderr).toContain('--redis takes a redis:// URL');
    expect(run('report', '--stream', stream).stderr).toContain('--stream names the stream of a --redis source');
    const dead = run('report', '--redis', 'redis://me:s3cret@127.0.0.1:1', '--stream', stream, '--json');
    expect(dead.status).toBe(1);
    expect(dead.stderr).toContain(`cannot read Redis stream ${stream} at redis://me:***@127.0.0.1:1`);
    expect(dead.stderr).not.toContain('s3cret');
  });
});
