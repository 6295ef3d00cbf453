/**
 * Webhook exporter: delivers alert and insight events (by default) to a URL, as generic JSON or as a
 * Slack-compatible message (`{ text, blocks }`, for Slack incoming webhooks and look-alikes such
 * as Mattermost).
 *
 * `export()` only queues (O(1), never waits for the network), so a slow or dead endpoint never
 * slows the host: it costs counters. A background sender posts up to `maxBatchSize` events per
 * request, one request at a time, with a timeout per request and retries with exponential backoff
 * on network errors, timeouts, HTTP 5xx and 429 (whose `Retry-After` is respected).
 */
import {
  errorMessage,
  SEVERITY_RANK,
  type EventOf,
  type Exporter,
  type ExporterStats,
  type ExportResult,
  type FleetEvent,
  type Severity,
  sleepUnlessAborted,
} from '../core/index.js';

export type WebhookFormat = 'json' | 'slack';

export interface WebhookExporterOptions {
  /** Where to POST. Required. */
  url: string;
  /** `json` (default): `{ source, sentAt, events }`; `slack`: `{ text, blocks }`. */
  format?: WebhookFormat;
  /** Event types delivered. Default `['alert', 'insight']`. */
  types?: readonly string[];
  /** Only events at least this severe. Default all. */
  minSeverity?: Severity;
  /** Exporter name in `stats()`. Default `webhook`. */
  name?: string;
  /** Extra request headers (authorization, ...). Default none. */
  headers?: Record<string, string>;
  /** Most events waiting for delivery; newer events are dropped (and counted) beyond it. Default 1000. */
  maxQueueSize?: number;
  /** Most events per request. Default 50 for `json`, 10 for `slack` (Slack allows 50 blocks a message). */
  maxBatchSize?: number;
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

type Attempt = { ok: true } | { ok: false; retryable: boolean; delayMs?: number; error: string };

/** Slack mrkdwn needs `&`, `<` and `>` escaped. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack limits a section's text to 3000 characters. */
const SLACK_SECTION_MAX = 3000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function headline(event: FleetEvent): string {
  if (event.type === 'alert') {
    const p = (event as EventOf<'alert'>).payload;
    return `Alert ${p.rule} (${event.severity}): ${p.message}`;
  }
  if (event.type === 'insight') {
    const p = (event as EventOf<'insight'>).payload;
    return `Insight ${p.rule} (${p.priority} ${p.category}): ${p.title}`;
  }
  const p = event.payload as { message?: string };
  return `${event.type} (${event.severity})${typeof p.message === 'string' ? `: ${p.message}` : ''}`;
}

function slackSection(event: FleetEvent): string {
  const where = `session \`${slackEscape(event.sessionId)}\` · agent \`${slackEscape(event.agentId)}\` · ${new Date(event.timestamp).toISOString()}`;
  if (event.type === 'alert') {
    const p = (event as EventOf<'alert'>).payload;
    const figures = p.value === undefined ? '' : `\nvalue *${p.value}*${p.threshold === undefined ? '' : ` (threshold ${p.threshold})`}`;
    return `:rotating_light: *Alert: ${slackEscape(p.rule)}* (${event.severity})\n${slackEscape(p.message)}${figures}\n${where}`;
  }
  if (event.type === 'insight') {
    const p = (event as EventOf<'insight'>).payload;
    return (
      `:bulb: *Insight: ${slackEscape(p.title)}* (${p.priority} priority, ${p.category}, ` +
      `confidence ${Math.round(p.confidence * 100)}%)\n${slackEscape(p.recommendation)}\n${where}`
    );
  }
  return `*${slackEscape(headline(event))}*\n${where}`;
}

/** The request body of a batch. */
export function webhookBody(format: WebhookFormat, events: readonly FleetEvent[], sentAt: number): string {
  if (format === 'json') {
    // Each event serialized with its own try: one that cannot be serialized is left out, not its batch.
    const parts: string[] = [];
    for (const event of events) {
      const json = tryJson(event);
      if (json !== undefined) parts.push(json);
    }
    return `{"source":"fleetscope","sentAt":${JSON.stringify(new Date(sentAt).toISOString())},"events":[${parts.join(',')}]}`;
  }
  const lines: string[] = [];
  const blocks: { type: string; text: { type: string; text: string } }[] = [];
  for (const event of events) {
    try {
      const line = headline(event);
      const section = clip(slackSection(event), SLACK_SECTION_MAX);
      lines.push(line);
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: section } });
    } catch {
      // an event that cannot be rendered is left out
    }
  }
  const text = lines.length === 1 ? `[fleetscope] ${lines[0]!}` : `[fleetscope] ${lines.length} events: ${lines.join('; ')}`;
  return JSON.stringify({ text: clip(text, SLACK_SECTION_MAX), blocks });
}

