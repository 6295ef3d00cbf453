/**
 * The `llm.call` payload of a model span, whichever convention it follows: OTel GenAI (`gen_ai.*`),
 * the Vercel AI SDK (`ai.*`: provider named with its API, `.doStream` / `.doGenerate`, time to first
 * chunk), OpenInference (`openinference.span.kind`, `llm.invocation_parameters`) and OpenLLMetry
 * (`llm.request.type`). Part of the OpenTelemetry bridge (otel-bridge.ts).
 */
import type { LlmCallPayload } from '../core/index.js';
import * as A from './otel-bridge-attributes.js';
import { first, jsonObject, number, text, tokensFromAttributes, type AttributesLike, type ProblemSink } from './otel-bridge-readers.js';

const MAX_NAME = 1024;
const REQUEST_TYPE_KEY = [A.TRACELOOP_REQUEST_TYPE];
const AI_PROVIDER_KEY = [A.AI_PROVIDER];
const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** What the bridge already read of the span. */
export interface LlmSpanFacts {
  /** The name `classify` gave, if any: the operation. */
  categoryName?: string;
  /** `gen_ai.operation.name`. */
  operation?: string;
  /** The AI SDK's `ai.operationId`. */
  aiOperation?: string;
  durationMs: number;
  error?: string;
}

/** `openai.chat` → `openai`: the AI SDK names the provider with its API (`.chat`, `.responses`, `.messages`). */
function aiSdkProvider(provider: string | undefined): string | undefined {
  if (provider === undefined) return undefined;
  const dot = provider.indexOf('.');
  return dot > 0 ? provider.slice(0, dot) : provider;
}

/**
 * The stream flag: the span's own, OpenInference's invocation parameters, the AI SDK operation, or a
 * time to first chunk (which only a streamed call has).
 */
function streamOf(attributes: AttributesLike, parameters: Record<string, unknown> | undefined, aiOperation: string | undefined, firstChunkMs: number | undefined): boolean | undefined {
  const streamAttribute = first(attributes, A.STREAM);
  if (typeof streamAttribute === 'boolean') return streamAttribute;
  if (typeof parameters?.stream === 'boolean') return parameters.stream;
  if (aiOperation?.endsWith('.doStream')) return true;
  if (aiOperation?.endsWith('.doGenerate')) return false;
  return firstChunkMs !== undefined ? true : undefined;
}

/** Time to first chunk in ms: the AI SDK's `ai.*.msToFirstChunk`, else the GenAI seconds attribute. */
function firstChunkMsOf(attributes: AttributesLike): number | undefined {
  const ms = number(attributes, A.AI_TIME_TO_FIRST_CHUNK);
  if (ms !== undefined) return ms;
  const seconds = number(attributes, A.GENAI_TIME_TO_FIRST_CHUNK_S);
  return seconds === undefined ? undefined : seconds * 1000;
}

/** The first finish reason: of an array attribute, of a JSON array written as a string (Mastra), or the string. */
function finishReasonOf(attributes: AttributesLike): string | undefined {
  const reason = text(attributes, A.FINISH_REASONS);
  if (reason?.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(reason);
      if (Array.isArray(parsed)) return typeof parsed[0] === 'string' ? parsed[0] : undefined;
    } catch {
      // Not JSON: kept as written.
    }
  }
  return reason;
}

/** The call's payload, whether its input tokens were read as excluding cache, and its time to first token. */
export function llmCallOf(
  attributes: AttributesLike,
  facts: LlmSpanFacts,
  report: ProblemSink,
): { payload: LlmCallPayload; excludedCache: boolean; timeToFirstTokenMs?: number } {
  const { aiOperation, error } = facts;
  const usage = tokensFromAttributes(attributes, report);
  const oiKind = typeof attributes[A.OPENINFERENCE_KIND] === 'string' ? String(attributes[A.OPENINFERENCE_KIND]).toUpperCase() : undefined;
  const requestType = text(attributes, REQUEST_TYPE_KEY);
  const parameters = oiKind !== undefined ? jsonObject(attributes[A.OPENINFERENCE_INVOCATION_PARAMETERS], report) : undefined;
  const provider = text(attributes, A.PROVIDER) ?? text(attributes, AI_PROVIDER_KEY);
  const model = text(attributes, A.MODEL) ?? (typeof parameters?.model === 'string' ? parameters.model : undefined);
  const firstChunk = firstChunkMsOf(attributes);
  return {
    excludedCache: usage.excludedCache,
    timeToFirstTokenMs: firstChunk === undefined ? undefined : round3(firstChunk),
    payload: {
      provider: (aiOperation !== undefined ? aiSdkProvider(provider) : provider)?.slice(0, MAX_NAME),
      model: model?.slice(0, MAX_NAME) ?? 'unknown',
      operation:
        facts.categoryName ??
        facts.operation ??
        (aiOperation?.endsWith('.doEmbed') ? 'embeddings' : undefined) ??
        (oiKind !== undefined ? A.OPENINFERENCE_LLM_KINDS[oiKind] : undefined) ??
        (requestType !== undefined ? A.TRACELOOP_OPERATIONS[requestType] : undefined) ??
        'chat',
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cacheReadTokens: usage.cacheReadTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
      costUsd: number(attributes, A.COST_USD),
      latencyMs: facts.durationMs,
      status: error === undefined ? 'success' : 'error',
      error,
      responseId: text(attributes, A.RESPONSE_ID)?.slice(0, MAX_NAME),
      finishReason: finishReasonOf(attributes)?.slice(0, MAX_NAME),
      stream: streamOf(attributes, parameters, aiOperation, firstChunk),
    },
  };
}
