import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import {
  classifyChange,
  regressionsAnalyzer,
  type RegressionsAnalyzerSnapshot,
  type RegressionsOptions,
} from '../../src/analyzers/regressions.js';

const T0 = 1_700_002_800_000;
/** Deterministic spread: ln(latency) = ln(base) + 0.3·z with z cycling over −1, −0.5, 0, 0.5, 1. */
const Z = [-1, -0.5, 0, 0.5, 1];
const latency = (base: number, i: number) => base * Math.exp(0.3 * Z[i % 5]!);

function setup(options: RegressionsOptions = {}) {
  const now = T0 + 600_000;
  const analyzer = regressionsAnalyzer(options);
  const observer = createObserver({ analyzers: [analyzer], storage: false, clock: () => now });
  const tool = (name: string, ms: number, status: 'success' | 'error' = 'success') =>
    observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: name, status, durationMs: ms } });
  const snap = () => observer.snapshot().regressions as RegressionsAnalyzerSnapshot;
  return { analyzer, observer, tool, snap };
}

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('regressionsAnalyzer', () => {
  it('classifies changes: minor < +50% ≤ moderate < +100% ≤ severe', () => {
    expect(classifyChange(0.2)).toBe('minor');
    expect(classifyChange(0.49)).toBe('minor');
    expect(classifyChange(0.5)).toBe('moderate');
    expect(classifyChange(1)).toBe('severe');
  });

  it("stamps a learned baseline with its 50th sample's time, whatever the flush cadence", async () => {
    const learnedAt = async (flushEvery: number) => {
      let now = T0;
      const observer = createObserver({ analyzers: [regressionsAnalyzer({ learnSamples: 50 })], storage: false, clock: () => now });
      for (let i = 0; i < 60; i++) {
        now = T0 + i * 1_000;
        observer.emit({ type: 'tool.end', timestamp: now, payload: { toolName: 'fetch', status: 'success', durationMs: latency(100, i) } });
        if ((i + 1) % flushEvery === 0) await observer.flush();
      }
      await observer.flush();
      return (observer.snapshot().regressions as RegressionsAnalyzerSnapshot).baselines['tool:fetch']!.updatedAt;
    };
    // Sample 50 is i = 49, at T0 + 49 s; flushing after every event, every 7 or only at the end gives it.
    expect(await learnedAt(1)).toBe(T0 + 49_000);
    expect(await learnedAt(7)).toBe(T0 + 49_000);
    expect(await learnedAt(1_000)).toBe(T0 + 49_000);
  });

  it('learns a baseline, then flags a ×1.7 latency shift on 50 samples as moderate', async () => {
    const { observer, tool, snap } = setup({ learnSamples: 50 });
    for (let i = 0; i < 50; i++) tool('fetch', latency(100, i));
    for (let i = 0; i < 50; i++) tool('fetch', latency(170, i));
    await observer.flush();
    const s = snap();
    const b = s.baselines['tool:fetch']!;
    expect(b.samples).toBe(50);
    // Median of the baseline is 100 ms (z = 0), within the 1% sketch error.
    expect(Math.abs(b.p50 - 100) / 100).toBeLessThanOrEqual(0.01);
    expect(b.logMean).toBeCloseTo(Math.log(100), 6);
    expect(b.confidence).toBeCloseTo(1 - 1 / Math.sqrt(50), 3);
    expect(s.regressions).toHaveLength(1);
    const r = s.regressions[0]!;
    expect(r.operation).toBe('tool:fetch');
    expect(r.classification).toBe('moderate');
    // p50 and p95 both moved by ×1.7: change 0.7 within twice the sketch error.
    expect(Math.abs(r.change - 0.7)).toBeLessThanOrEqual(0.035);
    expect(r.pValue).toBeLessThan(0.01);
    expect(r.samples).toBe(50);
    expect(s.findings[0]).toMatchObject({ analyzer: 'regressions', kind: 'regression.latency', severity: 'medium', location: { toolName: 'fetch' } });
    await observer.close();
  });

  it('×1.3 on 50 samples is minor and ×2.5 is severe', async () => {
    const { observer, tool, snap } = setup({ learnSamples: 50 });
    for (let i = 0; i < 50; i++) {
      tool('a', latency(100, i));
      tool('b', latency(100, i));
    }
    for (let i = 0; i < 50; i++) {
      tool('a', latency(130, i));
      tool('b', latency(250, i));
    }
    await observer.flush();
    const byOp = Object.fromEntries(snap().regressions.map((r) => [r.operation, r.classification]));
    expect(byOp).toEqual({ 'tool:a': 'minor', 'tool:b': 'severe' });
    await observer.close();
  });

  it('the same shift on 3 samples gives nothing (too few samples)', async () => {
    const { observer, tool, snap } = setup({ learnSamples: 50 });
    for (let i = 0; i < 50; i++) tool('fetch', latency(100, i));
    for (let i = 0; i < 3; i++) tool('fetch', latency(170, i));
    await observer.flush();
    expect(snap().regressions).toEqual([]);
    expect(snap().windowSamples['tool:fetch']).toBe(3);
    await observer.close();
  });

  it('the significance test alone rejects a noisy ×1.3 on 3 samples', async () => {
    // minSamples 2, so only the test stands in the way. Current ln-values: ln130 + 0.3·{1, −1, 0}:
    // mean ln130, variance 0.09; baseline variance ≈ 0.0459 (z spread), n 50.
    // t = ln(1.3) / √(0.09/3 + 0.0459/50) ≈ 1.49 with ≈ 2.1 df: p ≈ 0.14 > 0.01.
    const { observer, tool, snap } = setup({ learnSamples: 50, minSamples: 2 });
    for (let i = 0; i < 50; i++) tool('fetch', latency(100, i));
    for (const z of [1, -1, 0]) tool('fetch', 130 * Math.exp(0.3 * z));
    await observer.flush();
    expect(snap().regressions).toEqual([]);
    await observer.close();
  });

  it('flags token growth and success-rate drops with their own tests', async () => {
    const { observer, snap } = setup({ learnSamples: 50 });
    const llm = (model: string, tokens: number, status: 'success' | 'error' = 'success') =>
      observer.emit({ type: 'llm.call', timestamp: T0, payload: { model, status, inputTokens: tokens, outputTokens: 0 } });
    for (let i = 0; i < 50; i++) llm('m', 1000 + (i % 5) * 10);
    // Mean 2520 vs 1020: +147% → severe.
    for (let i = 0; i < 20; i++) llm('m', 2500 + (i % 5) * 10);
    // A tool: 50 successes, then 8 failures in 20 → success rate 1 → 0.6, a 40-point drop: severe.
    const { tool } = { tool: (s: 'success' | 'error') => observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 't', status: s } }) };
    for (let i = 0; i < 50; i++) tool('success');
    for (let i = 0; i < 20; i++) tool(i < 8 ? 'error' : 'success');
    // Another: 1 failure in 20 (5 points): z = 0.05/√(0.9857·0.0143·(1/20 + 1/50)) ≈ 1.59, p ≈ 0.056: nothing.
    const tool2 = (s: 'success' | 'error') => observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 'u', status: s } });
    for (let i = 0; i < 50; i++) tool2('success');
    for (let i = 0; i < 20; i++) tool2(i < 1 ? 'error' : 'success');
    await observer.flush();
    const s = snap();
    const tokens = s.regressions.find((r) => r.metric === 'tokens_mean')!;
    expect(tokens.operation).toBe('llm:m');
    expect(tokens.baseline).toBe(1020);
    expect(tokens.current).toBe(2520);
    expect(tokens.classification).toBe('severe');
    const success = s.regressions.find((r) => r.metric === 'success_rate')!;
    expect(success).toMatchObject({ operation: 'tool:t', baseline: 1, current: 0.6, classification: 'severe', samples: 20 });
    expect(s.regressions.filter((r) => r.operation === 'tool:u')).toEqual([]);
    expect(s.findings.map((f) => f.kind).sort()).toEqual(['regression.success_rate', 'regression.tokens']);
    await observer.close();
  });

  it('saves and loads baselines: last run vs this run', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetscope-baselines-'));
    const path = join(dir, 'nested', 'baselines.json');
    // Last week's run: 50 calls around 100 ms, saved on close.
    const first = setup({ baselinePath: path, saveOnClose: true, learnSamples: 0 });
    for (let i = 0; i < 50; i++) first.tool('fetch', latency(100, i));
    await first.observer.flush();
    const saved = first.analyzer.currentBaselines();
    await first.observer.close();
    const file = JSON.parse(await readFile(path, 'utf8'));
    expect(file.version).toBe(1);
    expect(file.baselines['tool:fetch']).toEqual(saved['tool:fetch']);
    expect(saved['tool:fetch']!.samples).toBe(50);

    // Today's run loads it and compares: ×2.5 on 50 samples is severe.
    const second = setup({ baselinePath: path, learnSamples: 0 });
    for (let i = 0; i < 50; i++) second.tool('fetch', latency(250, i));
    await second.observer.flush();
    const s = second.snap();
    expect(s.baselines['tool:fetch']).toEqual(saved['tool:fetch']);
    expect(s.regressions).toHaveLength(1);
    expect(s.regressions[0]!.classification).toBe('severe');

    // Explicit methods: save to another path, load it into a fresh analyzer.
    const other = join(dir, 'b.json');
    await second.analyzer.saveBaselines(other);
    const third = regressionsAnalyzer();
    expect(await third.loadBaselines(other)).toBe(1);
    expect(await third.loadBaselines(join(dir, 'missing.json'))).toBe(0);
    await second.observer.close();
  });

  it('rejects bad options', () => {
    expect(() => regressionsAnalyzer({ alpha: 2 })).toThrow(/\[fleetscope\] \[regressions\]/);
  });
});
