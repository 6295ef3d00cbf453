/**
 * Property-based tests of the public entry points (issue 14): `emit` / `emitMany` with arbitrary
 * values and attacking objects, `query`, `subscribe` and `on` with arbitrary filters and
 * options. Properties: never throws, counts add up, nothing accepted is lost, what is accepted is
 * plain JSON data within the payload limit, no prototype pollution. Fixed seeds; more runs with
 * `FLEETSCOPE_FUZZ_RUNS` (see test/support/fuzz.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_EVENT_TYPES, createCoreObserver, createObserver, type EventInput, type FleetEvent } from '../../src/index.js';
import { memoryStorage } from '../../src/storage/memory.js';
import { attackingValue, fuzz, fuzzTimeout, hostileKey, jsonValue } from '../support/fuzz.js';

const quiet = () => {};
const LIMITS = { maxPayloadBytes: 4096, maxStringLength: 512, maxDepth: 8 };
/** What a kept payload may exceed the budget by: the truncation markers. */
const SLACK = 512;

const eventType = fc.oneof(fc.constantFrom(...BUILTIN_EVENT_TYPES), fc.constantFrom('myapp.x', 'a.b-c', 'bad type', '', 'tool.nope'), fc.string({ maxLength: 10 }));
const id = fc.oneof(fc.constantFrom('s1', 'agent-1', '__proto__', 'constructor', ''), fc.string({ maxLength: 20 }));
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

/** A payload shaped like the built-in schemas often enough to be accepted, attacked the rest of the time. */
const payload = fc.oneof(
  fc.record(
    {
      toolName: fc.oneof(fc.string({ maxLength: 8 }), fc.constant('__proto__')),
      status: fc.constantFrom('success', 'error', 'blocked', 'cancelled'),
      durationMs: fc.oneof(fc.nat(), fc.double(), fc.constant(-1)),
      name: fc.string({ maxLength: 8 }),
      value: fc.oneof(fc.integer(), fc.double()),
      model: fc.string({ maxLength: 8 }),
      role: fc.constantFrom('user', 'assistant'),
      message: fc.string({ maxLength: 8 }),
      input: jsonValue,
      extra: attackingValue(),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(hostileKey, fc.oneof(jsonValue, attackingValue()), { maxKeys: 6 }),
  attackingValue(),
  fc.string({ maxLength: 100_000, minLength: 5000 }).map((text) => ({ name: 'big', value: 1, text })),
);

const rawEvent: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.record(
    {
      type: eventType,
      payload,
      sessionId: id,
      agentId: id,
      source: id,
      timestamp: fc.oneof(fc.nat(), fc.double(), fc.constant(-5)),
      severity: fc.constantFrom('debug', 'info', 'warning', 'error', 'critical', 'loud'),
      traceId: hex(32),
      spanId: fc.oneof(hex(16), fc.string({ maxLength: 4 })),
      tags: fc.oneof(fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 }), attackingValue()),
      attributes: fc.oneof(fc.dictionary(hostileKey, jsonValue, { maxKeys: 4 }), attackingValue()),
      truncated: fc.boolean(),
      bogus: fc.constant(1),
    },
    { requiredKeys: ['type'] },
  ) },
  { weight: 1, arbitrary: attackingValue() },
);

/** The checks every accepted event must pass. */
function checkAccepted(event: FleetEvent): void {
  // Plain JSON data: serializes, and reads back equal (no getter, no class, no cycle).
  const text = JSON.stringify(event);
  expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(JSON.parse(text))));
  expect(Object.getPrototypeOf(event.payload)).toBe(Object.prototype);
  expect(JSON.stringify(event.payload).length).toBeLessThanOrEqual(LIMITS.maxPayloadBytes + SLACK);
  if (event.attributes !== undefined) expect(JSON.stringify(event.attributes).length).toBeLessThanOrEqual(LIMITS.maxPayloadBytes + SLACK);
  // Serializing twice gives the same text: nothing in it changes on a later read.
  expect(JSON.stringify(event)).toBe(text);
}

function noPollution(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
}

