import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pollLoop } from '../../src/runners/poll-loop.js';
import { claudeCodeHooksRunner } from '../../src/runners/claude-code-hooks-runner.js';
import { claudeCodeTranscriptsRunner } from '../../src/runners/claude-code-transcripts.js';
import type { RunnerContext } from '../../src/core/index.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const context = (signal: AbortSignal): RunnerContext => ({ emit: () => {}, emitMany: () => {}, reportError: () => {}, signal });

describe('pollLoop', () => {
  it('ticks after the first delay, then every interval, at once again while the tick has more to read', () => {
    const at: number[] = [];
    let more = 0;
    const loop = pollLoop({ intervalMs: 100, tick: () => (at.push(Date.now()), more-- > 0), onError: () => {} });
    const t0 = Date.now();
    loop.start(new AbortController().signal, 10);
    vi.advanceTimersByTime(10); // first tick at +10
    more = 2; // the next tick has more to read twice
    vi.advanceTimersByTime(100); // +110
    vi.advanceTimersByTime(102); // at once again (a 0 ms timer: +111, +112), then an interval later: +212
    expect(at.map((t) => t - t0)).toEqual([10, 110, 111, 112, 212]);
    loop.stop();
    vi.advanceTimersByTime(1000);
    expect(at).toHaveLength(5);
    expect(loop.running).toBe(false);
  });

  it('hands a throwing tick to onError and keeps polling; the abort signal stops it', () => {
    const errors: unknown[] = [];
    let ticks = 0;
    const loop = pollLoop({ intervalMs: 50, tick: () => { ticks++; throw new Error('disk gone'); }, onError: (e) => errors.push(e) });
    const abort = new AbortController();
    loop.start(abort.signal, 0);
    vi.advanceTimersByTime(100); // ticks at 0, 50, 100
    expect(ticks).toBe(3);
    expect(errors).toHaveLength(3);
    abort.abort();
    expect(loop.running).toBe(false);
    vi.advanceTimersByTime(500);
    expect(ticks).toBe(3);
  });
});

describe('polling runners report their state', () => {
  it.each([
    ['claude-code-hooks', () => claudeCodeHooksRunner({ store: '/nonexistent/fleetscope-store' })],
    ['claude-code-transcripts', () => claudeCodeTranscriptsRunner({ paths: ['/nonexistent/claude'] })],
  ])('%s: idle, running, stopped by stop() or by the abort signal', (_name, make) => {
    const runner = make();
    expect(runner.health().status).toBe('idle');
    runner.start(context(new AbortController().signal));
    expect(runner.health().status).toBe('running');
    runner.stop();
    expect(runner.health().status).toBe('stopped');
    const aborted = make();
    const abort = new AbortController();
    aborted.start(context(abort.signal));
    abort.abort();
    expect(aborted.health().status).toBe('stopped');
  });
});
