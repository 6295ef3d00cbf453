import { describe, expect, it } from 'vitest';
import {
  createCoreObserver,
  defineAnalyzer,
  memoryStorage,
  type Analyzer,
  type Exporter,
  type FleetEvent,
  type FleetscopeError,
  type Runner,
} from '../../src/index.js';
import { recordingExporter } from '../support/recording-exporter.js';

const quiet = () => {};

const collectingExporter = (name = 'collect') => recordingExporter(name);

describe('Observer: emit and bad input', () => {
  it('counts every bad input with its reason and never throws', async () => {
    const observer = createCoreObserver({ onError: quiet });
    const circular: Record<string, unknown> = {};
    circular.me = circular;
    const inputs: unknown[] = [
      null,
      'x',
      42,
      undefined,
      { type: 'tool.end', payload: { toolName: 1, status: 'success' } },
      { type: 'nonamespace', payload: {} },
      { type: 'metric', payload: { name: 'm', value: 1 }, timestamp: Number.NaN },
      { type: 'metric', payload: { name: 'm', value: 1 }, timestamp: -1 },
      { type: 'metric', payload: { name: 'm', value: 1 }, spanId: 'nothex' },
    ];
    // Invalid on purpose: the types reject these, JavaScript callers and JSON.parse output do not.
    for (const input of inputs) expect(() => observer.emit(input as never)).not.toThrow();
    // Circular and oversized payloads are kept, repaired, and counted as sanitized.
    expect(observer.emit({ type: 'log', payload: { message: 'c', fields: circular } })).toBeDefined();
    expect(observer.emit({ type: 'log', payload: { message: 'x'.repeat(10 * 1024 * 1024) } })?.truncated).toBe(true);

    const stats = observer.stats();
    expect(stats.events).toEqual({ emitted: 11, accepted: 2, invalid: 9, sanitized: 2, afterClose: 0, duplicates: 0 });
    expect(stats.sanitized).toEqual({ circular: 1, truncated: 1 });
    expect(stats.invalidReasons['event: must be an object (got null)']).toBe(1);
    expect(stats.invalidReasons['event: must be an object (got a number)']).toBe(1);
    expect(stats.invalidReasons['spanId: must be 16 lowercase hex characters, not all zero']).toBe(1);
    expect(Object.values(stats.invalidReasons).reduce((a, b) => a + b, 0)).toBe(9);
    await observer.close();
  });

  it('bounds the number of distinct reasons it keeps', () => {
    const observer = createCoreObserver({ onError: quiet });
    for (let i = 0; i < 150; i++) observer.emitMany([{ type: 'metric', payload: { name: 'm', value: 1 }, [`field${i}`]: 1 }]);
    // All share one reason ("unknown field"), so one key.
    expect(Object.keys(observer.stats().invalidReasons)).toHaveLength(1);
  });

  it('counts emits after close instead of throwing', async () => {
    const observer = createCoreObserver({ onError: quiet });
    await observer.close();
    expect(observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } })).toBeUndefined();
    // Counted apart from invalid events (issue 14, point 14).
    expect(observer.stats().events).toMatchObject({ emitted: 1, invalid: 0, afterClose: 1 });
  });

  it('throws at construction for invalid options only', () => {
    expect(() => createCoreObserver({ analyzers: 'x' as never })).toThrow(/analyzers must be an array/);
    expect(() => createCoreObserver({ flushTimeoutMs: -1 })).toThrow(/flushTimeoutMs/);
    const a = defineAnalyzer({ name: 'a', dependsOn: ['b'], snapshot: () => 1 });
    const b = defineAnalyzer({ name: 'b', dependsOn: ['a'], snapshot: () => 1 });
    expect(() => createCoreObserver({ analyzers: [a, b] })).toThrow(/dependency cycle: a -> b -> a/);
    expect(() => createCoreObserver({ analyzers: [a] })).toThrow(/depends on "b", which is not registered/);
    expect(() => createCoreObserver({ eventIdPrefix: 'has space' })).toThrow(/eventIdPrefix/);
  });

  it('eventIdPrefix: events emitted without an id are numbered after it, the same in every observer', async () => {
    const ids = async () => {
      const observer = createCoreObserver({ eventIdPrefix: 'replay' });
      const out = [1, 2, 3].map((n) => observer.emit({ type: 'metric', payload: { name: 'm', value: n } })!.id);
      // An id given by the input is kept, and does not use up a number.
      out.push(observer.emit({ id: 'own', type: 'metric', payload: { name: 'm', value: 4 } })!.id);
      out.push(observer.emit({ type: 'metric', payload: { name: 'm', value: 5 } })!.id);
      await observer.close();
      return out;
    };
    expect(await ids()).toEqual(['replay1', 'replay2', 'replay3', 'own', 'replay4']);
    expect(await ids()).toEqual(await ids());
  });
});

