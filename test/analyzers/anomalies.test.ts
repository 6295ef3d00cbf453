import { afterEach, describe, expect, it, vi } from 'vitest';
import { createObserver, defineAnalyzer, type AnomalyPayload, type FleetEvent } from '../../src/index.js';
import { anomaliesAnalyzer, type AnomaliesOptions, type AnomaliesSnapshot } from '../../src/analyzers/anomalies.js';
import { averagePathLength, belowThresholdTotal, buildModel, flattenForest, ForestGrower, growForest, ScoreMemo, scoreVector, scoreVectorAbove } from '../../src/analyzers/anomalies-forest.js';
import { IsolationForest } from 'ml-isolation-forest';

const T0 = 1_700_002_800_000;

function setup(options: AnomaliesOptions) {
  const seen: FleetEvent[] = [];
  const collector = defineAnalyzer({
    name: 'collector',
    filter: { types: ['anomaly'] },
    onEvent: (event) => {
      seen.push(event);
    },
    snapshot: () => seen.length,
  });
  const observer = createObserver({ analyzers: [anomaliesAnalyzer(options), collector], storage: false, clock: () => T0 });
  return { observer, seen, snap: () => observer.snapshot().anomalies as AnomaliesSnapshot };
}

describe('anomaliesAnalyzer', () => {
  it('z-score: an obvious latency outlier after the warm-up is emitted as an anomaly event', async () => {
    const { observer, seen, snap } = setup({ isolationForest: false });
    // 40 calls at 90, 95, 100, 105, 110 ms, then one at 5000 ms.
    for (let i = 0; i < 40; i++) {
      observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 'bash', status: 'success', durationMs: 90 + (i % 5) * 5 } });
    }
    const outlier = observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 'bash', status: 'success', durationMs: 5000 } })!;
    await observer.flush();
    const s = snap();
    expect(s.counts.zscore).toBe(1);
    const a = s.anomalies[0]!;
    expect(a).toMatchObject({ operation: 'tool:bash', method: 'zscore', eventId: outlier.id });
    // By hand: ln(1+x) of the 40 values has mean ≈ ln(101) and sd ≈ 0.0704 (sample); ln(5001) is
    // 3.90 above the mean: z ≈ 3.90 / 0.0704 ≈ 55.
    const logs = Array.from({ length: 40 }, (_, i) => Math.log1p(90 + (i % 5) * 5));
    const mean = logs.reduce((x, y) => x + y, 0) / 40;
    const sd = Math.sqrt(logs.reduce((x, y) => x + (y - mean) ** 2, 0) / 39);
    expect(a.score).toBeCloseTo((Math.log1p(5000) - mean) / sd, 2);
    expect(a.features.latencyMs).toBe(5000);
    expect(seen).toHaveLength(1);
    const payload = seen[0]!.payload as AnomalyPayload;
    expect(payload).toMatchObject({ operation: 'tool:bash', method: 'zscore', eventId: outlier.id });
    expect(seen[0]!.source).toBe('analyzer:anomalies');
    expect(s.findings).toEqual([
      expect.objectContaining({ analyzer: 'anomalies', kind: 'anomaly.zscore', location: { operation: 'tool:bash' } }),
    ]);
    await observer.close();
  });

  it('z-score: nothing during warm-up, nothing for ordinary variation', async () => {
    const { observer, snap } = setup({ isolationForest: false, zWarmup: 30 });
    // An outlier at the 10th value is still in the warm-up.
    for (let i = 0; i < 60; i++) {
      const ms = i === 9 ? 10_000 : 90 + (i % 5) * 5;
      observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName: 'x', status: 'success', durationMs: ms } });
    }
    await observer.flush();
    expect(snap().counts.zscore).toBe(0);
    await observer.close();
  });

  it('isolation forest: trains after the warm-up and flags an event unlike the rest', async () => {
    // A fixed random source makes the subsample reproducible (the library's own splits still use Math.random).
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const { observer, seen, snap } = setup({ zWarmup: 1_000_000, isolationForest: { warmup: 256, random } });
    for (let i = 0; i < 300; i++) {
      observer.emit({
        type: 'llm.call',
        timestamp: T0,
        payload: { model: 'm', status: 'success', latencyMs: 800 + (i % 10) * 20, inputTokens: 1000 + (i % 7) * 50, outputTokens: 200 + (i % 3) * 10 },
      });
    }
    const odd = observer.emit({
      type: 'llm.call',
      timestamp: T0,
      payload: { model: 'm', status: 'error', latencyMs: 120_000, inputTokens: 900_000, outputTokens: 50_000 },
    })!;
    await observer.flush();
    const s = snap();
    expect(s.model).toMatchObject({ enabled: true, trained: true, trainings: 1, trainingSize: 256 });
    const flagged = s.anomalies.filter((a) => a.method === 'isolation_forest');
    expect(flagged.map((a) => a.eventId)).toContain(odd.id);
    const mine = flagged.find((a) => a.eventId === odd.id)!;
    expect(mine.score).toBeGreaterThanOrEqual(0.7);
    expect(mine.features.latencyMs).toBe(120_000);
    expect(mine.features.error).toBe(1);
    // Regular events are not flagged.
    expect(flagged.length).toBeLessThanOrEqual(3);
    expect(seen.some((e) => (e.payload as AnomalyPayload).eventId === odd.id)).toBe(true);
    await observer.close();
  });

  it('caps emitted events per minute and counts the rest', async () => {
    const { observer, seen, snap } = setup({ isolationForest: false, zWarmup: 5, maxEventsPerMinute: 2 });
    // Three tools, each 10 ordinary calls then one outlier: three anomalies, two events.
    for (const toolName of ['y1', 'y2', 'y3']) {
      for (let i = 0; i < 10; i++) observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName, status: 'success', durationMs: 100 + (i % 2) } });
      observer.emit({ type: 'tool.end', timestamp: T0, payload: { toolName, status: 'success', durationMs: 1e6 } });
    }
    await observer.flush();
    const s = snap();
    expect(s.counts.zscore).toBe(3);
    expect(seen).toHaveLength(2);
    expect(s.counts.suppressedEvents).toBe(1);
    expect(s.anomalies).toHaveLength(3);
    await observer.close();
  });

  it('sampling: beyond scoredPerSecond, only vectors with a feature ≥ 2 sd from the training mean are scored', async () => {
    let seed = 11;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    // The clock stands still, so all the events fall in one second: a budget of 300 vectors.
    const { observer, snap } = setup({ zWarmup: 1_000_000, isolationForest: { warmup: 256, random, scoredPerSecond: 300 } });
    const call = (i: number) =>
      observer.emit({
        type: 'llm.call',
        timestamp: T0,
        payload: { model: 'm', status: 'success', latencyMs: 800 + (i % 10) * 20, inputTokens: 1000 + (i % 7) * 50, outputTokens: 200 + (i % 3) * 10 },
      });
    for (let i = 0; i < 300; i++) call(i);
    await observer.flush(); // trains on the first 300 and scores them: the budget is spent
    for (let i = 0; i < 2000; i++) call(i);
    observer.emit({ type: 'llm.call', timestamp: T0, payload: { model: 'm', status: 'error', latencyMs: 120_000, inputTokens: 900_000, outputTokens: 50_000 } });
    await observer.flush();
    const s = snap();
    // The 2000 ordinary calls repeat the training values: every feature within 2 sd of the
    // training mean (latency spans ±1.6 sd, total tokens ±1.5 sd, output tokens ±1.2 sd; error
    // and kind are constant), so none is scored; the odd call is.
    expect(s.counts.scored).toBe(301);
    expect(s.counts.unscored).toBe(2000);
    await observer.close();
  });

  it('sampling: an obvious outlier among the warm-up events is still scored and flagged', async () => {
    // Same events as the training test above, with a budget of 50: before the first training
    // every vector is queued; once trained, the 250 beyond the budget are scored only if a
    // feature is ≥ 2 sd from the training mean. The odd call (in the training sample, as in
    // the test above) inflates each sd so much that only itself is that far: 50 + 1 scored.
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const { observer, snap } = setup({ zWarmup: 1_000_000, isolationForest: { warmup: 256, random, scoredPerSecond: 50 } });
    for (let i = 0; i < 300; i++) {
      observer.emit({
        type: 'llm.call',
        timestamp: T0,
        payload: { model: 'm', status: 'success', latencyMs: 800 + (i % 10) * 20, inputTokens: 1000 + (i % 7) * 50, outputTokens: 200 + (i % 3) * 10 },
      });
    }
    const odd = observer.emit({ type: 'llm.call', timestamp: T0, payload: { model: 'm', status: 'error', latencyMs: 120_000, inputTokens: 900_000, outputTokens: 50_000 } })!;
    await observer.flush();
    const s = snap();
    expect(s.counts).toMatchObject({ scored: 51, unscored: 250 });
    const mine = s.anomalies.find((a) => a.method === 'isolation_forest' && a.eventId === odd.id);
    expect(mine?.score).toBeGreaterThanOrEqual(0.7);
    expect(mine?.features.latencyMs).toBe(120_000);
    await observer.close();
  });
});

