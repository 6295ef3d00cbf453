import { describe, expect, it } from 'vitest';
import { createObserver, type EventInput } from 'fleetscope';
import { fleetAnalyzer, type FleetOptions, type FleetSnapshot } from '../../src/analyzers/fleet.js';
import { criticalPath, parallelSaving, parallelizationRatio, unionLength } from '../../src/analyzers/fleet-math.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
const span = (n: number) => n.toString(16).padStart(16, '0');

interface Run {
  n: number;
  name: string;
  start: number;
  end?: number;
  parent?: number;
  status?: 'success' | 'error';
  workflowId?: string;
}

function agentEvents(runs: Run[]): EventInput[] {
  const events: EventInput[] = [];
  for (const r of runs) {
    const common = { sessionId: 's1', agentId: r.name, workflowId: r.workflowId ?? 'wf', spanId: span(r.n), parentSpanId: r.parent === undefined ? undefined : span(r.parent) };
    events.push({ ...common, type: 'agent.start', timestamp: T0 + r.start, payload: { name: r.name } });
    if (r.end !== undefined) {
      events.push({ ...common, type: 'agent.end', timestamp: T0 + r.end, payload: { name: r.name, status: r.status ?? 'success', durationMs: r.end - r.start } });
    }
  }
  return events.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
}

/** `later`: the clock moves on to this time after the events arrived (a live observer that went quiet). */
async function run(events: EventInput[], options: FleetOptions = {}, clock = () => T0 + 60_000, later?: number) {
  let moved: number | undefined;
  const observer = createObserver({ analyzers: [fleetAnalyzer(options)], storage: false, clock: () => moved ?? clock() });
  for (const e of events) observer.emit(e as never);
  await observer.flush();
  moved = later;
  const snapshot = observer.snapshot().fleet as FleetSnapshot;
  await observer.close();
  return snapshot;
}

describe('fleet math', () => {
  it('gives 0 for sequential, 1 for fully parallel, null when undefined', () => {
    expect(parallelizationRatio([{ id: 'a', start: 0, end: 10 }, { id: 'b', start: 10, end: 30 }, { id: 'c', start: 30, end: 35 }])).toBe(0);
    expect(parallelizationRatio([{ id: 'a', start: 0, end: 10 }, { id: 'b', start: 0, end: 10 }, { id: 'c', start: 2, end: 8 }])).toBe(1);
    expect(parallelizationRatio([{ id: 'a', start: 0, end: 10 }])).toBeNull();
    expect(parallelizationRatio([{ id: 'a', start: 0, end: 10 }, { id: 'b', start: 5, end: 5 }])).toBeNull();
    expect(unionLength([{ id: 'a', start: 0, end: 10 }, { id: 'b', start: 5, end: 15 }, { id: 'c', start: 20, end: 30 }])).toBe(25);
  });

  it('parallel saving = union − longest: 1 s, 2 s, 3 s in a row → 6 − 3 = 3 s; already parallel → 0', () => {
    expect(parallelSaving([{ id: 'a', start: 0, end: 1000 }, { id: 'b', start: 1000, end: 3000 }, { id: 'c', start: 3000, end: 6000 }])).toBe(3000);
    // A [0,10], B [5,15], C [20,30]: union 25, longest 10 → 15.
    expect(parallelSaving([{ id: 'a', start: 0, end: 10 }, { id: 'b', start: 5, end: 15 }, { id: 'c', start: 20, end: 30 }])).toBe(15);
    expect(parallelSaving([{ id: 'a', start: 0, end: 10 }, { id: 'b', start: 2, end: 8 }])).toBe(0);
    expect(parallelSaving([])).toBe(0);
  });
});

