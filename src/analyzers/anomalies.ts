/**
 * `anomalies`: two detectors over tool, agent and LLM events.
 *
 * - z-scores per operation on ln(latency) and ln(tokens) (Welford running mean and variance,
 *   after a warm-up count): latency and token counts are right-skewed, and on the raw scale every
 *   long tail would score high.
 * - An Isolation Forest over per-event feature vectors, trained on a subsample of 256 recent
 *   events (as the Isolation Forest paper prescribes) once the warm-up is reached, and retrained
 *   after `retrainEvery` events and `retrainIntervalMs`. Training and scoring run in a
 *   `setImmediate` job after a batch, never per event; the trees are grown as ml-isolation-forest
 *   grows them but into flat arrays (`anomalies-forest.ts`), ≈ 20× cheaper, so that the job does
 *   not hold the host's next task back.
 *   Scoring is sampled: up to `scoredPerSecond` vectors a second are scored whatever they hold;
 *   beyond, only the vectors with a feature ≥ 2 standard deviations from the training mean (the
 *   only ones that can be reported with a driving feature) are, up to ten times that. Vectors
 *   waiting to be scored sit in a bounded queue (oldest dropped, counted). A vector's walk stops
 *   once its path lengths put it below the threshold (`scoreVectorAbove`), and a vector seen again
 *   under the same model takes its score from a small memo (`ScoreMemo`): same scores, bit for bit.
 *
 * Each anomaly is put on the bus as an `anomaly` event (operation, method, score, the features
 * that drove it, the scored event's id) and kept in a bounded list. Options, defaults and their
 * checks are in `anomalies-options.ts`. See `docs/analyzers-stats.md`.
 */
import type { Analyzer, AnalyzerContext, EventOf, FleetEvent } from '../core/index.js';
import { eachEvent } from './define.js';
import { buildModel, explainVector, ForestGrower, isSuspicious, ScoreMemo, type ForestModel } from './anomalies-forest.js';
import { anomaliesSettings, type AnomaliesOptions } from './anomalies-options.js';
import { RunningStats } from './stats-math.js';
import type { Finding, FindingSeverity } from './types.js';

export type { AnomaliesOptions, IsolationForestOptions } from './anomalies-options.js';

export interface AnomalyRecord {
  operation: string;
  method: 'zscore' | 'isolation_forest';
  score: number;
  features: Record<string, number>;
  eventId: string;
  sessionId: string;
  timestamp: number;
}

export interface AnomaliesSnapshot {
  anomalies: AnomalyRecord[];
  /**
   * `scored`: vectors scored by the Isolation Forest; `unscored`: vectors left out by the
   * per-second sampling or dropped from a full queue.
   */
  counts: { zscore: number; isolationForest: number; suppressedEvents: number; scored: number; unscored: number };
  model: { enabled: boolean; trained: boolean; trainings: number; trainingSize: number; lastTrainedAt: number | null; error?: string };
  findings: Finding[];
}

/** Features of a vector: ln(1 + latencyMs), ln(1 + tokens), ln(1 + outputTokens), error 0/1, kind. */
const F = 5;
const KIND_TOOL = 0;
const KIND_AGENT = 1;
const KIND_LLM = 2;

/** Z-score state of one operation; `operation` is built once, when the operation is first seen. */
interface OperationState {
  operation: string;
  latency: RunningStats;
  tokens: RunningStats;
}

