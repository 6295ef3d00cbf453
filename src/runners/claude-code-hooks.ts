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
import { traceIdFrom } from '../core/ids.js';
import type { FleetEvent, Severity } from '../core/events.js';
import type { GuardrailMatch } from './guardrails.js';

/** `source` of every event the hook writes. */
export const HOOK_SOURCE = 'claude-code-hooks';

/** The fields fleetscope reads from a hook payload (Claude Code's names). */
export interface ClaudeHookPayload {
  session_id?: string;
  transcript_path?: string;
  cwd?: string;
  permission_mode?: string;
  hook_event_name?: string;
  /** Present when the hook fires inside a subagent (and on SubagentStart / SubagentStop). */
  agent_id?: string;
  agent_type?: string;
  tool_name?: string;
  tool_input?: unknown;
  tool_use_id?: string;
  tool_response?: unknown;
  error?: unknown;
  is_interrupt?: boolean;
  prompt?: string;
  message?: string;
  notification_type?: string;
  title?: string;
  source?: string;
  reason?: string;
  trigger?: string;
  custom_instructions?: string;
  stop_hook_active?: boolean;
  agent_transcript_path?: string;
  [key: string]: unknown;
}

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
}

export interface HookMappingContext {
  /** ms since epoch. */
  now: number;
  /** Unique event id. */
  newId(): string;
  /** Random 16-hex span id (for turns, which have no Claude Code id). */
  newSpanId(): string;
  pending: PendingStarts;
  /** Guardrail matches for a PreToolUse, when guardrails are on. */
  guard?: (toolName: string, toolInput: unknown) => GuardrailMatch[];
  /** Largest JSON size kept for tool inputs/outputs and prompts; default 16 KiB. */
  maxValueBytes?: number;
}

export interface HookMapping {
  events: FleetEvent[];
  /** Set when a guardrail blocks the call: Claude Code expects exit code 2 and this on stderr. */
  block?: string;
  /** Set when the payload could not be read as a hook event (recorded as a warning event). */
  problem?: string;
}

/** Hook events fleetscope maps to built-in types; any other is stored as `claude_code.<snake_name>`. */
export const KNOWN_HOOK_EVENTS = [
  'SessionStart',
  'SessionEnd',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'PostToolUseFailure',
  'Notification',
  'Stop',
  'SubagentStart',
  'SubagentStop',
  'PreCompact',
] as const;

const DEFAULT_MAX_VALUE_BYTES = 16 * 1024;
const COMMON_FIELDS = new Set(['session_id', 'transcript_path', 'cwd', 'permission_mode', 'hook_event_name', 'agent_id', 'agent_type']);

/** A stable 16-hex span id for a Claude Code id. */
export function spanIdFrom(value: string): string {
  return traceIdFrom(`span:${value}`).slice(0, 16);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `PreCompact` -> `pre_compact`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toLowerCase();
}

/** Keeps a JSON value when small; else a string preview (and the caller marks the event truncated). */
function cap(value: unknown, max: number): { value: unknown; truncated: boolean } {
  if (value === undefined) return { value: undefined, truncated: false };
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return { value: '[unserializable]', truncated: true };
  }
  if (json === undefined) return { value: undefined, truncated: false };
  if (json.length <= max) return { value, truncated: false };
  return { value: `${json.slice(0, max)}…`, truncated: true };
}

