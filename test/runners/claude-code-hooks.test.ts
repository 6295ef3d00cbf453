import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../src/core/validate.js';
import { traceIdFrom } from '../../src/core/ids.js';
import type { FleetEvent } from '../../src/core/events.js';
import { mapHookPayload, spanIdFrom, type HookMappingContext, type PendingStart } from '../../src/runners/claude-code-hooks.js';
import { createGuardrails } from '../../src/guardrails/index.js';

const SESSION = 'abc12345-6789-4def-8123-456789abcdef';
const common = {
  session_id: SESSION,
  transcript_path: `/home/dev/.claude/projects/-home-dev-app/${SESSION}.jsonl`,
  cwd: '/home/dev/app',
  permission_mode: 'default',
};

function context(now: number, pending = new Map<string, PendingStart>()): HookMappingContext & { store: Map<string, PendingStart> } {
  let n = 0;
  let s = 0;
  return {
    now,
    newId: () => `id-${++n}`,
    newSpanId: () => (++s).toString(16).padStart(16, '0'),
    pending: { put: (k, v) => pending.set(k, v), take: (k) => { const v = pending.get(k); pending.delete(k); return v; } },
    store: pending,
  };
}

function valid(events: FleetEvent[]): FleetEvent[] {
  for (const e of events) {
    const r = validateEvent(e, { defaults: { source: 'x', sessionId: 'x', agentId: 'x' } });
    expect(r.ok, r.ok ? '' : r.reason).toBe(true);
  }
  return events;
}

