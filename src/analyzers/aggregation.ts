/**
 * `aggregation`: rolling-window and cumulative figures of the event stream: events per second
 * (overall and per type), latency (count, mean, p50, p95, p99, max) per tool, agent and model,
 * success and error rates, tokens and known cost, and the sessions, agents and workflows that are
 * active right now. Memory is bounded whatever the rate: percentiles come from log-bucket sketches
 * (1% relative error), windows are rings of time slots. See `docs/analyzers-stats.md`.
 */
import type { Analyzer, AnalyzerContext } from '../core/index.js';
import { AggregationIngest, KIND_AGENT, KIND_SESSION, KIND_TOOL } from './aggregation-ingest.js';
import { EventClock } from './event-clock.js';
import {
  FIELD_COUNT,
  F_CACHE_READ,
  F_CACHE_WRITE,
  F_COST,
  F_ERROR,
  F_EVENTS,
  F_INPUT,
  F_OTHER,
  F_OUTPUT,
  F_PRICED,
  F_SUCCESS,
  F_UNPRICED,
  RollingSeries,
  sketchSlotOf,
  slotOf,
  type RingRange,
  type WindowSpec,
} from './rolling.js';
import { DEFAULT_RELATIVE_ACCURACY, LogSketch, round3, sketchSummary } from './sketch.js';
import type { AggregationSnapshot, Finding, OperationStats, WindowStats } from './types.js';

export interface AggregationOptions {
  /** Rolling windows, label → length in ms. Default `{ '1m': 60000, '5m': 300000, '15m': 900000, '1h': 3600000 }`. */
  windows?: Record<string, number>;
  /** Time slots per window (a window's counts and rates cover between W − W/slots and W). Default 60. */
  slotsPerWindow?: number;
  /**
   * Latency sketch slots per window (a window's quantiles cover between W − W/sketchSlots and W),
   * at most `slotsPerWindow`. A sketch slot costs far more memory than a row of counters. Default 12.
   */
  sketchSlotsPerWindow?: number;
  /** Durations above this are counted in `dataQuality.absurdDurations` and kept out of the figures. Default 86,400,000 (24 h). */
  maxDurationMs?: number;
  /**
   * A started session/agent/tool with no end for this long is `unfinished`, no longer active; the
   * time is measured on the events' time line (the clock live, the newest event's time when
   * replaying history: see `EventClock`). Default 3,600,000 (1 h).
   */
  staleAfterMs?: number;
  /** Distinct tools, agents and models tracked (each); further names are summed under `(other)`. Default 200. */
  maxOperations?: number;
  /** Open spans remembered; beyond, the oldest is forgotten (counted in `dataQuality.openSpansDropped`). Default 10,000. */
  maxOpenSpans?: number;
  /** Relative accuracy of the quantile sketches. Default 0.01 (1%). */
  relativeAccuracy?: number;
  /**
   * Most memory of the rolling windows' latency sketches, all operations and windows together, in
   * bytes. Each time slot keeps up to 32 latencies exactly, then a 1%-accurate sketch (reserved at
   * its largest, ~16.6 KB) while this budget has room, else a uniform sample of 32 values with
   * exact count, sum, min and max (counted in `dataQuality.sampledSlots`). A slot's memory is freed
   * when the slot is reused. The cumulative figures keep one full sketch per operation outside this
   * budget (at most ~16.6 KB each, so `3 × maxOperations` of them). Default 16 MiB.
   */
  maxSketchBytes?: number;
  /**
   * How far ahead of the observer's clock a timestamp may be before it counts as clock skew
   * (`dataQuality.futureTimestamps`, the `aggregation.clock_skew` finding). Sources such as
   * OpenTelemetry spans carry sub-millisecond end times a little after `Date.now()`; any event
   * ahead of the clock is still clamped to it. Default 1000 (1 s).
   */
  clockSkewToleranceMs?: number;
}

/** `AggregationSnapshot` plus data-quality counters. */
export interface AggregationAnalyzerSnapshot extends AggregationSnapshot {
  dataQuality: {
    /** Durations/latencies above `maxDurationMs`, left out. */
    absurdDurations: number;
    /** tool.end / agent.end / llm.call without a duration. */
    missingDurations: number;
    /** Events stamped more than `clockSkewToleranceMs` in the future (all future ones are clamped to the observer's clock). */
    futureTimestamps: number;
    /** Events older than the longest window when they arrived (cumulative only). */
    lateEvents: number;
    /** End events whose start was never seen (normal for sources that only report ends). */
    unmatchedEnds: number;
    /** Starts without an end for more than `staleAfterMs`. */
    unfinished: { sessions: number; agents: number; tools: number };
    openSpansDropped: number;
    /** Events whose tool/agent/model went to `(other)` because `maxOperations` was reached. */
    operationsOverflow: number;
    /** Time slots whose window quantiles come from a sample because `maxSketchBytes` was reached (since start). */
    sampledSlots: number;
    /** Bytes the rolling windows' sketches hold now (at most `maxSketchBytes`). */
    sketchBytes: number;
  };
}

