/**
 * How the in-memory store lays out one event: a slot in each of the columns (timestamps, append
 * times and packed span ids in typed arrays, interned strings by their table index, the id and
 * the payload as references), the flags saying which span ids were packed and whether the event
 * has fields kept as given in `extras`, and the shape of those extras. The columns grow by
 * copying the live slots into a larger set.
 *
 * The store (memory.ts) writes and reads the slots; the building blocks it packs with are in
 * memory-columns.ts.
 */
import { SEVERITIES } from '../core/index.js';

/** Columns start this large and double up to the capacity, so an idle store costs little. */
export const INITIAL_SLOTS = 1024;

export const SPAN = 1;
export const PARENT = 2;
/** Fields kept as they were, in `extras`: tags, attributes, truncated, or ids not in W3C shape. */
export const EXTRAS = 4;

/** Index of a severity in SEVERITIES, or -1 (kept in `extras` then). A scan of five pointer compares beats a Map's hash. */
export function severityIndex(severity: string): number {
  for (let i = 0; i < SEVERITIES.length; i++) if (SEVERITIES[i] === severity) return i;
  return -1;
}

export interface Extras {
  tags?: readonly string[];
  attributes?: Readonly<Record<string, unknown>>;
  truncated?: boolean;
  severity?: string;
  spanId?: string;
  parentSpanId?: string;
}

/** One event's column values, in typed arrays sized `slots` (a power of two up to the capacity). */
export class Columns {
  timestamp: Float64Array;
  appendedAt: Uint32Array;
  /** Approximate JSON bytes of the payload, attributes and tags (the part of an event whose size is the host's). */
  bytes: Uint32Array;
  type: Uint32Array;
  source: Uint32Array;
  session: Uint32Array;
  agent: Uint32Array;
  workflow: Uint32Array;
  trace: Uint32Array;
  spanHigh: Uint32Array;
  spanLow: Uint32Array;
  parentHigh: Uint32Array;
  parentLow: Uint32Array;
  severity: Uint8Array;
  flags: Uint8Array;
  ids: (string | undefined)[];
  payloads: (object | undefined)[];

  constructor(readonly slots: number) {
    this.timestamp = new Float64Array(slots);
    this.appendedAt = new Uint32Array(slots);
    this.bytes = new Uint32Array(slots);
    this.type = new Uint32Array(slots);
    this.source = new Uint32Array(slots);
    this.session = new Uint32Array(slots);
    this.agent = new Uint32Array(slots);
    this.workflow = new Uint32Array(slots);
    this.trace = new Uint32Array(slots);
    this.spanHigh = new Uint32Array(slots);
    this.spanLow = new Uint32Array(slots);
    this.parentHigh = new Uint32Array(slots);
    this.parentLow = new Uint32Array(slots);
    this.severity = new Uint8Array(slots);
    this.flags = new Uint8Array(slots);
    this.ids = new Array(slots);
    this.payloads = new Array(slots);
  }

  /** Copies the live sequence numbers [first, next) from `from` into this (larger) set of columns. */
  copyFrom(from: Columns, first: number, next: number): void {
    for (let seq = first; seq < next; seq++) {
      const a = seq % from.slots;
      const b = seq % this.slots;
      this.timestamp[b] = from.timestamp[a]!;
      this.appendedAt[b] = from.appendedAt[a]!;
      this.bytes[b] = from.bytes[a]!;
      this.type[b] = from.type[a]!;
      this.source[b] = from.source[a]!;
      this.session[b] = from.session[a]!;
      this.agent[b] = from.agent[a]!;
      this.workflow[b] = from.workflow[a]!;
      this.trace[b] = from.trace[a]!;
      this.spanHigh[b] = from.spanHigh[a]!;
      this.spanLow[b] = from.spanLow[a]!;
      this.parentHigh[b] = from.parentHigh[a]!;
      this.parentLow[b] = from.parentLow[a]!;
      this.severity[b] = from.severity[a]!;
      this.flags[b] = from.flags[a]!;
      this.ids[b] = from.ids[a];
      this.payloads[b] = from.payloads[a];
    }
  }
}
