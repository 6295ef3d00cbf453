import { appendFileSync, mkdirSync, mkdtempSync, rmdirSync, renameSync, truncateSync, unlinkSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Runner } from '../../src/core/index.js';
import { createObserver } from '../../src/index.js';
import { jsonlTailRunner, type JsonlTailOptions } from '../../src/runners/jsonl-tail.js';
import { recordingContext, waitFor, type RecordingContext } from './recording-context.js';

const metricLine = (name: string, value: number) => JSON.stringify({ type: 'metric', payload: { name, value } }) + '\n';
const names = (ctx: RecordingContext) => ctx.events.map((e) => (e.payload as { name: string }).name);
const details = (runner: Runner) => runner.health().details as Record<string, number>;

let running: Runner[] = [];
afterEach(async () => {
  for (const r of running) await r.stop();
  running = [];
});

function tempFile(name = 'events.jsonl'): string {
  return join(mkdtempSync(join(tmpdir(), 'fleetscope-tail-')), name);
}

async function startTail(options: JsonlTailOptions): Promise<{ runner: Runner; ctx: RecordingContext }> {
  const runner = jsonlTailRunner({ pollIntervalMs: 20, ...options });
  running.push(runner);
  const ctx = recordingContext();
  await runner.start(ctx);
  return { runner, ctx };
}

