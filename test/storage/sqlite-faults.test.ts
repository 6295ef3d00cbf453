/**
 * `sqliteStorage` and `tieredStorage` (a memory hot tier over SQLite) under faults (issue 14, "also
 * untested"): a writer process killed with SIGKILL in the middle of its transactions, and a full disk
 * (a 1 MiB tmpfs). One hostile event in a batch is in hostile-batch.test.ts.
 *
 * SIGKILL: every acknowledged batch is there after reopening, each batch is whole or absent (one
 * transaction per append), every row reads back as the event written, and the store takes appends.
 * Full disk: the appends that do not fit are rejected and counted, never thrown out of band; what was
 * acknowledged stays readable; once space is freed the store writes again (the tiered storage
 * delivers what it queued meanwhile).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetEvent, Storage } from '../../src/core/index.js';
import { sqliteStorage } from '../../src/storage/sqlite.js';
import { tieredStorage } from '../../src/storage/tiered.js';
import { killAfterAcks, readAll, startAckWriter } from '../support/ack-writer.js';
import { mountTmpfs, unmountTmpfs } from '../support/system-tool.js';

const root = mkdtempSync(join(tmpdir(), 'fleetscope-sqlite-faults-'));
const tiny = join(root, 'tiny');
mkdirSync(tiny);
const mounted = mountTmpfs(tiny, '1m', 'The full-disk tests of sqliteStorage and tieredStorage need a small tmpfs');
afterAll(() => {
  if (mounted) unmountTmpfs(tiny);
  rmSync(root, { recursive: true, force: true });
});
const writerScript = fileURLToPath(new URL('./fixtures/sqlite-writer.ts', import.meta.url));
const PER_BATCH = 50;

/** Checks the events read back after the kill: acknowledged batches all there, every batch whole, rows intact. */
function expectWholeBatches(events: FleetEvent[], acked: number[]): void {
  const ids = new Set(events.map((e) => e.id));
  expect(ids.size).toBe(events.length); // nothing twice
  for (const batch of acked) {
    for (let i = 0; i < PER_BATCH; i++) expect(ids.has(`k-${batch}-${i}`), `k-${batch}-${i}`).toBe(true);
  }
  const perBatch = new Map<number, number>();
  for (const event of events) {
    const payload = event.payload as { message: string; batch: number; index: number };
    // The row is the event written: its id names its batch and index, its payload is whole.
    expect(event.id).toBe(`k-${payload.batch}-${payload.index}`);
    expect(payload.message).toBe('x'.repeat(300));
    expect(event.sessionId).toBe(`k-s${payload.batch % 5}`);
    perBatch.set(payload.batch, (perBatch.get(payload.batch) ?? 0) + 1);
  }
  for (const [batch, count] of perBatch) expect(count, `batch ${batch}`).toBe(PER_BATCH);
  // At most the batch in flight when the kill came is there without its acknowledgement.
  expect(perBatch.size - acked.length).toBeGreaterThanOrEqual(0);
  expect(perBatch.size - acked.length).toBeLessThanOrEqual(1);
}

async function expectWritable(storage: Storage, template: FleetEvent): Promise<void> {
  await storage.append([{ ...template, id: 'after-kill', sessionId: 'after' } as FleetEvent]);
  expect((await storage.query({ sessionId: 'after' })).events.map((e) => e.id)).toEqual(['after-kill']);
}

describe('SIGKILL in the middle of transactions', () => {
  for (const backend of ['sqlite', 'tiered'] as const) {
    it(`${backend}: every acknowledged batch is there after reopening, each batch whole or absent`, async () => {
      const path = join(root, `killed-${backend}.sqlite`);
      const acked = await killAfterAcks(startAckWriter(writerScript, [backend, path, 'k', PER_BATCH]), 40);
      expect(acked.length).toBeGreaterThanOrEqual(40);
      const storage = backend === 'sqlite' ? sqliteStorage({ path }) : tieredStorage({ cold: sqliteStorage({ path }), retryIntervalMs: 0 });
      const events = await readAll(storage);
      expectWholeBatches(events, acked);
      expect(storage.stats().events).toBe(events.length);
      await expectWritable(storage, events[0]!);
      await storage.close();
    }, 60_000);
  }
});

