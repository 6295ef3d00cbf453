/**
 * Readers of span attributes for the OpenTelemetry bridge: which kind of span it is, and the
 * token counts in fleetscope's convention. A span's attributes are read in one pass over its own
 * keys (`knownAttributes`: each key the bridge knows goes to its slot), then each field is the
 * first set slot of its candidate names, in their order of preference: a span has ~10 keys, the
 * conventions ~60 candidate names.
 */
import * as A from './otel-bridge-attributes.js';

export type AttributeValueLike = string | number | boolean | readonly (string | number | boolean | null | undefined)[] | null | undefined;
export type AttributesLike = Readonly<Record<string, AttributeValueLike>>;

/** What a GenAI span is to fleetscope. */
export type SpanCategory = 'llm' | 'tool' | 'agent' | 'other';

/** Slot of each attribute name the bridge reads, in one table (filled by `field`). */
const SLOTS = new Map<string, number>();

/** A field the bridge reads: the slots of its candidate attribute names, in order of preference. */
export type Field = readonly number[];

/** The field of `names` (one or several candidates); names met for the first time get a slot. */
export function field(names: string | readonly string[]): Field {
  return (typeof names === 'string' ? [names] : names).map((name) => {
    let slot = SLOTS.get(name);
    if (slot === undefined) SLOTS.set(name, (slot = SLOTS.size));
    return slot;
  });
}

/**
 * A span's attributes as the bridge knows them: the raw value of each known name, by slot, read in
 * one pass over the span's own keys. Reused from span to span (`clear` resets only the slots the
 * last read set): a new array per span was most of what the bridge allocated.
 */
export class KnownAttributes {
  readonly values: AttributeValueLike[] = Array.from({ length: SLOTS.size }, () => undefined);
  /**
   * The slots set since the last `clear`, and how many: a fixed table and a count rather than an
   * array emptied with `length = 0` (a runtime call, measured ~3% of the bridge's time). An object's
   * keys are distinct, so at most one entry per known key.
   */
  private readonly setSlots = new Int32Array(SLOTS.size);
  private setCount = 0;

  /** Reads `attributes`: each (enumerable) key the bridge knows goes to its slot. */
  read(attributes: AttributesLike): this {
    for (const key in attributes) {
      const slot = SLOTS.get(key);
      if (slot !== undefined) {
        this.values[slot] = attributes[key];
        this.setSlots[this.setCount++] = slot;
      }
    }
    return this;
  }

  clear(): void {
    for (let i = 0; i < this.setCount; i++) this.values[this.setSlots[i]!] = undefined;
    this.setCount = 0;
  }
}

/** `attributes` read into new slots. */
export const knownAttributes = (attributes: AttributesLike): KnownAttributes => new KnownAttributes().read(attributes);

/**
 * Lends one `KnownAttributes` from span to span. It is the caller's from `read` until `release`
 * (one kept for later, e.g. a held span, is just not released); a `read` while it is out (a
 * re-entrant call) gets a new one.
 */
export class AttributeReader {
  private spare: KnownAttributes | undefined = new KnownAttributes();

  read(attributes: AttributesLike): KnownAttributes {
    const known = this.spare ?? new KnownAttributes();
    this.spare = undefined;
    return known.read(attributes);
  }

  release(known: KnownAttributes): void {
    known.clear();
    this.spare = known;
  }
}

/** The fields of otel-bridge-attributes.ts the bridge reads. */
export const F = {
  aiOperation: field(A.AI_OPERATION_ID),
  aiFunctionId: field(A.AI_FUNCTION_ID),
  aiProvider: field(A.AI_PROVIDER),
  aiTimeToFirstChunk: field(A.AI_TIME_TO_FIRST_CHUNK),
  genAiTimeToFirstChunkS: field(A.GENAI_TIME_TO_FIRST_CHUNK_S),
  aiToolName: field(A.AI_TOOL_NAME),
  aiToolCallId: field(A.AI_TOOL_CALL_ID),
  aiToolInput: field(A.AI_TOOL_INPUT),
  aiToolOutput: field(A.AI_TOOL_OUTPUT),
  metadata: field(A.OPENINFERENCE_METADATA),
  invocationParameters: field(A.OPENINFERENCE_INVOCATION_PARAMETERS),
  operation: field(A.OPERATION),
  openInferenceKind: field(A.OPENINFERENCE_KIND),
  traceloopKind: field(A.TRACELOOP_KIND),
  requestType: field(A.TRACELOOP_REQUEST_TYPE),
  provider: field(A.PROVIDER),
  model: field(A.MODEL),
  inputTokens: field(A.INPUT_TOKENS),
  noCacheInputTokens: field(A.NO_CACHE_INPUT_TOKENS),
  outputTokens: field(A.OUTPUT_TOKENS),
  cacheReadTokens: field(A.CACHE_READ_TOKENS),
  cacheWriteTokens: field(A.CACHE_WRITE_TOKENS),
  responseId: field(A.RESPONSE_ID),
  finishReasons: field(A.FINISH_REASONS),
  costUsd: field(A.COST_USD),
  stream: field(A.STREAM),
  sessionId: field(A.SESSION_ID),
  agentId: field(A.AGENT_ID),
  agentName: field(A.AGENT_NAME),
  toolName: field(A.TOOL_NAME),
  toolCallId: field(A.TOOL_CALL_ID),
  toolInput: field(A.TOOL_INPUT),
  toolOutput: field(A.TOOL_OUTPUT),
  agentInput: field(A.AGENT_INPUT),
  agentOutput: field(A.AGENT_OUTPUT),
  entityName: field(A.ENTITY_NAME),
  workflowName: field(A.WORKFLOW_NAME),
  errorType: field(A.ERROR_TYPE),
} as const;

