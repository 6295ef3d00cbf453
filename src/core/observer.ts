/**
 * The observer: the one object a host creates. `emit` is the single way in (synchronous,
 * cheap, never throws); the pipeline fans events out to storage, analyzers and exporters;
 * `snapshot`, `report`, `query` and `stats` are the read side.
 */
import { EventBus, type Listener } from './bus.js';
import { currentScope, type ScopeContext } from './context.js';
import {
  FleetscopeError,
  createDefaultErrorHandler,
  Deadline,
  callAsync,
  errorMessage,
  withTimeout,
  type ErrorHandler,
} from './errors.js';
import type { BuiltinEventType, EventInput, EventOf, FleetEvent, PluginKind, TypedEventInput } from './events.js';
import type { EventFilter } from './filter.js';
import { newSpanId, traceIdFrom } from './ids.js';
import { Instrumentation, type AgentOptions, type LlmCall, type LlmMeta, type SessionOptions, type WorkflowOptions } from './instrument.js';
import { Pipeline, type PluginState } from './pipeline.js';
import {
  DEFAULT_QUERY_LIMIT,
  MAX_QUERY_LIMIT,
  type EventQuery,
  type EventSink,
  type QueryPage,
} from './plugins.js';
import { defaultHtmlReport, defaultReportRenderer, type ReportRenderer } from './report.js';
import { DEFAULT_PAYLOAD_LIMITS, type PayloadLimits, type RepairKind } from './sanitize.js';
import { Subscription, type SubscribeOptions } from './subscription.js';
import { checkOptions, type HtmlReportHook, type ObserverOptions, type ObserverStats, type ReportOptions } from './observer-options.js';

export type { HtmlReportHook, ObserverOptions, ObserverStats, ReportOptions } from './observer-options.js';
import { dedupeKey, SourceDedupe } from './dedupe.js';
import { checkEvent, createIdGenerator, type CheckOutput, type EventDefaults, type ValidateOptions } from './validate.js';

const MAX_REASONS = 100;
/** Keys remembered by the runners' de-duplication (`ObserverOptions.dedupe`). */
const DEFAULT_DEDUPE_WINDOW = 50_000;
/** Plugin errors put on the bus: at most one per plugin and operation per second. */
const ERROR_EVENT_INTERVAL_MS = 1000;

export class Observer {
  private readonly bus: EventBus;
  private readonly pipeline: Pipeline;
  private readonly instrumentation: Instrumentation;
  private readonly limits: PayloadLimits;
  private readonly clock: () => number;
  private readonly nextId: () => string;
  private readonly onError: ErrorHandler;
  private readonly renderReport: ReportRenderer;
  private readonly renderHtml: HtmlReportHook;
  private readonly flushTimeoutMs: number;
  private readonly baseDefaults: EventDefaults;
  private readonly hostState: SinkState;
  /** Emits the observer's own events (plugin errors). */
  private readonly internalState: SinkState;
  private readonly lastErrorEvent = new Map<string, number>();
  /** Reused by every emit for the repairs of the event being checked. */
  private readonly checked: CheckOutput = { repairs: [] };
  /** Which emit path first reported each call; undefined when de-duplication is off. */
  private readonly dedupe: SourceDedupe | undefined;
  /** Numbers the emit paths for `dedupe`. */
  private sinkCount = 0;

