/**
 * Per-call cost of hostile payloads (issue 14, point 2): `emit` of one value built to be expensive
 * (10 M holes, a 10 MB key, a 10 M-element Float64Array, a 64 MB Buffer, an array of length
 * 2^32 − 1, a Map of a million entries, a 100k-key object, deep nesting, a cycle). Each is built
 * before the timer; the figure is the median of 5 emits, with the JSON size of what was kept (the
 * budget is `maxPayloadBytes`, 64 KiB by default). Reference, same run: the median `emit` of an
 * ordinary tool.end. Two shapes also get V8's own floor, measured on a fresh copy of the same value
 * in the same round: the key listing of a 1e5-key object (`for...in` that breaks at once) and the
 * flattening of a rope (`charCodeAt(0)`), which no code can stop early. `npm run bench -- hostile`.
 */
import { createObserver } from '../src/index.js';

const observer = createObserver({ storage: false, analyzers: [], onError: () => {} });
/** A full collection before each timed call, so one value's garbage is not collected on the next one's time. */
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function deep(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = { v };
  return v;
}

const cases: Record<string, () => unknown> = {
  'new Array(1e7) (holes)': () => new Array(1e7),
  '10 MB object key': () => ({ ['k'.repeat(10 * 2 ** 20)]: 1 }),
  'new Float64Array(1e7)': () => new Float64Array(1e7),
  '64 MB Buffer': () => Buffer.alloc(64 * 2 ** 20, 1),
  'new Array(2 ** 32 - 1)': () => new Array(2 ** 32 - 1),
  'Map of 1e6 entries': () => new Map(Array.from({ length: 1e6 }, (_, i) => [i, i])),
  'object of 1e5 keys': () => Object.fromEntries(Array.from({ length: 1e5 }, (_, i) => [`k${i}`, i])),
  '100 MB string (flat)': () => Buffer.alloc(100 * 2 ** 20, 120).toString('latin1'),
  // 'x'.repeat builds a rope (a V8 cons string): its first read, whoever makes it, flattens all 100 MB.
  '100 MB string (a rope from repeat)': () => 'x'.repeat(100 * 2 ** 20),
  'nesting 100,000 deep': () => deep(100_000),
  'array of 1e6 numbers': () => Array.from({ length: 1e6 }, (_, i) => i),
};

// Reference: an ordinary tool.end, median per call over rounds of 1000.
const ordinary = () => ({ type: 'tool.end' as const, payload: { toolName: 'Read', status: 'success' as const, durationMs: 12, output: { lines: 40 } } });
for (let i = 0; i < 20_000; i++) observer.emit(ordinary());
const rounds: number[] = [];
for (let r = 0; r < 50; r++) {
  const t = performance.now();
  for (let i = 0; i < 1000; i++) observer.emit(ordinary());
  rounds.push(((performance.now() - t) * 1e6) / 1000);
}
const referenceNs = median(rounds);

/** What V8 makes anyone pay before a loop over the value can stop (see the header). */
const floors: Record<string, (value: any) => unknown> = {
  'object of 1e5 keys': (value: object) => {
    for (const key in value) return key;
  },
  '100 MB string (a rope from repeat)': (value: string) => value.charCodeAt(0),
};

const results: Record<string, string> = { 'reference: emit of an ordinary tool.end (median ns/call)': referenceNs.toFixed(0) };
for (const [name, build] of Object.entries(cases)) {
  const times: number[] = [];
  const floorTimes: number[] = [];
  let kept = 0;
  let truncated = false;
  for (let run = 0; run < 5; run++) {
    const floor = floors[name];
    if (floor) {
      const copy = build();
      gc();
      const t = performance.now();
      floor(copy);
      floorTimes.push(performance.now() - t);
    }
    const value = build();
    gc();
    const t = performance.now();
    const event = observer.emit({ type: 'myapp.hostile', payload: { value } });
    times.push(performance.now() - t);
    kept = JSON.stringify(event?.payload ?? null).length;
    truncated = event?.truncated === true;
  }
  const ms = median(times);
  const floorNote = floorTimes.length > 0 ? `; V8's floor ${median(floorTimes).toFixed(2)} ms = ${(ms / median(floorTimes)).toFixed(2)}x it` : '';
  results[name] = `${ms.toFixed(2)} ms (${Math.round((ms * 1e6) / referenceNs).toLocaleString('en-US')}x ref${floorNote}), kept ${kept.toLocaleString('en-US')} B${truncated ? ', truncated' : ''}`;
}
const { events } = observer.stats();
results['events accepted / invalid'] = `${events.accepted} / ${events.invalid}`;
await observer.close();
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(60)}  ${v}`);
