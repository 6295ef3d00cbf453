import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeUsage, type ClaudeUsageReport } from '../../src/runners/claude-code-usage.js';
import { costFromTokens } from '../../src/runners/claude-code-transcript.js';
import { centsOnly, writeUsageFixture } from './claude-code-fixtures.js';

const TZ = 'America/New_York';
const CCUSAGE = join(process.cwd(), 'node_modules/ccusage/dist/index.js');

function runCcusage(root: string, command: 'daily' | 'session'): Record<string, unknown> {
  const result = spawnSync(process.execPath, [CCUSAGE, command, '--offline', '--json'], {
    env: { ...process.env, CLAUDE_CONFIG_DIR: root, TZ, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe('claudeUsage', () => {
  let root: string;
  let report: ClaudeUsageReport;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'fleetscope-usage-'));
    writeUsageFixture(root);
    report = claudeUsage({ paths: [root], timezone: TZ, mode: 'ccusage' });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('prices tokens like ccusage, tier above 200k included (figures by hand)', () => {
    // sonnet 4.5: $3/M in, $15/M out, $3.75/M cache write, $0.30/M cache read; above 200k: 6, 22.5, 7.5, 0.6.
    const tiered = costFromTokens(
      { input_tokens: 5, output_tokens: 900, cache_creation_input_tokens: 1000, cache_read_input_tokens: 250_000 },
      'claude-sonnet-4-5-20250929',
    );
    expect(tiered).toBeCloseTo(5 * 3e-6 + 900 * 15e-6 + 1000 * 3.75e-6 + 200_000 * 0.3e-6 + 50_000 * 0.6e-6, 12);
    // opus 4.6 fast mode: x6.
    const fast = costFromTokens({ input_tokens: 1_000_000, output_tokens: 0 }, 'claude-opus-4-6', true);
    expect(fast).toBeCloseTo(5 * 6, 9);
    expect(costFromTokens({ input_tokens: 1000, output_tokens: 1000 }, 'some-other-model')).toBe(0);
  });

  it('counts duplicates once and splits days in the chosen time zone (figures by hand)', () => {
    expect(report.daily.map((d) => d.date)).toEqual(['2025-03-01', '2025-03-02', '2025-03-04']);
    const day1 = report.daily[0]!;
    // msg_01A once (10 in), msg_01B (5), subagent msg_SA (300) + msg_SB (20); 03:30Z on 03-02 is 03-01 in New York.
    expect(day1.inputTokens).toBe(10 + 5 + 300 + 20 + 7 + 1 + 0);
    expect(day1.outputTokens).toBe(200 + 900 + 400 + 120 + 1500 + 10 + 0);
    expect(report.stats.duplicates).toBe(2);
    expect(report.stats.malformed).toBe(1);
  });

  it('breaks a conversation down by agent: main and the subagent', () => {
    const conversation = report.conversations.find((c) => c.sessionId === '0b7f2c1e-1111-4a2b-9c3d-000000000001')!;
    const byAgent = Object.fromEntries(conversation.agents.map((a) => [a.agentId, a]));
    expect(byAgent.a1b2c3d!.inputTokens).toBe(320);
    expect(byAgent.a1b2c3d!.outputTokens).toBe(520);
    expect(byAgent.a1b2c3d!.cacheCreationTokens).toBe(5000);
    expect(byAgent.a1b2c3d!.modelsUsed).toEqual(['claude-haiku-4-5-20251001']);
    expect(byAgent.main!.inputTokens).toBe(10 + 5 + 7 + 1 + 0);
  });

  it('equals `ccusage daily --offline --json`: tokens exactly, cost to the cent', () => {
    const reference = runCcusage(root, 'daily');
    const ours = { daily: report.daily, totals: report.totals };
    expect(centsOnly(ours)).toEqual(centsOnly(reference));
  });

  it('equals `ccusage session --offline --json`: tokens exactly, cost to the cent', () => {
    const reference = runCcusage(root, 'session') as { sessions: unknown[]; totals: unknown };
    expect(centsOnly(report.sessions)).toEqual(centsOnly(reference.sessions));
    const totals = reference.totals as { totalCost: number; totalTokens: number };
    expect(report.totals.totalTokens).toBe(totals.totalTokens);
    expect(Math.round(report.totals.totalCost * 100)).toBe(Math.round(totals.totalCost * 100));
  });
});

describe('claudeUsage, right per the data (hand-made fixture, figures by hand)', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'fleetscope-usage-data-'));
    const dir = join(root, 'projects', '-home-dev-app');
    mkdirSync(join(dir, 's1', 'subagents', 'nested'), { recursive: true });
    const usage = (output: number) => ({
      input_tokens: 4,
      output_tokens: output,
      cache_creation_input_tokens: 1000,
      cache_read_input_tokens: 20_000,
      cache_creation: { ephemeral_5m_input_tokens: 600, ephemeral_1h_input_tokens: 400 },
    });
    const line = (t: string, output: number, text: string) =>
      JSON.stringify({ type: 'assistant', timestamp: t, sessionId: 's1', requestId: 'req_1', message: { id: 'msg_1', model: 'claude-sonnet-4-5-20250929', content: [{ type: 'text', text }], usage: usage(output) } });
    // Two streamed copies of one response: output 7, then 250.
    writeFileSync(join(dir, 's1.jsonl'), `${line('2025-05-01T10:00:00.000Z', 7, 'a')}\n${line('2025-05-01T10:00:01.000Z', 250, 'b')}\n`);
    // A subagent file two levels under subagents/: one response, no 1-hour writes.
    writeFileSync(
      join(dir, 's1', 'subagents', 'nested', 'agent-x1.jsonl'),
      `${JSON.stringify({ type: 'assistant', timestamp: '2025-05-01T10:05:00.000Z', sessionId: 's1', isSidechain: true, agentId: 'x1', requestId: 'req_2', message: { id: 'msg_2', model: 'claude-sonnet-4-5-20250929', content: [], usage: { input_tokens: 10, output_tokens: 100 } } })}\n`,
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('counts the largest copy and bills 1-hour writes at 2x input; --ccusage counts the first copy at 1.25x', () => {
    const data = claudeUsage({ paths: [root], timezone: 'UTC' });
    const cc = claudeUsage({ paths: [root], timezone: 'UTC', mode: 'ccusage' });
    // sonnet 4.5: $3/M in, $15/M out, $3.75/M 5-minute write, $6/M 1-hour write, $0.30/M read.
    const main = 4 * 3e-6 + 250 * 15e-6 + 600 * 3.75e-6 + 400 * 6e-6 + 20_000 * 0.3e-6;
    const sub = 10 * 3e-6 + 100 * 15e-6;
    expect(data.totals.outputTokens).toBe(250 + 100);
    expect(data.totals.totalCost).toBeCloseTo(main + sub, 12);
    expect(cc.totals.outputTokens).toBe(7 + 100);
    expect(cc.totals.totalCost).toBeCloseTo(4 * 3e-6 + 7 * 15e-6 + 1000 * 3.75e-6 + 20_000 * 0.3e-6 + sub, 12);
    const agents = Object.fromEntries(data.conversations[0]!.agents.map((a) => [a.agentId, a]));
    expect(agents.x1!.outputTokens).toBe(100);
    expect(agents.x1!.kind).toBe('subagent');
    expect(agents.main!.outputTokens).toBe(250);
  });

  it('groups by week (sunday or monday start), month and 5-hour block', () => {
    const r = claudeUsage({ paths: [root], timezone: 'UTC', startOfWeek: 'monday', now: Date.parse('2025-05-01T11:00:00.000Z') });
    // 2025-05-01 is a Thursday: the week starts Monday 2025-04-28 (Sunday 2025-04-27 by default).
    expect(r.weekly.map((w) => w.week)).toEqual(['2025-04-28']);
    expect(claudeUsage({ paths: [root], timezone: 'UTC' }).weekly.map((w) => w.week)).toEqual(['2025-04-27']);
    expect(r.monthly.map((m) => m.month)).toEqual(['2025-05']);
    expect(r.blocks).toHaveLength(1);
    const block = r.blocks[0]!;
    expect(block.startTime).toBe('2025-05-01T10:00:00.000Z');
    expect(block.endTime).toBe('2025-05-01T15:00:00.000Z');
    expect(block.isActive).toBe(true);
    // Burn rate over the first (10:00:01, the largest copy's time) to the last entry (10:05:00).
    const minutes = (5 * 60 - 1) / 60;
    expect(block.burnRate!.tokensPerMinute).toBeCloseTo(block.totalTokens / minutes, 9);
    // 4 hours left at that rate.
    expect(block.projection!.remainingMinutes).toBe(240);
    expect(block.projection!.totalTokens).toBe(Math.round(block.totalTokens + (block.totalTokens / minutes) * 240));
  });

  it('computes only the groupings asked for (daily and totals always), the same figures as all at once', () => {
    const all = claudeUsage({ paths: [root], timezone: 'UTC' });
    const weekly = claudeUsage({ paths: [root], timezone: 'UTC', groupings: ['weekly'] });
    expect(weekly.weekly).toEqual(all.weekly);
    expect(weekly.daily).toEqual(all.daily);
    expect(weekly.totals).toEqual(all.totals);
    expect([weekly.monthly, weekly.sessions, weekly.conversations, weekly.blocks]).toEqual([[], [], [], []]);
    const sessions = claudeUsage({ paths: [root], timezone: 'UTC', mode: 'ccusage', groupings: ['sessions', 'blocks'] });
    const allCc = claudeUsage({ paths: [root], timezone: 'UTC', mode: 'ccusage' });
    expect(sessions.sessions).toEqual(allCc.sessions);
    expect(sessions.blocks).toEqual(allCc.blocks);
    expect(sessions.weekly).toEqual([]);
    expect(() => claudeUsage({ paths: [root], groupings: ['hourly' as 'daily'] })).toThrow(/groupings are daily, weekly/);
  });
});
