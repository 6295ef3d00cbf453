/**
 * One parser for Claude Code session transcripts (`~/.claude/projects/<project>/<session>.jsonl`,
 * `<project>/<session>/subagents/agent-<id>.jsonl`), with two consumers: the transcripts runner
 * (events) and `fleetscope usage` (totals that equal ccusage's).
 *
 * The usage rules copy ccusage 18.0.11 (`apps/ccusage/src/data-loader.ts`) on purpose, so both tools
 * report the same figures: a line counts when it has `timestamp` (strict ISO, `Z`),
 * `message.usage.input_tokens` and `output_tokens` (numbers), whatever its `type`; optional fields
 * must have the right type when present (else the whole line is ignored); a line whose
 * `message.id` + `requestId` pair was already seen counts once; the cost is `costUSD` when the line
 * has one, else tokens x the offline price table (tiered above 200k tokens); `<synthetic>` entries
 * count in totals but not in per-model breakdowns.
 */
import { CLAUDE_PRICES, type PriceRow } from './claude-code-pricing.js';

/** The ccusage-compatible view of one transcript line that carries token usage. */
export interface UsageEntry {
  /** ISO timestamp as written (`2025-01-02T03:04:05.678Z`). */
  timestamp: string;
  /** `message.model`, e.g. `claude-sonnet-4-5-20250929`. */
  model?: string;
  /** Model as reported: `<model>-fast` for `usage.speed: "fast"`. */
  displayModel?: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  /**
   * The part of `cacheCreationTokens` written to the 1-hour cache
   * (`usage.cache_creation.ephemeral_1h_input_tokens`, 0 when absent), billed at 2x input.
   */
  cacheWrite1hTokens: number;
  /** `usage.speed === "fast"` (priced with the model's fast multiplier). */
  fast: boolean;
  /** The line's own `costUSD`, when it has one (older Claude Code versions). */
  costUSD?: number;
  /** Dollars as ccusage 18 computes them: `costUSD` when present, else every cache write at the 5-minute rate. */
  cost: number;
  /** `message.id:requestId`, or undefined when either is missing (never deduplicated). */
  dedupeKey?: string;
  messageId?: string;
  requestId?: string;
  sessionId?: string;
  version?: string;
  cwd?: string;
  /** Claude Code's `isSidechain`: the line belongs to a subagent. */
  isSidechain: boolean;
  /** Claude Code's `agentId` (subagent transcripts). */
  agentId?: string;
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;
const VERSION = /^\d+\.\d+\.\d+/;

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null;
}

function isNum(value: unknown): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

/** Present-and-wrong fails; absent passes (valibot `optional`). */
function optString(o: Obj, key: string, minLength = 0): boolean {
  if (!(key in o)) return true;
  const v = o[key];
  return v === undefined || (typeof v === 'string' && v.length >= minLength);
}

function optNumber(o: Obj, key: string): boolean {
  if (!(key in o)) return true;
  const v = o[key];
  return v === undefined || isNum(v);
}

/**
 * Applies ccusage's `usageDataSchema` to a parsed line; undefined when the line does not count.
 * (Extra fields are ignored, as valibot's `object` does.)
 */
