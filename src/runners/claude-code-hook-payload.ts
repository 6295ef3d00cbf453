/**
 * What a Claude Code hook payload holds, and the small helpers that read it: the payload's fields
 * (Claude Code's names), every hook event of today's Claude Code, and value capping. Split from
 * `claude-code-hooks.ts` (the mapping); on the hook's hot path, so it imports nothing.
 */

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
  /** The prompt a call belongs to (Claude Code 2.1.x). */
  prompt_id?: string;
  /** Reasoning effort of the session (Claude Code 2.1.x). */
  effort?: string;
  /** Claude Code's own run time of the tool (PostToolUse / PostToolUseFailure, 2.1.x). */
  duration_ms?: number;
  /** The final text of the turn or subagent (Stop, StopFailure, SubagentStop). */
  last_assistant_message?: string;
  /** StopFailure: the error kind (`rate_limit`, ...) and its details. */
  error_details?: string;
  /** PostToolBatch: the calls of the batch. */
  tool_calls?: unknown;
  /** PostCompact: the summary the compaction wrote. */
  compact_summary?: string;
  /** SessionStart: the model. */
  model?: string;
  [key: string]: unknown;
}

/**
 * Every hook event of Claude Code 2.1.x, per the hooks reference (code.claude.com/docs/en/hooks). The
 * ones with a meaning of their own map to built-in types (table in docs/claude-code.md); any other,
 * including events a later Claude Code adds, is stored as `claude_code.<snake_name>` with its fields.
 */
export const KNOWN_HOOK_EVENTS = [
  'Setup',
  'SessionStart',
  'InstructionsLoaded',
  'UserPromptSubmit',
  'UserPromptExpansion',
  'MessageDisplay',
  'PreToolUse',
  'PermissionRequest',
  'PermissionDenied',
  'PostToolUse',
  'PostToolUseFailure',
  'PostToolBatch',
  'Notification',
  'SubagentStart',
  'SubagentStop',
  'TaskCreated',
  'TaskCompleted',
  'Stop',
  'StopFailure',
  'TeammateIdle',
  'PreCompact',
  'PostCompact',
  'Elicitation',
  'ElicitationResult',
  'ConfigChange',
  'CwdChanged',
  'FileChanged',
  'DirectoryAdded',
  'WorktreeCreate',
  'WorktreeRemove',
  'PreModelSwitch',
  'PostModelSwitch',
  'SessionEnd',
] as const;

export function str(value: unknown): string | undefined {
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
export function cap(value: unknown, max: number): { value: unknown; truncated: boolean } {
  if (value === undefined) return { value: undefined, truncated: false };
  // A long string is cut as it is: serializing 50 MB of tool output only to measure it costs seconds.
  if (typeof value === 'string' && value.length > max) return { value: `${value.slice(0, max)}…`, truncated: true };
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

export function errorText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Common fields kept as attributes (`claude_code.<name>`) rather than in a generic event's payload. */
export const ATTRIBUTE_FIELDS = ['permission_mode', 'transcript_path', 'cwd', 'prompt_id', 'effort', 'agent_type', 'agent_transcript_path'] as const;
export const COMMON_FIELDS = new Set<string>(['session_id', 'hook_event_name', 'agent_id', ...ATTRIBUTE_FIELDS]);

/** `error` + `error_details` of a StopFailure, or the error of a failed tool, as one line. */
export function failureText(p: ClaudeHookPayload): string {
  const error = errorText(p.error);
  const details = errorText(p.error_details);
  if (error !== undefined && details !== undefined) return `${error}: ${details}`;
  return error ?? details ?? 'the turn ended with an API error';
}

/** Token counts a compaction payload may carry (`pre_tokens`, `post_tokens`, ... any `*tokens*` number). */
export function tokenFields(p: ClaudeHookPayload): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(p)) if (/tokens/i.test(k) && typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}
