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
 * and counted). The shared HTTP sender (http-delivery.ts) posts them, one request at a time, with a
 * timeout and retries with backoff on network errors, timeouts, 408, 429 (`Retry-After` respected) and 5xx.
 */
import { errorMessage, type EventOf, type Exporter, type ExporterStats, type ExportResult, type FleetEvent } from '../core/index.js';
import { type DeliveryQueue, httpDelivery, type HttpDeliveryOptions, httpUrl, requirePositive } from './http-delivery.js';

export interface AlertmanagerExporterOptions extends HttpDeliveryOptions {
  /** Alertmanager's base URL, e.g. `http://127.0.0.1:9093` (the exporter adds `/api/v2/alerts`). Required. */
  url: string;
  /** Exporter name in `stats()`. Default `alertmanager`. */
  name?: string;
  /** `generatorURL` of every alert (a link back to your dashboard). Default the alert's `details.generatorURL`, else none. */
  generatorURL?: string;
  /** Most alerts waiting for delivery; newer ones are dropped (and counted) beyond it. Default 1000. */
  maxQueueSize?: number;
  /** Most alerts per request. Default 500. */
  maxBatchSize?: number;
  /** How often firing alerts are sent again. Default 60000 ms (Alertmanager's `resolve_timeout` is 5 min by default). */
  resendIntervalMs?: number;
  /** How long a one-shot alert (no `state`) stays firing. Default 300000 ms. */
  oneShotHoldMs?: number;
  /** Most firing alerts remembered for re-sending. Default 10000. */
  maxActive?: number;
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
  const base = httpUrl(options?.url, fail);
  const endpoint = new URL(`${base.pathname.replace(/\/+$/, '')}/api/v2/alerts`, base).toString();
  const maxQueue = options.maxQueueSize ?? 1000;
  const resendIntervalMs = options.resendIntervalMs ?? 60_000;
  const oneShotHoldMs = options.oneShotHoldMs ?? 300_000;
  const maxActive = options.maxActive ?? 10_000;
  requirePositive({ maxQueue, resendIntervalMs, oneShotHoldMs, maxActive }, fail);

  /** Alerts waiting, by fingerprint (the latest state of each). */
  let waiting = new Map<string, PostableAlert>();
  const queue: DeliveryQueue<PostableAlert> = {
    get size() {
      return waiting.size;
    },
    take(max) {
      const batch: PostableAlert[] = [];
      for (const [fingerprint, alert] of waiting) {
        if (batch.length >= max) break;
        batch.push(alert);
        waiting.delete(fingerprint);
      }
      return batch;
    },
    clear() {
      const held = waiting.size;
      waiting = new Map();
      return held;
    },
  };
  const sender = httpDelivery({ url: endpoint, options, queue, maxBatch: options.maxBatchSize ?? 500, body: (batch) => JSON.stringify(batch), fail });
  /** Firing alerts, re-sent each `resendIntervalMs`. */
  const active = new Map<string, PostableAlert>();
  let closed = false;
  const counters = { queued: 0, dropped: 0, resent: 0, skippedPending: 0 };
  let oneShots = 0;

  const enqueue = (fingerprint: string, alert: PostableAlert) => {
    if (!waiting.has(fingerprint) && waiting.size >= maxQueue) {
      counters.dropped++;
      return;
    }
    counters.queued++;
    waiting.set(fingerprint, alert);
  };

  const resendTimer = setInterval(() => {
    if (closed) return;
    for (const [fingerprint, alert] of active) {
      if (waiting.has(fingerprint)) continue;
      counters.resent++;
      enqueue(fingerprint, alert);
    }
    sender.kick();
  }, resendIntervalMs);
  resendTimer.unref();

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
          const fingerprint = p.fingerprint ?? `oneshot-${++oneShots}`;
          if (p.state === 'firing') {
            if (active.has(fingerprint) || active.size < maxActive) active.set(fingerprint, alert);
          } else {
            active.delete(fingerprint);
          }
          enqueue(fingerprint, alert);
        }
        sender.kick();
        return { code: 'success' };
      } catch (error) {
        return { code: 'failed', error: new Error(`[fleetscope] [alertmanager] ${errorMessage(error)}`) };
      }
    },
    async flush(): Promise<void> {
      sender.kick();
      await sender.idle();
    },
    async shutdown(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(resendTimer);
      await sender.shutdown();
    },
    stats(): ExporterStats {
      const { failed, ...sent } = sender.counters;
      return { ...counters, ...sent, failedAlerts: failed, pending: waiting.size, active: active.size, ...sender.lastOutcome() };
    },
  };
}
