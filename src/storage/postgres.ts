/**
 * PostgreSQL storage on `pg` (an optional peer dependency, imported on first use): one events table
 * partitioned by day or month on the event time, the envelope in columns, payload and attributes
 * as JSONB, btree indexes on session, agent, workflow and type (each with the append sequence, for
 * cursor pagination) and a BRIN index on time. Retention drops whole partitions.
 *
 * Several hosts may append to one table at once: a batch reserves its sequence values (in call order),
 * then goes as up to `appendParallelism` `COPY ... FROM STDIN` statements run at once on as many
 * connections. A unique index on (id, timestamp) refuses a `COPY` holding an event stored already (at-least-
 * once transports, a retried batch): that part is sent again as a prepared `INSERT ... SELECT FROM
 * unnest($1::text[], ...) ON CONFLICT DO NOTHING`, so a redelivered event counts once. `COPY` costs the
 * server about 30% less CPU per event than that `INSERT` (BENCHMARKS.md).
 * See docs/fleet.md for the schema and SQL examples.
 */
import type { EventQuery, FleetEvent, QueryPage, Storage, StorageStats } from '../core/index.js';
import { DEFAULT_QUERY_LIMIT, errorMessage, importOptionalPeer, MAX_QUERY_LIMIT } from '../core/index.js';
import { CopyIn, copyText } from './postgres-copy.js';
import { jsonForPostgres, partitionBounds, type PartitionPeriod } from './postgres-sql.js';

/** The parts of a `pg.Pool` this storage uses (structural, so `pg` is not needed at compile time). */
export interface PostgresPool {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
  /** A named (prepared) statement. */
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: any[]; rowCount: number | null }>;
  end(): Promise<void>;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  /** A client of its own for a while (`COPY` needs one); without it the storage appends with `INSERT`. */
  connect?(): Promise<PostgresClient>;
}

/** A client checked out of a `PostgresPool` (`pg.PoolClient`). */
export interface PostgresClient {
  /** Runs a submittable (here a `COPY ... FROM STDIN`). */
  query(submittable: CopyIn): unknown;
  /** Back to the pool; with an error, the connection is closed instead. */
  release(error?: Error | boolean): void;
}

export interface PostgresStorageOptions {
  /** `postgres://user:password@host:port/database`. Required unless `pool` is given. */
  connectionString?: string;
  /** A pool of your own (e.g. `new pg.Pool(...)`); the storage does not end it on `close()`. */
  pool?: PostgresPool;
  /** Table name (letters, digits, `_`; at most 40 characters). Default `fleetscope_events`. */
  table?: string;
  /** Partition size on the event time: `day` (default), `month`, or `none` (one plain table). */
  partitionBy?: PartitionPeriod | 'none';
  /** Drop partitions whose events are all older than this many ms (checked at most once a minute). Default: keep all. */
  retentionMs?: number;
  /** Connections of the pool the storage creates. Default 4. */
  maxConnections?: number;
  /**
   * Insert statements one append may run at once, on as many connections: a batch is split in that many
   * parts (of at least 250 events). PostgreSQL runs one process per connection, so 2 use two server cores.
   * Default 2; 1 sends each batch as one statement.
   */
  appendParallelism?: number;
  /**
   * How a batch goes in: `copy` (default) sends it with `COPY ... FROM STDIN` and, when it holds an event
   * already stored (a redelivery: the unique index refuses the whole COPY), sends it again as `insert`;
   * `insert` always uses `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING`. Both store each
   * event once; `copy` costs the server about 30% less CPU per event (BENCHMARKS.md).
   */
  appendWith?: 'copy' | 'insert';
  /**
   * `false` opens the storage's own connections with `synchronous_commit = off`: a commit returns before its
   * WAL reaches the disk, so a server crash (not a client or network failure) can lose the last
   * appends acknowledged in the ~0.6 s before it (never corrupts; `fsync` stays on). The storage
   * cannot tell a caller such an append is lost, so a transport that acknowledges after the append (the
   * Redis runner's XACK) would not redeliver it. Default `true` (the server's setting is kept).
   */
  synchronousCommit?: boolean;
  /** Name in stats. Default `postgres`. */
  name?: string;
  /** Clock for retention (ms since epoch). Default `Date.now`. */
  now?: () => number;
}

