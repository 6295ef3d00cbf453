/** `fleetscope/exporters`: exporters behind the `Exporter` contract. */
export {
  prometheusExporter,
  prometheusHandler,
  PROMETHEUS_CONTENT_TYPE,
  DEFAULT_LATENCY_BUCKETS,
  type PrometheusExporter,
  type PrometheusExporterOptions,
  type PushgatewayOptions,
  type ObserverStatsSource,
} from './prometheus.js';
export {
  otelExporter,
  DEFAULT_OTLP_TRACES_URL,
  type OtelExporterOptions,
  type SpanExporterLike,
  type ModuleImporter,
} from './otel.js';
export type { OtelSpan } from './otel-spans.js';
export { webhookExporter, webhookBody, slackEscape, type WebhookExporterOptions, type WebhookFormat } from './webhook.js';
export type { HttpDeliveryOptions } from './http-delivery.js';
export { jsonlExporter, type JsonlExporterOptions } from './jsonl.js';
export { consoleExporter, formatPretty, type ConsoleExporterOptions } from './console.js';
export { alertmanagerExporter, toPostableAlert, type AlertmanagerExporterOptions, type PostableAlert } from './alertmanager.js';
export { redisStreamExporter, REDIS_STREAM_EVENTS_FIELD, type RedisStreamExporterOptions, type RedisStreamsClient } from './redis-streams.js';
