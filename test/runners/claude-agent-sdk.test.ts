/**
 * The Claude Agent SDK adapter on a realistic `SDKMessage` stream: every message below has the
 * fields of `@anthropic-ai/claude-agent-sdk` 0.3.336's `sdk.d.ts` (`SDKSystemMessage` init,
 * `SDKAssistantMessage` with a `BetaMessage`, `SDKUserMessage` with `tool_result` blocks and
 * `tool_use_result`, `SDKResultSuccess`), in the order `query()` yields them: one assistant
 * message per content block (same `message.id` and `usage`), two subagents run at once by two `Task`
 * calls of one response (their messages interleaved, `parent_tool_use_id` naming the call), one
 * failing Bash call. The SDK spawns the `claude` CLI, so the stream is replayed, not run: the
 * package is not a devDependency (its types need `@anthropic-ai/sdk` and `@modelcontextprotocol/sdk`,
 * and it installs the CLI's native binary). Token counts are such that costs show in cents.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createObserver, type Observer } from '../../src/index.js';
import type { EventInput } from '../../src/core/index.js';
import { costAnalyzer, fleetAnalyzer, type CostSnapshot, type FleetSnapshot } from '../../src/analyzers/index.js';
import type { PricingTable } from '../../src/analyzers/pricing.js';
import { claudeAgentSdkMessages, observeClaudeAgentSdk } from '../../src/runners/index.js';
import { payloads } from './otel-frameworks-harness.js';

/** USD per million tokens, for the hand computation. */
const PRICES: PricingTable = {
  'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
};
const SESSION = '8f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f';
const SONNET = 'claude-sonnet-4-5-20250929';
const HAIKU = 'claude-haiku-4-5-20251001';

type Usage = { input: number; output: number; cacheRead?: number; cacheWrite?: number };
let uuid = 0;
const common = (parent: string | null) => ({ parent_tool_use_id: parent, uuid: `00000000-0000-4000-8000-${String(++uuid).padStart(12, '0')}`, session_id: SESSION });

/** The `SDKAssistantMessage`s of one API response: one per content block, each with the whole usage. */
function response(id: string, model: string, parent: string | null, usage: Usage, blocks: Record<string, unknown>[]) {
  const stop = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
  return blocks.map((block) => ({
    type: 'assistant' as const,
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [block],
      stop_reason: stop,
      stop_sequence: null,
      usage: {
        input_tokens: usage.input,
        output_tokens: usage.output,
        cache_read_input_tokens: usage.cacheRead ?? 0,
        cache_creation_input_tokens: usage.cacheWrite ?? 0,
        cache_creation: { ephemeral_5m_input_tokens: usage.cacheWrite ?? 0, ephemeral_1h_input_tokens: 0 },
        server_tool_use: null,
        service_tier: 'standard',
      },
      container: null,
      context_management: null,
    },
    request_id: `req_${id.slice(4)}`,
    ...common(parent),
  }));
}

const toolUse = (id: string, name: string, input: unknown) => ({ type: 'tool_use', id, name, input });
const text = (t: string) => ({ type: 'text', text: t });
function toolResult(parent: string | null, toolUseId: string, content: string, isError = false, toolUseResult: unknown = { stdout: content }) {
  return { type: 'user' as const, message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content, is_error: isError }] }, tool_use_result: toolUseResult, ...common(parent) };
}

// Tool call ids: the two Task calls (R: researcher, C: coder) and the subagents' own calls.
const R = 'toolu_01Researcher0000000000';
const C = 'toolu_01Coder000000000000000';
const W = 'toolu_01WebSearch00000000000';
const B = 'toolu_01Bash0000000000000000';

