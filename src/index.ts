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
import { Observer, type ObserverOptions, type Storage } from './core/index.js';
import { memoryStorage } from './storage/memory.js';
import { defaultAnalyzers } from './analyzers/defaults.js';
import { renderMarkdownReport } from './reports/markdown.js';
import { redaction, type RedactionOptions } from './redaction/transform.js';
import { auditLog, type AuditLogOptions } from './storage/audit-log.js';

export * from './core/index.js';
export { memoryStorage, type MemoryStorageOptions } from './storage/memory.js';
export { defineAnalyzer, eachEvent, type AnalyzerDefinition } from './analyzers/define.js';
export { defaultAnalyzers, type DefaultAnalyzersOptions } from './analyzers/defaults.js';
export { renderMarkdownReport } from './reports/markdown.js';

export interface CreateObserverOptions extends Omit<ObserverOptions, 'storage'> {
  /** Where events are kept for `query`. Default `memoryStorage()`; `false` keeps nothing. */
  storage?: Storage | false;
  /** Analyzers. Default `defaultAnalyzers()` (the whole built-in set); `[]` for none. */
  analyzers?: ObserverOptions['analyzers'];
  /** Renders `report()`. Default `renderMarkdownReport` (insights, slowest operations, cost, regressions, workflows). */
  report?: ObserverOptions['report'];
  /** Renders `report({ format: 'html' })`. Default `observerHtmlReport` of `fleetscope/reports`, loaded on first use. */
  htmlReport?: ObserverOptions['htmlReport'];
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
}

/** The configuration recorded at the start of an audit log: names and settings, no secrets. */
function describeConfig(options: CreateObserverOptions, analyzerNames: string[]): Record<string, unknown> {
  const redact = options.redact;
  return {
    startedAt: new Date().toISOString(),
    pid: process.pid,
    sessionId: options.sessionId,
    redact: redact === undefined ? 'default (secrets, exporters)' : redact === true || redact === false ? redact : { categories: redact.categories, mode: redact.mode, modes: redact.modes, sinks: redact.sinks },
    analyzers: analyzerNames,
    exporters: (options.exporters ?? []).map((e) => e.name),
    runners: (options.runners ?? []).map((r) => r.name),
    storage: options.storage === false ? false : (options.storage?.name ?? 'memory'),
  };
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
  const { storage, analyzers, report, htmlReport, redact, audit, ...rest } = options;
  const chosenAnalyzers = analyzers ?? defaultAnalyzers();
  const audits =
    audit === undefined
      ? []
      : [auditLog({ ...(typeof audit === 'string' ? { dir: audit } : audit), config: (typeof audit === 'object' ? audit.config : undefined) ?? describeConfig(options, chosenAnalyzers.map((a) => a.name)) })];
  return new Observer({
    ...rest,
    exporters: [...(rest.exporters ?? []), ...audits],
    transforms: [...redactionFor(redact), ...(rest.transforms ?? [])],
    analyzers: chosenAnalyzers,
    report: report ?? renderMarkdownReport,
    // Loaded on first use, so a host that never asks for HTML does not load the layout libraries.
    htmlReport: htmlReport ?? ((observer, reportOptions) => import('./reports/html.js').then((m) => m.observerHtmlReport(observer, reportOptions))),
    storage: storage === false ? undefined : storage ?? memoryStorage(),
  });
}
export { replayStorage, type ReplayStorageOptions } from './replay.js';
