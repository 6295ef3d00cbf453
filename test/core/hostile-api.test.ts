/**
 * "Never break the host", on the API itself: garbage arguments to every public method neither throw
 * synchronously nor leave anything unbounded. Only a scope given no function rejects (it has no
 * result to return), with a message that says so.
 */
import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';

const bad = <T>(value: unknown) => value as T;

describe('public API with garbage arguments', () => {
  it('never throws synchronously and resolves what returns a promise', async () => {
    const observer = createObserver({ onError: () => {} });
    const calls: (() => unknown)[] = [
      () => observer.subscribe(bad(null)),
      () => observer.subscribe({ types: bad('metric') }),
      () => observer.subscribe({}, bad(null)),
      () => observer.on(bad<string>(null), () => {}),
      () => observer.on('metric', bad<() => void>(null)),
      () => observer.emitMany(bad(null)),
      () => observer.emit(bad<never>(undefined)),
    ];
    for (const call of calls) expect(call).not.toThrow();
    const promises: (() => Promise<unknown>)[] = [
      () => observer.query(bad(null)),
      () => observer.query({ limit: bad('x'), cursor: bad(5) }),
      () => observer.report(bad(null)),
      () => observer.agent(bad(null), () => 1),
      () => observer.agent(bad({}), () => 1),
      () => observer.session(bad(null), () => 1),
      () => observer.workflow(bad(null), () => 1),
      () => observer.tool(bad(null), 1, () => 1),
      () => observer.llm(bad(null), () => 1),
      () => observer.llm(bad({}), () => 1),
    ];
    for (const call of promises) {
      let result: Promise<unknown> | undefined;
      expect(() => (result = call())).not.toThrow();
      await result; // a rejection fails the test
    }
    await observer.flush();
    // An agent with no name is kept as "agent"; an LLM call with no model as "unknown".
    const page = await observer.query({ types: ['agent.start', 'llm.call'], limit: 100 });
    expect(page.events.filter((e) => e.type === 'agent.start').map((e) => (e.payload as { name: string }).name)).toEqual(['agent', 'agent']);
    expect(page.events.filter((e) => e.type === 'llm.call').map((e) => (e.payload as { model: string }).model)).toEqual(['unknown', 'unknown']);
    await observer.close();
  });

  it('rejects a scope given no function, with a clear message', async () => {
    const observer = createObserver();
    await expect(observer.tool('t', 1, bad(null))).rejects.toThrow('[fleetscope] the scope needs a function to run (got object)');
    await observer.close();
  });

  it('keeps a subscription bounded whatever options it was given', () => {
    const observer = createObserver({ storage: false, analyzers: [] });
    const sub = observer.subscribe({}, { highWaterMark: Number.NaN, overflow: bad('bogus'), maxBatchSize: -3 });
    expect(sub.stats()).toMatchObject({ highWaterMark: 131_072, overflow: 'drop-oldest' });
    for (let i = 0; i < 140_000; i++) observer.emit({ type: 'metric', payload: { name: 'm', value: i } });
    expect(sub.stats()).toMatchObject({ pending: 131_072, dropped: 140_000 - 131_072 });
    sub.close();
  });
});
