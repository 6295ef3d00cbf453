/**
 * What the `anomalies` analyzer takes: its options and their defaults, filled in one place, with
 * the checks that make a bad value throw when the analyzer is created (never later, per event).
 * The analyzer itself is in `anomalies.ts`.
 */

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
  /** ... and at least this long (observer clock) since the last training. Default 60,000 ms. */
  retrainIntervalMs?: number;
  /**
   * Vectors scored per second (observer clock) whatever they hold; beyond, only vectors with a
   * feature ≥ 2 standard deviations from the training mean are scored, up to 10× this. The
   * others are counted in `unscored`. Default 1000.
   */
  scoredPerSecond?: number;
  /** Recent feature vectors kept to train on. Default 4096. */
  history?: number;
  /** Score from which an event is anomalous (0.5 ≈ normal, → 1 anomalous). Default 0.7. */
  threshold?: number;
  /** Vectors waiting to be scored; beyond, the oldest is dropped (counted in `unscored`). Default 2048. */
  maxPending?: number;
  /** Random source for subsampling and growing the trees (tests). Default Math.random, or the `seed`'s generator. */
  random?: () => number;
  /**
   * Makes the findings reproducible: the same events in the same order give the same anomalies and
   * counts, run after run. The random draws come from a generator seeded with this number, and the
   * work follows the events rather than the host's timing: each event is scored (and the forest
   * trained when due) as it is read, and the scoring budget, retraining interval and anomaly event
   * rate are counted on the events' timestamps. For replays and reports (`fleetscope report` seeds
   * it); a live host keeps the default (unseeded, the work sliced so it never holds the host up).
   */
  seed?: number;
}

/** `AnomaliesOptions` with every default filled in. */
export interface AnomaliesSettings {
  zThreshold: number;
  zWarmup: number;
  maxKept: number;
  maxEventsPerMinute: number;
  maxOperations: number;
  /** The Isolation Forest runs (`isolationForest` is not `false`); the settings below are its own. */
  forestEnabled: boolean;
  warmup: number;
  sampleSize: number;
  trees: number;
  retrainEvery: number;
  retrainIntervalMs: number;
  scoredPerSecond: number;
  /** Vectors scored a second when only suspicious ones are: 10 × `scoredPerSecond`. */
  suspiciousPerSecond: number;
  /** Vectors kept to train on: `history`, at least `sampleSize`. */
  historySize: number;
  forestThreshold: number;
  maxPending: number;
  random: () => number;
  /** `seed` was given: work in event order, on event time (see `IsolationForestOptions.seed`). */
  inEventOrder: boolean;
}

function fail(message: string): never {
  throw new Error(`[fleetscope] [anomalies] ${message}`);
}

/** Fills in the defaults of `options` and checks them; throws on a value out of range. */
export function anomaliesSettings(options: AnomaliesOptions): AnomaliesSettings {
  const zThreshold = options.zThreshold ?? 4;
  const zWarmup = Math.max(2, options.zWarmup ?? 30);
  const maxKept = options.maxKept ?? 100;
  const maxEventsPerMinute = options.maxEventsPerMinute ?? 60;
  const maxOperations = options.maxOperations ?? 1000;
  const ifOpts = options.isolationForest === false ? undefined : options.isolationForest ?? {};
  const warmup = ifOpts?.warmup ?? 256;
  const sampleSize = ifOpts?.sampleSize ?? 256;
  const trees = ifOpts?.trees ?? 100;
  const retrainEvery = ifOpts?.retrainEvery ?? 10_000;
  const retrainIntervalMs = ifOpts?.retrainIntervalMs ?? 60_000;
  const scoredPerSecond = ifOpts?.scoredPerSecond ?? 1000;
  const suspiciousPerSecond = scoredPerSecond * 10;
  const historySize = Math.max(ifOpts?.history ?? 4096, sampleSize);
  const forestThreshold = ifOpts?.threshold ?? 0.7;
  const maxPending = ifOpts?.maxPending ?? 2048;
  const seed = ifOpts?.seed;
  const random = ifOpts?.random ?? (seed === undefined ? Math.random : seededRandom(seed));
  if (!(zThreshold > 0)) fail('zThreshold must be > 0');
  if (ifOpts !== undefined && !(forestThreshold > 0 && forestThreshold < 1)) fail('isolationForest.threshold must be in (0, 1)');
  if (ifOpts !== undefined && !(sampleSize >= 2 && warmup >= 2)) fail('isolationForest.sampleSize and warmup must be ≥ 2');
  if (ifOpts !== undefined && !(scoredPerSecond >= 0)) fail('isolationForest.scoredPerSecond must be ≥ 0');
  if (seed !== undefined && !Number.isFinite(seed)) fail('isolationForest.seed must be a finite number');
  return {
    zThreshold, zWarmup, maxKept, maxEventsPerMinute, maxOperations, forestEnabled: ifOpts !== undefined, warmup, sampleSize, trees, retrainEvery,
    retrainIntervalMs, scoredPerSecond, suspiciousPerSecond, historySize, forestThreshold, maxPending, random,
    inEventOrder: seed !== undefined,
  };
}

/** A generator of numbers in [0, 1) from a 32-bit seed (mulberry32: small, fast, well spread). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
