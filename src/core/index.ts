/**
 * `fleetscope/core`: the event model, the bus, the plugin contracts and the observer.
 * Knows no concrete runner, analyzer, storage or exporter.
 */
export * from './events.js';
export { validateEvent, createIdGenerator, type EventDefaults, type ValidationResult, type ValidateOptions } from './validate.js';
export { sanitizeValue, jsonBytes, DEFAULT_PAYLOAD_LIMITS, type PayloadLimits, type RepairKind, type SanitizeResult } from './sanitize.js';
export { EventBus, type Listener, type EventBusOptions } from './bus.js';
export { compilePredicate, matchesFilter, type EventFilter } from './filter.js';
export {
  Subscription,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_BATCH_SIZE,
  type OverflowPolicy,
  type SubscribeOptions,
  type SubscriptionStats,
} from './subscription.js';
export * from './plugins.js';
export type { EventTransform, BatchTransform, SinkInfo, TransformContext } from './transform.js';
export { orderAnalyzers, type PluginState, type ExporterCounters } from './pipeline.js';
export { currentScope, runInScope, type ScopeContext } from './context.js';
export { newTraceId, newSpanId, traceIdFrom } from './ids.js';
export { readUsage, usageFromResponse, type TokenUsage } from './usage.js';
export { FleetscopeError, errorMessage, withTimeout, callAsync, sleepUnlessAborted, type ErrorHandler } from './errors.js';
export { importOptionalPeer } from './optional-peer.js';
export { RecentHashes, RecentKeys, RecentMap } from './recent-keys.js';
export { decodeCompactBatch, encodeCompactBatch, type CompactBatch } from './compact-batch.js';
export { dedupeKey, SourceDedupe } from './dedupe.js';
export type { SessionOptions, WorkflowOptions, AgentOptions, LlmMeta, LlmCall } from './instrument.js';
export {
  GuardrailBlockedError,
  hashGuardrailInput,
  type GuardrailPolicy,
  type GuardrailRequest,
  type GuardrailDecision,
  type GuardrailOptions,
} from './guardrails.js';
export { defaultReportRenderer, defaultHtmlReport, type ReportInput, type ReportRenderer } from './report.js';
export {
  Observer,
  createCoreObserver,
  type ObserverOptions,
  type ObserverStats,
  type ReportOptions,
  type HtmlReportHook,
} from './observer.js';
