import { appendFileSync, mkdtempSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventInput, RunnerContext } from '../../src/core/index.js';
import { claudeCodeTranscriptsRunner } from '../../src/runners/claude-code-transcripts.js';
import { claudeUsage } from '../../src/runners/claude-code-usage.js';
import { assistant, toolResult, toolUse, userPrompt, writeLines, writeUsageFixture } from './claude-code-fixtures.js';

function sink(): RunnerContext & { events: EventInput[]; errors: unknown[] } {
  const events: EventInput[] = [];
  const errors: unknown[] = [];
  return {
    events,
    errors,
    emit: (e) => void events.push(e),
    emitMany: (es) => void events.push(...es),
    reportError: (e) => void errors.push(e),
    signal: new AbortController().signal,
  };
}

const of = <T extends EventInput['type']>(events: EventInput[], type: T) => events.filter((e) => e.type === type) as Extract<EventInput, { type: T }>[];

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'fleetscope-transcripts-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const S = { sessionId: '9a8b7c6d-0000-4000-8000-000000000001' };

describe('claudeCodeTranscriptsRunner', () => {
  it('turns the fixture into llm.call, tool and agent events whose tokens equal the usage totals', () => {
    writeUsageFixture(root);
    const runner = claudeCodeTranscriptsRunner({ paths: [root], pollIntervalMs: 60_000 });
    const ctx = sink();
    runner.start(ctx);
    runner.poll();
    runner.stop();
    const calls = of(ctx.events, 'llm.call');
    const usage = claudeUsage({ paths: [root] });
    // <synthetic> has 0 tokens, so sums agree with the usage totals.
    expect(calls.reduce((n, c) => n + (c.payload.inputTokens ?? 0), 0)).toBe(usage.totals.inputTokens);
    expect(calls.reduce((n, c) => n + (c.payload.outputTokens ?? 0), 0)).toBe(usage.totals.outputTokens);
    expect(calls.reduce((n, c) => n + (c.payload.cacheReadTokens ?? 0), 0)).toBe(usage.totals.cacheReadTokens);
    // Subagent attribution: haiku calls come from agent a1b2c3d, which got an agent.start.
    const sub = calls.filter((c) => c.agentId === 'a1b2c3d');
    expect(sub.map((c) => c.payload.inputTokens)).toEqual([300, 20]);
    // The Task result in the main transcript (read first) opens and closes the subagent's scope.
    expect(of(ctx.events, 'agent.start').map((e) => e.agentId)).toEqual(['a1b2c3d']);
    const [agentEnd] = of(ctx.events, 'agent.end');
    expect(agentEnd).toMatchObject({ agentId: 'a1b2c3d', payload: { name: 'Explore', agentType: 'Explore', status: 'success', durationMs: 4500 } });
    expect(agentEnd!.spanId).toBe(of(ctx.events, 'agent.start')[0]!.spanId);
    expect(sub[0]!.parentSpanId).toBe(agentEnd!.spanId);
    // Tools: Bash failed after 6 s (14:00:03.100 -> 14:00:09.000), Grep in the subagent 0.5 s.
    const ends = of(ctx.events, 'tool.end');
    const bash = ends.find((e) => e.payload.toolCallId === 'toolu_01')!;
    expect(bash.payload).toMatchObject({ toolName: 'Bash', status: 'error', durationMs: 5900, error: 'FAIL test/a.test.ts' });
    const grep = ends.find((e) => e.payload.toolCallId === 'toolu_S1')!;
    expect(grep).toMatchObject({ agentId: 'a1b2c3d', payload: { toolName: 'Grep', status: 'success', durationMs: 500 } });
    const health = runner.health().details!;
    expect(health.malformed).toBe(1);
    expect(health.duplicates).toBe(2);
  });

  it('derives sessions: a start at the first line, an end at the last once idle, a new start when resumed', () => {
    const file = join(root, 'projects', '-p', `${S.sessionId}.jsonl`);
    const cwd = { ...S, cwd: '/home/dev/app' };
    // An old session: 10:00:00 to 10:07:30, long over.
    writeLines(file, [
      userPrompt(cwd, '2025-05-01T10:00:00.000Z', 'hi'),
      assistant(cwd, '2025-05-01T10:02:00.000Z', { model: 'claude-sonnet-4-5-20250929', messageId: 'm1', requestId: 'r1', usage: { input_tokens: 5, output_tokens: 6 } }),
      userPrompt(cwd, '2025-05-01T10:07:30.000Z', 'thanks'),
    ]);
    const runner = claudeCodeTranscriptsRunner({ paths: [root], pollIntervalMs: 60_000 });
    const ctx = sink();
    runner.start(ctx);
    runner.poll();
    const [start] = of(ctx.events, 'session.start');
    expect(of(ctx.events, 'session.start')).toHaveLength(1);
    expect(start).toMatchObject({ sessionId: S.sessionId, agentId: 'main', timestamp: Date.parse('2025-05-01T10:00:00.000Z'), payload: { cwd: '/home/dev/app' } });
    // The start comes before the session's other events, and its span parents them.
    expect(ctx.events[0]!.type).toBe('session.start');
    expect(of(ctx.events, 'llm.call')[0]!.parentSpanId).toBe(start!.spanId);
    const [end] = of(ctx.events, 'session.end');
    // 10:07:30 − 10:00:00 = 450,000 ms
    expect(end).toMatchObject({ sessionId: S.sessionId, spanId: start!.spanId, timestamp: Date.parse('2025-05-01T10:07:30.000Z'), payload: { reason: 'idle', status: 'success', durationMs: 450_000 } });
    // Nothing new: nothing more.
    runner.poll();
    expect(of(ctx.events, 'session.end')).toHaveLength(1);
    // Resumed the next day for 90 s: a second start and end, same session id.
    writeLines(file, [userPrompt(cwd, '2025-05-02T09:00:00.000Z', 'again'), userPrompt(cwd, '2025-05-02T09:01:30.000Z', 'bye')], true);
    runner.poll();
    expect(of(ctx.events, 'session.start').map((e) => e.timestamp)).toEqual([Date.parse('2025-05-01T10:00:00.000Z'), Date.parse('2025-05-02T09:00:00.000Z')]);
    expect(of(ctx.events, 'session.end').map((e) => e.payload.durationMs)).toEqual([450_000, 90_000]);
    expect(runner.health().details).toMatchObject({ sessionsStarted: 2, sessionsEnded: 2 });
    runner.stop();
  });

  it('keeps a session open while its last line is newer than sessionIdleMs', () => {
    const file = join(root, 'projects', '-p', `${S.sessionId}.jsonl`);
    const now = Date.now();
    writeLines(file, [userPrompt(S, new Date(now - 120_000).toISOString(), 'hi'), userPrompt(S, new Date(now - 60_000).toISOString(), 'more')]);
    const ctx = sink();
    const runner = claudeCodeTranscriptsRunner({ paths: [root], pollIntervalMs: 60_000, sessionIdleMs: 10 * 60_000 });
    runner.start(ctx);
    runner.poll();
    expect(of(ctx.events, 'session.start')).toHaveLength(1);
    expect(of(ctx.events, 'session.end')).toHaveLength(0);
    runner.stop();
    // The same lines with a 30 s idle limit: the last line is 60 s old, so the session is over.
    const ctx2 = sink();
    const strict = claudeCodeTranscriptsRunner({ paths: [root], pollIntervalMs: 60_000, sessionIdleMs: 30_000 });
    strict.start(ctx2);
    strict.poll();
    expect(of(ctx2.events, 'session.end').map((e) => e.payload.durationMs)).toEqual([60_000]);
    strict.stop();
    expect(() => claudeCodeTranscriptsRunner({ sessionIdleMs: 10 })).toThrow(/sessionIdleMs must be >= 1000/);
    // sessions: false (the hooks feed the observer): no session events, the rest unchanged.
    const ctx3 = sink();
    const quiet = claudeCodeTranscriptsRunner({ paths: [root], pollIntervalMs: 60_000, sessionIdleMs: 30_000, sessions: false });
    quiet.start(ctx3);
    quiet.poll();
    expect(ctx3.events.filter((e) => e.type.startsWith('session.'))).toEqual([]);
    quiet.stop();
  });

  it('reads appended lines, waits for a torn last line, survives truncation and deletion', () => {
    const file = join(root, 'projects', '-p', `${S.sessionId}.jsonl`);
    writeLines(file, [userPrompt(S, '2025-05-01T10:00:00.000Z', 'hi')]);
    const runner = claudeCodeTranscriptsRunner({ paths: [root], pollIntervalMs: 60_000 });
    const ctx = sink();
    runner.start(ctx);
    runner.poll();
    const line = assistant(S, '2025-05-01T10:00:02.000Z', {
      model: 'claude-sonnet-4-5-20250929',
      messageId: 'msg_T1',
      requestId: 'req_T1',
      usage: { input_tokens: 11, output_tokens: 22 },
      content: [toolUse('toolu_T1', 'Read', { file_path: '/a' })],
    });
    appendFileSync(file, line.slice(0, 50)); // torn: no newline yet
    runner.poll();
    expect(of(ctx.events, 'llm.call')).toHaveLength(0);
    appendFileSync(file, `${line.slice(50)}\n`);
    runner.poll();
    expect(of(ctx.events, 'llm.call').map((c) => c.payload.outputTokens)).toEqual([22]);
    expect(of(ctx.events, 'tool.start')).toHaveLength(1);
    // Truncated and rewritten: read again from the start; the duplicate message counts once.
    truncateSync(file, 0);
    writeFileSync(file, `${line}\n${toolResult(S, '2025-05-01T10:00:03.250Z', 'toolu_T1', 'contents')}\n`);
    runner.poll();
    expect(of(ctx.events, 'llm.call')).toHaveLength(1);
    expect(of(ctx.events, 'tool.end')[0]!.payload).toMatchObject({ toolName: 'Read', durationMs: 1250, status: 'success' });
    unlinkSync(file);
    runner.poll();
    runner.poll();
    expect(runner.health().details).toMatchObject({ filesGone: 1, truncations: 1 });
    expect(ctx.errors).toEqual([]);
    runner.stop();
  });

  it('reads a complete last line without a newline once the file stayed the same size for a poll, never a torn one', () => {
    const file = join(root, 'projects', '-p', `${S.sessionId}.jsonl`);
    const call = (id: string, out: number) =>
      assistant(S, '2025-05-01T10:00:02.000Z', { model: 'claude-sonnet-4-5-20250929', messageId: id, requestId: `req_${id}`, usage: { input_tokens: 1, output_tokens: out }, content: [] });
    writeLines(file, [userPrompt(S, '2025-05-01T10:00:00.000Z', 'hi')]);
    appendFileSync(file, call('msg_A', 5)); // complete, no newline
    const runner = claudeCodeTranscriptsRunner({ paths: [root], pollIntervalMs: 60_000 });
    const ctx = sink();
    runner.start(ctx);
    runner.poll();
    expect(of(ctx.events, 'llm.call')).toHaveLength(0); // may still be being written
    runner.poll();
    expect(of(ctx.events, 'llm.call').map((c) => c.payload.outputTokens)).toEqual([5]); // quiet for a poll
    // The newline arrives later, then a torn line that stays torn: nothing counted twice, nothing torn read.
    appendFileSync(file, `\n${call('msg_B', 7).slice(0, 40)}`);
    runner.poll();
    runner.poll();
    runner.poll();
    expect(of(ctx.events, 'llm.call').map((c) => c.payload.outputTokens)).toEqual([5]);
    appendFileSync(file, `${call('msg_B', 7).slice(40)}\n`);
    runner.poll();
    expect(of(ctx.events, 'llm.call').map((c) => c.payload.outputTokens)).toEqual([5, 7]);
    expect(runner.health().details).toMatchObject({ malformed: 0 });
    runner.stop();
  });

  it('skips and counts bad lines: truncated JSON, binary garbage, unknown types, a line over the cap', () => {
    const file = join(root, 'projects', '-p', `${S.sessionId}.jsonl`);
    const good = assistant(S, '2025-05-01T10:00:02.000Z', { model: 'claude-haiku-4-5', messageId: 'm', requestId: 'r', usage: { input_tokens: 1, output_tokens: 2 } });
    writeLines(file, [
      '{"type":"assistant","message":{"usage":{"input_tokens":5',
      '\u0000\u0001\u0002\u00ff garbage',
      JSON.stringify({ type: 'future-entry-kind', timestamp: '2025-05-01T10:00:00.000Z' }),
      JSON.stringify({ type: 'user', message: { role: 'user', content: 'x'.repeat(300_000) } }),
      good,
    ]);
    const runner = claudeCodeTranscriptsRunner({ paths: [root], pollIntervalMs: 60_000, maxLineBytes: 64 * 1024 });
    const ctx = sink();
    runner.start(ctx);
    runner.poll();
    runner.stop();
    expect(runner.health().details).toMatchObject({ malformed: 2, unknownType: 1, oversized: 1, llmCalls: 1 });
    expect(of(ctx.events, 'llm.call')[0]!.payload).toMatchObject({ model: 'claude-haiku-4-5', inputTokens: 1, outputTokens: 2, provider: 'anthropic' });
  });

  it('fromStart: false reads only what is appended after start', () => {
    const file = join(root, 'projects', '-p', `${S.sessionId}.jsonl`);
    writeLines(file, [assistant(S, '2025-05-01T10:00:00.000Z', { model: 'claude-haiku-4-5', messageId: 'old', requestId: 'r0', usage: { input_tokens: 1, output_tokens: 1 } })]);
    const runner = claudeCodeTranscriptsRunner({ paths: [root], pollIntervalMs: 60_000, fromStart: false });
    const ctx = sink();
    runner.start(ctx);
    runner.poll();
    writeLines(file, [assistant(S, '2025-05-01T10:00:05.000Z', { model: 'claude-haiku-4-5', messageId: 'new', requestId: 'r1', usage: { input_tokens: 7, output_tokens: 1 } })], true);
    runner.poll();
    runner.stop();
    expect(of(ctx.events, 'llm.call').map((c) => c.payload.responseId)).toEqual(['new']);
  });
});

