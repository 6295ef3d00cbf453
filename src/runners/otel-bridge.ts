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
import { hexIdKind } from '../core/ids.js';
import { errorMessage, FleetscopeError, type BuiltinEventType, type EventInput, type EventInputOf, type EventPayloads } from '../core/index.js';
import {
  categoryOfKnown,
  content,
  F,
  first,
  isLangGraphStart,
  AttributeReader,
  raw,
  text,
  withoutStack,
  type KnownAttributes,
  type SpanCategory,
} from './otel-bridge-readers.js';
import { llmCallOf } from './otel-bridge-llm.js';
import { checkAndHash, OpenSpans, type OpenSpanEntry } from './otel-bridge-open-spans.js';
import { guardedEmit, type BridgeTarget, type FleetscopeSpanProcessor, type FleetscopeSpanProcessorOptions, type HrTimeLike, type ReadableSpanLike, type SpanBridgeStats, type SpanContextLike, type SpanProblem } from './otel-bridge-types.js';

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
interface Node extends OpenSpanEntry {
  parent: Node | undefined;
  /** `hexIdKind` of the span's own id, checked once at its start: 0 invalid, 1 valid, 2 all zeros (valid, but not as a parent). */
  idKind: 0 | 1 | 2;
  /** The span's parent span id, when a valid one. */
  parentSpanId: string | undefined;
  /** Set when the span is an agent: its id and name. */
  agentId: string | undefined;
  agentName: string | undefined;
  sessionId: string | undefined;
  /** Its kind is only known at its end: descendants that end before it wait in `held`. */
  deferred: boolean;
  /** A LangGraph `__start__` node ran directly under it: it is a graph (or subgraph) run. */
  runsGraph: boolean;
  held: (() => void)[] | undefined;
  /** Its id's hash in the open table, computed with the id check. */
  hash: number;
}

