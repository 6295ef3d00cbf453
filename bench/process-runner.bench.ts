/**
 * Cost of the process-resources runner at its fastest interval (100 ms), as a share of one core.
 *
 * Three child processes run side by side for the same wall time:
 * - `reference`: a no-op 100 ms interval timer (Node's idle cost and timer wake-ups);
 * - `sampling`: the runner feeding a no-op sink — the sampling itself (the target);
 * - `observer`: the runner inside a default `createObserver()` (validation, bus, in-memory
 *   storage, default analyzers) — what a host pays end to end, for information.
 * Cost = (subject CPU − reference CPU) / wall time. Target: sampling < 1 % of one core.
 *
 * `DURATION_MS` (default 10000) sets the measured window.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DURATION_MS = Number(process.env.DURATION_MS ?? 10_000);
const WARMUP_MS = 1000;
const role = process.argv[2];

type Kind = 'reference' | 'sampling' | 'observer';

async function child(kind: Kind): Promise<void> {
  const { createObserver } = await import('../src/index.js');
  const { processResourcesRunner } = await import('../src/runners/process-resources.js');
  let metrics = 0;
  let observer: { close(): Promise<void> } | undefined;
  let runner: ReturnType<typeof processResourcesRunner> | undefined;
  if (kind === 'observer') {
    const o = createObserver({ runners: [processResourcesRunner({ intervalMs: 100 })] });
    o.on('metric', () => void metrics++);
    observer = o;
  } else if (kind === 'sampling') {
    runner = processResourcesRunner({ intervalMs: 100 });
    const count = (events: Iterable<unknown>) => {
      for (const _ of events) metrics++;
    };
    await runner.start({
      emit: () => void metrics++,
      emitMany: count,
      reportError: () => {},
      signal: new AbortController().signal,
    });
  }
  // The reference wakes up as often as the runner does, so timer wake-ups cancel out.
  const noop = kind === 'reference' ? setInterval(() => {}, 100) : undefined;
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const metrics0 = metrics;
  await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - wall0;
  clearInterval(noop);
  await runner?.stop();
  await observer?.close();
  process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs, metrics: metrics - metrics0 }));
}

function run(kind: Kind): Promise<{ cpuMs: number; wallMs: number; metrics: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), kind], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${kind} exited with ${code}`))));
  });
}

if (role === 'reference' || role === 'sampling' || role === 'observer') {
  await child(role);
} else {
  const [reference, sampling, observer] = await Promise.all([run('reference'), run('sampling'), run('observer')]);
  const wallMs = Math.min(reference.wallMs, sampling.wallMs, observer.wallMs);
  const pct = (cpuMs: number) => (cpuMs / wallMs) * 100;
  const samples = sampling.metrics / 10;
  const cost = (subject: { cpuMs: number; metrics: number }) => {
    const n = Math.max(1, subject.metrics / 10);
    return `${pct(subject.cpuMs - reference.cpuMs).toFixed(3)} % of one core (${(((subject.cpuMs - reference.cpuMs) / n) * 1000).toFixed(0)} µs per sample)`;
  };
  console.log(`window: ${(wallMs / 1000).toFixed(1)} s, interval 100 ms, ${samples.toFixed(0)} samples (${sampling.metrics} metric events)`);
  console.log(`reference (no-op 100 ms timer):        ${pct(reference.cpuMs).toFixed(3)} % of one core`);
  console.log(`sampling itself (runner, no-op sink):  ${cost(sampling)}`);
  console.log(`end to end (runner in createObserver): ${cost(observer)}`);
  const samplingPct = pct(sampling.cpuMs - reference.cpuMs);
  console.log(`target: sampling < 1 % of one core: ${samplingPct < 1 ? 'PASS' : 'FAIL'}`);
}
