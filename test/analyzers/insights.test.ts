import { describe, expect, it } from 'vitest';
import { createObserver, defineAnalyzer, type Analyzer, type FleetEvent } from 'fleetscope';
import { insightsAnalyzer, patternsAnalyzer, type InsightsSnapshot } from 'fleetscope/analyzers';
import type { Finding } from '../../src/analyzers/types.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

/** An analyzer whose snapshot holds the findings given (as a built-in's would). */
const fixed = (name: string, findings: Finding[]) => defineAnalyzer({ name, snapshot: () => ({ findings }) });

function toolRuns(failures: number, total: number) {
  return Array.from({ length: total }, (_, i) => ({
    type: 'tool.end' as const,
    timestamp: T0 + i * 1000,
    sessionId: 's1',
    agentId: 'worker',
    payload: { toolName: 'deploy', status: i < failures ? ('error' as const) : ('success' as const), durationMs: 100, error: i < failures ? 'HTTP 503' : undefined },
  }));
}

async function insightsFor(events: object[], analyzers: Analyzer[]) {
  const observer = createObserver({ analyzers, storage: false });
  const emitted: FleetEvent[] = [];
  observer.on('insight', (e) => void emitted.push(e));
  for (const e of events) observer.emit(e as never);
  await observer.flush();
  const first = observer.snapshot().insights as InsightsSnapshot;
  const second = observer.snapshot().insights as InsightsSnapshot;
  const report = await observer.report();
  await observer.close();
  return { first, second, emitted, report };
}

