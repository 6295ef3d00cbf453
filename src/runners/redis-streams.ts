/**
 * Redis Streams runner: reads the events that `redisStreamExporter` (in `fleetscope/exporters`)
 * appends on many processes and hosts, through a consumer group, into this observer's analyzers.
 * `ioredis` is an optional peer dependency, loaded on first use.
 *
 * Several analysis processes share a stream's load by using one group with a consumer name each,
 * or each see everything with a group each. Delivery is at-least-once end to end:
 * - a batch of entries is read with `XREADGROUP`, written to `storage` when one is given (the fleet's
 *   durable history, e.g. `postgresStorage`, which keeps an event once per id), and only then
 *   acknowledged with `XACK`; a failed write leaves the entries pending, and they are read again;
 * - entries left pending by a consumer that crashed are taken over with `XAUTOCLAIM` once they
 *   have been idle for `claimIdleMs`; a restarted consumer of the same name reads its own pending
 *   entries first;
 * - an event id seen in the last `dedupeWindow` events is not emitted again, so analyzers count a
 *   redelivered event once.
 * Entries of both formats the exporter writes (v1, v2) are read, mixed in one stream. A poison entry (not
 * JSON, not events, an unknown format) is acknowledged, counted, and reported once.
 */
import { hostname } from 'node:os';
import { decodeCompactBatch, errorMessage, importOptionalPeer, RecentKeys, type EventInput, type FleetEvent, type Runner, type RunnerContext, type RunnerHealth, type Storage, sleepUnlessAborted } from '../core/index.js';

/** The parts of an ioredis client this runner uses (structural: ioredis is not needed at compile time). */
export interface RedisStreamsReaderClient {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  disconnect(): void;
}

export interface RedisStreamRunnerOptions {
  /** `redis://host:port/db`. Required unless `client` is given. */
  url?: string;
  /** An ioredis client of your own, used only by this runner (its blocking reads hold the connection). */
  client?: RedisStreamsReaderClient;
  /** Stream key. Default `fleetscope:events`. */
  stream?: string;
  /** Consumer group. Default `fleetscope`. */
  group?: string;
  /** This consumer's name in the group; keep it stable across restarts. Default `<hostname>-<pid>`. */
  consumer?: string;
  /** Where a new group starts: `0` (default, the whole stream) or `$` (only entries added from now on). */
  startId?: '0' | '$';
  /** Written (and awaited) before entries are acknowledged; e.g. `postgresStorage(...)`. Default none. */
  storage?: Storage;
  /** Entries per read. Default 50: 5,000 events at the exporter's 100 per entry (measured: reads of 20,000+ events cost more CPU per event, BENCHMARKS.md). */
  count?: number;
  /** How long a read waits for new entries. Default 1000 ms. */
  blockMs?: number;
  /** Pending entries idle this long are taken over from their consumer. Default 30000 ms. */
  claimIdleMs?: number;
  /** How often to look for such entries. Default 5000 ms. */
  claimIntervalMs?: number;
  /** Event ids remembered to skip redelivered events. Default 200,000. */
  dedupeWindow?: number;
  /** Runner name (its health and errors). Default `redis-streams`. */
  name?: string;
}

type StreamEntry = [id: string, fields: string[] | null];

const EVENTS_FIELD = 'events';

function isEventLike(value: unknown): value is FleetEvent {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.id === 'string' && typeof e.type === 'string' && typeof e.timestamp === 'number' && Number.isFinite(e.timestamp) &&
    typeof e.sessionId === 'string' && typeof e.agentId === 'string' && typeof e.severity === 'string' && typeof e.source === 'string' &&
    e.payload !== null && typeof e.payload === 'object'
  );
}

/** A stream entry field's value, or undefined when the entry has no such field (fields as `[field, value, ...]`). */
function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** The events of a v1 entry's `events` field (a JSON array of events), or undefined. */
function decodeV1(json: string): FleetEvent[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  return Array.isArray(parsed) && parsed.every(isEventLike) ? parsed : undefined;
}

