/**
 * The hook mapping on real Claude Code payloads: 2,035 logged by hook loggers in public repositories
 * and the official hooks reference's examples (read from ../shared/real-cc/hooks, never copied here).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/core/events.js';
import { validateEvent } from '../../src/core/validate.js';
import { KNOWN_HOOK_EVENTS, mapHookPayload, type HookMappingContext, type PendingStart } from '../../src/runners/claude-code-hooks.js';
import { createGuardrails } from '../../src/guardrails/index.js';

const HOOKS = join(import.meta.dirname, '..', '..', '..', 'shared', 'real-cc', 'hooks');

interface Source {
  file: string;
  payloads: Record<string, unknown>[];
}

/** Every file, parsed; a file that is not JSON (one logger wrote a torn array) is listed apart. */
function load(): { sources: Source[]; unreadable: string[] } {
  const sources: Source[] = [];
  const unreadable: string[] = [];
  for (const dir of readdirSync(HOOKS).sort()) {
    for (const name of readdirSync(join(HOOKS, dir)).sort()) {
      const file = `${dir}/${name}`;
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(join(HOOKS, dir, name), 'utf8'));
      } catch {
        unreadable.push(file);
        continue;
      }
      sources.push({ file, payloads: (Array.isArray(json) ? json : [json]) as Record<string, unknown>[] });
    }
  }
  return { sources, unreadable };
}

function context(): HookMappingContext {
  const pending = new Map<string, PendingStart>();
  let n = 0;
  const guardrails = createGuardrails();
  return {
    now: 1_700_000_000_000,
    newId: () => `id-${++n}`,
    newSpanId: () => (++n).toString(16).padStart(16, '0'),
    pending: {
      put: (k, v) => pending.set(k, v),
      take: (k) => {
        const v = pending.get(k);
        pending.delete(k);
        return v;
      },
      peek: (k) => pending.get(k),
    },
    guard: (tool, input) => guardrails.check(tool, input),
  };
}

function valid(events: FleetEvent[]): void {
  for (const e of events) {
    const r = validateEvent(e, { defaults: { source: 'x', sessionId: 'x', agentId: 'x' } });
    expect(r.ok, r.ok ? '' : `${e.type}: ${r.reason}`).toBe(true);
  }
}

