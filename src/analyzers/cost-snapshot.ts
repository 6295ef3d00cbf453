/**
 * The snapshot side of the `cost` analyzer: the figures it reports (cost per key, rankings, the
 * most expensive calls, unpriced models, budgets crossed), the projection of the observed spend
 * rate with its error band, and the findings (unpriced models, budgets exceeded, prompt-cache
 * opportunities, cost concentrated on one agent). It runs at snapshot time only; the per-call
 * accounting and the budget alerts are in `cost.ts`.
 */
import type { ModelPrice, PriceMatch } from './pricing.js';
import type { Finding, TokenTotals } from './types.js';

export interface CostBudgets {
  /** Alert when one session's known cost exceeds this many USD. Default none. */
  perSessionUsd?: number;
  /** Alert when the known cost of one UTC day (by event timestamp) exceeds this. Default none. */
  perDayUsd?: number;
  /** Alert when the total known cost exceeds this. Default none. */
  totalUsd?: number;
}

/** Cost figures of one key (a model, an agent, a session or an operation). */
export interface CostEntry {
  /** Known cost in USD (priced calls and calls that carried `costUsd`). */
  costUsd: number;
  calls: number;
  /**
   * Calls of unknown cost: their model has no price, or they carried no token counts at all;
   * and no `costUsd` either. They are not in `costUsd`.
   */
  unpricedCalls: number;
  tokens: TokenTotals;
}

/** A `byModel` entry: says how the model was priced when it is not by its own name. */
export interface ModelCostEntry extends CostEntry {
  /** The pricing-table key the model was priced as (absent when it is the name itself). */
  pricedAs?: string;
  /** `normalized` (date or provider prefix dropped), `alias` (another spelling) or `prefix` (a versioned name of `pricedAs`). */
  matchedBy?: PriceMatch;
}

/** LLM calls of one model that carried no usage (no token counts and no `costUsd`). */
export interface NoUsageModel {
  model: string;
  calls: number;
}

export interface CostRank {
  key: string;
  costUsd: number;
  /** Share of the total known cost, 0..1. */
  share: number;
}

export interface ExpensiveCall {
  eventId: string;
  timestamp: number;
  model: string;
  agentId: string;
  sessionId: string;
  costUsd: number;
  tokens: TokenTotals;
}

export interface UnpricedModel {
  model: string;
  calls: number;
  tokens: TokenTotals;
}

export interface CostProjection {
  baseline: number;
  optimistic: number;
  pessimistic: number;
}

export interface CostProjections {
  /** Known cost per hour over the observed span (see `method`). */
  ratePerHourUsd: number;
  /** First to last priced call, in ms (0 with fewer than 2); the rate is taken over at least a minute. */
  observedSpanMs: number;
  /**
   * Whether the observed span reaches the cost analyzer's `minProjectionSpanMs` (default 1 h): only
   * then are the day and month figures a projection a report shows. Below it, reports print the
   * observed span and the known cost instead.
   */
  projected: boolean;
  /**
   * Why not projected: `short` (the span is under `minProjectionSpanMs`), `sparse` (priced calls on
   * fewer than `minActiveDayShare` of the span's days: disjoint sessions), `no-calls` (fewer than 2 priced calls).
   */
  notProjected?: 'short' | 'sparse' | 'no-calls';
  /** The `minProjectionSpanMs` it was judged by. */
  minProjectionSpanMs: number;
  /** UTC days with a priced call, and UTC days from the first priced call's to the last's. */
  activeDays: number;
  spanDays: number;
  /** Relative half-width of the band: optimistic = baseline × (1 − e), pessimistic = × (1 + e). */
  relativeError: number;
  hour: CostProjection;
  day: CostProjection;
  /** 30 days. */
  month: CostProjection;
  method: string;
}

export interface BudgetState {
  scope: 'session' | 'day' | 'total';
  /** Session id, UTC day (`2025-06-01`) or `total`. */
  key: string;
  limitUsd: number;
  spentUsd: number;
  /** When the alert fired (event timestamp). */
  crossedAt: number;
}

