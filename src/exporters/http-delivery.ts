/**
 * The delivery half shared by the exporters that POST to an HTTP endpoint (webhook, Alertmanager):
 * a background sender that takes batches from the exporter's own bounded queue and posts them one
 * request at a time, with a timeout per request and retries with exponential backoff on network
 * errors, timeouts, HTTP 408, 429 (whose `Retry-After` is respected) and 5xx. `shutdown()` waits for
 * the queue to drain for at most `shutdownTimeoutMs`, then abandons what is left (counted).
 *
 * The exporter keeps what is its own: which events it queues and how (a list, a map by fingerprint),
 * and how a batch is written as a request body.
 */
import { errorMessage, sleepUnlessAborted } from '../core/index.js';

/** The options every HTTP-delivering exporter takes, with the same defaults. */
export interface HttpDeliveryOptions {
  /** Extra request headers (authorization, ...). Default none. */
  headers?: Record<string, string>;
  /** Deadline of one request. Default 5000 ms. */
  timeoutMs?: number;
  /** Retries of one request after the first attempt. Default 3. */
  maxRetries?: number;
  /** First backoff delay; doubles with each retry. Default 500 ms. */
  retryBaseMs?: number;
  /** Longest backoff delay, `Retry-After` included. Default 30000 ms. */
  retryMaxMs?: number;
  /** How long `shutdown()` waits for the queue to drain before abandoning it (counted). Default 10000 ms. */
  shutdownTimeoutMs?: number;
}

/** The exporter's queue, as the sender sees it. */
export interface DeliveryQueue<T> {
  readonly size: number;
  /** Removes and returns up to `max` items, oldest first. */
  take(max: number): T[];
  /** Empties the queue; returns how many items it held. */
  clear(): number;
}

export interface HttpDeliverySpec<T> {
  url: string;
  options: HttpDeliveryOptions;
  queue: DeliveryQueue<T>;
  /** Most items per request. */
  maxBatch: number;
  /** The request body of a batch (JSON). */
  body(batch: T[]): string;
  /** Throws the exporter's own construction error (`[fleetscope] [name] ...`). */
  fail(message: string): never;
}

/** What the sender counts; `failed` is items given up on after the last retry. */
export interface DeliveryCounters {
  delivered: number;
  requests: number;
  failedRequests: number;
  retries: number;
  failed: number;
  abandoned: number;
}

export interface HttpDelivery {
  /** Starts the background sender if there is anything to send and it is not running. */
  kick(): void;
  /** Resolves when the queue is empty and no request is in flight. */
  idle(): Promise<void>;
  /** Drains within `shutdownTimeoutMs`, then aborts the request in flight and abandons the rest. */
  shutdown(): Promise<void>;
  readonly counters: DeliveryCounters;
  /** `lastStatus` and `lastError`, when there are any, for the exporter's `stats()`. */
  lastOutcome(): { lastStatus?: number; lastError?: string };
}

type Attempt = { ok: true } | { ok: false; retryable: boolean; delayMs?: number; error: string };

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Checks an exporter's `url` option: a valid http(s) URL, or the exporter's construction error. */
export function httpUrl(url: unknown, fail: (message: string) => never): URL {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return fail(`url is not a valid URL: ${String(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail(`url must be http(s), got ${parsed.protocol}`);
  return parsed;
}

/** Checks that each named option is a positive number, or throws the exporter's construction error. */
export function requirePositive(values: Record<string, number>, fail: (message: string) => never): void {
  for (const [key, value] of Object.entries(values)) {
    if (!(typeof value === 'number' && value > 0)) fail(`${key} must be a positive number, got ${value}`);
  }
}

export function httpDelivery<T>(spec: HttpDeliverySpec<T>): HttpDelivery {
  const { url, options, queue, maxBatch, fail } = spec;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxRetries = options.maxRetries ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  requirePositive({ maxBatch, timeoutMs, retryBaseMs, retryMaxMs, shutdownTimeoutMs }, fail);
  if (!(Number.isInteger(maxRetries) && maxRetries >= 0)) fail(`maxRetries must be a non-negative integer, got ${maxRetries}`);
  const headers = { ...options.headers, 'Content-Type': 'application/json' };

  const abort = new AbortController();
  const counters: DeliveryCounters = { delivered: 0, requests: 0, failedRequests: 0, retries: 0, failed: 0, abandoned: 0 };
  let pumping: Promise<void> | undefined;
  let lastError: string | undefined;
  let lastStatus: number | undefined;

  const attempt = async (body: string): Promise<Attempt> => {
    counters.requests++;
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), abort.signal]);
      const response = await fetch(url, { method: 'POST', headers, body, signal });
      lastStatus = response.status;
      const text = await response.text().catch(() => '');
      if (response.ok) return { ok: true };
      const retryable = response.status === 429 || response.status === 408 || response.status >= 500;
      const delayMs = response.status === 429 ? retryAfterMs(response.headers.get('retry-after'), Date.now()) : undefined;
      const error = `HTTP ${response.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`;
      return { ok: false, retryable, error, ...(delayMs === undefined ? {} : { delayMs }) };
    } catch (error) {
      return { ok: false, retryable: true, error: errorMessage(error) };
    }
  };

  const deliver = async (batch: T[]) => {
    const body = spec.body(batch);
    for (let retry = 0; ; retry++) {
      const outcome = await attempt(body);
      if (outcome.ok) {
        counters.delivered += batch.length;
        return;
      }
      counters.failedRequests++;
      lastError = outcome.error;
      if (!outcome.retryable || retry >= maxRetries || abort.signal.aborted) {
        counters.failed += batch.length;
        return;
      }
      counters.retries++;
      await sleepUnlessAborted(Math.min(retryMaxMs, outcome.delayMs ?? retryBaseMs * 2 ** retry), abort.signal);
    }
  };

  const kick = () => {
    if (pumping !== undefined || queue.size === 0 || abort.signal.aborted) return;
    pumping = (async () => {
      try {
        while (queue.size > 0 && !abort.signal.aborted) await deliver(queue.take(maxBatch));
      } catch (error) {
        lastError = errorMessage(error);
      } finally {
        pumping = undefined;
      }
    })();
  };

  const idle = async () => {
    while (pumping !== undefined) {
      await pumping;
      kick();
    }
  };

  return {
    kick,
    idle,
    counters,
    async shutdown() {
      kick();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, shutdownTimeoutMs);
        timer.unref();
      });
      await Promise.race([idle(), deadline]);
      clearTimeout(timer);
      if (pumping !== undefined || queue.size > 0) {
        abort.abort();
        counters.abandoned += queue.clear();
        await pumping;
      }
    },
    lastOutcome() {
      return { ...(lastStatus === undefined ? {} : { lastStatus }), ...(lastError === undefined ? {} : { lastError }) };
    },
  };
}