describe('anomaliesAnalyzer with a seed (reports)', () => {
  /** 3,000 tool calls 0.5 ms apart (over the scoring budget of 1,000 a second), latencies from a fixed sequence, every 50th far off. */
  const events = Array.from({ length: 3000 }, (_, i) => ({
    id: `ev${i}`,
    sessionId: 'seeded',
    type: 'tool.end' as const,
    timestamp: T0 + Math.floor(i / 2),
    payload: { toolName: 'bash', status: 'success' as const, durationMs: i % 50 === 49 ? 20_000 + i : 80 + ((i * 7919) % 61) },
  }));

  /** Replays `events` into a seeded analyzer, flushing every `batch` events, with an observer clock that runs on its own. */
  async function replay(batch: number, clockStart: number) {
    let now = clockStart;
    const observer = createObserver({ analyzers: [anomaliesAnalyzer({ isolationForest: { seed: 3 } })], storage: false, clock: () => (now += 37) });
    for (let i = 0; i < events.length; i += batch) {
      observer.emitMany(events.slice(i, i + batch));
      await observer.flush();
    }
    const snap = observer.snapshot().anomalies as AnomaliesSnapshot;
    await observer.close();
    return snap;
  }

  it('the same events give the same anomalies and counts whatever the batching and the observer clock', async () => {
    const oneByOne = await replay(1, T0);
    const allAtOnce = await replay(3000, T0 + 86_400_000);
    expect(oneByOne.model.trainings).toBeGreaterThan(0);
    // Scored within the budget, the rest sampled: both happened.
    expect(oneByOne.counts.scored).toBeGreaterThan(0);
    expect(oneByOne.counts.unscored).toBeGreaterThan(0);
    expect(oneByOne.counts.zscore + oneByOne.counts.isolationForest).toBeGreaterThan(0);
    expect(allAtOnce.counts).toEqual(oneByOne.counts);
    expect(allAtOnce.anomalies).toEqual(oneByOne.anomalies);
    expect(allAtOnce.findings).toEqual(oneByOne.findings);
    // Trained on event time: the last training is dated by an event, not by the observer clock.
    expect(allAtOnce.model.lastTrainedAt).toBe(oneByOne.model.lastTrainedAt);
  });
});

