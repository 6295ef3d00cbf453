/**
 * OpenAI Agents SDK adapter: a `TracingProcessor` for `@openai/agents` (which has its own tracing
 * API, not OpenTelemetry, in JavaScript), so a host gets fleetscope's analysis with one line:
 *
 * ```ts
 * import { addTraceProcessor } from '@openai/agents';
 * addTraceProcessor(openAIAgentsProcessor(observer));
 * ```
 *
 * `agent` spans become `agent.start` (when the span starts) / `agent.end`, `function` spans
 * `tool.start` / `tool.end`, `response` (Responses API) and `generation` (Chat Completions) spans
 * `llm.call` with the usage of the response, cached input tokens apart. A `handoff` makes the agent
 * handed to a child of the agent that handed off, and is kept as an `openai_agents.handoff` event;
 * `guardrail` and `custom` spans become `openai_agents.guardrail` / `openai_agents.custom` events.
 * The SDK's ids (`trace_…`, `span_…`) are mapped to W3C ids. Nothing is imported from the SDK: the
 * shapes below are structural (read from `@openai/agents-core` 0.20 `tracing/spans.d.ts`).
 */
import { errorMessage, FleetscopeError, traceIdFrom } from '../core/index.js';
import { guardedEmit, type BridgeTarget } from './otel-bridge-types.js';
import { content, withoutStack, type AttributeProblem } from './otel-bridge-readers.js';

/** The SDK's `Trace`, structurally. */
export interface AgentsTraceLike {
  traceId: string;
  name?: string;
  /** Links the traces of one conversation: read as the session. */
  groupId?: string | null;
}

/** The SDK's `Span`, structurally: `spanData.type` says what it is. */
export interface AgentsSpanLike {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string | null;
  readonly spanData: { type: string; [key: string]: unknown };
  /** ISO 8601. */
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly error: { message: string; data?: Record<string, unknown> } | null;
}

/** The SDK's `TracingProcessor` interface, structurally: pass it to `addTraceProcessor`. */
export interface AgentsTracingProcessorLike {
  onTraceStart(trace: AgentsTraceLike): Promise<void>;
  onTraceEnd(trace: AgentsTraceLike): Promise<void>;
  onSpanStart(span: AgentsSpanLike): Promise<void>;
  onSpanEnd(span: AgentsSpanLike): Promise<void>;
  shutdown(timeout?: number): Promise<void>;
  forceFlush(): Promise<void>;
}

export interface OpenAIAgentsProcessorOptions {
  /** `source` of the events. Default `openai-agents`. */
  source?: string;
  /** Session of traces without a `groupId`. Default: the observer's. */
  sessionId?: string;
  /** Whether tool input/output and custom span data go into events. Default true. */
  captureContent?: boolean;
  /** Longest content string kept; longer ones are cut and counted `oversized`. Default 32,768. */
  maxContentLength?: number;
  /** Most spans tracked at once between start and end (for the agent chain). Default 10000. */
  maxOpenSpans?: number;
}

/** Why (part of) a span was not read as given; counted in `stats().invalid`. */
export type AgentsSpanProblem =
  | AttributeProblem
  /** No usable trace id or span id, or no `spanData.type`: the span is skipped. */
  | 'missing-id'
  /** `startedAt` / `endedAt` not ISO dates: the time of the callback is used. */
  | 'bad-time'
  /** End before start: the duration is taken as 0. */
  | 'negative-duration';

export interface AgentsProcessorStats {
  spansEnded: number;
  llmCalls: number;
  /** LLM calls whose span carried no usage (tracing without sensitive data): unknown cost. */
  callsWithoutUsage: number;
  toolCalls: number;
  agentRuns: number;
  handoffs: number;
  guardrails: number;
  customSpans: number;
  /** Spans of other types (`task`, `turn`, `mcp_tools`, `transcription`, ...), not turned into events. */
  ignored: number;
  invalid: Record<AgentsSpanProblem, number>;
  /** Failures while converting or emitting (never thrown into the SDK). */
  errors: number;
  lastError?: string;
}

export interface OpenAIAgentsProcessor extends AgentsTracingProcessorLike {
  stats(): AgentsProcessorStats;
}

/** One open span: the agent it is (if an agent span) and its parent, for the agent chain. */
interface Node {
  parent: Node | undefined;
  agentName?: string;
  parentAgentId?: string;
}

