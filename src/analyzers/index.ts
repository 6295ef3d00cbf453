/** `fleetscope/analyzers`: the built-in analyzers and `defineAnalyzer` for custom ones. */
export { defineAnalyzer, eachEvent, type AnalyzerDefinition } from './define.js';
export { aggregationAnalyzer, type AggregationOptions, type AggregationAnalyzerSnapshot } from './aggregation.js';
export { LogSketch, DEFAULT_RELATIVE_ACCURACY, type LogSketchOptions } from './sketch.js';
export { regressionsAnalyzer, classifyChange, classifySuccessDrop, type RegressionsOptions, type RegressionsAnalyzer, type RegressionsAnalyzerSnapshot, type StoredBaseline } from './regressions.js';
export { patternsAnalyzer, normalizeMessage, type PatternsOptions, type PatternsSnapshot, type RecurringFailure, type RepeatedError, type RepeatedCall, type LongSession } from './patterns.js';
export { DEFAULT_PRICING, normalizeModelName, findModelPrice, callCost, callTokensOf, createCallPricer, type PricedCall, type PriceMatch, type ModelPrice, type PriceTier, type PricingTable, type CallTokens } from './pricing.js';
export { costAnalyzer, type CostOptions, type CostBudgets, type CostSnapshot, type CostEntry, type CostRank, type CostProjections, type CostProjection, type ExpensiveCall, type UnpricedModel, type BudgetState } from './cost.js';
export { fleetAnalyzer, type FleetOptions, type FleetSnapshot, type WorkflowSummary, type FleetExecution, type CriticalPathStep, type SlowExecution, type ExecutionStatus } from './fleet.js';
export { parallelizationRatio, criticalPath, unionLength, leafExecutions, type Interval, type PathStep } from './fleet-math.js';
export { insightsAnalyzer, GENERIC_RULE, DEFAULT_INSIGHT_SOURCES, defaultImpact, type InsightRule, type InsightsOptions, type InsightsSnapshot, type Insight, type Effort } from './insights.js';
export { BUILTIN_RULES } from './insight-rules.js';
export { defaultAnalyzers, type DefaultAnalyzersOptions } from './defaults.js';
export type { Finding, FindingLocation, FindingSeverity, AggregationSnapshot, RegressionsSnapshot, OperationStats, WindowStats, LatencyStats, TokenTotals, Baseline, Regression, RegressionClass } from './types.js';
export { anomaliesAnalyzer, type AnomaliesOptions, type IsolationForestOptions, type AnomaliesSnapshot, type AnomalyRecord } from './anomalies.js';
export { bottlenecksAnalyzer, DEFAULT_RESOURCE_RULES, type BottlenecksOptions, type BottlenecksSnapshot, type Bottleneck, type BottleneckType, type ResourceRule } from './bottlenecks.js';
export {
  alertsAnalyzer,
  DEFAULT_ALERT_RULES,
  ruleEventTypes,
  WindowCounter,
  SampleWindow,
  fingerprintOf,
  type AlertsOptions,
  type AlertsAnalyzer,
  type AlertsSnapshot,
  type AlertView,
  type AlertTransition,
  type Silence,
  type AlertRule,
  type AlertEventMatch,
  type ThresholdRule,
  type ThresholdOp,
  type AbsenceRule,
  type BudgetRule,
  type AnomalyRule,
  type GuardrailAlertRule,
} from './alerts.js';
export { redactionsAnalyzer, type RedactionsSnapshot, type RedactionGroupFigures } from './redactions.js';
export { sessionsAnalyzer, type SessionsOptions, type SessionsSnapshot, type SessionSummary } from './sessions.js';
