/**
 * Claude Code hooks -> fleetscope events. `mapHookPayload` is pure given its context (clock, ids,
 * pending starts): one hook payload (the JSON Claude Code writes on the hook's stdin) becomes a few
 * complete `FleetEvent`s. Each hook runs in its own process, so a tool's start time travels from
 * PreToolUse to PostToolUse through a small pending-starts store (`claude-code-hook-store.ts`).
 *
 * Span ids are derived from Claude Code's own ids (session, agent, tool_use_id), so events written
 * by different processes line up without coordination: a session span per `session_id`, an agent
 * span per subagent `agent_id`, a tool span per `tool_use_id`, a turn span per prompt (main agent).
 *
 * This module is on the hook's hot path: it imports nothing heavy (core ids only).
 */
import { hashHex, traceIdFrom } from '../core/ids.js';
import type { FleetEvent, Severity } from '../core/events.js';
import { ATTRIBUTE_FIELDS, cap, COMMON_FIELDS, errorText, failureText, snakeCase, str, tokenFields, type ClaudeHookPayload } from './claude-code-hook-payload.js';

export { KNOWN_HOOK_EVENTS, snakeCase, type ClaudeHookPayload } from './claude-code-hook-payload.js';

/** `source` of every event the hook writes. */
export const HOOK_SOURCE = 'claude-code-hooks';

/** Start of a span written by an earlier hook process. */
export interface PendingStart {
  timestamp: number;
  spanId?: string;
}

/** Where span starts wait for their end (a directory of small files in the hook store). */
export interface PendingStarts {
  put(key: string, start: PendingStart): void;
  /** Returns and forgets the start; undefined when there is none. */
  take(key: string): PendingStart | undefined;
  /** Returns the start and keeps it (the open turn a tool call belongs to). Optional: without it, tools hang off the session. */
  peek?(key: string): PendingStart | undefined;
}

/** A guardrail's verdict as the mapping records it (the shape of `GuardrailMatch` of `fleetscope/guardrails`). */
export interface HookGuardrailMatch {
  ruleId: string;
  /** `block` stops the call (exit code 2, `tool.end` status `blocked`); `warn` records an alert. */
  action: 'block' | 'warn';
  reason: string;
}

export interface HookMappingContext {
  /** ms since epoch. */
  now: number;
  /** Unique event id. */
  newId(): string;
  /** Random 16-hex span id (for turns without a `prompt_id`). */
  newSpanId(): string;
  pending: PendingStarts;
  /** Guardrail matches for a PreToolUse, when guardrails are on (the hook asks `fleetscope/guardrails`). */
  guard?: (toolName: string, toolInput: unknown) => HookGuardrailMatch[];
  /** Largest JSON size kept for tool inputs/outputs and prompts; default 16 KiB. */
  maxValueBytes?: number;
  /** The project the store belongs to; recorded as attribute `claude_code.project` (sessions keyed by project in a user-level store). */
  project?: string;
}

export interface HookMapping {
  events: FleetEvent[];
  /** Set when a guardrail blocks the call: Claude Code expects exit code 2 and this on stderr. */
  block?: string;
  /** Set when the payload could not be read as a hook event (recorded as a warning event). */
  problem?: string;
}

const DEFAULT_MAX_VALUE_BYTES = 16 * 1024;

/** A stable 16-hex span id for a Claude Code id. */
export function spanIdFrom(value: string): string {
  // = traceIdFrom(`span:${value}`).slice(0, 16) (`span:` is never hex), computing only the 2 hashes kept.
  return hashHex(`span:${value}`, 2);
}

