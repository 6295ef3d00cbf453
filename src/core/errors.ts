/**
 * Errors after construction never reach the host: they go to one replaceable handler and a
 * counter. Construction-time mistakes (bad options, a dependency cycle) throw `FleetscopeError`.
 */
import type { PluginKind } from './events.js';

export class FleetscopeError extends Error {
  override readonly name = 'FleetscopeError';
  /** Which plugin failed, when a plugin did. */
  readonly plugin: string | undefined;
  readonly kind: PluginKind | 'observer';
  /** What was being done: `consume`, `export`, `append`, `start`, `options`, ... */
  readonly operation: string;

  constructor(
    message: string,
    details: { plugin?: string; kind?: PluginKind | 'observer'; operation?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.plugin = details.plugin;
    this.kind = details.kind ?? 'observer';
    this.operation = details.operation ?? 'unknown';
  }
}

export type ErrorHandler = (error: FleetscopeError) => void;

/** Message of anything thrown, without its stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * Default handler: one line on stderr per plugin and operation per minute, so a plugin that
 * fails on every batch does not flood the host's logs.
 */
export function createDefaultErrorHandler(intervalMs = 60_000): ErrorHandler {
  const lastLogged = new Map<string, number>();
  return (error) => {
    const key = `${error.plugin ?? ''}/${error.operation}`;
    const now = Date.now();
    const last = lastLogged.get(key);
    if (last !== undefined && now - last < intervalMs) return;
    if (lastLogged.size > 1000) lastLogged.clear();
    lastLogged.set(key, now);
    // Messages carry one `[fleetscope]` prefix, whoever built them.
    process.stderr.write(`${error.message.startsWith('[fleetscope]') ? '' : '[fleetscope] '}${error.message}\n`);
  };
}

/** Wraps a promise with a deadline; the timer never keeps the process alive. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (!Number.isFinite(ms) || ms <= 0) return promise;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Calls a plugin method that may throw synchronously or reject, as one promise. */
export function callAsync<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * One deadline shared by the steps of a call (`flush`, `close`, `query`): each step gets what
 * is left, so the whole call ends within the budget however many steps it has. Measured on
 * the monotonic clock, not the host's.
 */
export class Deadline {
  private readonly end: number;

  constructor(ms: number) {
    this.end = performance.now() + ms;
  }

  /** Milliseconds left; at least 1, so that a step past the deadline still gets a timer, not none. */
  left(): number {
    return Math.max(1, Math.ceil(this.end - performance.now()));
  }
}

/**
 * Waits `ms` (on an unref'd timer, so it never keeps the host alive), or less if `signal` aborts:
 * the backoff of exporters' and runners' retry loops, which must end at once on shutdown.
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
