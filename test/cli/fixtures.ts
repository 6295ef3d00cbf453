/**
 * Hand-built sources for the read commands' tests: a hook store of two sessions whose every figure
 * is written out below, and Claude Code transcripts of the first session that repeat one of its
 * tool calls (so merging must count it once). Not a test file itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createObserver, type EventInput, type FleetEvent } from '../../src/index.js';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { assistant, toolResult, toolUse, userPrompt, writeLines } from '../runners/claude-code-fixtures.js';
import { readAll } from '../support/ack-writer.js';
import { buildCli } from './build-cli.js';

export const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
export const S1 = 'aaaa1111-2222-4333-8444-555555555555';
export const S2 = 'aaab2222-2222-4333-8444-555555555555';
export const T1 = T0 + 2 * 3_600_000;

const HOOKS = 'claude-code-hooks';
const span = (n: number) => n.toString(16).padStart(16, '0');

/**
 * Session S1 (20 s, /home/dev/app): one turn of `main` (1 s → 15 s) with Bash toolu_1 (success,
 * 3 s), Bash toolu_2 (blocked), Read toolu_3 (error, 500 ms) and subagent Explore (agent-sub1,
 * 8 s → 12 s) running Grep toolu_4 (success, 1 s). Session S2 (10 s, /home/dev/other, 2 h later):
 * Edit toolu_9 (success, 2 s) and one LLM call (claude-opus-4-1, 1000 in / 500 out, $0.50).
 * 14 + 5 = 19 events.
 */
export function storeEvents(): EventInput[] {
  const s1 = { sessionId: S1, source: HOOKS };
  const turn = { ...s1, agentId: 'main', parentSpanId: span(2) };
  const sub = { ...s1, agentId: 'agent-sub1', parentSpanId: span(10) };
  const s2 = { sessionId: S2, source: HOOKS, agentId: 'main', parentSpanId: span(20) };
  return [
    { ...s1, agentId: 'main', type: 'session.start', timestamp: T0, spanId: span(1), payload: { cwd: '/home/dev/app' } },
    { ...s1, agentId: 'main', type: 'agent.start', timestamp: T0 + 1000, spanId: span(2), parentSpanId: span(1), payload: { name: 'main' } },
    { ...turn, type: 'tool.start', timestamp: T0 + 2000, spanId: span(3), payload: { toolName: 'Bash', toolCallId: 'toolu_1', input: { command: 'npm test' } } },
    { ...turn, type: 'tool.end', timestamp: T0 + 5000, spanId: span(3), payload: { toolName: 'Bash', toolCallId: 'toolu_1', status: 'success', durationMs: 3000 } },
    { ...turn, type: 'tool.start', timestamp: T0 + 6000, spanId: span(4), payload: { toolName: 'Bash', toolCallId: 'toolu_2', input: { command: 'rm -rf /' } } },
    { ...turn, type: 'tool.end', timestamp: T0 + 6000, spanId: span(4), payload: { toolName: 'Bash', toolCallId: 'toolu_2', status: 'blocked', durationMs: 0, error: 'guardrail: rm -rf /' } },
    { ...turn, type: 'tool.start', timestamp: T0 + 7000, spanId: span(5), payload: { toolName: 'Read', toolCallId: 'toolu_3', input: { file_path: '/nope' } } },
    { ...turn, type: 'tool.end', timestamp: T0 + 7500, spanId: span(5), payload: { toolName: 'Read', toolCallId: 'toolu_3', status: 'error', durationMs: 500, error: 'ENOENT' } },
    { ...s1, agentId: 'agent-sub1', type: 'agent.start', timestamp: T0 + 8000, spanId: span(10), parentSpanId: span(2), payload: { name: 'Explore', parentAgentId: 'main', agentType: 'Explore' } },
    { ...sub, type: 'tool.start', timestamp: T0 + 9000, spanId: span(11), payload: { toolName: 'Grep', toolCallId: 'toolu_4', input: { pattern: 'x' } } },
    { ...sub, type: 'tool.end', timestamp: T0 + 10_000, spanId: span(11), payload: { toolName: 'Grep', toolCallId: 'toolu_4', status: 'success', durationMs: 1000 } },
    { ...s1, agentId: 'agent-sub1', type: 'agent.end', timestamp: T0 + 12_000, spanId: span(10), parentSpanId: span(2), payload: { name: 'Explore', parentAgentId: 'main', status: 'success', durationMs: 4000 } },
    { ...s1, agentId: 'main', type: 'agent.end', timestamp: T0 + 15_000, spanId: span(2), parentSpanId: span(1), payload: { name: 'main', status: 'success', durationMs: 14_000 } },
    { ...s1, agentId: 'main', type: 'session.end', timestamp: T0 + 20_000, spanId: span(1), payload: { reason: 'exit', durationMs: 20_000 } },
    { ...s2, type: 'session.start', timestamp: T1, spanId: span(20), parentSpanId: undefined, payload: { cwd: '/home/dev/other' } },
    { ...s2, type: 'tool.start', timestamp: T1 + 1000, spanId: span(21), payload: { toolName: 'Edit', toolCallId: 'toolu_9', input: { file_path: 'a.ts' } } },
    { ...s2, type: 'tool.end', timestamp: T1 + 3000, spanId: span(21), payload: { toolName: 'Edit', toolCallId: 'toolu_9', status: 'success', durationMs: 2000 } },
    { ...s2, type: 'llm.call', timestamp: T1 + 4000, spanId: span(22), payload: { model: 'claude-opus-4-1', provider: 'anthropic', inputTokens: 1000, outputTokens: 500, costUsd: 0.5, status: 'success', latencyMs: 900 } },
    { ...s2, type: 'session.end', timestamp: T1 + 10_000, spanId: span(20), parentSpanId: undefined, payload: { reason: 'exit', durationMs: 10_000 } },
  ] as EventInput[];
}

