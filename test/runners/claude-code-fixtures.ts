/**
 * Claude Code transcript lines in the real format (as Claude Code 2.x writes them: one JSON object
 * per line, keys in Claude Code's order), for tests and the benchmark. Not a test file itself.
 */
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Common {
  sessionId: string;
  cwd?: string;
  version?: string;
  isSidechain?: boolean;
  agentId?: string;
  parentUuid?: string | null;
}

let counter = 0;
export function uuid(): string {
  counter++;
  const hex = counter.toString(16).padStart(12, '0');
  return `5f0c${hex.slice(0, 4)}-1b2c-4d3e-8f40-${hex}`;
}

function head(c: Common, uuidValue: string): Record<string, unknown> {
  return {
    parentUuid: c.parentUuid ?? null,
    isSidechain: c.isSidechain ?? false,
    userType: 'external',
    cwd: c.cwd ?? '/home/dev/src/app',
    sessionId: c.sessionId,
    version: c.version ?? '2.0.61',
    gitBranch: 'main',
    ...(c.agentId !== undefined ? { agentId: c.agentId } : {}),
    _uuid: uuidValue,
  };
}

function finish(obj: Record<string, unknown>): string {
  const { _uuid, ...rest } = obj;
  void _uuid;
  return JSON.stringify(rest);
}

export function userPrompt(c: Common, timestamp: string, text: string, id = uuid()): string {
  const h = head(c, id);
  return finish({ ...h, type: 'user', message: { role: 'user', content: text }, uuid: id, timestamp });
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  speed?: 'standard' | 'fast';
}

export interface AssistantOptions {
  model: string;
  messageId: string;
  requestId?: string;
  usage: Usage;
  content?: unknown[];
  costUSD?: number;
  id?: string;
}

export function assistant(c: Common, timestamp: string, o: AssistantOptions): string {
  const id = o.id ?? uuid();
  const h = head(c, id);
  const usage = {
    input_tokens: o.usage.input_tokens,
    ...(o.usage.cache_creation_input_tokens !== undefined
      ? {
          cache_creation_input_tokens: o.usage.cache_creation_input_tokens,
          cache_creation: { ephemeral_5m_input_tokens: o.usage.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 },
        }
      : {}),
    ...(o.usage.cache_read_input_tokens !== undefined ? { cache_read_input_tokens: o.usage.cache_read_input_tokens } : {}),
    output_tokens: o.usage.output_tokens,
    service_tier: 'standard',
    ...(o.usage.speed !== undefined ? { speed: o.usage.speed } : {}),
  };
  return finish({
    ...h,
    message: {
      model: o.model,
      id: o.messageId,
      type: 'message',
      role: 'assistant',
      content: o.content ?? [{ type: 'text', text: 'Done.' }],
      stop_reason: null,
      stop_sequence: null,
      usage,
    },
    ...(o.requestId !== undefined ? { requestId: o.requestId } : {}),
    ...(o.costUSD !== undefined ? { costUSD: o.costUSD } : {}),
    type: 'assistant',
    uuid: id,
    timestamp,
  });
}

export function toolUse(id: string, name: string, input: Record<string, unknown>): Record<string, unknown> {
  return { type: 'tool_use', id, name, input };
}

export function toolResult(c: Common, timestamp: string, toolUseId: string, output: string, isError = false): string {
  const id = uuid();
  const h = head(c, id);
  return finish({
    ...h,
    type: 'user',
    message: { role: 'user', content: [{ tool_use_id: toolUseId, type: 'tool_result', content: output, is_error: isError }] },
    uuid: id,
    timestamp,
    toolUseResult: { stdout: output, stderr: '', interrupted: false, isImage: false },
  });
}

/** The Task (subagent) tool's result: Claude Code's toolUseResult names the agent and its totals. */
export function taskResult(c: Common, timestamp: string, toolUseId: string, agentId: string, agentType: string, totalDurationMs: number): string {
  const id = uuid();
  return finish({
    ...head(c, id),
    type: 'user',
    message: { role: 'user', content: [{ tool_use_id: toolUseId, type: 'tool_result', content: [{ type: 'text', text: `Found it.\nagentId: ${agentId}` }] }] },
    uuid: id,
    timestamp,
    toolUseResult: {
      status: 'completed',
      agentId,
      agentType,
      content: [{ type: 'text', text: 'Found it.' }],
      totalDurationMs,
      totalTokens: 10840,
      totalToolUseCount: 1,
      usage: { input_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 5000, output_tokens: 120 },
    },
  });
}

export function summary(text: string, leafUuid: string): string {
  return JSON.stringify({ type: 'summary', summary: text, leafUuid });
}

export function snapshot(messageId: string, timestamp: string): string {
  return JSON.stringify({
    type: 'file-history-snapshot',
    messageId,
    snapshot: { messageId, trackedFileBackups: {}, timestamp },
    isSnapshotUpdate: false,
  });
}