/** What `query()` yields for the run, in order. */
const STREAM: unknown[] = [
  { type: 'system', subtype: 'init', agents: ['researcher', 'coder'], apiKeySource: 'ANTHROPIC_API_KEY', claude_code_version: '2.1.42', cwd: '/work/app', tools: ['Task', 'Bash', 'WebSearch'], mcp_servers: [], model: SONNET, permissionMode: 'bypassPermissions', slash_commands: [], output_style: 'default', skills: [], plugins: [], ...common(null) },
  ...response('msg_01Main1', SONNET, null, { input: 2000, output: 500, cacheWrite: 10_000 }, [
    text('I will research and fix the lint at once.'),
    toolUse(R, 'Task', { description: 'research lint rules', prompt: 'find the lint config', subagent_type: 'researcher' }),
    toolUse(C, 'Task', { description: 'run the lint', prompt: 'run npm run lint', subagent_type: 'coder' }),
  ]),
  ...response('msg_01Res1', HAIKU, R, { input: 1000, output: 200, cacheRead: 4000 }, [toolUse(W, 'WebSearch', { query: 'eslint flat config' })]),
  ...response('msg_01Cod1', HAIKU, C, { input: 1500, output: 100, cacheWrite: 3000 }, [toolUse(B, 'Bash', { command: 'npm run lint' })]),
  toolResult(R, W, '5 results'),
  toolResult(C, B, 'Exit code 1\nnpm ERR! Missing script: "lint"', true, 'Error: Exit code 1'),
  ...response('msg_01Res2', HAIKU, R, { input: 500, output: 400, cacheRead: 5000 }, [text('eslint.config.js is the flat config')]),
  ...response('msg_01Cod2', HAIKU, C, { input: 800, output: 300, cacheRead: 4500 }, [text('there is no lint script')]),
  toolResult(null, R, 'eslint.config.js is the flat config', false, { status: 'completed', agentId: 'a1f3', totalDurationMs: 5000 }),
  toolResult(null, C, 'there is no lint script', false, { status: 'completed', agentId: 'b2e4', totalDurationMs: 5000 }),
  ...response('msg_01Main2', SONNET, null, { input: 1200, output: 700, cacheRead: 10_000, cacheWrite: 2000 }, [text('Add a lint script.')]),
  {
    type: 'result', subtype: 'success', duration_ms: 12_000, duration_api_ms: 9_500, is_error: false, num_turns: 2, result: 'Add a lint script.', stop_reason: 'end_turn',
    // What Claude Code reports for these calls at the prices above: $0.0895 (computed below).
    total_cost_usd: 0.0895,
    usage: { input_tokens: 7000, output_tokens: 2200, cache_read_input_tokens: 23_500, cache_creation_input_tokens: 15_000, server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 }, service_tier: 'standard' },
    modelUsage: {
      [SONNET]: { inputTokens: 3200, outputTokens: 1200, cacheReadInputTokens: 10_000, cacheCreationInputTokens: 12_000, webSearchRequests: 0, costUSD: 0.0756, contextWindow: 200_000, maxOutputTokens: 64_000 },
      [HAIKU]: { inputTokens: 3800, outputTokens: 1000, cacheReadInputTokens: 13_500, cacheCreationInputTokens: 3000, webSearchRequests: 0, costUSD: 0.0139, contextWindow: 200_000, maxOutputTokens: 64_000 },
    },
    permission_denials: [],
    ...common(null),
  },
];

let observer: Observer;
let events: EventInput[];
const sink = () => ({ emit: (event: EventInput) => (events.push(event), observer.emit(event)) });
const ofType = (type: string) => events.filter((e) => e.type === type);

beforeEach(() => {
  events = [];
  observer = createObserver({ storage: false, analyzers: [costAnalyzer({ pricing: PRICES, replacePricing: true }), fleetAnalyzer({ pricing: PRICES, replacePricing: true })] });
  // One second between messages, so that the durations and overlaps below are the stream's order, not this machine's speed.
  vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-12-01T10:00:00Z') });
});
afterEach(async () => {
  vi.useRealTimers();
  await observer.close();
});

/** Feeds the stream through `observeClaudeAgentSdk` as a host's `for await` would, one second per message. */
async function replay(): Promise<unknown[]> {
  async function* query() {
    for (const message of STREAM) {
      yield message;
      vi.advanceTimersByTime(1000);
    }
  }
  const seen: unknown[] = [];
  for await (const message of observeClaudeAgentSdk(query(), sink())) seen.push(message);
  await observer.flush();
  return seen;
}

