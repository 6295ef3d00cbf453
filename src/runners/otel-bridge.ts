/**
 * OpenTelemetry bridge: a `SpanProcessor` a host adds to its own tracer provider, so an agent
 * framework already instrumented with OpenTelemetry gets fleetscope's analysis with one line:
 *
 * ```ts
 * const provider = new BasicTracerProvider({
 *   spanProcessors: [new BatchSpanProcessor(exporter), fleetscopeSpanProcessor(observer)],
 * });
 * ```
 *
 * Finished GenAI spans (OTel GenAI semantic conventions, OpenInference incl. LangGraph graph
 * roots, OpenLLMetry/Traceloop, the Vercel AI SDK's `ai.*` spans) become `llm.call`, `tool.start`/`tool.end` and `agent.start`/`agent.end` events that keep the
 * span's trace id, span id and parent span id. Nothing from the OTel SDK is imported: the span
 * shapes (otel-bridge-types.ts) are structural, so `@opentelemetry/*` stay optional peer dependencies.
 */
import { errorMessage, FleetscopeError, type EventInput } from '../core/index.js';
import * as A from './otel-bridge-attributes.js';
import {
  classifySpan,
  content,
  first,
  isLangGraphStart,
  text,
  withoutStack,
  type AttributesLike,
  type SpanCategory,
} from './otel-bridge-readers.js';
import { llmCallOf } from './otel-bridge-llm.js';
import { guardedEmit, type BridgeTarget, type FleetscopeSpanProcessor, type FleetscopeSpanProcessorOptions, type HrTimeLike, type ReadableSpanLike, type SpanBridgeStats, type SpanProblem } from './otel-bridge-types.js';

export type {
  BridgeTarget,
  FleetscopeSpanProcessor,
  FleetscopeSpanProcessorOptions,
  HrTimeLike,
  ReadableSpanLike,
  SpanBridgeStats,
  SpanClassification,
  SpanContextLike,
  SpanProblem,
  SpanProcessorLike,
} from './otel-bridge-types.js';
export { classifySpan, isLangGraphRoot, isLangGraphStart, tokensFromAttributes, type AttributesLike, type AttributeValueLike, type SpanCategory } from './otel-bridge-readers.js';

/**
 * One span between its start and the end of its descendants. Agent and session are inherited
 * along `parent`, resolved when a descendant ends: an OpenInference chain learns it is a
 * LangGraph agent only when it ends, after its children.
 */
interface Node {
  parent: Node | undefined;
  /** Set when the span is an agent: its id and name. */
  agentId?: string;
  agentName?: string;
  sessionId?: string;
  /** Its kind is only known at its end: descendants that end before it wait in `held`. */
  deferred: boolean;
  /** A LangGraph `__start__` node ran directly under it: it is a graph (or subgraph) run. */
  runsGraph?: boolean;
  held?: (() => void)[];
}

