/**
 * What V8 makes anyone pay, before any code can stop early, for the two payload shapes whose `emit`
 * stays proportional to the input (issue 14, point 2; BENCHMARKS.md "Hostile payloads"). A minimal
 * proof, with no fleetscope code: the cost of the first step of a loop over the value, by size.
 * - An object with many keys is in V8's dictionary mode; `for...in` and `Object.keys` list (and sort)
 *   every key before their first turn, so breaking at the first key costs as much as listing them all.
 * - `'x'.repeat(n)` builds a rope (a cons string); the first read of any character (`charCodeAt`,
 *   `slice`, `substring`, `Buffer#write`, `TextEncoder#encodeInto`, a RegExp) flattens all of it.
 *   Reading its `length` does not; a flat string of the same size is cut at once.
 * `npm run bench -- hostile-floors`. Medians of 5, each after a full GC.
 */
export {};

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeFirstStep<T>(build: () => T, step: (value: T) => unknown): number {
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const value = build();
    gc();
    const t = performance.now();
    step(value);
    times.push(performance.now() - t);
  }
  return median(times);
}

const firstKey = (value: object) => {
  for (const key in value) return key;
};
const keyed = (n: number) => () => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
for (const n of [1e3, 1e4, 1e5, 1e6]) {
  const breakAtFirst = timeFirstStep(keyed(n), firstKey);
  const listAll = timeFirstStep(keyed(n), (value) => Object.keys(value));
  console.log(`object of ${n.toExponential(0)} keys: for...in broken at the first key ${breakAtFirst.toFixed(2)} ms, Object.keys ${listAll.toFixed(2)} ms`);
}
const MB = 2 ** 20;
for (const mb of [25, 50, 100, 200]) {
  const rope = timeFirstStep(() => 'x'.repeat(mb * MB), (s) => s.charCodeAt(0));
  const ropeLength = timeFirstStep(() => 'x'.repeat(mb * MB), (s) => s.length);
  const flat = timeFirstStep(() => Buffer.alloc(mb * MB, 120).toString('latin1'), (s) => s.slice(0, 16 * 1024));
  console.log(`${mb} MB string: rope charCodeAt(0) ${rope.toFixed(1)} ms (its length ${ropeLength.toFixed(3)} ms), flat slice(0, 16 KiB) ${flat.toFixed(3)} ms`);
}