export function systemLine(c: Common, timestamp: string, content: string): string {
  const id = uuid();
  return finish({ ...head(c, id), type: 'system', subtype: 'compact_boundary', content, level: 'info', uuid: id, timestamp });
}

export function writeLines(path: string, lines: readonly string[], append = false): void {
  mkdirSync(dirname(path), { recursive: true });
  const text = lines.map((l) => `${l}\n`).join('');
  if (append) appendFileSync(path, text);
  else writeFileSync(path, text);
}

/**
 * Two projects, three sessions over three New York days (one crossing UTC midnight), four models,
 * streaming duplicates inside a file, a resumed session that copies an earlier entry, a subagent
 * transcript, an entry with costUSD, a fast-mode entry, a tiered (>200k) entry, a <synthetic> entry,
 * and lines that ccusage ignores (string content with usage, bad timestamp, malformed JSON).
 */
export function writeUsageFixture(root: string): void {
  const projA = join(root, 'projects', '-home-dev-src-app');
  const projB = join(root, 'projects', '-home-dev-src-lib');
  const s1 = { sessionId: '0b7f2c1e-1111-4a2b-9c3d-000000000001' };
  const s2 = { sessionId: '0b7f2c1e-2222-4a2b-9c3d-000000000002' };
  const s3 = { sessionId: '0b7f2c1e-3333-4a2b-9c3d-000000000003', cwd: '/home/dev/src/lib' };
  writeLines(join(projA, `${s1.sessionId}.jsonl`), [
    summary('Fix the flaky test', 'leaf-1'),
    snapshot('m-snap', '2025-03-01T14:00:00.000Z'),
    userPrompt(s1, '2025-03-01T14:00:00.500Z', 'fix the flaky test'),
    // Streaming: two entries of one message (same message.id + requestId) -> counted once.
    assistant(s1, '2025-03-01T14:00:03.000Z', {
      model: 'claude-sonnet-4-5-20250929',
      messageId: 'msg_01A',
      requestId: 'req_01A',
      usage: { input_tokens: 10, output_tokens: 200, cache_creation_input_tokens: 3000, cache_read_input_tokens: 12000 },
      content: [toolUse('toolu_task', 'Task', { description: 'Find the flaky test', prompt: 'Find the flaky test', subagent_type: 'Explore' })],
    }),
    assistant(s1, '2025-03-01T14:00:03.100Z', {
      model: 'claude-sonnet-4-5-20250929',
      messageId: 'msg_01A',
      requestId: 'req_01A',
      usage: { input_tokens: 10, output_tokens: 200, cache_creation_input_tokens: 3000, cache_read_input_tokens: 12000 },
      content: [toolUse('toolu_01', 'Bash', { command: 'npm test' })],
    }),
    taskResult(s1, '2025-03-01T14:00:08.500Z', 'toolu_task', 'a1b2c3d', 'Explore', 4500),
    toolResult(s1, '2025-03-01T14:00:09.000Z', 'toolu_01', 'FAIL test/a.test.ts', true),
    // Tiered: 250k cache-read tokens on a model priced above 200k.
    assistant(s1, '2025-03-01T14:01:00.000Z', {
      model: 'claude-sonnet-4-5-20250929',
      messageId: 'msg_01B',
      requestId: 'req_01B',
      usage: { input_tokens: 5, output_tokens: 900, cache_creation_input_tokens: 1000, cache_read_input_tokens: 250_000 },
    }),
    // Late evening in New York = next day in UTC.
    assistant(s1, '2025-03-02T03:30:00.000Z', {
      model: 'claude-opus-4-1-20250805',
      messageId: 'msg_01C',
      requestId: 'req_01C',
      usage: { input_tokens: 7, output_tokens: 1500, cache_creation_input_tokens: 200, cache_read_input_tokens: 40_000 },
    }),
    // costUSD wins over the price table in ccusage's auto mode.
    assistant(s1, '2025-03-02T03:31:00.000Z', {
      model: 'claude-opus-4-1-20250805',
      messageId: 'msg_01D',
      requestId: 'req_01D',
      usage: { input_tokens: 1, output_tokens: 10 },
      costUSD: 0.5,
    }),
    // No requestId: never deduplicated; <synthetic>: in totals, not in breakdowns.
    assistant(s1, '2025-03-02T03:32:00.000Z', {
      model: '<synthetic>',
      messageId: 'msg_01E',
      usage: { input_tokens: 0, output_tokens: 0 },
    }),
    // Ignored by ccusage: content is a string (schema wants an array).
    JSON.stringify({
      type: 'assistant',
      sessionId: s1.sessionId,
      timestamp: '2025-03-02T03:33:00.000Z',
      message: { model: 'claude-opus-4-1-20250805', id: 'msg_bad', content: 'oops', usage: { input_tokens: 999, output_tokens: 999 } },
      requestId: 'req_bad',
    }),
    // Ignored: timestamp without Z.
    JSON.stringify({
      type: 'assistant',
      timestamp: '2025-03-02T03:34:00',
      message: { model: 'claude-opus-4-1-20250805', id: 'msg_bad2', usage: { input_tokens: 999, output_tokens: 999 } },
    }),
    '{"type":"assistant","message":{"usage":{"input_tokens":5', // truncated JSON
    systemLine(s1, '2025-03-02T03:35:00.000Z', 'Conversation compacted'),
  ]);
  // A subagent of session 1.
  const sub = { sessionId: s1.sessionId, isSidechain: true, agentId: 'a1b2c3d' };
  writeLines(join(projA, s1.sessionId, 'subagents', 'agent-a1b2c3d.jsonl'), [
    userPrompt(sub, '2025-03-01T14:00:04.000Z', 'Find the flaky test'),
    assistant(sub, '2025-03-01T14:00:06.000Z', {
      model: 'claude-haiku-4-5-20251001',
      messageId: 'msg_SA',
      requestId: 'req_SA',
      usage: { input_tokens: 300, output_tokens: 400, cache_creation_input_tokens: 5000, cache_read_input_tokens: 0 },
      content: [toolUse('toolu_S1', 'Grep', { pattern: 'flaky' })],
    }),
    toolResult(sub, '2025-03-01T14:00:06.500Z', 'toolu_S1', 'test/a.test.ts'),
    assistant(sub, '2025-03-01T14:00:08.000Z', {
      model: 'claude-haiku-4-5-20251001',
      messageId: 'msg_SB',
      requestId: 'req_SB',
      usage: { input_tokens: 20, output_tokens: 120, cache_read_input_tokens: 5000 },
    }),
  ]);
  // Session 2 resumes session 1: its first assistant line copies msg_01C (counted once, in s1).
  writeLines(join(projA, `${s2.sessionId}.jsonl`), [
    userPrompt(s2, '2025-03-02T15:00:00.000Z', 'continue'),
    assistant(s2, '2025-03-02T03:30:00.000Z', {
      model: 'claude-opus-4-1-20250805',
      messageId: 'msg_01C',
      requestId: 'req_01C',
      usage: { input_tokens: 7, output_tokens: 1500, cache_creation_input_tokens: 200, cache_read_input_tokens: 40_000 },
    }),
    assistant(s2, '2025-03-02T15:00:05.000Z', {
      model: 'claude-opus-4-6',
      messageId: 'msg_02A',
      requestId: 'req_02A',
      usage: { input_tokens: 3, output_tokens: 700, cache_creation_input_tokens: 900, cache_read_input_tokens: 30_000, speed: 'fast' },
    }),
  ]);
  writeLines(join(projB, `${s3.sessionId}.jsonl`), [
    userPrompt(s3, '2025-03-04T10:00:00.000Z', 'add a parser'),
    assistant(s3, '2025-03-04T10:00:04.000Z', {
      model: 'claude-sonnet-4-5-20250929',
      messageId: 'msg_03A',
      requestId: 'req_03A',
      usage: { input_tokens: 12, output_tokens: 3000, cache_creation_input_tokens: 8000, cache_read_input_tokens: 16_000 },
    }),
    // An unknown model: no price, cost 0 (ccusage logs nothing in JSON mode).
    assistant(s3, '2025-03-04T10:02:00.000Z', {
      model: 'some-other-model',
      messageId: 'msg_03B',
      requestId: 'req_03B',
      usage: { input_tokens: 100, output_tokens: 100 },
    }),
  ]);
}


