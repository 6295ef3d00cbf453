/**
 * Model pricing: list prices in US dollars per million tokens, model-name normalization, and the
 * cost of one call. In core (it is data, not a plugin) so that the `cost` analyzer and the
 * Prometheus and OpenTelemetry exporters price a call alike; exported so a host can too.
 *
 * The table's sources and date are stated above it. Prices change: override or extend them with
 * `CostOptions.pricing`.
 */

/** Prices of one model, in USD per million tokens. */
export interface ModelPrice {
  /** Uncached input tokens. */
  input: number;
  output: number;
  /** Tokens written to the prompt cache. Default: `input` (providers that do not charge extra). */
  cacheWrite?: number;
  /** Tokens read from the prompt cache. Default: `input`. */
  cacheRead?: number;
  /**
   * Tokens written to Anthropic's 1-hour prompt cache (`cacheWrite` is the 5-minute write).
   * Default: 2 × `input`, Anthropic's price (https://platform.claude.com/docs/en/about-claude/pricing).
   */
  cacheWrite1h?: number;
  /** Higher prices above a token threshold (long-context pricing). */
  tier?: PriceTier;
}

export interface PriceTier {
  /** Threshold in tokens; default 200,000. */
  aboveTokens: number;
  input: number;
  output: number;
  cacheWrite?: number;
  cacheRead?: number;
  /** Default: 2 × the tier's `input`. */
  cacheWrite1h?: number;
  /**
   * How the threshold applies:
   * - `per-category` (ccusage's method, used for Anthropic): each token category of one call is
   *   compared with the threshold on its own; tokens beyond it are billed at the tier price;
   * - `prompt` (Google's and OpenAI's method): when one call's prompt (input + cache read + cache
   *   write) exceeds the threshold, every token of that call is billed at the tier price.
   */
  mode: 'per-category' | 'prompt';
}

/** A pricing table: model name (normalized, see `normalizeModelName`) → prices. */
export type PricingTable = Record<string, ModelPrice>;

/**
 * `price` with the long-context tier all three providers use so far: above `aboveTokens`, input and
 * cache tokens cost 2× and output 1.5× (Claude Sonnet 4 / 4.5, Gemini 2.5 / 3.x Pro, OpenAI GPT-5.4
 * and later). `mode` says how the threshold applies (see `PriceTier`).
 */
function withLongContext(price: ModelPrice, aboveTokens: number, mode: PriceTier['mode']): ModelPrice {
  const tier: PriceTier = { aboveTokens, input: price.input * 2, output: price.output * 1.5, mode };
  if (price.cacheWrite !== undefined) tier.cacheWrite = price.cacheWrite * 2;
  if (price.cacheRead !== undefined) tier.cacheRead = price.cacheRead * 2;
  return { ...price, tier };
}

/** Sonnet 4 / 4.5 above 200k tokens, ccusage's per-category method. */
const SONNET_4 = withLongContext({ input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }, 200_000, 'per-category');
const OPUS_4_5: ModelPrice = { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 };
const GPT_5: ModelPrice = { input: 1.25, output: 10, cacheRead: 0.125 };
const GPT_5_2: ModelPrice = { input: 1.75, output: 14, cacheRead: 0.175 };
const GEMINI_3_PRO = withLongContext({ input: 2, output: 12, cacheRead: 0.2 }, 200_000, 'prompt');
/** OpenAI's 1.05M-token models bill a call whose prompt exceeds 272k tokens at the long price. */
const GPT_PRO = withLongContext({ input: 30, output: 180, cacheRead: 3 }, 272_000, 'prompt');
const GPT_56_SOL = withLongContext({ input: 5, output: 30, cacheWrite: 6.25, cacheRead: 0.5 }, 272_000, 'prompt');