describe('fleetAnalyzer', () => {
  it('three agents with known times: exact ratio and critical path', async () => {
    // A [0,10s], B [5s,15s], C [20s,30s]: S = 30s, union = 25s, longest = 10s
    // ratio = (30 − 25) / (30 − 10) = 0.25. Critical path: C ended last; before C started (20s)
    // the last to end was B (15s); before B started (5s) nothing had ended → B → C, 20s.
    const snapshot = await run(agentEvents([
      { n: 1, name: 'A', start: 0, end: 10_000 },
      { n: 2, name: 'B', start: 5_000, end: 15_000 },
      { n: 3, name: 'C', start: 20_000, end: 30_000 },
    ]));
    const wf = snapshot.workflows[0]!;
    expect(wf.workflowId).toBe('wf');
    expect(wf.parallelizationRatio).toBe(0.25);
    expect(wf.wallClockMs).toBe(30_000);
    expect(wf.summedExecutionMs).toBe(30_000);
    expect(wf.leafBusyMs).toBe(25_000);
    expect(wf.averageConcurrency).toBe(1.2);
    expect(wf.criticalPath.steps.map((s) => s.name)).toEqual(['B', 'C']);
    expect(wf.criticalPath.durationMs).toBe(20_000);
    expect(wf.executionOrder).toEqual(['A', 'B', 'C']);
    expect(wf.timeline.map((t) => t.offsetMs)).toEqual([0, 5_000, 20_000]);
    expect(wf.agents).toEqual({ pending: 0, running: 0, completed: 3, failed: 0 });
    expect(wf.state).toBe('completed');
  });

  it('measures the workers under a planner, not the planner that waits for them', async () => {
    // planner [0,100] waits for w1 [10,50] then w2 [50,90]: sequential workers → 0.
    const sequential = await run(agentEvents([
      { n: 1, name: 'planner', start: 0, end: 100_000 },
      { n: 2, name: 'w1', start: 10_000, end: 50_000, parent: 1 },
      { n: 3, name: 'w2', start: 50_000, end: 90_000, parent: 1 },
      { n: 4, name: 'w3', start: 90_000, end: 95_000, parent: 1, status: 'error' },
    ]));
    const wf = sequential.workflows[0]!;
    expect(wf.leafExecutions).toBe(3);
    expect(wf.parallelizationRatio).toBe(0);
    expect(wf.summedExecutionMs).toBe(185_000);
    expect(wf.criticalPath.steps.map((s) => [s.name, s.depth])).toEqual([['planner', 0], ['w1', 1], ['w2', 1], ['w3', 1]]);
    expect(wf.criticalPath.durationMs).toBe(100_000);
    expect(wf.agents.failed).toBe(1);
    const kinds = sequential.findings.map((f) => f.kind);
    expect(kinds).toContain('fleet.low_parallelization');
    expect(kinds).toContain('fleet.failed_agents');
    const low = sequential.findings.find((f) => f.kind === 'fleet.low_parallelization')!;
    // Leaves w1 [10,50], w2 [50,90], w3 [90,95]: union 85 s − longest 40 s = 45 s saved if run side by side.
    expect(low.evidence.parallelizationRatio).toBe(0);
    expect(low.evidence.potentialSavingMs).toBe(45_000);

    // Same workers side by side → 1.
    const parallel = await run(agentEvents([
      { n: 1, name: 'planner', start: 0, end: 60_000 },
      { n: 2, name: 'w1', start: 10_000, end: 50_000, parent: 1 },
      { n: 3, name: 'w2', start: 10_000, end: 50_000, parent: 1 },
      { n: 4, name: 'w3', start: 10_000, end: 30_000, parent: 1 },
    ]));
    expect(parallel.workflows[0]!.parallelizationRatio).toBe(1);
    expect(parallel.findings.map((f) => f.kind)).not.toContain('fleet.low_parallelization');
  });

  it('low parallelization is raised only with a material saving, which it states', async () => {
    // Three independent leaves one after another: 1 s, 2 s, 3 s (wall 6 s).
    // ratio = (S − U)/(S − L) = (6 − 6)/(6 − 3) = 0; saving = U − L = 6 − 3 = 3 s = 50% of the wall.
    const seq = await run(agentEvents([
      { n: 1, name: 'a', start: 0, end: 1000 },
      { n: 2, name: 'b', start: 1000, end: 3000 },
      { n: 3, name: 'c', start: 3000, end: 6000 },
    ]));
    expect(seq.workflows[0]!.parallelizationRatio).toBe(0);
    expect(seq.workflows[0]!.potentialSavingMs).toBe(3000);
    const low = seq.findings.find((f) => f.kind === 'fleet.low_parallelization')!;
    expect(low.evidence).toMatchObject({ parallelizationRatio: 0, wallClockMs: 6000, potentialSavingMs: 3000, savingShare: 0.5 });
    expect(low.title).toContain('up to 3.0 s of 6.0 s could be saved');

    // One long leaf and two short ones in a row: 10 s, 0.5 s, 0.5 s (wall 11 s), ratio 0 but
    // saving = 11 − 10 = 1 s = 9% of the wall (< 20%): not worth a finding.
    const small = await run(agentEvents([
      { n: 1, name: 'a', start: 0, end: 10_000 },
      { n: 2, name: 'b', start: 10_000, end: 10_500 },
      { n: 3, name: 'c', start: 10_500, end: 11_000 },
    ]));
    expect(small.workflows[0]!.parallelizationRatio).toBe(0);
    expect(small.workflows[0]!.potentialSavingMs).toBe(1000);
    expect(small.findings.map((f) => f.kind)).not.toContain('fleet.low_parallelization');

    // Same shape scaled down to 60 ms, 30 ms, 30 ms: saving 60 ms = 50% but < 100 ms: none;
    // with lowParallelMinSavingMs 50 it is raised.
    const tiny = agentEvents([
      { n: 1, name: 'a', start: 0, end: 60 },
      { n: 2, name: 'b', start: 60, end: 90 },
      { n: 3, name: 'c', start: 90, end: 120 },
    ]);
    expect((await run(tiny)).findings.map((f) => f.kind)).not.toContain('fleet.low_parallelization');
    const tinyLow = (await run(tiny, { lowParallelMinSavingMs: 50 })).findings.find((f) => f.kind === 'fleet.low_parallelization')!;
    expect(tinyLow.evidence.potentialSavingMs).toBe(60);
  });

  it('reports running, orphan ends, slow agents and totals without crashing', async () => {
    const events = agentEvents([
      { n: 1, name: 'a', start: 0, end: 1_000 },
      { n: 2, name: 'b', start: 0, end: 1_200 },
      { n: 3, name: 'c', start: 0, end: 9_000 },
      { n: 4, name: 'stuck', start: 0 },
    ]);
    events.push({ type: 'agent.end', timestamp: T0 + 5_000, sessionId: 's1', agentId: 'ghost', workflowId: 'wf', spanId: span(99), payload: { name: 'ghost', status: 'success' } });
    events.push({ type: 'llm.call', timestamp: T0 + 500, sessionId: 's1', agentId: 'a', workflowId: 'wf', payload: { model: 'claude-haiku-4-5', status: 'success', inputTokens: 1_000_000 } });
    events.push({ type: 'llm.call', timestamp: T0 + 600, sessionId: 's1', agentId: 'a', workflowId: 'wf', payload: { model: 'my-local-model', status: 'success', inputTokens: 10 } });
    // Received live (the clock at the last event), then 2 h of silence: `stuck` is stale.
    const snapshot = await run(events, {}, () => T0 + 9_000, T0 + 7_200_000);
    const wf = snapshot.workflows[0]!;
    expect(wf.agents.running).toBe(1);
    expect(wf.state).toBe('active');
    expect(snapshot.dataQuality.orphanEnds).toBe(1);
    expect(snapshot.dataQuality.stale).toBe(1);
    expect(snapshot.findings.map((f) => f.kind)).toContain('fleet.stuck_agent');
    // Durations 1000, 1200, 9000 and 7,200,000 (running until now): median 5100; c is 1.76× → not slow;
    // the running one is 1411× the median → slow.
    expect(wf.slowAgents.map((s) => s.name)).toEqual(['stuck']);
    expect(wf.costUsd).toBeCloseTo(1, 9);
    expect(wf.unpricedCalls).toBe(1);
    expect(snapshot.totals).toMatchObject({ workflows: 1, activeWorkflows: 1, executions: 4, running: 1, completed: 3, failed: 0, unpricedCalls: 1 });
  });

  it('counts a call without usage as unknown cost, not $0, as the cost analyzer does', async () => {
    const events = agentEvents([{ n: 1, name: 'a', start: 0, end: 1_000 }]);
    const llm = { sessionId: 's1', agentId: 'a', workflowId: 'wf' } as const;
    // claude-haiku-4-5: $1 per million input tokens → 500,000 input = $0.50.
    events.push({ ...llm, type: 'llm.call', timestamp: T0 + 100, payload: { model: 'claude-haiku-4-5', status: 'success', inputTokens: 500_000 } });
    events.push({ ...llm, type: 'llm.call', timestamp: T0 + 200, payload: { model: 'claude-haiku-4-5', status: 'success' } });
    events.push({ ...llm, type: 'llm.call', timestamp: T0 + 300, payload: { model: 'claude-haiku-4-5', status: 'success', costUsd: 0.25 } });
    const wf = (await run(events)).workflows[0]!;
    expect(wf.llmCalls).toBe(3);
    expect(wf.costUsd).toBeCloseTo(0.75, 9);
    expect(wf.unpricedCalls).toBe(1);
  });

  it('falls back to the session as workflow and pairs by agentId without span ids', async () => {
    const snapshot = await run([
      { type: 'agent.start', timestamp: T0, sessionId: 'sx', agentId: 'solo', payload: { name: 'solo' } },
      { type: 'agent.end', timestamp: T0 + 2000, sessionId: 'sx', agentId: 'solo', payload: { name: 'solo', status: 'success' } },
    ]);
    const wf = snapshot.workflows[0]!;
    expect(wf.workflowId).toBe('session:sx');
    expect(wf.wallClockMs).toBe(2000);
    expect(wf.parallelizationRatio).toBeNull(); // one agent: undefined
  });

  it('without span ids, one agentId in two sessions of a workflow is two executions, each ended by its own session', async () => {
    const agent = (type: 'agent.start' | 'agent.end', t: number, sessionId: string) =>
      ({ type, timestamp: T0 + t, sessionId, agentId: 'a', workflowId: 'w', payload: type === 'agent.start' ? { name: 'a' } : { name: 'a', status: 'success' } }) as EventInput;
    const snapshot = await run([agent('agent.start', 0, 's1'), agent('agent.start', 1000, 's2'), agent('agent.end', 3000, 's2'), agent('agent.end', 4000, 's1')]);
    const wf = snapshot.workflows[0]!;
    expect(wf.timeline.map((e) => [e.id, e.start - T0, e.end! - T0, e.durationMs])).toEqual([['s1/a', 0, 4000, 4000], ['s2/a', 1000, 3000, 2000]]);
    expect(wf.agents).toEqual({ pending: 0, running: 0, completed: 2, failed: 0 });
    expect(snapshot.dataQuality.orphanEnds).toBe(0);
  });

  it('counts a spawn tool in flight as a pending agent', async () => {
    const snapshot = await run([
      { type: 'tool.start', timestamp: T0, sessionId: 's1', agentId: 'lead', workflowId: 'w', spanId: span(7), payload: { toolName: 'Task' } },
    ]);
    expect(snapshot.workflows[0]!.agents.pending).toBe(1);
    expect(snapshot.workflows[0]!.state).toBe('active');
  });

  it('keeps bounded detail beyond maxWorkflows', async () => {
    const runs: Run[] = Array.from({ length: 10 }, (_, i) => ({ n: i + 1, name: `x${i}`, start: i * 10, end: i * 10 + 5, workflowId: `w${i}` }));
    const snapshot = await run(agentEvents(runs), { maxWorkflows: 3 });
    expect(snapshot.workflows).toHaveLength(3);
    expect(snapshot.totals.workflows).toBe(10);
    expect(snapshot.totals.executions).toBe(10);
    expect(snapshot.totals.workflowsEvicted).toBe(7);
  });

  it('evicts the oldest completed workflow before an older active one', async () => {
    // w0 starts first and never ends; w1..w4 complete one after another. With room for 3,
    // creating w3 evicts w1 (oldest completed, not w0), creating w4 evicts w2.
    const runs: Run[] = [
      { n: 1, name: 'stuck', start: 0, workflowId: 'w0' },
      ...Array.from({ length: 4 }, (_, i) => ({ n: i + 2, name: `x${i + 1}`, start: (i + 1) * 10, end: (i + 1) * 10 + 5, workflowId: `w${i + 1}` })),
    ];
    const snapshot = await run(agentEvents(runs), { maxWorkflows: 3 });
    expect(snapshot.workflows.map((w) => w.workflowId)).toEqual(['w4', 'w3', 'w0']);
    expect(snapshot.totals).toMatchObject({ workflows: 5, workflowsEvicted: 2, executions: 5, running: 1, completed: 4 });
    // Four 5 ms runs, plus the stuck one counted until the newest event (T0 + 45 ms): the clock read
    // T0 + 60 s while they arrived, so they are history being replayed, and "now" is its end.
    expect(snapshot.totals.summedExecutionMs).toBe(4 * 5 + 45);
  });
});

