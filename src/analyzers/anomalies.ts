/**
 * `anomalies`: two detectors over tool, agent and LLM events.
 *
 * - z-scores per operation on ln(latency) and ln(tokens) (Welford running mean and variance,
 *   after a warm-up count): latency and token counts are right-skewed, and on the raw scale every
 *   long tail would score high.
 * - An Isolation Forest (ml-isolation-forest) over per-event feature vectors, trained on a
 *   subsample of 256 recent events (as the Isolation Forest paper prescribes; the library grows
 *   each tree on its whole input) once the warm-up is reached, and retrained every
 *   `retrainEvery` events. Training and scoring run in a `setImmediate` job after a batch, never
 *   per event; vectors waiting to be scored sit in a bounded queue (oldest dropped, counted).
 *
 * Each anomaly is put on the bus as an `anomaly` event (operation, method, score, the features
 * that drove it, the scored event's id) and kept in a bounded list. See `docs/analyzers-stats.md`.
 */
import type { Analyzer, AnalyzerContext, EventOf, FleetEvent } from '../core/index.js';
import { RunningStats } from './stats-math.js';
import type { Finding, FindingSeverity } from './types.js';

export interface AnomaliesOptions {
  /** |z| from which a value is anomalous (on the log scale). Default 4. */
  zThreshold?: number;
  /** Values an operation needs before its z-scores count. Default 30. */
  zWarmup?: number;
  /** Isolation Forest settings; `false` turns it off. */
  isolationForest?: IsolationForestOptions | false;
  /** Anomalies kept in the snapshot (most recent). Default 100. */
  maxKept?: number;
  /** Anomaly events emitted per minute (of the observer's clock); the rest are counted. Default 60. */
  maxEventsPerMinute?: number;
  /** Operations tracked for z-scores. Default 1000. */
  maxOperations?: number;
}

export interface IsolationForestOptions {
  /** Events before the first training. Default 256. */
  warmup?: number;
  /** Training subsample size. Default 256. */
  sampleSize?: number;
  /** Trees. Default 100. */
  trees?: number;
  /** Events between retrainings. Default 10,000. */
  retrainEvery?: number;
  /** Recent feature vectors kept to train on. Default 4096. */
  history?: number;
  /** Score from which an event is anomalous (0.5 ≈ normal, → 1 anomalous). Default 0.7. */
  threshold?: number;
  /** Vectors waiting to be scored; beyond, the oldest is dropped (counted in `unscored`). Default 2048. */
  maxPending?: number;
  /** Random source for subsampling (tests). Default Math.random. */
  random?: () => number;
}

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
  counts: { zscore: number; isolationForest: number; suppressedEvents: number; unscored: number };
  model: { enabled: boolean; trained: boolean; trainings: number; trainingSize: number; lastTrainedAt: number | null; error?: string };
  findings: Finding[];
}

const FEATURES = ['latencyMs', 'tokens', 'outputTokens', 'error', 'kind'] as const;
const F = FEATURES.length;
const KIND_CODE: Record<string, number> = { 'tool.end': 0, 'agent.end': 1, 'llm.call': 2 };

interface Model {
  forest: { predict(data: number[][]): number[] };
  mean: number[];
  std: number[];
}

function fail(message: string): never {
  throw new Error(`[fleetscope] [anomalies] ${message}`);
}

