/**
 * fleetscope: embeddable, in-process observability for AI agents and multi-agent systems.
 *
 * ```ts
 * import { createObserver } from 'fleetscope';
 * const observer = createObserver();
 * await observer.session('run-1', () => observer.tool('search', { q: 'x' }, () => search('x')));
 * console.log(await observer.report());
 * ```
 */
import { Observer, type Analyzer, type Exporter, type GuardrailOptions, type ObserverOptions, type Storage } from './core/index.js';
import { memoryStorage } from './storage/memory.js';
import { defaultAnalyzers } from './analyzers/defaults.js';
import { renderMarkdownReport } from './reports/markdown.js';
import { redaction, type RedactionOptions } from './redaction/transform.js';
import { auditLog, type AuditLogOptions } from './storage/audit-log.js';
import { alertsAnalyzer, type AlertsAnalyzer, type AlertsOptions } from './analyzers/alerts.js';
import { createGuardrailEngine, type GuardrailEngineOptions } from './guardrails/engine.js';

/** The `alerts` option of `createObserver` as an object. */
export interface ObserverAlertsOptions extends AlertsOptions {
  /**
   * Exporters that deliver alerts (webhook, Slack, `alertmanagerExporter`): each receives only
   * `alert` events unless it has a filter of its own. Default none (alerts are events on the bus,
   * in `snapshot().alerts` and in the reports).
   */
  exporters?: readonly Exporter[];
  /**
   * An engine you built with `alertsAnalyzer(...)` (keep the reference to `acknowledge`,
   * `silence` and `unsilence`); the rule options above are then its own. Default: one built from
   * the options above.
   */
  engine?: AlertsAnalyzer;
}

/** The `guardrails` option of `createObserver` as an engine's options (see `fleetscope/guardrails`). */
export interface ObserverGuardrailsOptions extends GuardrailEngineOptions, Omit<GuardrailOptions, 'policy'> {}

export * from './core/index.js';
export { memoryStorage, type MemoryStorageOptions } from './storage/memory.js';
export { defineAnalyzer, eachEvent, type AnalyzerDefinition } from './analyzers/define.js';
export { defaultAnalyzers, type DefaultAnalyzersOptions } from './analyzers/defaults.js';
export { renderMarkdownReport } from './reports/markdown.js';

export interface CreateObserverOptions extends Omit<ObserverOptions, 'storage' | 'guardrails'> {
  /** Where events are kept for `query`. Default `memoryStorage()`; `false` keeps nothing. */
  storage?: Storage | false;
  /** Analyzers. Default `defaultAnalyzers()` (the whole built-in set); `[]` for none. */
  analyzers?: NonNullable<ObserverOptions['analyzers']>;
  /** Renders `report()`. Default `renderMarkdownReport` (insights, slowest operations, cost, regressions, workflows). */
  report?: NonNullable<ObserverOptions['report']>;
  /** Renders `report({ format: 'html' })`. Default `observerHtmlReport` of `fleetscope/reports`, loaded on first use. */
  htmlReport?: NonNullable<ObserverOptions['htmlReport']>;
  /**
   * Redaction of secrets and personal data before events are stored or exported (see
   * docs/security.md). `true`: every category, masked, before storage and every exporter.
   * A `RedactionOptions` object: categories, modes (`mask`, `hash`, `drop`) and sinks as given.
   * `false`: none. Default: secrets masked before every exporter (storage keeps events whole).
   */
  redact?: boolean | RedactionOptions;
  /**
   * A tamper-evident audit log (see docs/security.md): a directory, or `AuditLogOptions`. It
   * records guardrail decisions, alerts, redaction findings, plugin failures and the
   * configuration at start (with `events: 'all'`, every event), after exporter redaction.
   * Default none.
   */
  audit?: string | AuditLogOptions;
  /**
   * The alert engine (see docs/security.md): `true` for the default rules (error bursts, stalled
   * agents, error ratio, budgets, anomalies, guardrail blocks); `ObserverAlertsOptions` for rules,
   * options, delivery `exporters` and your own `engine`. Its state is `snapshot().alerts`. Do not
   * also add an `alerts` analyzer in `analyzers` (its name is taken). Default off.
   */
  alerts?: boolean | ObserverAlertsOptions;
  /**
   * Guardrails consulted by `observer.tool()` before the tool runs (see docs/security.md):
   * `true` for the default pack, recorded as `guardrail.decision` events but not enforced;
   * `ObserverGuardrailsOptions` (`packs`, `rules`, `enforce`, `checkOutput`) or the core
   * `GuardrailOptions` (`{ policy, enforce }`) for more. `enforce: true` makes a `block` reject
   * with `GuardrailBlockedError`. Default none.
   */
  guardrails?: boolean | GuardrailOptions | ObserverGuardrailsOptions;
}

