/**
 * Attribute names the OpenTelemetry bridge reads, from three conventions, in order of
 * preference (first present wins):
 * - OpenTelemetry GenAI semantic conventions, current names and deprecated ones still emitted
 *   in the wild (`@opentelemetry/semantic-conventions` 1.45 incubating attributes);
 * - OpenInference (Arize, `spec/semantic_conventions.md`);
 * - OpenLLMetry (Traceloop, `@traceloop/ai-semantic-conventions` `SpanAttributes`, and the
 *   Python `semconv_ai` names `gen_ai.usage.cache_*_input_tokens`, `llm.usage.*`);
 * - the Vercel AI SDK's own `ai.*` attributes (ai 5/6, and ai 7's `LegacyOpenTelemetry()`),
 *   read from `packages/ai/src/generate-text/*.ts`: `ai.operationId` says what a span is.
 */

/** AI SDK: the operation of a span (`ai.generateText`, `ai.generateText.doGenerate`, `ai.toolCall`, ...). */
export const AI_OPERATION_ID = 'ai.operationId';
/** AI SDK operations that are one run of an agent (a call of `generateText` & co., its steps inside). */
export const AI_AGENT_OPERATIONS = new Set(['ai.generateText', 'ai.streamText', 'ai.generateObject', 'ai.streamObject']);
export const AI_TOOL_OPERATION = 'ai.toolCall';
/** AI SDK: the name the host gave the call (`experimental_telemetry.functionId`). */
export const AI_FUNCTION_ID = ['ai.telemetry.functionId', 'resource.name'];
export const AI_PROVIDER = 'ai.model.provider';
export const AI_TIME_TO_FIRST_CHUNK = ['ai.response.msToFirstChunk', 'ai.stream.msToFirstChunk'];
/**
 * Time to the first chunk in **seconds**, set on streamed calls only (AI SDK 7 `@ai-sdk/otel`
 * `OpenTelemetry()`, named after the GenAI client metric): its presence tells a stream.
 */
export const GENAI_TIME_TO_FIRST_CHUNK_S = ['gen_ai.client.operation.time_to_first_chunk'];
export const AI_TOOL_NAME = ['ai.toolCall.name'];
export const AI_TOOL_CALL_ID = ['ai.toolCall.id'];
export const AI_TOOL_INPUT = ['ai.toolCall.args', 'ai.toolCall.input'];
export const AI_TOOL_OUTPUT = ['ai.toolCall.result', 'ai.toolCall.output'];
/** OpenInference: JSON of the run's metadata (LangGraph puts `ls_integration`, `langgraph_node` there). */
export const OPENINFERENCE_METADATA = 'metadata';
/** OpenInference: JSON of the request's parameters (`model`, `stream`, ...). */
export const OPENINFERENCE_INVOCATION_PARAMETERS = 'llm.invocation_parameters';

export const OPERATION = 'gen_ai.operation.name';
export const OPENINFERENCE_KIND = 'openinference.span.kind';
export const TRACELOOP_KIND = 'traceloop.span.kind';
/** Traceloop's LLM spans carry `llm.request.type` (chat / completion / embedding / rerank) instead of an operation name. */
export const TRACELOOP_REQUEST_TYPE = 'llm.request.type';

/** `gen_ai.operation.name` values that are one model call. */
export const LLM_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content', 'embeddings']);
export const TOOL_OPERATIONS = new Set(['execute_tool']);
export const AGENT_OPERATIONS = new Set(['invoke_agent', 'create_agent']);
/**
 * Operations that are part of an agent run without being one (a step of its loop, a workflow
 * around agents): not an agent of their own, so that the run is not counted twice.
 */
export const STEP_OPERATIONS = new Set(['agent_step', 'invoke_workflow']);