it('a new tiered storage over a cold tier filled by an earlier run answers from the cold tier (was: from its empty hot tier)', async () => {
  const path = join(root, 'earlier.sqlite');
  const earlier = sqliteStorage({ path });
  await earlier.append([bigEvent('old-1'), bigEvent('old-2')]);
  await earlier.close();
  const storage = tieredStorage({ cold: sqliteStorage({ path }), retryIntervalMs: 0 });
  expect((await storage.query({})).events.map((e) => e.id)).toEqual(['old-1', 'old-2']);
  await storage.append([bigEvent('new-1')]);
  expect((await storage.query({ order: 'desc' })).events.map((e) => e.id)).toEqual(['new-1', 'old-2', 'old-1']);
  expect(storage.stats()).toMatchObject({ events: 3, hotEvents: 1, hotAnswers: 0 });
  await storage.close();
});

function bigEvent(id: string): FleetEvent {
  return { id, timestamp: 1_700_000_000_000, severity: 'info', source: 't', sessionId: 's', agentId: 'a', type: 'log', payload: { message: 'y'.repeat(2000) } } as FleetEvent;
}
const bigBatch = (b: number) => Array.from({ length: 10 }, (_, i) => bigEvent(`f${b}-${i}`));

/** Appends 20 KB batches until one is rejected (at most `max`); returns the acknowledged ones. */
async function fillUp(storage: Storage, from: number, max: number): Promise<{ acked: number[]; error: Error | undefined }> {
  const acked: number[] = [];
  for (let b = from; b < from + max; b++) {
    try {
      await storage.append(bigBatch(b));
      acked.push(b);
    } catch (error) {
      return { acked, error: error as Error };
    }
  }
  return { acked, error: undefined };
}

describe.skipIf(!mounted)('a full disk (1 MiB tmpfs)', () => {
  it('sqlite: the append that does not fit is rejected and counted, the acknowledged ones stay, space freed means writes again', async () => {
    const dir = join(tiny, 'sqlite');
    mkdirSync(dir);
    // Room that can be given back later.
    writeFileSync(join(dir, 'ballast'), Buffer.alloc(256 * 1024));
    const storage = sqliteStorage({ path: join(dir, 'db.sqlite') });
    const { acked, error } = await fillUp(storage, 0, 100);
    expect(acked.length).toBeGreaterThan(0);
    expect(error?.message).toMatch(/^\[fleetscope\] \[sqlite\] append failed: .*(full|SQLITE_FULL|ENOSPC)/i);
    expect(storage.stats()).toMatchObject({ writeErrors: 1, appended: acked.length * 10 });
    // The rejected batch left nothing behind (its transaction was rolled back); the acknowledged ones read back.
    const ids = (await readAll(storage)).map((e) => e.id);
    expect(ids).toEqual(acked.flatMap((b) => bigBatch(b).map((e) => e.id)));

    rmSync(join(dir, 'ballast'));
    await storage.append(bigBatch(1000));
    expect((await readAll(storage)).length).toBe((acked.length + 1) * 10);
    await storage.close();
    rmSync(dir, { recursive: true });
  });

  it('tiered over sqlite: refused batches stay queryable from the queue and reach the cold tier once space is freed', async () => {
    const dir = join(tiny, 'tiered');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ballast'), Buffer.alloc(256 * 1024));
    const path = join(dir, 'db.sqlite');
    const storage = tieredStorage({ cold: sqliteStorage({ path }), retryIntervalMs: 0 });
    const { acked, error } = await fillUp(storage, 0, 100);
    expect(acked.length).toBeGreaterThan(0);
    expect(error?.message).toMatch(/^\[fleetscope\] \[tiered\] cold tier append failed/);
    // Two more refused batches: queued with the first, the cold tier still full.
    await expect(storage.append(bigBatch(500))).rejects.toThrow(/cold tier append failed/);
    await expect(storage.append(bigBatch(501))).rejects.toThrow(/cold tier append failed/);
    const refused = [acked.length, 500, 501];
    const expected = [...acked, ...refused].flatMap((b) => bigBatch(b).map((e) => e.id));
    expect(storage.stats()).toMatchObject({ hotOnly: 30, hotOnlyDropped: 0 });
    expect((await readAll(storage)).map((e) => e.id)).toEqual(expected);

    rmSync(join(dir, 'ballast'));
    await storage.flush?.();
    expect(storage.stats()).toMatchObject({ hotOnly: 0, coldRetried: 30 });
    await storage.close();
    // The cold tier alone, reopened, holds everything in order.
    const reopened = sqliteStorage({ path });
    expect((await readAll(reopened)).map((e) => e.id)).toEqual(expected);
    await reopened.close();
  });
});