  private emitted = 0;
  private accepted = 0;
  private invalid = 0;
  private afterClose = 0;
  private duplicates = 0;
  private clockFailures = 0;
  private sanitizedEvents = 0;
  private observerErrors = 0;
  private guardrailErrors = 0;
  private readonly invalidReasons = new Map<string, number>();
  private readonly repairs = new Map<RepairKind, number>();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: ObserverOptions = {}) {
    checkOptions(options);
    this.clock = guardClock(options.clock, () => this.clockFailed());
    this.nextId = createIdGenerator(options.eventIdPrefix);
    this.limits = { ...DEFAULT_PAYLOAD_LIMITS, ...options.limits };
    this.onError = options.onError ?? createDefaultErrorHandler();
    this.renderReport = options.report ?? defaultReportRenderer;
    this.renderHtml = options.htmlReport ?? defaultHtmlReport;
    this.flushTimeoutMs = options.flushTimeoutMs ?? 10_000;
    const dedupe = options.dedupe ?? (options.runners ?? []).length >= 2;
    if (dedupe !== false) this.dedupe = new SourceDedupe(dedupe === true ? DEFAULT_DEDUPE_WINDOW : (dedupe.window ?? DEFAULT_DEDUPE_WINDOW));
    const sessionId = options.sessionId ?? `session-${newSpanId()}`;
    this.baseDefaults = {
      source: options.source ?? 'host',
      sessionId,
      agentId: options.agentId ?? 'main',
      traceId: traceIdFrom(sessionId),
    };
    this.bus = new EventBus({
      onListenerError: (error) => this.reportObserverError('listener', error),
    });
    this.hostState = this.sinkState(this.baseDefaults.source);
    this.internalState = this.sinkState('fleetscope');
    this.instrumentation = new Instrumentation({
      emit: (event) => this.emit(event),
      base: this.baseDefaults,
      capture: { input: options.capture?.input ?? true, output: options.capture?.output ?? true },
      clock: this.clock,
      guardrails: options.guardrails,
      onGuardrailError: (error) => {
        this.guardrailErrors++;
        this.reportObserverError('guardrails', error);
      },
    });
    const policy = options.guardrails?.policy;
    if (policy !== undefined && typeof policy.observe === 'function') {
      this.bus.on('*', (event) => policy.observe!(event));
    }
    this.pipeline = new Pipeline(
      {
        bus: this.bus,
        makeSink: (source) => this.makeSink(source),
        reportError: (kind, plugin, operation, error) => this.reportPluginError(kind, plugin, operation, error),
        now: this.clock,
        exportTimeoutMs: options.exportTimeoutMs ?? 30_000,
        stopTimeoutMs: this.flushTimeoutMs,
        storageBuffer: options.storageBuffer ?? {},
        transforms: options.transforms ?? [],
      },
      {
        storage: options.storage,
        analyzers: options.analyzers ?? [],
        exporters: options.exporters ?? [],
        runners: options.runners ?? [],
      },
    );
  }

  // ── The way in ─────────────────────────────────────────────────────────────────────────

  /**
   * Validates and publishes one event. Synchronous, never throws: an invalid event is counted
   * in `stats().invalidReasons` and dropped. Envelope fields left out are filled in from the
   * current `session()`/`agent()`/`tool()` scope, then from the observer's defaults.
   * Returns the published event, or undefined when it was rejected (invalid, or another runner's
   * report of the same call: see `ObserverOptions.dedupe`).
   */
  emit<T extends string>(event: TypedEventInput<T> & { type: T }): FleetEvent | undefined {
    return this.emitFrom(this.hostState, event as EventInput);
  }

  /**
   * `emit` for each event; returns how many were accepted. Takes already-typed `EventInput`s
   * (e.g. mapped from another format); invalid ones are counted like any other.
   */
  emitMany(events: Iterable<EventInput>): number {
    return this.emitManyFrom(this.hostState, events);
  }


  /** An emit path whose events default to `source` (runners and analyzers get one each). */
  private makeSink(source: string): EventSink {
    const state = this.sinkState(source);
    return { emit: (event) => void this.emitFrom(state, event), emitMany: (events) => void this.emitManyFrom(state, events) };
  }

  private sinkState(source: string): SinkState {
    const settings = { defaults: { ...this.baseDefaults, source }, limits: this.limits, nextId: this.nextId, now: this.clock };
    return { source, origin: this.sinkCount++, settings, scoped: { ...settings }, scopeDefaults: new WeakMap() };
  }

  /**
   * The one validated emit path, as a method taking the sink's state rather than a closure per
   * sink. Measured: creating a second closure of the emit path (an internal sink) made the host's
   * `emit` in bench/core.bench.ts go from 650 to 1,450 ns/event; as a method it stays at 650
   * whatever sinks exist.
   */
  private emitFrom(state: SinkState, raw: EventInput): FleetEvent | undefined {
    this.emitted++;
    if (this.closed) {
      // Not a data-quality problem: counted apart from invalid events.
      this.afterClose++;
      return undefined;
    }
    const scope = currentScope();
    let options = state.settings;
    if (scope !== undefined) {
      // A scope is immutable, so its defaults for this sink's source are computed once.
      let defaults = state.scopeDefaults.get(scope);
      if (defaults === undefined) state.scopeDefaults.set(scope, (defaults = defaultsOf(scope, state.source)));
      state.scoped.defaults = defaults;
      options = state.scoped;
    }
    const event = checkEvent(raw, options, this.checked);
    if (typeof event === 'string') {
      this.countInvalid(event);
      return undefined;
    }
    if (this.dedupe !== undefined) {
      const key = dedupeKey(event);
      if (key !== undefined && !this.dedupe.admit(key, state.origin)) {
        this.duplicates++;
        return undefined;
      }
    }
    if (this.checked.repairs.length > 0) this.countRepairs(this.checked.repairs);
    this.accepted++;
    this.bus.publish(event);
    return event;
  }

  private emitManyFrom(state: SinkState, events: Iterable<EventInput>): number {
    let accepted = 0;
    let iterator: Iterator<EventInput>;
    try {
      iterator = (events as Iterable<EventInput>)[Symbol.iterator]();
      if (typeof iterator?.next !== 'function') throw new TypeError('not an iterator');
    } catch {
      // Not an iterable: one emitted call, rejected, so emitted = accepted + invalid still holds.
      this.emitted++;
      if (this.closed) this.afterClose++;
      else this.countInvalid('emitMany: events must be an iterable');
      return 0;
    }
    for (;;) {
      let value: EventInput;
      try {
        const step = iterator.next();
        if (step.done === true) break;
        value = step.value;
      } catch {
        // A throwing host iterator: the event it failed to give is counted as one invalid emit.
        this.emitted++;
        if (this.closed) this.afterClose++;
        else this.countInvalid('emitMany: the iterable threw');
        break;
      }
      if (this.emitFrom(state, value) !== undefined) accepted++;
    }
    return accepted;
  }

  /** The host's clock threw or gave no usable time: that reading came from `Date.now()`. */
  private clockFailed(): void {
    this.observerErrors++;
    if (this.clockFailures++ === 0) {
      this.handOver(new FleetscopeError('[fleetscope] clock failed: it threw or returned no finite time >= 0; using Date.now() for such readings', { operation: 'clock' }));
    }
  }

  private countInvalid(reason: string): void {
    this.invalid++;
    const key = this.invalidReasons.has(reason) || this.invalidReasons.size < MAX_REASONS ? reason : 'other';
    this.invalidReasons.set(key, (this.invalidReasons.get(key) ?? 0) + 1);
  }

  private countRepairs(repairs: readonly RepairKind[]): void {
    this.sanitizedEvents++;
    for (const kind of repairs) this.repairs.set(kind, (this.repairs.get(kind) ?? 0) + 1);
  }

  // ── Instrumentation ───────────────────────────────────────────────────────────────────

  /**
   * Runs `fn` as a session: emits `session.start`/`session.end` (with status and duration),
   * and every event emitted inside, however deep in async code, carries the session's id.
   * Resolves to what `fn` returns; rethrows what it throws, unchanged.
   */
  session<T>(options: SessionOptions | string, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    return this.instrumentation.session(options, fn);
  }

  /** Runs `fn` in a workflow scope: agents started inside share its `workflowId`. */
  workflow<T>(options: WorkflowOptions | string, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    return this.instrumentation.workflow(options, fn);
  }

  /**
   * Runs `fn` as an agent: emits `agent.start`/`agent.end`. An agent started inside another
   * is its subagent (`parentAgentId`); tool and LLM calls inside are attributed to it.
   */
  agent<T>(options: AgentOptions | string, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    return this.instrumentation.agent(options, fn);
  }

  /**
   * Runs a tool call: emits `tool.start`, then `tool.end` with status, duration, output or error.
   * Rethrows the host's own error unchanged.
   */
  tool<T>(name: string, input: unknown, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    return this.instrumentation.tool(name, input, fn);
  }

  /**
   * Runs an LLM call and emits one `llm.call` with latency, status and tokens. Tokens are read
   * from `call.setUsage(...)`, or else from the result's `usage` (Anthropic and OpenAI shapes).
   */
  llm<T>(meta: LlmMeta, fn: (call: LlmCall) => T | Promise<T>): Promise<Awaited<T>> {
    return this.instrumentation.llm(meta, fn);
  }

  // ── Read side ─────────────────────────────────────────────────────────────────────────

  /** Calls `listener` synchronously for each event of `type` (`'*'` for all). Returns an unsubscribe function. */
  on<T extends BuiltinEventType>(type: T, listener: Listener<EventOf<T>>): () => void;
  on(type: string, listener: Listener): () => void;
  on(type: string, listener: Listener<never>): () => void {
    try {
      return this.bus.on(type, listener as Listener);
    } catch {
      return () => {};
    }
  }

  /**
   * A live stream of event batches matching `filter`, with its own bounded buffer:
   * `for await (const batch of observer.subscribe({ types: ['tool.end'] })) { ... }`.
   */
  subscribe(filter: EventFilter = {}, options: SubscribeOptions = {}): Subscription {
    return this.bus.subscribe(filter, options ?? {});
  }

  /**
   * Reads stored events in append order with cursor pagination. Waits (briefly) for the
   * storage appender to catch up, so an event emitted before the call is found.
   * Never throws: a failing storage gives an empty page and a counted error.
   */
  async query(query: EventQuery = {}): Promise<QueryPage> {
    query ??= {};
    const storage = this.pipeline.storage;
    if (storage === undefined) return { events: [] };
    // One deadline for the whole call: catching up, then the storage's own query.
    const deadline = new Deadline(this.flushTimeoutMs);
    await this.pipeline.storageCaughtUp(deadline.left());
    try {
      const rawLimit = query.limit ?? DEFAULT_QUERY_LIMIT;
      const limit = Number.isFinite(rawLimit) ? Math.min(MAX_QUERY_LIMIT, Math.max(1, Math.floor(rawLimit))) : DEFAULT_QUERY_LIMIT;
      const page = await withTimeout(callAsync(() => storage.query({ ...query, limit })), deadline.left(), `[fleetscope] storage "${storage.name}" query`);
      return typeof page === 'object' && page !== null && Array.isArray(page.events) ? page : { events: [] };
    } catch (error) {
      this.pipeline.fail('storage', storage.name, 'query', error);
      return { events: [] };
    }
  }

  /** Each analyzer's current results under its name; plain JSON-serializable data. */
  snapshot(): Record<string, unknown> {
    return this.pipeline.snapshots();
  }

  /**
   * Flushes, then renders the report from the analyzers' snapshots: markdown by default, or with
   * `format: 'html'` one self-contained HTML page (which also reads the stored events).
   */
  async report(options: ReportOptions = {}): Promise<string> {
    options ??= {};
    if (options.format === 'html') {
      try {
        return await this.renderHtml(this, options);
      } catch (error) {
        this.reportObserverError('report', error);
        return `<!DOCTYPE html><meta charset="utf-8"><title>report</title><p>The report could not be rendered.</p>\n`;
      }
    }
    await this.flush();
    try {
      return this.renderReport({
        title: options.title ?? 'fleetscope report',
        generatedAt: this.clock(),
        snapshots: this.snapshot(),
        stats: this.stats(),
      });
    } catch (error) {
      this.reportObserverError('report', error);
      return `# ${options.title ?? 'fleetscope report'}\n\nThe report could not be rendered: ${errorMessage(error)}\n`;
    }
  }

  stats(): ObserverStats {
    const subscriptions = this.bus.activeSubscriptions().map((s) => s.stats());
    const plugins: Record<string, PluginState> = {};
    for (const [name, state] of this.pipeline.plugins) plugins[name] = { ...state };
    return {
      events: {
        emitted: this.emitted,
        accepted: this.accepted,
        invalid: this.invalid,
        sanitized: this.sanitizedEvents,
        afterClose: this.afterClose,
        duplicates: this.duplicates,
      },
      invalidReasons: Object.fromEntries(this.invalidReasons),
      sanitized: Object.fromEntries(this.repairs),
      dropped: subscriptions.reduce((sum, s) => sum + s.dropped, 0),
      subscriptions,
      plugins,
      runners: this.pipeline.runnerHealth(),
      exporters: this.pipeline.exporterStats(),
      storage: this.pipeline.storageStats(),
      transforms: this.transformStats(),
      errors: this.observerErrors,
      guardrailErrors: this.guardrailErrors,
      closed: this.closed,
    };
  }

  private transformStats(): ObserverStats['transforms'] {
    const out: ObserverStats['transforms'] = this.pipeline.transformStats();
    if (this.pipeline.transformFailures > 0) out.withheldBatches = this.pipeline.transformFailures;
    return out;
  }

  /** Resolves when every runner's `start` has settled. */
  ready(): Promise<void> {
    return this.pipeline.ready();
  }

  /**
   * Waits until storage, every analyzer and every exporter have processed everything emitted
   * so far (derived events included), then flushes exporters and storage. Bounded by
   * `flushTimeoutMs`; never rejects.
   */
  flush(): Promise<void> {
    return this.flushWithin(new Deadline(this.flushTimeoutMs));
  }

  /** `flush` within `deadline`: draining and the plugins' own flushes share it. Never rejects. */
  private async flushWithin(deadline: Deadline): Promise<void> {
    try {
      await withTimeout(this.drain(), deadline.left(), '[fleetscope] flush');
    } catch (error) {
      this.reportObserverError('flush', error);
    }
    await this.pipeline.flushPlugins(deadline.left());
  }

  private async drain(): Promise<void> {
    // Analyzers may emit derived events while they catch up; go round until all is quiet.
    for (let round = 0; round < 20; round++) {
      const consumers = this.pipeline.consumers();
      await Promise.all(consumers.map((s) => s.whenIdle()));
      // One macrotask turn lets consumers finish work they started after reading.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (consumers.every((s) => s.pending === 0)) return;
    }
  }

  /**
   * Stops runners, drains every stream, shuts exporters down and closes storage, all within one
   * `flushTimeoutMs` shared by the steps; then ends every subscription (a `for await` over one
   * ends once it has read what was buffered). Idempotent: every call returns the same promise.
   * Never rejects.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const deadline = new Deadline(this.flushTimeoutMs);
      try {
        await withTimeout(this.closeWithin(deadline), deadline.left(), '[fleetscope] close');
      } catch (error) {
        this.reportObserverError('close', error);
      }
      this.closed = true;
      this.bus.endAll();
    })();
    return this.closing;
  }

  private async closeWithin(deadline: Deadline): Promise<void> {
    await this.pipeline.stopRunners(deadline.left());
    await this.flushWithin(deadline);
    this.closed = true;
    await this.pipeline.shutdown(() => deadline.left());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ── Errors ────────────────────────────────────────────────────────────────────────────

  private reportPluginError(kind: PluginKind, plugin: string, operation: string, error: unknown): void {
    const message = `[fleetscope] [${kind}:${plugin}] ${operation} failed: ${errorMessage(error).replace(/^\[fleetscope\] /, '')}`;
    this.handOver(new FleetscopeError(message, { plugin, kind, operation, cause: error }));
    const key = `${plugin}/${operation}`;
    const now = this.clock();
    const last = this.lastErrorEvent.get(key);
    if (last !== undefined && now - last < ERROR_EVENT_INTERVAL_MS) return;
    if (this.lastErrorEvent.size > 1000) this.lastErrorEvent.clear();
    this.lastErrorEvent.set(key, now);
    if (this.closed) return;
    this.emitFrom(this.internalState, {
      type: 'plugin.error',
      payload: { plugin, kind, operation, message: errorMessage(error).slice(0, 2000) },
    });
  }

  private reportObserverError(operation: string, error: unknown): void {
    this.observerErrors++;
    this.handOver(
      new FleetscopeError(`[fleetscope] ${operation} failed: ${errorMessage(error)}`, { operation, cause: error }),
    );
  }

  private handOver(error: FleetscopeError): void {
    try {
      this.onError(error);
    } catch {
      // The host's own handler threw; there is nowhere left to report it.
    }
  }
}

/** Creates an observer from core parts only (no default storage or analyzers). */
export function createCoreObserver(options: ObserverOptions = {}): Observer {
  return new Observer(options);
}



