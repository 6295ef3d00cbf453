/**
 * A hand-built event set for the HTML report tests, with the figures each view must show,
 * computed by hand below (times are offsets from T0 in ms).
 *
 * Session s1, workflow wf-1:
 *   planner  [0, 10000]   Read tool [0, 1000] ok, LLM claude-sonnet-4-5 [1000, 3000] (1000 in, 500 out)
 *   worker-a [3000, 7000] (parent planner) Bash [4000, 6000] ok, LLM claude-sonnet-4-5 [8500, 9000] (2000 in, 100 out)
 *   worker-b [5000, 8000] (parent planner, failed, source `hooks`) Bash [5500, 6500] error,
 *            a hostile tool name blocked at 7500, an alert at 7500, LLM mystery-model [9100, 9500] (10 in, 10 out, unpriced)
 *   ghost (no agent run): one Grep call [9600, 9700] ok
 */
import type { EventInput } from 'fleetscope';

export const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

export const HOSTILE_TOOL = '<img src=x onerror="window.__pwned=1">';
export const HOSTILE_ERROR = '</script><script>window.__pwned=2</script>';
export const HOSTILE_AGENT = 'worker-b';
export const BLOCKED_ID = 'blk"<i>1';
export const SECRET_INPUT = 'SECRET-INPUT-1234';
const span = (n: number) => n.toString(16).padStart(16, '0');

export function fixtureEvents(): EventInput[] {
  const base = { sessionId: 's1', workflowId: 'wf-1' };
  const agent = (n: number, name: string, start: number, end: number, status: 'success' | 'error', parent?: string, source = 'host'): EventInput[] => [
    { ...base, id: `as-${name}`, type: 'agent.start', source, timestamp: T0 + start, agentId: name, spanId: span(n), payload: { name, parentAgentId: parent } },
    { ...base, id: `ae-${name}`, type: 'agent.end', source, timestamp: T0 + end, agentId: name, spanId: span(n), payload: { name, parentAgentId: parent, status, durationMs: end - start } },
  ];
  const events: EventInput[] = [
    { ...base, id: 'ss-1', type: 'session.start', timestamp: T0, agentId: 'main', payload: {} },
    ...agent(1, 'planner', 0, 10_000, 'success'),
    { ...base, id: 'e-read', type: 'tool.end', timestamp: T0 + 1000, agentId: 'planner', payload: { toolName: 'Read', status: 'success', durationMs: 1000, input: { path: SECRET_INPUT } } },
    { ...base, id: 'e-llm-p', type: 'llm.call', timestamp: T0 + 3000, agentId: 'planner', payload: { model: 'claude-sonnet-4-5', status: 'success', latencyMs: 2000, inputTokens: 1000, outputTokens: 500 } },
    ...agent(2, 'worker-a', 3000, 7000, 'success', 'planner'),
    ...agent(3, 'worker-b', 5000, 8000, 'error', 'planner', 'hooks'),
    { ...base, id: 'e-bash-a', type: 'tool.end', timestamp: T0 + 6000, agentId: 'worker-a', payload: { toolName: 'Bash', status: 'success', durationMs: 2000 } },
    { ...base, id: 'e-bash-b', type: 'tool.end', source: 'hooks', timestamp: T0 + 6500, agentId: 'worker-b', payload: { toolName: 'Bash', status: 'error', durationMs: 1000, error: HOSTILE_ERROR } },
    { ...base, id: BLOCKED_ID, type: 'tool.end', source: 'hooks', timestamp: T0 + 7500, agentId: 'worker-b', payload: { toolName: HOSTILE_TOOL, status: 'blocked', error: 'blocked by guardrail: rm -rf' } },
    { ...base, id: 'e-alert', type: 'alert', source: 'hooks', severity: 'warning', timestamp: T0 + 7500, agentId: 'worker-b', payload: { rule: 'guardrail.block', message: 'refused rm -rf /' } },
    { ...base, id: 'e-llm-a', type: 'llm.call', timestamp: T0 + 9000, agentId: 'worker-a', payload: { model: 'claude-sonnet-4-5', status: 'success', latencyMs: 500, inputTokens: 2000, outputTokens: 100 } },
    { ...base, id: 'e-llm-b', type: 'llm.call', source: 'hooks', timestamp: T0 + 9500, agentId: 'worker-b', payload: { model: 'mystery-model', status: 'success', latencyMs: 400, inputTokens: 10, outputTokens: 10 } },
    { ...base, id: 'e-ghost', type: 'tool.end', timestamp: T0 + 9700, agentId: 'ghost', payload: { toolName: 'Grep', status: 'success', durationMs: 100 } },
    { ...base, id: 'se-1', type: 'session.end', timestamp: T0 + 10_000, agentId: 'main', payload: { status: 'success' } },
  ];
  return events;
}

/** The figures of the fixture, by hand. */
export const EXPECTED = {
  events: 17,
  bySource: { host: 11, hooks: 6 },
  lanes: 4, // planner, worker-a, worker-b, ghost (main has no call and no run)
  calls: 8, // 5 tool calls + 3 LLM calls
  errors: 1,
  blocked: 1,
  alerts: 1,
  fanOut: 2,
  fanIn: 2,
  // Busy: [0,3000] [4000,6500] [7500,7500] [8500,9000] [9100,9500] [9600,9700]; gaps ≥ 900 ms:
  // 3000→4000, 6500→7500, 7500→8500 (the 100 ms ones and 9700→10000 are shorter).
  idleGaps: 3,
  idleMs: 3000,
  // Leaves worker-a [3000,7000] and worker-b [5000,8000]: Σ 7000, union 5000, longest 4000.
  parallelization: Math.round((2 / 3) * 1000) / 1000,
  potentialSavingMs: 1000,
  // Sonnet 4.5: $3 / M input, $15 / M output.
  costPlanner: (1000 * 3 + 500 * 15) / 1e6, // 0.0105
  costWorkerA: (2000 * 3 + 100 * 15) / 1e6, // 0.0075
  // LLM calls end at 3000, 9000, 9500: 4 buckets of 6500 / 4 = 1625 ms → buckets 0, 3, 3.
  heatmap: { planner: { bucket: 0, tokens: 1500 }, 'worker-a': { bucket: 3, tokens: 2100 }, 'worker-b': { bucket: 3, tokens: 20 } },
  // Sankey: planner→Read 1, worker-a→Bash 1, worker-b→Bash 1, worker-b→hostile 1, ghost→Grep 1.
  flow: { Bash: 2, Read: 1, Grep: 1, success: 3, error: 1, blocked: 1 },
  bashFailureShare: 0.5,
  bashMeanMs: 1500,
  unattributedCalls: 1,
};
