import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/core/index.js';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { lastEncodedOffset } from '../../src/storage/file-log-segment.js';
import { testStorage } from '../../src/testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'fleetscope-file-log-'));
let n = 0;
const freshDir = () => join(root, `store-${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

testStorage('file-log', () => fileLogStorage({ dir: freshDir(), maxAgeMs: Infinity }), { describe, it, expect, beforeEach, afterEach });
testStorage('file-log (tiny segments, gzip)', () => fileLogStorage({ dir: freshDir(), maxAgeMs: Infinity, maxSegmentBytes: 1024, gzip: true, gzipAfterMs: 0 }), {
  describe,
  it,
  expect,
  beforeEach,
  afterEach,
});

describe('fileLogStorage write path', () => {
  const event = (id: string, sessionId: string, message: string): FleetEvent =>
    ({ id, timestamp: 1, severity: 'info', source: 't', sessionId, agentId: 'a', type: 'log', payload: { message } }) as FleetEvent;

  it('indexes byte offsets of non-ASCII lines and of batches split at maxWriteBytes', async () => {
    const dir = freshDir();
    // 'é' is 2 bytes and '😀' 4 bytes (2 UTF-16 units) in UTF-8: char offsets and byte offsets differ.
    const batch = Array.from({ length: 12 }, (_, i) => event(`u${i}`, i % 3 === 0 ? 'x' : 'y', i % 2 === 0 ? 'é'.repeat(90) : '😀'.repeat(40)));
    // Each line is ~230-280 bytes: with a 256-byte cap every piece holds one line (some lines alone over the cap).
    const storage = fileLogStorage({ dir, maxAgeMs: Infinity, maxWriteBytes: 256 });
    await storage.append(batch);
    expect(storage.stats().writes).toBe(12);
    // Session x holds events 0, 3, 6, 9; the session query jumps to their offsets, so every offset must be exact.
    expect((await storage.query({ sessionId: 'x' })).events.map((e) => e.id)).toEqual(['u0', 'u3', 'u6', 'u9']);
    expect((await storage.query({ sessionId: 'y', order: 'desc', limit: 2 })).events.map((e) => e.id)).toEqual(['u11', 'u10']);
    await storage.close();
    // A fresh instance reads the offsets from the sidecar written by close().
    const reopened = fileLogStorage({ dir, maxAgeMs: Infinity });
    const page = await reopened.query({ sessionId: 'x' });
    expect(page.events.map((e) => (e.payload as { message: string }).message.length)).toEqual([90, 80, 90, 80]);
    await reopened.close();
  });
});

describe('fileLogStorage read path: chunks, long lines, a session read in runs', () => {
  const message = (i: number): string => (i % 50 === 49 ? 'x'.repeat(1_500_000) : i % 7 === 0 ? 'é'.repeat(5000) : `m${i}`);
  const events = Array.from(
    { length: 300 },
    (_, i) => ({ id: `e${i}`, timestamp: 1000 + i, severity: 'info', source: 't', sessionId: i % 3 === 0 ? 'a' : 'b', agentId: 'g', type: 'log', payload: { message: message(i) } }) as FleetEvent,
  );
  const all = async (storage: ReturnType<typeof fileLogStorage>, query: Parameters<ReturnType<typeof fileLogStorage>['query']>[0]) => {
    const out: FleetEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await storage.query({ ...query, ...(cursor === undefined ? {} : { cursor }) });
      out.push(...page.events);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return out;
  };
  const ids = (list: readonly FleetEvent[]) => list.map((e) => e.id);
  const lengths = (list: readonly FleetEvent[]) => list.map((e) => (e.payload as { message: string }).message.length);

  it('reads lines over 1 MiB, lines over 4 KiB and non-ASCII text in either order, before and after reopening', async () => {
    const dir = freshDir();
    const storage = fileLogStorage({ dir, maxAgeMs: Infinity, maxSegmentBytes: 4 * 2 ** 20 });
    await storage.append(events);
    const inA = events.filter((e) => e.sessionId === 'a');
    for (const s of [storage, undefined]) {
      const reader = s ?? fileLogStorage({ dir, maxAgeMs: Infinity });
      const forward = await all(reader, { limit: 37 });
      expect(ids(forward)).toEqual(ids(events));
      expect(lengths(forward)).toEqual(events.map((_, i) => message(i).length));
      expect(ids(await all(reader, { limit: 37, order: 'desc' }))).toEqual(ids(events).reverse());
      const a = await all(reader, { sessionId: 'a', limit: 9 });
      expect(ids(a)).toEqual(ids(inA));
      expect(lengths(a)).toEqual(inA.map((e) => Number(e.id.slice(1))).map((i) => message(i).length));
      expect(ids(await all(reader, { sessionId: 'a', limit: 9, order: 'desc' }))).toEqual(ids(inA).reverse());
      await reader.close();
    }
  });
});

describe('fileLogStorage latestSessions: from the session index', () => {
  const firstDistinct = async (storage: ReturnType<typeof fileLogStorage>, n: number) => {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await storage.query({ order: 'desc', limit: 50, ...(cursor === undefined ? {} : { cursor }) });
      for (const e of page.events) if (!ids.includes(e.sessionId) && ids.length < n) ids.push(e.sessionId);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return ids;
  };

  it('the last byte-offset of a sidecar list is read without decoding it whole', () => {
    for (let k = 1; k <= 7; k++) {
      const offsets = Array.from({ length: k }, (_, i) => 1000 * i + 7 + i * 65_536);
      const encoded = Buffer.from(Uint32Array.from(offsets).buffer).toString('base64');
      expect(lastEncodedOffset(encoded)).toBe(offsets.at(-1));
    }
    expect(lastEncodedOffset('')).toBeUndefined();
  });

  it('gives the sessions of a desc query in its order, across segments, sidecars and lines appended after them', async () => {
    const dir = freshDir();
    // Sessions interleaved: s0..s6 in turns, then s2 and s5 active again at the end.
    const order = [...Array.from({ length: 140 }, (_, i) => `s${i % 7}`), 's2', 's5', 's2'];
    const events = order.map((sessionId, i) => ({ id: `e${i}`, timestamp: 1000 + i, severity: 'info', source: 't', sessionId, agentId: 'a', type: 'log', payload: { message: 'x'.repeat(40) } }) as FleetEvent);
    const writer = fileLogStorage({ dir, maxAgeMs: Infinity, maxSegmentBytes: 4096 });
    for (let i = 0; i < 120; i += 10) await writer.append(events.slice(i, i + 10)); // a batch per write: several segments
    await writer.close(); // sidecars written
    const late = fileLogStorage({ dir, maxAgeMs: Infinity, maxSegmentBytes: 4096 });
    await late.append(events.slice(120)); // lines beyond the last sidecar until close
    // By hand: the last appended are s2 (e142), s5 (e141), then s6 (e139), s4 (e137), s3 (e136), s1 (e134), s0 (e133).
    expect(await late.latestSessions(3)).toEqual(['s2', 's5', 's6']);
    expect(await late.latestSessions(20)).toEqual(['s2', 's5', 's6', 's4', 's3', 's1', 's0']);
    expect(await late.latestSessions(20)).toEqual(await firstDistinct(late, 20));
    await late.close();
    const reader = fileLogStorage({ dir, maxAgeMs: Infinity });
    expect(await reader.latestSessions(4)).toEqual(['s2', 's5', 's6', 's4']);
    expect(reader.stats().segments).toBeGreaterThan(3);
    await reader.close();
  });
});

describe('fileLogStorage summarize: the whole store from its segment summaries', () => {
  it('counts events, sessions, types and the time range across sidecars and lines appended after them', async () => {
    const dir = freshDir();
    // 60 events: e0..e59, sessions s0..s4 in turns, types log / tool.end / llm.call in turns, at 1000 + i.
    const events = Array.from({ length: 60 }, (_, i) => ({ id: `e${i}`, timestamp: 1000 + i, severity: 'info', source: 't', sessionId: `s${i % 5}`, agentId: 'a', type: ['log', 'tool.end', 'llm.call'][i % 3], payload: { message: 'x'.repeat(40) } }) as FleetEvent);
    const writer = fileLogStorage({ dir, maxAgeMs: Infinity, maxSegmentBytes: 1024 });
    for (let i = 0; i < 50; i += 10) await writer.append(events.slice(i, i + 10));
    await writer.close(); // sidecars written
    const late = fileLogStorage({ dir, maxAgeMs: Infinity, maxSegmentBytes: 1024 });
    await late.append(events.slice(50)); // 10 lines beyond the last sidecar
    const summary = await late.summarize();
    expect(summary).toEqual({ events: 60, sessions: 5, firstEvent: 1000, lastEvent: 1059, byType: { log: 20, 'tool.end': 20, 'llm.call': 20 }, skippedLines: 0, segments: summary.segments });
    expect(summary.segments).toBeGreaterThan(3);
    await late.close();
    const reader = fileLogStorage({ dir, maxAgeMs: Infinity });
    expect((await reader.summarize()).byType).toEqual({ log: 20, 'tool.end': 20, 'llm.call': 20 });
    await reader.close();
  });

  it('says the types are not counted when a sidecar of an older version (no typeCounts) is in use', async () => {
    const dir = freshDir();
    const writer = fileLogStorage({ dir, maxAgeMs: Infinity });
    await writer.append([{ id: 'e1', timestamp: 5, severity: 'info', source: 't', sessionId: 's', agentId: 'a', type: 'log', payload: {} } as FleetEvent]);
    await writer.close();
    const { readFileSync, readdirSync, writeFileSync } = await import('node:fs');
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.idx.json') || f === 'manifest.json')) {
      writeFileSync(join(dir, name), readFileSync(join(dir, name), 'utf8').replace(/,"typeCounts":\{[^}]*\}/g, ''));
    }
    const reader = fileLogStorage({ dir, maxAgeMs: Infinity });
    const summary = await reader.summarize();
    expect(summary.events).toBe(1);
    expect(summary.byType).toBeUndefined();
    await reader.close();
  });
});
