/**
 * The read commands' shared options, in-process: the progress line on stderr (a TTY only, after
 * about a second, one prefix, cleared at the end).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { progressLine } from '../../src/cli/options.js';

describe('progressLine', () => {
  let written: string[];
  let wasTTY: boolean | undefined;
  beforeEach(() => {
    written = [];
    wasTTY = process.stderr.isTTY;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 0, 1));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
    process.stderr.isTTY = wasTTY as true;
  });

  it('on a TTY: nothing in the first second, then one line rewritten at most every 100 ms, cleared at the end', () => {
    process.stderr.isTTY = true;
    const progress = progressLine('reading');
    vi.advanceTimersByTime(999);
    progress.update('2,000 events');
    expect(written).toEqual([]);
    vi.advanceTimersByTime(1);
    progress.update('4,000 events');
    vi.advanceTimersByTime(99);
    progress.update('6,000 events');
    vi.advanceTimersByTime(1);
    progress.update('8,000 events');
    progress.done();
    expect(written).toEqual(['\r\x1b[2Kfleetscope: reading 4,000 events', '\r\x1b[2Kfleetscope: reading 8,000 events', '\r\x1b[2K']);
  });

  it('a read shorter than a second leaves stderr untouched; so does any read when stderr is not a TTY', () => {
    process.stderr.isTTY = true;
    const quick = progressLine('reading');
    vi.advanceTimersByTime(500);
    quick.update('2,000 events');
    quick.done();
    process.stderr.isTTY = false as true;
    const piped = progressLine('reading');
    vi.advanceTimersByTime(5000);
    piped.update('2,000 events');
    piped.done();
    expect(written).toEqual([]);
  });
});
