/**
 * Regression tests of issue 14: each promise that broke under attack, attacked again through the
 * public API. Every test here failed on the code before the fix.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createCoreObserver, createObserver, type Exporter, type FleetEvent, type Storage } from '../../src/index.js';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { memoryStorage } from '../../src/storage/memory.js';
import { readAll } from '../support/ack-writer.js';

const root = mkdtempSync(join(tmpdir(), 'fleetscope-promises-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet = () => {};
const bad = <T>(value: unknown) => value as T;

/**
 * When `call` settles, in milliseconds of a fake clock (timers and `performance.now()` faked): a
 * deadline is checked against the observer's own clock, never against how fast this machine runs
 * (house rule: no timed assertions in unit tests). `undefined` if not settled after `limitMs`.
 */
async function settlesAt(call: () => Promise<unknown>, limitMs: number): Promise<number | undefined> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  try {
    let settled = false;
    call().then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let ms = 0; ms <= limitMs; ms++) {
      await vi.advanceTimersByTimeAsync(ms === 0 ? 0 : 1);
      if (settled) return ms;
    }
    return undefined;
  } finally {
    vi.useRealTimers();
  }
}

/** A payload whose getter answers the first read and throws on every later one. */
function throwsOnSecondRead(): Record<string, unknown> {
  let reads = 0;
  return {
    get note() {
      if (++reads > 1) throw new Error('second read');
      return 'first';
    },
  };
}

describe('1. one hostile payload costs nothing to its neighbours', () => {
  it('a getter that throws on its second read: all 201 events of the batch reach the file log', async () => {
    const dir = join(root, 'p1');
    const observer = createObserver({ storage: fileLogStorage({ dir, maintenanceIntervalMs: 0 }), analyzers: [], onError: quiet });
    for (let i = 0; i < 100; i++) observer.emit({ type: 'metric', payload: { name: 'm', value: i } });
    observer.emit({ type: 'myapp.hostile', payload: throwsOnSecondRead() });
    for (let i = 100; i < 200; i++) observer.emit({ type: 'metric', payload: { name: 'm', value: i } });
    await observer.close();
    expect(observer.stats().events).toMatchObject({ emitted: 201, accepted: 201, invalid: 0 });
    const reopened = fileLogStorage({ dir, maintenanceIntervalMs: 0 });
    const events = await readAll(reopened);
    await reopened.close();
    expect(events).toHaveLength(201);
    expect(events.find((e) => e.type === 'myapp.hostile')?.payload).toEqual({ note: 'first' });
  });

  it('an accepted event is a copy: the host changing its object afterwards changes nothing stored', async () => {
    const observer = createObserver({ analyzers: [], onError: quiet });
    const payload = { name: 'm', value: 1, tags: ['a'] };
    const tags = ['x'];
    const event = observer.emit({ type: 'metric', payload, tags })!;
    payload.value = -5;
    payload.tags.push('b');
    tags.push('y');
    expect(event.payload).toEqual({ name: 'm', value: 1, tags: ['a'] });
    expect(event.tags).toEqual(['x']);
    const page = await observer.query({});
    expect(page.events[0]!.payload).toEqual({ name: 'm', value: 1, tags: ['a'] });
    await observer.close();
  });

  it('a validated field cannot read differently later (a getter that changes its answer)', () => {
    const observer = createObserver({ analyzers: [], storage: false, onError: quiet });
    let reads = 0;
    const payload = {
      toolName: 't',
      status: 'success' as const,
      get durationMs() {
        return ++reads === 1 ? 5 : -1;
      },
    };
    const event = observer.emit({ type: 'tool.end', payload })!;
    expect((event.payload as { durationMs: number }).durationMs).toBe(5);
    expect(JSON.parse(JSON.stringify(event)).payload.durationMs).toBe(5);
  });

  it('a storage and an exporter given a batch with one unserializable event keep the others', async () => {
    const good = (i: number): FleetEvent => ({
      id: `e${i}`, type: 'metric', timestamp: 1_700_000_000_000 + i, severity: 'info', source: 'host',
      sessionId: 's', agentId: 'a', payload: { name: 'm', value: i },
    } as FleetEvent);
    const hostile = { ...good(99), id: 'bad', payload: { toJSON() { throw new Error('no'); } } } as unknown as FleetEvent;
    const batch = [good(0), good(1), hostile, good(2)];
    const dir = join(root, 'p1-direct');
    const storage = fileLogStorage({ dir, maintenanceIntervalMs: 0 });
    await storage.append(batch).catch(() => {});
    expect((await readAll(storage)).map((e) => e.id)).toEqual(['e0', 'e1', 'e2']);
    await storage.close();
    const { jsonlExporter } = await import('../../src/exporters/jsonl.js');
    const file = join(root, 'p1.jsonl');
    const exporter = jsonlExporter({ path: file });
    await exporter.export(batch);
    await exporter.shutdown();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['e0', 'e1', 'e2']);
  });
});

