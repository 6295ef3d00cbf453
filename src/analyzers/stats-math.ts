/**
 * Small, allocation-free statistics used by the statistical analyzers: Welford's running mean
 * and variance, Student's t and normal tail probabilities, Welch's t-test from summaries and
 * the two-proportion z-test. simple-statistics has the t statistic but no p-value, hence these.
 */

/** Welford's online mean/variance (numerically stable, O(1) per value). */
export class RunningStats {
  n = 0;
  mean = 0;
  /** Sum of squared deviations from the mean. */
  m2 = 0;

  add(value: number): void {
    this.n++;
    const delta = value - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (value - this.mean);
  }

  /** Sample variance (n − 1); 0 below two values. */
  get variance(): number {
    return this.n < 2 ? 0 : this.m2 / (this.n - 1);
  }

  get std(): number {
    return Math.sqrt(this.variance);
  }

  /** Z-score of `value` against the values added so far; 0 when the spread is 0. */
  z(value: number): number {
    const std = this.std;
    return std === 0 ? 0 : (value - this.mean) / std;
  }
}

// ── Special functions ────────────────────────────────────────────────────────────────────

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (Numerical Recipes `betacf`). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** Regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T > t) for Student's t with `df` degrees of freedom (upper tail). */
export function studentTUpperTail(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 0 : 1;
  if (!(df > 0)) return Number.NaN;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** P(Z > z) for the standard normal (via the complementary error function). */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * Complementary error function, to ~1e-14: the Taylor series of erf below |x| = 2.5, the
 * Lentz continued fraction of erfc above.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  let result: number;
  if (z < 2.5) {
    let term = z;
    let sum = z;
    const z2 = z * z;
    for (let n = 1; n < 200; n++) {
      term *= -z2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    result = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(z) = exp(−z²)/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + ...)))) evaluated bottom-up.
    let f = z;
    for (let k = 60; k >= 1; k--) f = z + k / 2 / f;
    result = Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  }
  return x >= 0 ? result : 2 - result;
}

// ── Tests ────────────────────────────────────────────────────────────────────────────────

export interface SampleSummary {
  n: number;
  mean: number;
  /** Sample variance (n − 1). */
  variance: number;
}

export interface TestResult {
  statistic: number;
  /** Degrees of freedom (Welch–Satterthwaite) for the t-test; Infinity for the z-test. */
  df: number;
  /** One-sided p-value of "current is greater than baseline". */
  pValue: number;
}

/**
 * Welch's two-sample t-test from summaries, one-sided: H1 = mean(current) > mean(baseline).
 * Both samples need at least two values; when both variances are 0 the result is decided by the
 * means alone (p = 0 if current is higher, 1 otherwise).
 */
export function welchTTest(current: SampleSummary, baseline: SampleSummary): TestResult {
  if (current.n < 2 || baseline.n < 2) return { statistic: 0, df: 0, pValue: 1 };
  const a = current.variance / current.n;
  const b = baseline.variance / baseline.n;
  const se = Math.sqrt(a + b);
  const diff = current.mean - baseline.mean;
  if (se === 0) return { statistic: diff > 0 ? Infinity : 0, df: Infinity, pValue: diff > 0 ? 0 : 1 };
  const t = diff / se;
  const df = ((a + b) * (a + b)) / ((a * a) / (current.n - 1) + (b * b) / (baseline.n - 1));
  return { statistic: t, df, pValue: studentTUpperTail(t, df) };
}

/**
 * Two-proportion z-test with a pooled proportion, one-sided: H1 = the current success
 * proportion is lower than the baseline's.
 */
export function twoProportionZTest(
  currentSuccesses: number,
  currentTotal: number,
  baselineSuccesses: number,
  baselineTotal: number,
): TestResult {
  if (currentTotal <= 0 || baselineTotal <= 0) return { statistic: 0, df: Infinity, pValue: 1 };
  const p1 = currentSuccesses / currentTotal;
  const p2 = baselineSuccesses / baselineTotal;
  const pooled = (currentSuccesses + baselineSuccesses) / (currentTotal + baselineTotal);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / currentTotal + 1 / baselineTotal));
  if (se === 0) return { statistic: 0, df: Infinity, pValue: p1 < p2 ? 0 : 1 };
  const z = (p2 - p1) / se;
  return { statistic: z, df: Infinity, pValue: normalUpperTail(z) };
}

/** 53-bit string hash (cyrb53), the core's (its false-positive rate is documented there). */
export { hashString } from '../core/recent-keys.js';

/** Median of a small array (copies and sorts; for snapshot-time use only). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
