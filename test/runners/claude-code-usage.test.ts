import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
