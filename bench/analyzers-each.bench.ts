/**
 * Per-analyzer cost: each built-in analyzer alone (with the analyzers it depends on), next to
 * no analyzer and 8 no-op analyzers (the core's own cost of fanning out), on the same mix as
 * analyzers.bench.ts. Shows where the default set's time goes.

 * - throughput: events/s through emit + every default analyzer, until flush() has drained them,
 *   next to the same run with no analyzers (the reference, same process);
 * - heap across 10 million events (after GC), which must stay flat (bounded analyzer state);
 * - report() after 1 million events.
 * Run with `npm run bench -- analyzers`. EVENTS=2000000 shortens the heap run.
 */
import { performance } from 'node:perf_hooks';
import { createObserver, defineAnalyzer, type Analyzer } from '../src/index.js';
import { feed, pool } from './analyzer-mix.js';
import { defaultAnalyzers } from '../src/analyzers/index.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

const events = pool(50_000);
const COUNT = Number(process.env.EVENTS ?? 300_000);

async function rate(analyzers: Analyzer[]): Promise<number> {
  let best = 0;
  for (let run = 0; run < 2; run++) {
    const observer = createObserver({ storage: false, flushTimeoutMs: 120_000, analyzers });
    const start = performance.now();
    await feed(observer, events, COUNT);
    best = Math.max(best, COUNT / ((performance.now() - start) / 1000));
    await observer.close();
    analyzers = analyzers.map((a) => rebuild(a.name));
  }
  return best;
}

/** A fresh instance of a named built-in (with its dependencies), or a no-op. */
function rebuild(name: string): Analyzer {
  if (name.startsWith('noop')) return defineAnalyzer({ name, onEvent: () => {}, snapshot: () => null });
  return defaultAnalyzers().find((a) => a.name === name)!;
}

function withDependencies(name: string): Analyzer[] {
  const all = defaultAnalyzers();
  const byName = new Map(all.map((a) => [a.name, a]));
  const needed = new Set<string>();
  const visit = (n: string) => {
    if (needed.has(n)) return;
    needed.add(n);
    for (const d of byName.get(n)?.dependsOn ?? []) visit(d);
  };
  visit(name);
  return all.filter((a) => needed.has(a.name));
}

const reference = await rate([]);
const noops = await rate(Array.from({ length: 8 }, (_, i) => rebuild(`noop${i}`)));
console.log(`events/s over ${fmt(COUNT)} events (best of 2), ns/event = cost over the no-analyzer reference`);
console.log(`  ${'no analyzers'.padEnd(34)} ${fmt(reference).padStart(10)}`);
console.log(`  ${'8 no-op analyzers (core fan-out)'.padEnd(34)} ${fmt(noops).padStart(10)}  ${fmt(1e9 / noops - 1e9 / reference).padStart(6)} ns`);
for (const analyzer of defaultAnalyzers()) {
  const set = withDependencies(analyzer.name);
  const r = await rate(set);
  const label = set.length > 1 ? `${analyzer.name} (+${set.length - 1} dependencies)` : analyzer.name;
  console.log(`  ${label.padEnd(34)} ${fmt(r).padStart(10)}  ${fmt(1e9 / r - 1e9 / reference).padStart(6)} ns`);
}
const all = await rate(defaultAnalyzers());
console.log(`  ${'all default analyzers'.padEnd(34)} ${fmt(all).padStart(10)}  ${fmt(1e9 / all - 1e9 / reference).padStart(6)} ns`);
