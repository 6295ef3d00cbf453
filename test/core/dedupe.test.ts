import { describe, expect, it } from 'vitest';
import { createCoreObserver, dedupeKey, SourceDedupe, type Runner, type RunnerContext } from '../../src/core/index.js';

describe('dedupeKey', () => {
  it('names a call by what its sources share', () => {
    expect(dedupeKey({ type: 'tool.end', payload: { toolName: 'Bash', toolCallId: 'toolu_1', status: 'success' } })).toBe('tool.end\0toolu_1');
    expect(dedupeKey({ type: 'tool.start', payload: { toolName: 'Bash', toolCallId: 'toolu_1' } })).toBe('tool.start\0toolu_1');
    // The request id joins a transcript line (message id + request id) to an OTel api_request (request id only).
    expect(dedupeKey({ type: 'llm.call', payload: { model: 'm', status: 'success', requestId: 'req_1', responseId: 'msg_1' } })).toBe('llm.call\0req_1');
    expect(dedupeKey({ type: 'llm.call', payload: { model: 'm', status: 'success', requestId: 'req_1' } })).toBe('llm.call\0req_1');
    expect(dedupeKey({ type: 'llm.call', payload: { model: 'm', status: 'success', responseId: 'msg_1' } })).toBe('llm.call\0msg_1');
    expect(dedupeKey({ type: 'session.end', sessionId: 's1', payload: {} })).toBe('session.end\0s1');
    expect(dedupeKey({ type: 'agent.start', spanId: 'ab', payload: { name: 'Explore', parentAgentId: 'main' } })).toBe('agent.start\0ab');
    expect(dedupeKey({ type: 'message', payload: { role: 'user', kind: 'prompt', id: 'p1' } })).toBe('message\0user\0p1');
  });

  it('leaves what cannot be joined alone', () => {
    expect(dedupeKey({ type: 'tool.end', payload: { toolName: 'Bash', status: 'success' } })).toBeUndefined();
    expect(dedupeKey({ type: 'llm.call', payload: { model: 'm', status: 'success' } })).toBeUndefined();
    // A main-agent turn (no parent) is one source's own.
    expect(dedupeKey({ type: 'agent.start', spanId: 'ab', payload: { name: 'main' } })).toBeUndefined();
    expect(dedupeKey({ type: 'message', payload: { role: 'user', text: 'hi' } })).toBeUndefined();
    // A prompt meets its copy from another source on session and text, with or without a prompt id on either side.
    const prompt = (extra: object) => dedupeKey({ type: 'message', sessionId: 's1', payload: { role: 'user', kind: 'prompt', ...extra } });
    expect(prompt({ text: 'fix the test' })).toBe(prompt({ text: ' fix the test\n', id: 'p1' }));
    expect(prompt({ text: 'x'.repeat(1024) + 'a' })).toBe(prompt({ text: 'x'.repeat(1024) + 'b' })); // cut at different lengths
    expect(prompt({ text: 'fix the test' })).not.toBe(prompt({ text: 'fix the build' }));
    expect(prompt({ text: 'fix the test' })).not.toBe(dedupeKey({ type: 'message', sessionId: 's2', payload: { role: 'user', kind: 'prompt', text: 'fix the test' } }));
    expect(dedupeKey({ type: 'myapp.thing', payload: { toolCallId: 'x' } })).toBeUndefined();
  });
});

describe('SourceDedupe', () => {
  it('the first source keeps a key; the same source again is news, another source a duplicate', () => {
    const d = new SourceDedupe(10);
    expect(d.admit('k', 1)).toBe(true);
    expect(d.admit('k', 1)).toBe(true);
    expect(d.admit('k', 2)).toBe(false);
    expect(d.duplicates).toBe(1);
  });

  it('remembers at most capacity keys, the oldest forgotten first', () => {
    const d = new SourceDedupe(2);
    d.admit('a', 1);
    d.admit('b', 1);
    d.admit('a', 1); // seen again: no new key
    d.admit('c', 1); // forgets a, the oldest
    expect(d.size).toBe(2);
    expect(d.admit('b', 2)).toBe(false);
    expect(d.admit('a', 2)).toBe(true); // forgotten: taken as new (and now a's source is 2)
    expect(d.admit('a', 1)).toBe(false);
  });

  it('Infinity remembers every key', () => {
    const d = new SourceDedupe(Infinity);
    for (let i = 0; i < 1000; i++) d.admit(`k${i}`, 1);
    expect(d.size).toBe(1000);
    expect(d.admit('k0', 2)).toBe(false);
  });
});

/** A runner that emits what it is given when started. */
function fixed(name: string, events: Parameters<RunnerContext['emitMany']>[0]): Runner {
  return { name, start: (ctx) => ctx.emitMany(events), stop: () => {}, health: () => ({ status: 'running' }) };
}

describe('ObserverOptions.dedupe', () => {
  const call = { type: 'tool.end' as const, payload: { toolName: 'Bash', toolCallId: 'toolu_1', status: 'success' as const, durationMs: 5 } };

  it('is on with two runners: a call two runners report counts once, and the drop is counted', async () => {
    const observer = createCoreObserver({ runners: [fixed('a', [call]), fixed('b', [call])] });
    await observer.ready();
    const s = observer.stats();
    expect(s.events).toMatchObject({ emitted: 2, accepted: 1, duplicates: 1, invalid: 0 });
    await observer.close();
  });

  it('is off with one runner, and with dedupe: false', async () => {
    const one = createCoreObserver({ runners: [fixed('a', [call, call])] });
    await one.ready();
    expect(one.stats().events).toMatchObject({ accepted: 2, duplicates: 0 });
    await one.close();
    const off = createCoreObserver({ runners: [fixed('a', [call]), fixed('b', [call])], dedupe: false });
    await off.ready();
    expect(off.stats().events).toMatchObject({ accepted: 2, duplicates: 0 });
    await off.close();
  });

  it('dedupe: true applies to the host and one runner; a bad window is refused at construction', async () => {
    const observer = createCoreObserver({ runners: [fixed('a', [call])], dedupe: true });
    await observer.ready();
    expect(observer.emit(call)).toBeUndefined();
    expect(observer.stats().events.duplicates).toBe(1);
    await observer.close();
    expect(() => createCoreObserver({ dedupe: { window: 0 } })).toThrow(/dedupe.window/);
  });
});