describe('criticalPath', () => {
  it('handles an empty set', () => {
    expect(criticalPath([])).toEqual({ steps: [], durationMs: 0 });
  });
});

describe('running time on the events\' time line', () => {
  it('replayed history: an agent open at its end is not stuck for the months since (measured to the newest event)', async () => {
    const DAY = 86_400_000;
    // Events of a day 200 days ago, read now: agent `open` starts 30 min before the last event.
    const events = agentEvents([
      { n: 1, name: 'done', start: 0, end: 7_200_000 },
      { n: 2, name: 'open', start: 5_400_000 },
    ]);
    const snapshot = await run(events, {}, () => T0 + 200 * DAY);
    expect(snapshot.findings.map((f) => f.kind)).not.toContain('fleet.stuck_agent');
    expect(snapshot.dataQuality.stale).toBe(0);
    // Running from 5,400,000 to the newest event at 7,200,000: 30 min.
    expect(snapshot.workflows[0]!.timeline.find((t) => t.name === 'open')!.durationMs).toBe(1_800_000);
  });

  it('replayed history: an agent open for over an hour before its end is stuck, for as long as the history shows', async () => {
    const events = agentEvents([
      { n: 1, name: 'open', start: 0 },
      { n: 2, name: 'done', start: 0, end: 5_400_000 },
    ]);
    const snapshot = await run(events, {}, () => T0 + 365 * 86_400_000);
    const stuck = snapshot.findings.find((f) => f.kind === 'fleet.stuck_agent')!;
    expect(stuck.evidence.runningMs).toBe(5_400_000);
    expect(stuck.title).toBe('Agent open started 90 min ago and never ended');
  });
});