export function anomaliesAnalyzer(options: AnomaliesOptions = {}): Analyzer<AnomaliesSnapshot> {
  const {
    zThreshold, zWarmup, maxKept, maxEventsPerMinute: maxPerMinute, maxOperations, forestEnabled, warmup, sampleSize, trees, retrainEvery,
    retrainIntervalMs, scoredPerSecond, suspiciousPerSecond, historySize, forestThreshold: ifThreshold, maxPending, random, inEventOrder,
  } = anomaliesSettings(options);

  // Operations by kind, keyed by the payload's own name string: no key built per event.
  const toolOps = new Map<string, OperationState>();
  const agentOps = new Map<string, OperationState>();
  const llmOps = new Map<string, OperationState>();
  let operationCount = 0;
  const kept: AnomalyRecord[] = [];
  const byOperation = new Map<string, OperationAnomalies>();
  const counts = { zscore: 0, isolationForest: 0, suppressedEvents: 0, scored: 0, unscored: 0 };
  const modelInfo: AnomaliesSnapshot['model'] = { enabled: forestEnabled, trained: false, trainings: 0, trainingSize: 0, lastTrainedAt: null };

  // Isolation Forest state: a ring of recent vectors, a queue of vectors to score.
  const history = new Float64Array(historySize * F);
  let historyCount = 0;
  let historyNext = 0;
  const pendingVectors = new Float64Array(maxPending * F);
  /** The same memory as `pendingVectors`, as 32-bit words: the score memo hashes a vector's bits. */
  const pendingBits = new Int32Array(pendingVectors.buffer);
  const memo = new ScoreMemo(MEMO_SLOTS);
  const pendingEvents: (FleetEvent | undefined)[] = new Array(maxPending).fill(undefined);
  /** 1: scored whatever it holds; 0: queued before the first training, scored only if suspicious. */
  const pendingForced = new Uint8Array(maxPending);
  let pendingStart = 0;
  let pendingCount = 0;
  let sinceTraining = 0;
  let model: ForestModel | undefined;
  // Scoring budget of the current second (observer clock, read once per batch).
  let budgetStart = -Infinity;
  let budgetUsed = 0;
  let ctx: AnalyzerContext | undefined;
  let windowStart = -Infinity;
  let windowEmitted = 0;

  const record = (rec: AnomalyRecord, event: FleetEvent) => {
    if (rec.method === 'zscore') counts.zscore++;
    else counts.isolationForest++;
    if (kept.length >= maxKept) kept.shift();
    kept.push(rec);
    const key = `${rec.method}\u0000${rec.operation}`;
    let agg = byOperation.get(key);
    if (agg === undefined && byOperation.size < maxOperations) {
      agg = { method: rec.method, count: 0, maxScore: 0, first: rec.timestamp, last: rec.timestamp, top: [] };
      byOperation.set(key, agg);
    }
    if (agg !== undefined) {
      agg.count++;
      agg.maxScore = Math.max(agg.maxScore, Math.abs(rec.score));
      agg.last = Math.max(agg.last, rec.timestamp);
      keepTop(agg.top, rec);
    }
    if (ctx === undefined) return;
    const now = inEventOrder ? event.timestamp : ctx.now();
    if (now - windowStart >= 60_000) {
      windowStart = now;
      windowEmitted = 0;
    }
    if (windowEmitted >= maxPerMinute) {
      counts.suppressedEvents++;
      return;
    }
    windowEmitted++;
    ctx.emit({
      type: 'anomaly',
      severity: 'warning',
      sessionId: event.sessionId,
      agentId: event.agentId,
      ...(event.workflowId === undefined ? {} : { workflowId: event.workflowId }),
      ...(event.traceId === undefined ? {} : { traceId: event.traceId }),
      payload: { operation: rec.operation, method: rec.method, score: rec.score, features: rec.features, eventId: rec.eventId },
    });
  };

  /** `x` is ln(1 + value), computed once per value for the z-score and the feature vector. */
  const zCheck = (stats: RunningStats, x: number, value: number, name: string, operation: string, event: FleetEvent) => {
    if (stats.n >= zWarmup) {
      const z = stats.z(x);
      if (Math.abs(z) >= zThreshold) {
        record(
          {
            operation,
            method: 'zscore',
            score: round(z, 3),
            features: { [name]: value, [`${name}Typical`]: round(Math.expm1(stats.mean), 3), z: round(z, 3) },
            eventId: event.id,
            sessionId: event.sessionId,
            timestamp: event.timestamp,
          },
          event,
        );
      }
    }
    stats.add(x);
  };

  const operationState = (map: Map<string, OperationState>, name: string, prefix: string): OperationState | undefined => {
    let op = map.get(name);
    if (op === undefined && operationCount < maxOperations) {
      op = { operation: prefix + name, latency: new RunningStats(), tokens: new RunningStats() };
      map.set(name, op);
      operationCount++;
    }
    return op;
  };

  const processEvent = (event: FleetEvent) => {
    const type = event.type;
    let op: OperationState | undefined;
    let latency: number | undefined;
    let tokens: number | undefined;
    let output = 0;
    let error = 0;
    let kind: number;
    if (type === 'tool.end') {
      const p = (event as EventOf<'tool.end'>).payload;
      op = operationState(toolOps, p.toolName, 'tool:');
      latency = p.durationMs;
      error = p.status === 'success' ? 0 : 1;
      kind = KIND_TOOL;
    } else if (type === 'llm.call') {
      const p = (event as EventOf<'llm.call'>).payload;
      op = operationState(llmOps, p.model, 'llm:');
      latency = p.latencyMs;
      const input = p.inputTokens;
      const out = p.outputTokens;
      if (input !== undefined || out !== undefined) {
        output = out ?? 0;
        tokens = (input ?? 0) + output + (p.cacheReadTokens ?? 0) + (p.cacheWriteTokens ?? 0);
      }
      error = p.status === 'success' ? 0 : 1;
      kind = KIND_LLM;
    } else if (type === 'agent.end') {
      const p = (event as EventOf<'agent.end'>).payload;
      op = operationState(agentOps, p.name, 'agent:');
      latency = p.durationMs;
      error = p.status === 'success' ? 0 : 1;
      kind = KIND_AGENT;
    } else {
      return;
    }
    const v0 = latency === undefined ? 0 : log1p(latency);
    const v1 = tokens === undefined ? 0 : log1p(tokens);
    if (op !== undefined) {
      if (latency !== undefined) zCheck(op.latency, v0, latency, 'latencyMs', op.operation, event);
      if (tokens !== undefined) zCheck(op.tokens, v1, tokens, 'tokens', op.operation, event);
    }
    if (!forestEnabled) return;
    // Feature vector, written straight into the history ring.
    const h = historyNext * F;
    const v2 = output === 0 ? 0 : log1p(output);
    history[h] = v0;
    history[h + 1] = v1;
    history[h + 2] = v2;
    history[h + 3] = error;
    history[h + 4] = kind;
    if (++historyNext === historySize) historyNext = 0;
    if (historyCount < historySize) historyCount++;
    sinceTraining++;
    // Sampling: every vector while the second's budget lasts, then only suspicious ones (before
    // the first training, they are queued and sorted out once the model exists).
    let forced = 1;
    if (budgetUsed >= scoredPerSecond) {
      if (model === undefined) forced = 0;
      else if (budgetUsed >= suspiciousPerSecond || !isSuspicious(model, history, h)) {
        counts.unscored++;
        return;
      }
    }
    if (forced === 1) budgetUsed++;
    if (pendingCount === maxPending) {
      pendingEvents[pendingStart] = undefined;
      if (++pendingStart === maxPending) pendingStart = 0;
      pendingCount--;
      counts.unscored++;
    }
    let slot = pendingStart + pendingCount;
    if (slot >= maxPending) slot -= maxPending;
    const q = slot * F;
    pendingVectors[q] = v0;
    pendingVectors[q + 1] = v1;
    pendingVectors[q + 2] = v2;
    pendingVectors[q + 3] = error;
    pendingVectors[q + 4] = kind;
    pendingEvents[slot] = event;
    pendingForced[slot] = forced;
    pendingCount++;
  };

  /** When this analyzer last let a macrotask turn go by. */
  let lastTurn = 0;
  const nextTurn = () =>
    new Promise<void>((resolve) =>
      setImmediate(() => {
        lastTurn = performance.now();
        resolve();
      }),
    );

  /** A subsample of `sampleSize` vectors of the history, without replacement (partial Fisher–Yates over indexes). */
  const drawSample = (): number[][] => {
    const n = Math.min(sampleSize, historyCount);
    const sample: number[][] = [];
    const indexes = Array.from({ length: historyCount }, (_, i) => i);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(random() * (historyCount - i));
      const tmp = indexes[i]!;
      indexes[i] = indexes[j]!;
      indexes[j] = tmp;
      sample.push(Array.from(history.subarray(indexes[i]! * F, indexes[i]! * F + F)));
    }
    return sample;
  };

  /** Makes the model of the forest `grower` grew on `sample`, trained at `now`. */
  const trained = (grower: ForestGrower, sample: number[][], now: number) => {
    model = buildModel(grower.forest(), sample, ifThreshold);
    memo.clear();
    modelInfo.trained = true;
    modelInfo.trainings++;
    modelInfo.trainingSize = sample.length;
    modelInfo.lastTrainedAt = now;
    sinceTraining = 0;
  };

  /** Draws a sample and grows the forest on it, yielding between slices when `slices` is true. */
  const train = async (slices: boolean) => {
    const sample = drawSample();
    const grower = new ForestGrower(sample, trees, random);
    while (!grower.grow(slices ? performance.now() + SLICE_MS : Infinity)) await nextTurn();
    trained(grower, sample, ctx?.now() ?? Date.now());
  };

  /** Scores queued vectors until the queue is empty (true) or `performance.now()` reaches `untilMs`. */
  const score = (untilMs: number): boolean => {
    if (model === undefined) return true;
    let done = 0;
    while (pendingCount > 0) {
      if ((++done & 63) === 0 && performance.now() >= untilMs) return false;
      const at = pendingStart;
      const event = pendingEvents[at]!;
      pendingEvents[at] = undefined;
      if (++pendingStart === maxPending) pendingStart = 0;
      pendingCount--;
      if (pendingForced[at] === 0 && !isSuspicious(model, pendingVectors, at * F)) {
        counts.unscored++;
        continue;
      }
      counts.scored++;
      const s = memo.score(model, pendingVectors, pendingBits, at * F);
      if (!(s >= ifThreshold)) continue;
      const features = explainVector(model, pendingVectors, at * F);
      record(
        {
          operation: operationOf(event),
          method: 'isolation_forest',
          score: round(s, 4),
          features,
          eventId: event.id,
          sessionId: event.sessionId,
          timestamp: event.timestamp,
        },
        event,
      );
    }
    return true;
  };

  const due = (now: number) =>
    historyCount >= warmup && (model === undefined || (sinceTraining >= retrainEvery && now - (modelInfo.lastTrainedAt ?? 0) >= retrainIntervalMs));

  /**
   * Trains when due, then scores the queue. With `slices`, the work runs in slices of at most
   * SLICE_MS with a macrotask turn between them, so that it never holds the host's next task back
   * (a training is ≈ 5 ms of CPU on a quiet machine, 100–300 ms under load; scoring 1,000 vectors
   * 25–80 ms under load); the trees and the scores are the same as in one go.
   */
  const job = async (slices: boolean) => {
    try {
      if (due(ctx?.now() ?? Date.now())) await train(slices);
      while (!score(slices ? performance.now() + SLICE_MS : Infinity)) await nextTurn();
    } catch (error) {
      modelInfo.error = error instanceof Error ? error.message : String(error);
      ctx?.reportError(error, 'isolation forest');
    }
  };

  /**
   * With a seed (`inEventOrder`): the event is scored as it is read, on its own time (budget,
   * retraining interval), the forest trained in one go when due, so that the findings do not
   * depend on how the events were batched or how fast the machine was.
   */
  const processInOrder = (event: FleetEvent) => {
    const now = event.timestamp;
    if (!(now - budgetStart < 1000)) {
      budgetStart = now;
      budgetUsed = 0;
    }
    processEvent(event);
    if (pendingCount === 0 || historyCount < warmup) return;
    if (due(now)) {
      const sample = drawSample();
      const grower = new ForestGrower(sample, trees, random);
      grower.grow(Infinity);
      trained(grower, sample, now);
    }
    score(Infinity);
  };

  return {
    name: 'anomalies',
    // Only the scored types reach it (its own anomaly events are excluded by the pipeline anyway).
    filter: { types: ['tool.end', 'agent.end', 'llm.call'] },
    async consume(stream, context) {
      ctx = context;
      if (forestEnabled && inEventOrder) {
        for await (const batch of stream) eachEvent(batch, processInOrder, context);
        return;
      }
      for await (const batch of stream) {
        if (forestEnabled) {
          const now = context.now();
          if (!(now - budgetStart < 1000)) {
            budgetStart = now;
            budgetUsed = 0;
          }
        }
        eachEvent(batch, processEvent, context);
        // The next batch is read once the job is done (meanwhile it waits in the subscription,
        // bounded), so that `flush()` also waits for the job.
        if (forestEnabled && pendingCount > 0 && historyCount >= warmup) await job(true);
        // Batches that waited during a job are read back to back in microtasks: give the host a
        // turn every SLICE_MS of that, or the catching up is itself a long task.
        if (performance.now() - lastTurn >= SLICE_MS) await nextTurn();
      }
      // Score what is left when the stream ends.
      if (forestEnabled && pendingCount > 0 && historyCount >= warmup) await job(false);
    },
    snapshot(): AnomaliesSnapshot {
      const findings: Finding[] = [];
      for (const [key, agg] of byOperation) {
        const operation = key.slice(key.indexOf('\u0000') + 1);
        const severity: FindingSeverity = agg.count >= 10 ? 'high' : agg.count >= 3 ? 'medium' : 'low';
        findings.push({
          analyzer: 'anomalies',
          kind: agg.method === 'zscore' ? 'anomaly.zscore' : 'anomaly.isolation_forest',
          severity,
          title: `${agg.count} anomalous ${operation} ${agg.count === 1 ? 'event' : 'events'} (${agg.method === 'zscore' ? '|z-score|' : 'isolation score'} up to ${round(agg.maxScore, 2)}; most anomalous: event ${agg.top[0]!.id})`,
          location: { operation },
          // The events it is based on: the most anomalous first (eventId), then up to TOP_EVENTS in all (eventIds).
          evidence: { count: agg.count, maxScore: round(agg.maxScore, 4), method: agg.method, eventId: agg.top[0]!.id, eventIds: agg.top.map((t) => t.id).join(', ') },
          firstSeen: agg.first,
          lastSeen: agg.last,
        });
      }
      return { anomalies: kept.map((a) => ({ ...a, features: { ...a.features } })), counts: { ...counts }, model: { ...modelInfo }, findings };
    },
  };
}

