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
import { renderMarkdownReport } from './analyzers/report.js';
import { redaction, type RedactionOptions } from './redaction/transform.js';

export * from './core/index.js';
export { memoryStorage, type MemoryStorageOptions } from './storage/memory.js';
export { defineAnalyzer, eachEvent, type AnalyzerDefinition } from './analyzers/define.js';
export { defaultAnalyzers, type DefaultAnalyzersOptions } from './analyzers/defaults.js';
export { renderMarkdownReport } from './analyzers/report.js';

export interface CreateObserverOptions extends Omit<ObserverOptions, 'storage'> {
  /** Where events are kept for `query`. Default `memoryStorage()`; `false` keeps nothing. */
  storage?: Storage | false;
  /** Analyzers. Default `defaultAnalyzers()` (the whole built-in set); `[]` for none. */
  analyzers?: ObserverOptions['analyzers'];
  /** Renders `report()`. Default `renderMarkdownReport` (insights, slowest operations, cost, regressions, workflows). */
  report?: ObserverOptions['report'];
  /**
   * Redaction of secrets and personal data before events are stored or exported (see
   * docs/security.md). `true`: every category, masked, before storage and every exporter.
   * A `RedactionOptions` object: categories, modes (`mask`, `hash`, `drop`) and sinks as given.
   * `false`: none. Default: secrets masked before every exporter (storage keeps events whole).
   */
  redact?: boolean | RedactionOptions;
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
  const { storage, analyzers, report, redact, ...rest } = options;
  return new Observer({
    ...rest,
    transforms: [...redactionFor(redact), ...(rest.transforms ?? [])],
    analyzers: analyzers ?? defaultAnalyzers(),
    report: report ?? renderMarkdownReport,
    storage: storage === false ? undefined : storage ?? memoryStorage(),
  });
}
