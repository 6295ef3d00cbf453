/**
 * The hot path of the `aggregation` analyzer: the state an event updates, as a class so that
 * every analyzer instance runs the same optimized code (per-instance closures make V8 re-optimize
 * for each new instance). The snapshot side lives in `aggregation.ts`.
 */
import type { EventOf, FleetEvent } from '../core/index.js';
import {
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
  FIELD_COUNT,
  OUTCOME_FIELDS,
  RollingSeries,
  type SketchRing,
  type WindowSpec,
} from './rolling.js';
import { LogSketch } from './sketch.js';
import { newSketchBudget, type SketchBudget } from './slot-sketch.js';

export const KIND_SESSION = 0;
export const KIND_AGENT = 1;
export const KIND_TOOL = 2;
const OTHER = '(other)';

export interface OpenSpan {
  kind: number;
  ts: number;
  workflowId: string | undefined;
}

export interface AggregationLimits {
  maxDurationMs: number;
  maxOperations: number;
  maxOpenSpans: number;
  relativeAccuracy: number;
  /** Most bytes of the latency sketches of the rolling windows' slots together (see slot-sketch.ts). */
  maxSketchBytes: number;
  /** A timestamp at most this far ahead of the clock is clamped without being counted as skew. */
  clockSkewToleranceMs: number;
}

export class AggregationIngest {
  /** Windows, the cumulative one last. */
  readonly specs: readonly WindowSpec[];
  /** First ring slot of each window in a series (windows side by side). */
  readonly firstSlot: Int32Array;
  /** First sketch ring slot of each window in a series. */
  readonly firstSketchSlot: Int32Array;
  readonly totals: RollingSeries;
  /** Per event type, one counter series (in first-seen order). */
  readonly byType = new Map<string, RollingSeries>();
  readonly tools = new Map<string, RollingSeries>();
  readonly agents = new Map<string, RollingSeries>();
  readonly models = new Map<string, RollingSeries>();
  readonly openSpans = new Map<string, OpenSpan>();
  readonly quality = {
    absurdDurations: 0,
    missingDurations: 0,
    futureTimestamps: 0,
    lateEvents: 0,
    unmatchedEnds: 0,
    openSpansDropped: 0,
    operationsOverflow: 0,
  };
  firstTimestamp = Infinity;
  /** Memory of the rolling windows' latency sketches (bounded), and of the cumulative ones (one per operation). */
  readonly sketchBudget: SketchBudget;
  private readonly cumulativeBudget = newSketchBudget(Infinity);

  private readonly ringSize: number;
  private readonly sketchRing: SketchRing;
  private readonly longestMs: number;
  private readonly limits: AggregationLimits;
  /** Closed span records kept for reuse (no allocation per span). */
  private readonly spare: OpenSpan[] = [];
  /**
   * The windows the event being processed counts in (those it is not too old for): `live` of
   * them, with their ring slot and time slot number.
   */
  private live = 0;
  private readonly liveRing: Int32Array;
  private readonly liveSlot: Float64Array;
  private readonly liveSketchRing: Int32Array;
  private readonly liveSketchSlot: Float64Array;
  /** Last time slot seen per window and its ring slot (saves the modulo for the next event). */
  private readonly lastSlot: Float64Array;
  private readonly lastRing: Int32Array;
  /** Lowest slot number still inside each window at the batch's clock. */
  private readonly oldestAllowed: Float64Array;
  private readonly tooOld: Float64Array;
  /** Any sketch, for `bucketOf` (all have the same accuracy). */
  private readonly bucketing: LogSketch;
  /** The per-type series of the types handled in `ingest`, once seen (saves a map lookup per event). */
  private toolStarts: RollingSeries | undefined = undefined;
  private toolEnds: RollingSeries | undefined = undefined;
  private agentStarts: RollingSeries | undefined = undefined;
  private agentEnds: RollingSeries | undefined = undefined;
  private sessionStarts: RollingSeries | undefined = undefined;
  private sessionEnds: RollingSeries | undefined = undefined;
  private llmCalls: RollingSeries | undefined = undefined;

