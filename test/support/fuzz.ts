/**
 * Shared settings of the property-based tests (fast-check). Fixed seeds, so a failure is
 * reproducible; `FLEETSCOPE_FUZZ_RUNS` multiplies the runs for a longer, nightly-style run
 * (`npm run test:fuzz`). Not a test file itself.
 */
import fc from 'fast-check';

/** Multiplier of every property's runs: 1 in `npm test`, `FLEETSCOPE_FUZZ_RUNS` (e.g. 10) in a long run. */
const factor = Math.max(1, Number(process.env.FLEETSCOPE_FUZZ_RUNS ?? 1) || 1);

/** fast-check parameters: a fixed seed per property, `runs` times the multiplier. */
export function fuzz(runs: number, seed: number): fc.Parameters<unknown> {
  return { numRuns: Math.round(runs * factor), seed, endOnFailure: true };
}

/** Per-test timeout (ms) that grows with the multiplier. */
export function fuzzTimeout(ms: number): number {
  return ms * factor;
}

/** Any JSON-ish value, with the keys attackers like. */
export const hostileKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toJSON', 'toString', 'valueOf', 'hasOwnProperty', ''),
);

/** Values JSON can carry. */
export const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** A Proxy that throws on every trap, except the two fast-check itself uses. */
export function throwingProxy(): object {
  return new Proxy(
    {},
    {
      // fast-check prints a counterexample through `toStringMethod`: the only key that answers.
      get(_target, key) {
        if (key === fc.toStringMethod) return () => 'Proxy<throws on every trap>';
        throw new Error('proxy get');
      },
      ownKeys() {
        throw new Error('proxy ownKeys');
      },
      getPrototypeOf() {
        throw new Error('proxy proto');
      },
      // `has` answers: fast-check itself asks every generated value whether it is cloneable.
      has(_target, key) {
        return key === fc.toStringMethod;
      },
    },
  );
}

/** Objects that attack whoever reads them: throwing getters, Proxies, cycles, odd prototypes. */
export function attackingValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(Number.NaN),
    fc.constant(Number.POSITIVE_INFINITY),
    fc.bigInt(),
    fc.constant(Symbol('s')),
    fc.constant(() => 1),
    fc.constant(new Date(0)),
    fc.constant(new Map([['a', 1]])),
    fc.constant(new Set([1, 2])),
    fc.constant(new Uint8Array([1, 2, 3])),
    fc.constant(Object.create(null)),
    fc.integer({ min: 0, max: 3 }).map((after) => {
      let reads = 0;
      return Object.defineProperty({}, 'x', {
        enumerable: true,
        get() {
          if (reads++ >= after) throw new Error('getter');
          return reads;
        },
      });
    }),
    fc.constant(throwingProxy()),
    fc.constant({ toJSON: () => { throw new Error('toJSON'); } }),
    fc.constant((() => {
      const a: Record<string, unknown> = { n: 1 };
      a.self = a;
      return a;
    })()),
    fc.constant(JSON.parse('{"__proto__":{"polluted":true}}')),
    jsonValue,
  );
}
