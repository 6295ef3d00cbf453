/**
 * The event bus: typed publish/subscribe on eventemitter3. It fans out and never waits:
 * synchronous listeners run inline (each isolated), subscriptions only buffer.
 */
import { EventEmitter } from 'eventemitter3';
import type { BuiltinEventType, EventOf, FleetEvent } from './events.js';
import { compilePredicate, normalizeFilter, type EventFilter } from './filter.js';
import { Subscription, type SubscribeOptions } from './subscription.js';

/** The channel every event is also published on. */
const ALL = '*';

export type Listener<E extends FleetEvent = FleetEvent> = (event: E) => void;

export interface EventBusOptions {
  /** Called when a synchronous listener throws; the listener stays registered. */
  onListenerError?: (error: unknown) => void;
}

export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly subscriptions = new Set<Subscription>();
  private readonly onListenerError: (error: unknown) => void;
  private ended = false;

  constructor(options: EventBusOptions = {}) {
    this.onListenerError = options.onListenerError ?? (() => {});
  }

  /** Delivers one validated event to every matching listener and subscription. */
  publish(event: FleetEvent): void {
    const emitter = this.emitter;
    emitter.emit(event.type, event);
    emitter.emit(ALL, event);
  }

  /**
   * Calls `listener` synchronously for each event of `type` (or `'*'` for all). A throwing
   * listener is reported and kept. Returns a function that removes it.
   */
  on<T extends BuiltinEventType>(type: T, listener: Listener<EventOf<T>>): () => void;
  on(type: string, listener: Listener): () => void;
  on(type: string, listener: Listener<never>): () => void {
    // A type that is not a string or a listener that is not a function listens to nothing.
    if (typeof type !== 'string' || typeof listener !== 'function' || this.ended) return () => {};
    const call = listener as Listener;
    const guarded: Listener = (event) => {
      try {
        call(event);
      } catch (error) {
        this.onListenerError(error);
      }
    };
    this.emitter.on(type, guarded);
    return () => {
      this.emitter.off(type, guarded);
    };
  }

  /**
   * Opens a bounded, batch-reading subscription. See `SubscribeOptions` for the buffer size
   * and overflow policy; the bus never waits for a subscriber.
   */
  subscribe(given: EventFilter = {}, options: SubscribeOptions = {}): Subscription {
    options ??= {};
    const filter = normalizeFilter(given);
    if (this.ended) {
      // After the observer closed: a subscription that ends at once.
      const subscription = new Subscription(options, () => {});
      subscription.end();
      return subscription;
    }
    const channels = filter.types !== undefined ? [...new Set(filter.types)] : [ALL];
    const predicate = compilePredicate(filter);
    let attached = true;
    const subscription: Subscription = new Subscription(options, () => {
      if (!attached) return;
      attached = false;
      for (const channel of channels) this.emitter.off(channel, listener);
      this.subscriptions.delete(subscription);
    });
    const listener: Listener =
      predicate === undefined
        ? (event) => subscription.push(event)
        : (event) => {
            if (predicate(event)) subscription.push(event);
          };
    for (const channel of channels) this.emitter.on(channel, listener);
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Ends every subscription (each consumer reads what is buffered, then its loop ends) and
   * removes every listener; later `subscribe` calls get an ended subscription, `on` a no-op.
   */
  endAll(): void {
    this.ended = true;
    for (const subscription of [...this.subscriptions]) subscription.end();
    this.emitter.removeAllListeners();
  }

  /** Whether anybody listens for `type` (directly or through `'*'`). */
  hasListeners(type: string): boolean {
    return this.emitter.listenerCount(type) > 0 || this.emitter.listenerCount(ALL) > 0;
  }

  /** Open subscriptions, for stats. */
  activeSubscriptions(): readonly Subscription[] {
    return [...this.subscriptions];
  }
}
