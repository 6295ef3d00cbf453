/**
 * The scripted answers of the fake OpenAI in the AI SDK tests (ai 6 in-process, ai 7 under Node 22):
 * an orchestrator whose first turn calls two research sub-agents at once and a tool that fails.
 * Every figure the tests assert (the `expect*` checks below, shared by both tests) is computed by
 * hand from these usages.
 */
import { expect } from 'vitest';
import type { EventInput } from '../../src/core/index.js';
import type { AggregationAnalyzerSnapshot, CostSnapshot, FleetSnapshot } from '../../src/analyzers/index.js';
import { hasToolResult, lastUserText, type FakeRequest, type FakeTurn } from '../support/fake-openai-server.js';
import { payloads } from './otel-frameworks-harness.js';

export const RESPONSE_MODEL = 'gpt-4o-2024-08-06';

export function orchestratorTurns(request: FakeRequest): FakeTurn {
  const prompt = lastUserText(request);
  const model = RESPONSE_MODEL;
  // Sub-agents: 300 fresh input tokens, 40 output; slow enough to overlap.
  if (prompt.startsWith('research')) return { model, text: `notes on ${prompt.slice(9)}`, usage: { prompt: 300, completion: 40 }, delayMs: 150 };
  // Orchestrator, turn 1: 1,200 input of which 1,000 cached; three tool calls at once.
  if (!hasToolResult(request)) {
    return {
      model,
      toolCalls: [
        { name: 'research', arguments: { topic: 'a' } },
        { name: 'research', arguments: { topic: 'b' } },
        { name: 'lookup_inventory', arguments: { sku: 'X1' } },
      ],
      usage: { prompt: 1200, cached: 1000, completion: 50 },
    };
  }
  // Turn 2: 1,500 input of which 1,024 cached.
  return { model, text: 'launch plan ready', usage: { prompt: 1500, cached: 1024, completion: 80 } };
}

/** What one run of the scenario gave the observer (in-process for ai 6, sent back by the Node 22 child for ai 7). */
export interface ScenarioRun {
  events: EventInput[];
  cost: CostSnapshot;
  fleet: FleetSnapshot;
  aggregation: AggregationAnalyzerSnapshot;
}

const ofType = (run: ScenarioRun, type: string) => run.events.filter((e) => e.type === type);

/** Four model calls, each once, with cached tokens as cached, priced to the cent; returns the calls. */
export function expectModelCalls(run: ScenarioRun): EventInput[] {
  const { cost } = run;
  const calls = ofType(run, 'llm.call');
  expect(calls).toHaveLength(4);
  expect(payloads(calls).map((p) => [p.provider, p.model])).toEqual(Array(4).fill(['openai', RESPONSE_MODEL]));
  // Fresh input: (1200 − 1000) + 300 + 300 + (1500 − 1024) = 1,276; cache read 2,024; output 50 + 40 + 40 + 80 = 210.
  expect(cost.tokens).toEqual({ input: 1276, output: 210, cacheRead: 2024, cacheWrite: 0 });
  // 1,276 × $2.50 + 2,024 × $1.25 + 210 × $10 per million = 3,190 + 2,530 + 2,100 µ$ = $0.00782.
  expect(cost.totalUsd).toBeCloseTo(0.00782, 9);
  expect(cost).toMatchObject({ calls: 4, pricedCalls: 4, unpricedCalls: 0, noUsageCalls: 0 });
  expect(cost.byModel[RESPONSE_MODEL]).toMatchObject({ pricedAs: 'gpt-4o', matchedBy: 'normalized' });
  // Per agent: orchestrator 200×2.5 + 1000×1.25 + 50×10 + 476×2.5 + 1024×1.25 + 80×10 = 5,520 µ$; each researcher 300×2.5 + 40×10 = 1,150 µ$.
  expect(cost.byAgent.orchestrator!.costUsd).toBeCloseTo(0.00552, 9);
  expect(cost.byAgent['researcher-a']!.costUsd).toBeCloseTo(0.00115, 9);
  expect(cost.byAgent['researcher-b']!.costUsd).toBeCloseTo(0.00115, 9);
  const stream = calls.find((c) => c.agentId === 'researcher-b')!;
  expect(stream.payload).toMatchObject({ stream: true, operation: 'chat', status: 'success' });
  expect(typeof stream.attributes!.timeToFirstTokenMs).toBe('number');
  return calls;
}

/** Three tool calls of the orchestrator, the failing one with its message. */
export function expectTools(run: ScenarioRun): void {
  const ends = payloads(ofType(run, 'tool.end'));
  expect(ends.map((p) => [p.toolName, p.status]).sort()).toEqual([
    ['lookup_inventory', 'error'],
    ['research', 'success'],
    ['research', 'success'],
  ]);
  expect(ends.find((p) => p.status === 'error')!.error).toBe('inventory service unavailable');
  expect(ends.find((p) => p.toolName === 'research' && p.output === 'notes on a')).toBeDefined();
  expect(payloads(ofType(run, 'tool.start')).map((p) => p.input)).toContainEqual({ sku: 'X1' });
  expect(ofType(run, 'tool.end').every((e) => e.agentId === 'orchestrator')).toBe(true);
}

/** The orchestrator with its two researchers as sub-agents, run in parallel; no false clock skew. */
export function expectAgentTree(run: ScenarioRun): void {
  const { fleet, aggregation } = run;
  expect(payloads(ofType(run, 'agent.start')).map((p) => [p.name, p.parentAgentId]).sort()).toEqual([
    ['orchestrator', undefined],
    ['researcher-a', 'orchestrator'],
    ['researcher-b', 'orchestrator'],
  ]);
  expect(fleet.totals.executions).toBe(3);
  const workflow = fleet.workflows[0]!;
  // Two leaf executions (the researchers) overlapping almost entirely.
  expect(workflow.leafExecutions).toBe(2);
  expect(workflow.parallelizationRatio).toBeGreaterThan(0.8);
  // Span ends carry sub-millisecond fractions a little after Date.now(): no false clock skew.
  expect(aggregation.dataQuality.futureTimestamps).toBe(0);
  expect(aggregation.findings.map((f) => f.kind)).not.toContain('aggregation.clock_skew');
}
