/**
 * `regressions`: performance baselines per operation (`tool:<name>`, `agent:<name>`,
 * `llm:<model>`) and the comparison of a recent window with them. A regression is reported only
 * when the window is worse by the threshold AND a one-sided significance test says so (Welch's
 * t-test on log-latencies or on tokens, a two-proportion z-test on success rates), so a handful
 * of noisy samples is never flagged. Baselines are saved to and loaded from a JSON file.
 * This file holds the per-event window and totals and the baseline file; what a baseline is and
 * the tests against it are in `regressions-baseline.ts`. See `docs/analyzers-stats.md`.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Analyzer, AnalyzerContext, EventOf, FleetEvent } from '../core/index.js';
import { baselineOf, compareLatency, compareSuccess, compareTokens, findingOf, type StoredBaseline, type TestLimits, type Totals } from './regressions-baseline.js';
import { DEFAULT_RELATIVE_ACCURACY, LogSketch } from './sketch.js';
import { newSketchBudget, SlotSketch } from './slot-sketch.js';
import { RunningStats } from './stats-math.js';
import type { Regression, RegressionsSnapshot } from './types.js';

export { classifyChange, classifySuccessDrop, type StoredBaseline } from './regressions-baseline.js';

export interface RegressionsOptions {
  /** JSON file of baselines, loaded when the analyzer starts (a missing file means none yet). Default none. */
  baselinePath?: string;
  /** Write this run's baselines to `baselinePath` when the observer closes. Default false. */
  saveOnClose?: boolean;
  /** Length of the "current" window compared with the baseline, ms. Default 3,600,000 (1 h). */
  windowMs?: number;
  /** Time slots of the current window. Default 12. */
  windowSlots?: number;
  /** Relative worsening that counts as a regression (latency and tokens). Default 0.2 (20%). */
  threshold?: number;
  /** Absolute drop of success rate that counts as a regression. Default 0.05 (5 points). */
  successRateDrop?: number;
  /** Significance level of the one-sided tests. Default 0.01. */
  alpha?: number;
  /** Fewest samples in the current window (and in the baseline) before any test. Default 5. */
  minSamples?: number;
  /**
   * An operation without a loaded baseline learns one from its first `learnSamples` samples,
   * then compares what follows with it. 0 disables learning. Default 100.
   */
  learnSamples?: number;
  /** Distinct operations tracked; further ones are ignored (counted). Default 500. */
  maxOperations?: number;
  /** Durations above this are ignored. Default 86,400,000 (24 h). */
  maxDurationMs?: number;
  /**
   * Most memory of the current window's latency sketches, all operations together, in bytes. A
   * slot keeps 32 latencies exactly, then a 1%-accurate sketch while this budget has room, else a
   * sample of 32 (counted in `sampledSlots`); freed when the slot is reused. Default 4 MiB.
   */
  maxSketchBytes?: number;
}

export interface RegressionsAnalyzerSnapshot extends RegressionsSnapshot {
  baselines: Record<string, StoredBaseline>;
  /** Operations currently compared: samples in the window per operation. */
  windowSamples: Record<string, number>;
  operationsDropped: number;
  /** Window slots whose p50/p95 come from a sample because `maxSketchBytes` was reached (since start). */
  sampledSlots: number;
}

export interface RegressionsAnalyzer extends Analyzer<RegressionsAnalyzerSnapshot> {
  /** Writes this run's baselines (plus loaded ones not seen this run) to `path` (default `baselinePath`). */
  saveBaselines(path?: string): Promise<void>;
  /** Loads baselines from `path` (default `baselinePath`); returns how many. A missing file loads none. */
  loadBaselines(path?: string): Promise<number>;
  /** Replaces the baselines compared against. */
  setBaselines(baselines: Record<string, StoredBaseline>): void;
  /** This run's baselines (what `saveBaselines` writes). */
  currentBaselines(): Record<string, StoredBaseline>;
}

const FILE_VERSION = 1;