describe('flat isolation forest', () => {
  afterEach(() => vi.restoreAllMocks());

  it('grows ml-isolation-forest\'s trees node for node from the same Math.random sequence', () => {
    let seed = 5;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    // Ties, a constant column and repeated rows exercise the ≥ side and the depth limit.
    const rows = Array.from({ length: 256 }, (_, i) => [Math.round(random() * 20), random() * 3, i % 50 === 0 ? 1 : 0, 2, Math.floor(random() * 4)]);
    let libSeed = 99;
    vi.spyOn(Math, 'random').mockImplementation(() => ((libSeed = (libSeed * 48271) % 2147483647) - 1) / 2147483646);
    const library = new IsolationForest({ nEstimators: 30 });
    library.train(rows);
    const expected = flattenForest(library);
    libSeed = 99;
    const grown = growForest(rows, 30);
    expect(grown.roots).toEqual(expected.roots);
    expect(grown.column).toEqual(expected.column);
    expect(grown.value).toEqual(expected.value);
    expect(grown.right).toEqual(expected.right);
    expect(grown.normalizer).toBe(expected.normalizer);
    // Not a degenerate forest: 30 trees of more than a root each.
    expect(grown.column.length).toBeGreaterThan(30 * 3);
    // Grown one tree per slice (a deadline already past), the forest is the same.
    libSeed = 99;
    const sliced = new ForestGrower(rows, 30);
    let slices = 1;
    while (!sliced.grow(0)) slices++;
    expect(slices).toBe(30);
    expect(sliced.forest()).toEqual(grown);
  });

  it('scores exactly as ml-isolation-forest predict', () => {
    let seed = 3;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const rows = Array.from({ length: 256 }, () => [random() * 10, random() * 3, random() < 0.1 ? 1 : 0, Math.floor(random() * 3), random()]);
    const forest = new IsolationForest({ nEstimators: 50 });
    forest.train(rows);
    const probes = [...rows.slice(0, 20), [100, -5, 1, 2, 0.5], [5, 1.5, 0, 1, 0.5], [NaN, 0, 0, 0, 0]];
    const expected = forest.predict(probes);
    const flat = flattenForest(forest);
    const vectors = Float64Array.from(probes.flat());
    expect(probes.map((_, i) => scoreVector(flat, vectors, i * 5))).toEqual(expected);
    expect(flat.roots).toHaveLength(50);
    // c(256) = 2 ln 255 + 0.57721 − 2·255/256
    expect(flat.normalizer).toBeCloseTo(2 * Math.log(255) + 0.57721 - (2 * 255) / 256, 12);
    expect([averagePathLength(1), averagePathLength(2)]).toEqual([0, 1]);
  });

  it('scoreVectorAbove gives the score bit for bit at or above the threshold, 0 below it', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const rows = Array.from({ length: 256 }, () => [random() * 10, random() * 3, random() < 0.1 ? 1 : 0, Math.floor(random() * 3), random()]);
    const forest = growForest(rows, 100, random);
    const probes = [...rows.slice(0, 40), [100, -5, 1, 2, 0.5], [-50, 40, 1, 9, 3], [5, 1.5, 0, 1, 0.5], [NaN, 0, 0, 0, 0]];
    const vectors = Float64Array.from(probes.flat());
    const scores = probes.map((_, i) => scoreVector(forest, vectors, i * 5));
    // Thresholds: 0.5 (10 of the 44 probes score above it here), and the 4th highest score itself
    // (the edge: that probe must still be kept, with its score).
    const edge = [...scores].sort((a, b) => b - a)[3]!;
    for (const threshold of [0.5, edge]) {
      const cutoff = belowThresholdTotal(forest, threshold);
      const above = probes.map((_, i) => scoreVectorAbove(forest, vectors, i * 5, cutoff));
      expect(above).toEqual(scores.map((s) => (s >= threshold ? s : 0)));
      // Both sides are present: some vectors kept with their score, most cut.
      expect(above.filter((s) => s > 0).length).toBe(threshold === edge ? 4 : 10);
      expect(above.filter((s) => s === 0).length).toBeGreaterThan(30);
    }
  });

  it('the memo of scores gives what a walk of the trees gives, repeated vectors and collisions included', () => {
    let seed = 11;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const rows = Array.from({ length: 256 }, () => [Math.round(random() * 8), random() * 3, random() < 0.1 ? 1 : 0, Math.floor(random() * 3), random()]);
    const models = [buildModel(growForest(rows, 50, random), rows, 0.3), buildModel(growForest(rows, 50, random), rows, 0.5)];
    // 3,000 vectors from 122 distinct ones (repeats hit the memo): 20 rows, each also with one of
    // its features changed in turn (so that a memo comparing four features of five would be
    // caught), an outlier, and 0 / −0 in the first feature.
    const base = rows.slice(0, 20);
    const changed = base.flatMap((row) => [0, 1, 2, 3, 4].map((g) => row.map((x, f) => (f === g ? (f === 2 ? 1 - x : x + 1.5) : x))));
    const distinct = [...base, ...changed, [100, -5, 1, 2, 0.5], [-0, 0, 0, 0, 0]];
    const vectors = new Float64Array(3000 * 5);
    for (let i = 0; i < 3000; i++) vectors.set(i === 0 ? [0, 0, 0, 0, 0] : distinct[Math.floor(random() * distinct.length)]!, i * 5);
    const bits = new Int32Array(vectors.buffer);
    // 4 slots: most vectors collide, so slots are taken over again and again.
    const memo = new ScoreMemo(4);
    for (const model of models) {
      memo.clear();
      const expected = Array.from({ length: 3000 }, (_, i) => scoreVectorAbove(model.forest, vectors, i * 5, model.cutoff));
      expect(Array.from({ length: 3000 }, (_, i) => memo.score(model, vectors, bits, i * 5))).toEqual(expected);
      // Thresholds 0.3 (every vector keeps its own score, so a wrong hit shows) and 0.5 (some cut to 0).
      expect(new Set(expected).size).toBeGreaterThan(model === models[0] ? 100 : 2);
    }
  });
});
