/**
 * `npm run fleet:demo`: the fleet setup of docs/fleet.md in one command. Starts a PostgreSQL and a
 * Redis server of its own on loopback, runs the central analysis and three agent hosts as separate
 * processes (examples/fleet/), prints the fleet report replayed from PostgreSQL, and stops everything.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startPostgres, startRedis } from './local-servers.js';

const example = (name: string) => fileURLToPath(new URL(`../examples/fleet/${name}.ts`, import.meta.url));
const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
const env = { ...process.env, FLEETSCOPE_POSTGRES_URL: postgres.url, FLEETSCOPE_REDIS_URL: redis.url, FLEETSCOPE_SECONDS: '6' };
const run = (name: string, args: string[] = []) =>
  new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', example(name), ...args], { env, stdio: 'inherit' });
    child.once('exit', resolve);
  });
try {
  const central = run('central');
  const hosts = await Promise.all(['worker-1', 'worker-2', 'worker-3'].map((name) => run('host', [name])));
  const code = await central;
  if (code !== 0 || hosts.some((c) => c !== 0)) process.exitCode = 1;
} finally {
  await redis.destroy();
  postgres.destroy();
}
