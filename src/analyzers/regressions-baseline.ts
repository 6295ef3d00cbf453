/**
 * The baselines of the `regressions` analyzer and the tests against them: what a stored baseline
 * holds (p50/p95 plus the log-latency and token spread the tests need), how one is learned from an
 * operation's totals, and how the current window is compared with it (Welch's t-test on
 * log-latencies or tokens, a two-proportion z-test on success rates, each one-sided and gated by
 * the worsening threshold), ending in a classified `Regression` and its `Finding`. It runs when a
 * baseline is learned and at snapshot time, never per event. See `docs/analyzers-stats.md`.
 */
import { round3, type LogSketch } from './sketch.js';
import { twoProportionZTest, welchTTest, type RunningStats, type TestResult } from './stats-math.js';
import type { Baseline, Finding, FindingSeverity, Regression, RegressionClass } from './types.js';
import { msText, pClause } from './figures.js';

/** A saved baseline: `Baseline` plus the log-latency and token spread the tests need. */
export interface StoredBaseline extends Baseline {
  /** Mean of ln(latency ms). */
  logMean?: number;
  /** Standard deviation of ln(latency ms). */
  logStd?: number;
  tokensStd?: number;
  /** Outcomes (successes + errors) behind `successRate`. */
  outcomes?: number;
}

/** Cumulative figures of one operation over the whole run. */
export interface Totals {
  sketch: LogSketch;
  log: RunningStats;
  tokens: RunningStats;
  successes: number;
  outcomes: number;
}

/** The test settings of `RegressionsOptions`, defaults filled in. */
export interface TestLimits {
  /** Fewest samples in the window and in the baseline before a test. */
  minSamples: number;
  alpha: number;
  /** Relative worsening that counts (latency, tokens). */
  threshold: number;
  /** Absolute success-rate drop that counts. */
  successRateDrop: number;
}

/** Classes: minor below +50%, moderate below +100%, severe from +100% (latency, tokens). */
export function classifyChange(change: number): RegressionClass {
  return change >= 1 ? 'severe' : change >= 0.5 ? 'moderate' : 'minor';
}

/** Classes of a success-rate drop in points: minor below 10, moderate below 25, severe from 25. */
export function classifySuccessDrop(drop: number): RegressionClass {
  return drop >= 0.25 ? 'severe' : drop >= 0.1 ? 'moderate' : 'minor';
}

const SEVERITY: Record<RegressionClass, FindingSeverity> = { minor: 'low', moderate: 'medium', severe: 'high' };

/**
 * A latency regression (p50 or p95, whichever worsened more) of one operation's current window.
 * `sum`: the window summed over its live slots, laid out as `Window.sums` in `regressions.ts`
 * (n, Σln, Σln², tokens n, Σtokens, Σtokens², successes, outcomes); `sketch`: its latencies.
 */
export function compareLatency(key: string, base: StoredBaseline, sum: Float64Array, sketch: LogSketch, limits: TestLimits): Regression | undefined {
  const { minSamples, alpha, threshold } = limits;
  const n = sum[0]!;
  if (n < minSamples || base.samples < minSamples || !(base.p50 > 0)) return undefined;
  const mean = sum[1]! / n;
  const variance = Math.max(0, (sum[2]! - n * mean * mean) / (n - 1));
  // Without a stored log spread, assume log-normal: ln p95 − ln p50 = 1.645 σ.
  const logMean = base.logMean ?? Math.log(base.p50);
  const logStd = base.logStd ?? (base.p95 > base.p50 ? Math.log(base.p95 / base.p50) / 1.6449 : 0);
  const test = welchTTest({ n, mean, variance }, { n: base.samples, mean: logMean, variance: logStd * logStd });
  if (!(test.pValue < alpha)) return undefined;
  const p50 = sketch.quantile(0.5);
  const p95 = sketch.quantile(0.95);
  const c50 = p50 / base.p50 - 1;
  const c95 = base.p95 > 0 ? p95 / base.p95 - 1 : -Infinity;
  const useP95 = c95 > c50;
  const change = useP95 ? c95 : c50;
  if (!(change >= threshold)) return undefined;
  return regression(key, useP95 ? 'latency_p95' : 'latency_p50', useP95 ? base.p95 : base.p50, useP95 ? p95 : p50, change, classifyChange(change), test, n);
}

