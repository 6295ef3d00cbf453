/**
 * Shapes the built-in analyzers share. Every analyzer that detects something puts it in its
 * snapshot's `findings` as a `Finding`; the insight engine turns findings into insights by
 * rule templates keyed on `kind`, so a new analyzer's findings reach the report without the
 * insight engine importing it. The report renderer reads the snapshots typed here.
 */

export type FindingSeverity = 'low' | 'medium' | 'high' | 'critical';

/** Where a finding applies; every field optional. */
export interface FindingLocation {
  sessionId?: string;
  agentId?: string;
  workflowId?: string;
  toolName?: string;
  model?: string;
  /** Operation key as used across analyzers: `tool:<name>`, `agent:<name>`, `llm:<model>`. */
  operation?: string;
}

/** One detection of one analyzer, with the figures behind it. */
export interface Finding {
  /** Analyzer that produced it. */
  analyzer: string;
  /**
   * Dotted kind the insight rules key on, e.g. `bottleneck.tool_execution`,
   * `regression.latency`, `pattern.recurring_failure`, `cost.unpriced_model`,
   * `fleet.low_parallelization`, `anomaly.zscore`.
   */
  kind: string;
  severity: FindingSeverity;
  /** One human-readable line. */
  title: string;
  location?: FindingLocation;
  /** The figures behind it (JSON scalars). */
  evidence: Record<string, number | string | boolean | null>;
  /** ms since the epoch. */
  firstSeen?: number;
  lastSeen?: number;
}

/** Latency summary of one operation; all durations in ms. */
export interface LatencyStats {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface TokenTotals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Figures of one operation (a tool, an agent or a model) over one window. */
export interface OperationStats {
  /** `tool:<name>`, `agent:<name>` or `llm:<model>`. */
  operation: string;
  latency: LatencyStats;
  successes: number;
  errors: number;
  /** errors / (successes + errors); 0 when there are none. */
  errorRate: number;
  tokens?: TokenTotals;
  /** Known cost only; calls without a known cost are counted in `unpricedCalls`. */
  costUsd?: number;
  unpricedCalls?: number;
}

/** Aggregates over one rolling window (or cumulative, with `windowMs: null`). */
export interface WindowStats {
  windowMs: number | null;
  events: number;
  eventsPerSecond: number;
  byType: Record<string, number>;
  tools: Record<string, OperationStats>;
  agents: Record<string, OperationStats>;
  models: Record<string, OperationStats>;
  tokens: TokenTotals;
  costUsd: number;
  successRate: number;
  errorRate: number;
}

/** `observer.snapshot().aggregation` */
export interface AggregationSnapshot {
  /** Keyed by window label: `1m`, `5m`, `15m`, `1h` by default. */
  windows: Record<string, WindowStats>;
  cumulative: WindowStats;
  active: { sessions: number; agents: number; workflows: number };
  /** Documented relative error of the quantile sketch. */
  quantileRelativeError: number;
  findings: Finding[];
}

/** Baseline of one operation, as saved to and loaded from the baseline JSON file. */
export interface Baseline {
  operation: string;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  meanTokens?: number;
  successRate: number;
  samples: number;
  /** 0..1: how much to trust the baseline (grows with samples). */
  confidence: number;
  /** ms since the epoch. */
  updatedAt: number;
}

export type RegressionClass = 'minor' | 'moderate' | 'severe';

export interface Regression {
  operation: string;
  metric: 'latency_p50' | 'latency_p95' | 'latency_mean' | 'tokens_mean' | 'success_rate';
  baseline: number;
  current: number;
  /** (current - baseline) / baseline, signed so that positive is worse. */
  change: number;
  classification: RegressionClass;
  /** p-value of the significance test. */
  pValue: number;
  samples: number;
}

/** `observer.snapshot().regressions` */
export interface RegressionsSnapshot {
  baselines: Record<string, Baseline>;
  regressions: Regression[];
  findings: Finding[];
}
