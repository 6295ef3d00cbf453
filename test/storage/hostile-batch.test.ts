/**
 * One hostile event in a batch costs only itself, in every storage backend (issue 14, "also
 * untested"): the SQLite backend, the file log, and the tiered storage over both. A host may
 * append to a storage directly, bypassing the observer's validation; the observer itself only
 * ever hands plain copies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetEvent, Storage } from '../../src/core/index.js';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { memoryStorage } from '../../src/storage/memory.js';
import { sqliteStorage } from '../../src/storage/sqlite.js';
import { tieredStorage } from '../../src/storage/tiered.js';

const root = mkdtempSync(join(tmpdir(), 'fleetscope-hostile-batch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const good = (i: number): FleetEvent =>
  ({ id: `e${i}`, type: 'metric', timestamp: 1_700_000_000_000 + i, severity: 'info', source: 'host', sessionId: 's', agentId: 'a', payload: { name: 'm', value: i } }) as FleetEvent;
const throwingToJson = { ...good(90), id: 'bad1', payload: { toJSON() { throw new Error('toJSON'); } } } as unknown as FleetEvent;
const bigint = { ...good(91), id: 'bad2', payload: { n: 10n } } as unknown as FleetEvent;
const batch = [good(0), throwingToJson, good(1), bigint, good(2)];

async function ids(storage: Storage): Promise<string[]> {
  return (await storage.query({ limit: 100 })).events.map((e) => e.id);
}

describe('a hostile event in a batch costs only itself', () => {
  it('sqlite', async () => {
    const storage = sqliteStorage({ path: join(root, 'a.sqlite') });
    await storage.append(batch);
    expect(await ids(storage)).toEqual(['e0', 'e1', 'e2']);
    expect(storage.stats()).toMatchObject({ appended: 3, unserializable: 2 });
    await storage.close();
  });

  it('file log', async () => {
    const storage = fileLogStorage({ dir: join(root, 'log'), maintenanceIntervalMs: 0 });
    await storage.append(batch);
    expect(await ids(storage)).toEqual(['e0', 'e1', 'e2']);
    expect(storage.stats()).toMatchObject({ appended: 3, unserializable: 2 });
    await storage.close();
  });

  it('tiered over sqlite (cold) and memory (hot)', async () => {
    const storage = tieredStorage({ hot: memoryStorage(), cold: sqliteStorage({ path: join(root, 'b.sqlite') }) });
    await storage.append([good(0), throwingToJson, good(1)]);
    await storage.flush?.();
    const stored = await ids(storage);
    expect(stored).toContain('e0');
    expect(stored).toContain('e1');
    await storage.close();
  });
});