interface Row {
  seq: string;
  id: string;
  ts: string;
  type: string;
  severity: string;
  source: string;
  session_id: string;
  agent_id: string;
  workflow_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  parent_span_id: string | null;
  payload: Record<string, unknown>;
  attributes: Record<string, unknown> | null;
  extra: Record<string, unknown> | null;
}

const RETENTION_CHECK_MS = 60_000;
/** Envelope fields kept in their own columns; anything else of the envelope goes to `extra`. */
const COLUMN_FIELDS = new Set([
  'id', 'timestamp', 'type', 'severity', 'source', 'sessionId', 'agentId', 'workflowId', 'traceId', 'spanId', 'parentSpanId', 'payload', 'attributes',
]);

function prefixed(message: string, cause?: unknown): Error {
  return new Error(`[fleetscope] [postgres] ${message}`, cause === undefined ? undefined : { cause });
}

/** The insert's columns, in the order of its `unnest` parameters (`seq` last: reserved before the insert). */
const INSERT_COLUMNS = 'id, ts, type, severity, source, session_id, agent_id, workflow_id, trace_id, span_id, parent_span_id, payload, attributes, extra, seq';
const INSERT_TYPES = ['text', 'bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'jsonb', 'jsonb', 'jsonb', 'bigint'];
/** The smallest part of a batch sent as a statement of its own. */
const MIN_PART = 250;
/** SQLSTATE of a unique index refusing a row. */
const UNIQUE_VIOLATION = '23505';
/**
 * What a `CREATE ... IF NOT EXISTS` racing another host's may fail with: duplicate_table (42P07),
 * duplicate_object (42710: the table's row type, "type ... already exists"), unique_violation (23505).
 */
const CREATE_RACE_CODES = new Set(['42P07', '42710', UNIQUE_VIOLATION]);

type Value = string | number | null;

/** A batch as rows in INSERT_COLUMNS order; JSON columns as text that JSONB accepts; `seqs` its reserved sequence values. */
function rowsOf(batch: readonly FleetEvent[], seqs: readonly string[]): { rows: Value[][]; repaired: number } {
  let repaired = 0;
  const json = (value: unknown): string | null => {
    if (value === undefined || value === null) return null;
    const out = jsonForPostgres(value);
    repaired += out.repaired;
    return out.json;
  };
  // PostgreSQL text refuses NUL too (a lone surrogate becomes U+FFFD when the driver encodes UTF-8).
  const text = (value: string | undefined): string | null => {
    if (value === undefined) return null;
    if (!value.includes('\u0000')) return value;
    repaired++;
    return value.replaceAll('\u0000', '\ufffd');
  };
  const rows = batch.map((event, row): Value[] => {
    let extra: Record<string, unknown> | undefined;
    for (const key of Object.keys(event)) {
      if (COLUMN_FIELDS.has(key)) continue;
      (extra ??= {})[key] = (event as unknown as Record<string, unknown>)[key];
    }
    return [
      text(event.id), event.timestamp, text(event.type), text(event.severity), text(event.source), text(event.sessionId), text(event.agentId),
      text(event.workflowId), text(event.traceId), text(event.spanId), text(event.parentSpanId),
      json(event.payload ?? {}), json(event.attributes), json(extra), seqs[row]!,
    ];
  });
  return { rows, repaired };
}

/** Rows as one array per column (the `unnest` parameters). */
function columnsOf(rows: readonly Value[][]): Value[][] {
  return INSERT_TYPES.map((_, c) => rows.map((row) => row[c]!));
}

function eventOf(row: Row): FleetEvent {
  const event: Record<string, unknown> = {
    id: row.id,
    type: row.type,
    timestamp: Number(row.ts),
    severity: row.severity,
    source: row.source,
    sessionId: row.session_id,
    agentId: row.agent_id,
  };
  if (row.workflow_id !== null) event.workflowId = row.workflow_id;
  if (row.trace_id !== null) event.traceId = row.trace_id;
  if (row.span_id !== null) event.spanId = row.span_id;
  if (row.parent_span_id !== null) event.parentSpanId = row.parent_span_id;
  if (row.extra !== null) Object.assign(event, row.extra);
  event.payload = row.payload;
  if (row.attributes !== null) event.attributes = row.attributes;
  return event as unknown as FleetEvent;
}

/** Creates a PostgreSQL `Storage`. The table and its indexes are created on the first append or query. */
export function postgresStorage(options: PostgresStorageOptions): Storage {
  if (options === null || typeof options !== 'object') throw prefixed('options are required');
  if (options.pool === undefined && (typeof options.connectionString !== 'string' || options.connectionString === '')) {
    throw prefixed('options.connectionString (postgres://...) or options.pool is required');
  }
  const table = options.table ?? 'fleetscope_events';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(table)) throw prefixed(`table name ${JSON.stringify(table)} is not a plain identifier of at most 40 characters`);
  const partitionBy = options.partitionBy ?? 'day';
  if (!['day', 'month', 'none'].includes(partitionBy)) throw prefixed(`unknown partitionBy ${String(partitionBy)}`);
  const retentionMs = options.retentionMs;
  if (retentionMs !== undefined && !(Number.isFinite(retentionMs) && retentionMs > 0)) throw prefixed('retentionMs must be a positive number');
  const name = options.name ?? 'postgres';
  const now = options.now ?? Date.now;

  let pool: PostgresPool | undefined = options.pool;
  const ownsPool = options.pool === undefined;
  let opening: Promise<PostgresPool> | undefined;
  let opened = false;
  let closed = false;
  let events = 0;
  let evicted = 0;
  let lastRetentionCheck = -Infinity;
  /** Partitions known to exist (their names). */
  const partitions = new Set<string>();
  const counters = { appended: 0, duplicates: 0, writeErrors: 0, queryErrors: 0, partitionsCreated: 0, partitionsDropped: 0, repairedStrings: 0, copyRetries: 0 };
  let lastError: string | undefined;
  const parallelism = options.appendParallelism ?? 2;
  const appendWith = options.appendWith ?? 'copy';
  if (appendWith !== 'copy' && appendWith !== 'insert') throw prefixed(`unknown appendWith ${String(appendWith)}`);
  if (options.synchronousCommit !== undefined && typeof options.synchronousCommit !== 'boolean') throw prefixed('synchronousCommit must be a boolean');
  if (!(Number.isInteger(parallelism) && parallelism > 0)) throw prefixed('appendParallelism must be a positive integer');
  /**
   * Appends reserve their sequence values one after another, so the append order of one storage is the
   * call order; their insert statements then run at once.
   */
  let tail: Promise<unknown> = Promise.resolve();
  /** Appends whose statements are still running (settled: `flush` and `close` wait for them). */
  const inFlight = new Set<Promise<void>>();
  /** Reserves a batch's `seq` values; ARRAY(subquery) keeps their order. Set once the table is open. */
  let reserveSql = '';

  async function createPool(): Promise<PostgresPool> {
    type PoolClass = new (config: Record<string, unknown>) => PostgresPool;
    const pg = await importOptionalPeer<{ Pool?: PoolClass }>(() => import('pg'), 'pg', 'postgres');
    const Pool = pg.Pool;
    if (Pool === undefined) throw prefixed('the pg module has no Pool');
    const config: Record<string, unknown> = { connectionString: options.connectionString, max: options.maxConnections ?? 4, connectionTimeoutMillis: 5_000 };
    if (options.synchronousCommit === false) config.options = '-c synchronous_commit=off';
    const created = new Pool(config);
    // An idle client losing its connection (server restart) must not crash the host.
    created.on?.('error', (error) => (lastError = prefixed(`idle connection lost: ${error.message}`).message));
    return created;
  }

  async function open(): Promise<PostgresPool> {
    pool ??= await createPool();
    const partitioned = partitionBy !== 'none';
    await pool.query(`
      CREATE TABLE IF NOT EXISTS ${table} (
        seq bigserial NOT NULL,
        id text NOT NULL,
        ts bigint NOT NULL,
        type text NOT NULL,
        severity text NOT NULL,
        source text NOT NULL,
        session_id text NOT NULL,
        agent_id text NOT NULL,
        workflow_id text,
        trace_id text,
        span_id text,
        parent_span_id text,
        payload jsonb NOT NULL,
        attributes jsonb,
        extra jsonb
      )${partitioned ? ' PARTITION BY RANGE (ts)' : ''};
      CREATE UNIQUE INDEX IF NOT EXISTS ${table}_event ON ${table} (id, ts);
      CREATE INDEX IF NOT EXISTS ${table}_seq ON ${table} (seq);
      CREATE INDEX IF NOT EXISTS ${table}_session ON ${table} (session_id, seq);
      CREATE INDEX IF NOT EXISTS ${table}_agent ON ${table} (agent_id, seq);
      CREATE INDEX IF NOT EXISTS ${table}_workflow ON ${table} (workflow_id, seq) WHERE workflow_id IS NOT NULL;
      CREATE INDEX IF NOT EXISTS ${table}_type ON ${table} (type, seq);
      CREATE INDEX IF NOT EXISTS ${table}_time ON ${table} USING brin (ts);
    `).catch(async (error: { code?: string }) => {
      // Two hosts creating the table at once: one wins, the other sees a duplicate (of the table, of its
      // row type in pg_type, or of a catalog key) once the winner committed; the table is there.
      if (!CREATE_RACE_CODES.has(error.code ?? '')) throw error;
    });
    const counted = await pool.query(`SELECT count(*)::bigint AS n FROM ${table}`);
    events = Number(counted.rows[0]?.n ?? 0);
    // Looked up, not assumed: hosts creating the table at once may leave it a sequence of another name.
    const sequence = (await pool.query('SELECT pg_get_serial_sequence($1, $2) AS name', [table, 'seq'])).rows[0]?.name as string | null;
    if (!sequence) throw prefixed(`table ${table} has no sequence behind its seq column`);
    reserveSql = `SELECT ARRAY(SELECT nextval('${sequence.replaceAll("'", "''")}') FROM generate_series(1, $1::int)) AS seqs`;
    opened = true;
    return pool;
  }

  function ready(): Promise<PostgresPool> {
    if (opened && pool !== undefined) return Promise.resolve(pool);
    opening ??= open();
    // A failed open (server down, driver missing) is tried again on the next call.
    opening.catch(() => (opening = undefined));
    return opening;
  }

  async function ensurePartitions(db: PostgresPool, batch: readonly FleetEvent[]): Promise<void> {
    if (partitionBy === 'none') return;
    const needed = new Map<string, { from: number; to: number }>();
    // Events of a batch mostly share a partition: its bounds are worked out again only outside the last one's.
    let last = { from: 0, to: 0 };
    for (const { timestamp } of batch) {
      if (timestamp >= last.from && timestamp < last.to) continue;
      const bounds = (last = partitionBounds(table, partitionBy, timestamp));
      if (!partitions.has(bounds.name)) needed.set(bounds.name, bounds);
    }
    for (const [partition, { from, to }] of needed) {
      try {
        await db.query(`CREATE TABLE IF NOT EXISTS ${partition} PARTITION OF ${table} FOR VALUES FROM (${from}) TO (${to})`);
        counters.partitionsCreated++;
      } catch (error) {
        // Another host created it between our check and our create.
        if (!CREATE_RACE_CODES.has((error as { code?: string }).code ?? '')) throw error;
      }
      partitions.add(partition);
    }
  }

  async function applyRetention(db: PostgresPool): Promise<void> {
    if (retentionMs === undefined || partitionBy === 'none') return;
    const at = now();
    if (at - lastRetentionCheck < RETENTION_CHECK_MS) return;
    lastRetentionCheck = at;
    const cutoff = at - retentionMs;
    const found = await db.query(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass`,
      [table],
    );
    for (const { name: partition, bound } of found.rows as { name: string; bound: string }[]) {
      const upper = /TO \('?(-?\d+)'?\)/.exec(bound)?.[1];
      if (upper === undefined || Number(upper) > cutoff) continue;
      const counted = await db.query(`SELECT count(*)::bigint AS n FROM ${partition}`);
      await db.query(`DROP TABLE IF EXISTS ${partition}`);
      const n = Number(counted.rows[0]?.n ?? 0);
      evicted += n;
      events -= n;
      counters.partitionsDropped++;
      partitions.delete(partition);
    }
  }

  const insertSql =
    `INSERT INTO ${table} (${INSERT_COLUMNS}) SELECT * FROM unnest(${INSERT_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')}) ` +
    'ON CONFLICT (id, ts) DO NOTHING';
  const copySql = `COPY ${table} (${INSERT_COLUMNS}) FROM STDIN`;

  /** Creates the partitions a batch needs and reserves its sequence values (run in call order). */
  async function reserve(batch: readonly FleetEvent[]): Promise<{ db: PostgresPool; seqs: string[] }> {
    const db = await ready();
    await ensurePartitions(db, batch);
    const reply = await db.query({ name: `fleetscope-seq-${table}`, text: reserveSql, values: [batch.length] });
    return { db, seqs: reply.rows[0].seqs as string[] };
  }

  /** Appends rows with the `INSERT ... ON CONFLICT DO NOTHING` statement; the rows it stored. */
  async function insertRows(db: PostgresPool, rows: readonly Value[][]): Promise<number> {
    const result = await db.query({ name: `fleetscope-append-${table}`, text: insertSql, values: columnsOf(rows) });
    return result.rowCount ?? 0;
  }

  /** Appends rows with one `COPY` on a client of its own; a unique violation (an event stored already) leaves nothing written. */
  async function copyRows(connect: () => Promise<PostgresClient>, rows: readonly Value[][]): Promise<number> {
    const client = await connect();
    const copy = new CopyIn(copySql, copyText(rows));
    try {
      client.query(copy);
      const copied = await copy.done;
      client.release();
      return copied;
    } catch (error) {
      // A refused COPY leaves the connection usable; anything else (connection lost) closes it.
      client.release(typeof (error as { code?: unknown }).code === 'string' ? undefined : (error as Error));
      throw error;
    }
  }

  async function insert(db: PostgresPool, part: readonly FleetEvent[], seqs: readonly string[]): Promise<void> {
    const { rows, repaired } = rowsOf(part, seqs);
    counters.repairedStrings += repaired;
    let inserted: number;
    if (appendWith === 'copy' && db.connect !== undefined) {
      inserted = await copyRows(db.connect.bind(db), rows).catch((error: { code?: string }) => {
        if (error.code !== UNIQUE_VIOLATION) throw error;
        counters.copyRetries++;
        return insertRows(db, rows);
      });
    } else {
      inserted = await insertRows(db, rows);
    }
    counters.appended += inserted;
    counters.duplicates += part.length - inserted;
    events += inserted;
  }

  /** The batch's statements, at most `parallelism` of at least MIN_PART events each, run at once. */
  async function insertAll(db: PostgresPool, batch: readonly FleetEvent[], seqs: readonly string[]): Promise<void> {
    const parts = Math.max(1, Math.min(parallelism, Math.floor(batch.length / MIN_PART)));
    const size = Math.ceil(batch.length / parts);
    const statements: Promise<void>[] = [];
    for (let from = 0; from < batch.length; from += size) statements.push(insert(db, batch.slice(from, from + size), seqs.slice(from, from + size)));
    await Promise.all(statements);
    await applyRetention(db);
  }

  async function settleInFlight(): Promise<void> {
    await tail;
    while (inFlight.size > 0) await Promise.all(inFlight);
  }

  function encodeCursor(seq: string): string {
    return `p${BigInt(seq).toString(36)}`;
  }

  function decodeCursor(cursor: string | undefined): string | undefined {
    if (cursor === undefined || cursor === '') return undefined;
    if (!/^p[0-9a-z]{1,13}$/.test(cursor)) throw prefixed('cursor is not one this storage issued');
    let seq = 0n;
    for (const digit of cursor.slice(1)) seq = seq * 36n + BigInt(Number.parseInt(digit, 36));
    return seq.toString();
  }

  return {
    name,

    append(batch) {
      if (closed) return Promise.reject(prefixed('storage is closed'));
      if (batch.length === 0) return Promise.resolve();
      const reserved = tail.then(() => reserve(batch));
      tail = reserved.catch(() => {});
      // A part that failed leaves the batch half written: the caller retries it, and the unique index keeps each event once.
      const run = reserved.then(({ db, seqs }) => insertAll(db, batch, seqs)).catch((error: unknown) => {
        counters.writeErrors++;
        const wrapped = error instanceof Error && error.message.startsWith('[fleetscope]') ? error : prefixed(`append failed: ${errorMessage(error)}`, error);
        lastError = wrapped.message;
        throw wrapped;
      });
      const settled = run.catch(() => {});
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      return run;
    },

    async query(query: EventQuery): Promise<QueryPage> {
      if (closed) throw prefixed('storage is closed');
      const limit = Math.min(MAX_QUERY_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_QUERY_LIMIT)));
      const cursor = decodeCursor(query.cursor);
      const desc = query.order === 'desc';
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown) => (params.push(value), `$${params.length}`);
      if (query.sessionId !== undefined) where.push(`session_id = ${param(query.sessionId)}`);
      if (query.agentId !== undefined) where.push(`agent_id = ${param(query.agentId)}`);
      if (query.workflowId !== undefined) where.push(`workflow_id = ${param(query.workflowId)}`);
      if (query.types !== undefined) {
        if (query.types.length === 0) return { events: [] };
        where.push(`type = ANY(${param([...query.types])}::text[])`);
      }
      if (query.from !== undefined) where.push(`ts >= ${param(Math.ceil(query.from))}`);
      if (query.to !== undefined) where.push(`ts < ${param(Math.ceil(query.to))}`);
      if (cursor !== undefined) where.push(`seq ${desc ? '<' : '>'} ${param(cursor)}::bigint`);
      try {
        const db = await ready();
        const sql = `SELECT * FROM ${table}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ${limit + 1}`;
        const rows = (await db.query(sql, params)).rows as Row[];
        const more = rows.length > limit;
        if (more) rows.length = limit;
        const page: QueryPage = { events: rows.map(eventOf) };
        if (more) page.nextCursor = encodeCursor(rows[rows.length - 1]!.seq);
        return page;
      } catch (error) {
        counters.queryErrors++;
        const wrapped = error instanceof Error && error.message.startsWith('[fleetscope]') ? error : prefixed(`query failed: ${errorMessage(error)}`, error);
        lastError = wrapped.message;
        throw wrapped;
      }
    },

    stats(): StorageStats {
      return { events, evicted, ...counters, open: opened, lastError };
    },

    async flush() {
      // Each part of a batch is one committed statement; waiting for the appends in flight is all there is.
      await settleInFlight();
    },

    async close() {
      if (closed) return;
      closed = true;
      await settleInFlight();
      if (ownsPool && pool !== undefined) {
        await pool.end().catch((error: unknown) => (lastError = prefixed(`close failed: ${errorMessage(error)}`).message));
      }
      pool = undefined;
    },
  };
}
