/**
 * Real servers for the tests (scripts/local-servers.ts starts them on loopback ports in temp dirs).
 * Nothing is mocked. When a server binary is missing, `systemTool` says so loudly (and fails in CI).
 */
import { join } from 'node:path';
import { postgresBin } from '../../scripts/local-servers.js';
import { systemTool } from './system-tool.js';

export { freePort, startPostgres, startRedis, type RunningPostgres, type RunningRedis } from '../../scripts/local-servers.js';

export const hasPostgres = systemTool(
  join(postgresBin() ?? '/usr/lib/postgresql/15/bin', 'pg_ctl'),
  ['--version'],
  'Debian package `postgresql`; without it the PostgreSQL storage is NOT tested against a real server',
);
export const hasRedis = systemTool(
  'redis-server',
  ['--version'],
  'Debian package `redis-server`; without it the Redis Streams transport is NOT tested against a real server',
);

/** Polls `check` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
