/**
 * The pipeline wires plugins to the bus: one storage appender, one stream per analyzer
 * (started in dependency order), one batcher per exporter, and the runners. Every plugin call
 * goes through `isolate`, so a plugin that throws or rejects costs a counter, not the host.
 */
import type { EventBus } from './bus.js';
import { FleetscopeError, callAsync, errorMessage, withTimeout } from './errors.js';
import { DERIVED_SOURCE_PREFIX, type FleetEvent, type PluginKind } from './events.js';
import type {
  Analyzer,
  AnalyzerContext,
  EventSink,
  Exporter,
  Runner,
  RunnerHealth,
  Storage,
} from './plugins.js';
import type { SubscribeOptions, Subscription } from './subscription.js';
import type { BatchTransform, EventTransform, SinkInfo } from './transform.js';

export interface PipelineDeps {
  bus: EventBus;
  /** A validated emit path whose events default to `source`. */
  makeSink(source: string): EventSink;
  reportError(kind: PluginKind, plugin: string, operation: string, error: unknown): void;
  now(): number;
  exportTimeoutMs: number;
  stopTimeoutMs: number;
  storageBuffer: Omit<SubscribeOptions, 'signal'>;
  /** Applied, in order, to each batch on its way to storage and to each exporter. */
  transforms?: readonly EventTransform[];
}

export interface PluginState {
  kind: PluginKind;
  /** `running`, `failed` (the plugin's stream ended with an error), `stopped`. */
  state: 'running' | 'failed' | 'stopped';
  errors: number;
  lastError?: string;
}

export interface ExporterCounters {
  batches: number;
  exported: number;
  failedBatches: number;
  failedEvents: number;
  timeouts: number;
  lastError?: string;
}

/** `observer.stats().exporters[name]`. */
export interface ExporterPipelineStats extends ExporterCounters {
  /** Events lost by the pipeline's bounded queue in front of the exporter. */
  dropped: number;
  /** The exporter's own `stats()` (its own queue drops, retries, ...); `{ statsError }` when it threw. */
  own: Record<string, unknown>;
}

interface ExporterSlot {
  exporter: Exporter;
  subscription: Subscription;
  counters: ExporterCounters;
  done: Promise<void>;
}

interface AnalyzerSlot {
  analyzer: Analyzer;
  subscription: Subscription;
  done: Promise<void>;
}

/**
 * Orders analyzers so that each comes after those it depends on; throws on a cycle or a missing name.
 * Independent analyzers keep the order given, and their subscriptions are opened in that order. An
 * event goes first to the subscriptions that name its type in their filter, in the order opened,
 * then to those reading every type, in the order opened; each is handed its batch in the order it
 * first received an event of it. So a latency-bound analyzer (the alert engine) goes first and
 * names its types, so that it does not wait for the heavier ones.
 */
