/**
 * Prometheus Alertmanager exporter: delivers `alert` events to Alertmanager's API v2
 * (`POST /api/v2/alerts`, a JSON array of `{ labels, annotations, startsAt, endsAt?, generatorURL? }`).
 *
 * Follows what Prometheus itself does as an Alertmanager client: `pending` alerts are not sent;
 * a `firing` alert is sent without `endsAt` and re-sent every `resendIntervalMs` (Alertmanager
 * resolves an alert it has not heard of for its `resolve_timeout`); a `resolved` alert is sent
 * once with `endsAt`. One-shot alerts (no `state`, e.g. the cost analyzer's budgets) are sent as
 * firing with `endsAt` = event time + `oneShotHoldMs`.
 *
 * `export()` only queues (O(1), never waits for the network): alerts wait in a bounded map by
 * fingerprint (a newer state replaces an older one; beyond `maxQueueSize` new alerts are dropped
 * and counted). A background sender posts them, one request at a time, with a timeout and
 * retries with exponential backoff on network errors, timeouts, 5xx and 429.
 */
import { errorMessage, type EventOf, type Exporter, type ExporterStats, type ExportResult, type FleetEvent, sleepUnlessAborted } from '../core/index.js';

export interface AlertmanagerExporterOptions {
  /** Alertmanager's base URL, e.g. `http://127.0.0.1:9093` (the exporter adds `/api/v2/alerts`). Required. */
  url: string;
  /** Exporter name in `stats()`. Default `alertmanager`. */
  name?: string;
  /** `generatorURL` of every alert (a link back to your dashboard). Default the alert's `details.generatorURL`, else none. */
  generatorURL?: string;
  /** Extra request headers (authorization, ...). Default none. */
  headers?: Record<string, string>;
  /** Most alerts waiting for delivery; newer ones are dropped (and counted) beyond it. Default 1000. */
  maxQueueSize?: number;
  /** Most alerts per request. Default 500. */
  maxBatchSize?: number;
  /** Deadline of one request. Default 5000 ms. */
  timeoutMs?: number;
  /** Retries of one request after the first attempt. Default 3. */
  maxRetries?: number;
  /** First backoff delay; doubles with each retry. Default 500 ms. */
  retryBaseMs?: number;
  /** Longest backoff delay. Default 30000 ms. */
  retryMaxMs?: number;
  /** How often firing alerts are sent again. Default 60000 ms (Alertmanager's `resolve_timeout` is 5 min by default). */
  resendIntervalMs?: number;
  /** How long a one-shot alert (no `state`) stays firing. Default 300000 ms. */
  oneShotHoldMs?: number;
  /** Most firing alerts remembered for re-sending. Default 10000. */
  maxActive?: number;
  /** How long `shutdown()` waits for the queue to drain before abandoning it (counted). Default 10000 ms. */
  shutdownTimeoutMs?: number;
}

/** One alert as Alertmanager's API v2 `postableAlert`. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

/** Label names Alertmanager accepts: `[a-zA-Z_][a-zA-Z0-9_]*`. */
function labelName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[a-zA-Z_]/.test(clean) ? clean : `_${clean}`;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || v === null || v === '') continue;
    out[labelName(k)] = typeof v === 'string' ? v : String(v);
  }
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The Alertmanager alert of an `alert` event; undefined for `pending` (not sent, as in Prometheus). */
export function toPostableAlert(event: EventOf<'alert'>, options: { generatorURL?: string; oneShotHoldMs?: number } = {}): PostableAlert | undefined {
  const p = event.payload;
  if (p.state === 'pending') return undefined;
  const labels = { ...stringMap(p.labels) };
  if (labels.alertname === undefined) labels.alertname = p.rule;
  if (labels.severity === undefined) labels.severity = event.severity;
  const annotations = { ...stringMap(p.annotations) };
  if (annotations.summary === undefined) annotations.summary = p.message;
  const startsAt = iso(typeof p.startsAt === 'number' && p.startsAt > 0 ? p.startsAt : event.timestamp);
  const generatorURL = options.generatorURL ?? (typeof p.details?.generatorURL === 'string' ? p.details.generatorURL : undefined);
  let endsAt: string | undefined;
  if (p.state === 'resolved') endsAt = iso(typeof p.endsAt === 'number' ? p.endsAt : event.timestamp);
  else if (p.state === undefined) endsAt = iso(event.timestamp + (options.oneShotHoldMs ?? 300_000));
  return { labels, annotations, startsAt, ...(endsAt !== undefined ? { endsAt } : {}), ...(generatorURL !== undefined ? { generatorURL } : {}) };
}