/** The current window: per slot, sums for the tests and a sketch for p50/p95. */
interface Window {
  slotIds: Float64Array;
  /** Per slot: n, Σln, Σln², tokens n, Σtokens, Σtokens², successes, outcomes. */
  sums: Float64Array;
  sketches: (SlotSketch | undefined)[];
}

interface OperationState {
  /** `tool:<name>`, `agent:<name>` or `llm:<model>`. */
  key: string;
  /** Version of the loaded baselines `hasLoaded` was read from. */
  loadedVersion: number;
  /** Whether a loaded baseline exists for `key`. */
  hasLoaded: boolean;
  totals: Totals;
  window: Window;
  /** Learned baseline; undefined until `learnSamples` samples were seen. */
  learned: StoredBaseline | undefined;
}

const S = 8;

/** ln(v) of whole-ms durations below this, memoized (a table read instead of a logarithm). */
const LOG_MEMO_SIZE = 1 << 14;
let logMemo: Float64Array | undefined;

/** ln(max(duration, 0.001)), the value the tests run on. */
function logOf(duration: number): number {
  if (duration >= 1 && duration < LOG_MEMO_SIZE && (duration | 0) === duration) {
    logMemo ??= new Float64Array(LOG_MEMO_SIZE).fill(Number.NaN);
    let value = logMemo[duration]!;
    if (value !== value) logMemo[duration] = value = Math.log(duration);
    return value;
  }
  return Math.log(Math.max(duration, 0.001));
}

function fail(message: string): never {
  throw new Error(`[fleetscope] [regressions] ${message}`);
}

