/**
 * A day or month cost projection only from at least an hour of priced activity (configurable),
 * with the observed span printed beside it.
 */
import { describe, expect, it } from 'vitest';
import { createObserver } from 'fleetscope';
import { costAnalyzer, type CostSnapshot } from 'fleetscope/analyzers';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

async function run(spanMs: number, minProjectionSpanMs?: number) {
  const observer = createObserver({ storage: false, analyzers: [costAnalyzer(minProjectionSpanMs === undefined ? {} : { minProjectionSpanMs })] });
  // Two calls of $1.50 each, spanMs apart.
  for (const t of [T0, T0 + spanMs]) observer.emit({ type: 'llm.call', timestamp: t, payload: { model: 'm', costUsd: 1.5, status: 'success' } });
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
});