  constructor(specs: readonly WindowSpec[], limits: AggregationLimits) {
    const W = specs.length;
    this.specs = specs;
    this.limits = limits;
    this.firstSlot = new Int32Array(W);
    this.firstSketchSlot = new Int32Array(W);
    let ringSize = 0;
    let sketchRingSize = 0;
    for (let w = 0; w < W; w++) {
      this.firstSlot[w] = ringSize;
      this.firstSketchSlot[w] = sketchRingSize;
      ringSize += specs[w]!.slots;
      sketchRingSize += specs[w]!.sketchSlots;
    }
    this.ringSize = ringSize;
    this.longestMs = Math.max(0, ...specs.map((s) => s.ms ?? 0));
    this.liveRing = new Int32Array(W);
    this.liveSlot = new Float64Array(W);
    this.liveSketchRing = new Int32Array(W);
    this.liveSketchSlot = new Float64Array(W);
    this.lastSlot = new Float64Array(W).fill(Number.NaN);
    this.lastRing = new Int32Array(W);
    this.oldestAllowed = new Float64Array(W);
    this.tooOld = new Float64Array(W);
    this.bucketing = new LogSketch({ relativeAccuracy: limits.relativeAccuracy });
    this.sketchBudget = newSketchBudget(limits.maxSketchBytes);
    // The cumulative window (last, one slot) is outside the budget: one sketch per operation.
    const cumulative = specs[W - 1]!.ms === null;
    this.sketchRing = {
      size: sketchRingSize,
      budget: this.sketchBudget,
      unbudgeted: this.cumulativeBudget,
      budgetedBelow: cumulative ? sketchRingSize - 1 : sketchRingSize,
    };
    this.totals = this.newSeries(FIELD_COUNT, false);
  }

  /** A series of `fields` counters per slot, with latency sketches or not. */
  newSeries(fields: number, withSketch: boolean): RollingSeries {
    return new RollingSeries(this.ringSize, fields, this.limits.relativeAccuracy, withSketch ? this.sketchRing : undefined);
  }

  processBatch(batch: readonly FleetEvent[], now: number): void {
    const specs = this.specs;
    const W = specs.length;
    const oldestAllowed = this.oldestAllowed;
    const lastSlot = this.lastSlot;
    const lastRing = this.lastRing;
    const liveRing = this.liveRing;
    const liveSlot = this.liveSlot;
    const liveSketchRing = this.liveSketchRing;
    const liveSketchSlot = this.liveSketchSlot;
    const quality = this.quality;
    const tooOld = this.tooOld;
    for (let w = 0; w < W; w++) {
      const spec = specs[w]!;
      oldestAllowed[w] = spec.ms === null ? -Infinity : Math.floor(now / spec.slotMs) - spec.slots + 1;
      // t below this has slot ≤ oldestAllowed − 1 even with rounding: skipped without a division.
      tooOld[w] = spec.ms === null ? -Infinity : (oldestAllowed[w]! - 1) * spec.slotMs;
    }
    for (let e = 0; e < batch.length; e++) {
      const event = batch[e]!;
      let t = event.timestamp;
      if (t > now) {
        if (t - now > this.limits.clockSkewToleranceMs) quality.futureTimestamps++;
        t = now;
      }
      if (t < this.firstTimestamp) this.firstTimestamp = t;
      if (now - t > this.longestMs) quality.lateEvents++;
      let live = 0;
      for (let w = 0; w < W; w++) {
        if (t < tooOld[w]!) continue;
        const spec = specs[w]!;
        const slot = spec.ms === null ? 0 : Math.floor(t / spec.slotMs);
        // Older than the window's first slot when it arrived: cumulative only.
        if (slot < oldestAllowed[w]!) continue;
        if (slot !== lastSlot[w]) {
          lastSlot[w] = slot;
          lastRing[w] = this.firstSlot[w]! + (spec.slots === 1 ? 0 : slot % spec.slots);
        }
        liveRing[live] = lastRing[w]!;
        liveSlot[live] = slot;
        const sketchSlot = spec.ms === null ? 0 : Math.floor(t / spec.sketchSlotMs);
        liveSketchRing[live] = this.firstSketchSlot[w]! + (spec.sketchSlots === 1 ? 0 : sketchSlot % spec.sketchSlots);
        liveSketchSlot[live] = sketchSlot;
        live++;
      }
      this.live = live;
      this.ingest(event, t);
    }
  }

