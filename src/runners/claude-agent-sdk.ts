/**
 * Claude Agent SDK adapter (`@anthropic-ai/claude-agent-sdk`): reads the `SDKMessage` stream that
 * `query()` yields and turns it into fleetscope events, with the subagent of every model call:
 *
 * ```ts
 * for await (const message of observeClaudeAgentSdk(query({ prompt, options }), observer)) { ... }
 * ```
 *
 * - `assistant` messages → one `llm.call` per API response (Claude Code yields one message per
 *   content block, all with the response's `message.id` and `usage`: the first is counted), with
 *   Anthropic's usage (`input_tokens` without cache, `cache_read_input_tokens`,
 *   `cache_creation_input_tokens`, `output_tokens`), `requestId` = `request_id` (the transcript's
 *   `requestId`), `responseId` = `message.id`; priced by the observer from the model.
 * - their `tool_use` blocks → `tool.start`; the `tool_result` blocks of `user` messages →
 *   `tool.end` (status `error` and the result's text when `is_error`).
 * - a `Task` / `Agent` tool call starts a subagent: `agent.start` named by its `subagent_type`, a
 *   child of the agent that called it; messages with `parent_tool_use_id` = that call are its own
 *   (calls, tools, nested subagents). A foreground subagent ends with its tool result; one in the
 *   background (`task_started` / `task_updated` say `is_backgrounded`), whose tool result is only a
 *   placeholder, ends with its `task_notification` (`completed`, `failed`, `stopped`).
 * - `system` `init` starts the main agent; the `result` message ends it (status from `is_error`,
 *   duration `duration_ms`) and is kept as a `claude_agent_sdk.result` event with the SDK's own
 *   totals (`total_cost_usd`, `usage`, `modelUsage`, `num_turns`): a report, never counted as calls.
 *
 * Ids are those of the other Claude Code sources (hooks, transcripts, OTel export): trace id from
 * the session id, a tool's span from its `tool_use_id`, so the observer's dedupe joins them.
 * Nothing is imported from the SDK: the shapes are structural (read from
 * `@anthropic-ai/claude-agent-sdk` 0.3.336 `sdk.d.ts`: `SDKAssistantMessage`, `SDKUserMessage`,
 * `SDKSystemMessage`, `SDKResultMessage`). Never throws into the host's loop.
 */
import { errorMessage, traceIdFrom, type EventInput } from '../core/index.js';
import { spanIdFrom } from './claude-code-hooks.js';
import { guardedEmit, type BridgeTarget } from './otel-bridge-types.js';

export interface ClaudeAgentSdkOptions {
  /** `source` of the events. Default `claude-agent-sdk`. */
  source?: string;
  /** `agentId` and name of the top-level agent. Default `main` (as the other Claude Code sources). */
  mainAgent?: string;
  /** Whether tool input goes into `tool.start`. Default true. */
  captureContent?: boolean;
  /** Longest tool input (JSON) or error text kept. Default 32,768. */
  maxContentLength?: number;
  /** Message ids, tool calls and subagents remembered; the oldest is forgotten beyond. Default 10,000. */
  maxTracked?: number;
}

export interface ClaudeAgentSdkStats {
  messages: number;
  llmCalls: number;
  /** Assistant messages repeating a response already counted (one per content block). */
  duplicateMessages: number;
  toolCalls: number;
  subagents: number;
  results: number;
  /** Messages of other kinds (`stream_event`, `system` status, task progress, ...): not events. */
  ignored: number;
  /** Messages that are not objects with a `type`, or usage that is not counts: skipped. */
  invalid: number;
  errors: number;
  lastError?: string;
}

export interface ClaudeAgentSdkAdapter {
  /** Reads one `SDKMessage`. Never throws. */
  handle(message: unknown): void;
  stats(): ClaudeAgentSdkStats;
}

/** The tools through which Claude Code runs a subagent (`Task`, renamed `Agent` in later versions). */
const SUBAGENT_TOOLS = new Set(['Task', 'Agent']);
const SYNTHETIC_MODEL = '<synthetic>';
const TASK_MESSAGES = new Set(['task_started', 'task_updated', 'task_notification']);

