/**
 * One real Claude Code session fed live through its three sources at once — the hook store (the
 * hooks runner), its transcript (the transcripts runner) and a copy of its calls in Claude Code's
 * OpenTelemetry shape (the OTLP receiver) — counts each call once: the same calls, tokens and cost
 * as the source that holds them alone. Real data from ../shared/real-cc (never copied here): the
 * storia-mobile hook logger's payloads and the transcript its Stop hook copied, session b5f72bb6.
 *
 * Figures counted by hand from the files (python over the raw JSON):
 * - hooks: 63 PreToolUse tool_use ids, 62 ends (60 PostToolUse + 2 PostToolUseFailure);
 * - hooks: 4 SubagentStart, 3 SubagentStop; transcript: 3 Task results naming a subagent, the same 3;
 * - transcript: 18 tool_use blocks and 18 tool_results, every one also in the hooks' 63 / 62;
 *   9 responses (message id + request id) with 19 input, 12,405 output, 618,910 cache-read and
 *   101,057 cache-write tokens (first copy of each, as the runner counts them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import type { FleetEvent, Observer, Runner } from '../../src/core/index.js';
import { claudeCodeHooksRunner } from '../../src/runners/claude-code-hooks-runner.js';
import { claudeCodeTranscriptsRunner } from '../../src/runners/claude-code-transcripts.js';
import { otlpReceiver } from '../../src/runners/otlp-receiver.js';
import type { CostSnapshot } from '../../src/analyzers/cost-snapshot.js';
import { REAL_CC, writeRealHookStore } from './claude-code-real.js';

const SESSION = 'b5f72bb6-6f0a-4bb1-b936-5a704d08566f';
const TRANSCRIPT = join(REAL_CC, 'transcripts', 'projects', 'hooklog-storia-mobile', `${SESSION}.jsonl`);
const writeHookStore = (store: string) => writeRealHookStore(store, 'storia-mobile', SESSION);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleetscope-sources-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Claude Code's OTLP log records (`api_request`, `tool_result`) for the calls of `events`, as OTLP/JSON. */
function otlpCopy(events: readonly FleetEvent[]): string {
  const attr = (key: string, value: unknown) => ({ key, value: { stringValue: String(value) } });
  const records = events.flatMap((e) => {
    const p = e.payload as Record<string, unknown>;
    const common = [attr('session.id', e.sessionId), attr('event.timestamp', new Date(e.timestamp).toISOString())];
    if (e.type === 'llm.call') {
      return [{
        body: { stringValue: 'claude_code.api_request' },
        attributes: [...common, attr('event.name', 'api_request'), attr('model', p.model), attr('request_id', p.requestId), attr('input_tokens', p.inputTokens), attr('output_tokens', p.outputTokens),
          attr('cache_read_tokens', p.cacheReadTokens), attr('cache_creation_tokens', p.cacheWriteTokens), attr('cost_usd', p.costUsd)],
      }];
    }
    if (e.type === 'tool.end') {
      return [{ body: { stringValue: 'claude_code.tool_result' }, attributes: [...common, attr('event.name', 'tool_result'), attr('tool_name', p.toolName), attr('tool_use_id', p.toolCallId), attr('success', p.status === 'success')] }];
    }
    return [];
  });
  return JSON.stringify({ resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events' }, logRecords: records }] }] });
}

interface Figures {
  /** User prompts (`message` role user, kind prompt). */
  prompts: number;
  toolStarts: number;
  toolEnds: number;
  toolCallIds: number;
  llmCalls: number;
  sessionsStarted: number;
  sessionsEnded: number;
  subagentStarts: number;
  subagentEnds: number;
  tokens: CostSnapshot['tokens'];
  costUsd: number;
}

async function figures(observer: Observer): Promise<{ figures: Figures; events: FleetEvent[] }> {
  await observer.flush();
  const page = await observer.query({ limit: 10_000 });
  const events = page.events as FleetEvent[];
  const count = (type: string) => events.filter((e) => e.type === type).length;
  const subagents = (type: string) => events.filter((e) => e.type === type && (e.payload as { parentAgentId?: string }).parentAgentId !== undefined).length;
  const cost = observer.snapshot().cost as CostSnapshot;
  const ids = new Set(events.filter((e) => e.type === 'tool.start' || e.type === 'tool.end').map((e) => (e.payload as { toolCallId?: string }).toolCallId));
  return {
    events,
    figures: {
      prompts: events.filter((e) => e.type === 'message' && (e.payload as { role?: string; kind?: string }).role === 'user' && (e.payload as { kind?: string }).kind === 'prompt').length,
      toolStarts: count('tool.start'),
      toolEnds: count('tool.end'),
      toolCallIds: ids.size,
      llmCalls: count('llm.call'),
      sessionsStarted: count('session.start'),
      sessionsEnded: count('session.end'),
      subagentStarts: subagents('agent.start'),
      subagentEnds: subagents('agent.end'),
      tokens: cost.tokens,
      costUsd: cost.totalUsd,
    },
  };
}

const hooksRunner = (store: string) => claudeCodeHooksRunner({ store, fromStart: true, pollIntervalMs: 60_000 });
const transcriptsRunner = () => claudeCodeTranscriptsRunner({ paths: [TRANSCRIPT], pollIntervalMs: 60_000 });

/** Runs the sources into one observer with the default analyzers; polls each once. */
async function observe(runners: Runner[], otlpBody?: string, dedupe?: false): Promise<{ figures: Figures; events: FleetEvent[]; observer: Observer }> {
  const observer = createObserver({ runners, sessionId: 'host', ...(dedupe === false ? { dedupe } : {}) });
  await observer.ready();
  for (const r of runners) (r as { poll?: () => void }).poll?.();
  const receiver = runners.find((r) => r.name === 'otlp-receiver') as ReturnType<typeof otlpReceiver> | undefined;
  if (receiver !== undefined && otlpBody !== undefined) {
    const response = await fetch(`${receiver.address()}/v1/logs`, { method: 'POST', body: otlpBody, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
  }
  const result = await figures(observer);
  return { ...result, observer };
}

describe('hooks + transcripts + OTLP receiver on one real session', () => {
  it('count every tool call, LLM call and session once: the figures of the source that holds them alone', async () => {
    writeHookStore(dir);

    const hooksAlone = await observe([hooksRunner(dir)]);
    await hooksAlone.observer.close();
    expect(hooksAlone.figures).toMatchObject({ prompts: 4, toolStarts: 63, toolEnds: 62, toolCallIds: 63, llmCalls: 0, sessionsStarted: 1, sessionsEnded: 1, subagentStarts: 4, subagentEnds: 3 });

    const transcriptAlone = await observe([transcriptsRunner()]);
    await transcriptAlone.observer.close();
    // Two of the hooks' four prompts ("audit codex's work…", "launch an agent teams…"); the transcript
    // has their promptId, the hook payloads (no prompt_id) do not: they meet on session and text.
    expect(transcriptAlone.figures).toMatchObject({ prompts: 2, toolStarts: 18, toolEnds: 18, llmCalls: 9, sessionsStarted: 1, sessionsEnded: 1, subagentStarts: 3, subagentEnds: 3 });
    expect(transcriptAlone.figures.tokens).toMatchObject({ input: 19, output: 12_405, cacheRead: 618_910, cacheWrite: 101_057 });
    expect(transcriptAlone.figures.costUsd).toBeGreaterThan(0);

    const all = await observe([hooksRunner(dir), transcriptsRunner(), otlpReceiver({ port: 0 })], otlpCopy(transcriptAlone.events));
    const stats = all.observer.stats();
    await all.observer.close();
    // Tools: the hooks' 63 calls (the transcript's 18 are among them); LLM calls, tokens and cost: the transcript's.
    expect(all.figures).toEqual({
      ...hooksAlone.figures,
      llmCalls: 9,
      tokens: transcriptAlone.figures.tokens,
      costUsd: transcriptAlone.figures.costUsd,
    });
    // Left out: the transcript's 18 tool starts and 18 ends, its session's start and end, its 3 subagents'
    // starts and ends (the hooks' SubagentStart / SubagentStop of ac04304b, afc9f944, afcd0d48), its 2
    // prompts; the receiver's 9 requests and 18 tool results.
    expect(stats.events.duplicates).toBe(18 + 18 + 2 + 6 + 2 + 9 + 18);
  });

  it('a source that reports a call first keeps it, whatever the order the runners are listed in', async () => {
    writeHookStore(dir);
    const transcriptFirst = await observe([transcriptsRunner(), hooksRunner(dir)]);
    await transcriptFirst.observer.close();
    expect(transcriptFirst.figures).toMatchObject({ toolStarts: 63, toolEnds: 62, toolCallIds: 63, llmCalls: 9, sessionsStarted: 1, sessionsEnded: 1 });
  });

  it('dedupe: false counts every report (the double counting it prevents)', async () => {
    writeHookStore(dir);
    const { figures: f, observer } = await observe([hooksRunner(dir), transcriptsRunner()], undefined, false);
    await observer.close();
    expect(f).toMatchObject({ prompts: 4 + 2, toolStarts: 63 + 18, toolEnds: 62 + 18, toolCallIds: 63 });
  });

  it('two sources that each hold part of a session give their union (crypto session 54a706e7)', async () => {
    // By hand: the hooks logged 52 PreToolUse and 4 PostToolUseFailure, SubagentStart a18ed9e and
    // SubagentStop a18ed9e, a894bf8, a42528d; the transcript holds 86 tool calls (17 of the hooks' 52) and
    // 86 results (1 of the hooks' 4), and 22 subagents' Task results (a18ed9e among them). Union: 52 + 86 − 17
    // = 121 starts, 86 + 4 − 1 = 89 ends. Prompts: the hooks logged 1 ("add conjob…", no prompt_id), the
    // transcript (2.1.x) has 7 typed ones, that one among them: 7. Duplicates 17 + 1 + a18ed9e's start and
    // end + 1 prompt = 21.
    writeRealHookStore(dir, 'crypto', '54a706e7-8b8c-4017-9258-964f8e727505');
    const transcript = claudeCodeTranscriptsRunner({ paths: [join(REAL_CC, 'transcripts', 'projects', 'hooklog-crypto')], pollIntervalMs: 60_000 });
    const both = await observe([hooksRunner(dir), transcript]);
    const stats = both.observer.stats();
    await both.observer.close();
    expect(both.figures).toMatchObject({ prompts: 7, toolStarts: 121, toolEnds: 89, toolCallIds: 121 });
    expect(stats.events.duplicates).toBe(21);
  });
});

