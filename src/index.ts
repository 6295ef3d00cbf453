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
}

/**
 * Creates an observer with sensible defaults: in-memory storage (100k events, 24 h), the built-in
 * analyzers and the markdown insight report, and the
 * options you give. Throws only for invalid options; after that, no call throws into the host.
 */
export function createObserver(options: CreateObserverOptions = {}): Observer {
  const { storage, analyzers, report, ...rest } = options;
  return new Observer({
    ...rest,
    analyzers: analyzers ?? defaultAnalyzers(),
    report: report ?? renderMarkdownReport,
    storage: storage === false ? undefined : storage ?? memoryStorage(),
  });
}
export { replayStorage, type ReplayStorageOptions } from './replay.js';
