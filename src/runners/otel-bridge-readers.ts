/**
 * Readers of span attributes for the OpenTelemetry bridge: which kind of span it is, and the
 * token counts in fleetscope's convention. Pure functions over an attributes record.
 */
import * as A from './otel-bridge-attributes.js';

export type AttributeValueLike = string | number | boolean | readonly (string | number | boolean | null | undefined)[] | null | undefined;
export type AttributesLike = Readonly<Record<string, AttributeValueLike>>;

/** What a GenAI span is to fleetscope. */
export type SpanCategory = 'llm' | 'tool' | 'agent' | 'other';

export function first(attributes: AttributesLike, keys: readonly string[]): AttributeValueLike {
  for (const key of keys) {
    const value = attributes[key];
    if (value !== undefined && value !== null && value !== '') return value;
  }
  return undefined;
}

export function text(attributes: AttributesLike, keys: readonly string[]): string | undefined {
  const value = first(attributes, keys);
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.length > 0 && value[0] != null ? String(value[0]) : undefined;
  return String(value);
}

export function tokens(attributes: AttributesLike, keys: readonly string[]): number | undefined {
  const value = first(attributes, keys);
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.round(n) : undefined;
}

export function number(attributes: AttributesLike, keys: readonly string[]): number | undefined {
  const value = first(attributes, keys);
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Which fleetscope span a GenAI span is, by the first convention that says so. */
export function classifySpan(attributes: AttributesLike): SpanCategory {
  const operation = attributes[A.OPERATION];
  if (typeof operation === 'string') {
    if (A.LLM_OPERATIONS.has(operation)) return 'llm';
    if (A.TOOL_OPERATIONS.has(operation)) return 'tool';
    if (A.AGENT_OPERATIONS.has(operation)) return 'agent';
  }
  const oi = attributes[A.OPENINFERENCE_KIND];
  if (typeof oi === 'string') {
    const kind = oi.toUpperCase();
    if (kind in A.OPENINFERENCE_LLM_KINDS) return 'llm';
    if (kind === 'TOOL') return 'tool';
    if (kind === 'AGENT') return 'agent';
    return 'other';
  }
  const traceloop = attributes[A.TRACELOOP_KIND];
  if (traceloop === 'tool') return 'tool';
  if (traceloop === 'agent') return 'agent';
  if (typeof traceloop === 'string') return 'other';
  const requestType = attributes[A.TRACELOOP_REQUEST_TYPE];
  if (typeof requestType === 'string' && requestType in A.TRACELOOP_OPERATIONS) return 'llm';
  // Older GenAI instrumentations (and the Vercel AI SDK): a model plus a provider or usage, no operation name.
  if (typeof operation !== 'string' && first(attributes, A.MODEL) !== undefined) {
    if (first(attributes, A.PROVIDER) !== undefined || first(attributes, A.INPUT_TOKENS) !== undefined) return 'llm';
  }
  return 'other';
}

/**
 * Tokens in fleetscope's convention from span attributes. The GenAI conventions' input count
 * INCLUDES cache reads and writes, so `inputTokens = input − cacheRead − cacheWrite`. When the
 * input count is smaller than the cache counts, the source must have reported input without
 * cache (Anthropic's own convention); it is then kept as is (`excludedCache: true`).
 */
export function tokensFromAttributes(attributes: AttributesLike): {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  excludedCache: boolean;
} {
  const input = tokens(attributes, A.INPUT_TOKENS);
  const cacheReadTokens = tokens(attributes, A.CACHE_READ_TOKENS);
  const cacheWriteTokens = tokens(attributes, A.CACHE_WRITE_TOKENS);
  const cached = (cacheReadTokens ?? 0) + (cacheWriteTokens ?? 0);
  let inputTokens = input;
  let excludedCache = false;
  if (input !== undefined && cached > 0) {
    if (input >= cached) inputTokens = input - cached;
    else excludedCache = true;
  }
  return { inputTokens, outputTokens: tokens(attributes, A.OUTPUT_TOKENS), cacheReadTokens, cacheWriteTokens, excludedCache };
}

/** A content attribute as a value: JSON strings (objects, arrays) are parsed, others kept. */
export function content(value: AttributeValueLike): unknown {
  if (typeof value !== 'string') return value ?? undefined;
  const trimmed = value.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

