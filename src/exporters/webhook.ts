/**
 * Webhook exporter: delivers alert and insight events (by default) to a URL, as generic JSON or as a
 * Slack-compatible message (`{ text, blocks }`, for Slack incoming webhooks and look-alikes such
 * as Mattermost).
 *
 * `export()` only queues (O(1), never waits for the network), so a slow or dead endpoint never
 * slows the host: it costs counters. The shared HTTP sender (http-delivery.ts) posts up to
 * `maxBatchSize` events per request, with a timeout per request and retries with backoff.
 */
import { errorMessage, SEVERITY_RANK, type EventOf, type Exporter, type ExporterStats, type ExportResult, type FleetEvent, type Severity } from '../core/index.js';
import { type DeliveryQueue, httpDelivery, type HttpDeliveryOptions, httpUrl, requirePositive } from './http-delivery.js';

export type WebhookFormat = 'json' | 'slack';

export interface WebhookExporterOptions extends HttpDeliveryOptions {
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
  /** Most events waiting for delivery; newer events are dropped (and counted) beyond it. Default 1000. */
  maxQueueSize?: number;
  /** Most events per request. Default 50 for `json`, 10 for `slack` (Slack allows 50 blocks a message). */
  maxBatchSize?: number;
}

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

export function webhookExporter(options: WebhookExporterOptions): Exporter {
  const fail = (message: string): never => {
    throw new Error(`[fleetscope] [webhook] ${message}`);
  };
  httpUrl(options?.url, fail);
  const format = options.format ?? 'json';
  if (format !== 'json' && format !== 'slack') fail(`format must be 'json' or 'slack', got ${String(format)}`);
  const types = options.types ?? ['alert', 'insight'];
  const minRank = options.minSeverity === undefined ? 0 : SEVERITY_RANK[options.minSeverity];
  const maxQueue = options.maxQueueSize ?? 1000;
  requirePositive({ maxQueue }, fail);

  let events: FleetEvent[] = [];
  const queue: DeliveryQueue<FleetEvent> = {
    get size() {
      return events.length;
    },
    take(max) {
      const batch = events.slice(0, max);
      events = events.slice(batch.length);
      return batch;
    },
    clear() {
      const held = events.length;
      events = [];
      return held;
    },
  };
  const sender = httpDelivery({
    url: options.url,
    options,
    queue,
    maxBatch: options.maxBatchSize ?? (format === 'slack' ? 10 : 50),
    body: (batch) => webhookBody(format, batch, Date.now()),
    fail,
  });
  let closed = false;
  let queued = 0;
  let dropped = 0;

  return {
    name: options.name ?? 'webhook',
    filter: { types, ...(options.minSeverity === undefined ? {} : { minSeverity: options.minSeverity }) },
    async export(batch: readonly FleetEvent[]): Promise<ExportResult> {
      if (closed) return { code: 'failed', error: new Error('[fleetscope] [webhook] exporter is shut down') };
      try {
        for (const event of batch) {
          if (!types.includes(event.type) || SEVERITY_RANK[event.severity] < minRank) continue;
          if (events.length >= maxQueue) {
            dropped++;
            continue;
          }
          queued++;
          events.push(event);
        }
        sender.kick();
        return { code: 'success' };
      } catch (error) {
        return { code: 'failed', error: new Error(`[fleetscope] [webhook] ${errorMessage(error)}`) };
      }
    },
    async flush(): Promise<void> {
      sender.kick();
      await sender.idle();
    },
    async shutdown(): Promise<void> {
      if (closed) return;
      closed = true;
      await sender.shutdown();
    },
    stats(): ExporterStats {
      const { failed, ...sent } = sender.counters;
      return { queued, ...sent, failedEvents: failed, dropped, pending: events.length, ...sender.lastOutcome() };
    },
  };
}