describe('2. payload limits bound memory and time', () => {
  const observer = createObserver({ analyzers: [], storage: false, onError: quiet });
  // What one emit keeps (its cost is in bench/hostile-payloads.bench.ts; here the work is counted, never timed).
  const emitted = (payload: unknown) => {
    const event = observer.emit({ type: 'myapp.big', payload: { value: payload } });
    return { event, size: JSON.stringify(event?.payload ?? null).length };
  };
  // 64 KiB of budget: the kept payload is at most that plus a small constant (the truncation markers).
  const bound = 64 * 1024 + 512;

  /** `target` behind a Proxy that counts element reads and key listings (what a walk costs, untimed). */
  function counted<T extends object>(target: T) {
    const count = { elementReads: 0, keyListings: 0 };
    const proxy = new Proxy(target, {
      get(t, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) count.elementReads++;
        return Reflect.get(t, key, receiver);
      },
      ownKeys(t) {
        count.keyListings++;
        return Reflect.ownKeys(t);
      },
    });
    return { proxy, count };
  }

  it('an array of 10 M holes is cut at the budget, reading no more elements than the budget can hold', () => {
    const { proxy, count } = counted(new Array(1e7));
    const { event, size } = emitted(proxy);
    expect(event?.truncated).toBe(true);
    expect(size).toBeLessThanOrEqual(bound);
    // Each element costs at least its comma and `null` (5 bytes): at most 64 KiB / 5 reads (was all 10 M).
    expect(count.elementReads).toBeGreaterThan(0);
    expect(count.elementReads).toBeLessThanOrEqual(Math.ceil((64 * 1024) / 5) + 1);
  });

  it('an object of 20,000 keys is listed once, by the copy, not again by the repair (issue 14 / session 8)', () => {
    const keys: Record<string, number> = {};
    for (let i = 0; i < 20_000; i++) keys[`k${i}`] = i;
    const nested = counted({ ...keys });
    const { event, size } = emitted(nested.proxy);
    expect(nested.count.keyListings).toBe(1); // was 2: V8 lists every key of such an object before the first turn
    expect(event?.truncated).toBe(true);
    expect(size).toBeLessThanOrEqual(bound);
    const kept = Object.keys((event!.payload as { value: Record<string, number> }).value);
    expect(kept.slice(0, 3)).toEqual(['k0', 'k1', 'k2']);
    expect(kept.at(-1)).toBe('…');
    expect(kept.slice(0, -1)).toEqual(kept.slice(0, -1).map((_, i) => `k${i}`));
    // A built-in type's payload itself that large: listed once by the schema check, repaired, checked again.
    const top = counted({ toolName: 'Read', status: 'success' as const, durationMs: 3, ...keys });
    const tool = observer.emit({ type: 'tool.end', payload: top.proxy })!;
    expect(top.count.keyListings).toBe(1);
    expect(tool.truncated).toBe(true);
    expect(tool.payload).toMatchObject({ toolName: 'Read', status: 'success', durationMs: 3, k0: 0 });
    expect(JSON.stringify(tool.payload).length).toBeLessThanOrEqual(bound);
  });

  it('a 10 MB key is cut', () => {
    const key = 'k'.repeat(10 * 2 ** 20);
    const { event, size } = emitted({ [key]: 1 });
    expect(event?.truncated).toBe(true);
    expect(size).toBeLessThanOrEqual(bound);
  });

  it('typed arrays and Buffers are summarized before anything walks them', () => {
    // The summary is the proof (untimed): walking them gave an object of 10 M keys, cut.
    const floats = emitted(new Float64Array(1e7));
    expect((floats.event!.payload as { value: unknown }).value).toEqual({ type: 'Float64Array', length: 1e7 });
    const buffer = emitted(Buffer.alloc(64 * 2 ** 20, 1));
    expect((buffer.event!.payload as { value: unknown }).value).toEqual({ type: 'Buffer', length: 64 * 2 ** 20 });
    expect(buffer.size).toBeLessThanOrEqual(bound);
  });

  it('the summary of bytes keeps none of them: a Buffer holding a secret does not reach storage past redaction', async () => {
    const secret = 'sk-ant-api03-' + 'Q'.repeat(40);
    const bytes = [...Buffer.from(secret)];
    const stored = createObserver({ analyzers: [], onError: quiet });
    const output = { buffer: Buffer.from(secret), view: new Uint8Array(Buffer.from(secret)), data: new DataView(new ArrayBuffer(8)) };
    stored.emit({ type: 'tool.end', payload: { toolName: 'Bash', status: 'success', durationMs: 1, output } });
    await stored.flush();
    const [event] = (await stored.query({ types: ['tool.end'] })).events;
    expect((event!.payload as { output: unknown }).output).toEqual({
      buffer: { type: 'Buffer', length: secret.length },
      view: { type: 'Uint8Array', length: secret.length },
      data: { type: 'DataView', byteLength: 8 },
    });
    // Not a run of the secret's bytes anywhere (the old summary kept the first 16 as numbers).
    expect(JSON.stringify(event)).not.toContain(bytes.slice(0, 4).join(','));
    await stored.close();
  });

  it('an array of length 2^32 - 1 neither ends the process nor keeps more than the budget', () => {
    const { event, size } = emitted(new Array(2 ** 32 - 1));
    expect(event?.truncated).toBe(true);
    expect(size).toBeLessThanOrEqual(bound);
  });

  it('a Map and a Set of a million entries are cut at the budget', () => {
    const map = new Map<number, number>();
    const set = new Set<number>();
    for (let i = 0; i < 1e6; i++) {
      map.set(i, i);
      set.add(i);
    }
    expect(emitted(map).size).toBeLessThanOrEqual(bound);
    expect(emitted(set).size).toBeLessThanOrEqual(bound);
  });
});

