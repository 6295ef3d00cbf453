import { describe, expect, it } from 'vitest';
import {
  RunningStats,
  incompleteBeta,
  normalUpperTail,
  studentTUpperTail,
  twoProportionZTest,
  welchTTest,
} from '../../src/analyzers/stats-math.js';

describe('stats-math', () => {
  it('Welford gives the mean and sample variance of 2,4,4,4,5,5,7,9', () => {
    const s = new RunningStats();
    for (const v of [2, 4, 4, 4, 5, 5, 7, 9]) s.add(v);
    expect(s.mean).toBe(5);
    // Σ(x − 5)² = 32; sample variance 32 / 7.
    expect(s.variance).toBeCloseTo(32 / 7, 12);
    expect(s.z(9)).toBeCloseTo(4 / Math.sqrt(32 / 7), 12);
  });

  it('incomplete beta: I_x(1,1) = x and I_0.5(a,a) = 0.5', () => {
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 10);
    expect(incompleteBeta(0.5, 3.5, 3.5)).toBeCloseTo(0.5, 10);
  });

  it('Student t tails match the tables', () => {
    // Tables: t(0.975, 10) = 2.228, t(0.95, 30) = 1.697, t(0.995, 5) = 4.032.
    expect(studentTUpperTail(2.228, 10)).toBeCloseTo(0.025, 4);
    expect(studentTUpperTail(1.697, 30)).toBeCloseTo(0.05, 4);
    expect(studentTUpperTail(4.032, 5)).toBeCloseTo(0.005, 4);
    expect(studentTUpperTail(-2.228, 10)).toBeCloseTo(0.975, 4);
    // df = 1 is Cauchy: P(T > 1) = 1/4.
    expect(studentTUpperTail(1, 1)).toBeCloseTo(0.25, 10);
  });

  it('normal tail: P(Z > 1.645) = 0.05, P(Z > 0) = 0.5', () => {
    expect(normalUpperTail(1.6449)).toBeCloseTo(0.05, 5);
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 6);
    expect(normalUpperTail(-1.96)).toBeCloseTo(0.975, 5);
  });

  it('Welch t-test from summaries', () => {
    // current mean 12, var 4, n 10; baseline mean 10, var 4, n 10:
    // se = sqrt(0.4 + 0.4) = 0.8944, t = 2.2361, df = 18.
    const r = welchTTest({ n: 10, mean: 12, variance: 4 }, { n: 10, mean: 10, variance: 4 });
    expect(r.statistic).toBeCloseTo(2 / Math.sqrt(0.8), 10);
    expect(r.df).toBeCloseTo(18, 10);
    expect(r.pValue).toBeCloseTo(studentTUpperTail(2 / Math.sqrt(0.8), 18), 12);
    expect(r.pValue).toBeGreaterThan(0.01);
    expect(r.pValue).toBeLessThan(0.025);
    expect(welchTTest({ n: 1, mean: 100, variance: 0 }, { n: 10, mean: 1, variance: 1 }).pValue).toBe(1);
  });

  it('two-proportion z-test', () => {
    // 70/100 now vs 90/100 before: pooled 0.8, se = sqrt(0.8·0.2·0.02) = 0.0566, z = 3.5355.
    const r = twoProportionZTest(70, 100, 90, 100);
    expect(r.statistic).toBeCloseTo(0.2 / Math.sqrt(0.8 * 0.2 * 0.02), 10);
    expect(r.pValue).toBeLessThan(0.001);
    expect(twoProportionZTest(95, 100, 90, 100).pValue).toBeGreaterThan(0.5);
  });
});
