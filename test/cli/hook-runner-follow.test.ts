/**
 * A hooks runner following a store while `fleetscope hook` processes write into it (issue 14, "also
 * untested"): waves of concurrent hook processes append ~12 KB records while `claudeCodeHooksRunner`
 * polls every 10 ms, so it reads segments with writes in flight (a half-written last line must wait
 * for the next poll). Every record is seen exactly once, none torn, none missed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventInput, RunnerContext } from '../../src/core/index.js';
import { claudeCodeHooksRunner } from '../../src/runners/claude-code-hooks-runner.js';
import { builtCli, hookEnv } from './fixtures.js';

const built = builtCli('fleetscope-hook-follow-');

const SESSION = '11111111-2222-4333-8444-555555555555';

/** One `fleetscope hook` process recording a PostToolUse of ~12 KB; resolves with its exit code. */
function hook(store: string, toolUseId: string): Promise<number | null> {
  const input = JSON.stringify({
    session_id: SESSION,
    cwd: store,
    hook_event_name: 'PostToolUse',
    tool_name: 'Read',
    tool_use_id: toolUseId,
    tool_input: { file_path: `/f/${toolUseId}` },
    tool_response: 'r'.repeat(12_000),
  });
  return new Promise((resolve) => {
    // A long deadline: this checks concurrent appends against a reader, not the hook's own deadline.
    const child = spawn(process.execPath, [built.cli, 'hook', '--store', store, '--deadline-ms', '60000'], { stdio: ['pipe', 'ignore', 'ignore'], env: hookEnv() });
    child.on('close', resolve);
    child.stdin.end(input);
  });
}

describe('a hooks runner following a store while hooks write into it', () => {
  it('4 waves of 8 concurrent hook processes, a runner polling every 10 ms: every record seen exactly once', async () => {
    const store = join(built.root, 'store');
    const seen: EventInput[] = [];
    const errors: unknown[] = [];
    const abort = new AbortController();
    const context: RunnerContext = {
      emit: (e) => void seen.push(e),
      emitMany: (es) => void seen.push(...es),
      reportError: (error) => void errors.push(error),
      signal: abort.signal,
    };
    // Started before the store exists: everything the hooks write is new to it.
    const runner = claudeCodeHooksRunner({ store, fromStart: true, pollIntervalMs: 10 });
    runner.start(context);
    const ids: string[] = [];
    for (let wave = 0; wave < 4; wave++) {
      const batch = Array.from({ length: 8 }, (_, i) => `toolu_${wave}_${i}`);
      ids.push(...batch);
      const codes = await Promise.all(batch.map((id) => hook(store, id)));
      expect(codes).toEqual(Array(8).fill(0));
    }
    // The last writes are on disk: two more polls read whatever the timer has not.
    runner.poll();
    runner.poll();
    abort.abort();
    runner.stop();

    const got = seen.map((e) => (e.payload as { toolCallId?: string }).toolCallId);
    expect([...got].sort()).toEqual([...ids].sort());
    for (const event of seen) {
      expect(event.type).toBe('tool.end');
      expect((event.payload as { output?: string }).output?.length ?? 0).toBeGreaterThan(1000);
    }
    const details = runner.health().details as { events: number; skippedLines: number; readErrors: number };
    expect(details.events).toBe(32);
    expect(details.readErrors).toBe(0);
    // Only segment headers are skipped (one per segment), never a torn record.
    expect(details.skippedLines).toBeLessThanOrEqual(Number((runner.health().details as { segments: number }).segments));
    expect(errors).toEqual([]);
  }, 180_000);
});