/** The configuration recorded at the start of an audit log: names and settings, no secrets. */
function describeConfig(options: CreateObserverOptions, analyzerNames: string[], exporterNames: string[], guardrails: GuardrailOptions | undefined): Record<string, unknown> {
  const redact = options.redact;
  return {
    startedAt: new Date().toISOString(),
    pid: process.pid,
    sessionId: options.sessionId,
    redact: redact === undefined ? 'default (secrets, exporters)' : redact === true || redact === false ? redact : { categories: redact.categories, mode: redact.mode, modes: redact.modes, sinks: redact.sinks },
    analyzers: analyzerNames,
    exporters: exporterNames,
    guardrails: guardrails === undefined ? false : { policy: guardrails.policy.name ?? 'custom', enforce: guardrails.enforce === true },
    runners: (options.runners ?? []).map((r) => r.name),
    storage: options.storage === false ? false : (options.storage?.name ?? 'memory'),
  };
}

/** The analyzer and the delivery exporters the `alerts` option stands for. */
function alertsFor(alerts: boolean | ObserverAlertsOptions | undefined): { analyzers: Analyzer[]; exporters: Exporter[] } {
  if (alerts === undefined || alerts === false) return { analyzers: [], exporters: [] };
  if (alerts === true) return { analyzers: [alertsAnalyzer()], exporters: [] };
  const { exporters = [], engine, ...options } = alerts;
  return { analyzers: [engine ?? alertsAnalyzer(options)], exporters: exporters.map(alertsOnly) };
}

/** The exporter, receiving only `alert` events when it has no filter of its own. */
function alertsOnly(exporter: Exporter): Exporter {
  if (exporter.filter !== undefined) return exporter;
  // A view of the same object with a filter: its methods keep running on the exporter itself.
  return Object.create(exporter, { filter: { value: Object.freeze({ types: ['alert'] }), enumerable: true } }) as Exporter;
}

/** The core `guardrails` option the `guardrails` option stands for. */
function guardrailsFor(guardrails: boolean | GuardrailOptions | ObserverGuardrailsOptions | undefined): GuardrailOptions | undefined {
  if (guardrails === undefined || guardrails === false) return undefined;
  if (guardrails === true) return { policy: createGuardrailEngine() };
  // Not an object: the core's check of `guardrails.policy` rejects it with its own message.
  if (typeof guardrails !== 'object' || guardrails === null) return guardrails as never;
  if ('policy' in guardrails && guardrails.policy !== undefined) return guardrails;
  const { enforce, checkOutput, ...engine } = guardrails as ObserverGuardrailsOptions;
  return { policy: createGuardrailEngine(engine), ...(enforce !== undefined ? { enforce } : {}), ...(checkOutput !== undefined ? { checkOutput } : {}) };
}

/** The transform the `redact` option stands for. */
function redactionFor(redact: boolean | RedactionOptions | undefined) {
  if (redact === false) return [];
  if (redact === undefined) return [redaction({ categories: ['secrets'], sinks: { storage: false } })];
  return [redaction(redact === true ? {} : redact)];
}

/**
 * Creates an observer with sensible defaults: in-memory storage (100k events, 24 h), the built-in
 * analyzers and the markdown insight report, and the
 * options you give. Throws only for invalid options; after that, no call throws into the host.
 */
export function createObserver(options: CreateObserverOptions = {}): Observer {
  const { storage, analyzers, report, htmlReport, redact, audit, alerts, guardrails, ...rest } = options;
  const alerting = alertsFor(alerts);
  // The alert engine first: independent analyzers receive each batch in the order given, and the
  // engine is cheap and latency-bound (an alert waits for nothing the heavier analyzers do).
  const chosenAnalyzers = [...alerting.analyzers, ...(analyzers ?? defaultAnalyzers())];
  const guardrailOptions = guardrailsFor(guardrails);
  const exporters = [...(rest.exporters ?? []), ...alerting.exporters];
  const audits =
    audit === undefined
      ? []
      : [
          auditLog({
            ...(typeof audit === 'string' ? { dir: audit } : audit),
            config: (typeof audit === 'object' ? audit.config : undefined) ?? describeConfig(options, chosenAnalyzers.map((a) => a.name), exporters.map((e) => e.name), guardrailOptions),
          }),
        ];
  return new Observer({
    ...rest,
    exporters: [...exporters, ...audits],
    ...(guardrailOptions !== undefined ? { guardrails: guardrailOptions } : {}),
    transforms: [...redactionFor(redact), ...(rest.transforms ?? [])],
    analyzers: chosenAnalyzers,
    report: report ?? renderMarkdownReport,
    // Loaded on first use, so a host that never asks for HTML does not load the layout libraries.
    htmlReport: htmlReport ?? ((observer, reportOptions) => import('./reports/html.js').then((m) => m.observerHtmlReport(observer, reportOptions))),
    storage: storage === false ? undefined : storage ?? memoryStorage(),
  });
}
export { replayStorage, type ReplayStorageOptions } from './replay.js';