describe('Observer: plugin isolation', () => {
  it('a throwing analyzer is isolated; the others and the host go on', async () => {
    const errors: FleetscopeError[] = [];
    let good = 0;
    const broken: Analyzer = {
      name: 'broken',
      async consume(stream) {
        for await (const _ of stream) throw new Error('analyzer bug');
      },
      snapshot: () => {
        throw new Error('snapshot bug');
      },
    };
    const counter = defineAnalyzer({ name: 'counter', onEvent: () => void good++, snapshot: () => ({ good }) });
    const observer = createCoreObserver({ analyzers: [broken, counter], onError: (e) => errors.push(e) });
    const pluginErrors = observer.subscribe({ types: ['plugin.error'] });
    for (let i = 0; i < 5; i++) observer.emit({ type: 'metric', payload: { name: 'm', value: i } });
    await observer.flush();

    expect(good).toBeGreaterThanOrEqual(5);
    const snapshot = observer.snapshot();
    expect(snapshot.counter).toEqual({ good });
    expect(snapshot.broken).toEqual({ error: 'snapshot bug' });
    const stats = observer.stats();
    expect(stats.plugins.broken).toMatchObject({ kind: 'analyzer', state: 'failed', errors: 2 });
    expect(errors.map((e) => e.operation).sort()).toEqual(['consume', 'snapshot']);
    expect(errors[0]!.message).toMatch(/^\[fleetscope\] \[analyzer:broken\]/);
    pluginErrors.end();
    const reported: FleetEvent[] = [];
    for await (const batch of pluginErrors) reported.push(...batch);
    expect(reported.map((e) => e.payload)).toContainEqual({
      plugin: 'broken',
      kind: 'analyzer',
      operation: 'consume',
      message: 'analyzer bug',
    });
    await observer.close();
  });

  it('a failing, throwing or hanging exporter costs a counter, not the others', async () => {
    const good = collectingExporter('good');
    const rejecting: Exporter = { name: 'rejecting', export: async () => ({ code: 'failed', error: new Error('503') }), shutdown: async () => {} };
    const throwing: Exporter = {
      name: 'throwing',
      export: () => {
        throw new Error('sync throw');
      },
      shutdown: async () => {
        throw new Error('shutdown throw');
      },
    };
    const hanging: Exporter = { name: 'hanging', export: () => new Promise(() => {}), shutdown: async () => {} };
    const observer = createCoreObserver({
      exporters: [good, rejecting, throwing, hanging],
      exportTimeoutMs: 50,
      flushTimeoutMs: 500,
      onError: quiet,
    });
    for (let i = 0; i < 3; i++) observer.emit({ type: 'metric', payload: { name: 'm', value: i } });
    await observer.close();
    expect(good.events.filter((e) => e.type === 'metric')).toHaveLength(3);
    const stats = observer.stats().exporters;
    expect(stats.good).toMatchObject({ exported: good.events.length, failedBatches: 0 });
    expect(stats.rejecting).toMatchObject({ lastError: '503' });
    expect(stats.rejecting!.failedEvents).toBeGreaterThanOrEqual(3);
    expect(stats.throwing).toMatchObject({ lastError: 'sync throw' });
    expect(stats.hanging!.timeouts).toBeGreaterThanOrEqual(1);
    expect(observer.stats().plugins.throwing!.lastError).toBe('shutdown: shutdown throw');
  });

  it('a runner whose start throws is marked failed; its health is reported', async () => {
    const runner: Runner = {
      name: 'bad-runner',
      start: () => {
        throw new Error('cannot start');
      },
      stop: () => {},
      health: () => ({ status: 'failed', message: 'cannot start' }),
    };
    const ticking: Runner = (() => {
      let emitted = 0;
      return {
        name: 'ticker',
        start(sink) {
          sink.emit({ type: 'metric', payload: { name: 'tick', value: 1 } });
          emitted++;
        },
        stop: () => {},
        health: () => ({ status: 'running', details: { emitted } }),
      };
    })();
    const exporter = collectingExporter();
    const observer = createCoreObserver({ runners: [runner, ticking], exporters: [exporter], onError: quiet });
    await observer.ready();
    await observer.flush();
    expect(observer.stats().plugins['bad-runner']).toMatchObject({ state: 'failed', errors: 1 });
    expect(observer.stats().runners.ticker).toEqual({ status: 'running', details: { emitted: 1 } });
    expect(exporter.events.find((e) => e.type === 'metric')?.source).toBe('ticker');
    await observer.close();
  });

  it('a failing storage is counted and query gives an empty page', async () => {
    const storage = memoryStorage();
    const observer = createCoreObserver({
      storage: { ...storage, name: 'flaky', append: async () => { throw new Error('disk full'); }, query: async () => { throw new Error('io'); } },
      onError: quiet,
    });
    observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } });
    expect(await observer.query({})).toEqual({ events: [] });
    await observer.flush();
    expect(observer.stats().plugins.flaky!.errors).toBeGreaterThanOrEqual(2);
    await observer.close();
  });
});

