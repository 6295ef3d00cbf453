/**
 * `cost`: what LLM calls cost, by agent, session, model and operation; the most expensive ones;
 * projections from the observed rate; budgets that raise an `alert` once when crossed. A model
 * that has no price is reported as unpriced with its token counts, never costed at $0.
 * This file holds the per-call accounting and the budget alerts; the reported figures, the
 * projection and the findings are built in `cost-snapshot.ts`.
 */
import type { Analyzer, EventOf, FleetEvent } from '../core/index.js';
import {
  OTHER,
  type ModelCostEntry,
  type NoUsageModel,
  copyEntry,
  costFindings,
  costProjections,
  costRanks,
  roundUsd,
  type BudgetState,
  type CostBudgets,
  type CostEntry,
  type CostSnapshot,
  type CostThresholds,
  type ExpensiveCall,
  type UnpricedModel,
  type UnpricedState,
} from './cost-snapshot.js';
import { eachEvent } from './define.js';
import { DEFAULT_PRICING, callCost, carriesUsage, checkPricingTable, findModelPrice, type ModelPrice, type PriceMatch, type PricingTable } from './pricing.js';
import type { TokenTotals } from './types.js';

export type { BudgetState, CostBudgets, CostEntry, CostProjection, CostProjections, CostRank, CostSnapshot, ExpensiveCall, ModelCostEntry, NoUsageModel, UnpricedModel } from './cost-snapshot.js';

export interface CostOptions {
  /**
   * Prices (USD per million tokens) added to the shipped table or replacing its entries, keyed
   * by model name (normalized, e.g. `claude-sonnet-4-5`, or any exact name you emit).
   * Default none.
   */
  pricing?: PricingTable;
  /** Use only `pricing`, not the shipped table. Default `false`. */
  replacePricing?: boolean;
  /** Budgets; each fires one `alert` event when crossed. Default none. */
  budgets?: CostBudgets;
  /** Length of the "most expensive" lists. Default 5. */
  top?: number;
  /**
   * Most keys kept per dimension (sessions, agents, models, operations). Beyond it the oldest
   * session/agent is folded into `(other)` so memory stays bounded. Default 10,000.
   */
  maxKeys?: number;
  /**
   * Cache opportunity: a model whose uncached input is at least this many tokens while less
   * than `cacheHitFloor` of its input came from the cache gets a `cost.cache_opportunity`
   * finding. Default 100,000 tokens.
   */
  cacheMinInputTokens?: number;
  /** Default 0.2 (20% of input tokens read from cache). */
  cacheHitFloor?: number;
  /** One agent above this share of the known cost gets a `cost.concentration` finding. Default 0.5. */
  concentrationShare?: number;
  /**
   * Shortest observed span (first to last priced call) from which day and month projections are
   * made (`projections.projected`); a shorter one gives a rate that a report must not extrapolate.
   * Default 3,600,000 (1 hour).
   */
  minProjectionSpanMs?: number;
  /**
   * Least share of the UTC days between the first and the last priced call that must have priced
   * calls for a day or month projection: months of disjoint sessions (an interactive user's) give
   * no rate to extrapolate. Default 0.5.
   */
  minActiveDayShare?: number;
}

const MINUTE = 60_000;
const BUCKETS = 60;

const zeroTokens = (): TokenTotals => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
/** A `CostEntry` plus internal flags (never in the snapshot: `copyEntry` picks the public fields). */
interface Entry extends CostEntry {
  /** Folded into `(other)` and removed from its map: cached references must look it up again. */
  evicted: boolean;
  /** Session budget alert fired. */
  alerted: boolean;
}

const newEntry = (): Entry => ({ costUsd: 0, calls: 0, unpricedCalls: 0, tokens: zeroTokens(), evicted: false, alerted: false });

/** The last key looked up in one map, and its entry (consecutive calls often share it). */
interface LastKey {
  key: string | undefined;
  entry: Entry | undefined;
}

/** What is known of one model name: its price, and its entries (looked up once). */
interface ModelState {
  price: ModelPrice | null;
  /** The table key that priced it and how, when it is not the name itself. */
  pricedAs: string | undefined;
  matchedBy: PriceMatch | undefined;
  /** Calls of this model that carried neither token counts nor `costUsd`. */
  noUsage: number;
  entry: Entry | undefined;
  unpriced: UnpricedState | undefined;
}

function addCall(entry: CostEntry, input: number, output: number, cacheRead: number, cacheWrite: number, cost: number | undefined): void {
  entry.calls++;
  const t = entry.tokens;
  t.input += input;
  t.output += output;
  t.cacheRead += cacheRead;
  t.cacheWrite += cacheWrite;
  if (cost === undefined) entry.unpricedCalls++;
  else entry.costUsd += cost;
}

