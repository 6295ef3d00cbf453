import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/core/index.js';
import { renderEventLine } from '../../src/reports/event-line.js';

const base = { id: 'e1', timestamp: Date.UTC(2026, 0, 1, 12, 0, 0), sessionId: 'session-1', agentId: 'main', source: 'test' };

describe('renderEventLine (tail)', () => {
  it('starts every summary at one column, guardrail.decision (the longest built-in type) included', () => {
    const tool = { ...base, type: 'tool.end', payload: { toolName: 'Bash', status: 'success', durationMs: 250 } } as unknown as FleetEvent;
    const guard = { ...base, type: 'guardrail.decision', payload: { toolName: 'Bash', decision: 'block', rule: 'rm-rf' } } as unknown as FleetEvent;
    const a = renderEventLine(tool);
    const b = renderEventLine(guard);
    // time (12) + session (8) + agent (16) + type (18), a space after each: the summary starts at column 58.
    expect(a.slice(0, 58)).toBe('12:00:00.000 session- main             tool.end           ');
    expect(b.slice(0, 58)).toBe('12:00:00.000 session- main             guardrail.decision ');
    expect(a[58]).not.toBe(' ');
    expect(b[58]).not.toBe(' ');
  });
});