const SPAN_KINDS = ['internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_ERROR = 2;
const MAX_OTHER_ATTRIBUTES = 64;
const MAX_NAME = 1024;
const HEX_TRACE = /^[0-9a-f]{32}$/;
const HEX_SPAN = /^[0-9a-f]{16}$/;
/** Instrumentation whose spans say what they are only at their end. */
const DEFERRED_SCOPE = '@arizeai/openinference-instrumentation-langchain';
const scopeOf = (span: ReadableSpanLike): string | undefined => span.instrumentationScope?.name ?? span.instrumentationLibrary?.name;
const OPERATION_KEY = [A.OPERATION];
const AI_OPERATION_KEY = [A.AI_OPERATION_ID];
const AGENT_INPUT = ['input.value', 'traceloop.entity.input'];
const AGENT_OUTPUT = ['output.value', 'traceloop.entity.output'];
/** The answers without a name, allocated once. */
const CATEGORY: Readonly<Record<SpanCategory, { kind: SpanCategory; name?: string }>> = {
  llm: { kind: 'llm' },
  tool: { kind: 'tool' },
  agent: { kind: 'agent' },
  other: { kind: 'other' },
};
const PROBLEMS: readonly SpanProblem[] = ['wrong-type', 'oversized', 'negative-duration', 'bad-time', 'unknown-span-kind', 'missing-span-context', 'classify-error', 'held-overflow'];

const validTime = (time: unknown): time is HrTimeLike =>
  Array.isArray(time) && time.length === 2 && Number.isFinite(time[0]) && Number.isFinite(time[1]);
const hrToMs = (time: HrTimeLike): number => time[0] * 1000 + time[1] / 1e6;
const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** Error text of a failed span: its status message, else its exception event, else `error.type`; no stack trace. */
function errorOf(span: ReadableSpanLike, attributes: AttributesLike): string | undefined {
  if (span.status?.code !== STATUS_ERROR) return undefined;
  const message = typeof span.status.message === 'string' ? span.status.message : '';
  if (message !== '') return withoutStack(message).slice(0, MAX_NAME * 4);
  const exception = Array.isArray(span.events) ? span.events.find((e) => e?.name === 'exception') : undefined;
  if (exception?.attributes !== undefined) {
    const text = exception.attributes['exception.message'];
    const type = exception.attributes['exception.type'];
    if (typeof text === 'string' && text !== '') return withoutStack(typeof type === 'string' && type !== '' ? `${type}: ${text}` : text).slice(0, MAX_NAME * 4);
    if (typeof type === 'string' && type !== '') return type.slice(0, MAX_NAME);
  }
  return text(attributes, A.ERROR_TYPE)?.slice(0, MAX_NAME) ?? 'error';
}

function parentSpanIdOf(span: ReadableSpanLike): string | undefined {
  const id = span.parentSpanContext?.spanId ?? span.parentSpanId;
  return typeof id === 'string' && HEX_SPAN.test(id) && id !== '0000000000000000' ? id : undefined;
}

/**
 * Creates the span processor. `target` is an observer (or any `{ emit }` sink); events are
 * emitted synchronously in `onEnd` (or, for spans under an OpenInference chain, when the chain
 * ends), so `forceFlush` only flushes the target when it can.
 * Never throws into the OpenTelemetry SDK: failures are counted in `stats()`.
 */
export function fleetscopeSpanProcessor(target: BridgeTarget, options: FleetscopeSpanProcessorOptions = {}): FleetscopeSpanProcessor {
  const fail = (message: string): never => {
    throw new FleetscopeError(`[fleetscope] [otel-bridge] invalid option: ${message}`, { kind: 'runner', plugin: 'otel-bridge', operation: 'options' });
  };
  if (typeof target?.emit !== 'function') fail('the target must be an observer or a sink with emit()');
  const otherSpans = options.otherSpans ?? 'ignore';
  if (otherSpans !== 'ignore' && otherSpans !== 'event') fail(`otherSpans must be 'ignore' or 'event'`);
  const otherSpanType = options.otherSpanType ?? 'otel.span';
  if (typeof otherSpanType !== 'string' || !/^[A-Za-z][\w-]*(\.[\w-]+)+$/.test(otherSpanType)) {
    fail('otherSpanType must be a namespaced type such as "otel.span"');
  }
  const maxOpenSpans = options.maxOpenSpans ?? 10_000;
  if (typeof maxOpenSpans !== 'number' || !Number.isInteger(maxOpenSpans) || maxOpenSpans < 1) fail('maxOpenSpans must be an integer >= 1');
  const maxContentLength = options.maxContentLength ?? 32_768;
  if (typeof maxContentLength !== 'number' || !(maxContentLength >= 0)) fail('maxContentLength must be a number >= 0');
  const classifyOption = options.classify;
  if (classifyOption !== undefined && typeof classifyOption !== 'function') fail('classify must be a function');
  const source = options.source ?? 'otel';
  const captureContent = options.captureContent ?? true;
  const ignoreScopes = options.ignoreScopes ?? ['fleetscope'];
  const open = new Map<string, Node>();
  const invalid = Object.fromEntries(PROBLEMS.map((p) => [p, 0])) as Record<SpanProblem, number>;
  const stats: Omit<SpanBridgeStats, 'invalid' | 'held'> = {
    spansEnded: 0,
    llmCalls: 0,
    toolCalls: 0,
    agentRuns: 0,
    otherSpans: 0,
    ignored: 0,
    ownSpans: 0,
    inputTokensWithoutCache: 0,
    errors: 0,
  };
  let held = 0;
  let lastTraceId = '';
  let lastTraceValid = false;
  let isShutdown = false;
  const report = (problem: SpanProblem) => {
    invalid[problem]++;
  };

  const isOwn = (span: ReadableSpanLike) => {
    const scope = scopeOf(span);
    if (typeof scope !== 'string') return false;
    for (let i = 0; i < ignoreScopes.length; i++) if (scope.startsWith(ignoreScopes[i]!)) return true;
    return false;
  };

  /** The built-in category, unless `classify` says otherwise; with the name it gave. */
  const categoryOf = (span: ReadableSpanLike, attributes: AttributesLike): { kind: SpanCategory; name?: string } => {
    if (classifyOption !== undefined) {
      try {
        const answer = classifyOption(span);
        if (answer === 'agent' || answer === 'tool' || answer === 'llm' || answer === 'other') return CATEGORY[answer];
        if (typeof answer === 'object' && answer !== null && ['agent', 'tool', 'llm', 'other'].includes(answer.kind)) {
          return { kind: answer.kind, name: typeof answer.name === 'string' && answer.name !== '' ? answer.name.slice(0, MAX_NAME) : undefined };
        }
      } catch {
        report('classify-error');
      }
    }
    return CATEGORY[classifySpan(attributes)];
  };

  const agentNameOf = (span: ReadableSpanLike, attributes: AttributesLike, given: string | undefined): string =>
    (given ?? text(attributes, A.AGENT_NAME) ?? text(attributes, A.ENTITY_NAME) ?? text(attributes, A.AI_FUNCTION_ID) ?? String(span.name)).slice(0, MAX_NAME);

  /** Marks `node` as an agent when its span is one. */
  const markAgent = (node: Node, span: ReadableSpanLike, attributes: AttributesLike, category: { kind: SpanCategory; name?: string }) => {
    if (category.kind !== 'agent') return;
    const agentName = agentNameOf(span, attributes, category.name);
    node.agentName = agentName;
    node.agentId = text(attributes, A.AGENT_ID)?.slice(0, MAX_NAME) ?? agentName;
  };

  const agentOf = (node: Node | undefined): Node | undefined => {
    for (let n = node; n !== undefined; n = n.parent) if (n.agentId !== undefined) return n;
    return undefined;
  };
  const sessionOf = (node: Node | undefined): string | undefined => {
    for (let n = node; n !== undefined; n = n.parent) if (n.sessionId !== undefined) return n.sessionId;
    return undefined;
  };
  /** The nearest ancestor still waiting for its end to know what it is. */
  const waitingAncestor = (node: Node): Node | undefined => {
    for (let n = node.parent; n !== undefined; n = n.parent) if (n.deferred) return n;
    return undefined;
  };

  const emit = guardedEmit(target, stats);

  const convert = (span: ReadableSpanLike, node: Node, category: { kind: SpanCategory; name?: string }) => {
    const attributes = span.attributes ?? {};
    const kind = category.kind;
    if (kind === 'other' && otherSpans === 'ignore') {
      stats.ignored++;
      return;
    }
    const context = span.spanContext();
    // Spans of one trace come in runs: its id is checked once per run.
    if (context.traceId !== lastTraceId) {
      lastTraceId = context.traceId;
      lastTraceValid = HEX_TRACE.test(context.traceId);
    }
    const traceId = lastTraceValid ? context.traceId : undefined;
    const spanId = HEX_SPAN.test(context.spanId) ? context.spanId : undefined;
    const parentSpanId = parentSpanIdOf(span);
    const ownAgent = agentOf(node);
    const sessionId = sessionOf(node) ?? options.sessionId;
    let startMs = hrToMs(span.startTime);
    const endMs = hrToMs(span.endTime);
    let durationMs = span.duration !== undefined && validTime(span.duration) ? hrToMs(span.duration) : endMs - startMs;
    if (durationMs < 0 || endMs < startMs) {
      report('negative-duration');
      durationMs = 0;
      startMs = endMs;
    }
    durationMs = round3(durationMs);
    const error = errorOf(span, attributes);
    const operation = text(attributes, OPERATION_KEY)?.slice(0, MAX_NAME);
    const workflowName = text(attributes, A.WORKFLOW_NAME)?.slice(0, MAX_NAME);
    const aiOperation = text(attributes, AI_OPERATION_KEY);
    const envelope = {
      source,
      traceId,
      spanId,
      parentSpanId,
      sessionId,
      attributes: { 'otel.span.name': String(span.name).slice(0, MAX_NAME) } as Record<string, unknown>,
    };
    if (operation !== undefined) envelope.attributes['gen_ai.operation.name'] = operation;
    if (workflowName !== undefined) envelope.attributes['traceloop.workflow.name'] = workflowName;

    if (kind === 'llm') {
      const call = llmCallOf(attributes, { categoryName: category.name, operation, aiOperation, durationMs, error }, report);
      if (call.excludedCache) stats.inputTokensWithoutCache++;
      if (call.timeToFirstTokenMs !== undefined) envelope.attributes.timeToFirstTokenMs = call.timeToFirstTokenMs;
      stats.llmCalls++;
      emit({
        ...envelope,
        type: 'llm.call',
        timestamp: endMs,
        agentId: ownAgent?.agentId,
        payload: call.payload,
      });
      return;
    }

    if (kind === 'tool') {
      const toolName = (category.name ?? text(attributes, A.TOOL_NAME) ?? text(attributes, A.AI_TOOL_NAME) ?? text(attributes, A.ENTITY_NAME) ?? String(span.name)).slice(0, MAX_NAME);
      const toolCallId = (text(attributes, A.TOOL_CALL_ID) ?? text(attributes, A.AI_TOOL_CALL_ID))?.slice(0, MAX_NAME);
      const input = captureContent ? content(first(attributes, A.TOOL_INPUT) ?? first(attributes, A.AI_TOOL_INPUT), maxContentLength, report) : undefined;
      const output = captureContent ? content(first(attributes, A.TOOL_OUTPUT) ?? first(attributes, A.AI_TOOL_OUTPUT), maxContentLength, report) : undefined;
      stats.toolCalls++;
      const fields = { ...envelope, agentId: ownAgent?.agentId };
      emit({ ...fields, type: 'tool.start', timestamp: startMs, payload: { toolName, toolCallId, input } });
      emit({
        ...fields,
        type: 'tool.end',
        timestamp: endMs,
        payload: { toolName, toolCallId, status: error === undefined ? 'success' : 'error', durationMs, output, error },
      });
      return;
    }

    if (kind === 'agent') {
      const name = node.agentName ?? agentNameOf(span, attributes, category.name);
      const parentAgentId = agentOf(node.parent)?.agentId;
      const fields = { ...envelope, agentId: node.agentId ?? name };
      const agentType = operation === 'create_agent' ? 'create_agent' : undefined;
      const input = captureContent ? content(first(attributes, AGENT_INPUT), maxContentLength, report) : undefined;
      const output = captureContent ? content(first(attributes, AGENT_OUTPUT), maxContentLength, report) : undefined;
      stats.agentRuns++;
      emit({ ...fields, type: 'agent.start', timestamp: startMs, payload: { name, parentAgentId, agentType, input } });
      emit({
        ...fields,
        type: 'agent.end',
        timestamp: endMs,
        payload: { name, parentAgentId, agentType, status: error === undefined ? 'success' : 'error', durationMs, error, output },
      });
      return;
    }

    const copied: Record<string, unknown> = {};
    let count = 0;
    for (const key in attributes) {
      if (count++ >= MAX_OTHER_ATTRIBUTES) break;
      const value = attributes[key];
      copied[key] = typeof value === 'string' && value.length > maxContentLength ? (report('oversized'), `${value.slice(0, maxContentLength)}…`) : value;
    }
    let spanKind = span.kind ?? 0;
    if (!(Number.isInteger(spanKind) && spanKind >= 0 && spanKind < SPAN_KINDS.length)) {
      report('unknown-span-kind');
      spanKind = 0;
    }
    stats.otherSpans++;
    emit({
      ...envelope,
      type: otherSpanType,
      timestamp: startMs,
      agentId: ownAgent?.agentId,
      severity: error === undefined ? 'info' : 'error',
      payload: {
        name: String(span.name).slice(0, MAX_NAME),
        kind: SPAN_KINDS[spanKind],
        durationMs,
        status: error === undefined ? 'success' : 'error',
        error,
        attributes: copied,
      },
    });
  };

  /** Runs a finished span's conversion now, or holds it until its waiting ancestor ends. */
  const settle = (node: Node, task: () => void) => {
    const waiting = waitingAncestor(node);
    if (waiting === undefined || held >= maxOpenSpans) {
      if (waiting !== undefined) report('held-overflow');
      task();
      return;
    }
    (waiting.held ??= []).push(task);
    held++;
  };

  const guarded = (task: () => void) => () => {
    try {
      task();
    } catch (error) {
      stats.errors++;
      stats.lastError = errorMessage(error);
    }
  };

  const newNode = (span: ReadableSpanLike, parent: Node | undefined): Node => {
    const attributes = span.attributes ?? {};
    const node: Node = { parent, deferred: false, sessionId: text(attributes, A.SESSION_ID)?.slice(0, MAX_NAME) };
    markAgent(node, span, attributes, categoryOf(span, attributes));
    // An OpenInference LangChain span gets its kind and metadata only at its end (its tracer sets
    // attributes after the SDK's onStart): it may turn out to be a LangGraph agent.
    if (node.agentId === undefined && (attributes[A.OPENINFERENCE_KIND] === 'CHAIN' || scopeOf(span)?.startsWith(DEFERRED_SCOPE) === true)) {
      node.deferred = true;
    }
    return node;
  };

  return {
    onStart(span) {
      if (isShutdown) return;
      try {
        if (isOwn(span)) return;
        const spanId = span.spanContext()?.spanId;
        if (typeof spanId !== 'string') return;
        const parentId = parentSpanIdOf(span);
        if (open.size >= maxOpenSpans) {
          // Bounded: forget the oldest open span (its descendants lose inheritance, nothing else).
          const oldest = open.keys().next().value;
          if (oldest !== undefined) open.delete(oldest);
        }
        open.set(spanId, newNode(span, parentId === undefined ? undefined : open.get(parentId)));
      } catch (error) {
        stats.errors++;
        stats.lastError = errorMessage(error);
      }
    },
    onEnd(span) {
      if (isShutdown) return;
      try {
        stats.spansEnded++;
        if (isOwn(span)) {
          stats.ownSpans++;
          return;
        }
        const context = span.spanContext?.();
        if (typeof context?.spanId !== 'string' || typeof context.traceId !== 'string') {
          report('missing-span-context');
          stats.ignored++;
          return;
        }
        if (!validTime(span.startTime) || !validTime(span.endTime)) {
          report('bad-time');
          stats.ignored++;
          return;
        }
        let node = open.get(context.spanId);
        open.delete(context.spanId);
        const parentId = parentSpanIdOf(span);
        if (node === undefined) node = newNode(span, parentId === undefined ? undefined : open.get(parentId));
        const attributes = span.attributes ?? {};
        let category = categoryOf(span, attributes);
        if (isLangGraphStart(attributes) && node.parent !== undefined) node.parent.runsGraph = true;
        // A subgraph run has a node as parent (so its metadata names a node), but a `__start__` child.
        if (node.runsGraph === true && category.kind === 'other') category = CATEGORY.agent;
        // What only the end tells: a session set late, an OpenInference chain that is a LangGraph root.
        node.sessionId ??= text(attributes, A.SESSION_ID)?.slice(0, MAX_NAME);
        if (node.agentId === undefined) markAgent(node, span, attributes, category);
        if (!node.deferred && (waitingAncestor(node) === undefined || held >= maxOpenSpans)) {
          // The common case, without a closure: nothing above it is waiting.
          if (held >= maxOpenSpans && waitingAncestor(node) !== undefined) report('held-overflow');
          convert(span, node, category);
          return;
        }
        const ended = node;
        const task = guarded(() => convert(span, ended, category));
        if (node.deferred) {
          node.deferred = false;
          const waiting = node.held ?? [];
          node.held = undefined;
          held -= waiting.length;
          // Its descendants (now attributed) and itself, in the order they ended; they may wait
          // further for a deferred ancestor of this node.
          for (const t of waiting) settle(node, t);
          settle(node, task);
        } else {
          settle(node, task);
        }
      } catch (error) {
        stats.errors++;
        stats.lastError = errorMessage(error);
      }
    },
    async forceFlush() {
      try {
        await target.flush?.();
      } catch (error) {
        stats.errors++;
        stats.lastError = errorMessage(error);
      }
    },
    async shutdown() {
      isShutdown = true;
      open.clear();
    },
    stats() {
      return { ...stats, invalid: { ...invalid }, held };
    },
  };
}
