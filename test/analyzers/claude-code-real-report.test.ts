/**
 * The analyzers on the real Claude Code corpus (../shared/real-cc/transcripts, never copied here),
 * replayed through the transcripts runner as `fleetscope report --claude` does: what the report
 * says must fit an interactive user's sessions. Figures counted by hand (python over the files):
 * - results of AskUserQuestion (6), ExitPlanMode (13) and EnterPlanMode (2): 21 calls that wait for
 *   the user; 17 results say the user refused the call, 4 of them ExitPlanMode's: 13 other blocked calls;
 *   their durations (result time − tool_use time, or the tool's own time when recorded) sum to 4,112,769 ms;
 * - 10 Bash calls whose first `bash_progress` shows they started ≥ 5 s after their tool_use (the
 *   permission prompt): waits of 13,772 + 19,698 + 13,805 + 11,186 + 11,958 + 180,992 + 11,719 +
 *   181,259 + 12,026 + 18,840 = 475,255 ms, the user's time, not Bash's;
 * - priced calls on 35 UTC days, from 2025-06-14 to 2026-05-10: 331 days.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import type { Observer } from '../../src/core/index.js';
import type { BottlenecksSnapshot } from '../../src/analyzers/bottlenecks.js';
import type { CostSnapshot } from '../../src/analyzers/cost.js';
import type { FleetSnapshot } from '../../src/analyzers/fleet.js';
import type { AggregationAnalyzerSnapshot } from '../../src/analyzers/aggregation.js';
import { claudeCodeTranscriptsRunner } from '../../src/runners/claude-code-transcripts.js';
import { claudeCodeHooksRunner } from '../../src/runners/claude-code-hooks-runner.js';
import { writeRealHookStore } from '../runners/claude-code-real.js';

const TRANSCRIPTS = join(import.meta.dirname, '..', '..', '..', 'shared', 'real-cc', 'transcripts');

let observer: Observer;
let snapshot: Record<string, unknown>;
beforeAll(async () => {
  const runner = claudeCodeTranscriptsRunner({ paths: [TRANSCRIPTS], pollIntervalMs: 60_000 });
  observer = createObserver({ runners: [runner] });
  await observer.ready();
  runner.poll();
  await observer.flush();
  snapshot = observer.snapshot();
});
afterAll(() => observer.close());

describe('the report on real Claude Code sessions', () => {
  it('waiting for the user is no slow tool: 21 questions and plans, 13 refused calls, 10 permission prompts, counted apart', () => {
    const b = snapshot.bottlenecks as BottlenecksSnapshot;
    expect(b.waitingForUser).toEqual({ calls: 21 + 13 + 10, totalMs: 4_112_769 + 475_255, blocked: 13, permissionPrompts: 10 });
    const slow = b.bottlenecks.filter((x) => x.reason === 'slow_tool').map((x) => x.location.toolName);
    expect(slow).not.toContain('AskUserQuestion');
    expect(slow).not.toContain('ExitPlanMode');
    // Task / Agent / TaskOutput time is their subagents' (judged as agents), not the tools'.
    expect(slow.filter((t) => t === 'Task' || t === 'Agent' || t === 'TaskOutput')).toEqual([]);
    // A WebSearch once waited 55 min at the permission prompt; its own run time is what is judged now.
    const search = b.bottlenecks.find((x) => x.location.toolName === 'WebSearch');
    expect(search === undefined || (search.p95Ms ?? 0) < 60_000).toBe(true);
  });

  it('no share of wall time over 100%: parallel subagents of one name are separate instances', () => {
    const b = snapshot.bottlenecks as BottlenecksSnapshot;
    const shares = b.bottlenecks.filter((x) => x.reason === 'workflow_share');
    expect(shares.length).toBeGreaterThan(0);
    for (const s of shares) {
      expect(s.impact).toBeLessThanOrEqual(1);
      expect(Number(/takes (\d+)%/.exec(s.description)![1])).toBeLessThanOrEqual(100);
    }
    // Session ef958aa1 ran general-purpose subagents side by side (142% of its wall time summed by
    // name); each instance is judged alone.
    const ef = shares.filter((s) => s.location.workflowId === 'ef958aa1-0e93-49f0-bb71-150f63befcd1' && s.location.operation === 'agent:general-purpose');
    expect(ef.map((s) => s.location.agentId).sort()).toEqual(['a4ca7529859c158c2', 'a52886dc180afb356']);
    // Claude Code's own prompt-cache warming (2.0.x "Warmup" sidechains) and context compaction are no one's work to speed up.
    expect(b.bottlenecks.filter((x) => x.location.operation === 'agent:warmup' || x.location.operation === 'agent:compaction')).toEqual([]);
  });

  it('no day or month projected from 35 active days spread over 331', () => {
    const p = (snapshot.cost as CostSnapshot).projections;
    expect(p).toMatchObject({ projected: false, notProjected: 'sparse', activeDays: 35, spanDays: 331 });
  });

  it('no agent "stuck" for the months since the sessions ended: running time ends at the newest event', () => {
    const fleet = snapshot.fleet as FleetSnapshot;
    expect(fleet.findings.filter((f) => f.kind === 'fleet.stuck_agent')).toEqual([]);
    expect(fleet.dataQuality.stale).toBe(0);
    expect((snapshot.aggregation as AggregationAnalyzerSnapshot).dataQuality.unfinished).toEqual({ sessions: 0, agents: 0, tools: 0 });
  });

  it('the markdown report says why there is no projection', async () => {
    const report = await observer.report();
    expect(report).toContain('| Projected | not projected: priced calls on 35 of 331 days |');
    expect(report).toContain('| Waiting for the user | 44 tool calls, 76.5 min (13 of them refused or blocked, 10 run after a permission prompt) |');
    expect(report).not.toMatch(/AskUserQuestion takes|ExitPlanMode takes/);
    expect(report).not.toMatch(/takes (1\d{2}|[2-9]\d{2})% of workflow/);
  });
});

describe('a real hook store replayed months later', () => {
  it('an agent whose SubagentStop never came has run until the newest event, not until today', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetscope-real-hooks-'));
    try {
      // storia-mobile's session b5f72bb6: 144 payloads one second apart; SubagentStart of a3a01df3483852b22
      // is the 9th (+8 s), and no SubagentStop names it; the last event the fleet analyzer reads (agents,
      // tools, LLM calls) is the second Stop, at +142 s (SessionEnd, +143 s, is no agent event).
      expect(writeRealHookStore(dir, 'storia-mobile', 'b5f72bb6-6f0a-4bb1-b936-5a704d08566f')).toBe(144);
      const runner = claudeCodeHooksRunner({ store: dir, fromStart: true, pollIntervalMs: 60_000 });
      const replay = createObserver({ runners: [runner] });
      await replay.ready();
      await replay.flush();
      const fleet = replay.snapshot().fleet as FleetSnapshot;
      await replay.close();
      const open = fleet.workflows.flatMap((w) => w.timeline).filter((t) => t.status === 'running' && t.agentId === 'a3a01df3483852b22');
      expect(open).toHaveLength(1);
      // 142 s − 8 s = 134 s, plus the few ms between reading the store and the snapshot (not the
      // seven months and more between 2026-04-28 and the clock).
      expect(open[0]!.durationMs).toBeGreaterThanOrEqual(134_000);
      expect(open[0]!.durationMs).toBeLessThan(144_000);
      expect(fleet.findings.filter((f) => f.kind === 'fleet.stuck_agent')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

