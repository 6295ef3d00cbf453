import { describe, expect, it } from 'vitest';
import { createObserver } from 'fleetscope';
import { sessionsAnalyzer, type SessionsSnapshot } from '../../src/analyzers/sessions.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

/** Tool ends of the given sessions, one a second, in this order; the snapshot once read. */
async function summaries(order: string[], maxSessions?: number): Promise<SessionsSnapshot> {
  const observer = createObserver({ analyzers: [sessionsAnalyzer(maxSessions === undefined ? {} : { maxSessions })], storage: false });
  order.forEach((sessionId, i) => {
    observer.emit({ type: 'tool.end', timestamp: T0 + i * 1000, sessionId, agentId: 'main', payload: { toolName: 'Bash', status: i % 2 === 0 ? 'success' : 'error' } });
  });
  await observer.flush();
  const snapshot = observer.snapshot().sessions as SessionsSnapshot;
  await observer.close();
  return snapshot;
}

describe('sessionsAnalyzer', () => {
  it('counts each event in its own session when sessions alternate and come in runs', async () => {
    // i: 0 a, 1 a, 2 b, 3 a, 4 b, 5 b — failed are the odd ones: a at 1 and 3, b at 5.
    const { sessions } = await summaries(['a', 'a', 'b', 'a', 'b', 'b']);
    const a = sessions.find((s) => s.sessionId === 'a')!;
    const b = sessions.find((s) => s.sessionId === 'b')!;
    expect([a.events, a.toolCalls, a.failedTools, a.start, a.end]).toEqual([3, 3, 2, T0, T0 + 3000]);
    expect([b.events, b.toolCalls, b.failedTools, b.start, b.end]).toEqual([3, 3, 1, T0 + 2000, T0 + 5000]);
  });

  it('starts a session again from zero after it was evicted, even when it was the last one seen', async () => {
    // maxSessions 1: b evicts a, then a (evicting b) starts over with one event.
    const snapshot = await summaries(['a', 'a', 'b', 'a'], 1);
    expect(snapshot.evicted).toBe(2);
    expect(snapshot.sessions.map((s) => [s.sessionId, s.events, s.start])).toEqual([['a', 1, T0 + 3000]]);
  });
});
