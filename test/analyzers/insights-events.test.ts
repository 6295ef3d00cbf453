/** Custom insights (insight events) stay current and reach listeners once. */
import { describe, expect, it } from 'vitest';
import { createObserver, type FleetEvent } from 'fleetscope';
import { insightsAnalyzer, type InsightsSnapshot } from 'fleetscope/analyzers';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
const insight = (t: number, title: string, pct: number) => ({
  type: 'insight' as const,
  timestamp: t,
  sessionId: 's1',
  source: 'analyzer:mine',
  payload: { rule: 'mine.cache', title, category: 'cost' as const, priority: 'medium' as const, confidence: 0.8, recommendation: 'cache it', evidence: { hitRate: pct } },
});

describe('insight events', () => {
  it('one re-emitted with new figures replaces the old one, and listeners get each event once', async () => {
    const observer = createObserver({ storage: false, analyzers: [insightsAnalyzer({ sources: [] })] });
    const heard: FleetEvent[] = [];
    observer.on('insight', (e) => void heard.push(e));
    observer.emit(insight(T0, 'Cache hit rate is 12%', 0.12));
    await observer.flush();
    observer.emit(insight(T0 + 60_000, 'Cache hit rate is 9%', 0.09));
    await observer.flush();
    const snap = observer.snapshot().insights as InsightsSnapshot;
    await observer.close();
    expect(snap.insights).toHaveLength(1);
    expect(snap.insights[0]).toMatchObject({ rule: 'mine.cache', title: 'Cache hit rate is 9%', evidence: { hitRate: 0.09 }, occurrences: 2, firstSeen: T0, lastSeen: T0 + 60_000 });
    // The two events the host emitted, not a copy of each from the insights analyzer.
    expect(heard.map((e) => (e.payload as { title?: string }).title)).toEqual(['Cache hit rate is 12%', 'Cache hit rate is 9%']);
  });
});
