import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/core/index.js';
import { isDerivedEvent } from '../../src/core/index.js';
import { buildTraceTree } from '../../src/reports/trace-tree.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const ev = (id: string, type: string, dt: number, payload: Record<string, unknown>, source = 'host'): FleetEvent =>
  ({ id, type, timestamp: T0 + dt, severity: 'info', source, sessionId: 's1', agentId: 'main', spanId: 'aaaaaaaaaaaaaaaa', payload }) as unknown as FleetEvent;

describe('buildTraceTree', () => {
  it("spans the session's activity, not the insight an analyzer emitted about it later (as the sessions analyzer)", () => {
    const events = [
      ev('a', 'session.start', 0, { name: 'fix' }),
      ev('b', 'session.end', 260, { status: 'success', durationMs: 260 }),
      // Emitted by the insights analyzer 1.5 s later, with the session's id.
      ev('c', 'insight', 1_500, { rule: 'cost.budget_exceeded', title: 'over budget' }, 'analyzer:insights'),
    ];
    expect(events.map(isDerivedEvent)).toEqual([false, false, true]);
    const tree = buildTraceTree('s1', events);
    expect(tree.start).toBe(T0);
    expect(tree.end).toBe(T0 + 260);
    expect(tree.root.durationMs).toBe(260);
    // Only derived events: the tree still has an extent (theirs).
    expect(buildTraceTree('s1', [events[2]!]).root.durationMs).toBe(0);
  });
});