/** Replaces every cost by its value in cents, rounded: "to the cent". */
export function centsOnly(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(centsOnly);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, (k === 'cost' || k === 'totalCost') && typeof v === 'number' ? Math.round(v * 100) : centsOnly(v)]),
    );
  }
  return value;
}


/**
 * One response as Claude Code 2.x streams it: a line per content block, same `message.id` and
 * `requestId`, `output_tokens` growing from copy to copy (`outputs`, one per block), and the
 * 1-hour part of the cache writes in `usage.cache_creation`.
 */
export function streamedCopies(
  c: Common,
  times: readonly string[],
  o: { model: string; messageId: string; requestId: string; input: number; write5m: number; write1h: number; read: number; outputs: readonly number[]; blocks?: readonly unknown[] },
): string[] {
  return o.outputs.map((output, k) => {
    const id = uuid();
    const usage = {
      input_tokens: o.input,
      cache_creation_input_tokens: o.write5m + o.write1h,
      cache_read_input_tokens: o.read,
      cache_creation: { ephemeral_5m_input_tokens: o.write5m, ephemeral_1h_input_tokens: o.write1h },
      output_tokens: output,
      service_tier: 'standard',
    };
    const content = [o.blocks?.[k] ?? { type: 'text', text: `part ${k + 1}` }];
    const message = { model: o.model, id: o.messageId, type: 'message', role: 'assistant', content, stop_reason: null, stop_sequence: null, usage };
    return finish({ ...head(c, id), message, requestId: o.requestId, type: 'assistant', uuid: id, timestamp: times[k] ?? times[times.length - 1] });
  });
}

