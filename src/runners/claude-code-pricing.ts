/**
 * Claude model prices in US dollars per token, as ccusage 18.0.11 ships them offline
 * (`PREFETCHED_CLAUDE_PRICING`, taken by ccusage from LiteLLM's model_prices_and_context_window.json;
 * both MIT). Kept in the same order, because model lookup falls back to the first key that contains
 * the model name (or is contained in it), exactly as ccusage does. Generated; do not edit by hand.
 *
 * Columns: input, output, cache write, cache read, then the same four above 200k tokens (or null),
 * then the "fast" speed multiplier (or null).
 */
export type PriceRow = readonly [number | null, number | null, number | null, number | null, number | null, number | null, number | null, number | null, number | null];

export const CLAUDE_PRICES: ReadonlyArray<readonly [string, PriceRow]> = [
  ["anthropic.claude-3-5-haiku-20241022-v1:0", [8e-7, 0.000004, 0.000001, 8e-8, null, null, null, null, null]],
  ["anthropic.claude-haiku-4-5-20251001-v1:0", [0.000001, 0.000005, 0.00000125, 1e-7, null, null, null, null, null]],
  ["anthropic.claude-haiku-4-5@20251001", [0.000001, 0.000005, 0.00000125, 1e-7, null, null, null, null, null]],
  ["anthropic.claude-3-5-sonnet-20240620-v1:0", [0.000003, 0.000015, 0.00000375, 3e-7, 0.000006, 0.00003, 0.0000075, 6e-7, null]],
  ["anthropic.claude-3-5-sonnet-20241022-v2:0", [0.000003, 0.000015, 0.00000375, 3e-7, 0.000006, 0.00003, 0.0000075, 6e-7, null]],
  ["anthropic.claude-3-7-sonnet-20240620-v1:0", [0.0000036, 0.000018, 0.0000045, 3.6e-7, null, null, null, null, null]],
  ["anthropic.claude-3-7-sonnet-20250219-v1:0", [0.000003, 0.000015, 0.00000375, 3e-7, null, null, null, null, null]],
  ["anthropic.claude-3-haiku-20240307-v1:0", [2.5e-7, 0.00000125, 3.125e-7, 2.5e-8, null, null, null, null, null]],
  ["anthropic.claude-3-opus-20240229-v1:0", [0.000015, 0.000075, 0.00001875, 0.0000015, null, null, null, null, null]],
  ["anthropic.claude-3-sonnet-20240229-v1:0", [0.000003, 0.000015, 0.00000375, 3e-7, null, null, null, null, null]],
  ["anthropic.claude-instant-v1", [8e-7, 0.0000024, null, null, null, null, null, null, null]],
  ["anthropic.claude-opus-4-1-20250805-v1:0", [0.000015, 0.000075, 0.00001875, 0.0000015, null, null, null, null, null]],
  ["anthropic.claude-opus-4-20250514-v1:0", [0.000015, 0.000075, 0.00001875, 0.0000015, null, null, null, null, null]],
  ["anthropic.claude-opus-4-5-20251101-v1:0", [0.000005, 0.000025, 0.00000625, 5e-7, null, null, null, null, null]],
  ["anthropic.claude-opus-4-6-v1", [0.000005, 0.000025, 0.00000625, 5e-7, null, null, null, null, null]],
  ["anthropic.claude-opus-4-7", [0.000005, 0.000025, 0.00000625, 5e-7, null, null, null, null, null]],
  ["anthropic.claude-sonnet-4-6", [0.000003, 0.000015, 0.00000375, 3e-7, null, null, null, null, null]],
  ["anthropic.claude-sonnet-4-20250514-v1:0", [0.000003, 0.000015, 0.00000375, 3e-7, 0.000006, 0.0000225, 0.0000075, 6e-7, null]],
  ["anthropic.claude-sonnet-4-5-20250929-v1:0", [0.000003, 0.000015, 0.00000375, 3e-7, 0.000006, 0.0000225, 0.0000075, 6e-7, null]],
  ["anthropic.claude-v1", [0.000008, 0.000024, null, null, null, null, null, null, null]],
  ["anthropic.claude-v2:1", [0.000008, 0.000024, null, null, null, null, null, null, null]],
  ["claude-haiku-4-5-20251001", [0.000001, 0.000005, 0.00000125, 1e-7, null, null, null, null, null]],
  ["claude-haiku-4-5", [0.000001, 0.000005, 0.00000125, 1e-7, null, null, null, null, null]],
  ["claude-3-7-sonnet-20250219", [0.000003, 0.000015, 0.00000375, 3e-7, null, null, null, null, null]],
  ["claude-3-haiku-20240307", [2.5e-7, 0.00000125, 3e-7, 3e-8, null, null, null, null, null]],
  ["claude-3-opus-20240229", [0.000015, 0.000075, 0.00001875, 0.0000015, null, null, null, null, null]],
  ["claude-4-opus-20250514", [0.000015, 0.000075, 0.00001875, 0.0000015, null, null, null, null, null]],
  ["claude-4-sonnet-20250514", [0.000003, 0.000015, 0.00000375, 3e-7, 0.000006, 0.0000225, 0.0000075, 6e-7, null]],
  ["claude-sonnet-4-5", [0.000003, 0.000015, 0.00000375, 3e-7, 0.000006, 0.0000225, 0.0000075, 6e-7, null]],
  ["claude-sonnet-4-5-20250929", [0.000003, 0.000015, 0.00000375, 3e-7, 0.000006, 0.0000225, 0.0000075, 6e-7, null]],
  ["claude-sonnet-4-6", [0.000003, 0.000015, 0.00000375, 3e-7, null, null, null, null, null]],
  ["claude-sonnet-4-5-20250929-v1:0", [0.000003, 0.000015, 0.00000375, 3e-7, 0.000006, 0.0000225, 0.0000075, 6e-7, null]],
  ["claude-opus-4-1", [0.000015, 0.000075, 0.00001875, 0.0000015, null, null, null, null, null]],
  ["claude-opus-4-1-20250805", [0.000015, 0.000075, 0.00001875, 0.0000015, null, null, null, null, null]],
  ["claude-opus-4-20250514", [0.000015, 0.000075, 0.00001875, 0.0000015, null, null, null, null, null]],
  ["claude-opus-4-5-20251101", [0.000005, 0.000025, 0.00000625, 5e-7, null, null, null, null, null]],
  ["claude-opus-4-5", [0.000005, 0.000025, 0.00000625, 5e-7, null, null, null, null, null]],
  ["claude-opus-4-6", [0.000005, 0.000025, 0.00000625, 5e-7, null, null, null, null, 6]],
  ["claude-opus-4-6-20260205", [0.000005, 0.000025, 0.00000625, 5e-7, null, null, null, null, 6]],
  ["claude-opus-4-7", [0.000005, 0.000025, 0.00000625, 5e-7, null, null, null, null, 6]],
  ["claude-opus-4-7-20260416", [0.000005, 0.000025, 0.00000625, 5e-7, null, null, null, null, 6]],
  ["claude-sonnet-4-20250514", [0.000003, 0.000015, 0.00000375, 3e-7, 0.000006, 0.0000225, 0.0000075, 6e-7, null]],
];
