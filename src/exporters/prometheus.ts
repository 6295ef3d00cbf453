/**
 * Prometheus exporter: derives counters, gauges and histograms from the events it receives and
 * renders them in the text exposition format 0.0.4 (see `prometheus-text.ts`). A host scrapes
 * them through `handler` (a `node:http` request listener), reads them with `metrics()`, or has
 * them pushed to a Pushgateway.
 *
 * Every update is O(1) on the event path; rendering walks the series once. Memory is bounded by
 * `maxSeriesPerMetric` per metric and `maxActive` tracked sessions and agents.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  errorMessage,
  type Exporter,
  type ExportResult,
  type EventOf,
  type ExporterStats,
  type FleetEvent,
  type ObserverStats,
} from '../core/index.js';
import { DEFAULT_PRICING, carriesUsage, checkPricingTable, createCallPricer, type PricingTable } from '../core/pricing.js';
import { MetricFamily, sanitizeMetricName, type MetricKind } from './prometheus-text.js';

/** Content-Type of the text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Default latency buckets in seconds: 5 ms to 5 min, covering both fast tools and long LLM calls. */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

/** The part of `ObserverStats` the exporter reads: dropped and invalid events. */
export type ObserverStatsSource = () => Pick<ObserverStats, 'dropped' | 'events'>;

export interface PushgatewayOptions {
  /** Base URL of the Pushgateway, e.g. `http://localhost:9091`. Required. */
  url: string;
  /** `job` of the pushed group. Default `fleetscope`. */
  job?: string;
  /** Extra grouping labels appended to the path (`/instance/host-1`). Default none. */
  groupingLabels?: Record<string, string>;
  /** `PUT` replaces the whole group (default); `POST` replaces only metrics of the same name. */
  method?: 'PUT' | 'POST';
  /** Push period in ms; `0` pushes only on `push()`, `flush()` and `shutdown()`. Default 15000. */
  intervalMs?: number;
  /** Deadline of one push request. Default 5000 ms. */
  timeoutMs?: number;
  /** Extra request headers (authorization, ...). Default none. */
  headers?: Record<string, string>;
}

export interface PrometheusExporterOptions {
  /** Exporter name in `stats()`. Default `prometheus`. */
  name?: string;
  /** Prefix of every metric name (sanitized to a valid metric name). Default `fleetscope_`. */
  prefix?: string;
  /**
   * Most series (label combinations) one metric holds; further combinations are counted in one
   * series whose labels all read `other`. Default 500.
   */
  maxSeriesPerMetric?: number;
  /** Upper bounds (seconds) of the tool and LLM latency histograms. Default `DEFAULT_LATENCY_BUCKETS`. */
  latencyBuckets?: readonly number[];
  /** Most sessions and agent runs tracked as active; beyond it new ones are not tracked. Default 10000. */
  maxActive?: number;
  /** Source of the observer's dropped and invalid counts; or call `attach(observer)`. Default none. */
  observerStats?: ObserverStatsSource;
  /** Push to a Pushgateway as well. Default none (scrape only). */
  pushgateway?: PushgatewayOptions;
  /**
   * Prices (USD per million tokens) for `llm_cost_usd_total`, added to the shipped table (the
   * `cost` analyzer's) or replacing its entries; `false` counts only the `costUsd` calls carry.
   * A call's own `costUsd` always wins. Default: the shipped table.
   */
  pricing?: PricingTable | false;
  /** Use only `pricing`, not the shipped table. Default `false`. */
  replacePricing?: boolean;
}

export interface PrometheusExporter extends Exporter {
  /** The current metrics in the text exposition format 0.0.4. */
  metrics(): string;
  /** A `node:http` request listener serving `metrics()` on GET/HEAD (any path); mount it at `/metrics`. */
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** Reads the observer's dropped and invalid event counts at each render. */
  attach(observer: { stats(): Pick<ObserverStats, 'dropped' | 'events'> }): void;
  /** Pushes the metrics to the Pushgateway now; `failed` (never a throw) when none is configured or it fails. */
  push(): Promise<ExportResult>;
}

