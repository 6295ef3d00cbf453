/**
 * Property-based round trip of the file log (issue 14): whatever the host emits, what was accepted
 * reads back JSON-equal, in order, after closing and reopening the store, and a query by session
 * (any id, `__proto__` included) finds exactly that session's events. Fixed seed; more runs with
 * `FLEETSCOPE_FUZZ_RUNS`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createObserver, type FleetEvent, type Storage } from '../../src/index.js';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { attackingValue, fuzz, fuzzTimeout, hostileKey, jsonValue } from '../support/fuzz.js';

const root = mkdtempSync(join(tmpdir(), 'fleetscope-file-log-prop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function readAll(storage: Storage, query: Record<string, unknown> = {}): Promise<FleetEvent[]> {
  const all: FleetEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.query({ ...query, limit: 10_000, cursor });
    all.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return all;
}

const sessionId = fc.constantFrom('s1', '__proto__', 'constructor', 'toString', 'ü-session', 's 2');
const event = fc.record({
  type: fc.constantFrom('metric', 'myapp.note', 'log'),
  sessionId,
  payload: fc.oneof(
    fc.record({ name: fc.string({ maxLength: 10 }), value: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
    fc.record({ message: fc.string({ maxLength: 30 }), fields: fc.dictionary(hostileKey, fc.oneof(jsonValue, attackingValue()), { maxKeys: 4 }) }),
    fc.dictionary(hostileKey, fc.oneof(jsonValue, attackingValue()), { maxKeys: 5 }),
  ),
});

describe('file log round trip (property)', () => {
  it('what was accepted reads back JSON-equal after reopening; a session query finds exactly its events', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 25 }), async (raws) => {
        const dir = join(root, `run-${run++}`);
        const observer = createObserver({
          storage: fileLogStorage({ dir, maintenanceIntervalMs: 0, maxSegmentBytes: 4096 }),
          analyzers: [],
          onError: () => {},
          limits: { maxPayloadBytes: 2048, maxStringLength: 256, maxDepth: 6 },
        });
        const accepted: FleetEvent[] = [];
        for (const raw of raws) {
          const e = observer.emit(raw as never);
          if (e !== undefined) accepted.push(JSON.parse(JSON.stringify(e)) as FleetEvent);
        }
        await observer.close();
        const reopened = fileLogStorage({ dir, maintenanceIntervalMs: 0 });
        try {
          const stored = (await readAll(reopened)).filter((e) => e.source !== 'fleetscope');
          expect(stored).toEqual(accepted);
          for (const id of new Set(accepted.map((e) => e.sessionId))) {
            const mine = await readAll(reopened, { sessionId: id });
            expect(mine.map((e) => e.id)).toEqual(accepted.filter((e) => e.sessionId === id).map((e) => e.id));
          }
        } finally {
          await reopened.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      fuzz(200, 1410),
    );
  }, fuzzTimeout(60_000));
});