describe('jsonlTailRunner', () => {
  it("from 'start' reads existing lines, then appended ones, in order", async () => {
    const path = tempFile();
    writeFileSync(path, metricLine('a', 1) + metricLine('b', 2));
    const { ctx, runner } = await startTail({ paths: path, from: 'start' });
    await waitFor(() => ctx.events.length === 2);
    appendFileSync(path, metricLine('c', 3));
    await waitFor(() => ctx.events.length === 3);
    expect(names(ctx)).toEqual(['a', 'b', 'c']);
    expect(ctx.events[2]).toEqual({ type: 'metric', payload: { name: 'c', value: 3 } });
    expect(details(runner)).toMatchObject({ linesRead: 3, eventsEmitted: 3, malformed: 0 });
  });

  it("from 'end' (the default) skips what the file held at start", async () => {
    const path = tempFile();
    writeFileSync(path, metricLine('old', 1));
    const { ctx, runner } = await startTail({ paths: [path] });
    await waitFor(() => runner.health().status === 'running');
    appendFileSync(path, metricLine('new', 2));
    await waitFor(() => ctx.events.length >= 1);
    await new Promise((r) => setTimeout(r, 60));
    expect(names(ctx)).toEqual(['new']);
  });

  it("from 'end' on a half-written last line skips the rest of that line, not counting it malformed", async () => {
    const path = tempFile();
    const line = metricLine('half', 1);
    writeFileSync(path, metricLine('old', 0) + line.slice(0, 15));
    const { ctx, runner } = await startTail({ paths: path });
    await waitFor(() => details(runner).bytesRead === 0 && runner.health().status === 'running');
    appendFileSync(path, line.slice(15) + metricLine('next', 2));
    await waitFor(() => ctx.events.length === 1);
    expect(names(ctx)).toEqual(['next']);
    expect(details(runner)).toMatchObject({ fragmentsSkipped: 1, malformed: 0, linesRead: 1 });
  });

  it('feeds an observer: valid lines are stored, invalid events are counted by the observer', async () => {
    const path = tempFile();
    writeFileSync(
      path,
      [
        JSON.stringify({ type: 'tool.end', timestamp: 1_700_000_000_000, sessionId: 's-9', payload: { toolName: 'grep', status: 'success', durationMs: 4 } }),
        JSON.stringify({ type: 'tool.end', payload: { status: 'success' } }), // no toolName: rejected at the door
      ].join('\n') + '\n',
    );
    const observer = createObserver({ runners: [jsonlTailRunner({ paths: path, from: 'start', pollIntervalMs: 20 })] });
    await waitFor(() => (observer.stats().runners['jsonl-tail']?.details?.linesRead as number) === 2);
    const { events } = await observer.query({ types: ['tool.end'] });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: 'jsonl-tail', sessionId: 's-9', timestamp: 1_700_000_000_000, payload: { toolName: 'grep', durationMs: 4 } });
    expect(observer.stats().invalidReasons).toEqual({ 'payload.toolName: is required for tool.end': 1 });
    await observer.close();
  });

  it('buffers a torn last line until its newline arrives', async () => {
    const path = tempFile();
    const line = metricLine('torn', 7);
    writeFileSync(path, line.slice(0, 20));
    const { ctx, runner } = await startTail({ paths: path, from: 'start' });
    await waitFor(() => details(runner).bytesRead === 20);
    expect(ctx.events).toEqual([]);
    appendFileSync(path, line.slice(20));
    await waitFor(() => ctx.events.length === 1);
    expect(ctx.events[0]).toEqual({ type: 'metric', payload: { name: 'torn', value: 7 } });
    expect(details(runner).malformed).toBe(0);
  });

  it('survives rotation: drains the old file, then reads the new one from its start', async () => {
    const path = tempFile();
    writeFileSync(path, metricLine('a', 1));
    const { ctx, runner } = await startTail({ paths: path, from: 'start', watch: false });
    await waitFor(() => ctx.events.length === 1);
    // Appended and renamed between two polls: the old file's last line must not be lost.
    appendFileSync(path, metricLine('b', 2));
    renameSync(path, `${path}.1`);
    writeFileSync(path, metricLine('c', 3) + metricLine('d', 4));
    await waitFor(() => ctx.events.length === 4);
    expect(names(ctx)).toEqual(['a', 'b', 'c', 'd']);
    expect(details(runner).rotations).toBe(1);
  });

  it('survives truncation: restarts at offset 0', async () => {
    const path = tempFile();
    writeFileSync(path, metricLine('a', 1) + metricLine('b', 2) + metricLine('c', 3));
    const { ctx, runner } = await startTail({ paths: path, from: 'start' });
    await waitFor(() => ctx.events.length === 3);
    truncateSync(path, 0);
    appendFileSync(path, metricLine('z', 9));
    await waitFor(() => ctx.events.length === 4);
    expect(names(ctx)).toEqual(['a', 'b', 'c', 'z']);
    expect(details(runner).truncations).toBe(1);
  });

  it('survives deletion: waits for the file to come back and reads it from its start', async () => {
    const path = tempFile();
    writeFileSync(path, metricLine('a', 1));
    const { ctx, runner } = await startTail({ paths: path, from: 'start' });
    await waitFor(() => ctx.events.length === 1);
    unlinkSync(path);
    await waitFor(() => details(runner).deletions === 1);
    writeFileSync(path, metricLine('b', 2));
    await waitFor(() => ctx.events.length === 2);
    expect(names(ctx)).toEqual(['a', 'b']);
    expect(runner.health().status).toBe('running');
  });

  it('picks up a file that does not exist yet, from its start', async () => {
    const path = tempFile('later.jsonl');
    const { ctx } = await startTail({ paths: path });
    writeFileSync(path, metricLine('first', 1));
    await waitFor(() => ctx.events.length === 1);
    expect(names(ctx)).toEqual(['first']);
  });

  it('skips a 50 MB line without buffering it and goes on with the next line', async () => {
    const path = tempFile();
    const fd = openSync(path, 'w');
    writeSync(fd, metricLine('before', 1));
    const block = Buffer.alloc(1024 * 1024, 'x'.charCodeAt(0));
    writeSync(fd, '{"type":"metric","payload":{"name":"huge","value":1,"pad":"');
    for (let i = 0; i < 50; i++) writeSync(fd, block);
    writeSync(fd, '"}}\n');
    writeSync(fd, metricLine('after', 2));
    closeSync(fd);
    const { ctx, runner } = await startTail({ paths: path, from: 'start', readChunkBytes: 1024 * 1024 });
    await waitFor(() => ctx.events.length === 2, 30_000);
    expect(names(ctx)).toEqual(['before', 'after']);
    // 3 lines: the huge one is counted as read and as too long, and never parsed.
    expect(details(runner)).toMatchObject({ linesRead: 3, tooLong: 1, malformed: 0, eventsEmitted: 2 });
    expect(ctx.errors.map((e) => e.operation)).toContain('tooLong');
  });

  it('skips a line over the limit that arrives in one piece', async () => {
    const path = tempFile();
    writeFileSync(path, metricLine('x'.repeat(300), 1) + metricLine('ok', 2));
    const { ctx, runner } = await startTail({ paths: path, from: 'start', maxLineBytes: 100 });
    await waitFor(() => ctx.events.length === 1);
    expect(names(ctx)).toEqual(['ok']);
    expect(details(runner).tooLong).toBe(1);
  });

  it('skips and counts truncated JSON, binary garbage and non-object lines', async () => {
    const path = tempFile();
    const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x88, 0x0d]);
    writeFileSync(
      path,
      Buffer.concat([
        Buffer.from('{"type":"metric","payload":{"name":"cut"\n'),
        garbage,
        Buffer.from('\n[1,2]\n42\n\n   \n'),
        Buffer.from(metricLine('good', 5)),
      ]),
    );
    const { ctx, runner } = await startTail({ paths: path, from: 'start' });
    await waitFor(() => ctx.events.length === 1);
    expect(names(ctx)).toEqual(['good']);
    // 7 lines: truncated JSON + garbage = 2 malformed; [1,2] and 42 = 2 not objects; 2 blank; 1 good.
    expect(details(runner)).toMatchObject({ linesRead: 7, malformed: 2, notAnObject: 2, blank: 2, eventsEmitted: 1 });
    expect(runner.health().message).toMatch(/events\.jsonl:4/);
  });

  it('maps lines of another format through `map`, counting skips and throws', async () => {
    const path = tempFile();
    writeFileSync(
      path,
      [
        JSON.stringify({ ts: 1_700_000_000_000, tool: 'grep', ms: 12 }),
        JSON.stringify({ ignore: true }),
        JSON.stringify({ boom: true }),
      ].join('\n') + '\n',
    );
    const { ctx, runner } = await startTail({
      paths: path,
      from: 'start',
      map: (record, source) => {
        const r = record as Record<string, unknown>;
        if (r.boom) throw new Error('bad record');
        if (r.ignore) return undefined;
        return {
          type: 'tool.end',
          timestamp: r.ts as number,
          payload: { toolName: r.tool as string, status: 'success', durationMs: r.ms as number },
          attributes: { line: source.lineNumber },
        };
      },
    });
    await waitFor(() => details(runner).linesRead === 3);
    expect(ctx.events).toEqual([
      {
        type: 'tool.end',
        timestamp: 1_700_000_000_000,
        payload: { toolName: 'grep', status: 'success', durationMs: 12 },
        attributes: { line: 1 },
      },
    ]);
    expect(details(runner)).toMatchObject({ mappedToNothing: 1, mapErrors: 1 });
  });

  it('reports a path that cannot be read once per failing streak, and recovers', async () => {
    const path = tempFile('dir.jsonl');
    mkdirSync(path);
    const { ctx, runner } = await startTail({ paths: path, from: 'start' });
    await waitFor(() => (details(runner).readErrors ?? 0) >= 3);
    expect(runner.health().status).toBe('degraded');
    expect(runner.health().message).toMatch(/not a regular file/);
    expect(ctx.errors.filter((e) => e.operation === 'read')).toHaveLength(1);
    rmdirSync(path);
    writeFileSync(path, metricLine('back', 1));
    await waitFor(() => ctx.events.length === 1);
    expect(runner.health().status).toBe('running');
  });

  it('follows several files', async () => {
    const a = tempFile('a.jsonl');
    const b = tempFile('b.jsonl');
    const { ctx } = await startTail({ paths: [a, b] });
    writeFileSync(a, metricLine('from-a', 1));
    writeFileSync(b, metricLine('from-b', 2));
    await waitFor(() => ctx.events.length === 2);
    expect(names(ctx).sort()).toEqual(['from-a', 'from-b']);
  });

  it('stops reading after stop()', async () => {
    const path = tempFile();
    writeFileSync(path, '');
    const { ctx, runner } = await startTail({ paths: path });
    await runner.stop();
    appendFileSync(path, metricLine('late', 1));
    await new Promise((r) => setTimeout(r, 100));
    expect(ctx.events).toEqual([]);
    expect(runner.health().status).toBe('stopped');
  });

  it('never keeps the host alive: a process that starts it and returns exits', () => {
    const path = tempFile();
    writeFileSync(path, metricLine('a', 1));
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const script = join(dirname(path), 'host.ts');
    writeFileSync(
      script,
      `import { createObserver } from ${JSON.stringify(join(src, 'index.ts'))};
import { jsonlTailRunner } from ${JSON.stringify(join(src, 'runners/jsonl-tail.ts'))};
const observer = createObserver({ runners: [jsonlTailRunner({ paths: ${JSON.stringify(path)}, from: 'start', pollIntervalMs: 50 })] });
observer.on('metric', (e) => console.log('read', e.payload.name));
setTimeout(() => console.log('host done'), 300);
`,
    );
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('read a');
    expect(result.stdout).toContain('host done');
  });

  it('rejects bad options at construction', () => {
    expect(() => jsonlTailRunner({ paths: [] })).toThrow(/\[fleetscope\] \[jsonl-tail\].*paths/);
    expect(() => jsonlTailRunner({ paths: 'x', from: 'middle' as never })).toThrow(/from/);
    expect(() => jsonlTailRunner({ paths: 'x', pollIntervalMs: 0 })).toThrow(/pollIntervalMs/);
  });
});
