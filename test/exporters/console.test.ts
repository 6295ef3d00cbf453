import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { consoleExporter, formatPretty } from '../../src/exporters/console.js';
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

describe('consoleExporter', () => {
  it('prints one pretty line per event, at least minSeverity, one write per batch', async () => {
    const { stream, chunks, text } = collect();
    const c = consoleExporter({ stream, minSeverity: 'info', colors: false });
    await c.export([
      ev('tool.end', { toolName: 'Bash', status: 'error', durationMs: 250.4, error: 'exit 1' }, { severity: 'error' }),
      ev('log', { message: 'noise' }, { severity: 'debug' }),
      ev('llm.call', { model: 'sonnet', status: 'success', latencyMs: 800, inputTokens: 10, outputTokens: 5, costUsd: 0.0123 }),
    ]);
    expect(chunks).toHaveLength(1);
    expect(text()).toBe(
      '22:13:20.000 ERROR    tool.end      s1/main Bash error 250ms — exit 1\n' +
        '22:13:20.000 INFO     llm.call      s1/main sonnet success 800ms in=10 out=5 $0.0123\n',
    );
    expect(c.stats!()).toMatchObject({ written: 2, writes: 1, dropped: 0 });
  });

  it('prints JSON lines, and colours when asked', async () => {
    const { stream, text } = collect();
    const c = consoleExporter({ stream, format: 'json' });
    const event = ev('alert', { rule: 'r', message: 'm' }, { severity: 'warning' });
    await c.export([event]);
    expect(JSON.parse(text())).toEqual(event);
    expect(formatPretty(event, true)).toBe('\u001b[33m22:13:20.000 WARNING  alert         s1/main r: m\u001b[0m\n');
  });

  it('drops (and counts) batches while the stream pushes back', async () => {
    const slow = new Writable({ highWaterMark: 10, write: (_c, _e, cb) => setTimeout(cb, 5) });
    const c = consoleExporter({ stream: slow, format: 'json' });
    await c.export([ev('log', { message: 'first batch is longer than ten bytes' })]);
    await c.export([ev('log', { message: 'a' }), ev('log', { message: 'b' })]);
    expect(c.stats!()).toMatchObject({ written: 1, dropped: 2 });
    await new Promise((resolve) => slow.once('drain', resolve));
    await c.export([ev('log', { message: 'c' })]);
    expect(c.stats!()).toMatchObject({ written: 2, dropped: 2 });
  });

  it('prints what a real observer emitted, on close()', async () => {
    const { stream, text } = collect();
    const observer = createObserver({ exporters: [consoleExporter({ stream, format: 'json', minSeverity: 'warning' })], storage: false });
    observer.emit({ type: 'log', payload: { message: 'quiet' } });
    observer.emit({ type: 'alert', payload: { rule: 'r', message: 'loud' }, severity: 'error' });
    await observer.close();
    const lines = text().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.payload.message)).toEqual(['loud']);
  });
});