export function regressionsAnalyzer(options: RegressionsOptions = {}): RegressionsAnalyzer {
  const windowMs = options.windowMs ?? 3_600_000;
  const slots = options.windowSlots ?? 12;
  const threshold = options.threshold ?? 0.2;
  const successRateDrop = options.successRateDrop ?? 0.05;
  const alpha = options.alpha ?? 0.01;
  const minSamples = Math.max(2, options.minSamples ?? 5);
  const learnSamples = options.learnSamples ?? 100;
  const maxOperations = options.maxOperations ?? 500;
  const maxDurationMs = options.maxDurationMs ?? 86_400_000;
  const budget = newSketchBudget(options.maxSketchBytes ?? 4 * 2 ** 20);
  /** Any sketch, for `bucketOf` (all have the default accuracy). */
  const bucketing = new LogSketch();
  if (!(budget.limit >= 0)) fail('maxSketchBytes must be a number >= 0');
  if (!(windowMs > 0) || !Number.isInteger(slots) || slots < 1) fail('windowMs and windowSlots must be positive');
  if (!(threshold > 0)) fail('threshold must be > 0');
  if (!(alpha > 0 && alpha < 1)) fail('alpha must be in (0, 1)');
  const slotMs = windowMs / slots;
  const limits: TestLimits = { minSamples, alpha, threshold, successRateDrop };

  /** Every operation by key, in creation order; looked up per event through the per-family maps. */
  const ops = new Map<string, OperationState>();
  const tools = new Map<string, OperationState>();
  const agents = new Map<string, OperationState>();
  const llms = new Map<string, OperationState>();
  let loaded: Record<string, StoredBaseline> = {};
  /** Bumped whenever `loaded` is replaced. */
  let loadedVersion = 0;
  let operationsDropped = 0;
  let clock: () => number = Date.now;

  const state = (family: Map<string, OperationState>, prefix: string, name: string): OperationState | undefined => {
    let op = family.get(name);
    if (op !== undefined) return op;
    const key = prefix + name;
    op = ops.get(key);
    if (op !== undefined) {
      family.set(name, op);
      return op;
    }
    if (ops.size >= maxOperations) {
      operationsDropped++;
      return undefined;
    }
    op = {
      key,
      loadedVersion: -1,
      hasLoaded: false,
      totals: {
        sketch: new LogSketch({ relativeAccuracy: DEFAULT_RELATIVE_ACCURACY }),
        log: new RunningStats(),
        tokens: new RunningStats(),
        successes: 0,
        outcomes: 0,
      },
      window: { slotIds: new Float64Array(slots).fill(-Infinity), sums: new Float64Array(slots * S), sketches: new Array(slots).fill(undefined) },
      learned: undefined,
    };
    ops.set(key, op);
    family.set(name, op);
    return op;
  };

  const slotIndex = (w: Window, slot: number): number => {
    const i = slot % slots;
    if (w.slotIds[i] !== slot) {
      w.slotIds[i] = slot;
      w.sums.fill(0, i * S, (i + 1) * S);
      // Freed, not cleared: memory follows what the window holds now.
      w.sketches[i]?.release(budget);
      w.sketches[i] = undefined;
    }
    return i;
  };

  const record = (op: OperationState | undefined, status: string, duration: number | undefined, tokens: number | undefined, t: number, now: number) => {
    if (op === undefined) return;
    const ok = status === 'success';
    const counted = ok || status === 'error';
    const hasDuration = duration !== undefined && duration <= maxDurationMs;
    const logValue = hasDuration ? logOf(duration) : 0;
    if (op.loadedVersion !== loadedVersion) {
      op.loadedVersion = loadedVersion;
      op.hasLoaded = loaded[op.key] !== undefined;
    }
    const compare = op.hasLoaded || op.learned !== undefined;
    const { totals } = op;
    // Samples that built a learned baseline are not compared with it.
    if (compare && t > now - windowMs) {
      const w = op.window;
      const i = slotIndex(w, Math.floor(t / slotMs));
      const b = i * S;
      const sums = w.sums;
      if (hasDuration) {
        sums[b]! += 1;
        sums[b + 1]! += logValue;
        sums[b + 2]! += logValue * logValue;
        const sketch = (w.sketches[i] ??= SlotSketch.create(budget));
        sketch?.add(duration, bucketing.bucketOf(duration), budget, DEFAULT_RELATIVE_ACCURACY);
      }
      if (tokens !== undefined) {
        sums[b + 3]! += 1;
        sums[b + 4]! += tokens;
        sums[b + 5]! += tokens * tokens;
      }
      if (counted) {
        sums[b + 7]! += 1;
        if (ok) sums[b + 6]! += 1;
      }
    }
    if (hasDuration) {
      totals.sketch.add(duration);
      totals.log.add(logValue);
    }
    if (tokens !== undefined) totals.tokens.add(tokens);
    if (counted) {
      totals.outcomes++;
      if (ok) totals.successes++;
    }
    if (!compare && learnSamples > 0 && Math.max(totals.sketch.count, totals.outcomes) >= learnSamples) {
      // Stamped with the completing sample's time, not the batch's: a replay gives the same
      // baseline whatever its flush cadence.
      op.learned = baselineOf(op.key, totals, t);
    }
  };

  const processBatch = (batch: readonly FleetEvent[], now: number) => {
    for (let i = 0; i < batch.length; i++) {
      const event = batch[i]!;
      const type = event.type;
      if (type === 'tool.end') {
        const p = (event as EventOf<'tool.end'>).payload;
        record(state(tools, 'tool:', p.toolName), p.status, p.durationMs, undefined, Math.min(event.timestamp, now), now);
      } else if (type === 'agent.end') {
        const p = (event as EventOf<'agent.end'>).payload;
        record(state(agents, 'agent:', p.name), p.status, p.durationMs, undefined, Math.min(event.timestamp, now), now);
      } else if (type === 'llm.call') {
        const p = (event as EventOf<'llm.call'>).payload;
        const hasTokens = p.inputTokens !== undefined || p.outputTokens !== undefined;
        const tokens = hasTokens
          ? (p.inputTokens ?? 0) + (p.outputTokens ?? 0) + (p.cacheReadTokens ?? 0) + (p.cacheWriteTokens ?? 0)
          : undefined;
        record(state(llms, 'llm:', p.model), p.status, p.latencyMs, tokens, Math.min(event.timestamp, now), now);
      }
    }
  };

  const currentBaselines = (): Record<string, StoredBaseline> => {
    const now = clock();
    const out: Record<string, StoredBaseline> = { ...loaded };
    for (const [key, op] of ops) {
      if (op.totals.sketch.count + op.totals.outcomes > 0) out[key] = baselineOf(key, op.totals, now);
    }
    return out;
  };

  const loadBaselines = async (path = options.baselinePath): Promise<number> => {
    if (path === undefined) fail('loadBaselines needs a path (or the baselinePath option)');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    const parsed = JSON.parse(text) as { version?: number; baselines?: Record<string, unknown> };
    if (parsed === null || typeof parsed !== 'object' || typeof parsed.baselines !== 'object' || parsed.baselines === null) {
      fail(`${path} is not a baseline file (no "baselines" object)`);
    }
    const next: Record<string, StoredBaseline> = {};
    for (const [key, value] of Object.entries(parsed.baselines)) {
      const b = value as StoredBaseline;
      if (b !== null && typeof b === 'object' && isNum(b.p50) && isNum(b.p95) && isNum(b.samples) && isNum(b.successRate)) {
        next[key] = { ...b, operation: key };
      }
    }
    loaded = next;
    loadedVersion++;
    return Object.keys(next).length;
  };

  const saveBaselines = async (path = options.baselinePath): Promise<void> => {
    if (path === undefined) fail('saveBaselines needs a path (or the baselinePath option)');
    const body = { version: FILE_VERSION, savedAt: new Date(clock()).toISOString(), baselines: currentBaselines() };
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(body, null, 2)}\n`, 'utf8');
    await rename(tmp, path);
  };

  const compareAll = (now: number) => {
    const regressions: Regression[] = [];
    const windowSamples: Record<string, number> = {};
    const current = Math.floor(now / slotMs);
    const sum = new Float64Array(S);
    for (const [key, op] of ops) {
      const base = loaded[key] ?? op.learned;
      if (base === undefined) continue;
      sum.fill(0);
      const sketch = new LogSketch();
      const w = op.window;
      for (let i = 0; i < slots; i++) {
        const id = w.slotIds[i]!;
        if (id <= current - slots || id > current) continue;
        for (let f = 0; f < S; f++) sum[f]! += w.sums[i * S + f]!;
        const own = w.sketches[i];
        if (own !== undefined) own.mergeInto(sketch);
      }
      windowSamples[key] = Math.max(sum[0]!, sum[7]!);
      const latency = compareLatency(key, base, sum, sketch, limits);
      if (latency !== undefined) regressions.push(latency);
      const tokens = compareTokens(key, base, sum, limits);
      if (tokens !== undefined) regressions.push(tokens);
      const success = compareSuccess(key, base, sum, limits);
      if (success !== undefined) regressions.push(success);
    }
    return { regressions, windowSamples };
  };

  return {
    name: 'regressions',
    async consume(stream, context: AnalyzerContext) {
      clock = () => context.now();
      if (options.baselinePath !== undefined) {
        try {
          await loadBaselines();
        } catch (error) {
          context.reportError(error, 'load baselines');
        }
      }
      for await (const batch of stream) {
        try {
          processBatch(batch, context.now());
        } catch (error) {
          context.reportError(error, 'consume');
        }
      }
      if (options.saveOnClose === true && options.baselinePath !== undefined) {
        try {
          await saveBaselines();
        } catch (error) {
          context.reportError(error, 'save baselines');
        }
      }
    },
    snapshot(): RegressionsAnalyzerSnapshot {
      const { regressions, windowSamples } = compareAll(clock());
      const baselines: Record<string, StoredBaseline> = { ...loaded };
      for (const [key, op] of ops) if (baselines[key] === undefined && op.learned !== undefined) baselines[key] = op.learned;
      return { baselines, regressions, findings: regressions.map(findingOf), windowSamples, operationsDropped, sampledSlots: budget.sampledSlots };
    },
    saveBaselines,
    loadBaselines,
    setBaselines(baselines) {
      loaded = { ...baselines };
      loadedVersion++;
    },
    currentBaselines,
  };
}

function isNum(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