  private ingest(event: FleetEvent, t: number): void {
    const type = event.type;
    switch (type) {
      case 'tool.start': {
        this.countEvent((this.toolStarts ??= this.typeSeriesOf(type)));
        // A call with neither span id nor call id can never be paired with its end: not opened
        // (it would only fill `openSpans` and later read as unfinished). Its end counts as unmatched.
        const callId = (event as EventOf<'tool.start'>).payload.toolCallId;
        if (event.spanId !== undefined || callId !== undefined) this.openSpan(event.spanId ?? `tool:${callId}`, KIND_TOOL, event, t);
        break;
      }
      case 'tool.end': {
        this.countEvent((this.toolEnds ??= this.typeSeriesOf(type)));
        const p = (event as EventOf<'tool.end'>).payload;
        this.closeSpan(event.spanId ?? `tool:${p.toolCallId ?? event.id}`);
        this.outcome(this.operation(this.tools, p.toolName), p.status, p.durationMs);
        break;
      }
      case 'agent.start':
        this.countEvent((this.agentStarts ??= this.typeSeriesOf(type)));
        this.openSpan(event.spanId ?? `agent:${event.agentId}`, KIND_AGENT, event, t);
        break;
      case 'agent.end': {
        this.countEvent((this.agentEnds ??= this.typeSeriesOf(type)));
        this.closeSpan(event.spanId ?? `agent:${event.agentId}`);
        const p = (event as EventOf<'agent.end'>).payload;
        this.outcome(this.operation(this.agents, p.name), p.status, p.durationMs);
        break;
      }
      case 'session.start':
        this.countEvent((this.sessionStarts ??= this.typeSeriesOf(type)));
        this.openSpan(event.spanId ?? `session:${event.sessionId}`, KIND_SESSION, event, t);
        break;
      case 'session.end':
        this.countEvent((this.sessionEnds ??= this.typeSeriesOf(type)));
        this.closeSpan(event.spanId ?? `session:${event.sessionId}`);
        break;
      case 'llm.call': {
        this.countEvent((this.llmCalls ??= this.typeSeriesOf(type)));
        const p = (event as EventOf<'llm.call'>).payload;
        const op = this.operation(this.models, p.model);
        this.outcome(op, p.status, p.latencyMs);
        const input = p.inputTokens ?? 0;
        const output = p.outputTokens ?? 0;
        const cacheRead = p.cacheReadTokens ?? 0;
        const cacheWrite = p.cacheWriteTokens ?? 0;
        const costUsd = p.costUsd;
        this.usage(op, input, output, cacheRead, cacheWrite, costUsd);
        this.usage(this.totals, input, output, cacheRead, cacheWrite, costUsd);
        break;
      }
      default:
        this.countEvent(this.typeSeriesOf(type));
        break;
    }
  }

  private typeSeriesOf(type: string): RollingSeries {
    let series = this.byType.get(type);
    if (series === undefined) {
      series = this.newSeries(FIELD_COUNT, false);
      this.byType.set(type, series);
    }
    return series;
  }