export function orderAnalyzers(analyzers: readonly Analyzer[]): Analyzer[] {
  const byName = new Map<string, Analyzer>();
  for (const analyzer of analyzers) {
    if (typeof analyzer?.name !== 'string' || analyzer.name === '') {
      throw new FleetscopeError('[fleetscope] every analyzer needs a non-empty name', { operation: 'options' });
    }
    if (byName.has(analyzer.name)) {
      throw new FleetscopeError(`[fleetscope] two analyzers are named "${analyzer.name}"`, { operation: 'options' });
    }
    byName.set(analyzer.name, analyzer);
  }
  const ordered: Analyzer[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (analyzer: Analyzer, path: string[]): void => {
    const mark = state.get(analyzer.name);
    if (mark === 'done') return;
    if (mark === 'visiting') {
      throw new FleetscopeError(
        `[fleetscope] analyzer dependency cycle: ${[...path, analyzer.name].join(' -> ')}`,
        { operation: 'options' },
      );
    }
    state.set(analyzer.name, 'visiting');
    for (const dependency of analyzer.dependsOn ?? []) {
      const target = byName.get(dependency);
      if (target === undefined) {
        throw new FleetscopeError(
          `[fleetscope] analyzer "${analyzer.name}" depends on "${dependency}", which is not registered`,
          { operation: 'options' },
        );
      }
      visit(target, [...path, analyzer.name]);
    }
    state.set(analyzer.name, 'done');
    ordered.push(analyzer);
  };
  for (const analyzer of analyzers) visit(analyzer, []);
  return ordered;
}

export class Pipeline {
  readonly plugins = new Map<string, PluginState>();
  private readonly analyzers: AnalyzerSlot[] = [];
  private readonly analyzerByName = new Map<string, Analyzer>();
  private readonly exporters: ExporterSlot[] = [];
  private readonly runners: { runner: Runner; started: Promise<void> }[] = [];
  private storageSlot: { storage: Storage; subscription: Subscription; done: Promise<void> } | undefined;
  private readonly abort = new AbortController();
  /** Batches a transform failed on, so that they were not delivered (fail closed). */
  transformFailures = 0;

  constructor(
    private readonly deps: PipelineDeps,
    parts: { storage?: Storage; analyzers: readonly Analyzer[]; exporters: readonly Exporter[]; runners: readonly Runner[] },
  ) {
    for (const analyzer of parts.analyzers) this.analyzerByName.set(analyzer.name, analyzer);
    for (const transform of deps.transforms ?? []) this.register(transform.name, 'transform');
    // Consumers first, sources last, so that no event a runner emits at start is missed.
    if (parts.storage !== undefined) this.startStorage(parts.storage);
    for (const analyzer of orderAnalyzers(parts.analyzers)) this.startAnalyzer(analyzer);
    for (const exporter of parts.exporters) this.startExporter(exporter);
    for (const runner of parts.runners) this.startRunner(runner);
  }

  get storage(): Storage | undefined {
    return this.storageSlot?.storage;
  }

  private register(name: string, kind: PluginKind): PluginState {
    const key = this.plugins.has(name) ? `${kind}:${name}` : name;
    const state: PluginState = { kind, state: 'running', errors: 0 };
    this.plugins.set(key, state);
    return state;
  }

  /** Records a plugin failure: counted, handed to the error handler, put on the bus. */
  fail(kind: PluginKind, name: string, operation: string, error: unknown): void {
    const state = this.plugins.get(name) ?? this.plugins.get(`${kind}:${name}`);
    if (state !== undefined) {
      state.errors++;
      state.lastError = `${operation}: ${errorMessage(error)}`;
    }
    this.deps.reportError(kind, name, operation, error);
  }

  private startStorage(storage: Storage): void {
    this.register(storage.name, 'storage');
    const subscription = this.deps.bus.subscribe({}, { name: `storage:${storage.name}`, ...this.deps.storageBuffer });
    const transform = this.transformFor({ kind: 'storage', name: storage.name });
    const done = (async () => {
      for await (const raw of subscription) {
        const batch = transform === undefined ? raw : transform(raw);
        if (batch === undefined || batch.length === 0) continue;
        try {
          await callAsync(() => storage.append(batch));
        } catch (error) {
          this.fail('storage', storage.name, 'append', error);
        }
      }
    })();
    this.storageSlot = { storage, subscription, done };
  }

  private startAnalyzer(analyzer: Analyzer): void {
    const state = this.register(analyzer.name, 'analyzer');
    const source = `${DERIVED_SOURCE_PREFIX}${analyzer.name}`;
    const filter = analyzer.filter ?? {};
    const subscription = this.deps.bus.subscribe(
      { ...filter, excludeSources: [...(filter.excludeSources ?? []), source] },
      { ...analyzer.subscription, name: source },
    );
    const sink = this.deps.makeSink(source);
    const allowed = new Set(analyzer.dependsOn ?? []);
    const context: AnalyzerContext = {
      emit: (event) => sink.emit(event),
      snapshotOf: <T>(name: string): T | undefined => {
        if (!allowed.has(name)) return undefined;
        return this.snapshotOf(name) as T | undefined;
      },
      reportError: (error, operation = 'consume') => this.fail('analyzer', analyzer.name, operation, error),
      signal: this.abort.signal,
      now: this.deps.now,
    };
    const done = callAsync(() => analyzer.consume(subscription, context)).then(
      () => {
        if (state.state === 'running') state.state = 'stopped';
      },
      (error) => {
        state.state = 'failed';
        this.fail('analyzer', analyzer.name, 'consume', error);
        // Nobody reads this stream any more: release its buffer.
        subscription.close();
      },
    );
    this.analyzers.push({ analyzer, subscription, done });
  }

  private startExporter(exporter: Exporter): void {
    this.register(exporter.name, 'exporter');
    const subscription = this.deps.bus.subscribe(exporter.filter ?? {}, {
      ...exporter.subscription,
      name: `exporter:${exporter.name}`,
    });
    const counters: ExporterCounters = { batches: 0, exported: 0, failedBatches: 0, failedEvents: 0, timeouts: 0 };
    const what = `[fleetscope] exporter "${exporter.name}" export`;
    const transform = this.transformFor({ kind: 'exporter', name: exporter.name });
    const done = (async () => {
      for await (const raw of subscription) {
        const batch = transform === undefined ? raw : transform(raw);
        if (batch === undefined || batch.length === 0) continue;
        counters.batches++;
        try {
          const result = await withTimeout(callAsync(() => exporter.export(batch)), this.deps.exportTimeoutMs, what);
          if (result?.code === 'success') {
            counters.exported += batch.length;
            continue;
          }
          const error = result?.code === 'failed' ? result.error : new Error('export returned no result');
          this.countExportFailure(counters, batch, error);
          this.fail('exporter', exporter.name, 'export', error);
        } catch (error) {
          if (errorMessage(error).includes('timed out')) counters.timeouts++;
          this.countExportFailure(counters, batch, error);
          this.fail('exporter', exporter.name, 'export', error);
        }
      }
    })();
    this.exporters.push({ exporter, subscription, counters, done });
  }

  /**
   * The composition of every transform that applies to `sink`, decided once here; undefined
   * when none does (the sink then pays nothing). The composed function never throws: a
   * transform that fails withholds the batch from that sink (fail closed) and is counted.
   */
  private transformFor(sink: SinkInfo): ((batch: readonly FleetEvent[]) => readonly FleetEvent[] | undefined) | undefined {
    const steps: { name: string; run: BatchTransform }[] = [];
    for (const transform of this.deps.transforms ?? []) {
      const source = `transform:${transform.name}`;
      const emitter = this.deps.makeSink(source);
      try {
        const run = transform.forSink(sink, {
          emit: (event) => emitter.emit(event),
          reportError: (error, operation = 'transform') => this.fail('transform', transform.name, operation, error),
          now: this.deps.now,
        });
        if (run !== undefined) steps.push({ name: transform.name, run });
      } catch (error) {
        // A transform that cannot set itself up for a sink must not let batches through unchanged.
        this.fail('transform', transform.name, 'forSink', error);
        steps.push({ name: transform.name, run: () => { throw error; } });
      }
    }
    if (steps.length === 0) return undefined;
    return (batch) => {
      let out = batch;
      for (const step of steps) {
        try {
          out = step.run(out);
        } catch (error) {
          this.transformFailures++;
          this.fail('transform', step.name, `transform for ${sink.kind} ${sink.name}`, error);
          return undefined;
        }
      }
      return out;
    };
  }

  transformStats(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const transform of this.deps.transforms ?? []) {
      try {
        out[transform.name] = transform.stats?.() ?? {};
      } catch (error) {
        out[transform.name] = { statsError: errorMessage(error) };
      }
    }
    return out;
  }

  private countExportFailure(counters: ExporterCounters, batch: readonly FleetEvent[], error: unknown): void {
    counters.failedBatches++;
    counters.failedEvents += batch.length;
    counters.lastError = errorMessage(error);
  }

  private startRunner(runner: Runner): void {
    const state = this.register(runner.name, 'runner');
    const sink = this.deps.makeSink(runner.name);
    const started = callAsync(() =>
      runner.start({
        emit: (event) => sink.emit(event),
        emitMany: (events) => sink.emitMany(events),
        reportError: (error, operation = 'run') => this.fail('runner', runner.name, operation, error),
        signal: this.abort.signal,
      }),
    ).catch((error) => {
      state.state = 'failed';
      this.fail('runner', runner.name, 'start', error);
    });
    this.runners.push({ runner, started });
  }

  /** Resolves when every runner's `start` has settled. */
  async ready(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.started));
  }

  snapshotOf(name: string): unknown {
    const analyzer = this.analyzerByName.get(name);
    if (analyzer === undefined) return undefined;
    try {
      return analyzer.snapshot();
    } catch (error) {
      this.fail('analyzer', name, 'snapshot', error);
      return { error: errorMessage(error) };
    }
  }

  snapshots(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const { analyzer } of this.analyzers) out[analyzer.name] = this.snapshotOf(analyzer.name);
    return out;
  }

  /** Internal consumers whose catching up `flush` waits for. */
  consumers(): Subscription[] {
    const subs = [...this.analyzers.map((a) => a.subscription), ...this.exporters.map((e) => e.subscription)];
    if (this.storageSlot !== undefined) subs.unshift(this.storageSlot.subscription);
    return subs;
  }

  /** Waits for the storage appender to catch up (for read-your-writes queries). */
  async storageCaughtUp(timeoutMs: number): Promise<void> {
    if (this.storageSlot === undefined) return;
    await withTimeout(this.storageSlot.subscription.whenIdle(), timeoutMs, 'storage catch-up').catch(() => {});
  }

  /** Asks exporters and storage to push out what they buffer themselves. */
  async flushPlugins(timeoutMs: number): Promise<void> {
    const jobs: Promise<void>[] = this.exporters.map(({ exporter }) =>
      exporter.flush === undefined
        ? Promise.resolve()
        : withTimeout(callAsync(() => exporter.flush!()), timeoutMs, `[fleetscope] exporter "${exporter.name}" flush`).catch(
            (error) => this.fail('exporter', exporter.name, 'flush', error),
          ),
    );
    const storage = this.storageSlot?.storage;
    if (storage?.flush !== undefined) {
      jobs.push(
        withTimeout(callAsync(() => storage.flush!()), timeoutMs, `[fleetscope] storage "${storage.name}" flush`).catch(
          (error) => this.fail('storage', storage.name, 'flush', error),
        ),
      );
    }
    await Promise.all(jobs);
  }

  /** Stops every runner, each within `stopTimeoutMs` (what is left of the caller's deadline). */
  async stopRunners(stopTimeoutMs: number): Promise<void> {
    await Promise.all(
      this.runners.map(async ({ runner, started }) => {
        // A start that never settles must not hold the stop back past the deadline.
        await withTimeout(started, stopTimeoutMs, 'runner start').catch(() => {});
        try {
          await withTimeout(callAsync(() => runner.stop()), stopTimeoutMs, `[fleetscope] runner "${runner.name}" stop`);
        } catch (error) {
          this.fail('runner', runner.name, 'stop', error);
        }
        const state = this.plugins.get(runner.name);
        if (state !== undefined && state.state === 'running') state.state = 'stopped';
      }),
    );
  }

  /**
   * Ends every stream (consumers read what is buffered), then shuts plugins down; every wait is
   * bounded by `left()`, what is left of the caller's one deadline.
   */
  async shutdown(left: () => number): Promise<void> {
    for (const subscription of this.consumers()) subscription.end();
    const settle = (p: Promise<void>, what: string) => withTimeout(p, left(), what).catch(() => {});
    await Promise.all([
      ...this.analyzers.map((a) => settle(a.done, `analyzer ${a.analyzer.name}`)),
      ...this.exporters.map((e) => settle(e.done, `exporter ${e.exporter.name}`)),
      this.storageSlot ? settle(this.storageSlot.done, 'storage appender') : Promise.resolve(),
    ]);
    this.abort.abort();
    await Promise.all(
      this.exporters.map(async ({ exporter }) => {
        try {
          await withTimeout(callAsync(() => exporter.shutdown()), left(), `[fleetscope] exporter "${exporter.name}" shutdown, in what was left of close()'s deadline,`);
        } catch (error) {
          this.fail('exporter', exporter.name, 'shutdown', error);
        }
        const state = this.plugins.get(exporter.name);
        if (state !== undefined) state.state = 'stopped';
      }),
    );
    const storage = this.storageSlot?.storage;
    if (storage !== undefined) {
      try {
        await withTimeout(callAsync(() => storage.close()), left(), `[fleetscope] storage "${storage.name}" close, in what was left of close()'s deadline,`);
      } catch (error) {
        this.fail('storage', storage.name, 'close', error);
      }
      const state = this.plugins.get(storage.name);
      if (state !== undefined) state.state = 'stopped';
    }
  }

  runnerHealth(): Record<string, RunnerHealth> {
    const out: Record<string, RunnerHealth> = {};
    for (const { runner } of this.runners) {
      try {
        out[runner.name] = runner.health();
      } catch (error) {
        out[runner.name] = { status: 'failed', message: `health() threw: ${errorMessage(error)}` };
      }
    }
    return out;
  }

  /**
   * Per exporter: the pipeline's counters (batches, exported, failed, timeouts, and `dropped`,
   * the events its queue in front of the exporter lost) and, under `own`, what the exporter
   * counts itself (a webhook's queue drops, retries, ...), so neither hides the other.
   */
  exporterStats(): Record<string, ExporterPipelineStats> {
    const out: Record<string, ExporterPipelineStats> = {};
    for (const { exporter, counters, subscription } of this.exporters) {
      let own: Record<string, unknown> = {};
      try {
        const reported: unknown = exporter.stats?.();
        if (typeof reported === 'object' && reported !== null) own = { ...reported };
      } catch (error) {
        own = { statsError: errorMessage(error) };
      }
      out[exporter.name] = { ...counters, dropped: subscription.stats().dropped, own };
    }
    return out;
  }

  storageStats(): Record<string, unknown> | undefined {
    const storage = this.storageSlot?.storage;
    if (storage === undefined) return undefined;
    try {
      return { name: storage.name, ...storage.stats(), dropped: this.storageSlot!.subscription.stats().dropped };
    } catch (error) {
      this.fail('storage', storage.name, 'stats', error);
      return { name: storage.name, error: errorMessage(error) };
    }
  }
}
