import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { jsonlExporter } from '../../src/exporters/jsonl.js';
import { ev } from './helpers.js';

function collect() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { stream, chunks, text: () => chunks.join('') };
}

describe('jsonlExporter', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const tmp = () => (dir = mkdtempSync(join(tmpdir(), 'fleetscope-jsonl-')));

  it('appends one event per line in batches, and writes the rest on shutdown', async () => {
    const path = join(tmp(), 'sub', 'events.jsonl');
    const j = jsonlExporter({ path, maxBatchSize: 3, flushIntervalMs: 60_000 });
    const events = Array.from({ length: 7 }, (_, i) => ev('log', { message: `m${i}` }));
    await j.export(events.slice(0, 2)); // buffered
    expect(j.stats!()).toMatchObject({ written: 0, pending: 2 });
    await j.export(events.slice(2, 4)); // 4 >= 3: written
    expect(j.stats!()).toMatchObject({ written: 4, writes: 1, pending: 0 });
    await j.export(events.slice(4));
    await j.shutdown();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l).payload.message)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(j.stats!()).toMatchObject({ written: 7, writes: 2, dropped: 0, writeErrors: 0 });
    // Appends, never truncates.
    const again = jsonlExporter({ path });
    await again.export([ev('log', { message: 'm7' })]);
    await again.shutdown();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(8);
  });

  it('bounds its queue: events beyond maxQueueSize are dropped and counted', async () => {
    const { stream, text } = collect();
    const j = jsonlExporter({ stream, maxQueueSize: 5, maxBatchSize: 100 });
    await j.export(Array.from({ length: 8 }, (_, i) => ev('log', { message: `m${i}` })));
    await j.flush!();
    expect(j.stats!()).toMatchObject({ written: 5, dropped: 3 });
    expect(text().trim().split('\n')).toHaveLength(5);
    await j.shutdown();
  });

  it('reports an unwritable path in stats and results, never a throw', async () => {
    const blocker = join(tmp(), 'file');
    writeFileSync(blocker, 'x');
    chmodSync(blocker, 0o444);
    const j = jsonlExporter({ path: join(blocker, 'events.jsonl'), maxBatchSize: 1 }); // a file as directory
    const result = await j.export([ev('log', { message: 'x' })]);
    expect(result.code).toBe('failed');
    if (result.code === 'failed') expect(result.error.message).toMatch(/^\[fleetscope\] \[jsonl\] write failed/);
    expect(j.stats!()).toMatchObject({ writeErrors: 1, failedEvents: 1, written: 0 });
    await expect(j.shutdown()).resolves.toBeUndefined();
  });

  it('writes what a real observer emitted, on close()', async () => {
    const path = join(tmp(), 'obs.jsonl');
    const observer = createObserver({ exporters: [jsonlExporter({ path })], storage: false });
    observer.emit({ type: 'log', payload: { message: 'one' } });
    observer.emit({ type: 'log', payload: { message: 'two' } });
    await observer.close();
    const events = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.payload.message)).toEqual(['one', 'two']);
  });

  it('needs exactly one of path or stream', () => {
    expect(() => jsonlExporter({})).toThrow(/\[fleetscope\] \[jsonl\]/);
    expect(() => jsonlExporter({ path: 'x', stream: new PassThrough() })).toThrow(/exactly one/);
  });
});

