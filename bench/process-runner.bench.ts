/**
 * Cost of the process-resources runner at its fastest interval (100 ms), as a share of one core.
 *
 * Two child processes run side by side for the same wall time, each with a real observer
 * (validation, bus, in-memory storage): the reference has a no-op 100 ms interval timer, the
 * subject has the runner. Cost = (subject CPU − reference CPU) / wall time: the CPU the sampling
 * itself costs (≈10 metric events per sample through the whole emit path), without Node's own
 * idle overhead. Target: < 1 % of one core.
 *
 * `DURATION_MS` (default 10000) sets the measured window.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DURATION_MS = Number(process.env.DURATION_MS ?? 10_000);
const WARMUP_MS = 1000;
const role = process.argv[2];

async function child(kind: 'reference' | 'runner'): Promise<void> {
  const { createObserver } = await import('../src/index.js');
  const { processResourcesRunner } = await import('../src/runners/process-resources.js');
  const observer = createObserver({
    runners: kind === 'runner' ? [processResourcesRunner({ intervalMs: 100 })] : [],
  });
  let metrics = 0;
  observer.on('metric', () => void metrics++);
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
  await observer.close();
  process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs, metrics: metrics - metrics0 }));
}

function run(kind: string): Promise<{ cpuMs: number; wallMs: number; metrics: number }> {
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

if (role === 'reference' || role === 'runner') {
  await child(role);
} else {
  const [reference, subject] = await Promise.all([run('reference'), run('runner')]);
  const wallMs = Math.min(reference.wallMs, subject.wallMs);
  const costPct = ((subject.cpuMs - reference.cpuMs) / wallMs) * 100;
  const samples = subject.metrics / 10;
  console.log(`window: ${(wallMs / 1000).toFixed(1)} s, interval 100 ms, ${samples.toFixed(0)} samples (${subject.metrics} metric events)`);
  console.log(`reference process (observer + no-op 100 ms timer): ${((reference.cpuMs / wallMs) * 100).toFixed(3)} % of one core`);
  console.log(`with processResourcesRunner:                       ${((subject.cpuMs / wallMs) * 100).toFixed(3)} % of one core`);
  console.log(`runner cost (difference):                          ${costPct.toFixed(3)} % of one core (${((subject.cpuMs - reference.cpuMs) / Math.max(1, samples) * 1000).toFixed(0)} µs per sample)`);
  console.log(`target < 1 %: ${costPct < 1 ? 'PASS' : 'FAIL'}`);
}
