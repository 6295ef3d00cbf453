/**
 * Scope context: which session, agent, workflow and span the current async code runs in.
 * Carried by AsyncLocalStorage, so nested calls form a span tree without passing ids by hand,
 * across awaits, timers and `Promise.all` fan-out.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ScopeContext {
  readonly sessionId: string;
  readonly agentId: string;
  /** Name of the agent whose scope this is, when inside `observer.agent`. */
  readonly agentName?: string;
  readonly workflowId?: string;
  readonly traceId: string;
  /** The span new events in this scope are children of. */
  readonly spanId: string;
}

const storage = new AsyncLocalStorage<ScopeContext>();

/** The scope the caller runs in, or undefined outside any scope. */
export function currentScope(): ScopeContext | undefined {
  return storage.getStore();
}

/** Runs `fn` inside `scope`; everything it starts, sync or async, sees that scope. */
export function runInScope<T>(scope: ScopeContext, fn: () => T): T {
  return storage.run(scope, fn);
}