describe('mapHookPayload', () => {
  it('SessionStart / SessionEnd: one session span per session_id, duration from the pending start', () => {
    const pending = new Map<string, PendingStart>();
    const start = mapHookPayload({ ...common, hook_event_name: 'SessionStart', source: 'startup' }, context(1000, pending));
    const end = mapHookPayload({ ...common, hook_event_name: 'SessionEnd', reason: 'prompt_input_exit' }, context(61_000, pending));
    const [s] = valid(start.events);
    const [e] = valid(end.events);
    expect(s).toMatchObject({ type: 'session.start', sessionId: SESSION, agentId: 'main', traceId: traceIdFrom(SESSION), payload: { reason: 'startup', cwd: '/home/dev/app' } });
    expect(e).toMatchObject({ type: 'session.end', payload: { reason: 'prompt_input_exit', durationMs: 60_000 } });
    expect(e!.spanId).toBe(s!.spanId);
    expect(traceIdFrom(SESSION)).toBe('abc1234567894def8123456789abcdef');
  });

  it('UserPromptSubmit -> user prompt message + main turn; Stop ends the turn with its duration', () => {
    const pending = new Map<string, PendingStart>();
    const prompt = valid(mapHookPayload({ ...common, hook_event_name: 'UserPromptSubmit', prompt: 'fix the bug' }, context(5000, pending)).events);
    expect(prompt.map((e) => e.type)).toEqual(['message', 'agent.start']);
    expect(prompt[0]!.payload).toEqual({ role: 'user', kind: 'prompt', text: 'fix the bug' });
    const stop = valid(mapHookPayload({ ...common, hook_event_name: 'Stop', stop_hook_active: false }, context(12_500, pending)).events);
    expect(stop[0]).toMatchObject({ type: 'agent.end', agentId: 'main', payload: { name: 'main', status: 'success', durationMs: 7500 } });
    expect(stop[0]!.spanId).toBe(prompt[1]!.spanId);
  });

  it('PreToolUse / PostToolUse pair by tool_use_id: same span, duration, output; attributed to the subagent', () => {
    const pending = new Map<string, PendingStart>();
    const sub = { agent_id: 'a7f3c2e', agent_type: 'Explore' };
    const pre = valid(
      mapHookPayload({ ...common, ...sub, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 'toolu_01X' }, context(2000, pending)).events,
    );
    const post = valid(
      mapHookPayload(
        { ...common, ...sub, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 'toolu_01X', tool_response: { stdout: 'a\nb', stderr: '' } },
        context(2350, pending),
      ).events,
    );
    expect(pre[0]).toMatchObject({ type: 'tool.start', agentId: 'a7f3c2e', payload: { toolName: 'Bash', toolCallId: 'toolu_01X', input: { command: 'ls' } } });
    expect(post[0]).toMatchObject({
      type: 'tool.end',
      agentId: 'a7f3c2e',
      payload: { toolName: 'Bash', toolCallId: 'toolu_01X', status: 'success', durationMs: 350, output: { stdout: 'a\nb', stderr: '' } },
    });
    expect(post[0]!.spanId).toBe(pre[0]!.spanId);
    expect(pre[0]!.parentSpanId).toBe(spanIdFrom(`agent:${SESSION}:a7f3c2e`));
    expect(pending.size).toBe(0);
  });

  it('PostToolUseFailure -> tool.end error with the message; no PreToolUse seen -> no duration', () => {
    const [end] = valid(
      mapHookPayload(
        { ...common, hook_event_name: 'PostToolUseFailure', tool_name: 'Bash', tool_input: { command: 'npm test' }, tool_use_id: 'toolu_02', error: 'Command exited with non-zero status code 1', is_interrupt: false },
        context(1),
      ).events,
    );
    expect(end).toMatchObject({ type: 'tool.end', severity: 'error', payload: { status: 'error', error: 'Command exited with non-zero status code 1' } });
    expect((end!.payload as { durationMs?: number }).durationMs).toBeUndefined();
  });

  it('SubagentStart / SubagentStop -> agent.start / agent.end of the subagent, parent main', () => {
    const pending = new Map<string, PendingStart>();
    const start = valid(mapHookPayload({ ...common, hook_event_name: 'SubagentStart', agent_id: 'a1', agent_type: 'Plan' }, context(100, pending)).events);
    const stop = valid(
      mapHookPayload(
        { ...common, hook_event_name: 'SubagentStop', agent_id: 'a1', agent_type: 'Plan', stop_hook_active: false, agent_transcript_path: '/x/subagents/agent-a1.jsonl', last_assistant_message: 'Plan: split the parser in two.' },
        context(4100, pending),
      ).events,
    );
    expect(start[0]).toMatchObject({ type: 'agent.start', agentId: 'a1', payload: { name: 'Plan', agentType: 'Plan', parentAgentId: 'main' } });
    // The subagent's last message is its output.
    expect(stop[0]).toMatchObject({ type: 'agent.end', agentId: 'a1', payload: { name: 'Plan', status: 'success', durationMs: 4000, output: 'Plan: split the parser in two.' } });
    expect(stop[0]!.spanId).toBe(start[0]!.spanId);
  });

  it('Notification -> notification message; PreCompact -> compaction, other events -> namespaced custom events', () => {
    const [n] = valid(mapHookPayload({ ...common, hook_event_name: 'Notification', message: 'Claude needs your permission to use Bash', notification_type: 'permission_prompt' }, context(1)).events);
    expect(n).toMatchObject({ type: 'message', payload: { role: 'notification', kind: 'permission_prompt', text: 'Claude needs your permission to use Bash' } });
    const [c] = valid(mapHookPayload({ ...common, hook_event_name: 'PreCompact', trigger: 'auto', custom_instructions: '' }, context(1)).events);
    expect(c).toMatchObject({ type: 'claude_code.compaction', payload: { phase: 'start', trigger: 'auto' } });
    const [u] = valid(mapHookPayload({ ...common, hook_event_name: 'PermissionRequest', tool_name: 'Bash' }, context(1)).events);
    expect(u).toMatchObject({ type: 'claude_code.permission_request', payload: { tool_name: 'Bash' } });
  });

  it('a blocking guardrail: tool.start, an alert and tool.end blocked, and the reason to print', () => {
    const guardrails = createGuardrails();
    const ctx = { ...context(1), guard: (t: string, i: unknown) => guardrails.check(t, i) };
    const result = mapHookPayload({ ...common, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'rm -rf ~' }, tool_use_id: 'toolu_03' }, ctx);
    valid(result.events);
    expect(result.events.map((e) => e.type)).toEqual(['tool.start', 'alert', 'tool.end']);
    expect(result.events[2]!.payload).toMatchObject({ status: 'blocked', toolCallId: 'toolu_03' });
    expect(result.block).toContain('rm-rf-root-or-home');
    expect(ctx.store.size).toBe(0);
  });

  it('bad input never throws: non-object, missing hook_event_name', () => {
    for (const bad of [null, 42, 'x', [], {}, { session_id: SESSION }]) {
      const r = mapHookPayload(bad, context(1));
      expect(r.problem).toBeTypeOf('string');
      valid(r.events);
      expect(r.events[0]).toMatchObject({ type: 'log', severity: 'warning' });
    }
  });

  it('caps a huge tool_response and marks the event truncated', () => {
    const big = 'x'.repeat(100_000);
    const [e] = mapHookPayload({ ...common, hook_event_name: 'PostToolUse', tool_name: 'Read', tool_use_id: 't', tool_response: big }, context(1)).events;
    expect(e!.truncated).toBe(true);
    expect(String((e!.payload as { output: string }).output).length).toBeLessThan(17 * 1024);
  });
});

describe('spanIdFrom', () => {
  it('gives the span ids stores already hold: the first 16 digits of traceIdFrom(`span:` + id)', () => {
    for (const id of ['tool:toolu_01ABCdef', `session:${'9a8b7c6d-0000-4000-8000-000000000001'}`, 'agent:s:a1', '', 'é'.repeat(300)]) {
      expect(spanIdFrom(id)).toBe(traceIdFrom(`span:${id}`).slice(0, 16));
    }
  });
});