describe('5. __proto__ and friends as ids and keys', () => {
  it('a payload needing repair with a __proto__ key keeps it as data, never as the prototype', () => {
    const observer = createObserver({ analyzers: [], storage: false, onError: quiet });
    const payload = JSON.parse('{"toolName":"t","status":"success","__proto__":{"durationMs":-5},"fn":1}');
    payload.fn = () => 1; // needs repair
    const event = observer.emit({ type: 'tool.end', payload })!;
    expect(Object.getPrototypeOf(event.payload)).toBe(Object.prototype);
    expect((event.payload as { durationMs?: number }).durationMs).toBeUndefined();
    expect(JSON.parse(JSON.stringify(event.payload))).toEqual(JSON.parse('{"toolName":"t","status":"success","__proto__":{"durationMs":-5}}'));
    // The same without a repair.
    const plain = observer.emit({ type: 'myapp.x', payload: JSON.parse('{"__proto__":{"polluted":1}}') })!;
    expect(Object.getPrototypeOf(plain.payload)).toBe(Object.prototype);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });

  it('a session named __proto__ can be queried after reopening the file log', async () => {
    const dir = join(root, 'p5');
    const observer = createObserver({ storage: fileLogStorage({ dir, maintenanceIntervalMs: 0 }), analyzers: [], onError: quiet });
    for (const sessionId of ['__proto__', 'constructor', 'plain']) {
      observer.emit({ type: 'metric', sessionId, payload: { name: 'm', value: 1 } });
    }
    await observer.close();
    const reopened = fileLogStorage({ dir, maintenanceIntervalMs: 0 });
    for (const sessionId of ['__proto__', 'constructor', 'plain']) {
      expect((await reopened.query({ sessionId })).events.map((e) => e.sessionId)).toEqual([sessionId]);
    }
    await reopened.close();
  });

  it('a tool named __proto__ is in the aggregation snapshot', async () => {
    const observer = createObserver({ storage: false, onError: quiet });
    for (const toolName of ['__proto__', 'constructor', 'hasOwnProperty']) {
      observer.emit({ type: 'tool.end', payload: { toolName, status: 'success', durationMs: 10 } });
    }
    await observer.flush();
    const text = JSON.stringify(observer.snapshot().aggregation);
    for (const toolName of ['__proto__', 'constructor', 'hasOwnProperty']) expect(text).toContain(`"${toolName}"`);
    await observer.close();
  });
});

