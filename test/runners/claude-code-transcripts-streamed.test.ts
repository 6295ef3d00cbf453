/**
 * The transcripts runner emits one `llm.call` per streamed response with its final figures (the
 * largest `output_tokens` of its copies, 1-hour cache writes at 2x input, subagent responses known
 * only from their parent's `agent_progress` echoes), so its tokens and cost equal `fleetscope usage`'s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventInput, RunnerContext } from '../../src/core/index.js';
import { claudeCodeTranscriptsRunner } from '../../src/runners/claude-code-transcripts.js';
import { claudeUsage } from '../../src/runners/claude-code-usage.js';
import { STREAMED_SESSION, streamedCopies, toolResult, toolUse, userPrompt, writeLines, writeStreamedFixture } from './claude-code-fixtures.js';

type LlmCall = Extract<EventInput, { type: 'llm.call' }>;

function sink(): RunnerContext & { events: EventInput[] } {
  const events: EventInput[] = [];
  return { events, emit: (e) => void events.push(e), emitMany: (es) => void events.push(...es), reportError: () => undefined, signal: new AbortController().signal };
}

const calls = (events: EventInput[]) => events.filter((e): e is LlmCall => e.type === 'llm.call');

/** Reads everything once, as `fleetscope report --claude` does: pollOnce until caught up, then flush. */
function readOnce(paths: string[]): EventInput[] {
  const runner = claudeCodeTranscriptsRunner({ paths, pollIntervalMs: 60_000 });
  const ctx = sink();
  runner.start(ctx);
  runner.stop();
  while (runner.pollOnce()) {
    // read on
  }
  runner.flush();
  return ctx.events;
}

function totals(events: EventInput[]) {
  const t = { input: 0, output: 0, cacheWrite: 0, cacheRead: 0, cost: 0 };
  for (const c of calls(events)) {
    t.input += c.payload.inputTokens ?? 0;
    t.output += c.payload.outputTokens ?? 0;
    t.cacheWrite += c.payload.cacheWriteTokens ?? 0;
    t.cacheRead += c.payload.cacheReadTokens ?? 0;
    t.cost += c.payload.costUsd ?? 0;
  }
  return t;
}

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'fleetscope-streamed-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const MODEL = 'claude-sonnet-4-5-20250929';