describe('hook mapping on real payloads', () => {
  const { sources, unreadable } = load();
  const all = sources.flatMap((s) => s.payloads.map((p) => ({ file: s.file, p })));

  it('reads every file but the one torn log', () => {
    expect(unreadable).toEqual(['teamwork/pre_tool_use.json']);
    expect(sources.find((s) => s.file.startsWith('docs-examples/'))).toBeDefined();
  });

  it('every payload with hook_event_name maps to valid events, none unreadable; logger-renamed ones are reported', () => {
    const ctx = context();
    let mapped = 0;
    let problems = 0;
    const expectedProblems = all.filter(({ p }) => typeof p.hook_event_name !== 'string').length;
    for (const { file, p } of all) {
      const r = mapHookPayload(p, ctx);
      valid(r.events);
      expect(r.events.length, file).toBeGreaterThan(0);
      if (r.problem !== undefined) problems++;
      else mapped++;
    }
    // Two loggers rewrote the keys in camelCase (sessionId, hookEventName): 11 + 117 payloads.
    expect(expectedProblems).toBe(128);
    expect(problems).toBe(expectedProblems);
    expect(mapped).toBe(all.length - 128);
  });

  it("tool.end takes Claude Code's own duration_ms when the payload has it (130 logged payloads + the reference's 2)", () => {
    const ctx = context();
    const withDuration = all.filter(
      ({ p }) => (p.hook_event_name === 'PostToolUse' || p.hook_event_name === 'PostToolUseFailure') && typeof p.duration_ms === 'number',
    );
    const real = withDuration.filter(({ file }) => !file.startsWith('docs-examples/'));
    expect(real.length).toBe(130);
    expect(withDuration.length).toBe(132);
    for (const { p } of withDuration) {
      const [end] = mapHookPayload(p, ctx).events;
      expect(end).toMatchObject({ type: 'tool.end', payload: { durationMs: p.duration_ms } });
    }
  });

  it("the reference's examples: each event kind to its fleetscope type", () => {
    const expected: Record<string, string[]> = {
      PreToolUse: ['tool.start'],
      SessionStart: ['session.start'],
      Setup: ['claude_code.setup'],
      InstructionsLoaded: ['claude_code.instructions_loaded'],
      UserPromptSubmit: ['message', 'agent.start'],
      UserPromptExpansion: ['claude_code.user_prompt_expansion'],
      MessageDisplay: ['claude_code.message_display'],
      PermissionRequest: ['claude_code.permission_request'],
      PostToolUse: ['tool.end'],
      PostToolUseFailure: ['tool.end'],
      PostToolBatch: ['claude_code.tool_batch'],
      PermissionDenied: ['tool.end'],
      Notification: ['message'],
      SubagentStart: ['agent.start'],
      SubagentStop: ['agent.end'],
      TaskCreated: ['claude_code.task_created'],
      TaskCompleted: ['claude_code.task_completed'],
      Stop: ['agent.end'],
      StopFailure: ['agent.end'],
      TeammateIdle: ['claude_code.teammate_idle'],
      ConfigChange: ['claude_code.config_change'],
      CwdChanged: ['claude_code.cwd_changed'],
      DirectoryAdded: ['claude_code.directory_added'],
      FileChanged: ['claude_code.file_changed'],
      WorktreeCreate: ['claude_code.worktree_create'],
      WorktreeRemove: ['claude_code.worktree_remove'],
      PreCompact: ['claude_code.compaction'],
      PostCompact: ['claude_code.compaction'],
      SessionEnd: ['session.end'],
      Elicitation: ['claude_code.elicitation'],
      ElicitationResult: ['claude_code.elicitation_result'],
    };
    const docs = sources.filter((s) => s.file.startsWith('docs-examples/'));
    const kinds = new Set(docs.map((s) => s.payloads[0]!.hook_event_name as string));
    expect(kinds.size).toBe(31);
    for (const kind of kinds) expect(KNOWN_HOOK_EVENTS as readonly string[], kind).toContain(kind);
    const ctx = context();
    for (const s of docs) {
      const p = s.payloads[0]!;
      const r = mapHookPayload(p, ctx);
      expect(r.events.map((e) => e.type), s.file).toEqual(expected[p.hook_event_name as string]);
    }
  });

  it('the new events mean what they say: a failed turn, agent output, a denied call, a batch, a compaction', () => {
    const doc = (n: string) => sources.find((s) => s.file.startsWith('docs-examples/') && s.file.endsWith(`-${n}.json`))!.payloads[0]!;
    const ctx = context();
    const [fail] = mapHookPayload(doc('StopFailure'), ctx).events;
    expect(fail).toMatchObject({ severity: 'error', payload: { name: 'main', status: 'error', error: 'rate_limit: 429 Too Many Requests', output: 'API Error: Rate limit reached' } });
    const [sub] = mapHookPayload(doc('SubagentStop'), ctx).events;
    expect(sub).toMatchObject({ agentId: 'def456', payload: { status: 'success', output: 'Analysis complete. Found 3 potential issues...' } });
    expect(sub!.attributes).toMatchObject({ 'claude_code.agent_transcript_path': '~/.claude/projects/.../abc123/subagents/agent-def456.jsonl' });
    const [denied] = mapHookPayload(doc('PermissionDenied'), ctx).events;
    expect(denied).toMatchObject({ payload: { status: 'blocked', error: 'Blocked by classifier', toolName: 'Bash', durationMs: 0 } });
    const [batch] = mapHookPayload(doc('PostToolBatch'), ctx).events;
    expect(batch!.payload).toEqual({ count: 2, tools: [{ toolName: 'Read', toolCallId: 'toolu_01...' }, { toolName: 'Read', toolCallId: 'toolu_02...' }] });
    const c1 = mapHookPayload(doc('PreCompact'), { ...ctx, now: 1000 }).events[0]!;
    const c2 = mapHookPayload(doc('PostCompact'), { ...ctx, now: 4500 }).events[0]!;
    expect(c1.payload).toEqual({ phase: 'start', trigger: 'manual' });
    expect(c2.payload).toEqual({ phase: 'end', trigger: 'manual', summary: 'Summary of the compacted conversation...', durationMs: 3500 });
    expect(c2.spanId).toBe(c1.spanId);
    const [pre] = mapHookPayload(doc('PreToolUse'), ctx).events;
    expect(pre!.attributes).toMatchObject({ 'claude_code.prompt_id': '550e8400-e29b-41d4-a716-446655440000' });
  });
});
