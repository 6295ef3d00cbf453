/**
 * `fleetscope report --json --claude DIR` and `fleetscope usage --json DIR` give the same token and
 * cost totals (tokens exactly, cost to the cent), on a hand-built transcript whose cost is computed
 * by hand and on the real transcripts in ../shared/real-cc.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStreamedFixture } from '../runners/claude-code-fixtures.js';
import { buildCli } from './build-cli.js';
import { run } from './fixtures.js';

let cli: string;
let root: string;

beforeAll(() => {
  cli = buildCli();
  root = mkdtempSync(join(tmpdir(), 'fleetscope-report-usage-'));
  writeStreamedFixture(root);
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Figures {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
  cents: number;
}

function reportFigures(dir: string): Figures {
  const r = run(cli, ['report', '--json', '--claude', dir]);
  expect(r.code).toBe(0);
  const cost = (JSON.parse(r.stdout) as { cost: { totalUsd: number; unpricedCalls: number; tokens: { input: number; output: number; cacheWrite: number; cacheRead: number } } }).cost;
  expect(cost.unpricedCalls).toBe(0);
  return { ...cost.tokens, cents: Math.round(cost.totalUsd * 100) };
}

function usageFigures(dir: string): Figures & { usd: number } {
  const r = run(cli, ['usage', '--json', dir]);
  expect(r.code).toBe(0);
  const t = (JSON.parse(r.stdout) as { totals: { inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number; totalCost: number } }).totals;
  return { input: t.inputTokens, output: t.outputTokens, cacheWrite: t.cacheCreationTokens, cacheRead: t.cacheReadTokens, cents: Math.round(t.totalCost * 100), usd: t.totalCost };
}

describe('report --json and usage --json agree', () => {
  it('on a hand-built session (streamed copies, 1-hour cache writes, progress echoes): $0.008856 by hand', () => {
    const report = run(cli, ['report', '--json', '--claude', root]);
    const cost = JSON.parse(report.stdout).cost as { totalUsd: number; calls: number; tokens: Record<string, number> };
    // See writeStreamedFixture: 7080 + 510 + 1065 + 201 µ$, four responses.
    expect(cost.calls).toBe(4);
    expect(cost.tokens).toEqual({ input: 42, output: 212, cacheRead: 3000, cacheWrite: 1000 });
    expect(cost.totalUsd).toBeCloseTo(0.008856, 10);
    const usage = usageFigures(root);
    expect(usage.usd).toBeCloseTo(0.008856, 10);
    expect(reportFigures(root)).toEqual({ input: usage.input, output: usage.output, cacheWrite: usage.cacheWrite, cacheRead: usage.cacheRead, cents: usage.cents });
  });

  it('on the real transcripts (../shared/real-cc)', () => {
    const real = join(process.cwd(), '../shared/real-cc/transcripts');
    const { usd: _, ...usage } = usageFigures(real);
    expect(usage.output).toBeGreaterThan(0);
    expect(reportFigures(real)).toEqual(usage);
  }, 120_000);
});
