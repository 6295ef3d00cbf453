/** `pollOnce()` reads in budget-sized steps and says true until every file is read to its end. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventInput, RunnerContext } from 'fleetscope/core';
import { claudeCodeTranscriptsRunner } from 'fleetscope/runners';
import { writeTranscripts } from '../cli/fixtures.js';

describe('claudeCodeTranscriptsRunner pollOnce', () => {
  it('a budget smaller than a line still reads every line (more is reported until the end)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetscope-pollonce-'));
    try {
      writeTranscripts(dir); // 4 lines, each longer than 300 bytes
      const runner = claudeCodeTranscriptsRunner({ paths: [dir], maxBytesPerPoll: 1024, pollIntervalMs: 60_000 });
      const events: EventInput[] = [];
      const controller = new AbortController();
      const context: RunnerContext = { emit: (e) => void events.push(e), emitMany: (es) => void events.push(...es), reportError: () => undefined, signal: controller.signal };
      await runner.start(context);
      runner.stop();
      let polls = 0;
      while (runner.pollOnce()) polls++;
      controller.abort();
      expect(polls).toBeGreaterThan(0);
      // msg_A and msg_B, and toolu_1's start and end.
      expect(events.filter((e) => e.type === 'llm.call')).toHaveLength(2);
      expect(events.filter((e) => e.type === 'tool.end')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
