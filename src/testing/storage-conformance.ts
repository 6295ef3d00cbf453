/**
 * The `Storage` conformance suite, written once and run for every backend, including your own:
 *
 * ```ts
 * import { describe, it, expect } from 'vitest';
 * import { testStorage } from 'fleetscope/testing';
 * testStorage('my-storage', () => myStorage({ ... }), { describe, it, expect });
 * ```
 *
 * It checks the contract of `src/core/plugins.ts`: append order, query by each key, time ranges
 * (`from` inclusive, `to` exclusive), limits, cursor pagination in both orders covering every
 * event exactly once, stats, and close. Events must come back equal (deep) to what was appended,
 * so a backend that serializes must keep every field.
 */
import type { EventQuery, FleetEvent, QueryPage, Storage } from '../core/index.js';

/** The test functions of your runner (vitest, jest, node:test with an `expect`). */
export interface TestHarness {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void> | void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  expect: (value: unknown) => any;
  beforeEach?: (body: () => Promise<void> | void) => unknown;
  afterEach?: (body: () => Promise<void> | void) => unknown;
}

/** Returns a fresh, empty storage for each test. */
export type StorageFactoryForTest = () => Storage | Promise<Storage>;

type Payloads = Record<string, Record<string, unknown>>;

const PAYLOADS: Payloads = {
  'session.start': { reason: 'startup' },
  'session.end': { status: 'success' },
  'tool.start': { toolName: 'Bash', input: { command: 'ls -la' } },
  'tool.end': { toolName: 'Bash', status: 'success', durationMs: 12 },
  'llm.call': { model: 'claude-sonnet-4-5', status: 'success', inputTokens: 120, outputTokens: 40 },
  log: { message: 'a line with "quotes", unicode é and a\nnewline' },
};

/** An event as the observer would have validated it. */
export function conformanceEvent(
  id: string,
  sessionId: string,
  agentId: string,
  type: string,
  timestamp: number,
  workflowId?: string,
): FleetEvent {
  const event: Record<string, unknown> = {
    id,
    timestamp,
    severity: 'info',
    source: 'conformance',
    sessionId,
    agentId,
    type,
    payload: PAYLOADS[type] ?? {},
    attributes: { seq: Number(id.replace(/\D/g, '')) },
  };
  if (workflowId !== undefined) event.workflowId = workflowId;
  return event as unknown as FleetEvent;
}

/** Ten events; the expectations below were worked out by hand from this table. */
const FIXTURE: readonly FleetEvent[] = [
  conformanceEvent('e01', 's1', 'a', 'session.start', 1000, 'w1'),
  conformanceEvent('e02', 's1', 'a', 'tool.start', 1010, 'w1'),
  conformanceEvent('e03', 's2', 'b', 'session.start', 1005),
  conformanceEvent('e04', 's1', 'a', 'tool.end', 1020, 'w1'),
  conformanceEvent('e05', 's2', 'b', 'llm.call', 1030),
  conformanceEvent('e06', 's1', 'b', 'llm.call', 1015, 'w1'),
  conformanceEvent('e07', 's3', 'a', 'log', 1040),
  conformanceEvent('e08', 's2', 'a', 'tool.start', 1050),
  conformanceEvent('e09', 's1', 'a', 'session.end', 1060, 'w1'),
  conformanceEvent('e10', 's3', 'b', 'log', 1040),
];

const ids = (page: QueryPage) => page.events.map((e) => e.id);