describe('6. a file log whose first open failed recovers', () => {
  it('ENOTDIR at first, then fixed: the next append writes', async () => {
    const parent = join(root, 'p6-file');
    writeFileSync(parent, 'not a directory');
    const dir = join(parent, 'log');
    const storage = fileLogStorage({ dir, maintenanceIntervalMs: 0 });
    const event = { id: 'e1', type: 'metric', timestamp: 1, severity: 'info', source: 'h', sessionId: 's', agentId: 'a', payload: { name: 'm', value: 1 } } as FleetEvent;
    await expect(storage.append([event])).rejects.toThrow();
    rmSync(parent);
    await storage.append([event]);
    expect((await readAll(storage)).map((e) => e.id)).toEqual(['e1']);
    await storage.close();
  });
});

describe('7. query is under the deadline', () => {
  it('a storage whose query hangs gives an empty page within flushTimeoutMs', async () => {
    const inner = memoryStorage();
    const hanging: Storage = { ...inner, name: 'hanging', query: () => new Promise(() => {}) };
    const errors: string[] = [];
    const observer = createCoreObserver({ storage: hanging, flushTimeoutMs: 200, onError: (e) => errors.push(e.message) });
    let page: Awaited<ReturnType<typeof observer.query>> | undefined;
    const at = await settlesAt(async () => (page = await observer.query({})), 1000);
    expect(at).toBeGreaterThanOrEqual(200);
    expect(at).toBeLessThanOrEqual(200 + 5);
    expect(page!.events).toEqual([]);
    expect(errors.some((m) => m.includes('query'))).toBe(true);
  });
});

describe('8. host-supplied functions never reach the host', () => {
  it('a throwing clock: the reading falls back to Date.now(), counted, and nothing is unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const failing: Storage = { ...memoryStorage(), name: 'failing', append: () => Promise.reject(new Error('disk')) };
      let calls = 0;
      const observer = createCoreObserver({
        storage: failing,
        onError: quiet,
        // Answers at construction (where options are checked), then throws.
        clock: () => {
          if (calls++ > 0) throw new Error('clock');
          return 1_700_000_000_000;
        },
      });
      expect(() => observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } })).not.toThrow();
      observer.emit({ type: 'metric', timestamp: 5, payload: { name: 'm', value: 1 } });
      await observer.flush();
      await observer.close();
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      // The two host events and the storage's plugin.error event.
      expect(observer.stats().events).toMatchObject({ emitted: 3, accepted: 3, invalid: 0 });
      expect(observer.stats().errors).toBeGreaterThan(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a throwing onDrop, listener and where filter are contained', () => {
    const observer = createCoreObserver({ onError: () => { throw new Error('handler'); } });
    observer.on('metric', () => { throw new Error('listener'); });
    observer.subscribe({ where: () => { throw new Error('where'); } }, { highWaterMark: 1, onDrop: () => { throw new Error('drop'); } });
    expect(() => {
      for (let i = 0; i < 3; i++) observer.emit({ type: 'metric', payload: { name: 'm', value: i } });
    }).not.toThrow();
  });
});

