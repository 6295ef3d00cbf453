/**
 * SQLite storage on better-sqlite3 (an optional peer dependency, imported on first use): one
 * `events` table with the envelope in columns, the payload and attributes as JSON text (queryable
 * with `json_extract`), indexes on session, agent, workflow, type and time, WAL mode and one
 * transaction per appended batch. See docs/storage.md for the schema and SQL examples.
 */
import type { EventQuery, FleetEvent, QueryPage, Storage, StorageStats } from '../core/index.js';

/** The parts of a better-sqlite3 `Database` this storage uses. */
export interface SqliteDatabase {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  prepare(source: string): SqliteStatement;
  transaction<A extends unknown[], R = void>(fn: (...args: A) => R): (...args: A) => R;
  close(): unknown;
}

export interface SqliteStatement {
  run(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
}

/** better-sqlite3's default export: `new Database(path, options)`. */
export type SqliteDriver = new (path: string, options?: Record<string, unknown>) => SqliteDatabase;

export interface SqliteStorageOptions {
  /** Database file; `:memory:` for a private in-memory database. Required. */
  path: string;
  /** The better-sqlite3 constructor; default `(await import('better-sqlite3')).default` on first use. */
  driver?: SqliteDriver;
  /** Table name (letters, digits, `_`). Default `events`. */
  table?: string;
  /** `PRAGMA synchronous`: `NORMAL` (default, durable at each WAL checkpoint; safe from corruption) or `FULL` (each commit). */
  synchronous?: 'NORMAL' | 'FULL' | 'OFF';
  /** Name in stats. Default `sqlite`. */
  name?: string;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

interface Row {
  seq: number;
  event: string;
}

function prefixed(message: string, cause?: unknown): Error {
  return new Error(`[fleetscope] [sqlite] ${message}`, cause === undefined ? undefined : { cause });
}

/** Creates a SQLite `Storage`. The database is opened on the first append or query. */
export function sqliteStorage(options: SqliteStorageOptions): Storage {
  if (options === null || typeof options !== 'object' || typeof options.path !== 'string' || options.path === '') {
    throw prefixed('options.path (a database file, or ":memory:") is required');
  }
  const table = options.table ?? 'events';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw prefixed(`table name ${JSON.stringify(table)} is not a plain identifier`);
  const synchronous = options.synchronous ?? 'NORMAL';
  if (!['NORMAL', 'FULL', 'OFF'].includes(synchronous)) throw prefixed(`unknown synchronous mode ${String(synchronous)}`);
  const name = options.name ?? 'sqlite';

  let db: SqliteDatabase | undefined;
  let opening: Promise<SqliteDatabase> | undefined;
  let insertMany: ((events: readonly FleetEvent[]) => number) | undefined;
  /** Events left out of an append because they could not be serialized. */
  let unserializable = 0;
  let events = 0;
  let closed = false;
  const counters = { appended: 0, writeErrors: 0, queryErrors: 0, transactions: 0 };
  let lastError: string | undefined;

  async function loadDriver(): Promise<SqliteDriver> {
    if (options.driver !== undefined) return options.driver;
    try {
      const mod = (await import('better-sqlite3')) as unknown as { default?: SqliteDriver };
      return mod.default ?? (mod as unknown as SqliteDriver);
    } catch (error) {
      throw prefixed('better-sqlite3 could not be loaded; install it with `npm install better-sqlite3` (an optional peer dependency)', error);
    }
  }

  async function open(): Promise<SqliteDatabase> {
    const Driver = await loadDriver();
    let database: SqliteDatabase;
    try {
      database = new Driver(options.path);
      database.pragma('journal_mode = WAL');
      database.pragma(`synchronous = ${synchronous}`);
      database.exec(`
        CREATE TABLE IF NOT EXISTS ${table} (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL,
          timestamp INTEGER NOT NULL,
          type TEXT NOT NULL,
          severity TEXT NOT NULL,
          source TEXT NOT NULL,
          session_id TEXT NOT NULL,
          agent_id TEXT NOT NULL,
          workflow_id TEXT,
          trace_id TEXT,
          span_id TEXT,
          parent_span_id TEXT,
          payload TEXT NOT NULL,
          attributes TEXT,
          event TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ${table}_session ON ${table} (session_id, seq);
        CREATE INDEX IF NOT EXISTS ${table}_agent ON ${table} (agent_id, seq);
        CREATE INDEX IF NOT EXISTS ${table}_workflow ON ${table} (workflow_id, seq) WHERE workflow_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ${table}_type ON ${table} (type, seq);
        CREATE INDEX IF NOT EXISTS ${table}_time ON ${table} (timestamp);
      `);
    } catch (error) {
      throw prefixed(`could not open ${options.path}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    const insert = database.prepare(
      `INSERT INTO ${table} (id, timestamp, type, severity, source, session_id, agent_id, workflow_id, trace_id, span_id, parent_span_id, payload, attributes, event)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    insertMany = database.transaction((batch: readonly FleetEvent[]) => {
      let inserted = 0;
      for (const e of batch) {
        // Each event serialized with its own try: one that cannot be serialized (a host appending a
        // hostile object directly) is counted and left out; the rest of the batch is stored.
        let row: unknown[];
        try {
          const json = JSON.stringify(e);
          if (typeof json !== 'string') throw new TypeError('not serializable');
          row = [
            e.id,
            e.timestamp,
            e.type,
            e.severity,
            e.source,
            e.sessionId,
            e.agentId,
            e.workflowId ?? null,
            e.traceId ?? null,
            e.spanId ?? null,
            e.parentSpanId ?? null,
            JSON.stringify(e.payload ?? {}),
            e.attributes === undefined ? null : JSON.stringify(e.attributes),
            json,
          ];
        } catch {
          unserializable++;
          continue;
        }
        insert.run(...row);
        inserted++;
      }
      return inserted;
    });
    events = (database.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    db = database;
    return database;
  }

  function ready(): Promise<SqliteDatabase> {
    if (db !== undefined) return Promise.resolve(db);
    opening ??= open();
    // A failed open (driver missing, unwritable path) is retried on the next call.
    opening.catch(() => (opening = undefined));
    return opening;
  }

  function encodeCursor(seq: number): string {
    return `q${seq.toString(36)}`;
  }

  function decodeCursor(cursor: string | undefined): number | undefined {
    if (cursor === undefined || cursor === '') return undefined;
    const seq = /^q[0-9a-z]+$/.test(cursor) ? Number.parseInt(cursor.slice(1), 36) : Number.NaN;
    if (!Number.isSafeInteger(seq)) throw prefixed('cursor is not one this storage issued');
    return seq;
  }

  return {
    name,

    async append(batch) {
      if (closed) throw prefixed('storage is closed');
      if (batch.length === 0) return;
      try {
        await ready();
        const inserted = insertMany!(batch);
        counters.transactions++;
        counters.appended += inserted;
        events += inserted;
      } catch (error) {
        counters.writeErrors++;
        const wrapped = error instanceof Error && error.message.startsWith('[fleetscope]') ? error : prefixed(`append failed: ${String(error)}`, error);
        lastError = wrapped.message;
        throw wrapped;
      }
    },

    async query(query: EventQuery): Promise<QueryPage> {
      if (closed) throw prefixed('storage is closed');
      const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)));
      const cursor = decodeCursor(query.cursor);
      const desc = query.order === 'desc';
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.sessionId !== undefined) (where.push('session_id = ?'), params.push(query.sessionId));
      if (query.agentId !== undefined) (where.push('agent_id = ?'), params.push(query.agentId));
      if (query.workflowId !== undefined) (where.push('workflow_id = ?'), params.push(query.workflowId));
      if (query.types !== undefined) {
        if (query.types.length === 0) return { events: [] };
        where.push(`type IN (${query.types.map(() => '?').join(', ')})`);
        params.push(...query.types);
      }
      if (query.from !== undefined) (where.push('timestamp >= ?'), params.push(query.from));
      if (query.to !== undefined) (where.push('timestamp < ?'), params.push(query.to));
      if (cursor !== undefined) (where.push(desc ? 'seq < ?' : 'seq > ?'), params.push(cursor));
      try {
        const database = await ready();
        const sql = `SELECT seq, event FROM ${table}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ?`;
        const rows = database.prepare(sql).all(...params, limit + 1) as Row[];
        const more = rows.length > limit;
        if (more) rows.length = limit;
        const page: QueryPage = { events: rows.map((r) => JSON.parse(r.event) as FleetEvent) };
        if (more) page.nextCursor = encodeCursor(rows[rows.length - 1]!.seq);
        return page;
      } catch (error) {
        counters.queryErrors++;
        const wrapped = error instanceof Error && error.message.startsWith('[fleetscope]') ? error : prefixed(`query failed: ${String(error)}`, error);
        lastError = wrapped.message;
        throw wrapped;
      }
    },

    stats(): StorageStats {
      return { events, evicted: 0, ...counters, unserializable, open: db !== undefined, lastError };
    },

    async flush() {
      // Each batch is committed by its transaction; WAL checkpoints are SQLite's business.
    },

    async close() {
      if (closed) return;
      closed = true;
      try {
        db?.close();
      } catch (error) {
        lastError = prefixed(`close failed: ${String(error)}`, error).message;
      }
      db = undefined;
    },
  };
}