/** Follows `nextCursor` to the end; fails after 1000 pages (a cursor that never ends). */
async function allPages(storage: Storage, query: EventQuery): Promise<{ pages: string[][]; events: FleetEvent[] }> {
  const pages: string[][] = [];
  const events: FleetEvent[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await storage.query(cursor === undefined ? query : { ...query, cursor });
    pages.push(ids(page));
    events.push(...page.events);
    if (page.nextCursor === undefined) return { pages, events };
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end after 1000 pages');
}

/** Registers the conformance tests for one backend. */
export function testStorage(name: string, factory: StorageFactoryForTest, harness: TestHarness): void {
  const { describe, it, expect } = harness;

  describe(`Storage conformance: ${name}`, () => {
    const open: Storage[] = [];
    const fresh = async (): Promise<Storage> => {
      const storage = await factory();
      open.push(storage);
      return storage;
    };
    const filled = async (): Promise<Storage> => {
      const storage = await fresh();
      await storage.append(FIXTURE.slice(0, 4));
      await storage.append(FIXTURE.slice(4));
      return storage;
    };
    harness.afterEach?.(async () => {
      for (const storage of open.splice(0)) await storage.close().catch(() => {});
    });

    it('returns an empty page from an empty store', async () => {
      const storage = await fresh();
      const page = await storage.query({});
      expect(page.events).toEqual([]);
      expect(page.nextCursor).toBeUndefined();
    });

    it('returns every event, equal to what was appended, in append order', async () => {
      const storage = await filled();
      const page = await storage.query({});
      expect(page.events).toEqual(FIXTURE);
      expect(page.nextCursor).toBeUndefined();
    });

    it('keeps append order, not timestamp order, and desc reverses it', async () => {
      const storage = await filled();
      expect(ids(await storage.query({ order: 'desc' }))).toEqual(
        ['e10', 'e09', 'e08', 'e07', 'e06', 'e05', 'e04', 'e03', 'e02', 'e01'],
      );
    });

    it('keeps the call order of appends issued without waiting', async () => {
      const storage = await fresh();
      await Promise.all([storage.append(FIXTURE.slice(0, 3)), storage.append(FIXTURE.slice(3, 5)), storage.append(FIXTURE.slice(5))]);
      expect(ids(await storage.query({}))).toEqual(FIXTURE.map((e) => e.id));
    });

    it('queries by session, agent and workflow', async () => {
      const storage = await filled();
      expect(ids(await storage.query({ sessionId: 's1' }))).toEqual(['e01', 'e02', 'e04', 'e06', 'e09']);
      expect(ids(await storage.query({ sessionId: 's2' }))).toEqual(['e03', 'e05', 'e08']);
      expect(ids(await storage.query({ sessionId: 's3', order: 'desc' }))).toEqual(['e10', 'e07']);
      expect(ids(await storage.query({ agentId: 'a' }))).toEqual(['e01', 'e02', 'e04', 'e07', 'e08', 'e09']);
      expect(ids(await storage.query({ agentId: 'b' }))).toEqual(['e03', 'e05', 'e06', 'e10']);
      expect(ids(await storage.query({ workflowId: 'w1' }))).toEqual(['e01', 'e02', 'e04', 'e06', 'e09']);
      expect(ids(await storage.query({ sessionId: 'nope' }))).toEqual([]);
      expect(ids(await storage.query({ agentId: 'nope' }))).toEqual([]);
    });

    it('queries by types (any of them)', async () => {
      const storage = await filled();
      expect(ids(await storage.query({ types: ['log'] }))).toEqual(['e07', 'e10']);
      expect(ids(await storage.query({ types: ['tool.start', 'tool.end'] }))).toEqual(['e02', 'e04', 'e08']);
      expect(ids(await storage.query({ types: [] }))).toEqual([]);
      expect(ids(await storage.query({ types: ['nope.nope'] }))).toEqual([]);
    });

    it('combines keys: every criterion must hold', async () => {
      const storage = await filled();
      expect(ids(await storage.query({ sessionId: 's1', types: ['llm.call'] }))).toEqual(['e06']);
      expect(ids(await storage.query({ sessionId: 's2', agentId: 'a' }))).toEqual(['e08']);
      expect(ids(await storage.query({ sessionId: 's1', from: 1010, to: 1020 }))).toEqual(['e02', 'e06']);
      expect(ids(await storage.query({ agentId: 'b', workflowId: 'w1' }))).toEqual(['e06']);
    });

    it('time ranges: from inclusive, to exclusive', async () => {
      const storage = await filled();
      expect(ids(await storage.query({ from: 1015, to: 1040 }))).toEqual(['e04', 'e05', 'e06']);
      expect(ids(await storage.query({ from: 1040 }))).toEqual(['e07', 'e08', 'e09', 'e10']);
      expect(ids(await storage.query({ to: 1005 }))).toEqual(['e01']);
      expect(ids(await storage.query({ from: 1060, to: 1061 }))).toEqual(['e09']);
      expect(ids(await storage.query({ from: 1040, to: 1040 }))).toEqual([]);
    });

    it('limits a page and says when more events match', async () => {
      const storage = await filled();
      const first = await storage.query({ limit: 3 });
      expect(ids(first)).toEqual(['e01', 'e02', 'e03']);
      expect(typeof first.nextCursor).toBe('string');
      const exact = await storage.query({ limit: 10 });
      expect(exact.events).toHaveLength(10);
      expect(exact.nextCursor).toBeUndefined();
      const byAgent = await storage.query({ agentId: 'b', limit: 4 });
      expect(ids(byAgent)).toEqual(['e03', 'e05', 'e06', 'e10']);
      expect(byAgent.nextCursor).toBeUndefined();
    });

    it('uses a default page size of 100', async () => {
      const storage = await fresh();
      const many = Array.from({ length: 150 }, (_, i) => conformanceEvent(`m${i}`, 's', 'a', 'log', 2000 + i));
      await storage.append(many);
      const page = await storage.query({});
      expect(page.events).toHaveLength(100);
      expect(page.events[99]!.id).toBe('m99');
      expect(typeof page.nextCursor).toBe('string');
    });

    it('paginates ascending and descending, every event exactly once', async () => {
      const storage = await fresh();
      const many = Array.from({ length: 25 }, (_, i) =>
        conformanceEvent(`p${String(i).padStart(2, '0')}`, i % 2 === 0 ? 'even' : 'odd', 'a', 'log', 5000 - i),
      );
      for (let i = 0; i < 25; i += 5) await storage.append(many.slice(i, i + 5));
      const asc = await allPages(storage, { limit: 7 });
      expect(asc.pages.map((p) => p.length)).toEqual([7, 7, 7, 4]);
      expect(asc.events.map((e) => e.id)).toEqual(many.map((e) => e.id));
      const desc = await allPages(storage, { limit: 7, order: 'desc' });
      expect(desc.pages.map((p) => p.length)).toEqual([7, 7, 7, 4]);
      expect(desc.events.map((e) => e.id)).toEqual(many.map((e) => e.id).reverse());
      // 13 events of session `even` (i = 0, 2, ..., 24)
      const even = many.filter((_, i) => i % 2 === 0).map((e) => e.id);
      const evenAsc = await allPages(storage, { sessionId: 'even', limit: 4 });
      expect(evenAsc.pages.map((p) => p.length)).toEqual([4, 4, 4, 1]);
      expect(evenAsc.events.map((e) => e.id)).toEqual(even);
      const evenDesc = await allPages(storage, { sessionId: 'even', limit: 4, order: 'desc' });
      expect(evenDesc.events.map((e) => e.id)).toEqual([...even].reverse());
      // Timestamps run backwards here: 5000 - i in [4990, 4995) is i = 6..10.
      const range = await allPages(storage, { from: 4990, to: 4995, limit: 2 });
      expect(range.events.map((e) => e.id)).toEqual(['p06', 'p07', 'p08', 'p09', 'p10']);
    });

    it('a cursor still works after more events are appended', async () => {
      const storage = await filled();
      const first = await storage.query({ limit: 8 });
      await storage.append([conformanceEvent('e11', 's1', 'a', 'log', 1070)]);
      const second = await storage.query({ limit: 8, cursor: first.nextCursor! });
      expect(ids(second)).toEqual(['e09', 'e10', 'e11']);
    });

    it('rejects a cursor it did not issue', async () => {
      const storage = await filled();
      await expect(storage.query({ cursor: 'not-a-cursor!' })).rejects.toThrow();
    });

    it('counts events in stats', async () => {
      const storage = await filled();
      const stats = storage.stats();
      expect(stats.events).toBe(10);
      expect(stats.evicted).toBe(0);
    });

    it('closes; appending afterwards is refused, querying does not hang', async () => {
      const storage = await filled();
      await storage.flush?.();
      await storage.close();
      await expect(storage.append([conformanceEvent('late', 's1', 'a', 'log', 1)])).rejects.toThrow();
      const outcome = await storage.query({}).then(
        (page) => ({ events: page.events.length }),
        (error: unknown) => ({ error: error instanceof Error }),
      );
      // Either refused with an Error, or an empty page: never the old events.
      expect('error' in outcome ? outcome.error : outcome.events === 0).toBe(true);
    });
  });
}
