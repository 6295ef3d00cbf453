/**
 * Redis Streams exporter: appends events to a stream that analysis processes read through a
 * consumer group (`redisStreamRunner` in `fleetscope/runners`), so agents on many processes and
 * hosts feed one analysis. `ioredis` is an optional peer dependency, loaded on first use.
 *
 * `export()` only queues (never waits for the network), so a slow or dead Redis never slows the
 * host: it costs counters. Each chunk of `eventsPerEntry` events is queued as its stream entry in a
 * Buffer (format v2 by default: the rows and header of `encodeCompactBatch`, about a quarter of the bytes
 * of v1's JSON array of events; docs/fleet.md, "Stream entry format"), off the JS heap so a backlog costs the host's garbage collector little, and ioredis writes it
 * as it is rather than measuring, concatenating and encoding a string again: measured 1.5-2× the rate). A
 * background sender writes the queue with one pipelined `XADD ... MAXLEN ~ <cap>` per chunk (the
 * entry's `events` field), and on failure keeps the chunk at the head of the queue and tries again with
 * exponential backoff. Beyond `maxQueueSize` waiting events, new events are dropped and counted.
 * Delivery is at-least-once: a write whose reply was lost is written again, and the consumer side
 * removes the duplicate by event id.
 */
import {
  errorMessage,
  importOptionalPeer,
  type Exporter,
  type ExporterStats,
  type ExportResult,
  type FleetEvent,
  encodeCompactBatch,
  sleepUnlessAborted,
} from '../core/index.js';

/** The parts of an ioredis client this exporter uses (structural: ioredis is not needed at compile time). */
export interface RedisStreamsClient {
  /** Opens the connection (ioredis with `lazyConnect`); a client of your own may be connected already. */
  connect?(): Promise<unknown>;
  pipeline(commands: (string | number | Buffer)[][]): { exec(): Promise<[Error | null, unknown][] | null> };
  on(event: 'error', listener: (error: Error) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

export interface RedisStreamExporterOptions {
  /** `redis://host:port/db`. Required unless `client` is given. */
  url?: string;
  /** An ioredis client of your own; the exporter does not close it on shutdown. */
  client?: RedisStreamsClient;
  /** Stream key. Default `fleetscope:events`. */
  stream?: string;
  /** Approximate cap on the stream's length (`XADD MAXLEN ~`), in entries. Default 1,000,000. */
  maxLen?: number;
  /** Events per stream entry. Default 100. */
  eventsPerEntry?: number;
  /** Entries per pipelined round trip. Default 50. */
  entriesPerWrite?: number;
  /** Most events waiting to be written; newer events are dropped (and counted) beyond it. Default 100,000. */
  maxQueueSize?: number;
  /** First backoff delay after a failed write; doubles each time. Default 200 ms. */
  retryBaseMs?: number;
  /** Longest backoff delay. Default 5000 ms. */
  retryMaxMs?: number;
  /** How long `shutdown()` waits for the queue to drain before abandoning it (counted). Default 5000 ms. */
  shutdownTimeoutMs?: number;
  /**
   * Stream entry format. `2` (default): one entry per chunk holding rows and a header of repeated
   * strings and key lists (read by `redisStreamRunner` and the CLI's `--redis`, which read v1 as well).
   * `1`: the entry's `events` field holds the chunk's JSON array of events, as before; keep it while
   * consumers that read only v1 still run (upgrade consumers first, then switch hosts to v2).
   */
  entryFormat?: 1 | 2;
  /** Exporter name in `stats()`. Default `redis-streams`. */
  name?: string;
}

/** The stream entry field holding a JSON array of events (v1) or of rows (v2) (read by `redisStreamRunner`). */
export const REDIS_STREAM_EVENTS_FIELD = 'events';

/** A chunk's stream entry fields after the entry id: `events <rows> v 2 dict <header>`, or `events <JSON array>` in v1. */
function entryFields(chunk: readonly FleetEvent[], format: 1 | 2): (string | Buffer)[] {
  const compact = format === 2 ? encodeCompactBatch(chunk) : undefined;
  // Not encodable compactly (a payload that is not an object: never for a validated event): v1, which every reader reads.
  if (compact === undefined) return [REDIS_STREAM_EVENTS_FIELD, Buffer.from(JSON.stringify(chunk))];
  return [REDIS_STREAM_EVENTS_FIELD, Buffer.from(compact.rows), 'v', '2', 'dict', Buffer.from(compact.header)];
}

export function redisStreamExporter(options: RedisStreamExporterOptions = {}): Exporter {
  const fail = (message: string): never => {
    throw new Error(`[fleetscope] [redis-streams] ${message}`);
  };
  if (options === null || typeof options !== 'object') fail('options must be an object');
  if (options.client === undefined && (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))) {
    fail(`url (redis://host:port) or client is required, got ${String(options.url)}`);
  }
  const stream = options.stream ?? 'fleetscope:events';
  const maxLen = options.maxLen ?? 1_000_000;
  const eventsPerEntry = options.eventsPerEntry ?? 100;
  const entriesPerWrite = options.entriesPerWrite ?? 50;
  const maxQueue = options.maxQueueSize ?? 100_000;
  const retryBaseMs = options.retryBaseMs ?? 200;
  const retryMaxMs = options.retryMaxMs ?? 5000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5000;
  for (const [key, value] of Object.entries({ maxLen, eventsPerEntry, entriesPerWrite, maxQueue, retryBaseMs, retryMaxMs, shutdownTimeoutMs })) {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) fail(`${key} must be a positive number, got ${String(value)}`);
  }
  if (typeof stream !== 'string' || stream === '') fail('stream must be a non-empty string');
  const name = options.name ?? 'redis-streams';
  const entryFormat = options.entryFormat ?? 2;
  if (entryFormat !== 1 && entryFormat !== 2) fail(`entryFormat must be 1 or 2, got ${String(entryFormat)}`);

