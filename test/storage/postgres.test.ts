import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresStorage } from '../../src/storage/postgres.js';
import { jsonForPostgres, partitionBounds } from '../../src/storage/postgres-sql.js';
import { copyText } from '../../src/storage/postgres-copy.js';
import type { FleetEvent } from '../../src/core/index.js';
import { conformanceEvent, testStorage } from '../../src/testing/index.js';
import { hasPostgres, startPostgres, type RunningPostgres } from '../support/servers.js';

describe('postgres helpers', () => {
  it('partitions by UTC day and month', () => {
    // 2026-12-04T18:00:00Z
    const t = Date.UTC(2026, 11, 4, 18);
    expect(partitionBounds('ev', 'day', t)).toEqual({ name: 'ev_d20261204', from: Date.UTC(2026, 11, 4), to: Date.UTC(2026, 11, 5) });
    expect(partitionBounds('ev', 'month', t)).toEqual({ name: 'ev_m202612', from: Date.UTC(2026, 11, 1), to: Date.UTC(2027, 0, 1) });
  });

  it('replaces NUL and lone surrogates (JSONB refuses them) and leaves escaped backslashes alone', () => {
    expect(jsonForPostgres({ a: 'plain' })).toEqual({ json: '{"a":"plain"}', repaired: 0 });
    const { json, repaired } = jsonForPostgres({ a: 'x\u0000y', b: '\ud800', c: '\\u0000 is text', d: '😀' });
    expect(repaired).toBe(2);
    expect(JSON.parse(json)).toEqual({ a: 'x\ufffdy', b: '\ufffd', c: '\\u0000 is text', d: '😀' });
  });
});

describe('postgres COPY text', () => {
  it('escapes backslash, tab, newline and carriage return, writes null as \\N and numbers as digits', () => {
    expect(copyText([['a\tb', 'c\\d', null, 12], ['e\nf\rg', '{"k":"x\\"y"}', '', 0]])).toBe(
      'a\\tb\tc\\\\d\t\\N\t12\n' + 'e\\nf\\rg\t{"k":"x\\\\"y"}\t\t0\n',
    );
  });
});