/**
 * The events of one stream entry written by `redisStreamExporter` (its fields as Redis returns them:
 * `[field, value, ...]`), or undefined for a poison entry: no `events` field, not JSON, not events, an
 * unknown format version. Reads both formats (docs/fleet.md, "Stream entry format"), so a stream written
 * by hosts of both versions during an upgrade is read whole: v1, `events <JSON array of events>`; v2,
 * `events <rows> v 2 dict <header>` (`decodeCompactBatch`). Shared by the runner and the CLI's `--redis` source.
 */
export function decodeRedisStreamEntry(fields: readonly string[]): FleetEvent[] | undefined {
  const events = fieldOf(fields, EVENTS_FIELD);
  if (events === undefined) return undefined;
  const version = fieldOf(fields, 'v');
  if (version === undefined) return decodeV1(events);
  const header = fieldOf(fields, 'dict');
  if (version !== '2' || header === undefined) return undefined;
  const decoded: unknown[] | undefined = decodeCompactBatch(header, events);
  return decoded !== undefined && decoded.every(isEventLike) ? decoded : undefined;
}

export function redisStreamRunner(options: RedisStreamRunnerOptions = {}): Runner {
  const fail = (message: string): never => {
    throw new Error(`[fleetscope] [redis-streams] ${message}`);
  };
  if (options === null || typeof options !== 'object') fail('options must be an object');
  if (options.client === undefined && (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))) {
    fail(`url (redis://host:port) or client is required, got ${String(options.url)}`);
  }
  const stream = options.stream ?? 'fleetscope:events';
  const group = options.group ?? 'fleetscope';
  const consumer = options.consumer ?? `${hostname()}-${process.pid}`;
  const startId = options.startId ?? '0';
  if (startId !== '0' && startId !== '$') fail(`startId must be '0' or '$', got ${String(startId)}`);
  const count = options.count ?? 50;
  const blockMs = options.blockMs ?? 1000;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const claimIntervalMs = options.claimIntervalMs ?? 5000;
  const dedupeWindow = options.dedupeWindow ?? 200_000;
  for (const [key, value] of Object.entries({ count, blockMs, claimIdleMs, claimIntervalMs, dedupeWindow })) {
    if (!(typeof value === 'number' && Number.isInteger(value) && value > 0)) fail(`${key} must be a positive integer, got ${String(value)}`);
  }
  for (const [key, value] of Object.entries({ stream, group, consumer })) {
    if (typeof value !== 'string' || value === '') fail(`${key} must be a non-empty string`);
  }
  const name = options.name ?? 'redis-streams';
  const storage = options.storage;

  const recent = new RecentKeys(dedupeWindow);
  const abort = new AbortController();
  let client: RedisStreamsReaderClient | undefined = options.client;
  let loop: Promise<void> | undefined;
  let status: RunnerHealth['status'] = 'idle';
  let lastError: string | undefined;
  let poisonReported = false;
  const counters = { entries: 0, events: 0, emitted: 0, duplicates: 0, acked: 0, poison: 0, trimmed: 0, claimed: 0, storageErrors: 0, readErrors: 0, ackErrors: 0 };

  const connect = async (): Promise<RedisStreamsReaderClient> => {
    if (client !== undefined) return client;
    type RedisClass = new (url: string, options: Record<string, unknown>) => RedisStreamsReaderClient;
    const ioredis = await importOptionalPeer<{ Redis?: RedisClass }>(() => import('ioredis'), 'ioredis', 'redis-streams');
    if (ioredis.Redis === undefined) fail('the ioredis module has no Redis class');
    const created = new ioredis.Redis!(options.url!, { maxRetriesPerRequest: null, connectTimeout: 2000, retryStrategy: (times: number) => Math.min(2000, 100 * times) });
    created.on('error', (error) => (lastError = errorMessage(error)));
    client = created;
    return created;
  };

  const ensureGroup = async (redis: RedisStreamsReaderClient) => {
    try {
      await redis.call('XGROUP', 'CREATE', stream, group, startId, 'MKSTREAM');
    } catch (error) {
      if (!errorMessage(error).includes('BUSYGROUP')) throw error;
    }
  };

  /** Writes, acknowledges and emits one read's entries. Throws (leaving them pending) when storage fails. */
  const handle = async (redis: RedisStreamsReaderClient, entries: StreamEntry[], ctx: RunnerContext) => {
    if (entries.length === 0) return;
    const events: FleetEvent[] = [];
    for (const [id, fields] of entries) {
      counters.entries++;
      if (fields === null) {
        // Trimmed by MAXLEN before it was read: nothing left to deliver.
        counters.trimmed++;
        continue;
      }
      const parsed = decodeRedisStreamEntry(fields);
      if (parsed === undefined) {
        counters.poison++;
        if (!poisonReported) {
          poisonReported = true;
          ctx.reportError(new Error(`entry ${id} of ${stream} holds no events in a known entry format (v1, v2); acknowledged and skipped (later ones are only counted)`), 'decode');
        }
        continue;
      }
      events.push(...parsed);
    }
    counters.events += events.length;
    if (storage !== undefined && events.length > 0) {
      try {
        await storage.append(events);
      } catch (error) {
        counters.storageErrors++;
        throw error;
      }
    }
    // Sent now, not awaited: the next read follows it on the same connection, so the ack costs no round
    // trip of its own. An ack that fails leaves the entries pending: read again, their events removed as duplicates.
    redis.call('XACK', stream, group, ...entries.map(([id]) => id)).then(
      () => (counters.acked += entries.length),
      (error: unknown) => {
        counters.ackErrors++;
        lastError = errorMessage(error);
      },
    );
    const fresh: EventInput[] = [];
    for (const event of events) {
      if (recent.add(event.id)) fresh.push(event as unknown as EventInput);
      else counters.duplicates++;
    }
    counters.emitted += fresh.length;
    if (fresh.length > 0) ctx.emitMany(fresh);
  };

  const entriesOf = (reply: unknown): StreamEntry[] => {
    // XREADGROUP: [[stream, [[id, [field, value, ...]], ...]]] or null.
    if (!Array.isArray(reply) || reply.length === 0) return [];
    const first = reply[0] as [string, StreamEntry[]];
    return Array.isArray(first?.[1]) ? first[1] : [];
  };

  const claim = async (redis: RedisStreamsReaderClient, ctx: RunnerContext) => {
    let cursor = '0-0';
    // At most 20 pages per round, so reading new entries is never starved.
    for (let page = 0; page < 20 && !abort.signal.aborted; page++) {
      const reply = (await redis.call('XAUTOCLAIM', stream, group, consumer, claimIdleMs, cursor, 'COUNT', count)) as [string, StreamEntry[]];
      const entries = Array.isArray(reply?.[1]) ? reply[1] : [];
      counters.claimed += entries.length;
      await handle(redis, entries, ctx);
      cursor = String(reply?.[0] ?? '0-0');
      if (cursor === '0-0') return;
    }
  };

  const run = async (ctx: RunnerContext) => {
    let failures = 0;
    let backlog = true;
    let lastClaim = -Infinity;
    let redis: RedisStreamsReaderClient | undefined;
    while (!abort.signal.aborted) {
      try {
        redis ??= await connect();
        if (backlog) await ensureGroup(redis);
        if (Date.now() - lastClaim >= claimIntervalMs) {
          lastClaim = Date.now();
          await claim(redis, ctx);
        }
        // First this consumer's own pending entries (a restart, a failed write), then new ones.
        const reply = backlog
          ? await redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', stream, '0')
          : await redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', stream, '>');
        const entries = entriesOf(reply);
        if (backlog && entries.length === 0) backlog = false;
        await handle(redis, entries, ctx);
        failures = 0;
        status = 'running';
      } catch (error) {
        if (abort.signal.aborted) break;
        counters.readErrors++;
        lastError = errorMessage(error);
        status = 'degraded';
        // Whatever was read and not acknowledged is pending: read it again first.
        backlog = true;
        await sleepUnlessAborted(Math.min(5000, 100 * 2 ** Math.min(failures++, 6)), abort.signal);
      }
    }
  };

  return {
    name,
    start(ctx: RunnerContext) {
      if (loop !== undefined) return;
      status = 'running';
      loop = run(ctx).catch((error: unknown) => {
        status = 'failed';
        lastError = errorMessage(error);
        ctx.reportError(error, 'loop');
      });
    },
    async stop() {
      abort.abort();
      if (options.client === undefined) client?.disconnect();
      await loop;
      status = 'stopped';
    },
    health(): RunnerHealth {
      return { status, ...(lastError === undefined ? {} : { message: lastError }), details: { ...counters, stream, group, consumer } };
    },
  };
}
