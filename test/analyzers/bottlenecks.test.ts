import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { bottlenecksAnalyzer, type BottlenecksOptions, type BottlenecksSnapshot } from '../../src/analyzers/bottlenecks.js';
import { insightsAnalyzer, type InsightsSnapshot } from '../../src/analyzers/insights.js';

const T0 = 1_700_002_800_000;

function setup(options: BottlenecksOptions = {}) {
  const observer = createObserver({ analyzers: [bottlenecksAnalyzer(options)], storage: false, clock: () => T0 + 7_200_000 });
  return { observer, snap: () => observer.snapshot().bottlenecks as BottlenecksSnapshot };
}

describe('bottlenecksAnalyzer', () => {
  it('flags slow tools (mean > 5 s or p95 > 10 s) with type, frequency and impact', async () => {
    const { observer, snap } = setup();
    // Over one hour (T0 .. T0 + 3.6 M ms): 4 Bash calls of 6 s (mean > 5 s), 4 WebFetch of 1 s, 4 Read of 100 ms.
    for (let i = 0; i < 4; i++) {
      observer.emit({ type: 'tool.end', timestamp: T0 + i * 1_200_000, payload: { toolName: 'Bash', status: 'success', durationMs: 6000 } });
      observer.emit({ type: 'tool.end', timestamp: T0 + i * 1_200_000, payload: { toolName: 'WebFetch', status: 'success', durationMs: 1000 } });
      observer.emit({ type: 'tool.end', timestamp: T0 + i * 1_200_000, payload: { toolName: 'Read', status: 'success', durationMs: 100 } });
    }
    // One WebFetch tail: p95 of 1000,1000,1000,1000,30000 → rank ⌊0.95·4⌋ = 3 → 1000 (no), so add two more.
    observer.emit({ type: 'tool.end', timestamp: T0 + 3_600_000, payload: { toolName: 'WebFetch', status: 'success', durationMs: 30_000 } });
    observer.emit({ type: 'tool.end', timestamp: T0 + 3_600_000, payload: { toolName: 'WebFetch', status: 'success', durationMs: 30_000 } });
    await observer.flush();
    const s = snap();
    const bash = s.bottlenecks.find((b) => b.location.toolName === 'Bash')!;
    expect(bash).toMatchObject({ type: 'tool_execution', reason: 'slow_tool', count: 4, durationMs: 6000 });
    // Observed time: 1 h exactly → 4 per hour; impact 24 s / 3600 s.
    expect(bash.frequencyPerHour).toBe(4);
    expect(bash.impact).toBeCloseTo(24_000 / 3_600_000, 3);
    // WebFetch: 6 calls, mean (4000 + 60000)/6 = 10667 ms > 5 s → network.
    const web = s.bottlenecks.find((b) => b.location.toolName === 'WebFetch')!;
    expect(web.type).toBe('network');
    expect(web.durationMs).toBeCloseTo(64_000 / 6, 2);
    expect(s.bottlenecks.find((b) => b.location.toolName === 'Read')).toBeUndefined();
    expect(s.findings.map((f) => f.kind).sort()).toEqual(['bottleneck.network', 'bottleneck.tool_execution']);
    await observer.close();
  });

  it('flags an agent taking more than 30% of its workflow, typed by where its time went', async () => {
    const { observer, snap } = setup();
    const agent = (name: string, start: number, ms: number) =>
      observer.emit({ type: 'agent.end', timestamp: T0 + start + ms, workflowId: 'wf', agentId: name, payload: { name, status: 'success', durationMs: ms } });
    // Wall time 0 .. 10 s. planner 0–1 s (10%), researcher 1–7 s (60%), writer 7–10 s (30%, not more).
    agent('planner', 0, 1000);
    agent('researcher', 1000, 6000);
    agent('writer', 7000, 3000);
    // The researcher's time is mostly LLM calls.
    observer.emit({ type: 'llm.call', timestamp: T0 + 5000, workflowId: 'wf', agentId: 'researcher', payload: { model: 'm', status: 'success', latencyMs: 4000 } });
    await observer.flush();
    const shares = snap().bottlenecks.filter((b) => b.reason === 'workflow_share');
    expect(shares).toHaveLength(1);
    expect(shares[0]).toMatchObject({ type: 'llm_api', impact: 0.6, durationMs: 6000, severity: 'high', location: { workflowId: 'wf', agentId: 'researcher' } });
    await observer.close();
  });

  it("judges an agent's own time: a planner waiting for its workers is not flagged, a long leaf is", async () => {
    const { observer, snap } = setup();
    const span = (n: number) => n.toString(16).padStart(16, '0');
    const agent = (n: number, name: string, start: number, end: number, parent?: number, workflowId = 'wf') =>
      observer.emit({
        type: 'agent.end', timestamp: T0 + end, workflowId, agentId: name, spanId: span(n), parentSpanId: parent === undefined ? undefined : span(parent),
        payload: { name, status: 'success', durationMs: end - start },
      });
    // Workflow wf: planner 0–10 s with children w1 1–9 s and w2 1–5 s.
    // planner own = 10 − |[1,9] ∪ [1,5]| = 10 − 8 = 2 s → 20% ≤ 30%: not flagged.
    // w1 own = 8 s → 80% of 10 s; w2 own = 4 s → 40%: both leaves are flagged.
    agent(2, 'w1', 1000, 9000, 1);
    agent(3, 'w2', 1000, 5000, 1);
    agent(1, 'planner', 0, 10_000);
    // Workflow solo: leaf A 0–7 s and leaf B 8–10 s (wall 10 s): A own 7 s → 70% (> 30%), B 2 s → 20%.
    agent(10, 'A', 0, 7000, undefined, 'solo');
    agent(11, 'B', 8000, 10_000, undefined, 'solo');
    // Workflow one: a single execution is never judged, however long.
    agent(20, 'alone', 0, 10_000, undefined, 'one');
    // A subagent started inside a tool call (parent span = the tool's): falls back to parentAgentId.
    observer.emit({ type: 'agent.end', timestamp: T0 + 9000, workflowId: 'tool', agentId: 'sub', spanId: span(31), parentSpanId: span(99), payload: { name: 'sub', parentAgentId: 'boss', status: 'success', durationMs: 8000 } });
    observer.emit({ type: 'agent.end', timestamp: T0 + 10_000, workflowId: 'tool', agentId: 'boss', spanId: span(30), payload: { name: 'boss', status: 'success', durationMs: 10_000 } });
    await observer.flush();
    const shares = snap().bottlenecks.filter((b) => b.reason === 'workflow_share');
    const byKey = Object.fromEntries(shares.map((b) => [`${b.location.workflowId}/${b.location.agentId}`, [b.impact, b.durationMs]]));
    // boss own = 10 − 8 = 2 s (20%): not flagged; sub own 8 s (80%).
    expect(byKey).toEqual({ 'wf/w1': [0.8, 8000], 'wf/w2': [0.4, 4000], 'solo/A': [0.7, 7000], 'tool/sub': [0.8, 8000] });
    expect(shares.find((b) => b.location.agentId === 'A')!.description).toContain('70%');
    await observer.close();
  });

  it('says when a slow agent mostly waits for its children (ownShare)', async () => {
    const { observer, snap } = setup({ minSamples: 1 });
    const span = (n: number) => n.toString(16).padStart(16, '0');
    const agent = (n: number, name: string, start: number, end: number, parent?: number) =>
      observer.emit({
        type: 'agent.end', timestamp: T0 + end, workflowId: 'wf', agentId: name, spanId: span(n), parentSpanId: parent === undefined ? undefined : span(parent),
        payload: { name, status: 'success', durationMs: end - start },
      });
    // planner 0–10 s, children 1–9 s and 1–5 s: own 2 s of 10 s → ownShare 0.2, 80% waiting.
    agent(2, 'w1', 1000, 9000, 1);
    agent(3, 'w2', 1000, 5000, 1);
    agent(1, 'planner', 0, 10_000);
    await observer.flush();
    const slow = snap().bottlenecks.filter((b) => b.reason === 'slow_agent');
    // Mean > 5 s: planner (10 s) and w1 (8 s); w2 (4 s) is not slow.
    expect(Object.fromEntries(slow.map((b) => [b.location.agentId, b.ownShare]))).toEqual({ planner: 0.2, w1: 1 });
    expect(slow.find((b) => b.location.agentId === 'planner')!.description).toContain('80% of it waiting for its child agents');
    expect(slow.find((b) => b.location.agentId === 'w1')!.description).not.toContain('waiting');
    await observer.close();
  });

  it('flags LLM latency outliers: calls over 3× the median', async () => {
    const { observer, snap } = setup();
    for (let i = 0; i < 40; i++) {
      const ms = i >= 20 && i % 4 === 0 ? 9000 : 1000;
      observer.emit({ type: 'llm.call', timestamp: T0, payload: { model: 'slow-model', status: 'success', latencyMs: ms } });
    }
    for (let i = 0; i < 40; i++) observer.emit({ type: 'llm.call', timestamp: T0, payload: { model: 'ok-model', status: 'success', latencyMs: 1000 + i } });
    await observer.flush();
    const llm = snap().bottlenecks.filter((b) => b.type === 'llm_api');
    // Calls 20, 24, ..., 36 are outliers: 5 of 40 (12.5% ≥ 5%).
    expect(llm).toHaveLength(1);
    expect(llm[0]!.location.model).toBe('slow-model');
    expect(llm[0]!.description).toContain('5 of 40');
    await observer.close();
  });

  it('reads resource pressure from process metrics', async () => {
    const { observer, snap } = setup();
    const metric = (name: string, value: number) => observer.emit({ type: 'metric', timestamp: T0, payload: { name, value } });
    // CPU above 80% in 3 of 4 samples (75% → high); memory under the threshold.
    for (const v of [95, 90, 85, 20]) metric('process.cpu.percent', v);
    for (const v of [1e8, 2e8, 3e8]) metric('process.memory.rss', v);
    await observer.flush();
    const r = snap().bottlenecks.filter((b) => b.reason === 'resource');
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ type: 'cpu', severity: 'high', impact: 0.75, count: 3, durationMs: 72.5 });
    expect(snap().findings[0]!.kind).toBe('bottleneck.cpu');
    await observer.close();
  });

  it('time spent waiting for the user is no slow tool: questions, plans to approve and blocked calls are counted apart', async () => {
    const { observer, snap } = setup();
    const end = (toolName: string, durationMs: number, status: 'success' | 'error' | 'blocked' = 'success') =>
      observer.emit({ type: 'tool.end', timestamp: T0 + 60_000, payload: { toolName, status, durationMs } });
    // Each well over the 5 s mean: 3 questions of 2 min, 3 plans of 1 min, 3 Bash calls refused after 30 s at the prompt.
    for (let i = 0; i < 3; i++) {
      end('AskUserQuestion', 120_000);
      end('ExitPlanMode', 60_000);
      end('Bash', 30_000, 'blocked');
      end('Bash', 1000);
    }
    await observer.flush();
    const s = snap();
    expect(s.bottlenecks.filter((b) => b.reason === 'slow_tool')).toEqual([]);
    // 9 calls: 3 × 120 s + 3 × 60 s + 3 × 30 s = 630 s, 3 of them blocked.
    expect(s.waitingForUser).toEqual({ calls: 9, totalMs: 630_000, blocked: 3, permissionPrompts: 0 });
    await observer.close();
  });

  it('a permission prompt before a run is the user\'s time, the run the tool\'s (transcripts\' and native telemetry\'s attribute)', async () => {
    const { observer, snap } = setup();
    const end = (durationMs: number, attributes?: Record<string, number>) =>
      observer.emit({ type: 'tool.end', timestamp: T0 + 60_000, ...(attributes ? { attributes } : {}), payload: { toolName: 'Bash', status: 'success', durationMs } });
    // Bash runs of 2 s, 4 s and 6 s; the first waited 45 s at the prompt (transcripts), the second 15 s (OTel phase).
    end(2000, { 'claude_code.permission_wait_ms': 45_000 });
    end(4000, { 'claude_code.blocked_on_user_ms': 15_000 });
    end(6000);
    await observer.flush();
    const s = snap();
    // 2 calls waited, 45 s + 15 s = 60 s; no call blocked.
    expect(s.waitingForUser).toEqual({ calls: 2, totalMs: 60_000, blocked: 0, permissionPrompts: 2 });
    // The prompts are not tool time: Bash's mean is (2 + 4 + 6) / 3 = 4 s, under any slow-tool bar.
    expect(s.bottlenecks.filter((b) => b.reason === 'slow_tool')).toEqual([]);
    await observer.close();
  });

  it('a tool that runs another agent (Task, Agent, TaskOutput) is no slow tool: the agent is judged', async () => {
    const { observer, snap } = setup();
    for (let i = 0; i < 3; i++) {
      for (const toolName of ['Task', 'Agent', 'TaskOutput', 'Bash']) observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName, status: 'success', durationMs: 60_000 } });
    }
    await observer.flush();
    expect(snap().bottlenecks.map((b) => b.location.toolName)).toEqual(['Bash']);
    await observer.close();
  });

  it('userWaitTools names the tools that wait for a person', async () => {
    const { observer, snap } = setup({ userWaitTools: /^approve$/ });
    for (let i = 0; i < 3; i++) {
      observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 'approve', status: 'success', durationMs: 60_000 } });
      observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 'AskUserQuestion', status: 'success', durationMs: 60_000 } });
    }
    await observer.flush();
    expect(snap().bottlenecks.map((b) => b.location.toolName)).toEqual(['AskUserQuestion']);
    await observer.close();
  });

  it('parallel agents of one name are separate instances: no share of wall time over 100%', async () => {
    const { observer, snap } = setup();
    const agent = (agentId: string, start: number, end: number) =>
      observer.emit({ type: 'agent.end', timestamp: T0 + end, workflowId: 'wf', agentId, payload: { name: 'general-purpose', parentAgentId: 'main', status: 'success', durationMs: end - start } });
    // Wall 0–10 s; three general-purpose agents side by side: 0–8 s (80%), 1–9 s (80%), 2–4 s (20%).
    // Summed by name they would make 180% of the wall time.
    agent('a1', 0, 8000);
    agent('a2', 1000, 9000);
    agent('a3', 2000, 4000);
    observer.emit({ type: 'tool.end', timestamp: T0 + 10_000, workflowId: 'wf', agentId: 'main', payload: { toolName: 'Read', status: 'success', durationMs: 10_000 } });
    await observer.flush();
    const shares = snap().bottlenecks.filter((b) => b.reason === 'workflow_share');
    expect(shares.map((b) => [b.location.agentId, b.impact, b.alongsideOthers])).toEqual([['a1', 0.8, true], ['a2', 0.8, true]]);
    expect(shares[0]!.description).toBe("agent general-purpose (a1)'s own work takes 80% of workflow wf's wall time");
    await observer.close();
  });

  it('agents already running beside each other are not told to split into parallel subtasks; an agent working alone is', async () => {
    const observer = createObserver({ analyzers: [bottlenecksAnalyzer(), insightsAnalyzer({ emit: false, sources: ['bottlenecks'] })], storage: false, clock: () => T0 + 7_200_000 });
    const agent = (workflowId: string, agentId: string, start: number, end: number, parentAgentId?: string) =>
      observer.emit({ type: 'agent.end', timestamp: T0 + end, workflowId, agentId, payload: { name: agentId, parentAgentId, status: 'success', durationMs: end - start } });
    // wf-par, 0–10 s: main (0–10 s) waits for a1 (0–8 s) and a2 (1–9 s), side by side: 80% each, both branches.
    agent('wf-par', 'a1', 0, 8000, 'main');
    agent('wf-par', 'a2', 1000, 9000, 'main');
    agent('wf-par', 'main', 0, 10_000);
    // wf-seq, 0–10 s: solo 0–8 s, then other 8.5–9.5 s, one after the other: solo's 80% is work to split.
    agent('wf-seq', 'solo', 0, 8000);
    agent('wf-seq', 'other', 8500, 9500);
    observer.emit({ type: 'tool.end', timestamp: T0 + 10_000, workflowId: 'wf-seq', agentId: 'other', payload: { toolName: 'Read', status: 'success', durationMs: 10_000 } });
    await observer.flush();
    const shares = (observer.snapshot().bottlenecks as BottlenecksSnapshot).bottlenecks.filter((b) => b.reason === 'workflow_share');
    // main's own work: 10 s − the union of a1 and a2 (0–9 s) = 1 s, 10%: under the 30% bar.
    expect(shares.map((b) => [b.location.workflowId, b.location.agentId, b.impact, b.alongsideOthers])).toEqual([
      ['wf-par', 'a1', 0.8, true],
      ['wf-par', 'a2', 0.8, true],
      ['wf-seq', 'solo', 0.8, undefined],
    ]);
    const advice = (observer.snapshot().insights as InsightsSnapshot).insights.filter((i) => i.rule === 'agent.dominates_workflow').map((i) => [i.location?.agentId, i.recommendation]);
    await observer.close();
    expect(advice).toContainEqual(['a1', expect.stringContaining('it already runs beside other agents and the workflow waits for it')]);
    expect(advice).toContainEqual(['solo', expect.stringContaining('split its work into parallel subtasks')]);
    for (const [, text] of advice.filter(([id]) => id !== 'solo')) expect(text).not.toContain('split its work into parallel subtasks');
  });

  it('no advice to split a turn a person drives (interactive), however much of the session it takes', async () => {
    const { observer, snap } = setup();
    // Two turns of the main agent: 0–6 s and 7–10 s of a 10 s session (60% and 30%).
    for (const [start, end] of [[0, 6000], [7000, 10_000]] as const) {
      observer.emit({ type: 'agent.end', timestamp: T0 + end, workflowId: 'wf', agentId: 'main', payload: { name: 'main', interactive: true, status: 'success', durationMs: end - start } });
    }
    await observer.flush();
    expect(snap().bottlenecks.filter((b) => b.reason === 'workflow_share')).toEqual([]);
    await observer.close();
  });
});

