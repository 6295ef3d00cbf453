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

export * from './core/index.js';
export { memoryStorage, type MemoryStorageOptions } from './storage/memory.js';
export { defineAnalyzer, type AnalyzerDefinition } from './analyzers/define.js';

export interface CreateObserverOptions extends Omit<ObserverOptions, 'storage'> {
  /** Where events are kept for `query`. Default `memoryStorage()`; `false` keeps nothing. */
  storage?: Storage | false;
}

/**
 * Creates an observer with sensible defaults: in-memory storage (100k events, 24 h) and the
 * options you give. Throws only for invalid options; after that, no call throws into the host.
 */
export function createObserver(options: CreateObserverOptions = {}): Observer {
  const { storage, ...rest } = options;
  return new Observer({
    ...rest,
    storage: storage === false ? undefined : storage ?? memoryStorage(),
  });
}