function errorText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
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
  if (str(p.permission_mode) !== undefined) attributes['claude_code.permission_mode'] = p.permission_mode;
  if (str(p.transcript_path) !== undefined) attributes['claude_code.transcript_path'] = p.transcript_path;
  if (str(p.cwd) !== undefined) attributes['claude_code.cwd'] = p.cwd;
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
  const inside = agentSpan ?? sessionSpan;

  switch (hookEvent) {
    case 'SessionStart': {
      ctx.pending.put(`session-${sessionId}`, { timestamp: ctx.now });
      push('session.start', { ...(str(p.source) ? { reason: p.source } : {}), ...(str(p.cwd) ? { cwd: p.cwd } : {}) }, { spanId: sessionSpan });
      break;
    }
    case 'SessionEnd': {
      const start = ctx.pending.take(`session-${sessionId}`);
      push(
        'session.end',
        { ...(str(p.reason) ? { reason: p.reason } : {}), ...(start ? { durationMs: Math.max(0, ctx.now - start.timestamp) } : {}) },
        { spanId: sessionSpan },
      );
      break;
    }
    case 'UserPromptSubmit': {
      const turnSpan = ctx.newSpanId();
      // A new prompt ends nothing by itself; a turn left open (no Stop) is simply replaced.
      ctx.pending.put(`turn-${sessionId}`, { timestamp: ctx.now, spanId: turnSpan });
      push('message', { role: 'user', kind: 'prompt', ...(typeof p.prompt === 'string' ? { text: capped(p.prompt) } : {}) }, { parentSpanId: sessionSpan });
      push('agent.start', { name: 'main' }, { spanId: turnSpan, parentSpanId: sessionSpan, agentId: 'main' });
      break;
    }
    case 'Stop': {
      const turn = ctx.pending.take(`turn-${sessionId}`);
      push(
        'agent.end',
        { name: 'main', status: 'success', ...(turn ? { durationMs: Math.max(0, ctx.now - turn.timestamp) } : {}) },
        { spanId: turn?.spanId ?? ctx.newSpanId(), parentSpanId: sessionSpan, agentId: 'main' },
      );
      break;
    }
    case 'SubagentStart':
    case 'SubagentStop': {
      const agentId = subagent ?? 'subagent';
      const span = agentSpan ?? spanIdFrom(`agent:${sessionId}:${agentId}`);
      const name = str(p.agent_type) ?? agentId;
      const common = { name, parentAgentId: 'main', ...(str(p.agent_type) ? { agentType: p.agent_type } : {}) };
      if (hookEvent === 'SubagentStart') {
        ctx.pending.put(`agent-${sessionId}-${agentId}`, { timestamp: ctx.now });
        push('agent.start', { ...common, ...(typeof p.prompt === 'string' ? { input: capped(p.prompt) } : {}) }, { spanId: span, parentSpanId: sessionSpan, agentId });
      } else {
        const start = ctx.pending.take(`agent-${sessionId}-${agentId}`);
        push(
          'agent.end',
          { ...common, status: 'success', ...(start ? { durationMs: Math.max(0, ctx.now - start.timestamp) } : {}) },
          { spanId: span, parentSpanId: sessionSpan, agentId },
        );
      }
      break;
    }
    case 'PreToolUse': {
      const toolName = str(p.tool_name) ?? 'unknown';
      const toolCallId = str(p.tool_use_id);
      const spanId = spanIdFrom(`tool:${toolCallId ?? ctx.newId()}`);
      const input = capped(p.tool_input);
      const matches = ctx.guard?.(toolName, p.tool_input) ?? [];
      const blocking = matches.find((m) => m.action === 'block');
      const ids = toolCallId !== undefined ? { toolCallId } : {};
      push('tool.start', { toolName, ...ids, ...(input !== undefined ? { input } : {}) }, { spanId, parentSpanId: inside });
      for (const m of matches) {
        push(
          'alert',
          { rule: `guardrail.${m.ruleId}`, message: m.reason, details: { toolName, ...ids, action: m.action } },
          { severity: m.action === 'block' ? 'error' : 'warning', parentSpanId: spanId },
        );
      }
      if (blocking !== undefined) {
        push('tool.end', { toolName, ...ids, status: 'blocked', durationMs: 0, error: blocking.reason }, { spanId, parentSpanId: inside, severity: 'warning' });
        return { events, block: blocking.reason };
      }
      if (toolCallId !== undefined) ctx.pending.put(`tool-${toolCallId}`, { timestamp: ctx.now });
      break;
    }
    case 'PostToolUse':
    case 'PostToolUseFailure': {
      const toolName = str(p.tool_name) ?? 'unknown';
      const toolCallId = str(p.tool_use_id);
      const start = toolCallId !== undefined ? ctx.pending.take(`tool-${toolCallId}`) : undefined;
      const failed = hookEvent === 'PostToolUseFailure';
      const output = failed ? undefined : capped(p.tool_response);
      const error = failed ? (errorText(p.error) ?? (p.is_interrupt === true ? 'interrupted' : 'tool call failed')) : undefined;
      push(
        'tool.end',
        {
          toolName,
          ...(toolCallId !== undefined ? { toolCallId } : {}),
          status: failed ? 'error' : 'success',
          ...(start ? { durationMs: Math.max(0, ctx.now - start.timestamp) } : {}),
          ...(output !== undefined ? { output } : {}),
          ...(error !== undefined ? { error: String(capped(error)) } : {}),
        },
        { spanId: spanIdFrom(`tool:${toolCallId ?? ctx.newId()}`), parentSpanId: inside, severity: failed ? 'error' : 'info' },
      );
      if (failed && p.is_interrupt === true) attributes['claude_code.is_interrupt'] = true;
      break;
    }
    case 'Notification': {
      push(
        'message',
        {
          role: 'notification',
          ...(typeof p.message === 'string' ? { text: capped(p.message) } : {}),
          ...(str(p.notification_type) ? { kind: p.notification_type } : {}),
        },
        { parentSpanId: inside },
      );
      break;
    }
    default: {
      const body: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(p)) if (!COMMON_FIELDS.has(k)) body[k] = capped(v);
      push(`claude_code.${snakeCase(hookEvent)}`, body, { parentSpanId: inside });
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