describe('turns a person drives (interactive)', () => {
  /** Prompts at 0, 200 and 400 s start turns 1 (0–100 s: subagents s1, s2), 2 (200–300 s: s3) and 3 (400–410 s: none). */
  function session(s2: [number, number]): EventInput[] {
    const ev: EventInput[] = [0, 200, 400].map((t) => ({ type: 'message', timestamp: T0 + t * 1000, sessionId: 's1', workflowId: 'wf', payload: { role: 'user', kind: 'prompt' } }) as EventInput);
    const exec = (n: number, name: string, start: number, end: number, parent?: number, interactive = false) => {
      const common = { sessionId: 's1', agentId: name, workflowId: 'wf', spanId: span(n), ...(parent !== undefined ? { parentSpanId: span(parent) } : {}) };
      const extra = interactive ? { interactive: true } : { parentAgentId: 'main' };
      ev.push({ ...common, type: 'agent.start', timestamp: T0 + start * 1000, payload: { name, ...extra } });
      ev.push({ ...common, type: 'agent.end', timestamp: T0 + end * 1000, payload: { name, ...extra, status: 'success', durationMs: (end - start) * 1000 } });
    };
    exec(1, 'main', 0, 100, undefined, true);
    exec(2, 's1', 10, 30, 1);
    exec(3, 's2', s2[0], s2[1], 1);
    exec(4, 'main', 200, 300, undefined, true);
    exec(5, 's3', 210, 250, 4);
    exec(6, 'main', 400, 410, undefined, true);
    return ev.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
  }

  it('parallelization is judged within each turn, never across the turns the user paces', async () => {
    const snapshot = await run(session([30, 50]), {}, () => T0 + 500_000);
    const wf = snapshot.workflows[0]!;
    // Across turns (s1, s2, s3 and turn 3 as leaves) U − L would be 90 − 40 = 50 s. Within turn 1:
    // s1 and s2 one after the other, S = 40 s, U = 40 s, L = 20 s: ratio 0, saving 20 s; s3 is alone in turn 2.
    expect(wf).toMatchObject({ leafExecutions: 3, parallelizationRatio: 0, potentialSavingMs: 20_000 });
  });

  it('subagents side by side within a turn: S = 40 s, U = 25 s, L = 20 s → ratio 0.75, saving 5 s', async () => {
    const wf = (await run(session([15, 35]), {}, () => T0 + 500_000)).workflows[0]!;
    expect(wf).toMatchObject({ parallelizationRatio: 0.75, potentialSavingMs: 5_000 });
  });

  it('turns alone (no subagents): nothing to parallelize', async () => {
    const ev = session([30, 50]).filter((e) => e.type === 'message' || (e.payload as { name: string }).name === 'main');
    const snapshot = await run(ev, {}, () => T0 + 500_000);
    expect(snapshot.workflows[0]).toMatchObject({ leafExecutions: 0, parallelizationRatio: null, potentialSavingMs: 0 });
    expect(snapshot.findings.map((f) => f.kind)).not.toContain('fleet.low_parallelization');
  });

  it('a long turn is not a slow agent: its length is what the user asked', async () => {
    // Turns of 100 s, 100 s and 10 s: the median is 100 s. A fourth turn of 400 s is 4× the median.
    const ev = session([30, 50]).filter((e) => e.type === 'message' || (e.payload as { name: string }).name === 'main');
    ev.push({ type: 'agent.start', timestamp: T0 + 500_000, sessionId: 's1', agentId: 'main', workflowId: 'wf', spanId: span(7), payload: { name: 'main', interactive: true } });
    ev.push({ type: 'agent.end', timestamp: T0 + 900_000, sessionId: 's1', agentId: 'main', workflowId: 'wf', spanId: span(7), payload: { name: 'main', interactive: true, status: 'success', durationMs: 400_000 } });
    const snapshot = await run(ev, {}, () => T0 + 1_000_000);
    expect(snapshot.workflows[0]!.slowAgents).toEqual([]);
    expect(snapshot.findings.map((f) => f.kind)).not.toContain('fleet.slow_agent');
  });
});