describe('properties of emit and emitMany', () => {
  it('emit never throws; counts add up; what is accepted is bounded plain data', () => {
    const observer = createCoreObserver({ onError: quiet, limits: LIMITS });
    fc.assert(
      fc.property(rawEvent, (raw) => {
        const before = observer.stats().events;
        let event: FleetEvent | undefined;
        expect(() => (event = observer.emit(raw as never))).not.toThrow();
        const after = observer.stats().events;
        expect(after.emitted).toBe(before.emitted + 1);
        expect(after.accepted + after.invalid + after.afterClose).toBe(after.emitted);
        expect(after.accepted - before.accepted).toBe(event === undefined ? 0 : 1);
        if (event !== undefined) checkAccepted(event);
        noPollution();
      }),
      fuzz(3000, 1401),
    );
  }, fuzzTimeout(60_000));

  it('emitMany never throws; returns what it accepted; counts add up', () => {
    const observer = createCoreObserver({ onError: quiet, limits: LIMITS });
    const iterable = fc.oneof(
      fc.array(rawEvent, { maxLength: 6 }),
      fc.array(rawEvent, { maxLength: 6 }).map((events) => new Set(events)),
      fc.array(rawEvent, { maxLength: 4 }).map((events) => (function* () {
        yield* events;
        throw new Error('iterator');
      })()),
      attackingValue(),
    );
    fc.assert(
      fc.property(iterable, (events) => {
        const before = observer.stats().events;
        let accepted = 0;
        expect(() => (accepted = observer.emitMany(events as Iterable<EventInput>))).not.toThrow();
        const after = observer.stats().events;
        expect(after.accepted - before.accepted).toBe(accepted);
        expect(after.accepted + after.invalid + after.afterClose).toBe(after.emitted);
        noPollution();
      }),
      fuzz(1500, 1402),
    );
  }, fuzzTimeout(60_000));

  it('nothing accepted is lost: storage returns exactly the accepted events, JSON-equal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rawEvent, { minLength: 1, maxLength: 30 }), async (raws) => {
        const observer = createObserver({ storage: memoryStorage({ capacity: 1000, maxAgeMs: Infinity }), analyzers: [], onError: quiet, limits: LIMITS });
        const accepted: FleetEvent[] = [];
        for (const raw of raws) {
          const event = observer.emit(raw as never);
          if (event !== undefined) accepted.push(JSON.parse(JSON.stringify(event)) as FleetEvent);
        }
        // The observer's own plugin.error events are not the host's.
        const page = await observer.query({ limit: 10_000 });
        const stored = page.events.filter((e) => e.source !== 'fleetscope').map((e) => JSON.parse(JSON.stringify(e)) as FleetEvent);
        expect(stored).toEqual(accepted);
        await observer.close();
      }),
      fuzz(300, 1403),
    );
  }, fuzzTimeout(60_000));
});

describe('bounded work per call, counted (not timed: speed is in bench/hostile-payloads.bench.ts)', () => {
  /** A large array or object behind a Proxy counting the reads of its fields and the listings of its keys. */
  const largeValue = fc
    .record({
      kind: fc.constantFrom('array', 'holes', 'object'),
      size: fc.integer({ min: 0, max: 20_000 }),
      item: fc.oneof(fc.integer(), fc.string({ maxLength: 40 }), fc.constant(undefined), fc.constant(() => 1), fc.constant({ a: [1, 2] }), fc.constant(10n)),
      where: fc.constantFrom('myapp.x', 'tool.end'),
    })
    .map(({ kind, size, item, where }) => {
      let target: object;
      if (kind === 'object') {
        const record: Record<string, unknown> = {};
        for (let i = 0; i < size; i++) record[`k${i}`] = item;
        target = record;
      } else {
        target = kind === 'holes' ? new Array(size) : new Array(size).fill(item);
      }
      const count = { reads: 0, listings: 0 };
      const value = new Proxy(target, {
        get: (t, k, r) => (count.reads++, Reflect.get(t, k, r)),
        ownKeys: (t) => (count.listings++, Reflect.ownKeys(t)),
      });
      // Named by its shape in a failure report (the value itself is up to 20,000 entries).
      return { value, count, where, [fc.toStringMethod]: () => `${where}: ${kind} of ${size} × ${typeof item}` };
    });

  it('emit reads at most about twice the budget of fields and lists an object\'s keys at most once', () => {
    const observer = createCoreObserver({ onError: quiet, limits: LIMITS });
    fc.assert(
      fc.property(largeValue, ({ value, count, where }) => {
        const payload = where === 'tool.end' ? { toolName: 't', status: 'success', durationMs: 1, output: value } : { value };
        const event = observer.emit({ type: where, payload } as EventInput);
        // The copy reads until the budget is spent (an undefined element costs only its comma), the repair
        // reads again at most one field per 4 bytes: whatever the size, never more than this.
        expect(count.reads).toBeLessThanOrEqual(2 * LIMITS.maxPayloadBytes + 16);
        expect(count.listings).toBeLessThanOrEqual(1);
        if (event === undefined) return;
        // Plain data, bounded: the budget counts a number as 8 bytes (what it holds in memory), while JSON
        // may print one in up to 24 characters (-1.2345678901234567e-300), hence the 3x on the text.
        const text = JSON.stringify(event.payload);
        expect(JSON.stringify(JSON.parse(text))).toBe(text);
        expect(text.length).toBeLessThanOrEqual(3 * LIMITS.maxPayloadBytes + SLACK);
      }),
      fuzz(300, 1408),
    );
  }, fuzzTimeout(60_000));
});