/** The raw value of a one-name field (`''` and `null` included). */
export const raw = (known: KnownAttributes, single: Field): AttributeValueLike => known.values[single[0]!];

/** The first value of `of` that is set (neither `undefined`, `null` nor `''`). */
export function first(known: KnownAttributes, of: Field): AttributeValueLike {
  const values = known.values;
  for (let i = 0; i < of.length; i++) {
    const value = values[of[i]!];
    if (value !== undefined && value !== null && value !== '') return value;
  }
  return undefined;
}

export function text(known: KnownAttributes, of: Field): string | undefined {
  const value = first(known, of);
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
export function tokens(known: KnownAttributes, of: Field, report: ProblemSink = ignore): number | undefined {
  const value = first(known, of);
  if (value === undefined) return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n === 'number' && Number.isFinite(n) && n >= 0) return Math.round(n);
  report('wrong-type');
  return undefined;
}

export function number(known: KnownAttributes, of: Field): number | undefined {
  const value = first(known, of);
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
  return isLangGraphRootKnown(knownAttributes(attributes));
}

function isLangGraphRootKnown(known: KnownAttributes): boolean {
  const value = raw(known, F.metadata);
  // Cheap test before parsing: most chains are not LangGraph.
  if (typeof value !== 'string' || !value.includes('langgraph')) return false;
  const metadata = jsonObject(value);
  return metadata !== undefined && metadata.ls_integration === 'langgraph' && metadata.langgraph_node === undefined;
}

/**
 * Whether a span is the `__start__` node of a LangGraph run (every graph and subgraph run starts
 * with it): its parent is then a graph run, i.e. an agent, even when that parent is itself a node
 * of an outer graph.
 */
export function isLangGraphStart(known: KnownAttributes): boolean {
  const value = raw(known, F.metadata);
  if (typeof value !== 'string' || !value.includes('"__start__"')) return false;
  return jsonObject(value)?.langgraph_node === '__start__';
}

/** What each known `gen_ai.operation.name` is, in one lookup (a step of an agent's loop is `other`). */
const OPERATION_CATEGORY = new Map<string, SpanCategory>([
  ...[...A.LLM_OPERATIONS].map((op) => [op, 'llm'] as const),
  ...[...A.TOOL_OPERATIONS].map((op) => [op, 'tool'] as const),
  ...[...A.AGENT_OPERATIONS].map((op) => [op, 'agent'] as const),
  ...[...A.STEP_OPERATIONS].map((op) => [op, 'other'] as const),
]);

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
  return categoryOfKnown(knownAttributes(attributes));
}

/** `classifySpan` of attributes already read. */
export function categoryOfKnown(known: KnownAttributes): SpanCategory {
  const aiOperation = raw(known, F.aiOperation);
  if (typeof aiOperation === 'string') return aiSdkCategory(aiOperation);
  const operation = raw(known, F.operation);
  if (typeof operation === 'string') {
    const category = OPERATION_CATEGORY.get(operation);
    if (category !== undefined) return category;
  }
  const oi = raw(known, F.openInferenceKind);
  if (typeof oi === 'string') {
    const kind = oi.toUpperCase();
    if (kind in A.OPENINFERENCE_LLM_KINDS) return 'llm';
    if (kind === 'TOOL') return 'tool';
    if (kind === 'AGENT') return 'agent';
    if (kind === 'CHAIN' && isLangGraphRootKnown(known)) return 'agent';
    return 'other';
  }
  const traceloop = raw(known, F.traceloopKind);
  if (traceloop === 'tool') return 'tool';
  if (traceloop === 'agent') return 'agent';
  if (typeof traceloop === 'string') return 'other';
  const requestType = raw(known, F.requestType);
  if (typeof requestType === 'string' && requestType in A.TRACELOOP_OPERATIONS) return 'llm';
  // Older GenAI instrumentations (and the Vercel AI SDK): a model plus a provider or usage, no operation name.
  if (typeof operation !== 'string' && first(known, F.model) !== undefined) {
    if (first(known, F.provider) !== undefined || first(known, F.inputTokens) !== undefined) return 'llm';
  }
  return 'other';
}

/**
 * Tokens in fleetscope's convention from span attributes. The GenAI conventions' input count
 * INCLUDES cache reads and writes, so `inputTokens = input − cacheRead − cacheWrite`. When the
 * input count is smaller than the cache counts, the source must have reported input without
 * cache (Anthropic's own convention); it is then kept as is (`excludedCache: true`).
 */
export function tokensFromAttributes(attributes: AttributesLike, report: ProblemSink = ignore): SpanTokens {
  return tokensOfKnown(knownAttributes(attributes), report);
}

/** Token counts of a span, in fleetscope's convention. */
export interface SpanTokens {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** The input count was smaller than the cache counts: read as excluding cache. */
  excludedCache: boolean;
}

/** `tokensFromAttributes` of attributes already read. */
export function tokensOfKnown(known: KnownAttributes, report: ProblemSink = ignore): SpanTokens {
  const cacheReadTokens = tokens(known, F.cacheReadTokens, report);
  const cacheWriteTokens = tokens(known, F.cacheWriteTokens, report);
  const outputTokens = tokens(known, F.outputTokens, report);
  // The AI SDK (6+) states the uncached part itself.
  const noCache = tokens(known, F.noCacheInputTokens, report);
  if (noCache !== undefined) return { inputTokens: noCache, outputTokens, cacheReadTokens, cacheWriteTokens, excludedCache: false };
  const input = tokens(known, F.inputTokens, report);
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