const DAY = 86_400_000;
/** Active days remembered for the projection's day share (27 years). */
const MAX_ACTIVE_DAYS = 10_000;

function addTokens(into: TokenTotals, t: TokenTotals): void {
  into.input += t.input;
  into.output += t.output;
  into.cacheRead += t.cacheRead;
  into.cacheWrite += t.cacheWrite;
}

function positive(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`[fleetscope] [cost] ${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

export function costAnalyzer(options: CostOptions = {}): Analyzer<CostSnapshot> {
  const table: PricingTable = {
    ...(options.replacePricing === true ? {} : DEFAULT_PRICING),
    ...checkPricingTable(options.pricing ?? {}),
  };
  const budgets: CostBudgets = {
    perSessionUsd: positive(options.budgets?.perSessionUsd, 'budgets.perSessionUsd'),
    perDayUsd: positive(options.budgets?.perDayUsd, 'budgets.perDayUsd'),
    totalUsd: positive(options.budgets?.totalUsd, 'budgets.totalUsd'),
  };
  const topN = Math.max(1, Math.floor(options.top ?? 5));
  const maxKeys = Math.max(10, Math.floor(options.maxKeys ?? 10_000));
  const minProjectionSpanMs = Math.max(0, options.minProjectionSpanMs ?? 3_600_000);
  const minActiveDayShare = Math.min(1, Math.max(0, options.minActiveDayShare ?? 0.5));
  const thresholds: CostThresholds = {
    cacheMinInputTokens: options.cacheMinInputTokens ?? 100_000,
    cacheHitFloor: options.cacheHitFloor ?? 0.2,
    concentrationShare: options.concentrationShare ?? 0.5,
  };

  /** Per model name: price and entries; cleared beyond `maxKeys` names. */
  const modelStates = new Map<string, ModelState>();
  const byModel = new Map<string, Entry>();
  const byAgent = new Map<string, Entry>();
  const bySession = new Map<string, Entry>();
  const byOperation = new Map<string, Entry>();
  const lastAgent: LastKey = { key: undefined, entry: undefined };
  const lastSession: LastKey = { key: undefined, entry: undefined };
  const lastOperation: LastKey = { key: undefined, entry: undefined };
  const total = newEntry();
  let pricedCalls = 0;
  let reportedCostCalls = 0;
  let noUsageCalls = 0;
  // Of those, the failed ones (a request the provider refused is usually not billed): named in the finding.
  let noUsageFailedCalls = 0;
  const topCalls: ExpensiveCall[] = [];
  const unpricedByModel = new Map<string, UnpricedState>();
  // Per-minute cost buckets for the projection band (ring of the last 60 active minutes).
  const bucketMinute = new Float64Array(BUCKETS).fill(-1);
  const bucketCost = new Float64Array(BUCKETS);
  let firstPriced = Infinity;
  let lastPriced = -Infinity;
  /** UTC days (ms / DAY) with a priced call, up to MAX_ACTIVE_DAYS of them. */
  const activeDays = new Set<number>();
  const days = new Map<string, number>();
  /** UTC day of the last priced call: `[dayStart, dayStart + DAY)` is `dayKey`. */
  let dayStart = Number.NaN;
  let dayKey = '';
  const crossed: BudgetState[] = [];
  let totalAlerted = false;

  const modelState = (model: string): ModelState => {
    let state = modelStates.get(model);
    if (state === undefined) {
      const found = findModelPrice(table, model);
      state = { price: found?.price ?? null, pricedAs: found?.key, matchedBy: found?.matchedBy, noUsage: 0, entry: undefined, unpriced: undefined };
      if (modelStates.size > maxKeys) modelStates.clear();
      modelStates.set(model, state);
    }
    return state;
  };

  const priceOf = (model: string): ModelPrice | null => modelState(model).price;

  const entryIn = (map: Map<string, Entry>, key: string): Entry => {
    let entry = map.get(key);
    if (entry === undefined) {
      if (map.size >= maxKeys) {
        // Fold the oldest key into `(other)`: totals stay exact, detail is lost for old keys.
        const oldest = map.keys().next().value as string;
        const gone = map.get(oldest)!;
        map.delete(oldest);
        gone.evicted = true;
        const other = map.get(OTHER) ?? newEntry();
        other.costUsd += gone.costUsd;
        other.calls += gone.calls;
        other.unpricedCalls += gone.unpricedCalls;
        addTokens(other.tokens, gone.tokens);
        map.set(OTHER, other);
      }
      entry = newEntry();
      map.set(key, entry);
    }
    return entry;
  };

  const cachedEntry = (map: Map<string, Entry>, last: LastKey, key: string): Entry => {
    const entry = last.entry;
    if (key === last.key && entry !== undefined && !entry.evicted) return entry;
    const found = entryIn(map, key);
    last.key = key;
    last.entry = found;
    return found;
  };

  let context: Parameters<Analyzer['consume']>[1] | undefined;

  const alert = (event: FleetEvent, state: BudgetState, rule: string, message: string) => {
    crossed.push(state);
    if (crossed.length > 1000) crossed.shift();
    context?.emit({
      type: 'alert',
      severity: 'warning',
      sessionId: event.sessionId,
      agentId: event.agentId,
      workflowId: event.workflowId,
      payload: {
        rule,
        message,
        value: roundUsd(state.spentUsd),
        threshold: state.limitUsd,
        details: { scope: state.scope, key: state.key },
      },
    });
  };

  const onCall = (event: EventOf<'llm.call'>) => {
    const p = event.payload;
    const model = p.model;
    const input = p.inputTokens ?? 0;
    const output = p.outputTokens ?? 0;
    const cacheRead = p.cacheReadTokens ?? 0;
    const cacheWrite = p.cacheWriteTokens ?? 0;
    const reported = p.costUsd;
    const ms = modelState(model);
    let cost: number | undefined;
    let noUsage = false;
    if (typeof reported === 'number' && Number.isFinite(reported) && reported >= 0) {
      cost = reported;
      reportedCostCalls++;
    } else if (!carriesUsage(p)) {
      // No usage at all (a stream without `include_usage`, an instrumentation that dropped it):
      // the cost is unknown, not the $0 its missing counts would price to.
      noUsage = true;
      noUsageCalls++;
      if (p.status === 'error') noUsageFailedCalls++;
      ms.noUsage++;
    } else if (ms.price !== null) {
      cost = callCost(ms.price, { input, output, cacheRead, cacheWrite, cacheWrite1h: p.cacheWrite1hTokens ?? 0 });
    }
    let modelEntry = ms.entry;
    if (modelEntry === undefined || modelEntry.evicted) modelEntry = ms.entry = entryIn(byModel, model);
    const agentEntry = cachedEntry(byAgent, lastAgent, event.agentId);
    const sessionEntry = cachedEntry(bySession, lastSession, event.sessionId);
    const operationEntry = cachedEntry(byOperation, lastOperation, p.operation ?? 'chat');
    addCall(total, input, output, cacheRead, cacheWrite, cost);
    addCall(modelEntry, input, output, cacheRead, cacheWrite, cost);
    addCall(agentEntry, input, output, cacheRead, cacheWrite, cost);
    addCall(sessionEntry, input, output, cacheRead, cacheWrite, cost);
    addCall(operationEntry, input, output, cacheRead, cacheWrite, cost);
    if (cost === undefined) {
      if (noUsage) return;
      let unpriced = ms.unpriced ?? unpricedByModel.get(model);
      if (unpriced === undefined && unpricedByModel.size < maxKeys) {
        unpriced = { calls: 0, tokens: zeroTokens(), first: event.timestamp, last: event.timestamp };
        unpricedByModel.set(model, unpriced);
      }
      if (unpriced !== undefined) {
        ms.unpriced = unpriced;
        unpriced.calls++;
        const t = unpriced.tokens;
        t.input += input;
        t.output += output;
        t.cacheRead += cacheRead;
        t.cacheWrite += cacheWrite;
        unpriced.last = event.timestamp;
      }
      return;
    }
    pricedCalls++;
    const ts = event.timestamp;
    if (ts < firstPriced) firstPriced = ts;
    if (ts > lastPriced) lastPriced = ts;
    if (activeDays.size < MAX_ACTIVE_DAYS) activeDays.add(Math.floor(ts / DAY));
    const minute = Math.floor(ts / MINUTE);
    const slot = minute % BUCKETS;
    if (bucketMinute[slot] !== minute) {
      bucketMinute[slot] = minute;
      bucketCost[slot] = 0;
    }
    bucketCost[slot] = bucketCost[slot]! + cost;

    // The most expensive single calls: a small sorted list, replaced only when beaten.
    if (topCalls.length < topN || cost > topCalls[topCalls.length - 1]!.costUsd) {
      const tokens: TokenTotals = { input, output, cacheRead, cacheWrite };
      topCalls.push({ eventId: event.id, timestamp: ts, model, agentId: event.agentId, sessionId: event.sessionId, costUsd: roundUsd(cost), tokens });
      topCalls.sort((a, b) => b.costUsd - a.costUsd);
      if (topCalls.length > topN) topCalls.pop();
    }

    // Budgets: each fires once per key.
    if (budgets.perSessionUsd !== undefined) {
      const session = sessionEntry;
      if (!session.alerted && session.costUsd > budgets.perSessionUsd) {
        session.alerted = true;
        alert(event, { scope: 'session', key: event.sessionId, limitUsd: budgets.perSessionUsd, spentUsd: session.costUsd, crossedAt: ts }, 'cost.budget.session',
          `session ${event.sessionId} spent $${session.costUsd.toFixed(4)}, over its budget of $${budgets.perSessionUsd}`);
      }
    }
    if (budgets.perDayUsd !== undefined) {
      if (!(ts >= dayStart && ts < dayStart + DAY)) {
        dayStart = Math.floor(ts / DAY) * DAY;
        dayKey = new Date(ts).toISOString().slice(0, 10);
      }
      const day = dayKey;
      const before = days.get(day) ?? 0;
      if (before >= 0) {
        const spent = before + cost;
        if (spent > budgets.perDayUsd) {
          days.set(day, -1); // -1 marks "alerted"
          alert(event, { scope: 'day', key: day, limitUsd: budgets.perDayUsd, spentUsd: spent, crossedAt: ts }, 'cost.budget.daily',
            `spent $${spent.toFixed(4)} on ${day} (UTC), over the daily budget of $${budgets.perDayUsd}`);
        } else {
          days.set(day, spent);
          if (days.size > 400) days.delete(days.keys().next().value as string);
        }
      }
    }
    if (budgets.totalUsd !== undefined && !totalAlerted && total.costUsd > budgets.totalUsd) {
      totalAlerted = true;
      alert(event, { scope: 'total', key: 'total', limitUsd: budgets.totalUsd, spentUsd: total.costUsd, crossedAt: ts }, 'cost.budget.total',
        `total spend $${total.costUsd.toFixed(4)} is over the budget of $${budgets.totalUsd}`);
    }
  };

  /** Costs of the active minutes among the last `BUCKETS` up to the last priced call. */
  const recentMinutes = (): number[] => {
    const minutes: number[] = [];
    const latest = Math.floor(lastPriced / MINUTE);
    for (let i = 0; i < BUCKETS; i++) if (bucketMinute[i]! >= 0 && latest - bucketMinute[i]! < BUCKETS) minutes.push(bucketCost[i]!);
    return minutes;
  };

  const onEvent = (event: FleetEvent): void => {
    if (event.type === 'llm.call') onCall(event as EventOf<'llm.call'>);
  };

  return {
    name: 'cost',
    filter: { types: ['llm.call'] },
    async consume(stream, ctx) {
      context = ctx;
      for await (const batch of stream) {
        eachEvent(batch, onEvent, ctx);
      }
    },
    snapshot(): CostSnapshot {
      const unpriced: UnpricedModel[] = [...unpricedByModel].map(([model, u]) => ({ model, calls: u.calls, tokens: { ...u.tokens } }));
      const dump = (map: Map<string, CostEntry>) => Object.fromEntries([...map].map(([k, e]) => [k, copyEntry(e)]));
      const models: Record<string, ModelCostEntry> = dump(byModel);
      const noUsage: NoUsageModel[] = [];
      for (const [model, entry] of Object.entries(models)) {
        const state = modelStates.get(model);
        if (state === undefined) continue;
        if (state.matchedBy !== undefined && state.matchedBy !== 'exact') {
          entry.pricedAs = state.pricedAs;
          entry.matchedBy = state.matchedBy;
        }
        if (state.noUsage > 0) noUsage.push({ model, calls: state.noUsage });
      }
      return {
        currency: 'USD',
        totalUsd: roundUsd(total.costUsd),
        calls: total.calls,
        pricedCalls,
        unpricedCalls: total.unpricedCalls,
        noUsageCalls,
        reportedCostCalls,
        tokens: { ...total.tokens },
        byModel: models,
        byAgent: dump(byAgent),
        bySession: dump(bySession),
        byOperation: dump(byOperation),
        top: { models: costRanks(byModel, total.costUsd, topN), agents: costRanks(byAgent, total.costUsd, topN), sessions: costRanks(bySession, total.costUsd, topN), calls: topCalls.map((c) => ({ ...c, tokens: { ...c.tokens } })) },
        unpriced,
        noUsage,
        projections: costProjections(total.costUsd, pricedCalls, firstPriced, lastPriced, recentMinutes(), { minSpanMs: minProjectionSpanMs, activeDays: activeDays.size, minActiveDayShare }),
        budgetsCrossed: crossed.map((s) => ({ ...s, spentUsd: roundUsd(s.spentUsd) })),
        budgets: { ...budgets },
        findings: costFindings({ unpriced, noUsage, noUsageCalls, noUsageFailedCalls, unpricedByModel, crossed, byModel, byAgent, total, priceOf }, thresholds),
      };
    },
  };
}
