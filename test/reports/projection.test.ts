/**
 * A day or month cost projection only from at least an hour of priced activity (configurable),
 * with the observed span printed beside it.
 */
import { describe, expect, it } from 'vitest';
import { createObserver } from 'fleetscope';
import { costAnalyzer, type CostSnapshot } from 'fleetscope/analyzers';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

async function run(spanMs: number, minProjectionSpanMs?: number, extra: number[] = []) {
  const observer = createObserver({ storage: false, analyzers: [costAnalyzer(minProjectionSpanMs === undefined ? {} : { minProjectionSpanMs })] });
  // Two calls of $1.50 each, spanMs apart (and one at each of `extra`).
  for (const t of [T0, ...extra, T0 + spanMs]) observer.emit({ type: 'llm.call', timestamp: t, payload: { model: 'm', costUsd: 1.5, status: 'success' } });
  const report = await observer.report();
  const cost = observer.snapshot().cost as CostSnapshot;
  await observer.close();
  return { report, p: cost.projections };
}

describe('cost projection', () => {
  it('is not made from 30 minutes of activity; the report says why', async () => {
    const { report, p } = await run(30 * 60_000);
    expect(p.projected).toBe(false);
    expect(p.observedSpanMs).toBe(1_800_000);
    expect(report).toContain('| Projected | not projected: 30.0 min of activity observed, at least 60.0 min needed |');
    expect(report).toContain('_Not projected: the priced calls span 30.0 min');
    expect(report).not.toMatch(/\/ month/);
  });

  it('says the span observed, not the rate\'s one-minute floor; one priced call is "fewer than 2"', async () => {
    // Was: "1.0 min of activity observed" for two calls 20 s apart, and for a single call.
    const { report, p } = await run(20_000);
    expect(p.observedSpanMs).toBe(20_000);
    // $3 over the rate's floor of a minute: $180 / h.
    expect(p.ratePerHourUsd).toBe(180);
    expect(report).toContain('| Projected | not projected: 20.00 s of activity observed, at least 60.0 min needed |');
    const observer = createObserver({ storage: false, analyzers: [costAnalyzer()] });
    observer.emit({ type: 'llm.call', timestamp: T0, payload: { model: 'm', costUsd: 1.5, status: 'success' } });
    const single = await observer.report();
    expect((observer.snapshot().cost as CostSnapshot).projections).toMatchObject({ projected: false, notProjected: 'no-calls', observedSpanMs: 0 });
    await observer.close();
    expect(single).toContain('| Projected | not projected: fewer than 2 priced calls |');
    expect(single).toContain('_Not projected: fewer than 2 priced calls: no rate to project._');
  });

  it('is made from 2 hours, with the observed span beside it', async () => {
    const { report, p } = await run(2 * 3_600_000);
    expect(p.projected).toBe(true);
    // $3 over 2 h = $1.50 / h: $36 / day, $1080 / 30 days.
    expect(p.day.baseline).toBe(36);
    expect(p.month.baseline).toBe(1080);
    expect(report).toContain('$36.00 / day, $1080 / month');
    expect(report).toContain('from 120.0 min observed');
    expect(report).toContain('_Observed span: 120.0 min.');
  });

  it('the threshold is the cost option minProjectionSpanMs', async () => {
    expect((await run(30 * 60_000, 10 * 60_000)).p.projected).toBe(true);
  });

  it('is not made from disjoint sessions: calls on 2 of the 40 days they span', async () => {
    const DAY = 86_400_000;
    const { report, p } = await run(39 * DAY);
    expect(p).toMatchObject({ projected: false, notProjected: 'sparse', activeDays: 2, spanDays: 40 });
    expect(report).toContain('| Projected | not projected: priced calls on 2 of 40 days |');
    expect(report).toContain('_Not projected: priced calls on 2 of the 40 days they span (separate sessions)');
    expect(report).not.toMatch(/\/ month/);
  });

  it('is made from a working week: calls on 5 of 7 days (at least half, minActiveDayShare 0.5)', async () => {
    const DAY = 86_400_000;
    const { p } = await run(6 * DAY, undefined, [1, 2, 3].map((d) => T0 + d * DAY));
    expect(p).toMatchObject({ projected: true, activeDays: 5, spanDays: 7 });
    // $7.50 over 6 days: $1.25 / day.
    expect(p.day.baseline).toBe(1.25);
    const sparse = await run(6 * DAY, undefined, [1, 2].map((d) => T0 + d * DAY));
    // 4 of 7 days still reach half; 3 of 7 would not.
    expect(sparse.p).toMatchObject({ projected: true, activeDays: 4 });
  });
});