const DEFAULT_WINDOWS: Record<string, number> = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000 };

function fail(message: string): never {
  throw new Error(`[fleetscope] [aggregation] ${message}`);
}

export function aggregationAnalyzer(options: AggregationOptions = {}): Analyzer<AggregationAnalyzerSnapshot> {
  const slotsPerWindow = options.slotsPerWindow ?? 60;
  const sketchSlotsPerWindow = Math.min(slotsPerWindow, options.sketchSlotsPerWindow ?? 12);
  const maxDurationMs = options.maxDurationMs ?? 86_400_000;
  const staleAfterMs = options.staleAfterMs ?? 3_600_000;
  const maxOperations = options.maxOperations ?? 200;
  const maxOpenSpans = options.maxOpenSpans ?? 10_000;
  const accuracy = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  const maxSketchBytes = options.maxSketchBytes ?? 16 * 2 ** 20;
  if (!(maxSketchBytes >= 0)) fail('maxSketchBytes must be a number >= 0');
  const clockSkewToleranceMs = options.clockSkewToleranceMs ?? 1000;
  if (!(clockSkewToleranceMs >= 0)) fail('clockSkewToleranceMs must be ≥ 0');
  if (!Number.isInteger(slotsPerWindow) || slotsPerWindow < 1) fail('slotsPerWindow must be a positive integer');
  if (!Number.isInteger(sketchSlotsPerWindow) || sketchSlotsPerWindow < 1) fail('sketchSlotsPerWindow must be a positive integer');
  if (!(maxDurationMs > 0)) fail('maxDurationMs must be > 0');
  if (!(accuracy > 0 && accuracy < 1)) fail('relativeAccuracy must be in (0, 1)');
  const specs: WindowSpec[] = [];
  for (const [label, ms] of Object.entries(options.windows ?? DEFAULT_WINDOWS)) {
    if (!(Number.isFinite(ms) && ms >= slotsPerWindow)) fail(`window "${label}" must be a length in ms ≥ slotsPerWindow`);
    specs.push({ label, ms, slotMs: ms / slotsPerWindow, slots: slotsPerWindow, sketchSlotMs: ms / sketchSlotsPerWindow, sketchSlots: sketchSlotsPerWindow });
  }
  specs.push({ label: 'cumulative', ms: null, slotMs: Infinity, slots: 1, sketchSlotMs: Infinity, sketchSlots: 1 });
  const W = specs.length;
  const state = new AggregationIngest(specs, { maxDurationMs, maxOperations, maxOpenSpans, relativeAccuracy: accuracy, maxSketchBytes, clockSkewToleranceMs });
  const { firstSlot, firstSketchSlot, totals, byType, tools, agents, models, openSpans, quality } = state;
  /** The counter slots and the sketch slots of window `w` at time `now`. */
  const rangesOf = (w: number, now: number): { counters: RingRange; sketches: RingRange } => {
    const spec = specs[w]!;
    return {
      counters: { first: firstSlot[w]!, slots: spec.slots, current: slotOf(spec, now) },
      sketches: { first: firstSketchSlot[w]!, slots: spec.sketchSlots, current: sketchSlotOf(spec, now) },
    };
  };
  let clock: () => number = Date.now;
  const eventClock = new EventClock();

  const scratch = new Float64Array(FIELD_COUNT);

  const opStats = (name: string, op: RollingSeries, ranges: ReturnType<typeof rangesOf>): OperationStats | undefined => {
    scratch.fill(0);
    const sketch = new LogSketch({ relativeAccuracy: accuracy });
    if (!op.collect(ranges.counters, scratch)) return undefined;
    op.collectLatency(ranges.sketches, sketch);
    const successes = scratch[F_SUCCESS]!;
    const errors = scratch[F_ERROR]!;
    const other = scratch[F_OTHER]!;
    if (successes + errors + other === 0 && sketch.count === 0) return undefined;
    const stats: OperationStats & { other?: number } = {
      operation: name,
      latency: sketchSummary(sketch),
      successes,
      errors,
      errorRate: successes + errors === 0 ? 0 : round3(errors / (successes + errors)),
    };
    if (other > 0) stats.other = other;
    if (scratch[F_PRICED]! + scratch[F_UNPRICED]! > 0) {
      stats.tokens = {
        input: scratch[F_INPUT]!,
        output: scratch[F_OUTPUT]!,
        cacheRead: scratch[F_CACHE_READ]!,
        cacheWrite: scratch[F_CACHE_WRITE]!,
      };
      stats.costUsd = round6(scratch[F_COST]!);
      stats.unpricedCalls = scratch[F_UNPRICED]!;
    }
    return stats;
  };

  const windowStats = (w: number, now: number): WindowStats & { unpricedCalls: number; outcomes: number } => {
    const spec = specs[w]!;
    const ranges = rangesOf(w, now);
    const sum = new Float64Array(FIELD_COUNT);
    totals.collect(ranges.counters, sum);
    const typeCounts: Record<string, number> = {};
    for (const [type, series] of byType) {
      scratch.fill(0);
      series.collect(ranges.counters, scratch);
      if (scratch[F_EVENTS]! > 0) typeCounts[type] = scratch[F_EVENTS]!;
    }
    const section = (map: Map<string, RollingSeries>, prefix: string) => {
      const out: Record<string, OperationStats> = {};
      for (const [name, op] of map) {
        const stats = opStats(`${prefix}:${name}`, op, ranges);
        // A tool named `__proto__` is a key like any other (assignment would set the prototype).
        if (stats !== undefined) Object.defineProperty(out, name, { value: stats, enumerable: true, writable: true, configurable: true });
      }
      return out;
    };
    const elapsed = state.firstTimestamp === Infinity ? 0 : now - state.firstTimestamp;
    const coveredMs = Math.max(1000, spec.ms === null ? elapsed : Math.min(spec.ms, elapsed));
    const events = sum[F_EVENTS]!;
    const outcomes = sum[F_SUCCESS]! + sum[F_ERROR]!;
    const errorRate = outcomes === 0 ? 0 : round3(sum[F_ERROR]! / outcomes);
    return {
      windowMs: spec.ms,
      events,
      eventsPerSecond: round3(events / (coveredMs / 1000)),
      byType: typeCounts,
      tools: section(tools, 'tool'),
      agents: section(agents, 'agent'),
      models: section(models, 'llm'),
      tokens: {
        input: sum[F_INPUT]!,
        output: sum[F_OUTPUT]!,
        cacheRead: sum[F_CACHE_READ]!,
        cacheWrite: sum[F_CACHE_WRITE]!,
      },
      costUsd: round6(sum[F_COST]!),
      unpricedCalls: sum[F_UNPRICED]!,
      outcomes,
      successRate: outcomes === 0 ? 1 : round3(1 - errorRate),
      errorRate,
    };
  };

  return {
    name: 'aggregation',
    async consume(stream, context: AnalyzerContext) {
      clock = () => context.now();
      for await (const batch of stream) {
        try {
          const now = context.now();
          state.processBatch(batch, now);
          eventClock.seeBatch(batch, now);
        } catch (error) {
          context.reportError(error, 'consume');
        }
      }
    },
    snapshot(): AggregationAnalyzerSnapshot {
      const now = clock();
      const windows: Record<string, WindowStats> = {};
      for (let w = 0; w < W - 1; w++) windows[specs[w]!.label] = windowStats(w, now);
      const cumulative = windowStats(W - 1, now);
      const active = { sessions: 0, agents: 0, workflows: 0 };
      const unfinished = { sessions: 0, agents: 0, tools: 0 };
      const workflows = new Set<string>();
      const eventNow = eventClock.at(now);
      for (const span of openSpans.values()) {
        const stale = eventNow - span.ts > staleAfterMs;
        if (span.kind === KIND_SESSION) stale ? unfinished.sessions++ : active.sessions++;
        else if (span.kind === KIND_AGENT) stale ? unfinished.agents++ : active.agents++;
        else if (stale) unfinished.tools++;
        if (!stale && span.workflowId !== undefined && span.kind !== KIND_TOOL) workflows.add(span.workflowId);
      }
      active.workflows = workflows.size;
      const dataQuality = { ...quality, sampledSlots: state.sketchBudget.sampledSlots, sketchBytes: state.sketchBudget.used, unfinished };
      return {
        windows,
        cumulative,
        active,
        quantileRelativeError: accuracy,
        dataQuality,
        findings: findingsOf(dataQuality),
      };
    },
  };
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function findingsOf(q: AggregationAnalyzerSnapshot['dataQuality']): Finding[] {
  const findings: Finding[] = [];
  if (q.absurdDurations > 0) {
    findings.push({
      analyzer: 'aggregation',
      kind: 'aggregation.absurd_durations',
      severity: 'low',
      title: `${q.absurdDurations} duration(s) above the plausible maximum were left out of the figures`,
      evidence: { absurdDurations: q.absurdDurations },
    });
  }
  const unfinished = q.unfinished.sessions + q.unfinished.agents + q.unfinished.tools;
  if (unfinished > 0) {
    findings.push({
      analyzer: 'aggregation',
      kind: 'aggregation.unfinished_spans',
      severity: 'medium',
      title: `${unfinished} started session(s)/agent(s)/tool call(s) never ended`,
      evidence: { sessions: q.unfinished.sessions, agents: q.unfinished.agents, tools: q.unfinished.tools },
    });
  }
  if (q.futureTimestamps > 0) {
    findings.push({
      analyzer: 'aggregation',
      kind: 'aggregation.clock_skew',
      severity: 'low',
      title: `${q.futureTimestamps} event(s) were stamped in the future (clock skew); clamped to now`,
      evidence: { futureTimestamps: q.futureTimestamps },
    });
  }
  return findings;
}