export function toUsageEntry(line: unknown): UsageEntry | undefined {
  if (!isObj(line)) return undefined;
  const timestamp = line.timestamp;
  if (typeof timestamp !== 'string' || !ISO_TIMESTAMP.test(timestamp)) return undefined;
  const message = line.message;
  if (!isObj(message)) return undefined;
  const usage = message.usage;
  if (!isObj(usage) || !isNum(usage.input_tokens) || !isNum(usage.output_tokens)) return undefined;
  if (!optNumber(usage, 'cache_creation_input_tokens') || !optNumber(usage, 'cache_read_input_tokens')) return undefined;
  const speed = usage.speed;
  if (speed !== undefined && speed !== 'standard' && speed !== 'fast') return undefined;
  if (!optString(message, 'model', 1) || !optString(message, 'id', 1)) return undefined;
  if ('content' in message && message.content !== undefined) {
    const content = message.content;
    if (!Array.isArray(content)) return undefined;
    for (const block of content) {
      if (!isObj(block) || !optString(block, 'text')) return undefined;
    }
  }
  if (!optString(line, 'cwd') || !optString(line, 'sessionId', 1) || !optString(line, 'requestId', 1)) return undefined;
  if ('version' in line && line.version !== undefined && (typeof line.version !== 'string' || !VERSION.test(line.version))) {
    return undefined;
  }
  if (!optNumber(line, 'costUSD')) return undefined;
  if ('isApiErrorMessage' in line && line.isApiErrorMessage !== undefined && typeof line.isApiErrorMessage !== 'boolean') {
    return undefined;
  }
  const model = message.model as string | undefined;
  const messageId = message.id as string | undefined;
  const requestId = line.requestId as string | undefined;
  const tokens = {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens as number | undefined,
    cache_read_input_tokens: usage.cache_read_input_tokens as number | undefined,
  };
  const costUSD = line.costUSD as number | undefined;
  const cacheCreation = usage.cache_creation;
  const write1h = isObj(cacheCreation) && isNum(cacheCreation.ephemeral_1h_input_tokens) ? cacheCreation.ephemeral_1h_input_tokens : 0;
  return {
    timestamp,
    model,
    displayModel: model === undefined ? undefined : speed === 'fast' ? `${model}-fast` : model,
    inputTokens: tokens.input_tokens,
    outputTokens: tokens.output_tokens,
    cacheCreationTokens: tokens.cache_creation_input_tokens ?? 0,
    cacheReadTokens: tokens.cache_read_input_tokens ?? 0,
    cacheWrite1hTokens: write1h,
    fast: speed === 'fast',
    ...(costUSD !== undefined ? { costUSD } : {}),
    cost: costUSD ?? (model === undefined ? 0 : costFromTokens(tokens, model, speed === 'fast')),
    dedupeKey: messageId === undefined || requestId === undefined ? undefined : `${messageId}:${requestId}`,
    messageId,
    requestId,
    sessionId: line.sessionId as string | undefined,
    version: line.version as string | undefined,
    cwd: line.cwd as string | undefined,
    isSidechain: line.isSidechain === true,
    agentId: typeof line.agentId === 'string' && line.agentId !== '' ? line.agentId : undefined,
  };
}

// ── Prices ──────────────────────────────────────────────────────────────────────────────

const PROVIDER_PREFIXES = ['anthropic/', 'claude-3-5-', 'claude-3-', 'claude-', 'openrouter/openai/'];
const TIER_THRESHOLD = 200_000;
const priceTable = new Map<string, PriceRow>(CLAUDE_PRICES);
const priceCache = new Map<string, PriceRow | null>();

/** Price row of a model the way ccusage finds it: exact, provider-prefixed, then first substring match. */
export function priceOf(model: string): PriceRow | undefined {
  const cached = priceCache.get(model);
  if (cached !== undefined) return cached ?? undefined;
  let found: PriceRow | null = priceTable.get(model) ?? null;
  for (let i = 0; found === null && i < PROVIDER_PREFIXES.length; i++) {
    found = priceTable.get(`${PROVIDER_PREFIXES[i]}${model}`) ?? null;
  }
  if (found === null) {
    const lower = model.toLowerCase();
    for (const [key, row] of CLAUDE_PRICES) {
      const k = key.toLowerCase();
      if (k.includes(lower) || lower.includes(k)) {
        found = row;
        break;
      }
    }
  }
  if (priceCache.size > 1000) priceCache.clear();
  priceCache.set(model, found);
  return found ?? undefined;
}

/** `tokens` at `base` per token up to the tier threshold and `above` past it, both times `scale`. */
function tiered(tokens: number | undefined, base: number | null, above: number | null, scale = 1): number {
  if (tokens === undefined || tokens <= 0) return 0;
  if (tokens > TIER_THRESHOLD && above !== null) {
    let cost = Math.max(0, tokens - TIER_THRESHOLD) * (above * scale);
    if (base !== null) cost += Math.min(tokens, TIER_THRESHOLD) * (base * scale);
    return cost;
  }
  return base !== null ? tokens * (base * scale) : 0;
}

/** Dollars for one usage record, computed in the same order of operations as ccusage (same floats). */
export function costFromTokens(
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_creation_input_tokens?: number;
    cache_read_input_tokens?: number;
  },
  model: string,
  fast = false,
): number {
  if (model === '') return 0;
  const p = priceOf(model);
  if (p === undefined) return 0;
  const cost =
    tiered(usage.input_tokens, p[0], p[4]) +
    tiered(usage.output_tokens, p[1], p[5]) +
    tiered(usage.cache_creation_input_tokens, p[2], p[6]) +
    tiered(usage.cache_read_input_tokens, p[3], p[7]);
  return cost * (fast ? (p[8] ?? 1) : 1);
}

