/**
 * The observer's options, its stats shape, and the construction-time check of the options
 * (the one place where fleetscope throws at the host: bad options, with a clear message).
 */
import { FleetscopeError, type ErrorHandler } from './errors.js';
import type { GuardrailOptions } from './guardrails.js';
import type { ExporterPipelineStats, PluginState } from './pipeline.js';
import type { Analyzer, Exporter, Runner, RunnerHealth, Storage } from './plugins.js';
import type { ReportRenderer } from './report.js';
import type { Observer } from './observer.js';
import type { PayloadLimits, RepairKind } from './sanitize.js';
import type { SubscribeOptions, SubscriptionStats } from './subscription.js';
import type { EventTransform } from './transform.js';

export interface ObserverOptions {
  /** Event sources started with the observer. */
  runners?: readonly Runner[];
  /** Analyzers, started in `dependsOn` order. Default none (the root `createObserver` adds the built-in set). */
  analyzers?: readonly Analyzer[];
  /** Where events are kept for `query`. Default none (the root `createObserver` uses in-memory storage). */
  storage?: Storage;
  exporters?: readonly Exporter[];
  /**
   * Applied in order to each batch on its way out of the bus, before storage and before each
   * exporter (redaction is one: `redaction()` from `fleetscope/redaction`). Default none (the
   * root `createObserver` adds secret redaction for exporters; see its `redact` option).
   */
  transforms?: readonly EventTransform[];
  /** Session of events emitted outside any `session()` scope. Default a random `session-…` id. */
  sessionId?: string;
  /** Agent of events emitted outside any `agent()` scope. Default `main`. */
  agentId?: string;
  /** `source` of events the host emits. Default `host`. */
  source?: string;
  /** Payload size limits; see `PayloadLimits`. */
  limits?: Partial<PayloadLimits>;
  /** Whether `tool()`/`agent()` record inputs and outputs in events. Default both `true`. */
  capture?: { input?: boolean; output?: boolean };
  /** Receives every isolated failure. Default: one stderr line per plugin and operation per minute. */
  onError?: ErrorHandler;
  /** Clock in ms since the epoch. Default `Date.now`. */
  clock?: () => number;
  /**
   * Prefix of the ids given to events emitted without one (each id is the prefix and a base-36
   * count). Default 6 random characters per observer. A replay sets a fixed one, so that the same
   * events replayed again get the same ids (and a report names the same events).
   */
  eventIdPrefix?: string;
  /** Buffer of the storage appender. Default high-water mark 131072, drop-oldest. */
  storageBuffer?: Omit<SubscribeOptions, 'signal'>;
  /** Deadline of one exporter `export` call. Default 30000 ms. */
  exportTimeoutMs?: number;
  /** Deadline for `flush()` and for each plugin's stop/shutdown in `close()`. Default 10000 ms. */
  flushTimeoutMs?: number;
  /** Renders `report()`. Default: a plain markdown dump of the snapshots. */
  report?: ReportRenderer;
  /**
   * Guardrails consulted by `tool()` before the function runs (and on its output). Default none.
   * With `enforce: true` a blocked call rejects with `GuardrailBlockedError` (opt-in; see
   * docs/security.md); otherwise decisions are only recorded as `guardrail.decision` events.
   */
  guardrails?: GuardrailOptions;
  /**
   * Renders `report({ format: 'html' })` from the observer (it reads snapshots, stats and stored
   * events). Default: the markdown report in a minimal escaped page; the root `createObserver`
   * plugs in the full HTML report of `fleetscope/reports`.
   */
  htmlReport?: HtmlReportHook;
  /**
   * Counts an occurrence reported by several sources once (Claude Code's hooks, transcripts and
   * OpenTelemetry export of the same session): an event whose `dedupeKey` (tool call id, request
   * id, session, subagent span, prompt id) another emit path (a runner, the host) reported first
   * is dropped and counted in `stats().events.duplicates`. `window` is how many keys are
   * remembered (the oldest forgotten first; default 50,000). Default: on when the
   * observer has two runners or more, off otherwise; `false` turns it off.
   */
  dedupe?: boolean | { window?: number };
}

/** Renders the HTML report of an observer; must not reject. */
export type HtmlReportHook = (observer: Observer, options: ReportOptions) => Promise<string>;