describe('9. flush() and close() hold their deadline', () => {
  it('flush with a hanging exporter and a hanging storage flush: one deadline for the whole call', async () => {
    const hangingExporter: Exporter = { name: 'hang', export: () => new Promise(() => {}), flush: () => new Promise(() => {}), shutdown: () => new Promise(() => {}) };
    const storage: Storage = { ...memoryStorage(), name: 'slow', flush: () => new Promise(() => {}), close: () => new Promise(() => {}) };
    const observer = createCoreObserver({ storage, exporters: [hangingExporter], flushTimeoutMs: 300, exportTimeoutMs: 60_000, onError: quiet });
    observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } });
    // Of the fake clock: each step of the call shares the one deadline (was 3.0 s for 1.5 s).
    const flushedAt = await settlesAt(() => observer.flush(), 2000);
    expect(flushedAt).toBeGreaterThanOrEqual(300);
    expect(flushedAt).toBeLessThanOrEqual(300 + 5);
    const closedAt = await settlesAt(() => observer.close(), 2000);
    expect(closedAt).toBeGreaterThanOrEqual(300);
    expect(closedAt).toBeLessThanOrEqual(300 + 5);
  });

  it('close with a runner whose stop hangs', async () => {
    const observer = createCoreObserver({
      runners: [{ name: 'r', start: () => {}, stop: () => new Promise(() => {}), health: () => ({ status: 'running' }) }],
      analyzers: [{ name: 'a', consume: () => new Promise(() => {}), snapshot: () => ({}) }],
      flushTimeoutMs: 300,
      onError: quiet,
    });
    const closedAt = await settlesAt(() => observer.close(), 2000);
    expect(closedAt).toBeGreaterThanOrEqual(300);
    expect(closedAt).toBeLessThanOrEqual(300 + 5);
  });
});

describe('10. an exporter\'s own losses are visible through the observer', () => {
  it('both the pipeline\'s and the exporter\'s counters, under distinct names', async () => {
    const exporter: Exporter = {
      name: 'lossy',
      export: async () => ({ code: 'success' }),
      shutdown: async () => {},
      stats: () => ({ dropped: 48_950, delivered: 7 }),
    };
    const observer = createCoreObserver({ exporters: [exporter], onError: quiet });
    observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } });
    await observer.flush();
    const stats = observer.stats().exporters.lossy!;
    expect(stats.own).toEqual({ dropped: 48_950, delivered: 7 });
    expect(stats.dropped).toBe(0);
    expect(stats.exported).toBe(1);
    await observer.close();
  });
});

describe('12. subscribe() and on() with odd arguments', () => {
  const hostileProxy = new Proxy({}, {
    get() { throw new Error('get'); },
    has() { throw new Error('has'); },
    ownKeys() { throw new Error('ownKeys'); },
    getPrototypeOf() { throw new Error('proto'); },
    getOwnPropertyDescriptor() { throw new Error('desc'); },
  });
  const throwingGetter = Object.defineProperty({}, 'types', { get() { throw new Error('getter'); }, enumerable: true });

  it('never throws, now or from a microtask', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const observer = createCoreObserver({ onError: quiet });
      const fakeSignal = { aborted: true, addEventListener() { throw new Error('fake'); } };
      const filters: unknown[] = [
        { excludeSources: null },
        { minSeverity: Object.create(null) },
        { minSeverity: 'bogus' },
        { types: [Object.create(null)] },
        { types: [1, null] },
        { where: 5 },
        { sessionId: 5 },
        { excludeSources: 'host' },
        { excludeSources: [Object.create(null)] },
        hostileProxy,
        throwingGetter,
      ];
      const subs = [];
      for (const filter of filters) {
        expect(() => subs.push(observer.subscribe(bad(filter)))).not.toThrow();
      }
      for (const options of [hostileProxy, throwingGetter, { signal: fakeSignal }, { signal: hostileProxy }, { name: hostileProxy }, { onDrop: hostileProxy }]) {
        expect(() => subs.push(observer.subscribe({}, bad(options)))).not.toThrow();
      }
      for (const type of [Object.create(null), hostileProxy, Symbol('x'), 5]) {
        expect(() => observer.on(bad<string>(type), () => {})).not.toThrow();
      }
      expect(() => observer.on('metric', bad(hostileProxy))).not.toThrow();
      expect(() => observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } })).not.toThrow();
      await new Promise((r) => setTimeout(r, 10));
      expect(uncaught).toEqual([]);
      await observer.close();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('a null minSeverity-like filter falls back to defaults: the subscription still receives', async () => {
    const observer = createCoreObserver({ onError: quiet });
    const sub = observer.subscribe(bad({ excludeSources: null, minSeverity: Object.create(null), types: [Object.create(null)] }));
    observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } });
    const first = await sub.next();
    expect(first.value?.map((e: FleetEvent) => e.type)).toEqual(['metric']);
    await observer.close();
  });
});