/** `observer.snapshot().cost` */
export interface CostSnapshot {
  currency: 'USD';
  /** Known cost. Unpriced calls are NOT in it: see `unpriced` and `noUsage`. */
  totalUsd: number;
  calls: number;
  /** Calls whose cost is known (priced from the table or carrying `costUsd`): `calls − unpricedCalls`. */
  pricedCalls: number;
  /** Calls of unknown cost: `noUsageCalls` plus the calls of models without a price. */
  unpricedCalls: number;
  /** Calls that carried neither token counts nor `costUsd` (e.g. streams without `include_usage`). */
  noUsageCalls: number;
  /** Calls that carried `costUsd` from their source (used as is). */
  reportedCostCalls: number;
  tokens: TokenTotals;
  byModel: Record<string, ModelCostEntry>;
  byAgent: Record<string, CostEntry>;
  bySession: Record<string, CostEntry>;
  /** By `llm.call` operation (`chat`, `embeddings`, ...). */
  byOperation: Record<string, CostEntry>;
  top: { models: CostRank[]; agents: CostRank[]; sessions: CostRank[]; calls: ExpensiveCall[] };
  /** Models without a price, with the tokens whose cost is unknown. */
  unpriced: UnpricedModel[];
  /** Per model, the calls that carried no usage: of unknown cost whatever the model's price. */
  noUsage: NoUsageModel[];
  projections: CostProjections;
  /** Budgets crossed so far (each alerted once). */
  budgetsCrossed: BudgetState[];
  budgets: CostBudgets;
  findings: Finding[];
}

/** Unpriced calls of one model, as the analyzer counts them. */
export interface UnpricedState {
  calls: number;
  tokens: TokenTotals;
  first: number;
  last: number;
}

/** What the findings read of the analyzer's state. */
export interface CostFindingsState {
  /** The snapshot's `unpriced` list. */
  unpriced: readonly UnpricedModel[];
  noUsage: readonly NoUsageModel[];
  noUsageCalls: number;
  /** Of `noUsageCalls`, those with status `error`. */
  noUsageFailedCalls?: number;
  unpricedByModel: ReadonlyMap<string, UnpricedState>;
  crossed: readonly BudgetState[];
  byModel: ReadonlyMap<string, CostEntry>;
  byAgent: ReadonlyMap<string, CostEntry>;
  total: CostEntry;
  priceOf: (model: string) => ModelPrice | null;
}

