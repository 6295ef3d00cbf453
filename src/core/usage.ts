/**
 * Token usage read from LLM responses, duck-typed (no SDK dependency). Shared by
 * `observer.llm` and the client wrappers so both count tokens the same way.
 */

/** Token counts in fleetscope's convention: `inputTokens` excludes cached input. */
export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
}

/**
 * Reads a `usage` object in any of the common shapes:
 * - Anthropic Messages: `input_tokens`, `output_tokens`, `cache_creation_input_tokens`,
 *   `cache_read_input_tokens` (input excludes cache);
 * - OpenAI Chat Completions: `prompt_tokens` (includes `prompt_tokens_details.cached_tokens`),
 *   `completion_tokens`;
 * - OpenAI Responses: `input_tokens` (includes `input_tokens_details.cached_tokens`), `output_tokens`;
 * - fleetscope's own camelCase names.
 * Returns undefined when nothing recognizable is there.
 */
export function readUsage(usage: unknown): TokenUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as Record<string, unknown>;
  if ('inputTokens' in u || 'outputTokens' in u) {
    return {
      inputTokens: count(u.inputTokens),
      outputTokens: count(u.outputTokens),
      cacheReadTokens: count(u.cacheReadTokens),
      cacheWriteTokens: count(u.cacheWriteTokens),
    };
  }
  if ('prompt_tokens' in u || 'completion_tokens' in u) {
    const details = u.prompt_tokens_details as Record<string, unknown> | undefined;
    const cached = count(details?.cached_tokens) ?? 0;
    const prompt = count(u.prompt_tokens);
    return {
      inputTokens: prompt === undefined ? undefined : Math.max(0, prompt - cached),
      outputTokens: count(u.completion_tokens),
      cacheReadTokens: cached || undefined,
    };
  }
  if ('input_tokens' in u || 'output_tokens' in u) {
    const details = u.input_tokens_details as Record<string, unknown> | undefined;
    const openAiCached = count(details?.cached_tokens);
    const input = count(u.input_tokens);
    if (openAiCached !== undefined) {
      return {
        inputTokens: input === undefined ? undefined : Math.max(0, input - openAiCached),
        outputTokens: count(u.output_tokens),
        cacheReadTokens: openAiCached || undefined,
      };
    }
    return {
      inputTokens: input,
      outputTokens: count(u.output_tokens),
      cacheReadTokens: count(u.cache_read_input_tokens),
      cacheWriteTokens: count(u.cache_creation_input_tokens),
    };
  }
  return undefined;
}

/** Reads `result.usage` (and `result.model`) from an LLM response object. */
export function usageFromResponse(result: unknown): (TokenUsage & { model?: string }) | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as Record<string, unknown>;
  const usage = readUsage(r.usage);
  if (usage === undefined) return undefined;
  return typeof r.model === 'string' ? { ...usage, model: r.model } : usage;
}