describe('13. counting adds up; options are checked at construction', () => {
  it('emitMany(null) counts one emitted and invalid call, so the sum holds', () => {
    const observer = createCoreObserver({ onError: quiet });
    observer.emitMany(bad(null));
    observer.emitMany(bad(5));
    const { events } = observer.stats();
    expect(events.emitted).toBe(events.accepted + events.invalid);
    expect(events).toMatchObject({ emitted: 2, invalid: 2 });
    expect(observer.stats().invalidReasons).toEqual({ 'emitMany: events must be an iterable': 2 });
  });

  it('an iterator that throws halfway: counted once, and the sum holds', () => {
    const observer = createCoreObserver({ onError: quiet });
    function* events() {
      yield { type: 'metric', payload: { name: 'm', value: 1 } };
      throw new Error('halfway');
    }
    expect(observer.emitMany(bad(events()))).toBe(1);
    const { events: counts } = observer.stats();
    expect(counts).toMatchObject({ emitted: 2, accepted: 1, invalid: 1 });
  });

  it('rejects options that would make every event invalid', () => {
    expect(() => createCoreObserver({ clock: bad(5) })).toThrow(/clock/);
    expect(() => createCoreObserver({ source: bad(5) })).toThrow(/source/);
    expect(() => createCoreObserver({ agentId: '' })).toThrow(/agentId/);
    expect(() => createCoreObserver({ sessionId: 'a\u0000b' })).toThrow(/sessionId/);
    expect(() => createCoreObserver({ onError: bad(5) })).toThrow(/onError/);
  });

  it('a clock that answers NaN is rejected at construction; one that starts to later falls back to Date.now()', () => {
    expect(() => createCoreObserver({ clock: () => Number.NaN })).toThrow(/clock must return/);
    let calls = 0;
    const observer = createCoreObserver({ clock: () => (calls++ === 0 ? 1_000 : Number.NaN), onError: quiet });
    const before = Date.now();
    const event = observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } })!;
    expect(event.timestamp).toBeGreaterThanOrEqual(before);
    expect(observer.stats().errors).toBe(1);
  });
});

describe('14. life after close()', () => {
  it('a for-await over a subscription ends when the observer closes', async () => {
    const observer = createCoreObserver({ onError: quiet });
    const sub = observer.subscribe({});
    const seen: number[] = [];
    const loop = (async () => {
      for await (const batch of sub) seen.push(batch.length);
      return 'ended';
    })();
    observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } });
    await new Promise((r) => setTimeout(r, 5));
    await observer.close();
    await expect(Promise.race([loop, new Promise((r) => setTimeout(() => r('hung'), 1000))])).resolves.toBe('ended');
    expect(seen).toEqual([1]);
  });

  it('subscribe() after close returns an ended subscription', async () => {
    const observer = createCoreObserver({ onError: quiet });
    await observer.close();
    const sub = observer.subscribe({});
    await expect(Promise.race([sub.next(), new Promise((r) => setTimeout(() => r('hung'), 1000))])).resolves.toEqual({ value: undefined, done: true });
  });

  it('events emitted after close are counted as after close, not invalid', async () => {
    const observer = createCoreObserver({ onError: quiet });
    await observer.close();
    observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } });
    observer.emitMany([{ type: 'metric', payload: { name: 'm', value: 2 } }]);
    const stats = observer.stats();
    expect(stats.events).toMatchObject({ emitted: 2, accepted: 0, invalid: 0, afterClose: 2 });
    expect(stats.invalidReasons).toEqual({});
  });
});
