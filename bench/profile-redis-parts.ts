/**
 * Profiling helper for the Redis Streams path (not a benchmark: no `.bench.ts` suffix). Starts a
 * redis-server, writes `count` llm.call events from one host process (test/fleet/processes/producer.ts),
 * then drains them with a central observer (default analyzers) in this process. Run with `--cpu-prof`
 * on this process for the central; the producer gets `--cpu-prof` when FLEETSCOPE_PROFILE_HOST=DIR is set.
 * argv: [count]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createObserver } from '../src/index.js';
import { redisStreamRunner } from '../src/runners/redis-streams.js';
import { startRedis } from '../scripts/local-servers.js';

const count = Number(process.argv[2] ?? 200_000);
const PRODUCER = fileURLToPath(new URL('../test/fleet/processes/producer.ts', import.meta.url));
const redis = await startRedis();
try {
  const hostDir = process.env.FLEETSCOPE_PROFILE_HOST;
  const flags = hostDir ? ['--cpu-prof', '--cpu-prof-dir', hostDir] : [];
  const report = await new Promise<string>((resolve, reject) => {
    let out = '';
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', PRODUCER, redis.url, 'profile', '0', String(count), String(Date.UTC(2026, 0, 1))], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`producer exited ${code}`))));
  });
  console.log('host', report);
  const central = createObserver({ runners: [redisStreamRunner({ url: redis.url, stream: 'profile', consumer: 'p' })], storage: false });
  const details = () => central.stats().runners['redis-streams']?.details as Record<string, number> | undefined;
  const cpu = process.cpuUsage();
  const started = performance.now();
  while ((details()?.emitted ?? 0) < count + 2) await new Promise((resolve) => setTimeout(resolve, 5));
  await central.flush();
  const used = process.cpuUsage(cpu);
  console.log(`central ${((count + 2) / ((performance.now() - started) / 1000)).toFixed(0)} events/s, ${((used.user + used.system) / (count + 2)).toFixed(2)} µs/event`);
  await central.close();
} finally {
  await redis.destroy();
}
