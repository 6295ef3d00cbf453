import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/core/index.js';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { killAfterAcks, readAll, startAckWriter } from '../support/ack-writer.js';

const root = mkdtempSync(join(tmpdir(), 'fleetscope-file-log-rel-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const writerScript = fileURLToPath(new URL('./fixtures/file-log-writer.ts', import.meta.url));

const startWriter = (args: (string | number)[]) => startAckWriter(writerScript, args);

describe('file log reliability', () => {
  it('8 processes appending at once: every record exactly once', async () => {
    const dir = join(root, 'eight');
    // 8 writers x 40 batches x 25 events = 8000 events of ~350 bytes: ~2.8 MB over 64 KiB segments,
    // so the writers also race each other through ~40 rotations.
    const writers = Array.from({ length: 8 }, (_, k) => startWriter([dir, `w${k}`, 40, 25, 64 * 1024, 'never']));
    const codes = await Promise.all(writers.map((w) => w.exited));
    expect(codes, writers.map((w) => w.stderr()).join('\n')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const storage = fileLogStorage({ dir, maxAgeMs: Infinity, maxTotalBytes: Infinity, maintenanceIntervalMs: 0 });
    const events = await readAll(storage);
    expect(events).toHaveLength(8000);
    expect(new Set(events.map((e) => e.id)).size).toBe(8000);
    // Each writer's own events stay in its append order.
    for (let k = 0; k < 8; k++) {
      const mine = events.filter((e) => e.agentId === `w${k}`).map((e) => e.id);
      const expected = Array.from({ length: 40 * 25 }, (_, n) => `w${k}-${Math.floor(n / 25)}-${n % 25}`);
      expect(mine).toEqual(expected);
    }
    const stats = storage.stats();
    expect(stats.skippedLines).toBe(0);
    expect(stats.tornRecords).toBe(0);
    expect(stats.segments).toBeGreaterThan(10);
    // Queries by session use the per-segment offsets: w3-s2 holds batches 2, 9, 16, 23, 30, 37 (b % 7 === 2).
    const session = await storage.query({ sessionId: 'w3-s2', limit: 10_000 });
    expect(session.events).toHaveLength(6 * 25);
    await storage.close();
  }, 120_000);

  it('SIGKILL in the middle of heavy appends: every acknowledged batch survives, the store opens cleanly', async () => {
    const dir = join(root, 'killed');
    // Batches of 200 events (~80 KB) into 256 KiB segments: writes and rotations are always in flight.
    const writer = startWriter([dir, 'k', 0, 200, 256 * 1024, 'never']);
    const acked = await killAfterAcks(writer, 30);
    expect(acked.length).toBeGreaterThanOrEqual(30);

    const storage = fileLogStorage({ dir, maxAgeMs: Infinity, maxTotalBytes: Infinity, maintenanceIntervalMs: 0 });
    const events = await readAll(storage);
    const ids = new Set(events.map((e) => e.id));
    expect(ids.size).toBe(events.length); // nothing twice
    for (const batch of acked) {
      for (let i = 0; i < 200; i++) expect(ids.has(`k-${batch}-${i}`)).toBe(true);
    }
    // Whatever was in flight is either whole or dropped; a torn tail is at most one record.
    const stats = storage.stats();
    expect(Number(stats.tornRecords)).toBeLessThanOrEqual(1);
    expect(Number(stats.skippedLines)).toBeLessThanOrEqual(1);
    // The store takes appends again and finds them.
    await storage.append(events.slice(0, 1).map((e) => ({ ...e, id: 'after-kill' }) as FleetEvent));
    const after = await storage.query({ sessionId: events[0]!.sessionId, order: 'desc', limit: 1 });
    expect(after.events.map((e) => e.id)).toEqual(['after-kill']);
    await storage.close();
  }, 120_000);

  it('a late writer: a line another process appends to an already-rotated segment is still found', async () => {
    const dir = join(root, 'late');
    const event = (id: string, sessionId: string) =>
      ({ id, timestamp: 1000, severity: 'info', source: 't', sessionId, agentId: 'a', type: 'log', payload: { message: 'x'.repeat(100) } }) as FleetEvent;
    // ~230-byte lines into 1 KiB segments: 40 events make ~10 segments, closed ones with their sidecars.
    const first = fileLogStorage({ dir, maxSegmentBytes: 1024, maxAgeMs: Infinity, maxTotalBytes: Infinity, maintenanceIntervalMs: 0 });
    for (let i = 0; i < 40; i++) await first.append([event(`e${i}`, `s${i % 4}`)]);
    // A query builds the manifest; close() saves it and the active segment's sidecar.
    expect((await first.query({ sessionId: 's1', limit: 100 })).events).toHaveLength(10);
    await first.close();
    expect(existsSync(join(dir, 'manifest.json'))).toBe(true);
    const segmentFiles = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
    expect(segmentFiles.length).toBeGreaterThanOrEqual(8);
    // Another process that passed its rotation check just before the rotation writes into segment 1
    // (now 7+ segments behind the newest): exactly one O_APPEND write of one whole line.
    const line = `${JSON.stringify(event('late-1', 'late'))}\n`;
    execFileSync(process.execPath, ['-e', `require('fs').appendFileSync(process.argv[1], process.argv[2])`, join(dir, segmentFiles[0]!), line]);
    const summary = JSON.parse(readFileSync(join(dir, '00000001.idx.json'), 'utf8')) as { bytes: number; sessions: string[] };
    expect(summary.sessions).not.toContain('late'); // the sidecar (and the manifest) predate the late line
    expect(statSync(join(dir, segmentFiles[0]!)).size).toBe(summary.bytes + Buffer.byteLength(line));

    const second = fileLogStorage({ dir, maxAgeMs: Infinity, maxTotalBytes: Infinity, maintenanceIntervalMs: 0 });
    expect((await second.query({ sessionId: 'late' })).events.map((e) => e.id)).toEqual(['late-1']);
    const all = await readAll(second);
    expect(all).toHaveLength(41);
    expect(all[0]!.id).toBe('e0');
    expect(all.filter((e) => e.id === 'late-1')).toHaveLength(1);
    expect((await second.query({ sessionId: 'late', order: 'desc' })).events.map((e) => e.id)).toEqual(['late-1']);
    await second.close();
  });

  it('gzip of cold segments while another process appends: every acknowledged record exactly once', async () => {
    const dir = join(root, 'gzip-live');
    // 60 batches x 10 events (~450 bytes each) into 16 KiB segments with 15 ms pauses: ~1 s of appends
    // over ~17 rotations, while this process gzips every closed segment quiet for 150 ms.
    const writer = startWriter([dir, 'g', 60, 10, 16 * 1024, 'never', 15]);
    const gzipper = fileLogStorage({ dir, gzip: true, gzipAfterMs: 150, maintenanceIntervalMs: 20, maxAgeMs: Infinity, maxTotalBytes: Infinity });
    const seenWhileWriting: number[] = [];
    while (writer.child.exitCode === null) {
      // Queries run at the same time too (they read segments that are being gzipped).
      seenWhileWriting.push((await gzipper.query({ agentId: 'g', limit: 10_000 })).events.length);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(await writer.exited, writer.stderr()).toBe(0);
    expect(writer.acked).toHaveLength(60);
    await new Promise((resolve) => setTimeout(resolve, 400)); // the last closed segments become quiet
    await gzipper.flush!();
    const gzipped = Number(gzipper.stats().gzipped);
    expect(Number(gzipper.stats().maintenanceErrors)).toBe(0);
    await gzipper.close();
    expect(gzipped).toBeGreaterThanOrEqual(5);
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl.gz')).length).toBe(gzipped);
    // Pages seen while writing never shrank.
    for (let i = 1; i < seenWhileWriting.length; i++) expect(seenWhileWriting[i]!).toBeGreaterThanOrEqual(seenWhileWriting[i - 1]!);

    const reader = fileLogStorage({ dir, maxAgeMs: Infinity, maxTotalBytes: Infinity, maintenanceIntervalMs: 0 });
    const events = await readAll(reader);
    expect(events.map((e) => e.id)).toEqual(Array.from({ length: 600 }, (_, n) => `g-${Math.floor(n / 10)}-${n % 10}`));
    // Session g-s3 holds batches 3, 10, 17, ..., 59 (b % 7 === 3): 9 batches of 10.
    expect((await reader.query({ sessionId: 'g-s3', limit: 1000 })).events).toHaveLength(90);
    expect(reader.stats().events).toBe(600);
    await reader.close();
  }, 60_000);

  it('stats().events counts the whole store, not only what this instance wrote', async () => {
    const dir = join(root, 'count');
    const event = (id: string) =>
      ({ id, timestamp: 1, severity: 'info', source: 't', sessionId: 's', agentId: 'a', type: 'log', payload: { message: 'y'.repeat(100) } }) as FleetEvent;
    const first = fileLogStorage({ dir, maxSegmentBytes: 1024, maxAgeMs: Infinity, maxTotalBytes: Infinity, maintenanceIntervalMs: 0 });
    for (let i = 0; i < 20; i++) await first.append([event(`a${i}`)]);
    await first.close();
    // Another process appends 3 more to the segment being written, without saving its sidecar.
    const writer = startWriter([dir, 'w', 1, 3, 1024 * 1024, 'never']);
    expect(await writer.exited).toBe(0);
    const second = fileLogStorage({ dir, maxAgeMs: Infinity, maxTotalBytes: Infinity, maintenanceIntervalMs: 0 });
    await second.append([event('b0'), event('b1')]);
    second.stats(); // starts reading the summaries in the background
    await new Promise((resolve) => setTimeout(resolve, 200));
    // 20 + 3 + 2 events, although this instance wrote only 2.
    expect(second.stats().events).toBe(25);
    expect(second.stats().unreadSegments).toBe(0);
    await second.close();
  });

  it('a torn last record is dropped, counted, and does not swallow the next append', async () => {
    const dir = join(root, 'torn');
    const first = fileLogStorage({ dir, maxAgeMs: Infinity });
    const event = (id: string) =>
      ({ id, timestamp: 1, severity: 'info', source: 't', sessionId: 's', agentId: 'a', type: 'log', payload: { message: id } }) as FleetEvent;
    await first.append([event('a1'), event('a2')]);
    await first.close();
    // A writer died half-way through a record.
    const segment = readdirSync(dir).find((f) => f.endsWith('.jsonl'))!;
    appendFileSync(join(dir, segment), '{"id":"torn","timestamp":1,"sev');
    const second = fileLogStorage({ dir, maxAgeMs: Infinity });
    await second.append([event('b1')]);
    const page = await second.query({});
    expect(page.events.map((e) => e.id)).toEqual(['a1', 'a2', 'b1']);
    const stats = second.stats();
    expect(stats.tornRecords).toBe(1);
    expect(stats.skippedLines).toBe(1);
    await second.close();
  });

  it('an unwritable directory is reported by a rejected append and in stats, never thrown', async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'x');
    const storage = fileLogStorage({ dir: join(file, 'log') });
    const event = { id: 'x', timestamp: 1, severity: 'info', source: 't', sessionId: 's', agentId: 'a', type: 'log', payload: { message: 'x' } } as FleetEvent;
    await expect(storage.append([event])).rejects.toThrow(/\[fleetscope\] \[file-log\] .*ENOTDIR/);
    await expect(storage.append([event])).rejects.toThrow(/ENOTDIR/);
    expect(storage.stats().writeErrors).toBe(2);
    expect(String(storage.stats().lastError)).toMatch(/ENOTDIR/);
    await expect(storage.query({})).rejects.toThrow(/ENOTDIR/);
    await storage.close();
  });

  it('a full disk is reported by rejected appends and in stats, never thrown', async () => {
    const mountPoint = join(root, 'tiny');
    mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (error) {
      console.warn(`\n!!! SKIPPED the full-disk test: cannot mount a tmpfs (${String(error).split('\n')[0]}) !!!\n`);
      return;
    }
    try {
      const storage = fileLogStorage({ dir: join(mountPoint, 'log'), fsync: 'batch', maxAgeMs: Infinity });
      const big = 'y'.repeat(2000);
      let rejected = 0;
      let resolved = 0;
      for (let b = 0; b < 40; b++) {
        const batch = Array.from({ length: 10 }, (_, i) =>
          ({ id: `f${b}-${i}`, timestamp: 1, severity: 'info', source: 't', sessionId: 's', agentId: 'a', type: 'log', payload: { message: big } }) as FleetEvent,
        );
        await storage.append(batch).then(
          () => resolved++,
          (error: Error) => {
            expect(error.message).toMatch(/^\[fleetscope\] \[file-log\] append failed: .*(ENOSPC|short write)/);
            rejected++;
          },
        );
      }
      // 40 batches of ~20 KB do not fit in 256 KiB: some were written, the rest refused.
      expect(resolved).toBeGreaterThan(0);
      expect(rejected).toBeGreaterThan(0);
      expect(storage.stats().writeErrors).toBe(rejected);
      // Every acknowledged batch is readable.
      const page = await storage.query({ limit: 10_000 });
      expect(page.events.length).toBeGreaterThanOrEqual(resolved * 10);
      await storage.close();
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });
});