/** Slots of the memo of scores (see `ScoreMemo`): 4,096 vectors, 200 KB. */
const MEMO_SLOTS = 4096;

/** Longest stretch of forest work (training or scoring) between two macrotask turns, ms. */
const SLICE_MS = 4;


/**
 * ln(1 + x), memoized for whole numbers below 16384 (ms latencies and token counts mostly are):
 * a table read instead of a `Math.log1p` call (≈ 6 ns vs ≈ 22 ns); the same values.
 */
const LOG1P_TABLE_SIZE = 16384;
const log1pTable = new Float64Array(LOG1P_TABLE_SIZE).fill(Number.NaN);
function log1p(x: number): number {
  if (x >= 0 && x < LOG1P_TABLE_SIZE && (x | 0) === x) {
    let v = log1pTable[x]!;
    if (v !== v) v = log1pTable[x] = Math.log1p(x);
    return v;
  }
  return Math.log1p(x);
}

/** Anomalies of one operation and method, for its finding. */
interface OperationAnomalies {
  method: AnomalyRecord['method'];
  count: number;
  maxScore: number;
  first: number;
  last: number;
  /** The most anomalous events (largest |score| first), at most TOP_EVENTS. */
  top: { id: string; score: number }[];
}

/** Event ids a finding lists as its evidence. */
const TOP_EVENTS = 5;

function keepTop(top: OperationAnomalies['top'], rec: AnomalyRecord): void {
  const score = Math.abs(rec.score);
  if (top.length === TOP_EVENTS && score <= top[TOP_EVENTS - 1]!.score) return;
  let at = top.findIndex((t) => score > t.score);
  if (at === -1) at = top.length;
  top.splice(at, 0, { id: rec.eventId, score });
  if (top.length > TOP_EVENTS) top.pop();
}

function operationOf(event: FleetEvent): string {
  if (event.type === 'tool.end') return `tool:${(event as EventOf<'tool.end'>).payload.toolName}`;
  if (event.type === 'agent.end') return `agent:${(event as EventOf<'agent.end'>).payload.name}`;
  return `llm:${(event as EventOf<'llm.call'>).payload.model}`;
}

function round(value: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(value * k) / k;
}
