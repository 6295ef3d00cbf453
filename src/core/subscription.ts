/**
 * A subscription: one consumer's bounded buffer over the bus, read as an async iterable of
 * batches. The publisher only ever pushes (O(1), never waits); when the buffer is full the
 * overflow policy decides what is lost, and every loss is counted.
 */
import type { FleetEvent } from './events.js';

/** What to lose when a subscriber falls behind by `highWaterMark` events. */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest';

export interface SubscribeOptions {
  /** Name shown in `stats()`. Default `subscriber-<n>`. */
  name?: string;
  /**
   * Most events buffered for this subscriber before the overflow policy applies.
   * Default 131072, enough to absorb a synchronous burst of 100k events with nothing lost.
   */
  highWaterMark?: number;
  /** Default `drop-oldest`: a live view prefers recent events. */
  overflow?: OverflowPolicy;
  /** Most events in one batch handed to the consumer. Default 1024. */
  maxBatchSize?: number;
  /** Aborting ends the subscription at once; buffered events are discarded. */
  signal?: AbortSignal;
  /** Called once per burst of drops (the first drop after the buffer last had room). */
  onDrop?: (stats: SubscriptionStats) => void;
}

export interface SubscriptionStats {
  name: string;
  /** Events accepted into the buffer. */
  received: number;
  /** Events handed to the consumer. */
  delivered: number;
  /** Events lost to the overflow policy. */
  dropped: number;
  /** Events discarded by an abort or `close()` before they were read. */
  discarded: number;
  /** Events waiting in the buffer. */
  pending: number;
  highWaterMark: number;
  overflow: OverflowPolicy;
  closed: boolean;
}

export const DEFAULT_HIGH_WATER_MARK = 131_072;
export const DEFAULT_MAX_BATCH_SIZE = 1024;

/** Slots a buffer starts with, and shrinks back to once drained after a burst. */
const INITIAL_CAPACITY = 1024;
/**
 * A ring up to this size (128 KB of slots) is kept once drained, so a host emitting in chunks
 * of a few thousand events does not regrow it after every chunk. A larger one shrinks back
 * when drained after a round that filled less than a quarter of it (a one-off burst is over).
 */
const KEEP_CAPACITY = 16_384;

/** An array of `size` empty slots. */
function emptySlots(size: number): (FleetEvent | undefined)[] {
  return new Array<FleetEvent | undefined>(size).fill(undefined);
}

let anonymousCount = 0;

function positiveInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}

/** The options, each read once inside a `try`: a Proxy or a throwing getter gives the defaults. */
function readOptions(given: unknown): SubscribeOptions {
  if (typeof given !== 'object' || given === null) return {};
  try {
    const o = given as SubscribeOptions;
    return { name: o.name, highWaterMark: o.highWaterMark, overflow: o.overflow, maxBatchSize: o.maxBatchSize, signal: o.signal, onDrop: o.onDrop };
  } catch {
    return {};
  }
}

function isAbortSignal(value: unknown): value is AbortSignal {
  try {
    return value instanceof AbortSignal;
  } catch {
    return false;
  }
}

type Resolver = (result: IteratorResult<readonly FleetEvent[]>) => void;

/**
 * Single-consumer async iterable of event batches. Iterate it once (`for await`); breaking out
 * of the loop, aborting the signal, `close()` or `await using` end it.
 */
export class Subscription implements AsyncIterableIterator<readonly FleetEvent[]>, AsyncDisposable {
  readonly name: string;
  readonly highWaterMark: number;
  readonly overflow: OverflowPolicy;
  readonly maxBatchSize: number;

  /**
   * The buffer: a ring of `count` events from `head`, its size a power of two, grown on demand
   * up to the high-water mark. A ring, not an array pushed to and sliced: measured, the regrowth
   * of per-subscription arrays was 150 bytes allocated per event with the default analyzers.
   */
  private ring = emptySlots(INITIAL_CAPACITY);
  private mask = INITIAL_CAPACITY - 1;
  private head = 0;
  private count = 0;
  /** Most events buffered since the ring last drained. */
  private peak = 0;
  private received = 0;
  private delivered = 0;
  private dropped = 0;
  private discarded = 0;
  private inBurst = false;
  /** No more events are accepted; the consumer reads what is buffered, then ends. */
  private ending = false;
  /** Over: the consumer gets `done`. */
  private closed = false;
  private waiter: Resolver | undefined;
  private deliveryScheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly onDrop: ((stats: SubscriptionStats) => void) | undefined;
  private readonly detach: () => void;
  private readonly abortListener: (() => void) | undefined;
  private signal: AbortSignal | undefined;

  /** @internal Created by `EventBus.subscribe`. */
  constructor(given: SubscribeOptions, detach: () => void) {
    // Options are coerced, never rejected: a subscription must stay bounded whatever it was given.
    const options = readOptions(given);
    this.name = typeof options.name === 'string' ? options.name : `subscriber-${++anonymousCount}`;
    this.highWaterMark = positiveInteger(options.highWaterMark, DEFAULT_HIGH_WATER_MARK);
    this.overflow = options.overflow === 'drop-newest' ? 'drop-newest' : 'drop-oldest';
    this.maxBatchSize = positiveInteger(options.maxBatchSize, DEFAULT_MAX_BATCH_SIZE);
    this.onDrop = typeof options.onDrop === 'function' ? options.onDrop : undefined;
    this.detach = detach;
    const signal = isAbortSignal(options.signal) ? options.signal : undefined;
    this.signal = signal;
    if (signal !== undefined) {
      try {
        if (signal.aborted) {
          this.ending = true;
          queueMicrotask(() => this.close());
        } else {
          this.abortListener = () => this.close();
          signal.addEventListener('abort', this.abortListener, { once: true });
        }
      } catch {
        // A signal that cannot be listened to is no signal.
        this.signal = undefined;
      }
    }
  }

