/**
 * Model pricing lives in `src/core/pricing.ts` so that every way out (the cost analyzer, the
 * Prometheus and OpenTelemetry exporters) prices a call with the same table; re-exported here
 * for the analyzers and for hosts that import it from `fleetscope/analyzers`.
 */
export * from '../core/pricing.js';