/**
 * The shipped table. Keys are normalized names (no date suffix, no provider prefix).
 *
 * Sources, checked 2026-11-22 (standard tier, text tokens; LiteLLM's per-token costs × 1e6):
 * - LiteLLM `model_prices_and_context_window.json` at commit 19a1f629eb6fafde70968ef4815463eb08143aac
 *   (October 2025) for every model it lists;
 * - LiteLLM `litellm/model_prices_and_context_window_backup.json` at commit
 *   00035b69f416be24e2e323c13198d9b7d2d1bdf9 (a 2026 snapshot listing models up to GPT-5.6) for the
 *   models released since (GPT-5.1-Codex to GPT-5.6, Gemini 3.x, Claude Opus 4.8 / Sonnet 5 / Fable 5)
 *   and for Google's cache-read prices after its 2025 cut, which the older file still had at the old
 *   rate (2.5 Pro 0.3125, 2.5 Flash 0.075);
 * - OpenAI's model pages (developers.openai.com/api/docs/models/…) for gpt-5.1, gpt-5-codex and
 *   gpt-5-nano, which agree; no stored copy of Anthropic's or Google's own pricing page was found;
 * - Anthropic: exactly ccusage@18.0.11's offline data (a test checks our cost against ccusage's own), which
 *   LiteLLM agrees with wherever it lists the model; the models newer than it come from the second file.
 * Gemini 2.0 Flash-Lite has no cache price: Google's forum staff state context caching is not offered
 * for it (LiteLLM lists 0.01875).
 *
 * OpenAI: cache writes are billed as input (cacheWrite = input), except GPT-5.6 at 1.25× input; cache
 * reads at the "cached input" price. Google: context-cache reads at the cached-input price (cache
 * storage per hour is not a token price and is not counted).
 */