export function anomaliesAnalyzer(options: AnomaliesOptions = {}): Analyzer<AnomaliesSnapshot> {
  const zThreshold = options.zThreshold ?? 4;
  const zWarmup = Math.max(2, options.zWarmup ?? 30);
  const maxKept = options.maxKept ?? 100;
  const maxPerMinute = options.maxEventsPerMinute ?? 60;
  const maxOperations = options.maxOperations ?? 1000;
  const ifOpts = options.isolationForest === false ? undefined : options.isolationForest ?? {};
  const warmup = ifOpts?.warmup ?? 256;
  const sampleSize = ifOpts?.sampleSize ?? 256;
  const trees = ifOpts?.trees ?? 100;
  const retrainEvery = ifOpts?.retrainEvery ?? 10_000;
  const historySize = Math.max(ifOpts?.history ?? 4096, sampleSize);
  const ifThreshold = ifOpts?.threshold ?? 0.7;
  const maxPending = ifOpts?.maxPending ?? 2048;
  const random = ifOpts?.random ?? Math.random;
  if (!(zThreshold > 0)) fail('zThreshold must be > 0');
  if (ifOpts !== undefined && !(ifThreshold > 0 && ifThreshold < 1)) fail('isolationForest.threshold must be in (0, 1)');
  if (ifOpts !== undefined && !(sampleSize >= 2 && warmup >= 2)) fail('isolationForest.sampleSize and warmup must be ≥ 2');

  const ops = new Map<string, { latency: RunningStats; tokens: RunningStats }>();
  const kept: AnomalyRecord[] = [];
  const byOperation = new Map<string, { method: AnomalyRecord['method']; count: number; maxScore: number; first: number; last: number }>();
  const counts = { zscore: 0, isolationForest: 0, suppressedEvents: 0, unscored: 0 };
  const modelInfo: AnomaliesSnapshot['model'] = { enabled: ifOpts !== undefined, trained: false, trainings: 0, trainingSize: 0, lastTrainedAt: null };

  // Isolation Forest state: a ring of recent vectors, a queue of vectors to score.
  const history = new Float64Array(historySize * F);
  let historyCount = 0;
  let historyNext = 0;
  const pendingVectors = new Float64Array(maxPending * F);
  const pendingEvents: (FleetEvent | undefined)[] = new Array(maxPending).fill(undefined);
  let pendingStart = 0;
  let pendingCount = 0;
  let sinceTraining = 0;
  let model: Model | undefined;
  let jobScheduled = false;
  let Forest: (new (o: { nEstimators: number }) => { train(x: number[][]): void; predict(x: number[][]): number[] }) | undefined;
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
      agg = { method: rec.method, count: 0, maxScore: 0, first: rec.timestamp, last: rec.timestamp };
      byOperation.set(key, agg);
    }
    if (agg !== undefined) {
      agg.count++;
      agg.maxScore = Math.max(agg.maxScore, Math.abs(rec.score));
      agg.last = Math.max(agg.last, rec.timestamp);
    }
    if (ctx === undefined) return;
    const now = ctx.now();
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

  const zCheck = (stats: RunningStats, value: number, name: string, operation: string, event: FleetEvent) => {
    const x = Math.log1p(value);
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

  const processEvent = (event: FleetEvent) => {
    let operation: string;
    let latency: number | undefined;
    let tokens: number | undefined;
    let output = 0;
    let error = 0;
    if (event.type === 'tool.end') {
      const p = (event as EventOf<'tool.end'>).payload;
      operation = `tool:${p.toolName}`;
      latency = p.durationMs;
      error = p.status === 'success' ? 0 : 1;
    } else if (event.type === 'agent.end') {
      const p = (event as EventOf<'agent.end'>).payload;
      operation = `agent:${p.name}`;
      latency = p.durationMs;
      error = p.status === 'success' ? 0 : 1;
    } else if (event.type === 'llm.call') {
      const p = (event as EventOf<'llm.call'>).payload;
      operation = `llm:${p.model}`;
      latency = p.latencyMs;
      if (p.inputTokens !== undefined || p.outputTokens !== undefined) {
        output = p.outputTokens ?? 0;
        tokens = (p.inputTokens ?? 0) + output + (p.cacheReadTokens ?? 0) + (p.cacheWriteTokens ?? 0);
      }
      error = p.status === 'success' ? 0 : 1;
    } else {
      return;
    }
    let op = ops.get(operation);
    if (op === undefined && ops.size < maxOperations) {
      op = { latency: new RunningStats(), tokens: new RunningStats() };
      ops.set(operation, op);
    }
    if (op !== undefined) {
      if (latency !== undefined) zCheck(op.latency, latency, 'latencyMs', operation, event);
      if (tokens !== undefined) zCheck(op.tokens, tokens, 'tokens', operation, event);
    }
    if (ifOpts === undefined || Forest === undefined) return;
    // Feature vector, written straight into the history ring and the pending queue.
    const h = historyNext * F;
    history[h] = Math.log1p(latency ?? 0);
    history[h + 1] = Math.log1p(tokens ?? 0);
    history[h + 2] = Math.log1p(output);
    history[h + 3] = error;
    history[h + 4] = KIND_CODE[event.type]!;
    historyNext = (historyNext + 1) % historySize;
    if (historyCount < historySize) historyCount++;
    sinceTraining++;
    if (pendingCount === maxPending) {
      pendingStart = (pendingStart + 1) % maxPending;
      pendingCount--;
      counts.unscored++;
    }
    const slot = (pendingStart + pendingCount) % maxPending;
    for (let f = 0; f < F; f++) pendingVectors[slot * F + f] = history[h + f]!;
    pendingEvents[slot] = event;
    pendingCount++;
  };

  const train = () => {
    const n = Math.min(sampleSize, historyCount);
    const sample: number[][] = [];
    // Sampling without replacement by partial Fisher–Yates over indexes.
    const indexes = Array.from({ length: historyCount }, (_, i) => i);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(random() * (historyCount - i));
      const tmp = indexes[i]!;
      indexes[i] = indexes[j]!;
      indexes[j] = tmp;
      sample.push(Array.from(history.subarray(indexes[i]! * F, indexes[i]! * F + F)));
    }
    const forest = new Forest!({ nEstimators: trees });
    forest.train(sample);
    const mean = new Array<number>(F).fill(0);
    const std = new Array<number>(F).fill(0);
    for (const row of sample) for (let f = 0; f < F; f++) mean[f]! += row[f]! / n;
    for (const row of sample) for (let f = 0; f < F; f++) std[f]! += (row[f]! - mean[f]!) ** 2 / Math.max(1, n - 1);
    for (let f = 0; f < F; f++) std[f] = Math.sqrt(std[f]!);
    model = { forest, mean, std };
    modelInfo.trained = true;
    modelInfo.trainings++;
    modelInfo.trainingSize = n;
    modelInfo.lastTrainedAt = ctx?.now() ?? Date.now();
    sinceTraining = 0;
  };

  const score = () => {
    if (model === undefined || pendingCount === 0) return;
    const rows: number[][] = [];
    const events: FleetEvent[] = [];
    while (pendingCount > 0) {
      rows.push(Array.from(pendingVectors.subarray(pendingStart * F, pendingStart * F + F)));
      events.push(pendingEvents[pendingStart]!);
      pendingEvents[pendingStart] = undefined;
      pendingStart = (pendingStart + 1) % maxPending;
      pendingCount--;
    }
    const scores = model.forest.predict(rows);
    for (let i = 0; i < rows.length; i++) {
      const s = scores[i]!;
      if (!(s >= ifThreshold)) continue;
      const row = rows[i]!;
      const event = events[i]!;
      // The features that drove it: those ≥ 2 standard deviations from the training mean.
      const features: Record<string, number> = {};
      let strongest = -1;
      let strongestZ = 0;
      for (let f = 0; f < F; f++) {
        const z = model.std[f]! === 0 ? (row[f] === model.mean[f] ? 0 : 10) : Math.abs(row[f]! - model.mean[f]!) / model.std[f]!;
        if (z >= 2) features[FEATURES[f]!] = rawFeature(f, row[f]!);
        if (z > strongestZ) {
          strongestZ = z;
          strongest = f;
        }
      }
      if (Object.keys(features).length === 0 && strongest >= 0) features[FEATURES[strongest]!] = rawFeature(strongest, row[strongest]!);
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
  };

  const job = () => {
    jobScheduled = false;
    try {
      if (historyCount >= warmup && (model === undefined || sinceTraining >= retrainEvery)) train();
      score();
    } catch (error) {
      modelInfo.error = error instanceof Error ? error.message : String(error);
      ctx?.reportError(error, 'isolation forest');
    }
  };

  return {
    name: 'anomalies',
    // Its own anomaly events are excluded by the pipeline; alerts and insights are not scored anyway.
    async consume(stream, context) {
      ctx = context;
      if (ifOpts !== undefined) {
        try {
          Forest = (await import('ml-isolation-forest')).IsolationForest;
        } catch (error) {
          modelInfo.enabled = false;
          modelInfo.error = `[fleetscope] [anomalies] ml-isolation-forest could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
          context.reportError(new Error(modelInfo.error), 'load');
        }
      }
      for await (const batch of stream) {
        for (const event of batch) {
          try {
            processEvent(event);
          } catch (error) {
            context.reportError(error, 'consume');
          }
        }
        if (Forest !== undefined && !jobScheduled && pendingCount > 0 && historyCount >= warmup) {
          jobScheduled = true;
          setImmediate(job);
        }
      }
      // Score what is left when the stream ends.
      if (Forest !== undefined && pendingCount > 0 && historyCount >= warmup) job();
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
          title: `${agg.count} anomalous ${operation} event(s) (${agg.method === 'zscore' ? 'z-score' : 'isolation forest'}, max score ${round(agg.maxScore, 3)})`,
          location: { operation },
          evidence: { count: agg.count, maxScore: round(agg.maxScore, 4), method: agg.method },
          firstSeen: agg.first,
          lastSeen: agg.last,
        });
      }
      return { anomalies: kept.map((a) => ({ ...a, features: { ...a.features } })), counts: { ...counts }, model: { ...modelInfo }, findings };
    },
  };
}

function rawFeature(f: number, value: number): number {
  // Features 0–2 are ln(1 + x); report them on their own scale.
  return f <= 2 ? round(Math.expm1(value), 3) : value;
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