describe('properties of the read side', () => {
  const filterArb = fc.oneof(
    fc.record(
      {
        types: fc.oneof(fc.array(fc.oneof(eventType, attackingValue()), { maxLength: 3 }), attackingValue(), eventType),
        sessionId: fc.oneof(id, attackingValue()),
        agentId: fc.oneof(id, attackingValue()),
        workflowId: fc.oneof(id, attackingValue()),
        minSeverity: fc.oneof(fc.constantFrom('debug', 'info', 'warning', 'error', 'critical', '__proto__', 'toString'), attackingValue()),
        excludeSources: fc.oneof(fc.array(fc.oneof(id, attackingValue()), { maxLength: 3 }), attackingValue()),
        where: fc.oneof(fc.constant(() => true), fc.constant(() => { throw new Error('where'); }), attackingValue()),
      },
      { requiredKeys: [] },
    ),
    attackingValue(),
  );
  const optionsArb = fc.oneof(
    fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 5 }), attackingValue()),
        highWaterMark: fc.oneof(fc.integer({ min: -5, max: 50 }), attackingValue()),
        maxBatchSize: fc.oneof(fc.integer({ min: -5, max: 50 }), attackingValue()),
        overflow: fc.oneof(fc.constantFrom('drop-oldest', 'drop-newest', 'x'), attackingValue()),
        signal: fc.oneof(fc.constant(AbortSignal.abort()), fc.constant(new AbortController().signal), fc.constant({ aborted: true }), attackingValue()),
        onDrop: fc.oneof(fc.constant(() => { throw new Error('drop'); }), attackingValue()),
      },
      { requiredKeys: [] },
    ),
    attackingValue(),
  );

  it('subscribe and on never throw (now or from a microtask); subscriptions stay bounded; close ends them', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    try {
      await fc.assert(
        fc.asyncProperty(filterArb, optionsArb, fc.oneof(eventType, attackingValue()), fc.oneof(fc.constant(() => { throw new Error('l'); }), attackingValue()), async (filter, options, type, listener) => {
          const observer = createCoreObserver({ onError: quiet });
          let sub: ReturnType<typeof observer.subscribe> | undefined;
          expect(() => (sub = observer.subscribe(filter as never, options as never))).not.toThrow();
          expect(() => observer.on(type as string, listener as never)).not.toThrow();
          for (let i = 0; i < 60; i++) observer.emit({ type: 'metric', payload: { name: 'm', value: i } });
          const stats = sub!.stats();
          expect(stats.pending).toBeLessThanOrEqual(stats.highWaterMark);
          expect(stats.received).toBeLessThanOrEqual(60);
          const reading = (async () => {
            for await (const batch of sub!) expect(batch.length).toBeLessThanOrEqual(sub!.maxBatchSize);
            return 'ended';
          })();
          await observer.close();
          await expect(Promise.race([reading, new Promise((r) => setTimeout(() => r('hung'), 500))])).resolves.toBe('ended');
        }),
        fuzz(400, 1404),
      );
      await new Promise((r) => setTimeout(r, 10));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    }
  }, fuzzTimeout(60_000));

  it('query never rejects and gives a page of stored events', async () => {
    const observer = createObserver({ analyzers: [], onError: quiet });
    for (let i = 0; i < 50; i++) observer.emit({ type: 'metric', sessionId: i % 2 === 0 ? 's1' : '__proto__', payload: { name: 'm', value: i } });
    const queryArb = fc.oneof(
      fc.record(
        {
          sessionId: fc.oneof(id, attackingValue()),
          agentId: fc.oneof(id, attackingValue()),
          types: fc.oneof(fc.array(fc.oneof(eventType, attackingValue()), { maxLength: 3 }), attackingValue()),
          from: fc.oneof(fc.double(), attackingValue()),
          to: fc.oneof(fc.double(), attackingValue()),
          limit: fc.oneof(fc.integer({ min: -10, max: 20_000 }), fc.double(), attackingValue()),
          cursor: fc.oneof(fc.string({ maxLength: 10 }), attackingValue()),
          order: fc.oneof(fc.constantFrom('asc', 'desc', 'x'), attackingValue()),
        },
        { requiredKeys: [] },
      ),
      attackingValue(),
    );
    await fc.assert(
      fc.asyncProperty(queryArb, async (query) => {
        const page = await observer.query(query as never);
        expect(Array.isArray(page.events)).toBe(true);
        expect(page.events.length).toBeLessThanOrEqual(10_000);
      }),
      fuzz(1500, 1405),
    );
    await observer.close();
  }, fuzzTimeout(60_000));
});