/** Writes the events into a file-log store at `dir` through the public API. */
export async function writeStore(dir: string, events: readonly EventInput[] = storeEvents(), maxSegmentBytes?: number): Promise<void> {
  const observer = createObserver({ storage: fileLogStorage({ dir, maintenanceIntervalMs: 0, maxAgeMs: Infinity, ...(maxSegmentBytes ? { maxSegmentBytes } : {}) }), analyzers: [] });
  for (const e of events) {
    observer.emit(e);
    // One append per event when segments are small, so the log rotates as a live hook store does.
    if (maxSegmentBytes !== undefined) await observer.flush();
  }
  await observer.close();
}

/**
 * Transcripts of S1 as Claude Code writes them: msg_A (claude-sonnet-4-5; 100 in, 50 out, 1000
 * cache read) calls Bash toolu_1, whose result comes 3.5 s later; msg_B (10 in, 20 out) answers.
 * Merged with the store, toolu_1 is already known: 2 LLM calls are new, no tool call is.
 */
export function writeTranscripts(configDir: string): void {
  const c = { sessionId: S1, cwd: '/home/dev/app' };
  const iso = (ms: number) => new Date(T0 + ms).toISOString();
  writeLines(join(configDir, 'projects', '-home-dev-app', `${S1}.jsonl`), [
    userPrompt(c, iso(1000), 'run the tests'),
    assistant(c, iso(1500), { model: 'claude-sonnet-4-5-20250929', messageId: 'msg_A', requestId: 'req_A', usage: { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 1000 }, content: [toolUse('toolu_1', 'Bash', { command: 'npm test' })] }),
    toolResult(c, iso(5000), 'toolu_1', 'ok'),
    assistant(c, iso(5500), { model: 'claude-sonnet-4-5-20250929', messageId: 'msg_B', requestId: 'req_B', usage: { input_tokens: 10, output_tokens: 20 } }),
  ]);
}

/** Runs the built CLI. */
export function run(cli: string, args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, COLUMNS: '200', ...options.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: env as NodeJS.ProcessEnv, ...(options.cwd ? { cwd: options.cwd } : {}) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What `builtCli` hands a test file: filled in by its `beforeAll`. */
export interface BuiltCli {
  /** The built CLI's `index.js`. */
  cli: string;
  /** A temporary directory of the file's own, removed after its tests. */
  root: string;
}

/** Builds the CLI once for the calling test file and makes it a temporary directory named after `prefix`. */
export function builtCli(prefix: string): BuiltCli {
  const built: BuiltCli = { cli: '', root: '' };
  beforeAll(() => {
    built.cli = buildCli();
    built.root = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => rmSync(built.root, { recursive: true, force: true }));
  return built;
}

/** The variables that move the hook's store or change what it records (a test run inside Claude Code has CLAUDE_PROJECT_DIR). */
const HOOK_VARIABLES = ['CLAUDE_PROJECT_DIR', 'FLEETSCOPE_STORE', 'FLEETSCOPE_STORE_SCOPE', 'FLEETSCOPE_RULES', 'FLEETSCOPE_GUARDRAILS', 'FLEETSCOPE_HOOK_DEADLINE_MS', 'FLEETSCOPE_AUDIT', 'FLEETSCOPE_AUDIT_KEY'];

/**
 * The environment for a `fleetscope hook` process: without the variables above, with a 60 s deadline (tests
 * that read the store back must not lose a write to the 2 s deadline on a loaded machine; the deadline's own
 * tests set theirs in `extra`).
 */
export function hookEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of HOOK_VARIABLES) delete env[name];
  return { ...env, FLEETSCOPE_HOOK_DEADLINE_MS: '60000', ...extra };
}

/** Every event of the file-log store in `dir`. */
export async function readStore(dir: string): Promise<FleetEvent[]> {
  const log = fileLogStorage({ dir, maintenanceIntervalMs: 0 });
  const events = await readAll(log);
  await log.close();
  return events;
}
