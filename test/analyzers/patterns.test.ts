import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { normalizeMessage, patternsAnalyzer, type PatternsOptions, type PatternsSnapshot } from '../../src/analyzers/patterns.js';
import { stableHash } from '../../src/analyzers/stable-hash.js';

const T0 = 1_700_002_800_000;

function setup(options: PatternsOptions = {}) {
  const observer = createObserver({ analyzers: [patternsAnalyzer(options)], storage: false, clock: () => T0 + 3_600_000 });
  const snap = () => observer.snapshot().patterns as PatternsSnapshot;
  const tool = (toolName: string, status: 'success' | 'error' | 'blocked', extra: { input?: unknown; error?: string; sessionId?: string; t?: number } = {}) =>
    observer.emit({
      type: 'tool.end',
      timestamp: extra.t ?? T0,
      sessionId: extra.sessionId ?? 's1',
      payload: { toolName, status, durationMs: 10, input: extra.input, error: extra.error },
    });
  return { observer, snap, tool };
}

describe('patternsAnalyzer', () => {
  it('a tool failing 6 of 10 times is a recurring failure; 1 of 10 is not', async () => {
    const { observer, snap, tool } = setup();
    for (let i = 0; i < 10; i++) tool('flaky', i < 6 ? 'error' : 'success', { error: 'boom' });
    for (let i = 0; i < 10; i++) tool('solid', i < 1 ? 'error' : 'success', { error: 'rare' });
    await observer.flush();
    const s = snap();
    expect(s.recurringFailures).toEqual([{ operation: 'tool:flaky', attempts: 10, failures: 6, failureRate: 0.6, lastError: 'boom' }]);
    const f = s.findings.filter((x) => x.kind === 'pattern.recurring_failure');
    expect(f).toHaveLength(1);
    expect(f[0]!.location).toMatchObject({ operation: 'tool:flaky', toolName: 'flaky' });
    expect(f[0]!.severity).toBe('medium');
    await observer.close();
  });

  it('needs at least minAttempts attempts: 3 of 4 failing is not yet recurring', async () => {
    const { observer, snap, tool } = setup();
    for (let i = 0; i < 4; i++) tool('new', i < 3 ? 'error' : 'success');
    await observer.flush();
    expect(snap().recurringFailures).toEqual([]);
    tool('new', 'error');
    await observer.flush();
    // 4 of 5 = 0.8 ≥ 0.5 with 5 attempts.
    expect(snap().recurringFailures[0]).toMatchObject({ attempts: 5, failures: 4, failureRate: 0.8 });
    await observer.close();
  });

  it('groups error messages that differ only by numbers and ids', async () => {
    expect(normalizeMessage('timeout after 3000 ms on request 7f3a9c2e11')).toBe('timeout after <n> ms on request <id>');
    expect(normalizeMessage('user 3f2504e0-4f89-11d3-9a0c-0305e82c3301 not found')).toBe('user <id> not found');
    const { observer, snap } = setup();
    for (let i = 0; i < 3; i++) {
      observer.emit({ type: 'llm.call', timestamp: T0 + i, payload: { model: 'm', status: 'error', error: `rate limited, retry in ${i + 1}.5 s (req ab12cd34ef${i})` } });
    }
    observer.emit({ type: 'llm.call', timestamp: T0, payload: { model: 'm', status: 'error', error: 'overloaded' } });
    await observer.flush();
    const s = snap();
    expect(s.repeatedErrors).toHaveLength(1);
    expect(s.repeatedErrors[0]).toMatchObject({
      message: 'rate limited, retry in <n> s (req <id>)',
      count: 3,
      operations: ['llm:m'],
      firstSeen: T0,
      lastSeen: T0 + 2,
    });
    expect(s.findings.some((f) => f.kind === 'pattern.repeated_error')).toBe(true);
    await observer.close();
  });

  it('groups long messages by their first 300 characters, and still after many other messages (the normalized-text memo)', async () => {
    const { observer, snap, tool } = setup({ maxMessages: 1000 });
    const head = 'E'.repeat(300);
    tool('long', 'error', { error: `${head} first tail 1` });
    // 600 distinct messages in between: more than the memo keeps (512), so it has been cleared.
    for (let i = 0; i < 600; i++) tool('other', 'error', { error: `failure kind ${'x'.repeat(i % 50)}${String.fromCharCode(97 + (i % 26))}${i >= 300 ? 'z' : ''}-${i % 7 === 0 ? 'q' : 'r'}${Math.floor(i / 26)}` });
    tool('long', 'error', { error: `${head} second tail 22` });
    tool('long', 'error', { error: head });
    await observer.flush();
    const long = snap().repeatedErrors.find((e) => e.operations.includes('tool:long'));
    // All three share their first 300 characters: one message, counted three times.
    expect(long).toMatchObject({ message: head, count: 3, operations: ['tool:long'] });
    await observer.close();
  });

  it('detects retry loops and repeated identical calls per session (input key order ignored)', async () => {
    const { observer, snap, tool } = setup();
    // Session s1: the same failing call retried twice after failing.
    tool('fetch', 'error', { input: { url: 'x', n: 1 } });
    tool('fetch', 'error', { input: { n: 1, url: 'x' } });
    tool('fetch', 'error', { input: { url: 'x', n: 1 } });
    // Session s2: the same successful read three times, plus a different input once.
    for (let i = 0; i < 3; i++) tool('read', 'success', { input: { path: '/a' }, sessionId: 's2' });
    tool('read', 'success', { input: { path: '/b' }, sessionId: 's2' });
    // The same read in another session is not a repeat within s2.
    tool('read', 'success', { input: { path: '/a' }, sessionId: 's3' });
    // Start/end pairs: the input comes from the start.
    for (let i = 0; i < 3; i++) {
      const spanId = `${i + 1}`.repeat(16);
      observer.emit({ type: 'tool.start', timestamp: T0, sessionId: 's4', spanId, payload: { toolName: 'grep', input: { q: 'y' } } });
      observer.emit({ type: 'tool.end', timestamp: T0, sessionId: 's4', spanId, payload: { toolName: 'grep', status: 'success' } });
    }
    await observer.flush();
    const s = snap();
    expect(s.retryLoops).toEqual([{ sessionId: 's1', toolName: 'fetch', calls: 3, failures: 3, retries: 2, firstSeen: T0, lastSeen: T0 }]);
    expect(s.repeatedCalls.map((c) => [c.sessionId, c.toolName, c.calls]).sort()).toEqual([
      ['s2', 'read', 3],
      ['s4', 'grep', 3],
    ]);
    const kinds = s.findings.map((f) => f.kind);
    expect(kinds.filter((k) => k === 'pattern.retry_loop')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'pattern.repeated_call')).toHaveLength(2);
    await observer.close();
  });

  it('a call blocked again and again (a guardrail, the user) is a repeated call, not a retry loop to back off from', async () => {
    const { observer, snap, tool } = setup();
    // Was: "Bash was retried 2 times with the same input after failing", advising exponential backoff.
    for (let i = 0; i < 3; i++) tool('Bash', 'blocked', { input: { command: 'rm -rf /' } });
    await observer.flush();
    const s = snap();
    expect(s.retryLoops).toEqual([]);
    expect(s.repeatedCalls).toEqual([{ sessionId: 's1', toolName: 'Bash', calls: 3, failures: 0, retries: 0, firstSeen: T0, lastSeen: T0 }]);
    await observer.close();
  });

  it('flags sessions longer than 3× the median of at least 5 sessions', async () => {
    const { observer, snap } = setup();
    const durations = [100, 120, 80, 110, 90, 1000];
    durations.forEach((ms, i) => {
      const sessionId = `s${i}`;
      observer.emit({ type: 'session.start', timestamp: T0, sessionId, payload: {} });
      observer.emit({ type: 'session.end', timestamp: T0 + ms, sessionId, payload: {} });
    });
    await observer.flush();
    const s = snap();
    // Median of 80, 90, 100, 110, 120, 1000 = (100 + 110) / 2 = 105; 1000 > 315.
    expect(s.sessions).toEqual({ completed: 6, medianMs: 105 });
    expect(s.longSessions).toEqual([{ sessionId: 's5', durationMs: 1000, medianMs: 105, ratio: 9.52 }]);
    expect(s.findings.find((f) => f.kind === 'pattern.long_session')?.location).toEqual({ sessionId: 's5' });
    await observer.close();
  });

  it('does not compare fewer than 5 sessions, and takes durationMs when given', async () => {
    const { observer, snap } = setup();
    [100, 100, 100].forEach((ms, i) => observer.emit({ type: 'session.end', timestamp: T0, sessionId: `s${i}`, payload: { durationMs: ms } }));
    observer.emit({ type: 'session.end', timestamp: T0, sessionId: 'long', payload: { durationMs: 5000 } });
    await observer.flush();
    expect(snap().sessions.completed).toBe(4);
    expect(snap().longSessions).toEqual([]);
    await observer.close();
  });

  it('caps its maps', async () => {
    const { observer, snap, tool } = setup({ maxOperations: 2, maxSessions: 1 });
    for (const name of ['a', 'b', 'c']) tool(name, 'error', { input: { x: 1 }, sessionId: name });
    await observer.flush();
    expect(snap().evicted).toMatchObject({ operations: 1, sessions: 2 });
    await observer.close();
  });

  it('caps the calls of all sessions together: the least recently active session is forgotten to make room (issue 14)', async () => {
    // Without this cap, maxSessions x maxCallsPerSession (1,000 x 500 by default) calls could be held: ~100 MB.
    const { observer, snap, tool } = setup({ maxCalls: 10 });
    for (let i = 0; i < 6; i++) tool('read', 'success', { input: { i }, sessionId: 'A' });
    for (let i = 0; i < 6; i++) tool('read', 'success', { input: { i }, sessionId: 'B' });
    // B's 5th call found 10 held: A (6 calls) was forgotten; B's calls all kept, and still counted.
    for (let k = 0; k < 2; k++) tool('read', 'success', { input: { i: 0 }, sessionId: 'B' });
    await observer.flush();
    expect(snap().evicted).toMatchObject({ sessions: 1, calls: 0 });
    expect(snap().repeatedCalls.map((c) => [c.sessionId, c.calls])).toEqual([['B', 3]]);
    await observer.close();

    // One session alone past the cap: its further calls are not tracked, counted.
    const one = setup({ maxCalls: 3 });
    for (let i = 0; i < 5; i++) one.tool('read', 'success', { input: { i }, sessionId: 'S' });
    await one.observer.flush();
    expect(one.snap().evicted).toMatchObject({ sessions: 0, calls: 2 });
    await one.observer.close();
  });

  it('keeps apart two inputs whose call keys share their low 30 bits', async () => {
    // Find two inputs { i } of tool 't' whose keys differ but agree on the low 30 bits (the
    // map slot); ~4 such pairs are expected among 100k keys of 53 bits.
    const seen = new Map<number, number>();
    let pair: [number, number] | undefined;
    for (let i = 0; i < 300_000 && pair === undefined; i++) {
      const key = stableHash('t\u0000', { i });
      const slot = (key >>> 0) & 0x3fffffff;
      const other = seen.get(slot);
      if (other !== undefined && stableHash('t\u0000', { i: other }) !== key) pair = [other, i];
      else seen.set(slot, i);
    }
    expect(pair).toBeDefined();
    const [a, b] = pair!;
    const { observer, snap, tool } = setup();
    for (let k = 0; k < 3; k++) tool('t', 'success', { input: { i: a } });
    for (let k = 0; k < 2; k++) tool('t', 'success', { input: { i: b } });
    tool('t', 'success', { input: { i: b } });
    tool('t', 'success', { input: { i: a } });
    await observer.flush();
    // 4 calls with input a, 3 with input b: two repeated calls, not one of 7.
    expect(snap().repeatedCalls.map((c) => c.calls).sort()).toEqual([3, 4]);
    await observer.close();
  });
});
