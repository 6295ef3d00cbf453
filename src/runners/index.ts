/** `fleetscope/runners`: event sources behind the `Runner` contract. */
export { processResourcesRunner, cpuPercent, PROCESS_METRICS, type ProcessResourcesOptions } from './process-resources.js';
export { jsonlTailRunner, type JsonlTailOptions, type JsonlMapper, type JsonlLineSource } from './jsonl-tail.js';
export {
  fleetscopeSpanProcessor,
  classifySpan,
  tokensFromAttributes,
  type FleetscopeSpanProcessor,
  type FleetscopeSpanProcessorOptions,
  type SpanBridgeStats,
  type BridgeTarget,
  type ReadableSpanLike,
  type SpanProcessorLike,
} from './otel-bridge.js';
export { wrapAnthropic, wrapOpenAI, type LlmWrapperOptions, type LlmWrapperTarget } from './llm-wrappers.js';