const FAILURE_STATUS = 'error';

/**
 * A `node:http` request listener serving an exporter's `metrics()`:
 * `http.createServer(prometheusHandler(exporter)).listen(9464)`.
 */
export function prometheusHandler(
  source: Pick<PrometheusExporter, 'metrics'>,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
        response.end('Method Not Allowed\n');
        return;
      }
      const body = source.metrics();
      response.writeHead(200, {
        'Content-Type': PROMETHEUS_CONTENT_TYPE,
        'Content-Length': Buffer.byteLength(body),
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(`[fleetscope] [prometheus] ${errorMessage(error)}\n`);
    }
  };
}

export function prometheusExporter(options: PrometheusExporterOptions = {}): PrometheusExporter {
  const name = options.name ?? 'prometheus';
  const prefix = sanitizeMetricName(options.prefix ?? 'fleetscope_');
  const maxSeries = options.maxSeriesPerMetric ?? 500;
  const maxActive = options.maxActive ?? 10_000;
  const buckets = [...(options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS)];
  const fail = (message: string): never => {
    throw new Error(`[fleetscope] [prometheus] ${message}`);
  };
  if (!Number.isInteger(maxSeries) || maxSeries < 1) fail(`maxSeriesPerMetric must be a positive integer, got ${maxSeries}`);
  if (!Number.isInteger(maxActive) || maxActive < 0) fail(`maxActive must be a non-negative integer, got ${maxActive}`);
  if (buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) {
    fail('latencyBuckets must be finite and strictly ascending');
  }
  const push = options.pushgateway === undefined ? undefined : pushTarget(options.pushgateway, fail);
  const pricing = options.pricing;
  const priceOf =
    pricing === false
      ? (call: { costUsd?: number }) => (typeof call.costUsd === 'number' && Number.isFinite(call.costUsd) && call.costUsd >= 0 ? call.costUsd : undefined)
      : createCallPricer({ ...(options.replacePricing === true ? {} : DEFAULT_PRICING), ...checkPricingTable(pricing ?? {}, 'prometheus') });

  const families: MetricFamily[] = [];
  const family = (suffix: string, kind: MetricKind, help: string, labelNames: readonly string[]) => {
    const f = new MetricFamily({ name: `${prefix}${suffix}`, kind, help, labelNames, buckets, maxSeries });
    families.push(f);
    return f;
  };
  const events = family('events_total', 'counter', 'Events received, by type and severity.', ['type', 'severity']);
  const errors = family(
    'errors_total',
    'counter',
    'Failed operations: tool, LLM call, agent run or session ending with status error, and plugin errors.',
    ['type'],
  );
  const toolCalls = family('tool_calls_total', 'counter', 'Tool calls ended, by tool and status.', ['tool', 'status']);
  const toolDuration = family('tool_duration_seconds', 'histogram', 'Tool call duration in seconds.', ['tool']);
  const llmCalls = family('llm_calls_total', 'counter', 'LLM calls, by model and status.', ['model', 'status']);
  const llmLatency = family('llm_latency_seconds', 'histogram', 'LLM call latency in seconds.', ['model']);
  const tokens = family(
    'llm_tokens_total',
    'counter',
    'LLM tokens by model, agent and kind (input excludes cache tokens; cache_read, cache_write, output).',
    ['model', 'agent', 'kind'],
  );
  const cost = family(
    'llm_cost_usd_total',
    'counter',
    "LLM cost in US dollars, by model and agent: the call's costUsd, else its tokens at the pricing table's prices (calls of known cost only).",
    ['model', 'agent'],
  );
  const unknownCost = family(
    'llm_unknown_cost_calls_total',
    'counter',
    'LLM calls whose cost is unknown (not zero), by model, agent and reason: no_usage (no token counts) or no_price (model not in the pricing table).',
    ['model', 'agent', 'reason'],
  );
  const metricGauge = family(
    'metric_value',
    'gauge',
    'Last value of each gauge `metric` event (process resources, host figures), by metric name and unit.',
    ['name', 'unit'],
  );
  const metricCounter = family('metric_increments_total', 'counter', 'Sum of counter `metric` event increments, by metric name and unit.', [
    'name',
    'unit',
  ]);
  const activeSessions = family('active_sessions', 'gauge', 'Sessions started and not yet ended.', []);
  const activeAgents = family('active_agents', 'gauge', 'Agent runs started and not yet ended.', []);
  const observerDropped = family(
    'observer_dropped_events_total',
    'counter',
    "Events dropped by the observer's subscribers' overflow policies.",
    [],
  );
  const observerInvalid = family('observer_invalid_events_total', 'counter', 'Events rejected by validation at the door.', []);

  const sessions = new Set<string>();
  const agents = new Set<string>();
  let untracked = 0;
  let statsSource = options.observerStats;
  let received = 0;
  let shutDown = false;
  let pushes = 0;
  let pushFailures = 0;
  /** Pushes sent and not yet answered (a hung gateway holds them until `timeoutMs`). */
  let pushesInFlight = 0;
  let lastPushError: string | undefined;
  let pushTimer: NodeJS.Timeout | undefined;

  const track = (set: Set<string>, key: string, start: boolean) => {
    if (!start) set.delete(key);
    else if (set.size < maxActive) set.add(key);
    else untracked++;
  };

  const record = (event: FleetEvent) => {
    events.inc([event.type, event.severity]);
    switch (event.type) {
      case 'session.start':
        track(sessions, event.sessionId, true);
        break;
      case 'session.end':
        track(sessions, event.sessionId, false);
        if ((event as EventOf<'session.end'>).payload.status === FAILURE_STATUS) errors.inc([event.type]);
        break;
      case 'agent.start':
        track(agents, event.spanId ?? `${event.sessionId}\u0000${event.agentId}`, true);
        break;
      case 'agent.end':
        track(agents, event.spanId ?? `${event.sessionId}\u0000${event.agentId}`, false);
        if ((event as EventOf<'agent.end'>).payload.status === FAILURE_STATUS) errors.inc([event.type]);
        break;
      case 'tool.end': {
        // `CustomEvent` types (`${string}.${string}`) keep the switch from narrowing; the type is checked above.
        const p = (event as EventOf<'tool.end'>).payload;
        toolCalls.inc([p.toolName, p.status]);
        if (p.durationMs !== undefined) toolDuration.observe([p.toolName], p.durationMs / 1000);
        if (p.status === FAILURE_STATUS) errors.inc([event.type]);
        break;
      }
      case 'llm.call': {
        const p = (event as EventOf<'llm.call'>).payload;
        llmCalls.inc([p.model, p.status]);
        if (p.latencyMs !== undefined) llmLatency.observe([p.model], p.latencyMs / 1000);
        if (p.status === FAILURE_STATUS) errors.inc([event.type]);
        const agent = event.agentId;
        if (p.inputTokens) tokens.inc([p.model, agent, 'input'], p.inputTokens);
        if (p.outputTokens) tokens.inc([p.model, agent, 'output'], p.outputTokens);
        if (p.cacheReadTokens) tokens.inc([p.model, agent, 'cache_read'], p.cacheReadTokens);
        if (p.cacheWriteTokens) tokens.inc([p.model, agent, 'cache_write'], p.cacheWriteTokens);
        const usd = priceOf(p);
        if (usd !== undefined) cost.inc([p.model, agent], usd);
        else {
          unknownCost.inc([p.model, agent, carriesUsage(p) ? 'no_price' : 'no_usage']);
        }
        break;
      }
      case 'plugin.error':
        errors.inc([event.type]);
        break;
      case 'metric': {
        const p = (event as EventOf<'metric'>).payload;
        if (p.kind === 'counter') metricCounter.inc([p.name, p.unit ?? ''], p.value);
        else if (Number.isFinite(p.value)) metricGauge.set([p.name, p.unit ?? ''], p.value);
        break;
      }
      default:
        break;
    }
  };

  const metrics = (): string => {
    activeSessions.set([], sessions.size);
    activeAgents.set([], agents.size);
    if (statsSource !== undefined) {
      try {
        const s = statsSource();
        observerDropped.set([], s.dropped);
        observerInvalid.set([], s.events.invalid);
      } catch {
        // A failing stats source must not break the scrape; the figures stay at their last value.
      }
    }
    const parts: string[] = [];
    for (const f of families) f.renderInto(parts);
    return parts.join('');
  };

  const doPush = async (): Promise<ExportResult> => {
    if (push === undefined) {
      return { code: 'failed', error: new Error('[fleetscope] [prometheus] no pushgateway configured') };
    }
    pushesInFlight++;
    try {
      const response = await fetch(push.url, {
        method: push.method,
        headers: { ...push.headers, 'Content-Type': PROMETHEUS_CONTENT_TYPE },
        body: metrics(),
        signal: AbortSignal.timeout(push.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) throw new Error(`pushgateway answered HTTP ${response.status}`);
      pushes++;
      return { code: 'success' };
    } catch (error) {
      pushFailures++;
      lastPushError = errorMessage(error);
      return {
        code: 'failed',
        error: new Error(`[fleetscope] [prometheus] push to ${push.url} failed: ${lastPushError}`),
        retryable: true,
      };
    } finally {
      pushesInFlight--;
    }
  };

  if (push !== undefined && push.intervalMs > 0) {
    pushTimer = setInterval(() => void doPush(), push.intervalMs);
    pushTimer.unref();
  }

  const exporter: PrometheusExporter = {
    name,
    async export(batch: readonly FleetEvent[]): Promise<ExportResult> {
      if (shutDown) return { code: 'failed', error: new Error('[fleetscope] [prometheus] exporter is shut down') };
      try {
        for (const event of batch) {
          received++;
          record(event);
        }
        return { code: 'success' };
      } catch (error) {
        return { code: 'failed', error: new Error(`[fleetscope] [prometheus] ${errorMessage(error)}`) };
      }
    },
    async flush(): Promise<void> {
      if (push !== undefined && !shutDown) await doPush();
    },
    async shutdown(): Promise<void> {
      if (shutDown) return;
      if (pushTimer !== undefined) clearInterval(pushTimer);
      if (push !== undefined) await doPush();
      shutDown = true;
    },
    stats(): ExporterStats {
      let series = 0;
      let overflowed = 0;
      for (const f of families) {
        series += f.size;
        overflowed += f.overflowed;
      }
      return {
        received,
        series,
        seriesOverflowed: overflowed,
        activeUntracked: untracked,
        pushes,
        pushFailures,
        pushesInFlight,
        ...(lastPushError === undefined ? {} : { lastPushError }),
      };
    },
    metrics,
    handler: prometheusHandler({ metrics: () => metrics() }),
    attach(observer) {
      statsSource = () => observer.stats();
    },
    push: doPush,
  };
  return exporter;
}

function pushTarget(options: PushgatewayOptions, fail: (message: string) => never) {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    return fail(`pushgateway.url is not a valid URL: ${String(options.url)}`);
  }
  let path = `/metrics/job/${encodeURIComponent(options.job ?? 'fleetscope')}`;
  for (const [label, value] of Object.entries(options.groupingLabels ?? {})) {
    path += `/${encodeURIComponent(label)}/${encodeURIComponent(value)}`;
  }
  const url = `${base.origin}${base.pathname.replace(/\/+$/, '')}${path}`;
  const intervalMs = options.intervalMs ?? 15_000;
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!(intervalMs >= 0)) fail(`pushgateway.intervalMs must be >= 0, got ${intervalMs}`);
  if (!(timeoutMs > 0)) fail(`pushgateway.timeoutMs must be > 0, got ${timeoutMs}`);
  return { url, method: options.method ?? 'PUT', intervalMs, timeoutMs, headers: options.headers ?? {} };
}
