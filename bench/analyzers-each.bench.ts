/**
 * Per-analyzer cost: each built-in analyzer alone (with the analyzers it depends on), next to
 * no analyzer and 8 no-op analyzers (the core's own cost of fanning out), on the same mix as
 * analyzers.bench.ts (events built as emitted). Shows where the default set's time goes: ns/event = 1e9/rate − 1e9/reference.
 * Run with `npm run bench -- analyzers` (with analyzers.bench.ts) or alone:
 * `node --expose-gc --import tsx bench/analyzers-each.bench.ts`; EVENTS=150000 shortens it.
 */
import { performance } from 'node:perf_hooks';
import { createObserver, defineAnalyzer, type Analyzer } from '../src/index.js';
import { feed, hostBuilt } from './analyzer-mix.js';
import { defaultAnalyzers } from '../src/analyzers/index.js';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

const events = hostBuilt();
const COUNT = Number(process.env.EVENTS ?? 300_000);

/**
 * Best of 3 runs after a warm-up run, each on fresh analyzer instances: the steady state of a
 * long-lived observer, not V8 optimizing (and re-optimizing for new instances) the analyzers.
 * `rate`: events/s (wall clock); `cpu`: process CPU time per event, ns (less sensitive to other
 * processes on a shared machine; includes GC and compiler threads).
 */
async function rate(analyzers: Analyzer[]): Promise<{ rate: number; cpu: number }> {
  let best = 0;
  let cpu = Infinity;
  for (let run = 0; run < 4; run++) {
    const observer = createObserver({ storage: false, flushTimeoutMs: 120_000, analyzers });
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    await feed(observer, events, COUNT);
    const used = process.cpuUsage(cpu0);
    if (run > 0) {
      best = Math.max(best, COUNT / ((performance.now() - start) / 1000));
      cpu = Math.min(cpu, ((used.user + used.system) * 1000) / COUNT);
    }
    await observer.close();
    analyzers = analyzers.map((a) => rebuild(a.name));
  }
  return { rate: best, cpu };
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

// The machine is shared: the reference is re-measured before each line and the fastest one kept
// (a conservative reference: costs are never flattered by a slow reference run).
let reference = await rate([]);
const rows: [string, { rate: number; cpu: number }][] = [];
const measure = async (label: string, analyzers: Analyzer[]) => {
  const again = await rate([]);
  reference = { rate: Math.max(reference.rate, again.rate), cpu: Math.min(reference.cpu, again.cpu) };
  rows.push([label, await rate(analyzers)]);
};
await measure('8 no-op analyzers (core fan-out)', Array.from({ length: 8 }, (_, i) => rebuild(`noop${i}`)));
for (const analyzer of defaultAnalyzers()) {
  const set = withDependencies(analyzer.name);
  await measure(set.length > 1 ? `${analyzer.name} (+${set.length - 1} dependencies)` : analyzer.name, set);
}
await measure('all default analyzers', defaultAnalyzers());
console.log(`${fmt(COUNT)} events per run, best of 3 after a warm-up run; cost = over the no-analyzer reference`);
console.log(`  ${''.padEnd(34)} ${'events/s'.padStart(10)}  ${'ns/event'.padStart(8)}  ${'CPU ns/event'.padStart(12)}`);
console.log(`  ${'no analyzers (best reference)'.padEnd(34)} ${fmt(reference.rate).padStart(10)}  ${''.padStart(8)}  ${fmt(reference.cpu).padStart(12)}`);
for (const [label, r] of rows) {
  console.log(
    `  ${label.padEnd(34)} ${fmt(r.rate).padStart(10)}  ${fmt(1e9 / r.rate - 1e9 / reference.rate).padStart(8)}  ${fmt(r.cpu - reference.cpu).padStart(12)}`,
  );
}