/** What a trace gives its spans. */
interface TraceInfo {
  traceId: string;
  sessionId?: string;
  /** Handoffs not yet taken: the agent handed to → the agent that handed off. */
  handoffs: Map<string, string>;
}

type Usage = { inputTokens?: number; outputTokens?: number; cacheReadTokens?: number };

const PROBLEMS: readonly AgentsSpanProblem[] = ['wrong-type', 'oversized', 'missing-id', 'bad-time', 'negative-duration'];
const MAX_NAME = 1024;
const MAX_TRACES = 1024;
const HEX = /^[0-9a-f]+$/;

/** `trace_<32 hex>` → the 32 hex digits; any other id → a stable hash of it. */
export function agentsTraceId(id: string): string {
  return traceIdFrom(id.startsWith('trace_') ? id.slice(6) : id);
}

/** `span_<24 hex>` → its first 16 hex digits; any other id → a stable hash of it. */
export function agentsSpanId(id: string): string {
  const hex = id.startsWith('span_') ? id.slice(5, 21) : '';
  return hex.length === 16 && HEX.test(hex) && !/^0+$/.test(hex) ? hex : traceIdFrom(`span:${id}`).slice(0, 16);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value.slice(0, MAX_NAME) : undefined);

/** A token count: a finite number ≥ 0; anything else is reported `wrong-type`. */
function count(value: unknown, report: (p: AgentsSpanProblem) => void): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value);
  report('wrong-type');
  return undefined;
}

/**
 * Usage of a Responses API object (`input_tokens`, `input_tokens_details.cached_tokens`) or a
 * Chat Completions one (`prompt_tokens`, `prompt_tokens_details.cached_tokens`), in fleetscope's
 * convention: `inputTokens` without the cached part.
 */
export function usageOfResponse(usage: unknown, report: (p: AgentsSpanProblem) => void = () => {}): Usage | undefined {
  if (!isRecord(usage)) return undefined;
  const input = count(usage.input_tokens ?? usage.prompt_tokens, report);
  const outputTokens = count(usage.output_tokens ?? usage.completion_tokens, report);
  const details = usage.input_tokens_details ?? usage.prompt_tokens_details;
  const cached = isRecord(details) ? count(details.cached_tokens, report) : undefined;
  if (input === undefined && outputTokens === undefined) return undefined;
  const cacheReadTokens = cached !== undefined && input !== undefined && cached <= input ? cached : undefined;
  return { inputTokens: input === undefined ? undefined : input - (cacheReadTokens ?? 0), outputTokens, cacheReadTokens };
}

/** Model, id and usage of a `response` or `generation` span. */
function modelCallOf(data: AgentsSpanLike['spanData'], report: (p: AgentsSpanProblem) => void) {
  if (data.type === 'response') {
    const response = isRecord(data._response) ? data._response : undefined;
    return { model: str(response?.model), responseId: str(data.response_id) ?? str(response?.id), usage: usageOfResponse(response?.usage, report) };
  }
  const output = Array.isArray(data.output) && isRecord(data.output[0]) ? data.output[0] : undefined;
  return {
    model: str(output?.model) ?? str(data.model),
    responseId: str(output?.id),
    usage: usageOfResponse(data.usage, report) ?? usageOfResponse(output?.usage, report),
  };
}

/** A tool's failure: what the tool threw when the SDK kept it (`data.error`), else the span's message. */
function toolErrorOf(error: AgentsSpanLike['error']): string | undefined {
  if (!isRecord(error)) return undefined;
  const detail = isRecord(error.data) ? str(error.data.error) : undefined;
  return withoutStack(detail ?? str(error.message) ?? 'error').slice(0, MAX_NAME * 4);
}

const spanErrorOf = (error: AgentsSpanLike['error']): string | undefined =>
  isRecord(error) ? withoutStack(str(error.message) ?? 'error').slice(0, MAX_NAME * 4) : undefined;

/**
 * Creates the processor. `target` is an observer (or any `{ emit }` sink). Events are emitted
 * synchronously from the callbacks. Never throws into the SDK: failures are counted in `stats()`.
 */