export function alertmanagerExporter(options: AlertmanagerExporterOptions): Exporter {
  const fail = (message: string): never => {
    throw new Error(`[fleetscope] [alertmanager] ${message}`);
  };
  let base: URL;
  try {
    base = new URL(options?.url);
  } catch {
    return fail(`url is not a valid URL: ${String(options?.url)}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') fail(`url must be http(s), got ${base.protocol}`);
  const endpoint = new URL(`${base.pathname.replace(/\/+$/, '')}/api/v2/alerts`, base).toString();
  const maxQueue = options.maxQueueSize ?? 1000;
  const maxBatch = options.maxBatchSize ?? 500;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxRetries = options.maxRetries ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const resendIntervalMs = options.resendIntervalMs ?? 60_000;
  const oneShotHoldMs = options.oneShotHoldMs ?? 300_000;
  const maxActive = options.maxActive ?? 10_000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  for (const [key, value] of Object.entries({ maxQueue, maxBatch, timeoutMs, resendIntervalMs, oneShotHoldMs, maxActive, shutdownTimeoutMs, retryBaseMs, retryMaxMs })) {
    if (!(typeof value === 'number' && value > 0)) fail(`${key} must be a positive number, got ${value}`);
  }
  if (!(Number.isInteger(maxRetries) && maxRetries >= 0)) fail(`maxRetries must be a non-negative integer, got ${maxRetries}`);
  const headers = { ...options.headers, 'Content-Type': 'application/json' };

  /** Alerts waiting, by fingerprint (the latest state of each). */
  let queue = new Map<string, PostableAlert>();
  /** Firing alerts, re-sent each `resendIntervalMs`. */
  const active = new Map<string, PostableAlert>();
  let pumping: Promise<void> | undefined;
  let closed = false;
  const abort = new AbortController();
  const counters = { queued: 0, delivered: 0, requests: 0, failedRequests: 0, retries: 0, failedAlerts: 0, dropped: 0, abandoned: 0, resent: 0, skippedPending: 0 };
  let lastError: string | undefined;
  let lastStatus: number | undefined;
  let oneShots = 0;

  const attempt = async (body: string): Promise<{ ok: true } | { ok: false; retryable: boolean; error: string }> => {
    counters.requests++;
    try {
      const response = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), abort.signal]) });
      lastStatus = response.status;
      const text = await response.text().catch(() => '');
      if (response.ok) return { ok: true };
      const retryable = response.status === 429 || response.status === 408 || response.status >= 500;
      return { ok: false, retryable, error: `HTTP ${response.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}` };
    } catch (error) {
      return { ok: false, retryable: true, error: errorMessage(error) };
    }
  };

  const deliver = async (batch: PostableAlert[]) => {
    const body = JSON.stringify(batch);
    for (let retry = 0; ; retry++) {
      const outcome = await attempt(body);
      if (outcome.ok) {
        counters.delivered += batch.length;
        return;
      }
      counters.failedRequests++;
      lastError = outcome.error;
      if (!outcome.retryable || retry >= maxRetries || abort.signal.aborted) {
        counters.failedAlerts += batch.length;
        return;
      }
      counters.retries++;
      await sleepUnlessAborted(Math.min(retryMaxMs, retryBaseMs * 2 ** retry), abort.signal);
    }
  };

  const kick = () => {
    if (pumping !== undefined || queue.size === 0 || abort.signal.aborted) return;
    pumping = (async () => {
      try {
        while (queue.size > 0 && !abort.signal.aborted) {
          const batch: PostableAlert[] = [];
          for (const [fp, alert] of queue) {
            batch.push(alert);
            queue.delete(fp);
            if (batch.length >= maxBatch) break;
          }
          await deliver(batch);
        }
      } catch (error) {
        lastError = errorMessage(error);
      } finally {
        pumping = undefined;
      }
    })();
  };

  const enqueue = (fingerprint: string, alert: PostableAlert) => {
    if (!queue.has(fingerprint) && queue.size >= maxQueue) {
      counters.dropped++;
      return;
    }
    counters.queued++;
    queue.set(fingerprint, alert);
  };

  const resendTimer = setInterval(() => {
    if (closed) return;
    for (const [fp, alert] of active) {
      if (queue.has(fp)) continue;
      counters.resent++;
      enqueue(fp, alert);
    }
    kick();
  }, resendIntervalMs);
  resendTimer.unref();

  const idle = async () => {
    while (pumping !== undefined) {
      await pumping;
      kick();
    }
  };

  return {
    name: options.name ?? 'alertmanager',
    filter: { types: ['alert'] },
    async export(batch: readonly FleetEvent[]): Promise<ExportResult> {
      if (closed) return { code: 'failed', error: new Error('[fleetscope] [alertmanager] exporter is shut down') };
      try {
        for (const event of batch) {
          if (event.type !== 'alert') continue;
          const alert = toPostableAlert(event as EventOf<'alert'>, { generatorURL: options.generatorURL, oneShotHoldMs });
          if (alert === undefined) {
            counters.skippedPending++;
            continue;
          }
          const p = (event as EventOf<'alert'>).payload;
          const fp = p.fingerprint ?? `oneshot-${++oneShots}`;
          if (p.state === 'firing') {
            if (active.has(fp) || active.size < maxActive) active.set(fp, alert);
          } else {
            active.delete(fp);
          }
          enqueue(fp, alert);
        }
        kick();
        return { code: 'success' };
      } catch (error) {
        return { code: 'failed', error: new Error(`[fleetscope] [alertmanager] ${errorMessage(error)}`) };
      }
    },
    async flush(): Promise<void> {
      kick();
      await idle();
    },
    async shutdown(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(resendTimer);
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
        counters.abandoned += queue.size;
        queue = new Map();
        await pumping;
      }
    },
    stats(): ExporterStats {
      return {
        ...counters,
        pending: queue.size,
        active: active.size,
        ...(lastStatus === undefined ? {} : { lastStatus }),
        ...(lastError === undefined ? {} : { lastError }),
      };
    },
  };
}