describe('Claude Agent SDK: observeClaudeAgentSdk / claudeAgentSdkMessages', () => {
  it('passes the stream through unchanged', async () => {
    const seen = await replay();
    expect(seen).toHaveLength(STREAM.length);
    expect(seen.every((m, i) => m === STREAM[i])).toBe(true);
  });

  it('counts each API response once, per subagent, with cache tokens apart, priced to the cent', async () => {
    await replay();
    const calls = ofType('llm.call');
    expect(payloads(calls).map((p) => p.responseId)).toEqual(['msg_01Main1', 'msg_01Res1', 'msg_01Cod1', 'msg_01Res2', 'msg_01Cod2', 'msg_01Main2']);
    expect(calls.map((c) => c.agentId)).toEqual(['main', 'researcher', 'coder', 'researcher', 'coder', 'main']);
    expect(payloads(calls)[0]).toMatchObject({ provider: 'anthropic', model: SONNET, inputTokens: 2000, outputTokens: 500, cacheReadTokens: 0, cacheWriteTokens: 10_000, requestId: 'req_01Main1', finishReason: 'tool_use', status: 'success' });
    const cost = observer.snapshot().cost as CostSnapshot;
    expect(cost.tokens).toEqual({ input: 7000, output: 2200, cacheRead: 23_500, cacheWrite: 15_000 });
    // Sonnet: 3,200 × $3 + 1,200 × $15 + 10,000 × $0.30 + 12,000 × $3.75 per million = 9,600 + 18,000 + 3,000 + 45,000 µ$ = $0.0756.
    // Haiku: 3,800 × $1 + 1,000 × $5 + 13,500 × $0.10 + 3,000 × $1.25 = 3,800 + 5,000 + 1,350 + 3,750 µ$ = $0.0139.
    expect(cost.totalUsd).toBeCloseTo(0.0895, 9);
    // researcher: 1,500 × 1 + 600 × 5 + 9,000 × 0.1 = 5,400 µ$; coder: 2,300 × 1 + 400 × 5 + 4,500 × 0.1 + 3,000 × 1.25 = 8,500 µ$.
    expect(cost.byAgent.main!.costUsd).toBeCloseTo(0.0756, 9);
    expect(cost.byAgent.researcher!.costUsd).toBeCloseTo(0.0054, 9);
    expect(cost.byAgent.coder!.costUsd).toBeCloseTo(0.0085, 9);
    expect(cost).toMatchObject({ calls: 6, pricedCalls: 6, noUsageCalls: 0 });
  });

  it('keeps the SDK result as a report, not as calls', async () => {
    await replay();
    expect(payloads(ofType('claude_agent_sdk.result'))).toEqual([
      expect.objectContaining({ subtype: 'success', isError: false, numTurns: 2, durationMs: 12_000, durationApiMs: 9_500, totalCostUsd: 0.0895 }),
    ]);
    expect((observer.snapshot().cost as CostSnapshot).calls).toBe(6);
  });

  it('reads the tools with their agents, statuses and the failure message', async () => {
    await replay();
    expect(ofType('tool.end').map((e) => [e.agentId, (e.payload as { toolName: string }).toolName, (e.payload as { status: string }).status])).toEqual([
      ['researcher', 'WebSearch', 'success'],
      ['coder', 'Bash', 'error'],
      ['main', 'Task', 'success'],
      ['main', 'Task', 'success'],
    ]);
    expect(payloads(ofType('tool.end'))[1]).toMatchObject({ toolCallId: B, error: 'Exit code 1\nnpm ERR! Missing script: "lint"', durationMs: 2000 });
    expect(payloads(ofType('tool.start'))[0]).toMatchObject({ toolName: 'Task', toolCallId: R, input: { subagent_type: 'researcher' } });
  });

  it('builds the agent tree from the Task calls, the two subagents in parallel', async () => {
    await replay();
    expect(payloads(ofType('agent.start')).map((p) => [p.name, p.parentAgentId])).toEqual([
      ['main', undefined],
      ['researcher', 'main'],
      ['coder', 'main'],
    ]);
    // Message i is read at i s: the researcher runs from its Task call (message 2) to its result (10), the coder 3 → 11;
    // main ends at the result (13) with the SDK's duration_ms.
    expect(ofType('agent.end').map((e) => [(e.payload as { name: string }).name, e.timestamp! - Date.parse('2026-12-01T10:00:00Z'), (e.payload as { durationMs: number }).durationMs])).toEqual([
      ['researcher', 10_000, 8000],
      ['coder', 11_000, 8000],
      ['main', 13_000, 12_000],
    ]);
    const fleet = observer.snapshot().fleet as FleetSnapshot;
    expect(fleet.totals.executions).toBe(3);
    expect(fleet.workflows[0]!.leafExecutions).toBe(2);
    expect(fleet.workflows[0]!.parallelizationRatio).toBeGreaterThan(0);
    expect(observer.stats().events.invalid).toBe(0);
  });

  it('shares its ids with the other Claude Code sources (trace from the session, tool span from tool_use_id)', async () => {
    await replay();
    expect(new Set(events.map((e) => e.traceId)).size).toBe(1);
    const starts = ofType('tool.start');
    const ends = ofType('tool.end');
    expect(starts.map((e) => e.spanId)).toEqual([R, C, W, B].map((id) => ends.find((e) => (e.payload as { toolCallId: string }).toolCallId === id)!.spanId));
  });

  it('ends a background subagent with its task notification, not with the placeholder tool result', () => {
    const adapter = claudeAgentSdkMessages(sink());
    const A = 'toolu_01Background000000000';
    const F = 'toolu_01BackgroundFail00000';
    const start = Date.now();
    const messages: unknown[] = [
      ...response('msg_01Bg1', SONNET, null, { input: 100, output: 10 }, [toolUse(A, 'Agent', { description: 'audit deps', prompt: 'audit', subagent_type: 'auditor' }), toolUse(F, 'Agent', { description: 'bench', prompt: 'bench', subagent_type: 'bencher' })]),
      { type: 'system', subtype: 'task_started', task_id: 'task-a', tool_use_id: A, description: 'audit deps', subagent_type: 'auditor', is_backgrounded: true, ...common(null) },
      { type: 'system', subtype: 'task_started', task_id: 'task-f', tool_use_id: F, description: 'bench', subagent_type: 'bencher', is_backgrounded: false, ...common(null) },
      // The bencher moves to the background later (task_updated names the task only).
      { type: 'system', subtype: 'task_updated', task_id: 'task-f', patch: { is_backgrounded: true }, ...common(null) },
      toolResult(null, A, 'Async agent launched successfully.', false, { status: 'async_launched' }),
      toolResult(null, F, 'Async agent launched successfully.', false, { status: 'async_launched' }),
      ...response('msg_01Aud1', HAIKU, A, { input: 200, output: 20 }, [text('no vulnerable deps')]),
      { type: 'system', subtype: 'task_notification', task_id: 'task-a', tool_use_id: A, status: 'completed', output_file: '/tmp/a.txt', summary: 'no vulnerable deps', usage: { total_tokens: 220, tool_uses: 0, duration_ms: 4000 }, ...common(null) },
      { type: 'system', subtype: 'task_notification', task_id: 'task-f', status: 'failed', output_file: '/tmp/f.txt', summary: 'benchmark crashed', ...common(null) },
    ];
    for (const message of messages) {
      adapter.handle(message);
      vi.advanceTimersByTime(1000);
    }
    // The placeholder results end the tool calls (at 5 s and 6 s), not the agents; the auditor's call is its own.
    expect(ofType('tool.end').map((e) => [(e.payload as { toolCallId: string }).toolCallId, e.timestamp! - start])).toEqual([
      [A, 5000],
      [F, 6000],
    ]);
    expect(ofType('llm.call').map((e) => e.agentId)).toEqual(['main', 'auditor']);
    expect(ofType('agent.end').map((e) => [(e.payload as { name: string }).name, (e.payload as { status: string }).status, (e.payload as { error?: string }).error, e.timestamp! - start])).toEqual([
      ['auditor', 'success', undefined, 8000],
      ['bencher', 'error', 'benchmark crashed', 9000],
    ]);
    expect(adapter.stats()).toMatchObject({ subagents: 2, llmCalls: 2, duplicateMessages: 1, ignored: 0, invalid: 0, errors: 0 });
  });

  it('never throws on bad messages and counts them', () => {
    const adapter = claudeAgentSdkMessages({ emit: () => { throw new Error('sink down'); } });
    for (const bad of [null, 42, 'x', {}, { type: 'assistant' }, { type: 'assistant', session_id: SESSION, message: { id: 'm', model: SONNET, usage: { input_tokens: -1, output_tokens: 'x' } } }]) adapter.handle(bad);
    adapter.handle(STREAM[1]);
    adapter.handle({ type: 'stream_event', session_id: SESSION, event: {} });
    expect(adapter.stats()).toMatchObject({ messages: 8, invalid: 6, ignored: 1, llmCalls: 1, errors: 2, lastError: 'sink down' });
  });
});