/** A rise of the mean tokens per call; `sum` as for `compareLatency`. */
export function compareTokens(key: string, base: StoredBaseline, sum: Float64Array, limits: TestLimits): Regression | undefined {
  const { minSamples, alpha, threshold } = limits;
  const n = sum[3]!;
  if (n < minSamples || base.meanTokens === undefined || !(base.meanTokens > 0) || base.samples < minSamples) return undefined;
  const mean = sum[4]! / n;
  const variance = Math.max(0, (sum[5]! - n * mean * mean) / (n - 1));
  const std = base.tokensStd ?? 0;
  const test = welchTTest({ n, mean, variance }, { n: base.samples, mean: base.meanTokens, variance: std * std });
  const change = mean / base.meanTokens - 1;
  if (!(test.pValue < alpha) || !(change >= threshold)) return undefined;
  return regression(key, 'tokens_mean', base.meanTokens, mean, change, classifyChange(change), test, n);
}

/** A drop of the success rate; `sum` as for `compareLatency`. */
export function compareSuccess(key: string, base: StoredBaseline, sum: Float64Array, limits: TestLimits): Regression | undefined {
  const { minSamples, alpha, successRateDrop } = limits;
  const n = sum[7]!;
  const baseOutcomes = base.outcomes ?? base.samples;
  if (n < minSamples || baseOutcomes < minSamples) return undefined;
  const rate = sum[6]! / n;
  const drop = base.successRate - rate;
  if (!(drop >= successRateDrop)) return undefined;
  const test = twoProportionZTest(sum[6]!, n, Math.round(base.successRate * baseOutcomes), baseOutcomes);
  if (!(test.pValue < alpha)) return undefined;
  const change = base.successRate > 0 ? drop / base.successRate : 1;
  return regression(key, 'success_rate', base.successRate, rate, change, classifySuccessDrop(drop), test, n);
}

/** The baseline of an operation's totals so far. */
export function baselineOf(key: string, totals: Totals, now: number): StoredBaseline {
  const { sketch, log, tokens } = totals;
  const samples = Math.max(sketch.count, totals.outcomes);
  const baseline: StoredBaseline = {
    operation: key,
    p50: round3(sketch.quantile(0.5)),
    p95: round3(sketch.quantile(0.95)),
    p99: round3(sketch.quantile(0.99)),
    mean: round3(sketch.mean),
    successRate: totals.outcomes === 0 ? 1 : round6(totals.successes / totals.outcomes),
    samples,
    // Grows with samples: 0 at 1, 0.5 at 4, 0.9 at 100.
    confidence: round3(Math.max(0, 1 - 1 / Math.sqrt(samples))),
    updatedAt: now,
    outcomes: totals.outcomes,
  };
  if (log.n > 0) {
    baseline.samples = log.n;
    baseline.logMean = round6(log.mean);
    baseline.logStd = round6(log.std);
  }
  if (tokens.n > 0) {
    baseline.meanTokens = round3(tokens.mean);
    baseline.tokensStd = round3(tokens.std);
  }
  return baseline;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function regression(
  operation: string,
  metric: Regression['metric'],
  baseline: number,
  current: number,
  change: number,
  classification: RegressionClass,
  test: TestResult,
  samples: number,
): Regression {
  return {
    operation,
    metric,
    baseline: round3(baseline),
    current: round3(current),
    change: round3(change),
    classification,
    pValue: test.pValue < 1e-12 ? 0 : Number(test.pValue.toPrecision(3)),
    samples,
  };
}

/** A latency in ms or s, a token mean in tokens: never a bare number in a title. */
function withUnit(r: Regression, value: number): string {
  return r.metric.startsWith('latency') ? msText(value) : `${Math.round(value).toLocaleString('en-US')} tokens`;
}

/** The finding of a regression, located on its tool, agent or model. */
export function findingOf(r: Regression): Finding {
  const kind = r.metric.startsWith('latency') ? 'regression.latency' : r.metric === 'tokens_mean' ? 'regression.tokens' : 'regression.success_rate';
  const [family, ...rest] = r.operation.split(':');
  const name = rest.join(':');
  const what = r.metric === 'success_rate' ? 'success rate' : r.metric.replace('_', ' ');
  const title =
    r.metric === 'success_rate'
      ? `${r.operation} ${what} fell from ${(r.baseline * 100).toFixed(1)}% to ${(r.current * 100).toFixed(1)}% (${r.classification}, ${pClause(r.pValue)})`
      : `${r.operation} ${what} up ${(r.change * 100).toFixed(0)}% vs baseline (${withUnit(r, r.baseline)} → ${withUnit(r, r.current)}, ${r.classification}, ${pClause(r.pValue)})`;
  return {
    analyzer: 'regressions',
    kind,
    severity: SEVERITY[r.classification],
    title,
    location: {
      operation: r.operation,
      ...(family === 'tool' ? { toolName: name } : family === 'agent' ? { agentId: name } : family === 'llm' ? { model: name } : {}),
    },
    evidence: {
      metric: r.metric,
      baseline: r.baseline,
      current: r.current,
      change: r.change,
      classification: r.classification,
      pValue: r.pValue,
      samples: r.samples,
    },
  };
}