describe.skipIf(!hasPostgres)('postgresStorage against a real PostgreSQL', () => {
  let server: RunningPostgres;
  let tables = 0;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(() => server?.destroy());

  testStorage('postgres', () => postgresStorage({ connectionString: server.url, table: `conf_${tables++}` }), {
    describe, it, expect, beforeEach, afterEach,
  });

  testStorage('postgres, appendWith insert', () => postgresStorage({ connectionString: server.url, table: `conf_insert_${tables++}`, appendWith: 'insert' }), {
    describe, it, expect, beforeEach, afterEach,
  });

  it('round-trips the characters COPY escapes, in columns and in JSON', async () => {
    const storage = postgresStorage({ connectionString: server.url, table: 'escapes' });
    const awkward = 'tab\there\nline\r\\back\\\\slash \\N "quote" é 😀';
    const event = { ...conformanceEvent('esc\t1', awkward, 'a\\b', 'log', 9), payload: { message: awkward }, attributes: { k: awkward } } as FleetEvent;
    await storage.append([event]);
    expect((await storage.query({ sessionId: awkward })).events).toEqual([event]);
    await storage.close();
  });

  it('creates day partitions, BRIN on time, and stores payload and attributes as queryable JSONB', async () => {
    const storage = postgresStorage({ connectionString: server.url, table: 'shape' });
    const day = Date.UTC(2026, 11, 4);
    await storage.append([
      conformanceEvent('e1', 's1', 'a', 'llm.call', day + 1000),
      conformanceEvent('e2', 's1', 'a', 'tool.end', day + 86_400_000 + 5),
      conformanceEvent('e3', 's2', 'b', 'llm.call', day - 1),
    ]);
    await storage.close();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const parts = await client.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'shape'::regclass ORDER BY 1");
      expect(parts.rows.map((r) => r.relname)).toEqual(['shape_d20261203', 'shape_d20261204', 'shape_d20261205']);
      const brin = await client.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'shape_time'");
      expect(brin.rows[0].indexdef).toContain('USING brin');
      const tokens = await client.query("SELECT payload->>'model' AS model, SUM((payload->>'outputTokens')::int)::int AS tokens FROM shape WHERE type = 'llm.call' GROUP BY 1");
      expect(tokens.rows).toEqual([{ model: 'claude-sonnet-4-5', tokens: 80 }]);
      const plan = await client.query("EXPLAIN SELECT * FROM shape WHERE session_id = 's1' ORDER BY seq LIMIT 10");
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('shape_d20261204_session');
    } finally {
      await client.end();
    }
  });

  it('counts an event appended twice once (redelivery), within a batch and across batches', async () => {
    const storage = postgresStorage({ connectionString: server.url, table: 'dedupe' });
    const a = conformanceEvent('d1', 's', 'a', 'log', 1_000);
    const b = conformanceEvent('d2', 's', 'a', 'log', 2_000);
    await storage.append([a, b, a]);
    await storage.append([b]);
    // Both batches hold an event the unique index refuses: their COPY is refused whole and sent again as INSERT.
    expect(storage.stats()).toMatchObject({ events: 2, appended: 2, duplicates: 2, copyRetries: 2 });
    expect((await storage.query({})).events.map((e) => e.id)).toEqual(['d1', 'd2']);
    await storage.close();
  });

  it('keeps NUL and lone surrogates from failing a batch (repaired, counted), and round-trips extra envelope fields', async () => {
    const storage = postgresStorage({ connectionString: server.url, table: 'hostile' });
    const event = { ...conformanceEvent('h1', 's', 'a', 'log', 5), payload: { message: 'a\u0000b\ud800' }, tags: ['x'], truncated: true } as FleetEvent;
    // An envelope string with NUL (text columns refuse it as JSONB does).
    const envelope = { ...conformanceEvent('h3', 's', 'a', 'log', 7), source: 'host\u0000x' } as FleetEvent;
    await storage.append([event, conformanceEvent('h2', 's', 'a', 'log', 6), envelope]);
    const { events } = await storage.query({});
    expect(events).toHaveLength(3);
    expect(events[0]).toEqual({ ...event, payload: { message: 'a\ufffdb\ufffd' } });
    expect(events[2]!.source).toBe('host\ufffdx');
    expect(storage.stats().repairedStrings).toBe(3);
    await storage.close();
  });

  it('drops whole partitions older than retentionMs and counts their events as evicted', async () => {
    let now = Date.UTC(2026, 11, 10);
    const storage = postgresStorage({ connectionString: server.url, table: 'retain', retentionMs: 2 * 86_400_000, now: () => now });
    const day = (d: number) => Date.UTC(2026, 11, d, 12);
    await storage.append([conformanceEvent('r1', 's', 'a', 'log', day(5)), conformanceEvent('r2', 's', 'a', 'log', day(5) + 1), conformanceEvent('r3', 's', 'a', 'log', day(9))]);
    // 12-05 ends before 12-08 00:00 (now - 2 days): dropped; 12-09 stays.
    expect(storage.stats()).toMatchObject({ events: 1, evicted: 2, partitionsDropped: 1 });
    expect((await storage.query({})).events.map((e) => e.id)).toEqual(['r3']);
    now += 60_000 - 1; // the next check waits a minute
    await storage.append([conformanceEvent('r4', 's', 'a', 'log', day(9) + 1)]);
    expect(storage.stats().partitionsDropped).toBe(1);
    await storage.close();
  });

  it('several hosts appending to one table at once lose nothing and duplicate nothing', async () => {
    const hosts = Array.from({ length: 4 }, (_, h) => postgresStorage({ connectionString: server.url, table: 'many', name: `host${h}` }));
    await Promise.all(
      hosts.map(async (storage, h) => {
        for (let b = 0; b < 20; b++) {
          const batch = Array.from({ length: 50 }, (_, i) => conformanceEvent(`h${h}-${b}-${i}`, `s${h}`, 'a', 'log', Date.UTC(2026, 0, 1 + (i % 3)) + b));
          await storage.append(batch);
        }
      }),
    );
    const reader = postgresStorage({ connectionString: server.url, table: 'many' });
    const ids = new Set<string>();
    let cursor: string | undefined;
    let total = 0;
    do {
      const page = await reader.query({ limit: 1000, cursor });
      for (const event of page.events) ids.add(event.id);
      total += page.events.length;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(total).toBe(4 * 20 * 50);
    expect(ids.size).toBe(4 * 20 * 50);
    expect((await reader.query({ sessionId: 's2', limit: 10_000 })).events).toHaveLength(1000);
    await Promise.all([...hosts, reader].map((s) => s.close()));
  });

  it('hosts creating one fresh table at the same instant all open it (the losers of the race see a duplicate, not an error)', async () => {
    // PostgreSQL's CREATE TABLE IF NOT EXISTS is not race-free: the losers fail with duplicate_table,
    // unique_violation or duplicate_object ("type ... already exists"). 10 fresh tables × 8 hosts at once.
    for (let t = 0; t < 10; t++) {
      const hosts = Array.from({ length: 8 }, (_, h) => postgresStorage({ connectionString: server.url, table: `race${t}`, name: `host${h}` }));
      await Promise.all(hosts.map((storage, h) => storage.append([conformanceEvent(`r${t}-${h}`, 's', 'a', 'log', Date.UTC(2026, 0, 1) + h)])));
      expect((await hosts[0]!.query({ limit: 100 })).events, `table race${t}`).toHaveLength(8);
      await Promise.all(hosts.map((storage) => storage.close()));
    }
  });

  it('splits a batch into statements run at once, and keeps the call order and each event once', async () => {
    const storage = postgresStorage({ connectionString: server.url, table: 'parts', appendParallelism: 4 });
    const ev = (i: number) => conformanceEvent(`p${String(i).padStart(4, '0')}`, `s${i % 3}`, 'a', 'log', Date.UTC(2026, 0, 1) + (i % 7));
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ev(from + k));
    // 1,000 events: 4 statements of 250. Then two appends issued without waiting: 600 of which 300 are
    // already stored (a redelivery), and 100 (one statement: below two parts of 250).
    await storage.append(range(0, 1000));
    await Promise.all([storage.append(range(700, 1300)), storage.append(range(1300, 1400))]);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await storage.query({ limit: 1000, cursor });
      ids.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(ids).toEqual(range(0, 1400).map((e) => e.id));
    expect(storage.stats()).toMatchObject({ events: 1400, appended: 1400, duplicates: 300, writeErrors: 0 });
    await storage.close();
    expect(() => postgresStorage({ connectionString: server.url, appendParallelism: 0 })).toThrow(/appendParallelism must be a positive integer/);
  });

  it('appends with COPY through a pool of your own, and leaves it open on close', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    const storage = postgresStorage({ pool, table: 'own_pool' });
    await storage.append([conformanceEvent('o1', 's', 'a', 'log', 1), conformanceEvent('o2', 's', 'a', 'log', 2)]);
    await storage.append([conformanceEvent('o2', 's', 'a', 'log', 2), conformanceEvent('o3', 's', 'a', 'log', 3)]);
    // The second COPY held o2 again: refused whole, sent again as INSERT, o2 kept once.
    expect(storage.stats()).toMatchObject({ events: 3, appended: 3, duplicates: 1, copyRetries: 1 });
    await storage.close();
    expect((await pool.query('SELECT id FROM own_pool ORDER BY seq')).rows.map((r) => r.id)).toEqual(['o1', 'o2', 'o3']);
    await pool.end();
  });

  it('opens its connections with synchronous_commit off only when asked', async () => {
    // A database whose sessions commit synchronously (this test server's own default is off); a column whose
    // default records the appending session's setting.
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE commits');
    await admin.query('ALTER DATABASE commits SET synchronous_commit = on');
    await admin.end();
    const url = server.url.replace(/\/postgres$/, '/commits');
    const settingSeen = async (id: string, synchronousCommit?: boolean) => {
      const storage = postgresStorage({ connectionString: url, table: 'commits', ...(synchronousCommit === undefined ? {} : { synchronousCommit }) });
      await storage.query({ limit: 1 }); // creates the table
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query("ALTER TABLE commits ADD COLUMN IF NOT EXISTS commit_mode text DEFAULT current_setting('synchronous_commit')");
      await storage.append([conformanceEvent(id, 's', 'a', 'log', 1)]);
      await storage.close();
      const mode = (await client.query('SELECT commit_mode FROM commits WHERE id = $1', [id])).rows[0].commit_mode as string;
      await client.end();
      return mode;
    };
    expect(await settingSeen('default')).toBe('on');
    expect(await settingSeen('async', false)).toBe('off');
  });

  it('survives a server restart: the append during the outage fails (counted), the next one lands', async () => {
    const storage = postgresStorage({ connectionString: server.url, table: 'restart' });
    await storage.append([conformanceEvent('x1', 's', 'a', 'log', 1)]);
    server.stop();
    await expect(storage.append([conformanceEvent('x2', 's', 'a', 'log', 2)])).rejects.toThrow(/\[fleetscope\] \[postgres\]/);
    server.start();
    await storage.append([conformanceEvent('x3', 's', 'a', 'log', 3)]);
    expect((await storage.query({})).events.map((e) => e.id)).toEqual(['x1', 'x3']);
    expect(storage.stats().writeErrors).toBe(1);
    await storage.close();
  }, 60_000);

  it('rejects bad options at construction with a prefixed message', () => {
    expect(() => postgresStorage({} as never)).toThrow(/\[fleetscope\] \[postgres\] options.connectionString/);
    expect(() => postgresStorage({ connectionString: 'postgres://x', table: 'drop table;' })).toThrow(/plain identifier/);
    expect(() => postgresStorage({ connectionString: 'postgres://x', retentionMs: -1 })).toThrow(/retentionMs/);
    expect(() => postgresStorage({ connectionString: 'postgres://x', appendWith: 'merge' as never })).toThrow(/unknown appendWith merge/);
    expect(() => postgresStorage({ connectionString: 'postgres://x', synchronousCommit: 'off' as never })).toThrow(/synchronousCommit must be a boolean/);
  });
});