/** An `agent_progress` line: Claude Code 2.x echoing a subagent's response into its parent's transcript. */
export function agentProgress(c: Common, timestamp: string, agentId: string, parentToolUseId: string, o: { model: string; messageId: string; requestId: string; input: number; output: number }): string {
  const id = uuid();
  const inner = {
    type: 'assistant',
    timestamp,
    requestId: o.requestId,
    message: { model: o.model, id: o.messageId, type: 'message', role: 'assistant', content: [{ type: 'text', text: 'working' }], usage: { input_tokens: o.input, output_tokens: o.output } },
  };
  return finish({ ...head(c, id), type: 'progress', data: { type: 'agent_progress', agentId, message: inner }, parentToolUseID: parentToolUseId, uuid: id, timestamp });
}

export const STREAMED_SESSION = '5e55a000-1b2c-4d3e-8f40-000000000001';

/**
 * A session whose cost is computed by hand (claude-sonnet-4-5: $3 / $15 per million in / out,
 * 5-minute cache write $3.75, 1-hour write $6 (2x input), cache read $0.30):
 * - msg_A, 3 copies, output 5 → 40 → 120, a tool result between copies 2 and 3: 10 in, 600 5-minute
 *   + 400 1-hour writes, 2000 read: 30 + 1800 + 2250 + 2400 + 600 = 7080 µ$;
 * - msg_B, one copy, 20 in / 30 out: 60 + 450 = 510 µ$;
 * - msg_C of subagent x1 (own file, 2 copies 8 → 50; echoed in the parent with 8): 5 in, 1000 read:
 *   15 + 750 + 300 = 1065 µ$;
 * - msg_D of subagent y2, whose file is missing: two echoes, 3 → 12, 7 in: 21 + 180 = 201 µ$.
 * Total $0.008856; tokens 42 in, 212 out, 1000 written, 3000 read. (ccusage 18 counts the first
 * copies, every write at $3.75 and no echo: A 30 + 75 + 3750 + 600, B 510, C 15 + 120 + 300.)
 */
export function writeStreamedFixture(root: string): void {
  const c = { sessionId: STREAMED_SESSION };
  const sub = { sessionId: STREAMED_SESSION, isSidechain: true, agentId: 'x1' };
  const at = (s: number) => new Date(Date.UTC(2025, 8, 1, 10, 0, s)).toISOString();
  const model = 'claude-sonnet-4-5-20250929';
  const project = join(root, 'projects', '-home-dev-src-app');
  writeLines(join(project, `${STREAMED_SESSION}.jsonl`), [
    userPrompt(c, at(0), 'fix the build'),
    ...streamedCopies(c, [at(1), at(2)], { model, messageId: 'msg_A', requestId: 'req_A', input: 10, write5m: 600, write1h: 400, read: 2000, outputs: [5, 40], blocks: [undefined, toolUse('toolu_A', 'Bash', { command: 'npm run build' })] }),
    toolResult(c, at(3), 'toolu_A', 'built'),
    ...streamedCopies(c, [at(4)], { model, messageId: 'msg_A', requestId: 'req_A', input: 10, write5m: 600, write1h: 400, read: 2000, outputs: [120] }),
    ...streamedCopies(c, [at(5)], { model, messageId: 'msg_B', requestId: 'req_B', input: 20, write5m: 0, write1h: 0, read: 0, outputs: [30] }),
    agentProgress(c, at(7), 'x1', 'toolu_T1', { model, messageId: 'msg_C', requestId: 'req_C', input: 5, output: 8 }),
    agentProgress(c, at(8), 'y2', 'toolu_T2', { model, messageId: 'msg_D', requestId: 'req_D', input: 7, output: 3 }),
    agentProgress(c, at(9), 'y2', 'toolu_T2', { model, messageId: 'msg_D', requestId: 'req_D', input: 7, output: 12 }),
  ]);
  writeLines(join(project, STREAMED_SESSION, 'subagents', 'agent-x1.jsonl'), [
    userPrompt(sub, at(6), 'look for the failing import'),
    ...streamedCopies(sub, [at(7), at(8)], { model, messageId: 'msg_C', requestId: 'req_C', input: 5, write5m: 0, write1h: 0, read: 1000, outputs: [8, 50] }),
  ]);
}
