import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cpuPercent, loopDelayMs, PROCESS_METRICS, processResourcesRunner } from '../../src/runners/process-resources.js';
import { recordingContext, waitFor } from './recording-context.js';

type Metric = { name: string; value: number; unit?: string };
const metrics = (events: { type: string; payload?: unknown }[]) =>
  events.filter((e) => e.type === 'metric').map((e) => e.payload as Metric);

describe('processResourcesRunner', () => {
  it('computes CPU percent of one core from cpuUsage deltas', () => {
    // 50 ms user + 25 ms system over 100 ms of wall time = 75 % of one core.
    expect(cpuPercent({ user: 50_000, system: 25_000 }, 100)).toBe(75);
    // 400 ms of CPU time (several busy threads) over 100 ms of wall time = 400 % of one core.
    expect(cpuPercent({ user: 300_000, system: 100_000 }, 100)).toBe(400);
    expect(cpuPercent({ user: 10, system: 0 }, 0)).toBe(0);
  });

  it('reports event-loop delay as the lateness beyond the histogram resolution', () => {
    // The histogram recorded a 20.119551 ms period at resolution 20 ms: 0.119551 ms late → 0.12 ms.
    expect(loopDelayMs(20_119_551, 20)).toBe(0.12);
    expect(loopDelayMs(45_000_000, 20)).toBe(25);
    // Timer fired early (clock granularity): never negative.
    expect(loopDelayMs(19_990_000, 20)).toBe(0);
  });

  it('emits every metric with sane values on each sample', async () => {
    const runner = processResourcesRunner({ intervalMs: 100 });
    const ctx = recordingContext();
    runner.start(ctx);
    // Keep the loop a little busy so the histogram has samples.
    await waitFor(() => metrics(ctx.events).filter((m) => m.name === 'process.eventloop.delay.p50').length >= 2);
    runner.stop();
    const all = metrics(ctx.events);
    const byName = new Map<string, Metric[]>();
    for (const m of all) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
    expect([...byName.keys()].sort()).toEqual([...PROCESS_METRICS].sort());
    const last = (name: string) => byName.get(name)!.at(-1)!;
    expect(last('process.cpu.percent').unit).toBe('%');
    expect(last('process.cpu.percent').value).toBeGreaterThanOrEqual(0);
    const rss = last('process.memory.rss');
    const heapUsed = last('process.memory.heap_used');
    const heapTotal = last('process.memory.heap_total');
    expect(rss.unit).toBe('By');
    expect(heapUsed.value).toBeGreaterThan(0);
    expect(heapUsed.value).toBeLessThanOrEqual(heapTotal.value);
    expect(heapTotal.value).toBeLessThanOrEqual(rss.value);
    expect(last('process.memory.external').value).toBeGreaterThanOrEqual(0);
    expect(last('process.memory.array_buffers').value).toBeGreaterThanOrEqual(0);
    const p50 = last('process.eventloop.delay.p50');
    const p99 = last('process.eventloop.delay.p99');
    const max = last('process.eventloop.delay.max');
    expect(p50.unit).toBe('ms');
    expect(p50.value).toBeGreaterThanOrEqual(0);
    expect(p50.value).toBeLessThanOrEqual(p99.value);
    expect(p99.value).toBeLessThanOrEqual(max.value);
    const handles = last('process.handles.active');
    expect(Number.isInteger(handles.value)).toBe(true);
    expect(handles.value).toBeGreaterThanOrEqual(1);
    expect(runner.health().details?.samples).toBeGreaterThanOrEqual(2);
    expect(runner.health().status).toBe('stopped');
  });

  it('stop() clears its timer: no sample after stop', async () => {
    const runner = processResourcesRunner({ intervalMs: 100 });
    const ctx = recordingContext();
    runner.start(ctx);
    await waitFor(() => ctx.events.length > 0);
    runner.stop();
    const count = ctx.events.length;
    const samples = runner.health().details?.samples;
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(ctx.events.length).toBe(count);
    expect(runner.health().details?.samples).toBe(samples);
  });

  it('stops when the observer aborts its signal', async () => {
    const runner = processResourcesRunner({ intervalMs: 100 });
    const ctx = recordingContext();
    runner.start(ctx);
    ctx.controller.abort();
    expect(runner.health().status).toBe('stopped');
  });

  it('rejects bad options at construction with a prefixed message', () => {
    expect(() => processResourcesRunner({ intervalMs: 50 })).toThrow(/\[fleetscope\] \[process-resources\].*intervalMs/);
    expect(() => processResourcesRunner({ intervalMs: Number.NaN })).toThrow(/intervalMs/);
    expect(() => processResourcesRunner({ eventLoopResolutionMs: 0 })).toThrow(/eventLoopResolutionMs/);
  });

  it('never keeps the host alive: a process that starts it and returns exits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetscope-proc-'));
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const script = join(dir, 'host.ts');
    writeFileSync(
      script,
      `import { createObserver } from ${JSON.stringify(join(src, 'index.ts'))};
import { processResourcesRunner } from ${JSON.stringify(join(src, 'runners/process-resources.ts'))};
const observer = createObserver({ runners: [processResourcesRunner({ intervalMs: 100 })] });
observer.on('metric', () => {});
setTimeout(() => console.log('host done'), 250);
`,
    );
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 });
    expect(result.error).toBeUndefined();
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('host done');
  });
});