export function openAIAgentsProcessor(target: BridgeTarget, options: OpenAIAgentsProcessorOptions = {}): OpenAIAgentsProcessor {
  const fail = (message: string): never => {
    throw new FleetscopeError(`[fleetscope] [openai-agents] invalid option: ${message}`, { kind: 'runner', plugin: 'openai-agents', operation: 'options' });
  };
  if (typeof target?.emit !== 'function') fail('the target must be an observer or a sink with emit()');
  const maxOpenSpans = options.maxOpenSpans ?? 10_000;
  if (typeof maxOpenSpans !== 'number' || !Number.isInteger(maxOpenSpans) || maxOpenSpans < 1) fail('maxOpenSpans must be an integer >= 1');
  const maxContentLength = options.maxContentLength ?? 32_768;
  if (typeof maxContentLength !== 'number' || !(maxContentLength >= 0)) fail('maxContentLength must be a number >= 0');
  const source = options.source ?? 'openai-agents';
  const captureContent = options.captureContent ?? true;

  const open = new Map<string, Node>();
  const traces = new Map<string, TraceInfo>();
  const invalid = Object.fromEntries(PROBLEMS.map((p) => [p, 0])) as Record<AgentsSpanProblem, number>;
  const stats: Omit<AgentsProcessorStats, 'invalid'> = {
    spansEnded: 0, llmCalls: 0, callsWithoutUsage: 0, toolCalls: 0, agentRuns: 0, handoffs: 0, guardrails: 0, customSpans: 0, ignored: 0, errors: 0,
  };
  const report = (problem: AgentsSpanProblem) => {
    invalid[problem]++;
  };
  let isShutdown = false;

  const countError = (error: unknown) => {
    stats.errors++;
    stats.lastError = errorMessage(error);
  };
  const guard = (task: () => void) => {
    if (isShutdown) return;
    try {
      task();
    } catch (error) {
      countError(error);
    }
  };
  const emit = guardedEmit(target, stats);

  const traceOf = (id: string, trace?: AgentsTraceLike): TraceInfo => {
    let info = traces.get(id);
    if (info === undefined) {
      if (traces.size >= MAX_TRACES) traces.delete(traces.keys().next().value!);
      info = { traceId: agentsTraceId(id), sessionId: str(trace?.groupId) ?? options.sessionId, handoffs: new Map() };
      traces.set(id, info);
    }
    return info;
  };
  const agentOf = (node: Node | undefined): string | undefined => {
    for (let n = node; n !== undefined; n = n.parent) if (n.agentName !== undefined) return n.agentName;
    return undefined;
  };
  const timeOf = (iso: string | null): number => {
    const ms = typeof iso === 'string' ? Date.parse(iso) : NaN;
    if (Number.isFinite(ms)) return ms;
    report('bad-time');
    return Date.now();
  };
  const usable = (span: AgentsSpanLike): boolean => {
    const ok = typeof span?.traceId === 'string' && typeof span.spanId === 'string' && isRecord(span.spanData) && typeof span.spanData.type === 'string';
    if (!ok) report('missing-id');
    return ok;
  };

  /** The fields every event of a span shares. */
  const envelopeOf = (span: AgentsSpanLike, agentId: string | undefined) => {
    const trace = traceOf(span.traceId);
    return {
      source,
      traceId: trace.traceId,
      workflowId: trace.traceId,
      sessionId: trace.sessionId,
      spanId: agentsSpanId(span.spanId),
      parentSpanId: typeof span.parentId === 'string' ? agentsSpanId(span.parentId) : undefined,
      agentId,
    };
  };

  const startAgent = (span: AgentsSpanLike, node: Node) => {
    const name = str(span.spanData.name) ?? 'agent';
    node.agentName = name;
    const trace = traceOf(span.traceId);
    // A handoff makes the agent handed to a child of the agent that handed off.
    const handedBy = trace.handoffs.get(name);
    if (handedBy !== undefined) trace.handoffs.delete(name);
    const parentAgentId = handedBy ?? agentOf(node.parent);
    node.parentAgentId = parentAgentId;
    emit({ ...envelopeOf(span, name), type: 'agent.start', timestamp: timeOf(span.startedAt), payload: { name, parentAgentId } });
  };

  const endSpan = (span: AgentsSpanLike, node: Node) => {
    const data = span.spanData;
    const startMs = timeOf(span.startedAt);
    let endMs = timeOf(span.endedAt);
    if (endMs < startMs) {
      report('negative-duration');
      endMs = startMs;
    }
    const durationMs = endMs - startMs;
    const agentId = agentOf(node.parent);
    switch (data.type) {
      case 'agent': {
        const name = node.agentName ?? str(data.name) ?? 'agent';
        const parentAgentId = node.parentAgentId;
        const error = spanErrorOf(span.error);
        stats.agentRuns++;
        emit({
          ...envelopeOf(span, name),
          type: 'agent.end',
          timestamp: endMs,
          payload: { name, parentAgentId, status: error === undefined ? 'success' : 'error', durationMs, error },
        });
        return;
      }
      case 'function': {
        const toolName = str(data.name) ?? 'tool';
        const error = toolErrorOf(span.error);
        const input = captureContent ? content(typeof data.input === 'string' && data.input !== '' ? data.input : undefined, maxContentLength, report) : undefined;
        const output = captureContent ? content(typeof data.output === 'string' && data.output !== '' ? data.output : undefined, maxContentLength, report) : undefined;
        const fields = envelopeOf(span, agentId);
        stats.toolCalls++;
        emit({ ...fields, type: 'tool.start', timestamp: startMs, payload: { toolName, input } });
        emit({ ...fields, type: 'tool.end', timestamp: endMs, payload: { toolName, status: error === undefined ? 'success' : 'error', durationMs, output, error } });
        return;
      }
      case 'response':
      case 'generation': {
        const call = modelCallOf(data, report);
        const error = spanErrorOf(span.error);
        stats.llmCalls++;
        if (call.usage === undefined) stats.callsWithoutUsage++;
        emit({
          ...envelopeOf(span, agentId),
          type: 'llm.call',
          timestamp: endMs,
          payload: {
            provider: 'openai',
            model: call.model ?? 'unknown',
            operation: 'chat',
            ...call.usage,
            latencyMs: durationMs,
            status: error === undefined ? 'success' : 'error',
            error,
            responseId: call.responseId,
          },
        });
        return;
      }
      case 'handoff': {
        const from = str(data.from_agent);
        const to = str(data.to_agent);
        if (to !== undefined && from !== undefined) traceOf(span.traceId).handoffs.set(to, from);
        stats.handoffs++;
        emit({ ...envelopeOf(span, agentId ?? from), type: 'openai_agents.handoff', timestamp: endMs, payload: { from, to, error: spanErrorOf(span.error) } });
        return;
      }
      case 'guardrail': {
        const triggered = data.triggered === true;
        stats.guardrails++;
        emit({
          ...envelopeOf(span, agentId),
          type: 'openai_agents.guardrail',
          timestamp: endMs,
          severity: triggered ? 'warning' : 'info',
          payload: { name: str(data.name) ?? 'guardrail', triggered, durationMs },
        });
        return;
      }
      case 'custom': {
        stats.customSpans++;
        const customData = captureContent && isRecord(data.data) ? content(JSON.stringify(data.data), maxContentLength, report) : undefined;
        emit({
          ...envelopeOf(span, agentId),
          type: 'openai_agents.custom',
          timestamp: endMs,
          payload: { name: str(data.name) ?? 'custom', durationMs, data: customData, error: spanErrorOf(span.error) },
        });
        return;
      }
      default:
        stats.ignored++;
    }
  };

  return {
    async onTraceStart(trace) {
      guard(() => {
        if (typeof trace?.traceId === 'string') traceOf(trace.traceId, trace);
      });
    },
    async onTraceEnd(trace) {
      guard(() => {
        if (typeof trace?.traceId === 'string') traces.delete(trace.traceId);
      });
    },
    async onSpanStart(span) {
      guard(() => {
        if (!usable(span)) return;
        if (open.size >= maxOpenSpans) open.delete(open.keys().next().value!);
        const node: Node = { parent: typeof span.parentId === 'string' ? open.get(span.parentId) : undefined };
        open.set(span.spanId, node);
        if (span.spanData.type === 'agent') startAgent(span, node);
      });
    },
    async onSpanEnd(span) {
      guard(() => {
        stats.spansEnded++;
        if (!usable(span)) {
          stats.ignored++;
          return;
        }
        let node = open.get(span.spanId);
        open.delete(span.spanId);
        if (node === undefined) {
          // Started before the processor was added: its agent.start is emitted now.
          node = { parent: typeof span.parentId === 'string' ? open.get(span.parentId) : undefined };
          if (span.spanData.type === 'agent') startAgent(span, node);
        }
        endSpan(span, node);
      });
    },
    async forceFlush() {
      try {
        await target.flush?.();
      } catch (error) {
        countError(error);
      }
    },
    async shutdown() {
      isShutdown = true;
      open.clear();
      traces.clear();
    },
    stats() {
      return { ...stats, invalid: { ...invalid } };
    },
  };
}
