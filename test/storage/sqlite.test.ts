import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteStorage, type SqliteDriver } from '../../src/storage/sqlite.js';
import { conformanceEvent, testStorage } from '../../src/testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'fleetscope-sqlite-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

testStorage('sqlite (file)', () => sqliteStorage({ path: join(root, `db-${n++}.sqlite`) }), { describe, it, expect, beforeEach, afterEach });
testStorage('sqlite (:memory:)', () => sqliteStorage({ path: ':memory:' }), { describe, it, expect, beforeEach, afterEach });

describe('sqliteStorage', () => {
  it('uses WAL, indexes the keys, and stores payload and attributes as queryable JSON', async () => {
    const path = join(root, 'json.sqlite');
    const storage = sqliteStorage({ path });
    await storage.append([
      conformanceEvent('e1', 's1', 'a', 'llm.call', 1000),
      conformanceEvent('e2', 's1', 'a', 'tool.end', 1001),
      conformanceEvent('e3', 's2', 'b', 'llm.call', 1002),
    ]);
    await storage.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").all() as { name: string }[]).map((r) => r.name).sort();
    expect(indexes).toEqual(['events_agent', 'events_session', 'events_time', 'events_type', 'events_workflow']);
    // The documented example: output tokens by model.
    const rows = db
      .prepare("SELECT json_extract(payload, '$.model') AS model, SUM(json_extract(payload, '$.outputTokens')) AS tokens FROM events WHERE type = 'llm.call' GROUP BY model")
      .all();
    expect(rows).toEqual([{ model: 'claude-sonnet-4-5', tokens: 80 }]);
    // conformanceEvent sets attributes.seq from the id's digits: e1 -> 1, e3 -> 3.
    expect(db.prepare("SELECT id FROM events WHERE json_extract(attributes, '$.seq') >= 2 ORDER BY seq").all()).toEqual([{ id: 'e2' }, { id: 'e3' }]);
    // A query by session uses its index.
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT seq FROM events WHERE session_id = 's1' ORDER BY seq").all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('events_session');
    db.close();
  });

  it('a missing driver is a prefixed error with its cause, reported by a rejected append, not thrown at construction', async () => {
    const broken = function () {
      throw new Error('Cannot find module better-sqlite3');
    } as unknown as SqliteDriver;
    const storage = sqliteStorage({ path: ':memory:', driver: broken });
    const error = await storage.append([conformanceEvent('e1', 's', 'a', 'log', 1)]).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^\[fleetscope\] \[sqlite\] could not open :memory:/);
    expect(((error as Error).cause as Error).message).toBe('Cannot find module better-sqlite3');
    expect(storage.stats().writeErrors).toBe(1);
    await expect(storage.query({})).rejects.toThrow(/\[fleetscope\] \[sqlite\]/);
  });

  it('throws at construction on bad options', () => {
    expect(() => sqliteStorage({ path: '' })).toThrow(/\[fleetscope\] \[sqlite\] options.path/);
    expect(() => sqliteStorage({ path: ':memory:', table: 'x; DROP TABLE y' })).toThrow(/plain identifier/);
  });
});