export const PROVIDER = ['gen_ai.provider.name', 'gen_ai.system', 'llm.system', 'llm.provider'];
export const MODEL = [
  'gen_ai.response.model',
  'gen_ai.request.model',
  'llm.response.model_name',
  'llm.model_name',
  'llm.request.model_name',
  'embedding.model_name',
  'ai.response.model',
  'ai.model.id',
];
/** Input tokens INCLUDING cache reads and writes (OTel: "SHOULD include all types of input tokens"). */
export const INPUT_TOKENS = [
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.prompt_tokens',
  'llm.token_count.prompt',
  'llm.usage.prompt_tokens',
  'ai.usage.inputTokens',
  'ai.usage.promptTokens',
];
/** Input tokens EXCLUDING cache, when the source says so itself (AI SDK 6+). */
export const NO_CACHE_INPUT_TOKENS = ['ai.usage.inputTokenDetails.noCacheTokens'];
export const OUTPUT_TOKENS = [
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.completion_tokens',
  'llm.token_count.completion',
  'llm.usage.completion_tokens',
  'ai.usage.outputTokens',
  'ai.usage.completionTokens',
];
export const CACHE_READ_TOKENS = [
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_read_input_tokens',
  'llm.token_count.prompt_details.cache_read',
  'llm.usage.cache_read_input_tokens',
  'ai.usage.inputTokenDetails.cacheReadTokens',
  'ai.usage.cachedInputTokens',
];
export const CACHE_WRITE_TOKENS = [
  'gen_ai.usage.cache_creation.input_tokens',
  // The newer GenAI spelling (semantic-conventions after 1.38), also AI SDK 7's `@ai-sdk/otel`.
  'gen_ai.usage.cache_write.input_tokens',
  'gen_ai.usage.cache_creation_input_tokens',
  'llm.token_count.prompt_details.cache_write',
  'llm.usage.cache_creation_input_tokens',
  'ai.usage.inputTokenDetails.cacheWriteTokens',
];
export const RESPONSE_ID = ['gen_ai.response.id', 'ai.response.id'];
/** `gen_ai.response.finish_reasons` is a string array; the others are single strings. */
export const FINISH_REASONS = ['gen_ai.response.finish_reasons', 'llm.finish_reason', 'llm.response.finish_reason', 'ai.response.finishReason'];
export const COST_USD = ['llm.cost.total', 'gen_ai.usage.cost'];
export const STREAM = ['gen_ai.request.stream', 'llm.is_streaming'];

export const SESSION_ID = [
  'gen_ai.conversation.id',
  'session.id',
  'traceloop.association.properties.session_id',
  'ai.telemetry.metadata.sessionId',
  'ai.telemetry.metadata.session_id',
];
export const AGENT_ID = ['gen_ai.agent.id'];
export const AGENT_NAME = ['gen_ai.agent.name', 'agent.name'];
export const TOOL_NAME = ['gen_ai.tool.name', 'tool.name'];
export const TOOL_CALL_ID = ['gen_ai.tool.call.id', 'tool.id', 'tool_call.id', 'gen_ai.tool.call_id'];
export const TOOL_INPUT = ['gen_ai.tool.call.arguments', 'input.value', 'traceloop.entity.input'];
export const TOOL_OUTPUT = ['gen_ai.tool.call.result', 'output.value', 'traceloop.entity.output'];
export const AGENT_INPUT = ['input.value', 'traceloop.entity.input'];
export const AGENT_OUTPUT = ['output.value', 'traceloop.entity.output'];
export const ENTITY_NAME = ['traceloop.entity.name'];
export const WORKFLOW_NAME = ['traceloop.workflow.name', 'gen_ai.workflow.name'];
export const ERROR_TYPE = ['error.type'];

/** OpenInference span kinds that are one model call, and the operation they stand for. */
export const OPENINFERENCE_LLM_KINDS: Record<string, string> = { LLM: 'chat', EMBEDDING: 'embeddings' };
/** Traceloop `llm.request.type` values and the GenAI operation they stand for. */
export const TRACELOOP_OPERATIONS: Record<string, string> = {
  chat: 'chat',
  completion: 'text_completion',
  embedding: 'embeddings',
};