describe('Observer: analyzers', () => {
  it('starts analyzers in dependency order and lets one read another snapshot; derived events do not loop', async () => {
    const order: string[] = [];
    let count = 0;
    const base = defineAnalyzer({
      name: 'base',
      filter: { types: ['tool.end'] },
      onEvent: () => void count++,
      snapshot: () => ({ count }),
    });
    const startOrder = (a: Analyzer): Analyzer => ({ ...a, consume: (s, c) => (order.push(a.name), a.consume(s, c)) });
    let derivedSeen = 0;
    const dependent = defineAnalyzer<{ baseCount: number | undefined }>({
      name: 'dependent',
      dependsOn: ['base'],
      onBatch: (batch, ctx) => {
        for (const event of batch) {
          if (event.source === 'analyzer:dependent') derivedSeen++;
          if (event.type === 'tool.end') {
            ctx.emit({ type: 'alert', payload: { rule: 'seen', message: 'a tool ended' } });
          }
        }
      },
      snapshot: () => ({ baseCount: undefined }),
    });
    let read: unknown;
    const reader = defineAnalyzer({
      name: 'reader',
      dependsOn: ['base'],
      onBatch: (_b, ctx) => void (read = [ctx.snapshotOf('base'), ctx.snapshotOf('dependent')]),
      snapshot: () => read,
    });
    const observer = createCoreObserver({ analyzers: [startOrder(reader), startOrder(dependent), startOrder(base)] });
    const alerts = collectingExporter();
    observer.emit({ type: 'tool.end', payload: { toolName: 't', status: 'success', durationMs: 1 } });
    await observer.flush();
    expect(order.indexOf('base')).toBeLessThan(order.indexOf('reader'));
    expect(order.indexOf('base')).toBeLessThan(order.indexOf('dependent'));
    // reader may read base (declared) but not dependent (undeclared).
    expect(read).toEqual([{ count: 1 }, undefined]);
    expect(derivedSeen).toBe(0);
    const page = await observer.query({ types: ['alert'] });
    expect(page.events).toHaveLength(0); // no storage in the core observer
    await observer.close();
    void alerts;
  });

  it('flush waits until analyzers processed everything, including derived events', async () => {
    let alertsSeen = 0;
    const producer = defineAnalyzer({
      name: 'producer',
      filter: { types: ['metric'] },
      onBatch: async (batch, ctx) => {
        await new Promise((r) => setTimeout(r, 2));
        for (const _ of batch) ctx.emit({ type: 'alert', payload: { rule: 'r', message: 'm' } });
      },
      snapshot: () => null,
    });
    const consumer = defineAnalyzer({
      name: 'consumer',
      filter: { types: ['alert'] },
      onEvent: () => void alertsSeen++,
      snapshot: () => alertsSeen,
    });
    const observer = createCoreObserver({ analyzers: [producer, consumer] });
    for (let i = 0; i < 20; i++) observer.emit({ type: 'metric', payload: { name: 'm', value: i } });
    await observer.flush();
    expect(alertsSeen).toBe(20);
    await observer.close();
  });
});

describe('Observer: query, flush, close', () => {
  it('paginates a session with cursors, in append order, reading its own writes', async () => {
    const observer = createCoreObserver({ storage: memoryStorage() });
    for (let i = 0; i < 25; i++) {
      observer.emit({ type: 'metric', sessionId: i % 2 === 0 ? 'even' : 'odd', payload: { name: 'm', value: i } });
    }
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await observer.query({ sessionId: 'even', limit: 5, cursor });
      seen.push(...page.events.map((e) => (e.payload as { value: number }).value));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(seen).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
    expect(pages).toBe(3);
    const clamped = await observer.query({ limit: 1e9 });
    expect(clamped.events).toHaveLength(25);
    await observer.close();
  });

  it('close drains every stream and is idempotent', async () => {
    const exporter = collectingExporter();
    let shutdowns = 0;
    const observer = createCoreObserver({ exporters: [{ ...exporter, shutdown: async () => void shutdowns++ }] });
    for (let i = 0; i < 1000; i++) observer.emit({ type: 'metric', payload: { name: 'm', value: i } });
    const first = observer.close();
    expect(observer.close()).toBe(first);
    await first;
    await observer.close();
    expect(exporter.events).toHaveLength(1000);
    expect(shutdowns).toBe(1);
    expect(observer.stats().closed).toBe(true);
  });

  it('a 100k-event synchronous burst reaches storage with nothing dropped', async () => {
    const observer = createCoreObserver({ storage: memoryStorage({ capacity: 200_000 }) });
    for (let i = 0; i < 100_000; i++) observer.emit({ type: 'metric', payload: { name: 'm', value: i } });
    await observer.flush();
    expect(observer.stats().dropped).toBe(0);
    expect(observer.stats().storage).toMatchObject({ events: 100_000, dropped: 0 });
    await observer.close();
  });
});