/**
 * Dollars for one usage record as Anthropic bills it: 1-hour cache writes at 2x the input price
 * (5-minute writes at 1.25x, reads at 0.1x: https://platform.claude.com/docs/en/about-claude/pricing),
 * each part tiered above 200k tokens like `costFromTokens`. `write1h` is the 1-hour part of
 * `cache_creation_input_tokens`; the rest is billed as 5-minute writes.
 */
export function costWith1hCache(
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_creation_input_tokens?: number;
    cache_read_input_tokens?: number;
  },
  write1h: number,
  model: string,
  fast = false,
): number {
  if (model === '') return 0;
  const p = priceOf(model);
  if (p === undefined) return 0;
  const writes = usage.cache_creation_input_tokens ?? 0;
  const oneHour = Math.min(Math.max(0, write1h), writes);
  const cost =
    tiered(usage.input_tokens, p[0], p[4]) +
    tiered(usage.output_tokens, p[1], p[5]) +
    tiered(writes - oneHour, p[2], p[6]) +
    tiered(oneHour, p[0], p[4], 2) +
    tiered(usage.cache_read_input_tokens, p[3], p[7]);
  return cost * (fast ? (p[8] ?? 1) : 1);
}

/**
 * The usage line inside an `agent_progress` entry: Claude Code 2.0.x/2.1.x echo each subagent
 * message into the parent transcript (`{type:"progress", data:{type:"agent_progress", agentId,
 * message:{timestamp, requestId, message:{id, model, usage}}}, parentToolUseID}`). When the
 * subagent's own file is missing this copy is the only record of that usage.
 */
export function progressUsageEntry(line: unknown): (UsageEntry & { parentToolUseId?: string }) | undefined {
  if (!isObj(line) || line.type !== 'progress') return undefined;
  const data = line.data;
  if (!isObj(data) || !isObj(data.message)) return undefined;
  const inner = data.message;
  const entry = toUsageEntry({
    timestamp: inner.timestamp,
    message: inner.message,
    requestId: inner.requestId,
    sessionId: line.sessionId,
    isSidechain: true,
    ...(typeof data.agentId === 'string' && data.agentId !== '' ? { agentId: data.agentId } : {}),
  });
  if (entry === undefined) return undefined;
  return typeof line.parentToolUseID === 'string' ? { ...entry, parentToolUseId: line.parentToolUseID } : entry;
}

// ── Paths ───────────────────────────────────────────────────────────────────────────────

/** Session and agent a transcript file belongs to, from its path. */
export interface TranscriptFileInfo {
  /** `<session>` of `<project>/<session>.jsonl` or `<project>/<session>/subagents/agent-<id>.jsonl`. */
  sessionId: string;
  /** `<id>` of `agent-<id>.jsonl` under `subagents/`; undefined for the main transcript. */
  agentId?: string;
  /** The project directory name (`-home-me-src-app`), when the path has one. */
  project?: string;
}

/** Reads session, agent and project from a transcript path (either separator). */
export function transcriptFileInfo(path: string): TranscriptFileInfo {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  const file = parts[parts.length - 1] ?? '';
  const base = file.endsWith('.jsonl') ? file.slice(0, -'.jsonl'.length) : file;
  // `<session>/subagents/**/agent-<id>.jsonl`: the session is the dir above the first `subagents`.
  const sub = parts.indexOf('subagents');
  if (sub > 0 && sub < parts.length - 1 && base.startsWith('agent-')) {
    return { sessionId: parts[sub - 1] ?? base, agentId: base.slice('agent-'.length), project: parts[sub - 2] };
  }
  return { sessionId: base, project: parts[parts.length - 2] };
}

// ── Lines ───────────────────────────────────────────────────────────────────────────────

/** Entry types Claude Code writes; anything else is counted as `unknownType` by the runner. */
export const KNOWN_ENTRY_TYPES: ReadonlySet<string> = new Set([
  'user',
  'assistant',
  'system',
  'summary',
  'file-history-snapshot',
  'queue-operation',
  'progress',
  'attachment',
  'custom-title',
  'tag',
  // Seen in 2.1.x transcripts (../shared/real-cc): the session's permission mode and its last prompt.
  'permission-mode',
  'last-prompt',
]);

/** A content block of a transcript message (the fields fleetscope reads). */
export interface ContentBlock {
  type?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  is_error?: boolean;
  content?: unknown;
  text?: string;
}

/** Content blocks of `message.content` (a string content yields none). */
export function contentBlocks(entry: Obj): ContentBlock[] {
  const message = entry.message;
  if (!isObj(message) || !Array.isArray(message.content)) return [];
  return message.content.filter(isObj) as ContentBlock[];
}