describe('insightsAnalyzer', () => {
  it('a tool failing 6 of 10 times gives a recurring-failure insight in the report; 1 of 10 does not', async () => {
    const six = await insightsFor(toolRuns(6, 10), [patternsAnalyzer(), insightsAnalyzer({ sources: ['patterns'] })]);
    const insight = six.first.insights.find((i) => i.rule === 'tool.recurring_failure');
    expect(insight).toBeDefined();
    expect(insight!.category).toBe('reliability');
    expect(insight!.priority).toBe('high'); // 60% < 80% → high, not critical
    expect(insight!.evidence).toMatchObject({ attempts: 10, failures: 6, failureRate: 0.6 });
    expect(insight!.recommendation).toContain('failed 6 of 10 attempts');
    expect(six.report).toContain('(tool.recurring_failure, from patterns)');

    const one = await insightsFor(toolRuns(1, 10), [patternsAnalyzer(), insightsAnalyzer({ sources: ['patterns'] })]);
    expect(one.first.insights.find((i) => i.rule === 'tool.recurring_failure')).toBeUndefined();
    expect(one.report).not.toContain('tool.recurring_failure');
  });

  it('a long session a person drove (prompts typed) gets advice for an interactive user, a programmatic one the step-limit advice', async () => {
    const sessions = (prompts: number) =>
      [100, 120, 80, 110, 90, 1000].flatMap((minutes, i) => [
        { type: 'session.start', timestamp: T0, sessionId: `s${i}`, payload: {} },
        // The long session's prompts, as the Claude Code hook and transcripts runners emit them.
        ...Array.from({ length: i === 5 ? prompts : 0 }, (_, k) => ({ type: 'message', timestamp: T0 + k * 60_000, sessionId: 's5', payload: { role: 'user', kind: 'prompt', text: `prompt ${k}` } })),
        { type: 'session.end', timestamp: T0 + minutes * 60_000, sessionId: `s${i}`, payload: {} },
      ]);
    const interactive = await insightsFor(sessions(7), [patternsAnalyzer(), insightsAnalyzer({ sources: ['patterns'] })]);
    const human = interactive.first.insights.find((i) => i.title.includes('s5'));
    expect(human?.rule).toBe('session.long_interactive');
    expect(human!.evidence).toMatchObject({ prompts: 7, interactive: true, durationMs: 60_000_000 });
    // Median of 80, 90, 100, 110, 120, 1000 minutes = 105 minutes; 1000 / 105 = 9.52.
    expect(human!.title).toBe('Session s5 ran 9.52× your median session, over 7 prompts');
    expect(human!.recommendation).toContain('/clear');
    expect(human!.recommendation).not.toContain('step or time limit');

    const programmatic = await insightsFor(sessions(0), [patternsAnalyzer(), insightsAnalyzer({ sources: ['patterns'] })]);
    const run = programmatic.first.insights.find((i) => i.title.includes('s5'));
    expect(run?.rule).toBe('session.long');
    expect(run!.recommendation).toContain('step or time limit');
  });

  it('emits each new insight once, sorted by priority, merging repeated findings', async () => {
    const findings: Finding[] = [
      { analyzer: 'fake', kind: 'fleet.low_parallelization', severity: 'low', title: 'w1 sequential', location: { workflowId: 'w1' }, evidence: { parallelizationRatio: 0 } },
      { analyzer: 'fake', kind: 'fleet.low_parallelization', severity: 'low', title: 'w2 sequential', location: { workflowId: 'w2' }, evidence: { parallelizationRatio: 0.1 } },
      { analyzer: 'fake', kind: 'cost.budget_exceeded', severity: 'high', title: 'over budget', evidence: { limitUsd: 1, spentUsd: 1.5, scope: 'total' } },
      { analyzer: 'fake', kind: 'something.new', severity: 'critical', title: 'brand new kind', evidence: {} },
    ];
    const r = await insightsFor([], [fixed('fake', findings), insightsAnalyzer({ sources: ['fake'] })]);
    expect(r.first.insights.map((i) => [i.rule, i.priority])).toEqual([
      ['something.new', 'critical'], // no rule: the generic one, priority from severity
      ['cost.budget_exceeded', 'high'],
      ['fleet.parallelize', 'medium'],
    ]);
    const parallel = r.first.insights.find((i) => i.rule === 'fleet.parallelize')!;
    expect(parallel.occurrences).toBe(2);
    expect(parallel.category).toBe('efficiency');
    expect(r.first.byPriority).toEqual({ critical: 1, high: 1, medium: 1, low: 0 });
    // Read three times (two snapshots and the report): still one event per insight.
    expect(r.emitted.map((e) => (e.payload as { rule: string }).rule).sort()).toEqual(['cost.budget_exceeded', 'fleet.parallelize', 'something.new']);
    expect(r.second.insights.find((i) => i.rule === 'fleet.parallelize')!.occurrences).toBe(2);
  });

  it('a merged insight shows one finding throughout: title, impact, evidence and recommendation agree, other places listed', async () => {
    const budget = (session: string, spentUsd: number): Finding => ({
      analyzer: 'cost', kind: 'cost.budget_exceeded', severity: 'high', title: `Session ${session} budget of $0.14 exceeded`,
      location: { sessionId: session }, evidence: { scope: 'session', key: session, limitUsd: 0.14, spentUsd },
    });
    const share = (workflowId: string, impact: number, severity: Finding['severity']): Finding => ({
      analyzer: 'bottlenecks', kind: 'bottleneck.llm_api', severity, title: `agent w takes ${impact * 100}% of workflow ${workflowId}'s wall time`,
      location: { workflowId, agentId: 'w', operation: 'agent:w' }, evidence: { reason: 'workflow_share', impact },
    });
    const r = await insightsFor([], [
      fixed('fake', [
        budget('s2', 0.1414), budget('s5', 0.1688),
        // The high one comes first; the later medium ones must not replace its words.
        share('wf1', 0.8, 'high'), share('wf2', 0.4, 'medium'), share('wf3', 0.35, 'medium'),
      ]),
      insightsAnalyzer({ sources: ['fake'] }),
    ]);
    const b = r.first.insights.filter((i) => i.rule === 'cost.budget_exceeded');
    expect(b).toHaveLength(1);
    // The representative is the latest (s5): $0.1688 − $0.14 = $0.0288 over.
    expect(b[0]).toMatchObject({ occurrences: 2, title: 'Session s5 budget of $0.14 exceeded (and 1 other session)', impact: '$0.0288 over budget', location: { sessionId: 's5' } });
    expect(b[0]!.evidence).toMatchObject({ key: 's5', spentUsd: 0.1688, alsoIn: 'session s2' });
    expect(b[0]!.recommendation).toContain('($0.1688)');
    const w = r.first.insights.find((i) => i.rule === 'agent.dominates_workflow')!;
    expect(w).toMatchObject({ occurrences: 3, priority: 'high', title: "agent w takes 80% of workflow wf1's wall time (and 2 other workflows)", location: { workflowId: 'wf1' } });
    expect(w.evidence).toMatchObject({ impact: 0.8, alsoIn: 'workflow wf2, workflow wf3' });
    expect(w.recommendation).toContain('80%');
    // Stable across reads.
    expect(r.second.insights.find((i) => i.rule === 'cost.budget_exceeded')!.title).toBe(b[0]!.title);
  });

  it('a merged title that names no place says in how many places', async () => {
    const repeated = (session: string, calls: number): Finding => ({
      analyzer: 'patterns', kind: 'pattern.repeated_call', severity: 'low', title: `Read repeated ${calls}× in ${session}`,
      location: { sessionId: session, toolName: 'Read', operation: 'tool:Read' }, evidence: { calls },
    });
    const r = await insightsFor([], [fixed('fake', [repeated('a', 4), repeated('b', 5), repeated('c', 6), repeated('d', 7), repeated('e', 9)]), insightsAnalyzer({ sources: ['fake'] })]);
    const i = r.first.insights.find((x) => x.rule === 'tool.repeated_call')!;
    // The rule's title ("Read is called again and again …") names no session: "in 5 sessions".
    // Representative: the last (e, 9 calls → 8 redundant); the other four, three shown.
    expect(i).toMatchObject({ occurrences: 5, title: 'Read is called again and again with the same input (in 5 sessions)', impact: '8 redundant calls per session' });
    expect(i.evidence).toMatchObject({ calls: 9, alsoIn: 'session a, session b, session c and 1 more' });
  });

  it('picks the rule by the finding\'s reason: a slow agent is not phrased as slow LLM calls', async () => {
    const base = { analyzer: 'bottlenecks', kind: 'bottleneck.llm_api', severity: 'medium' as const };
    const r = await insightsFor([], [
      fixed('fake', [
        { ...base, title: 'agent planner takes 325 ms on average', location: { agentId: 'planner', operation: 'agent:planner' }, evidence: { reason: 'slow_agent', durationMs: 325, p95Ms: 579, count: 6, frequencyPerHour: 360, ownShare: 0.05 } },
        { ...base, title: 'm p95 latency is 40000 ms', location: { model: 'm', operation: 'llm:m' }, evidence: { reason: 'llm_latency', durationMs: 9000, p95Ms: 40_000, count: 50 } },
      ]),
      insightsAnalyzer({ sources: ['fake'] }),
    ]);
    const agent = r.first.insights.find((i) => i.location?.agentId === 'planner')!;
    expect(agent.rule).toBe('agent.slow');
    expect(agent.recommendation).not.toContain('LLM calls');
    // ownShare 0.05 → 95% of its time waiting for children.
    expect(agent.recommendation).toContain('95% of its time it waits for its child agents');
    expect(agent.impact).toBe('6 runs of 325 ms on average (360.0 per hour)');
    const llm = r.first.insights.find((i) => i.location?.model === 'm')!;
    expect(llm.rule).toBe('llm.slow_calls');
    expect(llm.recommendation).toContain('LLM calls to m are slow (40.0 s)');
  });

  it('applies user rules before the built-in ones', async () => {
    const findings: Finding[] = [{ analyzer: 'fake', kind: 'cost.unpriced_model', severity: 'medium', title: 'x unpriced', location: { model: 'x' }, evidence: { calls: 3 } }];
    const r = await insightsFor([], [
      fixed('fake', findings),
      insightsAnalyzer({
        sources: ['fake'],
        rules: [{ id: 'ours.unpriced', kinds: ['cost.*'], category: 'cost', priority: 'critical', recommendation: (f) => `price ${f.location?.model}`, effort: 'low' }],
      }),
    ]);
    expect(r.first.insights).toHaveLength(1);
    expect(r.first.insights[0]).toMatchObject({ rule: 'ours.unpriced', priority: 'critical', recommendation: 'price x', effort: 'low' });
  });

  it('turns insight events of custom analyzers into insights', async () => {
    const r = await insightsFor(
      [{ type: 'insight', source: 'analyzer:mine', payload: { rule: 'mine.rule', title: 'Mine', category: 'quality', priority: 'low', confidence: 0.5, recommendation: 'do it', evidence: { impact: 'small', effort: 'low' } } }],
      [fixed('fake', []), insightsAnalyzer({ sources: ['fake'] })],
    );
    expect(r.first.insights).toHaveLength(1);
    expect(r.first.insights[0]).toMatchObject({ rule: 'mine.rule', source: 'analyzer:mine', impact: 'small', effort: 'low', kind: 'insight.event' });
  });

  it('rejects a rule without a recommendation at construction', () => {
    expect(() => insightsAnalyzer({ rules: [{ id: 'x', kinds: ['a'], category: 'cost' } as never] })).toThrow(/\[fleetscope\] \[insights\]/);
  });
});