  /** Counts one event in the totals and in its type's series, in every live window. */
  private countEvent(typeSeries: RollingSeries): void {
    const totals = this.totals;
    const totalCounters = totals.counters;
    const typeCounters = typeSeries.counters;
    const liveRing = this.liveRing;
    const liveSlot = this.liveSlot;
    for (let k = 0; k < this.live; k++) {
      const i = liveRing[k]!;
      const slot = liveSlot[k]!;
      totalCounters[totals.at(i, slot) + F_EVENTS]! += 1;
      typeCounters[typeSeries.at(i, slot) + F_EVENTS]! += 1;
    }
  }

  private operation(map: Map<string, RollingSeries>, name: string): RollingSeries {
    let op = map.get(name);
    if (op !== undefined) return op;
    if (map.size >= this.limits.maxOperations) {
      this.quality.operationsOverflow++;
      name = OTHER;
      op = map.get(name);
      if (op !== undefined) return op;
    }
    // Tools and agents count outcomes only; models also tokens and cost.
    op = this.newSeries(map === this.models ? FIELD_COUNT : OUTCOME_FIELDS, true);
    map.set(name, op);
    return op;
  }

  /** Records the outcome and duration of one tool/agent/model event in every live window. */
  private outcome(op: RollingSeries, status: string, duration: number | undefined): void {
    const field = status === 'success' ? F_SUCCESS : status === 'error' ? F_ERROR : F_OTHER;
    let latency = -1;
    if (duration === undefined) this.quality.missingDurations++;
    else if (duration > this.limits.maxDurationMs) this.quality.absurdDurations++;
    else latency = duration;
    const withLatency = latency >= 0;
    const bucket = withLatency ? this.bucketing.bucketOf(latency) : 0;
    const totals = this.totals;
    const counters = op.counters;
    const totalCounters = totals.counters;
    const liveRing = this.liveRing;
    const liveSlot = this.liveSlot;
    for (let k = 0; k < this.live; k++) {
      const i = liveRing[k]!;
      const slot = liveSlot[k]!;
      counters[op.at(i, slot) + field]! += 1;
      if (withLatency) op.addLatency(this.liveSketchRing[k]!, this.liveSketchSlot[k]!, latency, bucket);
      if (field !== F_OTHER) totalCounters[totals.at(i, slot) + field]! += 1;
    }
  }

  private usage(
    series: RollingSeries,
    input: number,
    output: number,
    cacheRead: number,
    cacheWrite: number,
    costUsd: number | undefined,
  ): void {
    const c = series.counters;
    const liveRing = this.liveRing;
    const liveSlot = this.liveSlot;
    for (let k = 0; k < this.live; k++) {
      const b = series.at(liveRing[k]!, liveSlot[k]!);
      c[b + F_INPUT]! += input;
      c[b + F_OUTPUT]! += output;
      c[b + F_CACHE_READ]! += cacheRead;
      c[b + F_CACHE_WRITE]! += cacheWrite;
      if (costUsd === undefined) c[b + F_UNPRICED]! += 1;
      else {
        c[b + F_COST]! += costUsd;
        c[b + F_PRICED]! += 1;
      }
    }
  }

  private openSpan(key: string, kind: number, event: FleetEvent, t: number): void {
    const openSpans = this.openSpans;
    if (openSpans.size >= this.limits.maxOpenSpans) {
      const oldest = openSpans.keys().next().value;
      if (oldest !== undefined) openSpans.delete(oldest);
      this.quality.openSpansDropped++;
    }
    let span = this.spare.pop();
    if (span === undefined) span = { kind, ts: t, workflowId: event.workflowId };
    else {
      span.kind = kind;
      span.ts = t;
      span.workflowId = event.workflowId;
    }
    openSpans.set(key, span);
  }

  private closeSpan(key: string): void {
    const span = this.openSpans.get(key);
    if (span === undefined) {
      this.quality.unmatchedEnds++;
      return;
    }
    this.openSpans.delete(key);
    span.workflowId = undefined;
    if (this.spare.length < 256) this.spare.push(span);
  }
}