/** Maps one hook payload to events. Never throws: bad input gives a `problem` and one warning event. */
export function mapHookPayload(payload: unknown, ctx: HookMappingContext): HookMapping {
  const max = ctx.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return hookProblem(ctx, 'hook input is not a JSON object', undefined);
  }
  const p = payload as ClaudeHookPayload;
  const hookEvent = str(p.hook_event_name);
  if (hookEvent === undefined) return hookProblem(ctx, 'hook input has no hook_event_name', p);
  const sessionId = str(p.session_id) ?? 'unknown';
  const subagent = str(p.agent_id);
  const traceId = traceIdFrom(sessionId);
  const sessionSpan = spanIdFrom(`session:${sessionId}`);
  const agentSpan = subagent !== undefined ? spanIdFrom(`agent:${sessionId}:${subagent}`) : undefined;
  const attributes: Record<string, unknown> = { 'claude_code.hook_event': hookEvent };
  for (const field of ATTRIBUTE_FIELDS) if (str(p[field]) !== undefined) attributes[`claude_code.${field}`] = p[field];
  if (ctx.project !== undefined) attributes['claude_code.project'] = ctx.project;
  const events: FleetEvent[] = [];
  let truncated = false;
  const push = (
    type: string,
    body: Record<string, unknown>,
    span: { spanId?: string; parentSpanId?: string; agentId?: string; severity?: Severity; timestamp?: number } = {},
  ): void => {
    events.push({
      id: ctx.newId(),
      timestamp: span.timestamp ?? ctx.now,
      severity: span.severity ?? 'info',
      source: HOOK_SOURCE,
      sessionId,
      agentId: span.agentId ?? subagent ?? 'main',
      traceId,
      ...(span.spanId !== undefined ? { spanId: span.spanId } : {}),
      ...(span.parentSpanId !== undefined ? { parentSpanId: span.parentSpanId } : {}),
      attributes,
      ...(truncated ? { truncated: true } : {}),
      type,
      payload: body,
    } as unknown as FleetEvent);
  };
  const capped = (value: unknown): unknown => {
    const c = cap(value, max);
    if (c.truncated) truncated = true;
    return c.value;
  };
  const turnKey = `turn-${sessionId}`;
  // The turn a main-agent call belongs to: the open turn's span (written by UserPromptSubmit), else
  // one derived from `prompt_id` (Claude Code 2.1.x sends it with every event of a turn), else none.
  const turnSpan = (): string | undefined => {
    try {
      const open = ctx.pending.peek?.(turnKey)?.spanId;
      if (open !== undefined) return open;
    } catch {
      // an unreadable pending/ only loses the nesting
    }
    const promptId = str(p.prompt_id);
    return promptId !== undefined ? spanIdFrom(`turn:${sessionId}:${promptId}`) : undefined;
  };
  // Where a call made by the current agent hangs: a subagent's span, else the main agent's turn, else the session.
  const inside = (): string => agentSpan ?? turnSpan() ?? sessionSpan;
  const ms = (start: PendingStart | undefined): { durationMs?: number } => (start ? { durationMs: Math.max(0, ctx.now - start.timestamp) } : {});
  const text = (field: string, value: unknown): Record<string, unknown> => (typeof value === 'string' && value !== '' ? { [field]: capped(value) } : {});

  switch (hookEvent) {
    case 'SessionStart': {
      ctx.pending.put(`session-${sessionId}`, { timestamp: ctx.now });
      if (str(p.model) !== undefined) attributes['claude_code.model'] = p.model;
      push('session.start', { ...(str(p.source) ? { reason: p.source } : {}), ...(str(p.cwd) ? { cwd: p.cwd } : {}) }, { spanId: sessionSpan });
      break;
    }
    case 'SessionEnd': {
      const start = ctx.pending.take(`session-${sessionId}`);
      push('session.end', { ...(str(p.reason) ? { reason: p.reason } : {}), status: 'success', ...ms(start) }, { spanId: sessionSpan });
      break;
    }
    case 'UserPromptSubmit': {
      const promptId = str(p.prompt_id);
      const span = promptId !== undefined ? spanIdFrom(`turn:${sessionId}:${promptId}`) : ctx.newSpanId();
      // A new prompt ends nothing by itself; a turn left open (no Stop) is simply replaced.
      ctx.pending.put(turnKey, { timestamp: ctx.now, spanId: span });
      // The prompt id names the prompt in Claude Code's OpenTelemetry export too (`prompt.id`): one prompt, counted once.
      push('message', { role: 'user', kind: 'prompt', ...(promptId !== undefined ? { id: promptId } : {}), ...text('text', p.prompt) }, { parentSpanId: span });
      // A turn: the user's prompt and the main agent's answer, at the user's pace (`interactive`).
      push('agent.start', { name: 'main', interactive: true }, { spanId: span, parentSpanId: sessionSpan, agentId: 'main' });
      break;
    }
    case 'Stop':
    case 'StopFailure': {
      const turn = ctx.pending.take(turnKey);
      const failed = hookEvent === 'StopFailure';
      push(
        'agent.end',
        {
          name: 'main',
          interactive: true,
          status: failed ? 'error' : 'success',
          ...ms(turn),
          ...(failed ? { error: String(capped(failureText(p))) } : {}),
          ...text('output', p.last_assistant_message),
        },
        { spanId: turn?.spanId ?? turnSpan() ?? ctx.newSpanId(), parentSpanId: sessionSpan, agentId: 'main', ...(failed ? { severity: 'error' as const } : {}) },
      );
      break;
    }
    case 'SubagentStart':
    case 'SubagentStop': {
      const agentId = subagent ?? 'subagent';
      const span = agentSpan ?? spanIdFrom(`agent:${sessionId}:${agentId}`);
      const name = str(p.agent_type) ?? agentId;
      const parent = turnSpan() ?? sessionSpan;
      const common = { name, parentAgentId: 'main', ...(str(p.agent_type) ? { agentType: p.agent_type } : {}) };
      if (hookEvent === 'SubagentStart') {
        ctx.pending.put(`agent-${sessionId}-${agentId}`, { timestamp: ctx.now });
        push('agent.start', { ...common, ...text('input', p.prompt) }, { spanId: span, parentSpanId: parent, agentId });
      } else {
        const start = ctx.pending.take(`agent-${sessionId}-${agentId}`);
        push('agent.end', { ...common, status: 'success', ...ms(start), ...text('output', p.last_assistant_message) }, { spanId: span, parentSpanId: parent, agentId });
      }
      break;
    }
    case 'PreToolUse': {
      const toolName = str(p.tool_name) ?? 'unknown';
      const toolCallId = str(p.tool_use_id);
      const spanId = spanIdFrom(`tool:${toolCallId ?? ctx.newId()}`);
      const parentSpanId = inside();
      const input = capped(p.tool_input);
      const matches = ctx.guard?.(toolName, p.tool_input) ?? [];
      const blocking = matches.find((m) => m.action === 'block');
      const ids = toolCallId !== undefined ? { toolCallId } : {};
      push('tool.start', { toolName, ...ids, ...(input !== undefined ? { input } : {}) }, { spanId, parentSpanId });
      for (const m of matches) {
        push(
          'alert',
          { rule: `guardrail.${m.ruleId}`, message: m.reason, details: { toolName, ...ids, action: m.action } },
          { severity: m.action === 'block' ? 'error' : 'warning', parentSpanId: spanId },
        );
      }
      if (blocking !== undefined) {
        push('tool.end', { toolName, ...ids, status: 'blocked', durationMs: 0, error: blocking.reason }, { spanId, parentSpanId, severity: 'warning' });
        return { events, block: blocking.reason };
      }
      if (toolCallId !== undefined) ctx.pending.put(`tool-${toolCallId}`, { timestamp: ctx.now });
      break;
    }
    case 'PostToolUse':
    case 'PostToolUseFailure':
    case 'PermissionDenied': {
      const toolName = str(p.tool_name) ?? 'unknown';
      const toolCallId = str(p.tool_use_id);
      const start = toolCallId !== undefined ? ctx.pending.take(`tool-${toolCallId}`) : undefined;
      const failed = hookEvent === 'PostToolUseFailure';
      const denied = hookEvent === 'PermissionDenied';
      const output = failed || denied ? undefined : capped(p.tool_response);
      const error = denied
        ? (errorText(p.reason) ?? 'permission denied')
        : failed
          ? (errorText(p.error) ?? (p.is_interrupt === true ? 'interrupted' : 'tool call failed'))
          : undefined;
      // Claude Code's own duration (2.1.x sends `duration_ms`) is the tool's run time; the time between
      // the two hook processes also holds permission prompts and hook start-up, so it is kept apart.
      const own = typeof p.duration_ms === 'number' && Number.isFinite(p.duration_ms) && p.duration_ms >= 0 ? p.duration_ms : undefined;
      if (start !== undefined) attributes['claude_code.hook_duration_ms'] = Math.max(0, ctx.now - start.timestamp);
      const durationMs = own ?? (denied ? 0 : ms(start).durationMs);
      if (failed && p.is_interrupt === true) attributes['claude_code.is_interrupt'] = true;
      push(
        'tool.end',
        {
          toolName,
          ...(toolCallId !== undefined ? { toolCallId } : {}),
          status: denied ? 'blocked' : failed ? 'error' : 'success',
          ...(durationMs !== undefined ? { durationMs } : {}),
          ...(output !== undefined ? { output } : {}),
          ...(error !== undefined ? { error: String(capped(error)) } : {}),
        },
        { spanId: spanIdFrom(`tool:${toolCallId ?? ctx.newId()}`), parentSpanId: inside(), severity: failed ? 'error' : denied ? 'warning' : 'info' },
      );
      break;
    }
    case 'PostToolBatch': {
      const calls = Array.isArray(p.tool_calls) ? (p.tool_calls as Array<Record<string, unknown> | null>) : [];
      // The calls' inputs and outputs are already in their PostToolUse events: only who and how many here.
      const tools = calls.map((c) => ({ toolName: str(c?.tool_name) ?? 'unknown', ...(str(c?.tool_use_id) ? { toolCallId: c!.tool_use_id } : {}) }));
      push('claude_code.tool_batch', { count: tools.length, tools: capped(tools) }, { parentSpanId: inside() });
      break;
    }
    case 'PreCompact':
    case 'PostCompact': {
      const key = `compact-${sessionId}`;
      const pre = hookEvent === 'PreCompact';
      const start = pre ? undefined : ctx.pending.take(key);
      const span = start?.spanId ?? ctx.newSpanId();
      if (pre) ctx.pending.put(key, { timestamp: ctx.now, spanId: span });
      push(
        'claude_code.compaction',
        {
          phase: pre ? 'start' : 'end',
          ...(str(p.trigger) ? { trigger: p.trigger } : {}),
          ...text('customInstructions', p.custom_instructions),
          ...text('summary', p.compact_summary),
          ...tokenFields(p),
          ...ms(start),
        },
        { spanId: span, parentSpanId: sessionSpan },
      );
      break;
    }
    case 'Notification': {
      push(
        'message',
        { role: 'notification', ...text('text', p.message), ...(str(p.notification_type) ? { kind: p.notification_type } : {}), ...text('title', p.title) },
        { parentSpanId: inside() },
      );
      break;
    }
    default: {
      const body: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(p)) if (!COMMON_FIELDS.has(k)) body[k] = capped(v);
      push(`claude_code.${snakeCase(hookEvent)}`, body, { parentSpanId: inside() });
    }
  }
  return { events };
}

/** The mapping of unreadable input: one `log` warning event naming the problem. */
export function hookProblem(ctx: Pick<HookMappingContext, 'now' | 'newId'>, message: string, p: ClaudeHookPayload | undefined): HookMapping {
  const sessionId = str(p?.session_id) ?? 'unknown';
  const event = {
    id: ctx.newId(),
    timestamp: ctx.now,
    severity: 'warning',
    source: HOOK_SOURCE,
    sessionId,
    agentId: str(p?.agent_id) ?? 'main',
    ...(sessionId !== 'unknown' ? { traceId: traceIdFrom(sessionId) } : {}),
    type: 'log',
    payload: { message: `unreadable hook input: ${message}`, fields: { problem: message } },
  } as FleetEvent;
  return { events: [event], problem: message };
}
