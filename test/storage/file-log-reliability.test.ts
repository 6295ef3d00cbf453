import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetEvent, Storage } from '../../src/core/index.js';
import { fileLogStorage } from '../../src/storage/file-log.js';

const root = mkdtempSync(join(tmpdir(), 'fleetscope-file-log-rel-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const writerScript = fileURLToPath(new URL('./fixtures/file-log-writer.ts', import.meta.url));

function startWriter(args: (string | number)[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, ...args.map(String)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: number[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, acked, exited, stderr: () => stderr };
}

async function readAll(storage: Storage): Promise<FleetEvent[]> {
  const all: FleetEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.query({ limit: 10_000, cursor });
    all.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return all;
}

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
});
