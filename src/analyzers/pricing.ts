/**
 * Model pricing: list prices in US dollars per million tokens, model-name normalization, and the
 * cost of one call. Used by the `cost` analyzer; exported so a host can price calls the same way.
 *
 * Anthropic figures are exactly those of ccusage@18.0.11's offline pricing (its embedded LiteLLM
 * snapshot), including the >200k-token tier of Sonnet 4 / 4.5, so fleetscope's totals agree with
 * `ccusage`. OpenAI and Google figures are their public list prices (standard tier) as of 2025/26.
 * Prices change: override or extend them with `CostOptions.pricing`.
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
  /**
   * How the threshold applies:
   * - `per-category` (ccusage's method, used for Anthropic): each token category of one call is
   *   compared with the threshold on its own; tokens beyond it are billed at the tier price;
   * - `prompt` (Google's method): when one call's prompt (input + cache read + cache write) exceeds
   *   the threshold, every token of that call is billed at the tier price.
   */
  mode: 'per-category' | 'prompt';
}

/** A pricing table: model name (normalized, see `normalizeModelName`) → prices. */
export type PricingTable = Record<string, ModelPrice>;



/** Anthropic tier of Sonnet 4 / 4.5 in ccusage's data: 2× input, 1.5× output above 200k tokens. */
const SONNET_LONG: PriceTier = { aboveTokens: 200_000, input: 6, output: 22.5, cacheWrite: 7.5, cacheRead: 0.6, mode: 'per-category' };
const GEMINI_25_PRO_LONG: PriceTier = { aboveTokens: 200_000, input: 2.5, output: 15, cacheRead: 0.25, mode: 'prompt' };

/**
 * The shipped table. Keys are normalized names (no date suffix, no provider prefix).
 * OpenAI: cache writes are not billed separately (cacheWrite = input); cache reads at the
 * "cached input" price. Google: context-cache reads at the cached-input price.
 */
export const DEFAULT_PRICING: Readonly<PricingTable> = Object.freeze({
  // ── Anthropic (ccusage@18.0.11 offline data) ──
  'claude-opus-4-7': { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 },
  'claude-opus-4-6': { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 },
  'claude-opus-4-5': { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 },
  'claude-opus-4-1': { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  'claude-opus-4': { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  'claude-sonnet-4-6': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-sonnet-4-5': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3, tier: SONNET_LONG },
  'claude-sonnet-4': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3, tier: SONNET_LONG },
  'claude-haiku-4-5': { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
  'claude-3-7-sonnet': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-3-5-sonnet': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 },
  'claude-3-opus': { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  'claude-3-sonnet': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-3-haiku': { input: 0.25, output: 1.25, cacheWrite: 0.3, cacheRead: 0.03 },
  // ── OpenAI (standard tier) ──
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125 },
  'gpt-5.1': { input: 1.25, output: 10, cacheRead: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cacheRead: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'gpt-4o': { input: 2.5, output: 10, cacheRead: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cacheRead: 0.075 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-4': { input: 30, output: 60 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  o1: { input: 15, output: 60, cacheRead: 7.5 },
  'o1-mini': { input: 1.1, output: 4.4, cacheRead: 0.55 },
  'o1-pro': { input: 150, output: 600 },
  o3: { input: 2, output: 8, cacheRead: 0.5 },
  'o3-mini': { input: 1.1, output: 4.4, cacheRead: 0.55 },
  'o3-pro': { input: 20, output: 80 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275 },
  // ── Google Gemini API (standard tier, text) ──
  'gemini-2.5-pro': { input: 1.25, output: 10, cacheRead: 0.125, tier: GEMINI_25_PRO_LONG },
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
  'chatgpt-4o': 'gpt-4o',
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
  return ALIASES[name] ?? name;
}

/**
 * Finds the price of `model` in `table`: the exact name, then its normalized form, then the
 * longest table key that the normalized name starts with followed by `-` (so
 * `gemini-2.5-pro-preview-06-05` is priced as `gemini-2.5-pro`, while `gpt-4.1` never matches
 * `gpt-4`). Returns undefined for an unknown model: never a guess of $0.
 */
export function findModelPrice(table: Readonly<PricingTable>, model: string): { key: string; price: ModelPrice } | undefined {
  const exact = table[model];
  if (exact !== undefined) return { key: model, price: exact };
  const name = normalizeModelName(model);
  const normalized = table[name];
  if (normalized !== undefined) return { key: name, price: normalized };
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (name.length > key.length && name.startsWith(key) && name[key.length] === '-' && (best === undefined || key.length > best.length)) {
      best = key;
    }
  }
  return best === undefined ? undefined : { key: best, price: table[best]! };
}

/** Token counts of one call, fleetscope's convention (`input` excludes cache tokens). */
export interface CallTokens {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
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
  const cacheWrite = tokens.cacheWrite ?? 0;
  const writePrice = price.cacheWrite ?? price.input;
  const readPrice = price.cacheRead ?? price.input;
  const tier = price.tier;
  let micro: number; // USD × 1e6, i.e. tokens × USD-per-million
  if (tier === undefined) {
    micro = input * price.input + output * price.output + cacheWrite * writePrice + cacheRead * readPrice;
  } else if (tier.mode === 'prompt') {
    const long = input + cacheRead + cacheWrite > tier.aboveTokens;
    micro = long
      ? input * tier.input + output * tier.output + cacheWrite * (tier.cacheWrite ?? tier.input) + cacheRead * (tier.cacheRead ?? tier.input)
      : input * price.input + output * price.output + cacheWrite * writePrice + cacheRead * readPrice;
  } else {
    const t = tier.aboveTokens;
    micro =
      tiered(input, price.input, tier.input, t) +
      tiered(output, price.output, tier.output, t) +
      tiered(cacheWrite, writePrice, tier.cacheWrite, t) +
      tiered(cacheRead, readPrice, tier.cacheRead, t);
  }
  return micro / 1_000_000;
}

/** Checks a host-supplied table at construction; throws a prefixed message naming the bad entry. */
export function checkPricingTable(table: unknown, plugin = 'cost'): PricingTable {
  if (typeof table !== 'object' || table === null) throw new Error(`[fleetscope] [${plugin}] pricing must be an object`);
  for (const [model, price] of Object.entries(table)) {
    const p = price as Partial<ModelPrice> | undefined;
    for (const field of ['input', 'output', 'cacheWrite', 'cacheRead'] as const) {
      const value = p?.[field];
      const required = field === 'input' || field === 'output';
      if ((required || value !== undefined) && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
        throw new Error(`[fleetscope] [${plugin}] pricing["${model}"].${field} must be a number ≥ 0 (USD per million tokens)`);
      }
    }
  }
  return table as PricingTable;
}
