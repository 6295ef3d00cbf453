/**
 * The `llm.call` payload of a model span, whichever convention it follows: OTel GenAI (`gen_ai.*`),
 * the Vercel AI SDK (`ai.*`: provider named with its API, `.doStream` / `.doGenerate`, time to first
 * chunk), OpenInference (`openinference.span.kind`, `llm.invocation_parameters`) and OpenLLMetry
 * (`llm.request.type`). Part of the OpenTelemetry bridge (otel-bridge.ts).
 */
import type { LlmCallPayload } from '../core/index.js';
import * as A from './otel-bridge-attributes.js';
import { F, first, jsonObject, number, raw, text, tokensOfKnown, type KnownAttributes, type ProblemSink } from './otel-bridge-readers.js';

const MAX_NAME = 1024;
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
function streamOf(known: KnownAttributes, parameters: Record<string, unknown> | undefined, aiOperation: string | undefined, firstChunkMs: number | undefined): boolean | undefined {
  const streamAttribute = first(known, F.stream);
  if (typeof streamAttribute === 'boolean') return streamAttribute;
  if (typeof parameters?.stream === 'boolean') return parameters.stream;
  if (aiOperation?.endsWith('.doStream')) return true;
  if (aiOperation?.endsWith('.doGenerate')) return false;
  return firstChunkMs !== undefined ? true : undefined;
}

/** Time to first chunk in ms: the AI SDK's `ai.*.msToFirstChunk`, else the GenAI seconds attribute. */
function firstChunkMsOf(known: KnownAttributes): number | undefined {
  const ms = number(known, F.aiTimeToFirstChunk);
  if (ms !== undefined) return ms;
  const seconds = number(known, F.genAiTimeToFirstChunkS);
  return seconds === undefined ? undefined : seconds * 1000;
}

/** The first finish reason: of an array attribute, of a JSON array written as a string (Mastra), or the string. */
function finishReasonOf(known: KnownAttributes): string | undefined {
  const reason = text(known, F.finishReasons);
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
  known: KnownAttributes,
  facts: LlmSpanFacts,
  report: ProblemSink,
): { payload: LlmCallPayload; excludedCache: boolean; timeToFirstTokenMs?: number } {
  const { aiOperation, error } = facts;
  const usage = tokensOfKnown(known, report);
  const oiKindValue = raw(known, F.openInferenceKind);
  const oiKind = typeof oiKindValue === 'string' ? oiKindValue.toUpperCase() : undefined;
  const requestType = text(known, F.requestType);
  const parameters = oiKind !== undefined ? jsonObject(raw(known, F.invocationParameters), report) : undefined;
  const provider = text(known, F.provider) ?? text(known, F.aiProvider);
  const model = text(known, F.model) ?? (typeof parameters?.model === 'string' ? parameters.model : undefined);
  const firstChunk = firstChunkMsOf(known);
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
      costUsd: number(known, F.costUsd),
      latencyMs: facts.durationMs,
      status: error === undefined ? 'success' : 'error',
      error,
      responseId: text(known, F.responseId)?.slice(0, MAX_NAME),
      finishReason: finishReasonOf(known)?.slice(0, MAX_NAME),
      stream: streamOf(known, parameters, aiOperation, firstChunk),
    },
  };
}