  /** Events waiting to be read. */
  get pending(): number {
    return this.count;
  }

  /** @internal Called by the bus for each matching event. Never throws, never waits. */
  push(event: FleetEvent): void {
    if (this.ending) return;
    if (this.count >= this.highWaterMark) {
      this.dropped++;
      if (this.overflow === 'drop-newest') {
        this.noteDrop();
        return;
      }
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
      this.count--;
      this.noteDrop();
    } else {
      this.inBurst = false;
      if (this.count === this.ring.length) this.grow();
    }
    this.ring[(this.head + this.count) & this.mask] = event;
    this.count++;
    this.received++;
    if (this.waiter !== undefined && !this.deliveryScheduled) {
      // Deliver on a microtask so a synchronous burst of emits becomes one batch.
      this.deliveryScheduled = true;
      queueMicrotask(this.deliver);
    }
  }

  /** Doubles the ring, its events moved to the front in order. */
  private grow(): void {
    const ring = emptySlots(this.ring.length * 2);
    for (let i = 0; i < this.count; i++) ring[i] = this.ring[(this.head + i) & this.mask];
    this.ring = ring;
    this.mask = ring.length - 1;
    this.head = 0;
  }

  /** Back to an empty ring of the initial size, dropping the references it held. */
  private resetRing(): void {
    this.ring = emptySlots(INITIAL_CAPACITY);
    this.mask = INITIAL_CAPACITY - 1;
    this.head = 0;
    this.count = 0;
  }

  private noteDrop(): void {
    if (this.inBurst) return;
    this.inBurst = true;
    if (this.onDrop === undefined) return;
    try {
      this.onDrop(this.stats());
    } catch {
      // A drop callback must not break the publisher.
    }
  }

  private readonly deliver = (): void => {
    this.deliveryScheduled = false;
    const resolve = this.waiter;
    if (resolve === undefined) return;
    if (this.pending > 0) {
      this.waiter = undefined;
      resolve({ value: this.takeBatch(), done: false });
    } else if (this.closed || this.ending) {
      this.waiter = undefined;
      this.finish();
      resolve({ value: undefined, done: true });
    }
  };

  private takeBatch(): FleetEvent[] {
    if (this.count > this.peak) this.peak = this.count;
    const n = Math.min(this.count, this.maxBatchSize);
    const start = this.head;
    const end = start + n;
    const ring = this.ring;
    // One slice when the batch does not wrap around the ring's end, two when it does.
    const wrapped = end - ring.length;
    let batch: (FleetEvent | undefined)[];
    if (wrapped <= 0) {
      batch = ring.slice(start, end);
      ring.fill(undefined, start, end);
    } else {
      batch = ring.slice(start).concat(ring.slice(0, wrapped));
      ring.fill(undefined, start);
      ring.fill(undefined, 0, wrapped);
    }
    this.head = end & this.mask;
    this.count -= n;
    this.delivered += n;
    if (this.count === 0) {
      // Drained: a large ring that this round barely used goes back to its initial size.
      if (ring.length > KEEP_CAPACITY && this.peak * 4 <= ring.length) this.resetRing();
      else this.head = 0;
      this.peak = 0;
    }
    return batch as FleetEvent[];
  }

  next(): Promise<IteratorResult<readonly FleetEvent[]>> {
    if (this.pending > 0 && !this.closed) return Promise.resolve({ value: this.takeBatch(), done: false });
    if (this.closed || this.ending) {
      this.finish();
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter !== undefined) {
      return Promise.reject(new Error('[fleetscope] a subscription has one consumer; it is already being read'));
    }
    // The consumer has read everything and waits: whoever waited for that can go on.
    this.notifyIdle();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Ends the subscription when the consumer leaves a `for await` loop early. */
  return(): Promise<IteratorResult<readonly FleetEvent[]>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** Ends now: buffered events are discarded (counted in `discarded`), the consumer gets `done`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ending = true;
    this.discarded += this.pending;
    this.resetRing();
    this.finish();
    const resolve = this.waiter;
    this.waiter = undefined;
    resolve?.({ value: undefined, done: true });
  }

  /** Stops accepting events; the consumer reads what is buffered and then ends. */
  end(): void {
    if (this.ending) return;
    this.ending = true;
    this.detach();
    if (this.waiter !== undefined && !this.deliveryScheduled) {
      this.deliveryScheduled = true;
      queueMicrotask(this.deliver);
    }
  }

  /**
   * Resolves once the consumer has read everything buffered and asked for more (or the
   * subscription ended). Used by `flush()` to know a consumer has caught up.
   */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.closed || (this.pending === 0 && (this.waiter !== undefined || this.ending));
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private finish(): void {
    this.closed = true;
    this.detach();
    if (this.abortListener !== undefined) this.signal?.removeEventListener('abort', this.abortListener);
    this.notifyIdle();
  }

  stats(): SubscriptionStats {
    return {
      name: this.name,
      received: this.received,
      delivered: this.delivered,
      dropped: this.dropped,
      discarded: this.discarded,
      pending: this.pending,
      highWaterMark: this.highWaterMark,
      overflow: this.overflow,
      closed: this.closed,
    };
  }
}
