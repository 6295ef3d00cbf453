import { describe, expect, it } from 'vitest';
import { EventBus, validateEvent, type FleetEvent } from '../../src/core/index.js';

const defaults = { source: 'test', sessionId: 's', agentId: 'a' };
let n = 0;
function metric(value: number, extra: Record<string, unknown> = {}): FleetEvent {
  const result = validateEvent({ type: 'metric', payload: { name: 'm', value }, ...extra }, { defaults });
  if (!result.ok) throw new Error(result.reason);
  n++;
  return result.event;
}
const values = (batches: readonly (readonly FleetEvent[])[]) =>
  batches.flat().map((e) => (e.payload as { value: number }).value);

async function readAll(iterable: AsyncIterable<readonly FleetEvent[]>): Promise<FleetEvent[][]> {
  const out: FleetEvent[][] = [];
  for await (const batch of iterable) out.push([...batch]);
  return out;
}

describe('EventBus subscriptions', () => {
  it('delivers a synchronous burst as batches of at most maxBatchSize, in order', async () => {
    const bus = new EventBus();
    const sub = bus.subscribe({}, { maxBatchSize: 4 });
    for (let i = 0; i < 10; i++) bus.publish(metric(i));
    sub.end();
    const batches = await readAll(sub);
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(values(batches)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('drop-oldest keeps the newest highWaterMark events and counts the rest', async () => {
    const bus = new EventBus();
    const sub = bus.subscribe({}, { highWaterMark: 3, overflow: 'drop-oldest' });
    for (let i = 0; i < 10; i++) bus.publish(metric(i));
    expect(sub.stats()).toMatchObject({ dropped: 7, pending: 3, received: 10 });
    sub.end();
    expect(values(await readAll(sub))).toEqual([7, 8, 9]);
  });

  it('drop-newest keeps the first highWaterMark events and counts the rest', async () => {
    const bus = new EventBus();
    const sub = bus.subscribe({}, { highWaterMark: 3, overflow: 'drop-newest' });
    for (let i = 0; i < 10; i++) bus.publish(metric(i));
    expect(sub.stats()).toMatchObject({ dropped: 7, pending: 3, received: 3 });
    sub.end();
    expect(values(await readAll(sub))).toEqual([0, 1, 2]);
  });

  it('reports each burst of drops once through onDrop', () => {
    const bus = new EventBus();
    const seen: number[] = [];
    const sub = bus.subscribe({}, { highWaterMark: 2, overflow: 'drop-newest', onDrop: (s) => seen.push(s.dropped) });
    for (let i = 0; i < 5; i++) bus.publish(metric(i)); // burst 1: drops 3
    sub.close();
    expect(seen).toEqual([1]);
  });

  it('a stalled subscriber slows nobody: the other subscriber reads everything', async () => {
    const bus = new EventBus();
    const stalled = bus.subscribe({}, { highWaterMark: 5 });
    const live = bus.subscribe({}, { highWaterMark: 1000 });
    const reading = readAll(live);
    for (let i = 0; i < 100; i++) bus.publish(metric(i));
    live.end();
    expect(values(await reading)).toHaveLength(100);
    expect(stalled.stats()).toMatchObject({ pending: 5, dropped: 95 });
  });

  it('routes by type and filters by the other criteria', async () => {
    const bus = new EventBus();
    const sub = bus.subscribe({ types: ['metric'], sessionId: 's2', minSeverity: 'warning' });
    bus.publish(metric(1, { sessionId: 's2', severity: 'error' }));
    bus.publish(metric(2, { sessionId: 's1', severity: 'error' }));
    bus.publish(metric(3, { sessionId: 's2', severity: 'info' }));
    const log = validateEvent({ type: 'log', payload: { message: 'x' }, sessionId: 's2', severity: 'error' }, { defaults });
    if (log.ok) bus.publish(log.event);
    sub.end();
    expect(values(await readAll(sub))).toEqual([1]);
  });

  it('an AbortSignal ends the stream at once and discards what is buffered', async () => {
    const bus = new EventBus();
    const controller = new AbortController();
    const sub = bus.subscribe({}, { signal: controller.signal });
    const reading = readAll(sub);
    bus.publish(metric(1));
    await new Promise((r) => setTimeout(r, 0));
    bus.publish(metric(2));
    controller.abort();
    bus.publish(metric(3));
    expect(values(await reading)).toEqual([1]);
    expect(sub.stats()).toMatchObject({ closed: true, discarded: 1 });
  });

  it('Symbol.asyncDispose and breaking out of for-await detach the subscription', async () => {
    const bus = new EventBus();
    {
      await using sub = bus.subscribe();
      bus.publish(metric(1));
      expect(bus.activeSubscriptions()).toHaveLength(1);
      void sub;
    }
    expect(bus.activeSubscriptions()).toHaveLength(0);
    const sub = bus.subscribe();
    bus.publish(metric(1));
    for await (const batch of sub) {
      expect(batch).toHaveLength(1);
      break;
    }
    expect(bus.activeSubscriptions()).toHaveLength(0);
    expect(bus.hasListeners('metric')).toBe(false);
  });

  it('a second concurrent reader is refused', async () => {
    const bus = new EventBus();
    const sub = bus.subscribe();
    const first = sub.next();
    await expect(sub.next()).rejects.toThrow(/one consumer/);
    sub.close();
    await expect(first).resolves.toEqual({ value: undefined, done: true });
  });

  it('keeps memory bounded when nobody reads (drop-oldest compacts its buffer)', () => {
    const bus = new EventBus();
    const sub = bus.subscribe({}, { highWaterMark: 100 });
    const event = metric(1);
    for (let i = 0; i < 200_000; i++) bus.publish(event);
    expect(sub.stats()).toMatchObject({ pending: 100, dropped: 199_900 });
    // The internal ring never grows past what the high-water mark needs (its initial 1024 slots here).
    expect((sub as unknown as { ring: unknown[] }).ring.length).toBe(1024);
  });

  it('keeps order when the buffer wraps around and when it grows, and shrinks back once drained', async () => {
    const bus = new EventBus();
    const sub = bus.subscribe({}, { maxBatchSize: 300, highWaterMark: 30_000 });
    const ringSize = () => (sub as unknown as { ring: unknown[] }).ring.length;
    const read = async (batches: number) => {
      const out: number[] = [];
      for (let i = 0; i < batches; i++) {
        const next = await sub.next();
        if (next.done) break;
        out.push(...next.value.map((e) => (e.payload as { value: number }).value));
      }
      return out;
    };
    for (let i = 0; i < 900; i++) bus.publish(metric(i));
    expect(await read(1)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    // 600 buffered from slot 300; 400 more wrap past the end of the 1024-slot ring.
    for (let i = 900; i < 1300; i++) bus.publish(metric(i));
    expect(ringSize()).toBe(1024);
    expect(await read(4)).toEqual(Array.from({ length: 1000 }, (_, i) => 300 + i));
    // A burst of 50,000 into a high-water mark of 30,000: the ring grows to 32,768 slots and
    // drop-oldest keeps 20,000..49,999. Drained, the ring is kept while rounds fill it ...
    for (let i = 0; i < 50_000; i++) bus.publish(metric(i));
    expect(ringSize()).toBe(32_768);
    expect(sub.stats()).toMatchObject({ pending: 30_000, dropped: 20_000 });
    expect(await read(100)).toEqual(Array.from({ length: 30_000 }, (_, i) => 20_000 + i));
    expect(ringSize()).toBe(32_768);
    // ... and shrinks back to 1024 slots after a round that used less than a quarter of it.
    for (let i = 0; i < 500; i++) bus.publish(metric(i));
    expect(await read(2)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(ringSize()).toBe(1024);
    sub.close();
  });

  it('isolates a throwing synchronous listener', () => {
    const errors: unknown[] = [];
    const bus = new EventBus({ onListenerError: (e) => errors.push(e) });
    const seen: number[] = [];
    bus.on('metric', () => {
      throw new Error('listener bug');
    });
    bus.on('metric', (e) => seen.push(e.payload.value));
    bus.publish(metric(7));
    expect(seen).toEqual([7]);
    expect(errors).toHaveLength(1);
  });

  it('whenIdle resolves once the consumer has read everything and waits for more', async () => {
    const bus = new EventBus();
    const sub = bus.subscribe();
    let processed = 0;
    const consumer = (async () => {
      for await (const batch of sub) {
        await new Promise((r) => setTimeout(r, 5));
        processed += batch.length;
      }
    })();
    for (let i = 0; i < 50; i++) bus.publish(metric(i));
    await sub.whenIdle();
    expect(processed).toBe(50);
    sub.end();
    await consumer;
    expect(n).toBeGreaterThan(0);
  });
});

describe('EventBus delivery order and changes during a publish', () => {
  it('calls the type channel then `*`, each in registration order, listeners and subscriptions alike', async () => {
    const bus = new EventBus();
    const calls: string[] = [];
    bus.on('*', () => void calls.push('all-1'));
    bus.on('metric', () => void calls.push('metric-1'));
    const sub = bus.subscribe({ types: ['metric'], excludeSources: ['other'] });
    bus.on('metric', () => void calls.push(`metric-2 (subscription holds ${sub.pending})`));
    bus.on('*', () => void calls.push('all-2'));
    bus.publish(metric(1));
    expect(calls).toEqual(['metric-1', 'metric-2 (subscription holds 1)', 'all-1', 'all-2']);
    sub.end();
  });

  it('delivers to the receivers registered when the publish began: a removed one still gets it, an added one does not (but `*` is read after the type)', () => {
    const bus = new EventBus();
    const calls: string[] = [];
    let offSecond = () => {};
    bus.on('metric', () => {
      calls.push('first');
      offSecond();
      bus.on('metric', () => void calls.push('added to metric'));
      bus.on('*', () => void calls.push('added to *'));
    });
    offSecond = bus.on('metric', () => void calls.push('second'));
    bus.publish(metric(1));
    expect(calls).toEqual(['first', 'second', 'added to *']);
    calls.length = 0;
    bus.publish(metric(2));
    // `second` is gone; the first listener adds two more each time.
    expect(calls).toEqual(['first', 'added to metric', 'added to *', 'added to *']);
  });

  it('leaves out of a subscription the events of its excluded source, and only those', async () => {
    const bus = new EventBus();
    const sub = bus.subscribe({ excludeSources: ['analyzer:x'] });
    bus.publish(metric(1, { source: 'analyzer:x' }));
    bus.publish(metric(2, { source: 'host' }));
    bus.publish(metric(3, { source: 'analyzer:y' }));
    sub.end();
    expect(values(await readAll(sub))).toEqual([2, 3]);
    expect(bus.hasListeners('metric')).toBe(false);
  });
});