describe('claudeCodeTranscriptsRunner: streamed responses', () => {
  it('a live tail holds a response until another response of the agent or a quiet poll shows it complete, then emits it once with its last figures', () => {
    const c = { sessionId: '5e55a000-1b2c-4d3e-8f40-00000000000a' };
    // Recent times: the session must not end (which would emit what is held) during the test.
    const now = Date.now();
    const at = (s: number) => new Date(now - 60_000 + s * 1000).toISOString();
    const file = join(root, 'projects', '-p', `${c.sessionId}.jsonl`);
    const A = { model: MODEL, messageId: 'msg_A', requestId: 'req_A', input: 10, write5m: 600, write1h: 400, read: 2000 };
    writeLines(file, [userPrompt(c, at(0), 'fix the build'), ...streamedCopies(c, [at(1)], { ...A, outputs: [5] })]);
    const runner = claudeCodeTranscriptsRunner({ paths: [root], pollIntervalMs: 60_000 });
    const ctx = sink();
    runner.start(ctx);
    runner.poll();
    expect(calls(ctx.events)).toHaveLength(0);
    // The tool result of copy 2's tool_use comes before copy 3: a user line does not end a response.
    writeLines(file, [...streamedCopies(c, [at(2)], { ...A, outputs: [40], blocks: [toolUse('toolu_A', 'Bash', { command: 'npm run build' })] }), toolResult(c, at(3), 'toolu_A', 'built'), ...streamedCopies(c, [at(4)], { ...A, outputs: [120] })], true);
    runner.poll();
    expect(calls(ctx.events)).toHaveLength(0);
    // The agent's next response: msg_A is complete.
    writeLines(file, streamedCopies(c, [at(5)], { model: MODEL, messageId: 'msg_B', requestId: 'req_B', input: 20, write5m: 0, write1h: 0, read: 0, outputs: [30] }), true);
    runner.poll();
    expect(calls(ctx.events).map((e) => e.payload.responseId)).toEqual(['msg_A']);
    const [a] = calls(ctx.events);
    // 10×3 + 120×15 + 600×3.75 + 400×6 + 2000×0.3 = 7080 µ$; dated by the copy with the largest output.
    expect(a!.payload).toMatchObject({ inputTokens: 10, outputTokens: 120, cacheWriteTokens: 1000, cacheWrite1hTokens: 400, cacheReadTokens: 2000, requestId: 'req_A' });
    expect(a!.payload.costUsd).toBeCloseTo(0.00708, 12);
    expect(a!.timestamp).toBe(Date.parse(at(4)));
    // The tool_use of copy 2 was emitted when read, before the response's llm.call.
    expect(ctx.events.findIndex((e) => e.type === 'tool.start')).toBeLessThan(ctx.events.indexOf(a!));
    // msg_B: the next poll that reads nothing new for it (the file went quiet) emits it.
    runner.poll();
    expect(calls(ctx.events).map((e) => [e.payload.responseId, e.payload.outputTokens])).toEqual([['msg_A', 120], ['msg_B', 30]]);
    runner.stop();
    expect(calls(ctx.events)).toHaveLength(2);
    expect(runner.health().details).toMatchObject({ llmCalls: 2, duplicates: 2, heldCalls: 0 });
  });

  it('a hand-built session: largest copies, 1-hour writes at 2x, progress echoes merged or alone; figures equal fleetscope usage', () => {
    writeStreamedFixture(root);
    const events = readOnce([root]);
    const byId = new Map(calls(events).map((e) => [e.payload.responseId, e]));
    expect([...byId.keys()].sort()).toEqual(['msg_A', 'msg_B', 'msg_C', 'msg_D']);
    expect(calls(events)).toHaveLength(4);
    expect(byId.get('msg_A')!.payload).toMatchObject({ outputTokens: 120, cacheWrite1hTokens: 400 });
    expect(byId.get('msg_B')!.payload).not.toHaveProperty('cacheWrite1hTokens');
    // msg_C counts with the subagent's own copy (its agent, its largest output), not the parent's echo.
    expect(byId.get('msg_C')).toMatchObject({ agentId: 'x1', payload: { outputTokens: 50, cacheReadTokens: 1000 } });
    // msg_D: only echoed (agent y2's file is missing); its largest echo counts, attributed to y2.
    expect(byId.get('msg_D')).toMatchObject({ agentId: 'y2', sessionId: STREAMED_SESSION, payload: { inputTokens: 7, outputTokens: 12 } });
    const costs = Object.fromEntries([...byId].map(([id, e]) => [id, Math.round(e.payload.costUsd! * 1e6 * 1000) / 1000]));
    expect(costs).toEqual({ msg_A: 7080, msg_B: 510, msg_C: 1065, msg_D: 201 });
    const t = totals(events);
    expect({ ...t, cost: Math.round(t.cost * 1e6) }).toEqual({ input: 42, output: 212, cacheWrite: 1000, cacheRead: 3000, cost: 8856 });
    const usage = claudeUsage({ paths: [root] }).totals;
    expect([usage.inputTokens, usage.outputTokens, usage.cacheCreationTokens, usage.cacheReadTokens]).toEqual([42, 212, 1000, 3000]);
    expect(usage.totalCost).toBeCloseTo(t.cost, 12);
  });
});

describe('claudeCodeTranscriptsRunner on the real transcripts (../shared/real-cc): figures equal fleetscope usage', () => {
  it('tokens exactly and cost to the cent, one llm.call per response', () => {
    const real = join(process.cwd(), '../shared/real-cc/transcripts');
    const events = readOnce([real]);
    const usage = claudeUsage({ paths: [real] });
    const t = totals(events);
    expect({ input: t.input, output: t.output, cacheWrite: t.cacheWrite, cacheRead: t.cacheRead }).toEqual({
      input: usage.totals.inputTokens,
      output: usage.totals.outputTokens,
      cacheWrite: usage.totals.cacheCreationTokens,
      cacheRead: usage.totals.cacheReadTokens,
    });
    expect(Math.round(t.cost * 100)).toBe(Math.round(usage.totals.totalCost * 100));
    // One call per response (message id + request id): none twice.
    const keys = calls(events).map((e) => `${e.payload.responseId}:${e.payload.requestId}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