interface Agent {
  agentId: string;
  name: string;
  spanId: string;
  parentAgentId?: string;
  parentSpanId?: string;
  startedAt: number;
  /** Runs in the background: its tool result does not end it, its task notification does. */
  background?: boolean;
  ended?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const blocksOf = (message: unknown): Obj[] => (isObj(message) && Array.isArray(message.content) ? message.content.filter(isObj) : []);

function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

/** A token count, or `null` for a value that is not one (the message is then invalid). */
function tokens(usage: Obj, key: string): number | undefined | null {
  const value = usage[key];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
}

function capped(value: unknown, max: number): unknown {
  const json = JSON.stringify(value);
  return json === undefined || json.length <= max ? value : `${json.slice(0, max)}…`;
}

function resultText(content: unknown, max: number): string {
  const text = typeof content === 'string' ? content : blocksOf({ content }).map((b) => (typeof b.text === 'string' ? b.text : '')).join('\n');
  return (text.trim() || 'tool error').slice(0, max);
}

export function claudeAgentSdkMessages(target: BridgeTarget, options: ClaudeAgentSdkOptions = {}): ClaudeAgentSdkAdapter {
  const source = options.source ?? 'claude-agent-sdk';
  const mainId = options.mainAgent ?? 'main';
  const captureContent = options.captureContent ?? true;
  const maxContent = options.maxContentLength ?? 32_768;
  const maxTracked = options.maxTracked ?? 10_000;
  const stats: ClaudeAgentSdkStats = { messages: 0, llmCalls: 0, duplicateMessages: 0, toolCalls: 0, subagents: 0, results: 0, ignored: 0, invalid: 0, errors: 0 };
  const seenResponses = new Map<string, true>();
  /** Open tool calls by `tool_use_id`: when they started and in which agent. */
  const tools = new Map<string, { toolName: string; startedAt: number; agent: Agent }>();
  /** Subagents by the `tool_use_id` of the call that runs them (kept after their end: late messages stay theirs). */
  const subagents = new Map<string, Agent>();
  /** Claude Code's task id → the `tool_use_id` of the subagent call (from `task_started`). */
  const taskCalls = new Map<string, string>();
  let main: Agent | undefined;

  const emit = guardedEmit(target, stats);

  function mainAgent(sessionId: string, at: number): Agent {
    if (main === undefined) {
      main = { agentId: mainId, name: mainId, spanId: spanIdFrom(`agent:${sessionId}:${mainId}`), startedAt: at };
      emit({ type: 'agent.start', timestamp: at, source, sessionId, agentId: mainId, traceId: traceIdFrom(sessionId), spanId: main.spanId, payload: { name: mainId } });
    }
    return main;
  }

  /** The agent a message belongs to: the subagent run by its `parent_tool_use_id`, else the main agent. */
  const agentOf = (message: Obj, sessionId: string, at: number): Agent => subagents.get(str(message.parent_tool_use_id) ?? '') ?? mainAgent(sessionId, at);

  const base = (sessionId: string, agent: Agent, at: number) => ({ timestamp: at, source, sessionId, agentId: agent.agentId, traceId: traceIdFrom(sessionId) });

  function llmCall(message: Obj, sessionId: string, agent: Agent, at: number): void {
    const response = message.message;
    if (!isObj(response) || !isObj(response.usage) || response.model === SYNTHETIC_MODEL) return;
    const id = str(response.id);
    const key = id !== undefined ? `${id}:${str(message.request_id) ?? ''}` : undefined;
    if (key !== undefined && seenResponses.has(key)) {
      stats.duplicateMessages++;
      return;
    }
    const usage = response.usage;
    const counts = [tokens(usage, 'input_tokens'), tokens(usage, 'output_tokens'), tokens(usage, 'cache_read_input_tokens'), tokens(usage, 'cache_creation_input_tokens')];
    if (counts.includes(null)) {
      stats.invalid++;
      return;
    }
    if (key !== undefined) remember(seenResponses, key, true, maxTracked);
    const [inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens] = counts as (number | undefined)[];
    stats.llmCalls++;
    emit({
      ...base(sessionId, agent, at),
      type: 'llm.call',
      parentSpanId: agent.spanId,
      payload: {
        provider: 'anthropic',
        model: str(response.model) ?? 'unknown',
        inputTokens,
        outputTokens,
        cacheReadTokens,
        cacheWriteTokens,
        status: message.error !== undefined ? 'error' : 'success',
        ...(typeof message.error === 'string' ? { error: message.error } : {}),
        requestId: str(message.request_id),
        responseId: id,
        finishReason: str(response.stop_reason),
      },
    });
  }

  function toolStarts(message: Obj, sessionId: string, agent: Agent, at: number): void {
    for (const block of blocksOf(message.message)) {
      const id = str(block.id);
      if (block.type !== 'tool_use' || id === undefined || tools.has(id)) continue;
      const toolName = str(block.name) ?? 'unknown';
      remember(tools, id, { toolName, startedAt: at, agent }, maxTracked);
      stats.toolCalls++;
      emit({
        ...base(sessionId, agent, at),
        type: 'tool.start',
        spanId: spanIdFrom(`tool:${id}`),
        parentSpanId: agent.spanId,
        payload: { toolName, toolCallId: id, ...(captureContent ? { input: capped(block.input, maxContent) } : {}) },
      });
      if (SUBAGENT_TOOLS.has(toolName)) startSubagent(id, block.input, sessionId, agent, at);
    }
  }

  function startSubagent(toolUseId: string, input: unknown, sessionId: string, parent: Agent, at: number): void {
    const name = (isObj(input) ? str(input.subagent_type) : undefined) ?? 'general-purpose';
    const agent: Agent = { agentId: name, name, spanId: spanIdFrom(`agent:${sessionId}:${toolUseId}`), parentAgentId: parent.agentId, parentSpanId: parent.spanId, startedAt: at };
    remember(subagents, toolUseId, agent, maxTracked);
    stats.subagents++;
    emit({ ...base(sessionId, agent, at), type: 'agent.start', spanId: agent.spanId, parentSpanId: spanIdFrom(`tool:${toolUseId}`), payload: { name, agentType: name, parentAgentId: parent.agentId } });
  }

  function toolEnds(message: Obj, sessionId: string, at: number): void {
    for (const block of blocksOf(message.message)) {
      const id = str(block.tool_use_id);
      const call = id !== undefined ? tools.get(id) : undefined;
      if (block.type !== 'tool_result' || id === undefined || call === undefined) continue;
      tools.delete(id);
      const error = block.is_error === true ? resultText(block.content, maxContent) : undefined;
      const status = error === undefined ? 'success' : 'error';
      const durationMs = Math.max(0, at - call.startedAt);
      const subagent = subagents.get(id);
      if (subagent !== undefined && !subagent.background) endSubagent(subagent, sessionId, at, status, error);
      emit({
        ...base(sessionId, call.agent, at),
        type: 'tool.end',
        severity: error === undefined ? 'info' : 'error',
        spanId: spanIdFrom(`tool:${id}`),
        parentSpanId: call.agent.spanId,
        payload: { toolName: call.toolName, toolCallId: id, status, durationMs, ...(error !== undefined ? { error } : {}) },
      });
    }
  }

  function endSubagent(agent: Agent, sessionId: string, at: number, status: 'success' | 'error' | 'cancelled', error: string | undefined): void {
    if (agent.ended) return;
    agent.ended = true;
    emit({
      ...base(sessionId, agent, at),
      type: 'agent.end',
      spanId: agent.spanId,
      parentSpanId: agent.parentSpanId,
      payload: { name: agent.name, agentType: agent.name, parentAgentId: agent.parentAgentId, status, durationMs: Math.max(0, at - agent.startedAt), ...(error !== undefined ? { error } : {}) },
    });
  }

  /** `task_started` / `task_updated` / `task_notification`: a subagent moved to the background, or the end of one. */
  function task(message: Obj, sessionId: string, at: number): void {
    const taskId = str(message.task_id);
    const callId = str(message.tool_use_id) ?? (taskId !== undefined ? taskCalls.get(taskId) : undefined);
    const agent = callId !== undefined ? subagents.get(callId) : undefined;
    if (agent === undefined || callId === undefined) {
      stats.ignored++;
      return;
    }
    if (taskId !== undefined) remember(taskCalls, taskId, callId, maxTracked);
    const patch = isObj(message.patch) ? message.patch : message;
    if (patch.is_backgrounded === true) agent.background = true;
    if (message.subtype !== 'task_notification') return;
    const status = message.status === 'completed' ? 'success' : message.status === 'failed' ? 'error' : 'cancelled';
    endSubagent(agent, sessionId, at, status, status === 'success' ? undefined : (str(message.summary) ?? String(message.status)).slice(0, maxContent));
  }

  function result(message: Obj, sessionId: string, at: number): void {
    stats.results++;
    const agent = mainAgent(sessionId, at);
    const failed = message.is_error === true || message.subtype !== 'success';
    const durationMs = typeof message.duration_ms === 'number' && message.duration_ms >= 0 ? message.duration_ms : Math.max(0, at - agent.startedAt);
    const errors = Array.isArray(message.errors) ? message.errors.filter((e): e is string => typeof e === 'string') : [];
    emit({
      ...base(sessionId, agent, at),
      type: 'claude_agent_sdk.result',
      parentSpanId: agent.spanId,
      severity: failed ? 'error' : 'info',
      payload: {
        subtype: message.subtype,
        isError: message.is_error === true,
        numTurns: message.num_turns,
        durationMs: message.duration_ms,
        durationApiMs: message.duration_api_ms,
        totalCostUsd: message.total_cost_usd,
        usage: message.usage,
        modelUsage: message.modelUsage,
        ...(errors.length > 0 ? { errors } : {}),
      },
    });
    emit({ ...base(sessionId, agent, at), type: 'agent.end', spanId: agent.spanId, payload: { name: agent.name, status: failed ? 'error' : 'success', durationMs, ...(failed ? { error: errors[0] ?? String(message.subtype) } : {}) } });
    main = undefined;
  }

  function read(message: unknown): void {
    const sessionId = isObj(message) ? str(message.session_id) : undefined;
    if (!isObj(message) || typeof message.type !== 'string' || sessionId === undefined) {
      stats.invalid++;
      return;
    }
    const at = Date.now();
    if (message.type === 'assistant') {
      const agent = agentOf(message, sessionId, at);
      llmCall(message, sessionId, agent, at);
      toolStarts(message, sessionId, agent, at);
    } else if (message.type === 'user') {
      toolEnds(message, sessionId, at);
    } else if (message.type === 'system' && message.subtype === 'init') {
      mainAgent(sessionId, at);
    } else if (message.type === 'system' && TASK_MESSAGES.has(String(message.subtype))) {
      task(message, sessionId, at);
    } else if (message.type === 'result') {
      result(message, sessionId, at);
    } else {
      stats.ignored++;
    }
  }

  return {
    handle(message) {
      stats.messages++;
      try {
        read(message);
      } catch (error) {
        stats.errors++;
        stats.lastError = errorMessage(error);
      }
    },
    stats: () => ({ ...stats }),
  };
}

/**
 * Passes the SDK's message stream through unchanged (same objects, same order, its errors
 * rethrown) while `claudeAgentSdkMessages` reads each message.
 */
export async function* observeClaudeAgentSdk<M>(messages: AsyncIterable<M>, target: BridgeTarget, options: ClaudeAgentSdkOptions = {}): AsyncGenerator<M, void, undefined> {
  const adapter = claudeAgentSdkMessages(target, options);
  for await (const message of messages) {
    adapter.handle(message);
    yield message;
  }
}
