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

/** Why an attribute the bridge reads was left out: counted in the bridge's `stats().invalid`. */
export type AttributeProblem = 'wrong-type' | 'oversized';

/** Receives each problem met while reading one span. */
export type ProblemSink = (problem: AttributeProblem) => void;

const ignore: ProblemSink = () => {};

/** A count: a finite number ≥ 0 (or a numeric string). Anything else is `wrong-type`. */
export function tokens(attributes: AttributesLike, keys: readonly string[], report: ProblemSink = ignore): number | undefined {
  const value = first(attributes, keys);
  if (value === undefined) return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n === 'number' && Number.isFinite(n) && n >= 0) return Math.round(n);
  report('wrong-type');
  return undefined;
}

export function number(attributes: AttributesLike, keys: readonly string[]): number | undefined {
  const value = first(attributes, keys);
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Longest JSON attribute (OpenInference `metadata`, `llm.invocation_parameters`) the bridge parses. */
export const MAX_PARSED_JSON = 65_536;

/** A small JSON object attribute, parsed; undefined when absent, too long or not an object. */
export function jsonObject(value: AttributeValueLike, report: ProblemSink = ignore): Record<string, unknown> | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length > MAX_PARSED_JSON) {
    report('oversized');
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    report('wrong-type');
    return undefined;
  }
}

/**
 * Whether an OpenInference CHAIN span is the root of a LangGraph graph run: LangChain puts
 * `ls_integration: "langgraph"` in the metadata of every run of a graph, and `langgraph_node`
 * in those of its nodes (and of everything called inside a node).
 */
export function isLangGraphRoot(attributes: AttributesLike): boolean {
  const raw = attributes[A.OPENINFERENCE_METADATA];
  // Cheap test before parsing: most chains are not LangGraph.
  if (typeof raw !== 'string' || !raw.includes('langgraph')) return false;
  const metadata = jsonObject(raw);
  return metadata !== undefined && metadata.ls_integration === 'langgraph' && metadata.langgraph_node === undefined;
}

/**
 * Whether a span is the `__start__` node of a LangGraph run (every graph and subgraph run starts
 * with it): its parent is then a graph run, i.e. an agent, even when that parent is itself a node
 * of an outer graph.
 */
export function isLangGraphStart(attributes: AttributesLike): boolean {
  const raw = attributes[A.OPENINFERENCE_METADATA];
  if (typeof raw !== 'string' || !raw.includes('"__start__"')) return false;
  return jsonObject(raw)?.langgraph_node === '__start__';
}

/** What an AI SDK `ai.operationId` stands for. */
function aiSdkCategory(operationId: string): SpanCategory {
  if (A.AI_AGENT_OPERATIONS.has(operationId)) return 'agent';
  if (operationId === A.AI_TOOL_OPERATION) return 'tool';
  if (operationId.endsWith('.doGenerate') || operationId.endsWith('.doStream') || operationId.endsWith('.doEmbed')) return 'llm';
  return 'other';
}

/**
 * Which fleetscope span a GenAI span is, by the first convention that says so: the AI SDK's
 * `ai.operationId`, the GenAI `gen_ai.operation.name`, OpenInference's span kind (a LangGraph
 * graph root is an agent), OpenLLMetry's span kind or request type. Span names are never read:
 * they are being renamed upstream.
 */
export function classifySpan(attributes: AttributesLike): SpanCategory {
  const aiOperation = attributes[A.AI_OPERATION_ID];
  if (typeof aiOperation === 'string') return aiSdkCategory(aiOperation);
  const operation = attributes[A.OPERATION];
  if (typeof operation === 'string') {
    if (A.LLM_OPERATIONS.has(operation)) return 'llm';
    if (A.TOOL_OPERATIONS.has(operation)) return 'tool';
    if (A.AGENT_OPERATIONS.has(operation)) return 'agent';
    if (A.STEP_OPERATIONS.has(operation)) return 'other';
  }
  const oi = attributes[A.OPENINFERENCE_KIND];
  if (typeof oi === 'string') {
    const kind = oi.toUpperCase();
    if (kind in A.OPENINFERENCE_LLM_KINDS) return 'llm';
    if (kind === 'TOOL') return 'tool';
    if (kind === 'AGENT') return 'agent';
    if (kind === 'CHAIN' && isLangGraphRoot(attributes)) return 'agent';
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
export function tokensFromAttributes(attributes: AttributesLike, report: ProblemSink = ignore): {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  excludedCache: boolean;
} {
  const cacheReadTokens = tokens(attributes, A.CACHE_READ_TOKENS, report);
  const cacheWriteTokens = tokens(attributes, A.CACHE_WRITE_TOKENS, report);
  const outputTokens = tokens(attributes, A.OUTPUT_TOKENS, report);
  // The AI SDK (6+) states the uncached part itself.
  const noCache = tokens(attributes, A.NO_CACHE_INPUT_TOKENS, report);
  if (noCache !== undefined) return { inputTokens: noCache, outputTokens, cacheReadTokens, cacheWriteTokens, excludedCache: false };
  const input = tokens(attributes, A.INPUT_TOKENS, report);
  const cached = (cacheReadTokens ?? 0) + (cacheWriteTokens ?? 0);
  let inputTokens = input;
  let excludedCache = false;
  if (input !== undefined && cached > 0) {
    if (input >= cached) inputTokens = input - cached;
    else excludedCache = true;
  }
  return { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, excludedCache };
}

/**
 * A content attribute as a value: JSON strings (objects, arrays) are parsed, others kept. A
 * string longer than `maxLength` is cut to it (and reported `oversized`), never parsed.
 */
export function content(value: AttributeValueLike, maxLength = Infinity, report: ProblemSink = ignore): unknown {
  if (typeof value !== 'string') return value ?? undefined;
  if (value.length > maxLength) {
    report('oversized');
    return `${value.slice(0, maxLength)}…`;
  }
  const trimmed = value.trimStart();
  // JSON objects, arrays and strings (the AI SDK records a tool's result as `JSON.stringify(result)`).
  if (trimmed.startsWith('{') || trimmed.startsWith('[') || (trimmed.startsWith('"') && trimmed.endsWith('"'))) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}


/** An error message without its stack trace (`Error: x\n    at f (file:1:2)` → `Error: x`). */
export function withoutStack(message: string): string {
  const at = message.search(/\n\s+at\s/);
  let kept = (at === -1 ? message : message.slice(0, at)).trim();
  // LangChain records `${message}\n\n${stack}`: the stack's header line repeats the message.
  const blank = kept.indexOf('\n\n');
  if (blank !== -1 && /^[\w$.]*(Error|Exception)\b/.test(kept.slice(blank + 2))) kept = kept.slice(0, blank).trim();
  return kept;
}