describe('turns from prompts alone (transcripts: no turn executions)', () => {
  it('subagents started after different prompts are not compared; two after one prompt are', async () => {
    const ev: EventInput[] = [0, 100].map((t) => ({ type: 'message', timestamp: T0 + t * 1000, sessionId: 's1', payload: { role: 'user', kind: 'prompt' } }) as EventInput);
    // After the first prompt: a 10–30 s and b 30–50 s, one after the other; after the second: c 110–150 s.
    ev.push(...agentEvents([
      { n: 1, name: 'a', start: 10_000, end: 30_000, workflowId: undefined },
      { n: 2, name: 'b', start: 30_000, end: 50_000, workflowId: undefined },
      { n: 3, name: 'c', start: 110_000, end: 150_000, workflowId: undefined },
    ]).map((e) => ({ ...e, workflowId: undefined }) as EventInput));
    const wf = (await run(ev.sort((x, y) => (x.timestamp ?? 0) - (y.timestamp ?? 0)), {}, () => T0 + 200_000)).workflows[0]!;
    // Turn 1: S = 40 s, U = 40 s, L = 20 s → ratio 0, saving 20 s; c alone in turn 2. Across turns it would be 80 − 40 = 40 s.
    expect(wf).toMatchObject({ workflowId: 'session:s1', leafExecutions: 3, parallelizationRatio: 0, potentialSavingMs: 20_000 });
  });
});