describe('claudeCodeTranscriptsRunner on the real transcripts (../shared/real-cc)', () => {
  const REAL = join(process.cwd(), '../shared/real-cc/transcripts');

  it('reads main transcripts before subagent files, knows every entry type, names compaction agents, closes every subagent scope', async () => {
    const { readdirSync, statSync, readFileSync } = await import('node:fs');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name.endsWith('.jsonl')) files.push(full);
      }
    };
    walk(join(REAL, 'projects'));
    // Independently: the times of the user/assistant lines of each session's main transcript(s), and
    // the roots of 1.0.x sidechains (sidechain lines with no agentId and parentUuid null).
    const mainTimes = new Map<string, Set<number>>();
    let sidechainRoots = 0;
    for (const file of files) {
      if (/[\\/](agent-[^\\/]*|subagents[\\/].*)\.jsonl$/.test(file)) continue;
      for (const text of readFileSync(file, 'utf8').split('\n')) {
        if (text.trim() === '') continue;
        const line = JSON.parse(text) as { type?: string; sessionId?: string; timestamp?: string; isSidechain?: boolean; agentId?: string; parentUuid?: string | null };
        if ((line.type !== 'user' && line.type !== 'assistant') || line.sessionId === undefined || line.timestamp === undefined) continue;
        if (line.isSidechain === true && line.agentId === undefined && line.parentUuid === null) sidechainRoots++;
        const times = mainTimes.get(line.sessionId) ?? new Set<number>();
        times.add(Date.parse(line.timestamp));
        mainTimes.set(line.sessionId, times);
      }
    }
    const runner = claudeCodeTranscriptsRunner({ paths: [REAL], pollIntervalMs: 60_000 });
    const ctx = sink();
    runner.start(ctx);
    for (let i = 0; i < 10; i++) runner.poll();
    const details = runner.health().details as Record<string, number>;
    runner.stop();
    expect(details.unknownType).toBe(0);
    // A session with a main transcript starts at one of its lines, never at a subagent's line read
    // first (before this fix 11 sessions did, and 1,066 events preceded their session's start).
    let startedAtMain = 0;
    for (const start of of(ctx.events, 'session.start')) if (mainTimes.get(start.sessionId ?? "")?.has(start.timestamp ?? 0) === true) startedAtMain++;
    const withMain = of(ctx.events, 'session.start').filter((s) => mainTimes.has(s.sessionId ?? "")).length;
    expect(withMain).toBeGreaterThan(40);
    expect(startedAtMain).toBe(withMain);
    const compactionFiles = files.filter((f) => /agent-acompact-[^\\/]*\.jsonl$/.test(f)).length;
    expect(compactionFiles).toBe(5);
    const compaction = of(ctx.events, 'agent.start').filter((e) => e.payload.name === 'compaction');
    expect(compaction).toHaveLength(compactionFiles);
    // Every subagent scope is closed exactly once: by its Task result, or when its session ends
    // (before, 52 of 93 never ended and raised false "stuck agent" alarms).
    const ends = new Map<string, number>();
    for (const e of of(ctx.events, 'agent.end')) ends.set(e.spanId!, (ends.get(e.spanId!) ?? 0) + 1);
    const starts = of(ctx.events, 'agent.start');
    expect(starts.length).toBeGreaterThan(90);
    for (const a of starts) expect(ends.get(a.spanId!), a.agentId).toBe(1);
    expect(ends.size).toBe(starts.length);
    // 1.0.x sidechains: one agent per chain, not one "sidechain" agent per session.
    expect(sidechainRoots).toBeGreaterThan(1);
    expect(starts.filter((a) => a.agentId!.startsWith('sidechain-'))).toHaveLength(sidechainRoots);
    expect(starts.filter((a) => a.agentId === 'sidechain')).toHaveLength(0);
    // 2.0.x cache-warming sidechains (first prompt "Warmup") are named for what they are.
    const warmupFiles = files.filter((f) => /[\\/]agent-[^\\/]*\.jsonl$/.test(f) && (readFileSync(f, 'utf8').split('\n')[0] ?? '').includes('"content":"Warmup"')).length;
    expect(warmupFiles).toBe(28);
    expect(starts.filter((a) => a.payload.name === 'warmup')).toHaveLength(warmupFiles);
  });

  it('a tool\'s duration is its own run time when Claude Code records it, a refusal at the permission prompt is a block, a prompt is a message', () => {
    const runner = claudeCodeTranscriptsRunner({ paths: [REAL], pollIntervalMs: 60_000 });
    const ctx = sink();
    runner.start(ctx);
    runner.poll();
    runner.stop();
    const ends = of(ctx.events, 'tool.end');
    // Counted by hand (python over the files): 17 results say the user refused the call
    // ("The user doesn't want to proceed with this tool use", "User rejected tool use", ...).
    const blocked = ends.filter((e) => e.payload.status === 'blocked');
    expect(blocked).toHaveLength(17);
    expect(blocked.filter((e) => e.payload.toolName === 'ExitPlanMode')).toHaveLength(4);
    expect(blocked.every((e) => e.severity === 'warning' && /user/i.test(e.payload.error ?? ''))).toBe(true);
    // A WebSearch answered 3,286 s after its tool_use (the permission prompt waited) ran 14.6 s (durationSeconds 14.62...).
    const search = ends.find((e) => e.payload.toolCallId === 'toolu_016C97rjsgXmaTyVFwBwPHgR')!;
    expect(search.payload.durationMs).toBe(14_623);
    expect(search.attributes?.['claude_code.result_wait_ms']).toBe(3_286_486);
    // Bash records no run time, but 2.1.x writes a bash_progress line each second a command runs, with the
    // seconds elapsed: the command's start. Counted by hand (node over the files): 10 Bash calls started 5 s or
    // more after their tool_use (the permission prompt; an 11th such line is a subagent's Bash under its Task call,
    // not counted for the Task); in subagent 258c7280 one waited 181.0 s and ran 3.5 s.
    const waited = ends.filter((e) => e.attributes?.['claude_code.permission_wait_ms'] !== undefined);
    expect(waited.every((e) => e.payload.toolName === 'Bash')).toBe(true);
    expect(waited).toHaveLength(10);
    const prompt = ends.find((e) => e.payload.toolCallId === 'toolu_014KAwacAz9cjdUN3XNeAArp')!;
    expect(prompt.payload.durationMs).toBe(3_463);
    expect(prompt.attributes).toEqual({ 'claude_code.result_wait_ms': 184_455, 'claude_code.permission_wait_ms': 180_992 });
    // Prompts (what the user typed in a main transcript: no tool result, meta line, compact summary, slash
    // command, command output, task notification or interrupt): 102 lines by hand, one of them in a session
    // file two loggers copied (same uuid): 101; 4 carry Claude Code's promptId.
    const prompts = of(ctx.events, 'message').filter((e) => e.payload.kind === 'prompt');
    expect(prompts).toHaveLength(101);
    expect(prompts.filter((e) => (e.payload as { id?: string }).id !== undefined)).toHaveLength(4);
    expect(prompts.every((e) => e.agentId === 'main' && e.payload.role === 'user')).toBe(true);
    // A compaction agent runs from its summary request to the summary: acompact-fffbd0's file opens with two
    // copied reminders of 20:57:47 and 20:58:09; the request is at 21:17:14.555, the summary at 21:18:41.098.
    const compaction = of(ctx.events, 'agent.end').find((e) => e.agentId === 'acompact-fffbd0')!;
    expect(compaction.payload).toMatchObject({ name: 'compaction', durationMs: 86_543 });
  });
});
