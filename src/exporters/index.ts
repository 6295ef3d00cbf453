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
