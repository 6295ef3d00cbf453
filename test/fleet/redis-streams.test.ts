import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObserver, type EventInput } from '../../src/index.js';
import { redisStreamExporter } from '../../src/exporters/redis-streams.js';
import { redisStreamRunner } from '../../src/runners/redis-streams.js';
import { memoryStorage } from '../../src/storage/memory.js';
import { freePort, hasRedis, startRedis, type RunningRedis, until } from '../support/servers.js';

const llmCall = (i: number, sessionId: string): EventInput => ({
  type: 'llm.call',
  sessionId,
  agentId: `agent-${i % 3}`,
  payload: { model: 'claude-sonnet-4-5', provider: 'anthropic', status: 'success', inputTokens: 1000, outputTokens: 100 + i, latencyMs: 10 },
});


describe.skipIf(!hasRedis)('Redis Streams transport against a real redis-server', () => {
  let server: RunningRedis;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.destroy();
  });

  it('carries events from a host to a central analysis, figures equal to the host’s own', async () => {
    const stream = 'roundtrip';
    const host = createObserver({ exporters: [redisStreamExporter({ url: server.url, stream, eventsPerEntry: 7 })] });
    for (let i = 0; i < 50; i++) host.emit(llmCall(i, 's-rt'));
    await host.close();
    expect(host.stats().exporters['redis-streams']?.own).toMatchObject({ written: 50, entries: 8, dropped: 0 });

    const history = memoryStorage();
    const central = createObserver({ runners: [redisStreamRunner({ url: server.url, stream, consumer: 'c1', storage: history })] });
    await until(async () => (await central.query({ types: ['llm.call'], limit: 1000 })).events.length === 50);
    await central.flush();
    // 50 calls: output tokens 100 + 101 + ... + 149 = 50 * 100 + (49 * 50) / 2 = 6225.
    const cost = central.snapshot().cost as { calls: number; totalUsd: number; tokens: { input: number; output: number } };
    expect(cost.calls).toBe(50);
    expect(cost.tokens).toMatchObject({ input: 50_000, output: 6225 });
    // claude-sonnet-4-5 at $3 / $15 per million: 50,000 * 3e-6 + 6,225 * 15e-6 = 0.15 + 0.093375.
    expect(cost.totalUsd).toBeCloseTo(0.243375, 9);
    expect((await history.query({ limit: 1000 })).events).toHaveLength(50);
    // Everything was acknowledged: nothing pending for the group.
    const pending = (await admin.call('XPENDING', stream, 'fleetscope')) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
    await central.close();
  });

  it('consumers of one group share the entries; a group of its own sees them all', async () => {
    const stream = 'groups';
    const host = createObserver({ exporters: [redisStreamExporter({ url: server.url, stream, eventsPerEntry: 1 })] });
    for (let i = 0; i < 40; i++) host.emit(llmCall(i, 's-g'));
    await host.close();
    const reader = (group: string, consumer: string) =>
      redisStreamRunner({ url: server.url, stream, group, consumer, count: 5, blockMs: 50 });
    const shared = [reader('shared', 'one'), reader('shared', 'two')];
    const own = reader('audit', 'only');
    const centrals = [...shared, own].map((runner) => createObserver({ runners: [runner] }));
    const emitted = (runner: ReturnType<typeof reader>) => Number(runner.health().details?.emitted);
    await until(() => emitted(shared[0]!) + emitted(shared[1]!) === 40 && emitted(own) === 40);
    // Each entry went to one consumer of the shared group (40 between them, not 80), and all 40 to the other group.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(emitted(shared[0]!) + emitted(shared[1]!)).toBe(40);
    const consumers = (await admin.call('XINFO', 'CONSUMERS', stream, 'shared')) as unknown[][];
    expect(consumers.map((fields) => fields[1]).sort()).toEqual(['one', 'two']);
    await Promise.all(centrals.map((c) => c.close()));
  });

  it('acknowledges, counts and reports once a poison entry; skips a redelivered event', async () => {
    const stream = 'poison';
    const event = { id: 'ev-1', type: 'log', timestamp: 1, severity: 'info', source: 'host', sessionId: 's', agentId: 'a', payload: { message: 'hi' } };
    await admin.xadd(stream, '*', 'events', 'not json');
    await admin.xadd(stream, '*', 'events', JSON.stringify([{ x: 1 }]));
    await admin.xadd(stream, '*', 'other', 'field');
    await admin.xadd(stream, '*', 'events', JSON.stringify([event]));
    await admin.xadd(stream, '*', 'events', JSON.stringify([event]));
    const runner = redisStreamRunner({ url: server.url, stream, consumer: 'p1' });
    const central = createObserver({ runners: [runner] });
    await until(() => Number(runner.health().details?.acked) === 5);
    await central.flush();
    expect(runner.health().details).toMatchObject({ entries: 5, poison: 3, events: 2, emitted: 1, duplicates: 1, acked: 5 });
    expect((await central.query({ types: ['log'] })).events.map((e) => e.id)).toEqual(['ev-1']);
    expect(central.stats().plugins['redis-streams']?.errors).toBe(1);
    expect(((await admin.call('XPENDING', stream, 'fleetscope')) as [number])[0]).toBe(0);
    await central.close();
  });

  it('leaves entries pending while storage fails, and delivers them once it recovers', async () => {
    const stream = 'storage-down';
    let down = true;
    const inner = memoryStorage();
    const flaky = { ...inner, name: 'flaky', append: (batch: Parameters<typeof inner.append>[0]) => (down ? Promise.reject(new Error('disk on fire')) : inner.append(batch)) };
    const host = createObserver({ exporters: [redisStreamExporter({ url: server.url, stream })] });
    for (let i = 0; i < 10; i++) host.emit(llmCall(i, 's-down'));
    await host.close();
    const runner = redisStreamRunner({ url: server.url, stream, consumer: 'd1', storage: flaky });
    const central = createObserver({ runners: [runner] });
    await until(() => Number(runner.health().details?.storageErrors) >= 2);
    expect(runner.health().status).toBe('degraded');
    expect(((await admin.call('XPENDING', stream, 'fleetscope')) as [number])[0]).toBe(1);
    down = false;
    await until(async () => (await inner.query({})).events.length === 10);
    await until(() => Number(runner.health().details?.acked) === 1);
    await central.flush();
    expect((await central.query({ types: ['llm.call'] })).events).toHaveLength(10);
    await central.close();
  });

  it('a dead Redis never slows the host: emits stay fast, the bounded queue counts its drops', async () => {
    const port = await freePort();
    const exporter = redisStreamExporter({ url: `redis://127.0.0.1:${port}`, maxQueueSize: 1000, shutdownTimeoutMs: 200 });
    const host = createObserver({ exporters: [exporter] });
    for (let i = 0; i < 5000; i++) host.emit(llmCall(i, 's-dead'));
    // Untimed (house rule): the 5000 emits returned before the exporter was handed a single event, so
    // none of them waited on the broker.
    expect(exporter.stats!()).toMatchObject({ queued: 0, dropped: 0 });
    await host.flush();
    await host.close();
    const stats = exporter.stats!();
    expect(stats.queued).toBe(1000);
    expect(stats.dropped).toBe(4000);
    expect(stats.abandoned).toBe(1000);
    expect(Number(stats.failedWrites)).toBeGreaterThan(0);
  });

  it('keeps the host’s events through a Redis restart and delivers them after it', async () => {
    const restarting = await startRedis();
    const stream = 'restart';
    const host = createObserver({ exporters: [redisStreamExporter({ url: restarting.url, stream, retryBaseMs: 50, retryMaxMs: 200 })] });
    for (let i = 0; i < 20; i++) host.emit(llmCall(i, 's-restart'));
    await host.flush();
    await restarting.stop();
    for (let i = 20; i < 40; i++) host.emit(llmCall(i, 's-restart'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await restarting.start();
    await host.close();
    const check = new Redis(restarting.url);
    // The server kept nothing (no persistence): only the 20 events sent after the restart are there.
    const entries = (await check.xrange(stream, '-', '+')) as [string, string[]][];
    const ids = entries.flatMap(([, fields]) => (JSON.parse(fields[1]!) as { id: string }[]).map((e) => e.id));
    expect(ids).toHaveLength(20);
    expect(host.stats().exporters['redis-streams']?.own).toMatchObject({ written: 40, dropped: 0 });
    check.disconnect();
    await restarting.destroy();
  }, 30_000);

  it('rejects bad options at construction', () => {
    expect(() => redisStreamExporter({ url: 'http://x' })).toThrow(/\[fleetscope\] \[redis-streams\] url/);
    expect(() => redisStreamRunner({ url: 'redis://x', count: 0 })).toThrow(/count must be a positive integer/);
    expect(() => redisStreamRunner({ url: 'redis://x', startId: '5' as never })).toThrow(/startId/);
  });
});
