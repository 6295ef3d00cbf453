/**
 * `defaultAnalyzers()`: the built-in analyzer set a host gets from `createObserver()`.
 */
import type { Analyzer } from '../core/index.js';
import { aggregationAnalyzer, type AggregationOptions } from './aggregation.js';
import { alertsAnalyzer, type AlertsOptions } from './alerts.js';
import { anomaliesAnalyzer, type AnomaliesOptions } from './anomalies.js';
import { bottlenecksAnalyzer, type BottlenecksOptions } from './bottlenecks.js';
import { costAnalyzer, type CostOptions } from './cost.js';
import { fleetAnalyzer, type FleetOptions } from './fleet.js';
import { insightsAnalyzer, type InsightsOptions } from './insights.js';
import { patternsAnalyzer, type PatternsOptions } from './patterns.js';
import type { PricingTable } from './pricing.js';
import { regressionsAnalyzer, type RegressionsOptions } from './regressions.js';
import { redactionsAnalyzer } from './redactions.js';

/** Options of each built-in analyzer; `false` leaves it out. */
export interface DefaultAnalyzersOptions {
  aggregation?: AggregationOptions | false;
  bottlenecks?: BottlenecksOptions | false;
  regressions?: RegressionsOptions | false;
  patterns?: PatternsOptions | false;
  cost?: CostOptions | false;
  fleet?: FleetOptions | false;
  anomalies?: AnomaliesOptions | false;
  /** `sources` defaults to the built-ins included here. */
  insights?: InsightsOptions | false;
  /** What redaction found (counts per category and group, sessions), from `redaction.findings` events. */
  redactions?: boolean;
  /**
   * The alert engine (`alertsAnalyzer`): `true` for the default rules, or its options. Default off.
   * Keep a reference to acknowledge and silence: `alertsAnalyzer(...)` in `analyzers` instead.
   */
  alerts?: AlertsOptions | boolean;
  /** Prices given to both `cost` and `fleet` (merged under their own `pricing`). Default none. */
  pricing?: PricingTable;
}

/**
 * The full built-in set, in dependency order: aggregation, bottlenecks, regressions, patterns,
 * cost, fleet, anomalies, insights (which reads the findings of all the others), redactions; the
 * alert engine, when asked for, comes first (it reads the `cost` snapshot only with budget rules).
 */
export function defaultAnalyzers(options: DefaultAnalyzersOptions = {}): Analyzer[] {
  const out: Analyzer[] = [];
  if (options.aggregation !== false) out.push(aggregationAnalyzer(options.aggregation ?? {}));
  if (options.bottlenecks !== false) out.push(bottlenecksAnalyzer(options.bottlenecks ?? {}));
  if (options.regressions !== false) out.push(regressionsAnalyzer(options.regressions ?? {}));
  if (options.patterns !== false) out.push(patternsAnalyzer(options.patterns ?? {}));
  if (options.cost !== false) {
    const cost = options.cost ?? {};
    out.push(costAnalyzer({ ...cost, pricing: { ...options.pricing, ...cost.pricing } }));
  }
  if (options.fleet !== false) {
    const fleet = options.fleet ?? {};
    out.push(fleetAnalyzer({ ...fleet, pricing: { ...options.pricing, ...fleet.pricing } }));
  }
  if (options.anomalies !== false) out.push(anomaliesAnalyzer(options.anomalies ?? {}));
  if (options.insights !== false) {
    const insights = options.insights ?? {};
    out.push(insightsAnalyzer({ ...insights, sources: insights.sources ?? out.map((a) => a.name) }));
  }
  if (options.redactions !== false) out.push(redactionsAnalyzer());
  // First in delivery order (see `orderAnalyzers`): an alert then waits only for the engine itself.
  if (options.alerts !== undefined && options.alerts !== false) out.unshift(alertsAnalyzer(options.alerts === true ? {} : options.alerts));
  return out;
}