/** The finding thresholds of `CostOptions`, defaults filled in. */
export interface CostThresholds {
  cacheMinInputTokens: number;
  cacheHitFloor: number;
  concentrationShare: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Below one minute of data a rate is mostly noise; the span is floored to this. */
const MIN_SPAN_MS = MINUTE;
/** The key that entries evicted by `maxKeys` are folded into. */
export const OTHER = '(other)';

export const roundUsd = (usd: number) => Math.round(usd * 1e9) / 1e9;

export function copyEntry(entry: CostEntry): CostEntry {
  return { costUsd: roundUsd(entry.costUsd), calls: entry.calls, unpricedCalls: entry.unpricedCalls, tokens: { ...entry.tokens } };
}

/** What decides whether the rate is projected (see `CostProjections.projected`). */
export interface ProjectionRule {
  /** Shortest span from first to last priced call. */
  minSpanMs: number;
  /** UTC days with a priced call. */
  activeDays: number;
  /** Least share of the span's UTC days that had priced calls. */
  minActiveDayShare: number;
}

/**
 * Known cost per hour over the observed span (first to last priced call, at least a minute),
 * projected over an hour, a day and 30 days with a 95% band. `minutes`: the cost of each
 * active minute among the last 60 before the last priced call. The day and month figures are a
 * projection (`projected`) only from a long enough span whose days mostly had activity.
 */
export function costProjections(
  totalUsd: number,
  pricedCalls: number,
  firstPriced: number,
  lastPriced: number,
  minutes: readonly number[],
  rule: ProjectionRule = { minSpanMs: HOUR, activeDays: 0, minActiveDayShare: 0 },
): CostProjections {
  const observed = pricedCalls === 0 ? 0 : lastPriced - firstPriced;
  // The rate is taken over at least a minute (a burst of seconds does not extrapolate wildly); the span
  // reported is the one observed, so a report never says "1.0 min observed" of 50 ms.
  const rate = (totalUsd / Math.max(MIN_SPAN_MS, observed)) * HOUR;
  // Band: with ≥ 5 active minutes, the 95% interval of the mean per-minute cost (normal
  // approximation); otherwise a Poisson interval on the number of priced calls (1.96/√n).
  let relativeError: number;
  if (minutes.length >= 5) {
    const mean = minutes.reduce((s, v) => s + v, 0) / minutes.length;
    const variance = minutes.reduce((s, v) => s + (v - mean) ** 2, 0) / (minutes.length - 1);
    relativeError = mean > 0 ? (1.96 * Math.sqrt(variance / minutes.length)) / mean : 0;
  } else {
    relativeError = pricedCalls > 0 ? 1.96 / Math.sqrt(pricedCalls) : 0;
  }
  relativeError = Math.min(1, relativeError);
  const project = (hours: number): CostProjection => ({
    baseline: roundUsd(rate * hours),
    optimistic: roundUsd(rate * hours * (1 - relativeError)),
    pessimistic: roundUsd(rate * hours * (1 + relativeError)),
  });
  const spanDays = pricedCalls === 0 ? 0 : Math.floor(lastPriced / DAY) - Math.floor(firstPriced / DAY) + 1;
  const notProjected =
    pricedCalls <= 1 ? 'no-calls' : lastPriced - firstPriced < rule.minSpanMs ? 'short' : rule.activeDays < rule.minActiveDayShare * spanDays ? 'sparse' : undefined;
  return {
    ratePerHourUsd: roundUsd(rate),
    observedSpanMs: observed,
    projected: notProjected === undefined,
    ...(notProjected !== undefined ? { notProjected } : {}),
    minProjectionSpanMs: rule.minSpanMs,
    activeDays: rule.activeDays,
    spanDays,
    relativeError: Math.round(relativeError * 1e4) / 1e4,
    hour: project(1),
    day: project(24),
    month: project(24 * 30),
    method:
      'baseline = known cost / observed span (first to last priced call, at least 1 min) × horizon; ' +
      'optimistic/pessimistic = baseline × (1 ∓ e), e = 95% half-width: from per-minute costs when ≥ 5 active minutes, else 1.96/√(priced calls); capped at 1',
  };
}

/** The `top` keys by known cost, with their share of `totalUsd`. */
export function costRanks(map: ReadonlyMap<string, CostEntry>, totalUsd: number, top: number): CostRank[] {
  return [...map]
    .filter(([, e]) => e.costUsd > 0)
    .sort((a, b) => b[1].costUsd - a[1].costUsd)
    .slice(0, top)
    .map(([key, e]) => ({ key, costUsd: roundUsd(e.costUsd), share: totalUsd > 0 ? Math.round((e.costUsd / totalUsd) * 1e4) / 1e4 : 0 }));
}

/** Unpriced models, budgets exceeded, prompt-cache opportunities and cost concentrated on one agent. */
export function costFindings(input: CostFindingsState, thresholds: CostThresholds): Finding[] {
  const { unpriced, noUsage, noUsageCalls, noUsageFailedCalls = 0, unpricedByModel, crossed, byModel, byAgent, total, priceOf } = input;
  const { cacheMinInputTokens: cacheMinInput, cacheHitFloor, concentrationShare } = thresholds;
  const out: Finding[] = [];
  if (noUsageCalls > 0) {
    out.push({
      analyzer: 'cost',
      kind: 'cost.no_usage',
      severity: 'medium',
      title:
        `${noUsageCalls} LLM call(s) carried no usage, so their cost is unknown (not $0): ` +
        // Failed calls first: a provider error (429, overloaded) through a source that cannot tell a
        // refused request from one that failed after the model ran is the commonest such call.
        (noUsageFailedCalls > 0 ? `${noUsageFailedCalls} of them failed (a refused request is usually not billed); otherwise ` : '') +
        'streams without `stream_options: { include_usage: true }`, or an instrumentation that drops token counts',
      location: noUsage.length === 1 ? { model: noUsage[0]!.model, operation: `llm:${noUsage[0]!.model}` } : undefined,
      evidence: { calls: noUsageCalls, ...(noUsageFailedCalls > 0 ? { failed: noUsageFailedCalls } : {}), models: noUsage.map((m) => `${m.model} (${m.calls})`).join(', ') },
    });
  }
  for (const u of unpriced) {
    const seen = unpricedByModel.get(u.model);
    out.push({
      analyzer: 'cost',
      kind: 'cost.unpriced_model',
      severity: 'medium',
      title: `Model ${u.model} has no price: the cost of ${u.calls} calls is unknown (not $0)`,
      location: { model: u.model, operation: `llm:${u.model}` },
      evidence: { calls: u.calls, inputTokens: u.tokens.input, outputTokens: u.tokens.output, cacheReadTokens: u.tokens.cacheRead, cacheWriteTokens: u.tokens.cacheWrite },
      firstSeen: seen?.first,
      lastSeen: seen?.last,
    });
  }
  for (const state of crossed) {
    out.push({
      analyzer: 'cost',
      kind: 'cost.budget_exceeded',
      severity: state.scope === 'session' ? 'medium' : 'high',
      title: `${state.scope === 'total' ? 'Total' : state.scope === 'day' ? `Daily (${state.key})` : `Session ${state.key}`} budget of $${state.limitUsd} exceeded`,
      location: state.scope === 'session' ? { sessionId: state.key } : undefined,
      evidence: { scope: state.scope, key: state.key, limitUsd: state.limitUsd, spentUsd: roundUsd(state.spentUsd) },
      firstSeen: state.crossedAt,
    });
  }
  for (const [model, e] of byModel) {
    const input = e.tokens.input + e.tokens.cacheRead + e.tokens.cacheWrite;
    const hit = input > 0 ? e.tokens.cacheRead / input : 0;
    if (model !== OTHER && e.tokens.input >= cacheMinInput && hit < cacheHitFloor && priceOf(model)?.cacheRead !== undefined) {
      const price = priceOf(model)!;
      // What the uncached input would have cost at the cache-read price instead.
      const savable = (e.tokens.input * (price.input - (price.cacheRead ?? price.input))) / 1e6;
      out.push({
        analyzer: 'cost',
        kind: 'cost.cache_opportunity',
        severity: savable > 1 ? 'medium' : 'low',
        title: `Only ${(hit * 100).toFixed(0)}% of ${model}'s input came from the prompt cache`,
        location: { model, operation: `llm:${model}` },
        evidence: { cacheHitRatio: Math.round(hit * 1e4) / 1e4, uncachedInputTokens: e.tokens.input, maxSavingsUsd: roundUsd(savable), costUsd: roundUsd(e.costUsd) },
      });
    }
  }
  if (byAgent.size >= 2 && total.costUsd > 0) {
    for (const [agent, e] of byAgent) {
      const share = e.costUsd / total.costUsd;
      if (share > concentrationShare) {
        out.push({
          analyzer: 'cost',
          kind: 'cost.concentration',
          severity: 'low',
          title: `Agent ${agent} accounts for ${(share * 100).toFixed(0)}% of the known cost`,
          location: { agentId: agent, operation: `agent:${agent}` },
          evidence: { share: Math.round(share * 1e4) / 1e4, costUsd: roundUsd(e.costUsd), totalUsd: roundUsd(total.costUsd), calls: e.calls },
        });
      }
    }
  }
  return out;
}