export interface ObserverStats {
  events: {
    /** Calls to `emit` (and events in `emitMany`), valid or not. */
    emitted: number;
    /** Events that passed validation and were published. */
    accepted: number;
    /** Events rejected at the door; reasons below. */
    invalid: number;
    /** Events kept after a repair (truncated, cycles cut, non-JSON values dropped). */
    sanitized: number;
    /**
     * Events emitted after `close()` finished: dropped, and counted here rather than as invalid
     * (they are not a data-quality problem).
     */
    afterClose: number;
    /**
     * Events another source had already reported (`ObserverOptions.dedupe`): dropped, counted
     * here. `emitted = accepted + invalid + afterClose + duplicates`.
     */
    duplicates: number;
  };
  /** Rejections by reason (at most 100 distinct reasons; the rest count under `other`). */
  invalidReasons: Record<string, number>;
  /** Repairs by kind. */
  sanitized: Partial<Record<RepairKind, number>>;
  /** Sum of events dropped by every subscriber's overflow policy. */
  dropped: number;
  /** Every open subscription, internal (storage, analyzers, exporters) and the host's. */
  subscriptions: SubscriptionStats[];
  /** Every plugin's state and error count. */
  plugins: Record<string, PluginState>;
  runners: Record<string, RunnerHealth>;
  /** Per exporter: the pipeline's counters, and the exporter's own under `own`. */
  exporters: Record<string, ExporterPipelineStats>;
  storage?: Record<string, unknown>;
  /**
   * Each transform's own counters under its name (redaction: findings per category, ...), plus
   * `withheldBatches`: batches not delivered to a sink because a transform failed on them.
   */
  transforms: Record<string, Record<string, unknown>> & { withheldBatches?: number };
  /** Failures of the observer itself (flush timeouts, ...). */
  errors: number;
  /** Guardrail checks that threw (the call went on unchecked). */
  guardrailErrors: number;
  closed: boolean;
}

export interface ReportOptions {
  /** Title of the report. Default `fleetscope report`. */
  title?: string;
  /** `markdown` (default) or `html`: one self-contained page (see docs/reports.md). */
  format?: 'markdown' | 'html';
  /** HTML only: embed tool inputs and outputs and message text. Default `false` (the page is safe to share). */
  includeContent?: boolean;
}


export function checkOptions(options: ObserverOptions): void {
  const fail = (message: string) => {
    throw new FleetscopeError(`[fleetscope] invalid option: ${message}`, { operation: 'options' });
  };
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  for (const key of ['runners', 'analyzers', 'exporters', 'transforms'] as const) {
    const value = options[key];
    if (value !== undefined && !Array.isArray(value)) fail(`${key} must be an array`);
  }
  for (const runner of options.runners ?? []) {
    if (typeof runner?.start !== 'function' || typeof runner.stop !== 'function' || typeof runner.health !== 'function') {
      fail(`runner "${runner?.name}" must have start(), stop() and health()`);
    }
  }
  for (const analyzer of options.analyzers ?? []) {
    if (typeof analyzer?.consume !== 'function' || typeof analyzer.snapshot !== 'function') {
      fail(`analyzer "${analyzer?.name}" must have consume() and snapshot()`);
    }
  }
  for (const exporter of options.exporters ?? []) {
    if (typeof exporter?.export !== 'function' || typeof exporter.shutdown !== 'function') {
      fail(`exporter "${exporter?.name}" must have export() and shutdown()`);
    }
  }
  for (const transform of options.transforms ?? []) {
    if (typeof transform?.forSink !== 'function' || typeof transform.name !== 'string') {
      fail(`transform "${transform?.name}" must have a name and forSink()`);
    }
  }
  const storage = options.storage;
  if (storage !== undefined && (typeof storage?.append !== 'function' || typeof storage.query !== 'function')) {
    fail('storage must have append(), query(), stats() and close()');
  }
  for (const key of ['exportTimeoutMs', 'flushTimeoutMs'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || !(value > 0))) fail(`${key} must be a number > 0`);
  }
  for (const key of ['sessionId', 'agentId', 'source'] as const) {
    const value = options[key];
    // The validator's rule for ids, so that no default makes every event invalid.
    if (value !== undefined && (typeof value !== 'string' || value.length === 0 || value.length > 256 || /[\u0000-\u001f\u007f]/.test(value))) {
      fail(`${key} must be a string of 1-256 characters without control characters`);
    }
  }
  for (const key of ['clock', 'onError', 'report'] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== 'function') fail(`${key} must be a function`);
  }
  for (const key of ['limits', 'capture', 'storageBuffer'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'object' || value === null)) fail(`${key} must be an object`);
  }
  if (options.eventIdPrefix !== undefined && !/^[0-9a-z_-]{1,12}$/i.test(String(options.eventIdPrefix))) {
    fail('eventIdPrefix must be 1 to 12 letters, digits, "_" or "-"');
  }
  if (options.clock !== undefined) {
    let now: unknown;
    try {
      now = options.clock();
    } catch (error) {
      fail(`clock threw: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) fail('clock must return milliseconds since the epoch (a finite number >= 0)');
  }
  if (options.guardrails !== undefined && typeof options.guardrails?.policy?.check !== 'function') {
    fail('guardrails.policy must have check() (e.g. createGuardrailEngine() from fleetscope/guardrails)');
  }
  const dedupe = options.dedupe;
  if (dedupe !== undefined && typeof dedupe !== 'boolean') {
    if (typeof dedupe !== 'object' || dedupe === null) fail('dedupe must be a boolean or { window }');
    const window = dedupe.window;
    if (window !== undefined && !(typeof window === 'number' && Number.isInteger(window) && window > 0)) fail('dedupe.window must be an integer > 0');
  }
  for (const [key, value] of Object.entries(options.limits ?? {})) {
    if (typeof value !== 'number' || !(value > 0)) fail(`limits.${key} must be a number > 0`);
  }
}