export const DEFAULT_PRICING: Readonly<PricingTable> = Object.freeze({
  // ── Anthropic ──
  'claude-fable-5': { input: 10, output: 50, cacheWrite: 12.5, cacheRead: 1 },
  'claude-opus-4-8': OPUS_4_5,
  'claude-opus-4-7': OPUS_4_5,
  'claude-opus-4-6': OPUS_4_5,
  'claude-opus-4-5': OPUS_4_5,
  'claude-opus-4-1': { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  'claude-opus-4': { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  'claude-sonnet-5': { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.2 },
  'claude-sonnet-4-6': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-sonnet-4-5': SONNET_4,
  'claude-sonnet-4': SONNET_4,
  'claude-haiku-4-5': { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
  'claude-3-7-sonnet': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-3-5-sonnet': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 },
  'claude-3-opus': { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  'claude-3-sonnet': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-3-haiku': { input: 0.25, output: 1.25, cacheWrite: 0.3, cacheRead: 0.03 },
  // ── OpenAI (standard tier) ──
  'gpt-5.6': GPT_56_SOL,
  'gpt-5.6-sol': GPT_56_SOL,
  'gpt-5.6-terra': withLongContext({ input: 2.5, output: 15, cacheWrite: 3.125, cacheRead: 0.25 }, 272_000, 'prompt'),
  'gpt-5.6-luna': withLongContext({ input: 1, output: 6, cacheWrite: 1.25, cacheRead: 0.1 }, 272_000, 'prompt'),
  'gpt-5.5': withLongContext({ input: 5, output: 30, cacheRead: 0.5 }, 272_000, 'prompt'),
  'gpt-5.5-pro': GPT_PRO,
  'gpt-5.4': withLongContext({ input: 2.5, output: 15, cacheRead: 0.25 }, 272_000, 'prompt'),
  'gpt-5.4-pro': GPT_PRO,
  'gpt-5.4-mini': { input: 0.75, output: 4.5, cacheRead: 0.075 },
  'gpt-5.4-nano': { input: 0.2, output: 1.25, cacheRead: 0.02 },
  'gpt-5.3-codex': GPT_5_2,
  'gpt-5.3-chat': GPT_5_2,
  'gpt-5.2': GPT_5_2,
  'gpt-5.2-codex': GPT_5_2,
  'gpt-5.2-pro': { input: 21, output: 168 },
  'gpt-5.1': GPT_5,
  'gpt-5.1-codex': GPT_5,
  'gpt-5.1-codex-max': GPT_5,
  'gpt-5.1-codex-mini': { input: 0.25, output: 2, cacheRead: 0.025 },
  'gpt-5': GPT_5,
  'gpt-5-pro': { input: 15, output: 120 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cacheRead: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'gpt-4o': { input: 2.5, output: 10, cacheRead: 1.25 },
  // The first GPT-4o snapshot kept its launch price; dated names are looked up exactly before
  // the date is stripped, so it needs its own key.
  'gpt-4o-2024-05-13': { input: 5, output: 15 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cacheRead: 0.075 },
  'chatgpt-4o': { input: 5, output: 15 },
  'gpt-4-turbo': { input: 10, output: 30 },
  // GPT-4 Turbo's preview snapshots, which would otherwise match `gpt-4`'s 30 / 60.
  'gpt-4-turbo-preview': { input: 10, output: 30 },
  'gpt-4-1106-preview': { input: 10, output: 30 },
  'gpt-4-0125-preview': { input: 10, output: 30 },
  'gpt-4-vision-preview': { input: 10, output: 30 },
  'gpt-4-32k': { input: 60, output: 120 },
  'gpt-4': { input: 30, output: 60 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  'gpt-3.5-turbo-16k': { input: 3, output: 4 },
  'gpt-3.5-turbo-instruct': { input: 1.5, output: 2 },
  o1: { input: 15, output: 60, cacheRead: 7.5 },
  'o1-mini': { input: 1.1, output: 4.4, cacheRead: 0.55 },
  'o1-pro': { input: 150, output: 600 },
  o3: { input: 2, output: 8, cacheRead: 0.5 },
  'o3-mini': { input: 1.1, output: 4.4, cacheRead: 0.55 },
  'o3-pro': { input: 20, output: 80 },
  'o3-deep-research': { input: 10, output: 40, cacheRead: 2.5 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275 },
  'o4-mini-deep-research': { input: 2, output: 8, cacheRead: 0.5 },
  // ── Google Gemini API (standard tier, text) ──
  'gemini-3.5-flash': { input: 1.5, output: 9, cacheRead: 0.15 },
  'gemini-3.1-pro-preview': GEMINI_3_PRO,
  'gemini-3.1-flash-lite': { input: 0.25, output: 1.5, cacheRead: 0.025 },
  'gemini-3-pro-preview': GEMINI_3_PRO,
  'gemini-3-flash-preview': { input: 0.5, output: 3, cacheRead: 0.05 },
  'gemini-2.5-pro': withLongContext({ input: 1.25, output: 10, cacheRead: 0.125 }, 200_000, 'prompt'),
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cacheRead: 0.03 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cacheRead: 0.01 },
  'gemini-2.0-flash': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'gemini-2.0-flash-lite': { input: 0.075, output: 0.3 },
  'gemini-1.5-pro': { input: 1.25, output: 5, tier: { aboveTokens: 128_000, input: 2.5, output: 10, mode: 'prompt' } },
  'gemini-1.5-flash': { input: 0.075, output: 0.3, tier: { aboveTokens: 128_000, input: 0.15, output: 0.6, mode: 'prompt' } },
});

/** Other spellings of the same models (after normalization). */
const ALIASES: Readonly<Record<string, string>> = {
  'claude-4-opus': 'claude-opus-4',
  'claude-4-sonnet': 'claude-sonnet-4',
  'claude-4-1-opus': 'claude-opus-4-1',
  'claude-4-5-sonnet': 'claude-sonnet-4-5',
  'claude-4-5-haiku': 'claude-haiku-4-5',
  'claude-4-5-opus': 'claude-opus-4-5',
};

/** Provider and routing prefixes stripped before lookup (`anthropic/`, `us.anthropic.`, `models/`, ...). */
const PREFIX = /^(?:(?:openrouter|vertex_ai|vertex|bedrock|azure|openai|anthropic|google|gemini|models)\/)+|^(?:(?:us|eu|apac|global|jp|au)\.)?anthropic\./;

/**
 * Normalizes a model name for lookup: lower case, provider prefixes removed
 * (`anthropic/`, `openai/`, `bedrock/us.anthropic.`, `models/`), Bedrock/Vertex version suffixes
 * (`-v1:0`, `@20251001`), date suffixes (`-20250929`, `-2024-08-06`), `-latest`, and dotted Claude
 * versions (`claude-sonnet-4.5` → `claude-sonnet-4-5`).
 */
export function normalizeModelName(model: string): string {
  const name = strippedModelName(model);
  return ALIASES[name] ?? name;
}

/** `normalizeModelName` before the alias lookup. */
function strippedModelName(model: string): string {
  let name = model.trim().toLowerCase();
  let previous: string;
  do {
    previous = name;
    name = name.replace(PREFIX, '');
  } while (name !== previous);
  name = name
    .replace(/-v\d+(?::\d+)?$/, '') // Bedrock `-v1:0`
    .replace(/@\d{8}$/, '') // Vertex `@20251001`
    .replace(/-\d{8}$/, '') // Anthropic `-20250929`
    .replace(/-\d{4}-\d{2}-\d{2}$/, '') // OpenAI `-2024-08-06`
    .replace(/-latest$/, '');
  if (name.startsWith('claude')) name = name.replace(/(\d)\.(\d)/g, '$1-$2');
  return name;
}

/** How a model name was matched to a price: as given, after normalization, through an alias, or by a versioned prefix. */
export type PriceMatch = 'exact' | 'normalized' | 'alias' | 'prefix';

/**
 * What may follow a table key for the longer name to be the same model: a version or snapshot
 * qualifier (`-0613`, `-preview-06-05`, `-exp-0827`, `-001`, `-v2`, `-latest`). A word such as
 * `-overloaded`, `-audio` or `-search` makes another model, which is not priced by its prefix.
 */
const VERSION_SUFFIX = /^(?:-(?:\d+|preview|exp|experimental|latest|v\d+(?::\d+)?))+$/;

/**
 * Finds the price of `model` in `table`: the exact name, then its normalized form (an alias
 * reports `alias`), then the longest table key that the normalized name starts with when what
 * follows is only a version qualifier (so `gemini-2.5-pro-preview-06-05` is priced as
 * `gemini-2.5-pro`, while `gpt-4.1` never matches `gpt-4` and `gpt-4o-overloaded` matches
 * nothing). Returns undefined for an unknown model: never a guess of $0.
 */
export function findModelPrice(table: Readonly<PricingTable>, model: string): { key: string; price: ModelPrice; matchedBy: PriceMatch } | undefined {
  const exact = table[model];
  if (exact !== undefined) return { key: model, price: exact, matchedBy: 'exact' };
  const name = normalizeModelName(model);
  const normalized = table[name];
  if (normalized !== undefined) {
    return { key: name, price: normalized, matchedBy: ALIASES[strippedModelName(model)] !== undefined ? 'alias' : 'normalized' };
  }
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (name.length > key.length && name.startsWith(key) && VERSION_SUFFIX.test(name.slice(key.length)) && (best === undefined || key.length > best.length)) {
      best = key;
    }
  }
  return best === undefined ? undefined : { key: best, price: table[best]!, matchedBy: 'prefix' };
}

/** Token counts of one call, fleetscope's convention (`input` excludes cache tokens). */
export interface CallTokens {
  input?: number;
  output?: number;
  cacheRead?: number;
  /** All prompt-cache writes (Anthropic `cache_creation_input_tokens`), 5-minute and 1-hour. */
  cacheWrite?: number;
  /**
   * The part of `cacheWrite` written to the 1-hour cache (Anthropic
   * `cache_creation.ephemeral_1h_input_tokens`), priced at `cacheWrite1h`; the rest at `cacheWrite`.
   */
  cacheWrite1h?: number;
}

/** Cost of one category: base price up to the threshold, tier price beyond (ccusage's method). */
function tiered(tokens: number, base: number, above: number | undefined, threshold: number): number {
  if (tokens <= 0) return 0;
  if (above === undefined || tokens <= threshold) return tokens * base;
  return threshold * base + (tokens - threshold) * above;
}

/** Cost in USD of one call at `price`. */
export function callCost(price: ModelPrice, tokens: CallTokens): number {
  const input = tokens.input ?? 0;
  const output = tokens.output ?? 0;
  const cacheRead = tokens.cacheRead ?? 0;
  const allWrites = tokens.cacheWrite ?? 0;
  const write1h = Math.min(Math.max(0, tokens.cacheWrite1h ?? 0), allWrites);
  const cacheWrite = allWrites - write1h;
  const writePrice = price.cacheWrite ?? price.input;
  const write1hPrice = price.cacheWrite1h ?? price.input * 2;
  const readPrice = price.cacheRead ?? price.input;
  const tier = price.tier;
  let micro: number; // USD × 1e6, i.e. tokens × USD-per-million
  if (tier === undefined) {
    micro = input * price.input + output * price.output + cacheWrite * writePrice + write1h * write1hPrice + cacheRead * readPrice;
  } else if (tier.mode === 'prompt') {
    const long = input + cacheRead + allWrites > tier.aboveTokens;
    micro = long
      ? input * tier.input + output * tier.output + cacheWrite * (tier.cacheWrite ?? tier.input) + write1h * (tier.cacheWrite1h ?? tier.input * 2) + cacheRead * (tier.cacheRead ?? tier.input)
      : input * price.input + output * price.output + cacheWrite * writePrice + write1h * write1hPrice + cacheRead * readPrice;
  } else {
    const t = tier.aboveTokens;
    micro =
      tiered(input, price.input, tier.input, t) +
      tiered(output, price.output, tier.output, t) +
      tiered(cacheWrite, writePrice, tier.cacheWrite, t) +
      tiered(write1h, write1hPrice, tier.cacheWrite1h ?? tier.input * 2, t) +
      tiered(cacheRead, readPrice, tier.cacheRead, t);
  }
  return micro / 1_000_000;
}

/** The tokens of an `llm.call` payload, as `callCost` takes them (absent counts as 0). */
export function callTokensOf(p: PricedCall): Required<CallTokens> {
  return { input: p.inputTokens ?? 0, output: p.outputTokens ?? 0, cacheRead: p.cacheReadTokens ?? 0, cacheWrite: p.cacheWriteTokens ?? 0, cacheWrite1h: p.cacheWrite1hTokens ?? 0 };
}

/** Checks a host-supplied table at construction; throws a prefixed message naming the bad entry. */
export function checkPricingTable(table: unknown, plugin = 'cost'): PricingTable {
  if (typeof table !== 'object' || table === null) throw new Error(`[fleetscope] [${plugin}] pricing must be an object`);
  for (const [model, price] of Object.entries(table)) {
    const p = price as Partial<ModelPrice> | undefined;
    for (const field of ['input', 'output', 'cacheWrite', 'cacheRead', 'cacheWrite1h'] as const) {
      const value = p?.[field];
      const required = field === 'input' || field === 'output';
      if ((required || value !== undefined) && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
        throw new Error(`[fleetscope] [${plugin}] pricing["${model}"].${field} must be a number ≥ 0 (USD per million tokens)`);
      }
    }
  }
  return table as PricingTable;
}

/**
 * Whether a call carries any token count. One without (a stream without `include_usage`, an
 * instrumentation that dropped the usage) is of unknown cost, never the $0 its missing counts
 * would price to.
 */
export function carriesUsage(call: Omit<PricedCall, 'model'>): boolean {
  return call.inputTokens !== undefined || call.outputTokens !== undefined || call.cacheReadTokens !== undefined || call.cacheWriteTokens !== undefined;
}

/** What `createCallPricer` reads of an `llm.call` payload. */
export interface PricedCall {
  model: string;
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** The 1-hour part of `cacheWriteTokens`. */
  cacheWrite1hTokens?: number;
  costUsd?: number;
}

/**
 * A function giving the cost in USD of one call the way the `cost` analyzer counts it: the
 * call's own `costUsd` when it carries one; undefined (unknown, never $0) when it carries no
 * token counts at all or its model has no price; else its tokens at `table`'s prices. Each model
 * name is looked up once (at most `maxModels` remembered).
 */
export function createCallPricer(table: Readonly<PricingTable>, maxModels = 1000): (call: PricedCall) => number | undefined {
  const prices = new Map<string, ModelPrice | null>();
  return (call) => {
    const reported = call.costUsd;
    if (typeof reported === 'number' && Number.isFinite(reported) && reported >= 0) return reported;
    if (!carriesUsage(call)) return undefined;
    let price = prices.get(call.model);
    if (price === undefined) {
      price = findModelPrice(table, call.model)?.price ?? null;
      if (prices.size >= maxModels) prices.clear();
      prices.set(call.model, price);
    }
    if (price === null) return undefined;
    return callCost(price, callTokensOf(call));
  };
}
