/**
 * `__proto__` and friends as tool, agent, session, workflow and model names through every default
 * analyzer (issue 14, point 5). The property: the same workload run twice, once with plain names and
 * once with the hostile ones, gives the same snapshots once the plain names are renamed back. A name
 * kept in a plain object (`out[name] = …`) would set a prototype or read an inherited member instead,
 * and the two snapshots would differ; nothing leaks into `Object.prototype`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { fuzz, fuzzTimeout } from '../support/fuzz.js';

const HOSTILE = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'toJSON', 'isPrototypeOf'];

/** The plain stand-in of hostile name `i`: as long (texts are cut by length), and no analyzer output contains it by chance. */
const plain = (i: number) => `zq${i}`.padEnd(HOSTILE[i]!.length, 'x');

interface Step {
  kind: 'tool' | 'agent' | 'llm' | 'session';
  name: number;
  session: number;
  agent: number;
  workflow: number;
  durationMs: number;
  error: boolean;
}

const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom('tool', 'agent', 'llm', 'session'),
  name: fc.nat({ max: HOSTILE.length - 1 }),
  session: fc.nat({ max: HOSTILE.length - 1 }),
  agent: fc.nat({ max: HOSTILE.length - 1 }),
  workflow: fc.nat({ max: HOSTILE.length - 1 }),
  durationMs: fc.integer({ min: 1, max: 100_000 }),
  error: fc.boolean(),
});

/** Runs `steps` through the default analyzers, names given by `nameOf`; returns the snapshots as JSON. */
async function run(steps: Step[], nameOf: (i: number) => string): Promise<string> {
  let now = Date.UTC(2026, 0, 1);
  let n = 0;
  const observer = createObserver({ clock: () => now, storage: false, onError: () => {} });
  for (const s of steps) {
    now += 1000;
    const envelope = { sessionId: nameOf(s.session), agentId: nameOf(s.agent), workflowId: nameOf(s.workflow) };
    const status = s.error ? 'error' : 'success';
    if (s.kind === 'tool') {
      const toolCallId = `c${n++}`;
      observer.emit({ ...envelope, type: 'tool.start', payload: { toolName: nameOf(s.name), toolCallId } });
      observer.emit({ ...envelope, type: 'tool.end', payload: { toolName: nameOf(s.name), toolCallId, status, durationMs: s.durationMs } });
    } else if (s.kind === 'agent') {
      observer.emit({ ...envelope, type: 'agent.start', payload: { name: nameOf(s.name) } });
      observer.emit({ ...envelope, type: 'agent.end', payload: { name: nameOf(s.name), status, durationMs: s.durationMs } });
    } else if (s.kind === 'llm') {
      observer.emit({
        ...envelope,
        type: 'llm.call',
        payload: { model: nameOf(s.name), provider: nameOf(s.agent), status, latencyMs: s.durationMs, inputTokens: 100, outputTokens: s.durationMs % 500, costUsd: 0.01 },
      });
    } else {
      observer.emit({ ...envelope, type: 'session.start', payload: {} });
      observer.emit({ ...envelope, type: 'session.end', payload: { status } });
    }
  }
  await observer.flush();
  const text = JSON.stringify(observer.snapshot());
  await observer.close();
  return text;
}

/** `text` with every plain stand-in replaced by its hostile name (escaped as JSON would). */
function renamedBack(text: string): string {
  let out = text;
  for (let i = 0; i < HOSTILE.length; i++) out = out.split(plain(i)).join(HOSTILE[i]!);
  return out;
}

/** Fields holding the observer's random event, trace and span ids (they differ between the two runs). */
const RANDOM_IDS = /^(id|eventId|eventIds|traceId|spanId|parentSpanId|(first|last|example)EventIds?)$/;

/** Parsed JSON with object keys sorted, so that key order (which depends on the names) does not count. */
function canonical(text: string): unknown {
  const sortKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value === null || typeof value !== 'object') return value;
    const out = new Map<string, unknown>();
    for (const key of Object.keys(value).sort()) out.set(key, RANDOM_IDS.test(key) ? '<id>' : sortKeys((value as Record<string, unknown>)[key]));
    return [...out];
  };
  // A reviver-free parse keeps a "__proto__" key as an own key (JSON.parse defines, never assigns).
  return sortKeys(JSON.parse(text));
}

describe('hostile names through every default analyzer', () => {
  it(
    'snapshots with __proto__, constructor, … as names equal those with plain names, renamed back; no prototype pollution',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
          const hostile = await run(steps, (i) => HOSTILE[i]!);
          const reference = await run(steps, plain);
          expect(canonical(hostile)).toEqual(canonical(renamedBack(reference)));
          expect(Object.keys(Object.prototype)).toEqual([]);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        fuzz(60, 1405),
      );
    },
    fuzzTimeout(120_000),
  );

  it('every hostile tool name is counted under its own key in the aggregation and cost figures', async () => {
    const steps = HOSTILE.map((_, i): Step => ({ kind: 'tool', name: i, session: i, agent: i, workflow: i, durationMs: 10 * (i + 1), error: false }));
    const snapshot = JSON.parse(await run(steps, (i) => HOSTILE[i]!)) as {
      aggregation: { cumulative: { tools: Record<string, { successes: number; latency: { max: number } }> } };
    };
    const tools = snapshot.aggregation.cumulative.tools;
    for (let i = 0; i < HOSTILE.length; i++) {
      expect(Object.hasOwn(tools, HOSTILE[i]!), HOSTILE[i]).toBe(true);
      expect(tools[HOSTILE[i]!]!.successes).toBe(1);
      expect(tools[HOSTILE[i]!]!.latency.max).toBe(10 * (i + 1));
    }
  });
});
