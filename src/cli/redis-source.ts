/**
 * A Redis stream written by `redisStreamExporter` as a source of the read commands (`--redis URL
 * --stream NAME`): its entries are read with `XRANGE`, without a consumer group, so reading steals
 * nothing from the consumers (nothing is acknowledged, nothing becomes pending). `tail --follow`
 * goes on with `XREAD BLOCK` from the newest entry id read, through restarts of the server. `ioredis` is
 * loaded on first use.
 */
import type { EventInput, FleetEvent } from '../core/index.js';
import { importOptionalPeer } from '../core/index.js';
import { decodeRedisStreamEntry } from '../runners/redis-streams.js';
import { followOutage } from './follow-outage.js';
import { CliError, withoutPassword } from './options.js';

/** Entries per `XRANGE` page. */
const PAGE = 1000;

interface RedisReader {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  disconnect(): void;
}

type Entry = [id: string, fields: string[]];

async function connect(url: string): Promise<RedisReader> {
  type RedisClass = new (url: string, options: Record<string, unknown>) => RedisReader & { connect(): Promise<void> };
  const ioredis = await importOptionalPeer<{ Redis?: RedisClass }>(() => import('ioredis'), 'ioredis', 'redis-streams');
  if (ioredis.Redis === undefined) throw new Error('the ioredis module has no Redis class');
  // One attempt, no retries: a dead server is an error now, not a hang (nor a frozen one: commandTimeout).
  const redis = new ioredis.Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, commandTimeout: 10_000, retryStrategy: () => null });
  (redis as unknown as { on(event: string, listener: () => void): void }).on('error', () => undefined);
  await redis.connect();
  return redis;
}

/** The smallest stream id after `id` (`XRANGE` bounds are inclusive). */
function after(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${BigInt(seq ?? '0') + 1n}`;
}

/** The events of some entries; poison entries (not events) counted in `details.poison`. */
function eventsOf(entries: readonly Entry[], details: Record<string, number>): EventInput[] {
  const events: EventInput[] = [];
  for (const [, fields] of entries) {
    details.entries = (details.entries ?? 0) + 1;
    const decoded = decodeRedisStreamEntry(fields);
    if (decoded === undefined) details.poison = (details.poison ?? 0) + 1;
    else for (const event of decoded) events.push(event as unknown as EventInput);
  }
  return events;
}

async function withRedis<T>(url: string, stream: string, work: (redis: RedisReader) => Promise<T>): Promise<T> {
  let redis: RedisReader | undefined;
  try {
    redis = await connect(url);
    return await work(redis);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const message = (error as Error).message.replaceAll(url, withoutPassword(url));
    throw new CliError(`cannot read Redis stream ${stream} at ${withoutPassword(url)}: ${message}`);
  } finally {
    redis?.disconnect();
  }
}

/** Reads the whole stream, oldest entry first, in pages of `PAGE` entries, into `sink`. */
export async function readRedisStream(
  url: string,
  stream: string,
  sink: (inputs: Iterable<EventInput>) => Promise<void>,
  details: Record<string, number>,
): Promise<void> {
  await withRedis(url, stream, async (redis) => {
    let start = '-';
    for (;;) {
      const entries = (await redis.call('XRANGE', stream, start, '+', 'COUNT', PAGE)) as Entry[];
      await sink(eventsOf(entries, details));
      if (entries.length < PAGE) return;
      start = after(entries[entries.length - 1]![0]);
    }
  });
}

/** The id of the stream's newest entry, `0-0` when it is empty or missing. */
export async function newestRedisEntryId(url: string, stream: string): Promise<string> {
  return withRedis(url, stream, async (redis) => {
    const newest = (await redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)) as Entry[];
    return newest[0]?.[0] ?? '0-0';
  });
}

/**
 * Calls `onEvents` with the events of every entry added after `fromId`, waiting for new ones with
 * `XREAD BLOCK`, until `signal` aborts. A failed read (Redis restarting, a partition) is said once
 * on stderr and retried with backoff on a new connection, from the last entry read.
 */
export async function followRedisStream(
  url: string,
  stream: string,
  fromId: string,
  onEvents: (events: readonly FleetEvent[]) => void,
  signal: AbortSignal,
  blockMs = 500,
): Promise<void> {
  const details: Record<string, number> = {};
  const outage = followOutage(url, signal);
  let redis: RedisReader | undefined;
  let last = fromId;
  try {
    while (!signal.aborted) {
      try {
        redis ??= await connect(url);
        const reply = (await redis.call('XREAD', 'COUNT', PAGE, 'BLOCK', blockMs, 'STREAMS', stream, last)) as [string, Entry[]][] | null;
        outage.succeeded();
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        last = entries[entries.length - 1]![0];
        onEvents(eventsOf(entries, details) as unknown as FleetEvent[]);
      } catch (error) {
        redis?.disconnect();
        redis = undefined;
        await outage.failed(error);
      }
    }
  } finally {
    redis?.disconnect();
  }
}
