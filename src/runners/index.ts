/** `fleetscope/runners`: event sources behind the `Runner` contract. */
export { processResourcesRunner, cpuPercent, loopDelayMs, PROCESS_METRICS, type ProcessResourcesOptions } from './process-resources.js';
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
export {
  openAIAgentsProcessor,
  agentsTraceId,
  agentsSpanId,
  usageOfResponse,
  type OpenAIAgentsProcessor,
  type OpenAIAgentsProcessorOptions,
  type AgentsProcessorStats,
  type AgentsSpanProblem,
  type AgentsSpanLike,
  type AgentsTraceLike,
  type AgentsTracingProcessorLike,
} from './openai-agents.js';
export {
  claudeAgentSdkMessages,
  observeClaudeAgentSdk,
  type ClaudeAgentSdkAdapter,
  type ClaudeAgentSdkOptions,
  type ClaudeAgentSdkStats,
} from './claude-agent-sdk.js';
export { wrapAnthropic, wrapOpenAI, type LlmWrapperOptions, type LlmWrapperTarget } from './llm-wrappers.js';
export {
  claudeCodeTranscriptsRunner,
  type ClaudeCodeTranscriptsOptions,
  type ClaudeCodeTranscriptsRunner,
} from './claude-code-transcripts.js';
export { claudeCodeHooksRunner, type ClaudeCodeHooksRunnerOptions, type ClaudeCodeHooksRunner } from './claude-code-hooks-runner.js';
export {
  mapHookPayload,
  hookProblem,
  spanIdFrom,
  HOOK_SOURCE,
  KNOWN_HOOK_EVENTS,
  type ClaudeHookPayload,
  type HookMapping,
  type HookMappingContext,
  type PendingStart,
  type PendingStarts,
} from './claude-code-hooks.js';
export {
  pendingStartsIn,
  prepareHookStore,
  resolveHookStore,
  gitRootOf,
  STORE_DIR_NAME,
  STORE_GITIGNORE,
  type PendingStartsDir,
  type HookStoreLocation,
  type ResolveHookStoreOptions,
} from './claude-code-hook-store.js';
export {
  claudeUsage,
  defaultClaudePaths,
  NO_CLAUDE_PATHS,
  findTranscriptFiles,
  type ClaudeUsageOptions,
  type ClaudeUsageReport,
  type UsageGrouping,
  type DailyUsage,
  type SessionUsage,
  type ConversationUsage,
  type AgentUsage,
  type ModelBreakdown,
  type TokenTotals,
} from './claude-code-usage.js';
export { toUsageEntry, costFromTokens, transcriptFileInfo, type UsageEntry, type TranscriptFileInfo } from './claude-code-transcript.js';
/**
 * The guardrail names `fleetscope/runners` has exported since the first release (the Claude Code
 * hook's API), kept for existing importers.
 * @deprecated import from `fleetscope/guardrails` (`createGuardrailEngine`, `DEFAULT_PACK`, ...).
 */
export {
  createGuardrails,
  rulesFromJson,
  DEFAULT_GUARDRAIL_RULES,
  type Guardrails,
  type GuardrailRule,
  type GuardrailRulesFile,
  type GuardrailMatch,
  type LegacyGuardrailAction as GuardrailAction,
} from '../guardrails/index.js';
export { decodeRedisStreamEntry, redisStreamRunner, type RedisStreamRunnerOptions, type RedisStreamsReaderClient } from './redis-streams.js';
export { otlpReceiver, type OtlpReceiverOptions, type OtlpReceiver } from './otlp-receiver.js';