function tryJson(value: unknown): string | undefined {
  try {
    const json = JSON.stringify(value);
    return typeof json === 'string' ? json : undefined;
  } catch {
    return undefined;
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function webhookExporter(options: WebhookExporterOptions): Exporter {
  const fail = (message: string): never => {
    throw new Error(`[fleetscope] [webhook] ${message}`);
  };
  try {
    const u = new URL(options?.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(`url must be http(s), got ${u.protocol}`);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('[fleetscope]')) throw error;
    fail(`url is not a valid URL: ${String(options?.url)}`);
  }
  const url = options.url;
  const format = options.format ?? 'json';
  if (format !== 'json' && format !== 'slack') fail(`format must be 'json' or 'slack', got ${String(format)}`);
  const types = options.types ?? ['alert', 'insight'];
  const minRank = options.minSeverity === undefined ? 0 : SEVERITY_RANK[options.minSeverity];
  const maxQueue = options.maxQueueSize ?? 1000;
  const maxBatch = options.maxBatchSize ?? (format === 'slack' ? 10 : 50);
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxRetries = options.maxRetries ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  for (const [key, value] of Object.entries({ maxQueue, maxBatch, timeoutMs, shutdownTimeoutMs })) {
    if (!(typeof value === 'number' && value > 0)) fail(`${key} must be a positive number, got ${value}`);
  }
  if (!(Number.isInteger(maxRetries) && maxRetries >= 0)) fail(`maxRetries must be a non-negative integer, got ${maxRetries}`);
  const headers = { ...options.headers, 'Content-Type': 'application/json' };

  let queue: FleetEvent[] = [];
  let pumping: Promise<void> | undefined;
  let closed = false;
  const abort = new AbortController();
  const counters = {
    queued: 0,
    delivered: 0,
    requests: 0,
    failedRequests: 0,
    retries: 0,
    failedEvents: 0,
    dropped: 0,
    abandoned: 0,
  };
  let lastError: string | undefined;
  let lastStatus: number | undefined;

  const attempt = async (body: string): Promise<Attempt> => {
    counters.requests++;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), abort.signal]),
      });
      lastStatus = response.status;
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { ok: true };
      const retryable = response.status === 429 || response.status === 408 || response.status >= 500;
      const delayMs = response.status === 429 ? retryAfterMs(response.headers.get('retry-after'), Date.now()) : undefined;
      return { ok: false, retryable, error: `HTTP ${response.status}`, ...(delayMs === undefined ? {} : { delayMs }) };
    } catch (error) {
      return { ok: false, retryable: true, error: errorMessage(error) };
    }
  };

  const deliver = async (batch: FleetEvent[]) => {
    const body = webhookBody(format, batch, Date.now());
    for (let retry = 0; ; retry++) {
      const outcome = await attempt(body);
      if (outcome.ok) {
        counters.delivered += batch.length;
        return;
      }
      counters.failedRequests++;
      lastError = outcome.error;
      if (!outcome.retryable || retry >= maxRetries || abort.signal.aborted) {
        counters.failedEvents += batch.length;
        return;
      }
      counters.retries++;
      const backoff = Math.min(retryMaxMs, outcome.delayMs ?? retryBaseMs * 2 ** retry);
      await sleepUnlessAborted(backoff, abort.signal);
    }
  };

  const kick = () => {
    if (pumping !== undefined || queue.length === 0 || abort.signal.aborted) return;
    pumping = (async () => {
      try {
        while (queue.length > 0 && !abort.signal.aborted) {
          const batch = queue.slice(0, maxBatch);
          queue = queue.slice(batch.length);
          await deliver(batch);
        }
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
    name: options.name ?? 'webhook',
    filter: { types, ...(options.minSeverity === undefined ? {} : { minSeverity: options.minSeverity }) },
    async export(batch: readonly FleetEvent[]): Promise<ExportResult> {
      if (closed) return { code: 'failed', error: new Error('[fleetscope] [webhook] exporter is shut down') };
      try {
        for (const event of batch) {
          if (!types.includes(event.type) || SEVERITY_RANK[event.severity] < minRank) continue;
          if (queue.length >= maxQueue) {
            counters.dropped++;
            continue;
          }
          counters.queued++;
          queue.push(event);
        }
        kick();
        return { code: 'success' };
      } catch (error) {
        return { code: 'failed', error: new Error(`[fleetscope] [webhook] ${errorMessage(error)}`) };
      }
    },
    async flush(): Promise<void> {
      kick();
      await idle();
    },
    async shutdown(): Promise<void> {
      if (closed) return;
      closed = true;
      kick();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, shutdownTimeoutMs);
        timer.unref();
      });
      await Promise.race([idle(), deadline]);
      clearTimeout(timer);
      if (pumping !== undefined || queue.length > 0) {
        abort.abort();
        counters.abandoned += queue.length;
        queue = [];
        await pumping;
      }
    },
    stats(): ExporterStats {
      return {
        ...counters,
        pending: queue.length,
        ...(lastStatus === undefined ? {} : { lastStatus }),
        ...(lastError === undefined ? {} : { lastError }),
      };
    },
  };
}
