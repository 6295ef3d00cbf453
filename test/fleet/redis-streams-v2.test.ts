/**
 * Stream entry format v2 (rows + header, docs/fleet.md "Stream entry format") against a real
 * redis-server: what the exporter writes, a stream of v1 and v2 entries mixed (an upgrade), poison v2
 * entries, and v2 entries taken over with XAUTOCLAIM.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObserver, encodeCompactBatch, type EventInput, type FleetEvent } from '../../src/index.js';
import { redisStreamExporter } from '../../src/exporters/redis-streams.js';
import { redisStreamRunner } from '../../src/runners/redis-streams.js';
import { readRedisStream } from '../../src/cli/redis-source.js';
import { hasRedis, startRedis, type RunningRedis, until } from '../support/servers.js';

const llmCall = (id: string, sessionId: string, outputTokens: number): EventInput => ({
  type: 'llm.call',
  id,
  sessionId,
  agentId: 'agent-1',
  payload: { model: 'claude-sonnet-4-5', provider: 'anthropic', status: 'success', inputTokens: 1000, outputTokens },
});
const logEvent = (id: string) => ({ id, type: 'log', timestamp: 1, severity: 'info', source: 'host', sessionId: 's', agentId: 'a', payload: { message: id } }) as unknown as FleetEvent;

describe.skipIf(!hasRedis)('Redis Streams entry format v2 against a real redis-server', () => {
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

  it('writes v2 entries by default: events <rows> v 2 dict <header>, one row per event', async () => {
    const stream = 'v2-default';
    const host = createObserver({ storage: false, analyzers: [], exporters: [redisStreamExporter({ url: server.url, stream, eventsPerEntry: 4 })] });
    for (let i = 0; i < 10; i++) host.emit(llmCall(`e${i}`, 's-v2', i));
    await host.close();
    const entries = (await admin.xrange(stream, '-', '+')) as [string, string[]][];
    // 10 events, 4 per entry: 4 + 4 + 2.
    expect(entries.map(([, fields]) => JSON.parse(fields[1]!).length)).toEqual([4, 4, 2]);
    for (const [, fields] of entries) {
      expect([fields[0], fields[2], fields[3], fields[4]]).toEqual(['events', 'v', '2', 'dict']);
      expect(JSON.parse(fields[5]!).d).toContain('s-v2'); // the session, said once in the header
    }
    const central = createObserver({ storage: false, runners: [redisStreamRunner({ url: server.url, stream, consumer: 'c' })] });
    await until(() => Number(central.stats().runners['redis-streams']?.details?.emitted) === 10);
    await central.flush();
    const cost = central.snapshot().cost as { calls: number; tokens: { input: number; output: number } };
    // 0 + 1 + ... + 9 = 45 output tokens.
    expect(cost).toMatchObject({ calls: 10, tokens: { input: 10_000, output: 45 } });
    await central.close();
  });

  it('reads a stream of v1 and v2 entries mixed (hosts upgraded one by one), each event once', async () => {
    const stream = 'mixed';
    const oldHost = createObserver({ storage: false, analyzers: [], exporters: [redisStreamExporter({ url: server.url, stream, entryFormat: 1, eventsPerEntry: 3 })] });
    const newHost = createObserver({ storage: false, analyzers: [], exporters: [redisStreamExporter({ url: server.url, stream, eventsPerEntry: 3 })] });
    for (let i = 0; i < 6; i++) oldHost.emit(llmCall(`old-${i}`, 's-old', 10));
    await oldHost.close();
    for (let i = 0; i < 6; i++) newHost.emit(llmCall(`new-${i}`, 's-new', 20));
    await newHost.close();
    // The same event in both formats (a host's retry after its upgrade): counted once.
    const again = logEvent('again');
    await admin.xadd(stream, '*', 'events', JSON.stringify([again]));
    const compact = encodeCompactBatch([again])!;
    await admin.xadd(stream, '*', 'events', compact.rows, 'v', '2', 'dict', compact.header);
    const entries = (await admin.xrange(stream, '-', '+')) as [string, string[]][];
    expect(entries.map(([, fields]) => fields.length)).toEqual([2, 2, 6, 6, 2, 6]);

    const runner = redisStreamRunner({ url: server.url, stream, consumer: 'm' });
    const central = createObserver({ storage: false, runners: [runner] });
    await until(() => Number(runner.health().details?.acked) === 6);
    await central.flush();
    expect(runner.health().details).toMatchObject({ entries: 6, poison: 0, events: 14, emitted: 13, duplicates: 1 });
    const cost = central.snapshot().cost as { calls: number; tokens: { output: number } };
    expect(cost).toMatchObject({ calls: 12, tokens: { output: 6 * 10 + 6 * 20 } });
    await central.close();

    // The command line's --redis source reads both formats too.
    const seen: string[] = [];
    const details: Record<string, number> = {};
    await readRedisStream(server.url, stream, async (inputs) => void seen.push(...[...inputs].map((e) => String(e.id))), details);
    expect(seen).toHaveLength(14);
    expect(seen.slice(0, 3)).toEqual(['old-0', 'old-1', 'old-2']);
    expect(seen.slice(6, 9)).toEqual(['new-0', 'new-1', 'new-2']);
    expect(details).toEqual({ entries: 6 });
  });

  it('acknowledges, counts and reports once poison v2 entries', async () => {
    const stream = 'poison-v2';
    const good = encodeCompactBatch([logEvent('ok')])!;
    const noId = encodeCompactBatch([{ ...logEvent('x'), id: undefined } as unknown as FleetEvent])!;
    await admin.xadd(stream, '*', 'events', good.rows, 'v', '3', 'dict', good.header); // unknown version
    await admin.xadd(stream, '*', 'events', good.rows, 'v', '2'); // no header
    await admin.xadd(stream, '*', 'events', good.rows, 'v', '2', 'dict', 'not json');
    await admin.xadd(stream, '*', 'events', '[[0,"ok"]]', 'v', '2', 'dict', good.header); // a row that does not fit its shape
    await admin.xadd(stream, '*', 'events', noId.rows, 'v', '2', 'dict', noId.header); // decodes, but not an event (no id)
    await admin.xadd(stream, '*', 'events', good.rows, 'v', '2', 'dict', good.header);
    const runner = redisStreamRunner({ url: server.url, stream, consumer: 'p' });
    const central = createObserver({ runners: [runner] });
    await until(() => Number(runner.health().details?.acked) === 6);
    await central.flush();
    expect(runner.health().details).toMatchObject({ entries: 6, poison: 5, events: 1, emitted: 1, acked: 6 });
    expect((await central.query({ types: ['log'] })).events.map((e) => e.id)).toEqual(['ok']);
    expect(central.stats().plugins['redis-streams']?.errors).toBe(1);
    expect(((await admin.call('XPENDING', stream, 'fleetscope')) as [number])[0]).toBe(0);
    await central.close();
  });

  it('takes over v2 entries left pending by a consumer that died (XAUTOCLAIM)', async () => {
    const stream = 'claim-v2';
    const host = createObserver({ storage: false, analyzers: [], exporters: [redisStreamExporter({ url: server.url, stream, eventsPerEntry: 5 })] });
    for (let i = 0; i < 15; i++) host.emit(llmCall(`c${i}`, 's-claim', 1));
    await host.close();
    // A consumer reads the 3 entries and dies before acknowledging them.
    await admin.call('XGROUP', 'CREATE', stream, 'fleetscope', '0');
    await admin.call('XREADGROUP', 'GROUP', 'fleetscope', 'dead', 'COUNT', 10, 'STREAMS', stream, '>');
    expect(((await admin.call('XPENDING', stream, 'fleetscope')) as [number])[0]).toBe(3);
    const runner = redisStreamRunner({ url: server.url, stream, consumer: 'heir', claimIdleMs: 50, claimIntervalMs: 50, blockMs: 50 });
    const central = createObserver({ storage: false, runners: [runner] });
    await until(() => Number(runner.health().details?.emitted) === 15);
    await central.flush();
    expect(runner.health().details).toMatchObject({ claimed: 3, events: 15, duplicates: 0, poison: 0 });
    expect((central.snapshot().cost as { calls: number }).calls).toBe(15);
    await until(async () => ((await admin.call('XPENDING', stream, 'fleetscope')) as [number])[0] === 0);
    await central.close();
  });

  it('rejects a bad entry format at construction', () => {
    expect(() => redisStreamExporter({ url: 'redis://x', entryFormat: 3 as never })).toThrow(/\[fleetscope\] \[redis-streams\] entryFormat must be 1 or 2/);
  });
});

describe('Redis Streams exporter entry fields (a client that answers at once)', () => {
  const recording = () => {
    const commands: (string | number | Buffer)[][] = [];
    const client = {
      pipeline: (batch: (string | number | Buffer)[][]) => ({ exec: async () => (commands.push(...batch), batch.map(() => [null, 'id'] as [null, string])) }),
      on: () => undefined,
      quit: async () => undefined,
      disconnect: () => undefined,
    };
    return { commands, client };
  };

  it('writes v1 when asked, and falls back to v1 for a batch it cannot write compactly', async () => {
    const { commands, client } = recording();
    const v1 = redisStreamExporter({ client, stream: 's', entryFormat: 1 });
    await v1.export([logEvent('a'), logEvent('b')]);
    await v1.flush!();
    // xadd s MAXLEN ~ 1000000 * events <JSON array>
    expect(commands[0]!.slice(0, 7)).toEqual(['xadd', 's', 'MAXLEN', '~', 1_000_000, '*', 'events']);
    expect(commands[0]).toHaveLength(8);
    expect(JSON.parse(String(commands[0]![7])).map((e: FleetEvent) => e.id)).toEqual(['a', 'b']);

    const v2 = redisStreamExporter({ client, stream: 's' });
    const odd = { ...logEvent('c'), payload: ['not', 'an object'] } as unknown as FleetEvent;
    await v2.export([odd]);
    await v2.export([logEvent('d')]);
    await v2.flush!();
    expect(commands[1]).toHaveLength(8);
    expect(JSON.parse(String(commands[1]![7]))).toEqual([odd]);
    expect(commands[2]!.slice(6).map((field, i) => (i % 2 === 0 ? field : typeof field))).toEqual(['events', 'object', 'v', 'string', 'dict', 'object']);
    await Promise.all([v1.shutdown!(), v2.shutdown!()]);
  });
});