const SPAN_KINDS = ['internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_ERROR = 2;
const MAX_OTHER_ATTRIBUTES = 64;
const MAX_NAME = 1024;
const TRACE_ID_LENGTH = 32;
const SPAN_ID_LENGTH = 16;
/** Instrumentation whose spans say what they are only at their end. */
const DEFERRED_SCOPE = '@arizeai/openinference-instrumentation-langchain';
const scopeOf = (span: ReadableSpanLike): string | undefined => span.instrumentationScope?.name ?? span.instrumentationLibrary?.name;
/** The answers without a name, allocated once. */
const CATEGORY: Readonly<Record<SpanCategory, { kind: SpanCategory; name?: string }>> = {
  llm: { kind: 'llm' },
  tool: { kind: 'tool' },
  agent: { kind: 'agent' },
  other: { kind: 'other' },
};
const PROBLEMS: readonly SpanProblem[] = ['wrong-type', 'oversized', 'negative-duration', 'bad-time', 'unknown-span-kind', 'missing-span-context', 'classify-error', 'held-overflow'];

/** What every event of one span carries besides its type, time, agent and payload. */
interface SpanEnvelope {
  source: string;
  traceId: string | undefined;
  spanId: string | undefined;
  parentSpanId: string | undefined;
  sessionId: string | undefined;
  attributes: Record<string, unknown>;
}

/** One event of a span, built field by field: a spread per event was the bridge's largest cost. */
function spanEvent<T extends BuiltinEventType>(envelope: SpanEnvelope, type: T, timestamp: number, agentId: string | undefined, payload: EventPayloads[T]): EventInputOf<T> {
  return {
    type,
    timestamp,
    source: envelope.source,
    traceId: envelope.traceId,
    spanId: envelope.spanId,
    parentSpanId: envelope.parentSpanId,
    sessionId: envelope.sessionId,
    agentId,
    attributes: envelope.attributes,
    payload,
  };
}

/**
 * The attributes every event of a span carries, in one literal per case: a key added to a literal
 * afterwards moves the object's properties out to a new backing store.
 */
function spanAttributes(spanName: string, operation: string | undefined, workflowName: string | undefined): Record<string, unknown> {
  if (workflowName === undefined) return operation === undefined ? { 'otel.span.name': spanName } : { 'otel.span.name': spanName, 'gen_ai.operation.name': operation };
  return operation === undefined
    ? { 'otel.span.name': spanName, 'traceloop.workflow.name': workflowName }
    : { 'otel.span.name': spanName, 'gen_ai.operation.name': operation, 'traceloop.workflow.name': workflowName };
}

const validTime = (time: unknown): time is HrTimeLike =>
  Array.isArray(time) && time.length === 2 && Number.isFinite(time[0]) && Number.isFinite(time[1]);
const hrToMs = (time: HrTimeLike): number => time[0] * 1000 + time[1] / 1e6;
const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** Error text of a failed span: its status message, else its exception event, else `error.type`; no stack trace. */
function errorOf(span: ReadableSpanLike, known: KnownAttributes): string | undefined {
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
  return text(known, F.errorType)?.slice(0, MAX_NAME) ?? 'error';
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
  // Bounded: when full, the oldest open span is forgotten (its descendants lose inheritance, nothing else).
  const open = new OpenSpans<Node>(maxOpenSpans);
  const reader = new AttributeReader();
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
  // Spans of one tracer share their scope (one string): the prefix test is made once per scope run.
  let lastScope: string | undefined;
  let lastScopeOwn = false;
  let isShutdown = false;
  const report = (problem: SpanProblem) => {
    invalid[problem]++;
  };

  const isOwn = (span: ReadableSpanLike) => {
    const scope = scopeOf(span);
    if (typeof scope !== 'string') return false;
    if (scope === lastScope) return lastScopeOwn;
    let own = false;
    for (let i = 0; i < ignoreScopes.length; i++) if (scope.startsWith(ignoreScopes[i]!)) own = true;
    lastScope = scope;
    lastScopeOwn = own;
    return own;
  };

  /** The built-in category, unless `classify` says otherwise; with the name it gave. */
  const categoryOf = (span: ReadableSpanLike, known: KnownAttributes): { kind: SpanCategory; name?: string } => {
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
    return CATEGORY[categoryOfKnown(known)];
  };

  const agentNameOf = (span: ReadableSpanLike, known: KnownAttributes, given: string | undefined): string =>
    (given ?? text(known, F.agentName) ?? text(known, F.entityName) ?? text(known, F.aiFunctionId) ?? String(span.name)).slice(0, MAX_NAME);

  /** Marks `node` as an agent when its span is one. */
  const markAgent = (node: Node, span: ReadableSpanLike, known: KnownAttributes, category: { kind: SpanCategory; name?: string }) => {
    if (category.kind !== 'agent') return;
    const agentName = agentNameOf(span, known, category.name);
    node.agentName = agentName;
    node.agentId = text(known, F.agentId)?.slice(0, MAX_NAME) ?? agentName;
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

  const convert = (span: ReadableSpanLike, context: SpanContextLike, node: Node, category: { kind: SpanCategory; name?: string }, known: KnownAttributes) => {
    const kind = category.kind;
    if (kind === 'other' && otherSpans === 'ignore') {
      stats.ignored++;
      return;
    }
    // Spans of one trace come in runs: its id is checked once per run.
    if (context.traceId !== lastTraceId) {
      lastTraceId = context.traceId;
      lastTraceValid = hexIdKind(context.traceId, TRACE_ID_LENGTH) !== 0;
    }
    const traceId = lastTraceValid ? context.traceId : undefined;
    const spanId = node.idKind !== 0 ? context.spanId : undefined;
    const parentSpanId = node.parentSpanId;
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
    const error = errorOf(span, known);
    const operation = text(known, F.operation)?.slice(0, MAX_NAME);
    const workflowName = text(known, F.workflowName)?.slice(0, MAX_NAME);
    const aiOperation = text(known, F.aiOperation);
    const envelope: SpanEnvelope = { source, traceId, spanId, parentSpanId, sessionId, attributes: spanAttributes(String(span.name).slice(0, MAX_NAME), operation, workflowName) };

    if (kind === 'llm') {
      const call = llmCallOf(known, { categoryName: category.name, operation, aiOperation, durationMs, error }, report);
      if (call.excludedCache) stats.inputTokensWithoutCache++;
      if (call.timeToFirstTokenMs !== undefined) envelope.attributes.timeToFirstTokenMs = call.timeToFirstTokenMs;
      stats.llmCalls++;
      emit(spanEvent(envelope, 'llm.call', endMs, ownAgent?.agentId, call.payload));
      return;
    }

    if (kind === 'tool') {
      const toolName = (category.name ?? text(known, F.toolName) ?? text(known, F.aiToolName) ?? text(known, F.entityName) ?? String(span.name)).slice(0, MAX_NAME);
      const toolCallId = (text(known, F.toolCallId) ?? text(known, F.aiToolCallId))?.slice(0, MAX_NAME);
      const input = captureContent ? content(first(known, F.toolInput) ?? first(known, F.aiToolInput), maxContentLength, report) : undefined;
      const output = captureContent ? content(first(known, F.toolOutput) ?? first(known, F.aiToolOutput), maxContentLength, report) : undefined;
      stats.toolCalls++;
      const agentId = ownAgent?.agentId;
      emit(spanEvent(envelope, 'tool.start', startMs, agentId, { toolName, toolCallId, input }));
      emit(spanEvent(envelope, 'tool.end', endMs, agentId, { toolName, toolCallId, status: error === undefined ? 'success' : 'error', durationMs, output, error }));
      return;
    }

    if (kind === 'agent') {
      const name = node.agentName ?? agentNameOf(span, known, category.name);
      const parentAgentId = agentOf(node.parent)?.agentId;
      const agentId = node.agentId ?? name;
      const agentType = operation === 'create_agent' ? 'create_agent' : undefined;
      const input = captureContent ? content(first(known, F.agentInput), maxContentLength, report) : undefined;
      const output = captureContent ? content(first(known, F.agentOutput), maxContentLength, report) : undefined;
      stats.agentRuns++;
      emit(spanEvent(envelope, 'agent.start', startMs, agentId, { name, parentAgentId, agentType, input }));
      emit(spanEvent(envelope, 'agent.end', endMs, agentId, { name, parentAgentId, agentType, status: error === undefined ? 'success' : 'error', durationMs, error, output }));
      return;
    }

    const attributes = span.attributes ?? {};
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
      type: otherSpanType,
      timestamp: startMs,
      source,
      traceId,
      spanId,
      parentSpanId,
      sessionId,
      agentId: ownAgent?.agentId,
      attributes: envelope.attributes,
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

  /**
   * The node of a span with id `spanId`. Each id is checked once: a parent found open was checked
   * at its own start, so only a parent not (or no longer) open has its id checked here.
   */
  const newNode = (span: ReadableSpanLike, spanId: string, known: KnownAttributes): Node => {
    const parentId = span.parentSpanContext?.spanId ?? span.parentSpanId;
    let parent: Node | undefined;
    let parentSpanId: string | undefined;
    if (typeof parentId === 'string') {
      parent = open.get(parentId);
      if ((parent === undefined ? hexIdKind(parentId, SPAN_ID_LENGTH) : parent.idKind) === 1) parentSpanId = parentId;
      else parent = undefined;
    }
    const node: Node = {
      spanId,
      older: undefined,
      newer: undefined,
      hash: 0,
      parent,
      idKind: 0,
      parentSpanId,
      // Every field set here, so that all nodes share one shape.
      agentId: undefined,
      agentName: undefined,
      sessionId: text(known, F.sessionId)?.slice(0, MAX_NAME),
      deferred: false,
      runsGraph: false,
      held: undefined,
    };
    node.idKind = checkAndHash(node, SPAN_ID_LENGTH);
    markAgent(node, span, known, categoryOf(span, known));
    // An OpenInference LangChain span gets its kind and metadata only at its end (its tracer sets
    // attributes after the SDK's onStart): it may turn out to be a LangGraph agent.
    if (node.agentId === undefined && (raw(known, F.openInferenceKind) === 'CHAIN' || scopeOf(span)?.startsWith(DEFERRED_SCOPE) === true)) {
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
        const known = reader.read(span.attributes ?? {});
        const node = newNode(span, spanId, known);
        reader.release(known);
        open.add(node, node.hash);
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
        let node = open.remove(context.spanId);
        const known = reader.read(span.attributes ?? {});
        if (node === undefined) node = newNode(span, context.spanId, known);
        let category = categoryOf(span, known);
        if (isLangGraphStart(known) && node.parent !== undefined) node.parent.runsGraph = true;
        // A subgraph run has a node as parent (so its metadata names a node), but a `__start__` child.
        if (node.runsGraph === true && category.kind === 'other') category = CATEGORY.agent;
        // What only the end tells: a session set late, an OpenInference chain that is a LangGraph root.
        node.sessionId ??= text(known, F.sessionId)?.slice(0, MAX_NAME);
        if (node.agentId === undefined) markAgent(node, span, known, category);
        if (!node.deferred && (waitingAncestor(node) === undefined || held >= maxOpenSpans)) {
          // The common case, without a closure: nothing above it is waiting.
          if (held >= maxOpenSpans && waitingAncestor(node) !== undefined) report('held-overflow');
          convert(span, context, node, category, known);
          reader.release(known);
          return;
        }
        const ended = node;
        const task = guarded(() => convert(span, context, ended, category, known));
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
