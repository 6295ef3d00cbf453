import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventInput, FleetEvent, RunnerContext } from '../../src/core/index.js';
import { mapHookPayload } from '../../src/runners/claude-code-hooks.js';
import { claudeCodeHooksRunner } from '../../src/runners/claude-code-hooks-runner.js';
import { fileLogStorage } from '../../src/storage/file-log.js';

const root = mkdtempSync(join(tmpdir(), 'fleetscope-hooks-runner-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function events(n: number, from: number): FleetEvent[] {
  const pending = new Map();
  let id = from;
  return Array.from({ length: n }, (_, i) =>
    mapHookPayload(
      { session_id: 's', cwd: '/x', hook_event_name: 'Notification', message: `n${from + i}` },
      { now: 1000 + i, newId: () => `e${id++}`, newSpanId: () => '0000000000000001', pending: { put: (k, v) => pending.set(k, v), take: () => undefined } },
    ).events[0]!,
  );
}

describe('claudeCodeHooksRunner', () => {
  it('emits what hook processes append to the store, once each, skipping the segment header', async () => {
    const store = join(root, 'store');
    const log = fileLogStorage({ dir: store, maintenanceIntervalMs: 0 });
    await log.append(events(3, 0));
    const got: EventInput[] = [];
    const ctx: RunnerContext = { emit: (e) => void got.push(e), emitMany: (es) => void got.push(...es), reportError: () => {}, signal: new AbortController().signal };
    const runner = claudeCodeHooksRunner({ store, fromStart: true, pollIntervalMs: 60_000 });
    runner.start(ctx);
    expect(got.map((e) => (e.payload as { text: string }).text)).toEqual(['n0', 'n1', 'n2']);
    await log.append(events(2, 3));
    await log.close();
    runner.poll();
    runner.poll();
    runner.stop();
    expect(got.map((e) => (e.payload as { text: string }).text)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(runner.health().details).toMatchObject({ events: 5, skippedLines: 1 });
  });
});