  let client: RedisStreamsClient | undefined = options.client;
  let connecting: Promise<RedisStreamsClient> | undefined;
  /** Events waiting, in chunks as they arrived, each as its stream entry's fields (never split across two writes' retries). */
  const queue: { fields: (string | Buffer)[]; events: number }[] = [];
  let queued = 0;
  let pumping: Promise<void> | undefined;
  const abort = new AbortController();
  const counters = { queued: 0, written: 0, entries: 0, writes: 0, failedWrites: 0, retries: 0, dropped: 0, abandoned: 0 };
  let lastError: string | undefined;

  const connect = async (): Promise<RedisStreamsClient> => {
    if (client !== undefined) return client;
    type RedisClass = new (url: string, options: Record<string, unknown>) => RedisStreamsClient;
    const ioredis = await importOptionalPeer<{ Redis?: RedisClass }>(() => import('ioredis'), 'ioredis', 'redis-streams');
    if (ioredis.Redis === undefined) fail('the ioredis module has no Redis class');
    const created = new ioredis.Redis!(options.url!, {
      // Fail commands at once while disconnected (the exporter keeps its own queue and backs off),
      // and reconnect in the background.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      // A partition (a server that stops answering) fails the write after 5 s; it is tried again, and a
      // write that did land meanwhile is a duplicate the consumer side removes.
      commandTimeout: 5000,
      retryStrategy: (times: number) => Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(times, 10)),
      // Connected before the first write (which would otherwise fail while the connection opens, and back off).
      lazyConnect: true,
    });
    created.on('error', (error) => (lastError = errorMessage(error)));
    client = created;
    await created.connect?.();
    return created;
  };

  const write = async (chunks: readonly { fields: (string | Buffer)[] }[]): Promise<void> => {
    const redis = await (connecting ??= connect().finally(() => (connecting = undefined)));
    const commands = chunks.map(({ fields }) => ['xadd', stream, 'MAXLEN', '~', maxLen, '*', ...fields]);
    counters.writes++;
    const replies = await redis.pipeline(commands).exec();
    const failed = replies?.find(([error]) => error !== null)?.[0];
    if (replies === null || failed) throw failed ?? new Error('pipeline was not executed');
  };

  const kick = () => {
    if (pumping !== undefined || queue.length === 0 || abort.signal.aborted) return;
    pumping = (async () => {
      let failures = 0;
      while (queue.length > 0 && !abort.signal.aborted) {
        const chunks = queue.slice(0, entriesPerWrite);
        try {
          await write(chunks);
          queue.splice(0, chunks.length);
          let events = 0;
          for (const chunk of chunks) events += chunk.events;
          queued -= events;
          counters.written += events;
          counters.entries += chunks.length;
          failures = 0;
        } catch (error) {
          counters.failedWrites++;
          lastError = errorMessage(error);
          counters.retries++;
          await sleepUnlessAborted(Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(failures++, 10)), abort.signal);
        }
      }
    })().finally(() => {
      pumping = undefined;
      kick();
    });
  };

  const drained = async (deadlineMs: number) => {
    const deadline = Date.now() + deadlineMs;
    while ((queue.length > 0 || pumping !== undefined) && Date.now() < deadline) {
      await Promise.race([pumping ?? Promise.resolve(), new Promise((resolve) => setTimeout(resolve, 25).unref())]);
    }
  };

  return {
    name,

    async export(batch: readonly FleetEvent[]): Promise<ExportResult> {
      if (abort.signal.aborted) return { code: 'failed', error: new Error('[fleetscope] [redis-streams] exporter is shut down') };
      const room = maxQueue - queued;
      const taken = room >= batch.length ? batch : batch.slice(0, Math.max(0, room));
      counters.dropped += batch.length - taken.length;
      for (let i = 0; i < taken.length; i += eventsPerEntry) {
        const chunk = taken.slice(i, i + eventsPerEntry);
        queue.push({ fields: entryFields(chunk, entryFormat), events: chunk.length });
        queued += chunk.length;
      }
      counters.queued += taken.length;
      kick();
      return { code: 'success' };
    },

    async flush() {
      await drained(shutdownTimeoutMs);
    },

    async shutdown() {
      await drained(shutdownTimeoutMs);
      counters.abandoned += queued;
      abort.abort();
      queue.length = 0;
      queued = 0;
      if (options.client === undefined && client !== undefined) {
        const owned = client;
        client = undefined;
        await Promise.race([owned.quit().catch(() => owned.disconnect()), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
        owned.disconnect();
      }
    },

    stats(): ExporterStats {
      return { ...counters, waiting: queued, stream, lastError };
    },
  };
}
