/**
 * `fleetscope report` over history:
 * - `report --json --claude DIR` and `usage --json DIR` give the same token and cost totals (tokens
 *   exactly, cost to the cent), on a hand-built transcript whose cost is computed by hand and on the
 *   real transcripts in ../shared/real-cc;
 * - the report does not depend on the day it is made: "running for" is measured against the newest
 *   event, and insights are dated on the events' time line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStreamedFixture } from '../runners/claude-code-fixtures.js';
import { buildCli } from './build-cli.js';
import type { EventInput } from '../../src/index.js';
import { seededRandom } from '../../src/analyzers/anomalies-options.js';
import { run, writeStore } from './fixtures.js';

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

/** The built CLI with the wall clock moved by `offsetMs` (a report made on another day). */
function runAt(offsetMs: number, args: string[]): { code: number | null; stdout: string } {
  const preload = join(root, 'fake-now.mjs');
  writeFileSync(preload, 'const offset = Number(process.env.FAKE_NOW_OFFSET_MS);\nconst real = Date.now;\nDate.now = () => real() + offset;\n');
  const r = spawnSync(process.execPath, ['--import', preload, cli, ...args], { encoding: 'utf8', env: { ...process.env, FAKE_NOW_OFFSET_MS: String(offsetMs) } });
  return { code: r.status, stdout: r.stdout };
}

/** The insights of a `report --json` (replayed events get the same `replay…` ids on every run: nothing to mask). */
function insightsOf(stdout: string): unknown[] {
  return (JSON.parse(stdout) as { insights: { insights: unknown[] } }).insights.insights;
}

const YEAR = 365 * 86_400_000;

describe('report over history is the same whatever day it is made', () => {
  it('a stuck agent runs for as long as the history shows: measured against the newest event, dated on the events\' time line', () => {
    const t0 = Date.UTC(2025, 5, 1, 12, 0, 0);
    const file = join(root, 'stuck.jsonl');
    const events = [
      { type: 'session.start', timestamp: t0, sessionId: 'stuck-1', agentId: 'main', payload: {} },
      { type: 'agent.start', timestamp: t0 + 1000, sessionId: 'stuck-1', agentId: 'worker', spanId: '00000000000000a1', payload: { name: 'worker' } },
      { type: 'llm.call', timestamp: t0 + 2000, sessionId: 'stuck-1', agentId: 'worker', parentSpanId: '00000000000000a1', payload: { model: 'claude-haiku-4-5', status: 'success', inputTokens: 10, outputTokens: 5 } },
      // The history's newest event, 3 h after the worker started; the worker never ended.
      { type: 'llm.call', timestamp: t0 + 3 * 3_600_000 + 1000, sessionId: 'stuck-1', agentId: 'main', payload: { model: 'claude-haiku-4-5', status: 'success', inputTokens: 10, outputTokens: 5 } },
    ];
    writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
    const today = runAt(0, ['report', '--json', '--jsonl', file]);
    const nextYear = runAt(YEAR, ['report', '--json', '--jsonl', file]);
    expect(today.code).toBe(0);
    const stuck = (insightsOf(today.stdout) as Array<{ kind: string; title: string; evidence: Record<string, unknown>; firstSeen: number }>).find((i) => i.kind === 'fleet.stuck_agent');
    expect(stuck).toMatchObject({ title: 'Agent worker started 180 min ago and never ended', evidence: { runningMs: 3 * 3_600_000 }, firstSeen: t0 + 3 * 3_600_000 + 1000 });
    expect(insightsOf(nextYear.stdout)).toEqual(insightsOf(today.stdout));
  });

  it('on the real transcripts: the same insights a year apart, and none of the agents is taken for stuck', () => {
    const real = join(process.cwd(), '../shared/real-cc/transcripts');
    const today = runAt(0, ['report', '--json', '--claude', real]);
    const nextYear = runAt(YEAR, ['report', '--json', '--claude', real]);
    expect(today.code).toBe(0);
    const insights = insightsOf(today.stdout) as Array<{ kind: string }>;
    expect(insights.length).toBeGreaterThan(0);
    expect(insights.filter((i) => i.kind === 'fleet.stuck_agent')).toEqual([]);
    expect(insightsOf(nextYear.stdout)).toEqual(insights);
  }, 120_000);
});

/**
 * Fields of `report --json` that may differ between two runs over the same input because they
 * record the run itself rather than the events. None today: dates are on the events' time line
 * (see above), replayed events without an id get `replay…` ids, and the anomaly forest is seeded.
 * A field added here must say why it is a fact of the run.
 */
const TIME_OF_RUN_FIELDS: readonly string[] = [];

/** `report --json`'s stdout with the time-of-run fields taken out (none today: byte for byte). */
function reportJson(args: string[]): string {
  const r = run(cli, ['report', '--json', ...args]);
  expect(r.code).toBe(0);
  if (TIME_OF_RUN_FIELDS.length === 0) return r.stdout;
  return JSON.stringify(JSON.parse(r.stdout, (key, value: unknown) => (TIME_OF_RUN_FIELDS.includes(key) ? undefined : value)));
}

/** A store of 3,000 tool and LLM calls whose latencies and tokens vary (seeded), with a few far-off ones. */
function variedEvents(): EventInput[] {
  const random = seededRandom(7);
  const t0 = Date.UTC(2025, 5, 1);
  const events: EventInput[] = [];
  for (let i = 0; i < 1500; i++) {
    const sessionId = `gen-${Math.floor(i / 100)}`;
    const t = t0 + i * 700;
    const far = i % 97 === 0 ? 40 : 1;
    const durationMs = Math.round((50 + random() * 200) * far);
    events.push({ type: 'tool.end', sessionId, agentId: 'main', timestamp: t, payload: { toolName: ['Bash', 'Read'][i % 2]!, toolCallId: `c${i}`, status: i % 31 === 0 ? 'error' : 'success', durationMs } });
    const inputTokens = Math.round((500 + random() * 1500) * far);
    events.push({ type: 'llm.call', sessionId, agentId: 'main', timestamp: t + 300, payload: { model: 'claude-sonnet-4-5', inputTokens, outputTokens: Math.round(50 + random() * 400), status: 'success', latencyMs: Math.round(800 + random() * 2000) } });
  }
  return events;
}

describe('report is reproducible: two runs over the same input give the same JSON', () => {
  it('on the real transcripts (../shared/real-cc): byte for byte, replayed ids included', () => {
    const real = join(process.cwd(), '../shared/real-cc/transcripts');
    const first = reportJson(['--claude', real]);
    expect(first).toContain('"eventId": "replay');
    expect(reportJson(['--claude', real])).toBe(first);
  }, 120_000);

  it('on a generated store: the same anomalies, scored and unscored counts', async () => {
    const dir = join(root, 'varied-store');
    await writeStore(dir, variedEvents());
    const first = reportJson(['--store', dir]);
    const anomalies = (JSON.parse(first) as { anomalies: { counts: { scored: number; isolationForest: number; zscore: number }; model: { trainings: number } } }).anomalies;
    // The forest was trained and scored, and the far-off calls were found: the comparison is not of empty sections.
    expect(anomalies.model.trainings).toBeGreaterThan(0);
    expect(anomalies.counts.scored).toBeGreaterThan(0);
    expect(anomalies.counts.zscore + anomalies.counts.isolationForest).toBeGreaterThan(0);
    expect(reportJson(['--store', dir])).toBe(first);
  }, 120_000);
});

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