/**
 * The host's clock, called inside a `try`: a reading that throws or is not a finite time >= 0
 * comes from `Date.now()` instead (and `failed` is told), so a bad clock can neither throw into
 * the host nor make events invalid.
 */
function guardClock(clock: (() => number) | undefined, failed: () => void): () => number {
  if (clock === undefined) return Date.now;
  return () => {
    try {
      const now = clock();
      if (typeof now === 'number' && Number.isFinite(now) && now >= 0) return now;
    } catch {
      // fall through
    }
    failed();
    return Date.now();
  };
}

/** Envelope defaults of events emitted inside `scope` by a sink whose source is `source`. */
function defaultsOf(scope: ScopeContext, source: string): EventDefaults {
  return {
    source,
    sessionId: scope.sessionId,
    agentId: scope.agentId,
    workflowId: scope.workflowId,
    traceId: scope.traceId,
    parentSpanId: scope.spanId,
  };
}

/** What one emit path needs: its default source, and its defaults per scope. */
interface SinkState {
  source: string;
  /** Numbers this emit path for de-duplication (another path's report of the same call is a duplicate). */
  origin: number;
  settings: ValidateOptions;
  /** Reused for events emitted inside a scope (only `defaults` changes). */
  scoped: ValidateOptions;
  scopeDefaults: WeakMap<ScopeContext, EventDefaults>;
}
