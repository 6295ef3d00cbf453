/**
 * `npm run fleet:servers`: starts a PostgreSQL and a Redis server of your own on free loopback ports
 * (in a temp dir; nothing of the machine's own services is used or changed), prints their URLs as
 * environment lines, and stops both on Ctrl-C. See docs/fleet.md.
 */
import { startPostgres, startRedis } from './local-servers.js';

const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
process.stdout.write(
  `PostgreSQL and Redis are running (Ctrl-C stops both and removes their data):\n\n` +
    `export FLEETSCOPE_POSTGRES_URL=${postgres.url}\n` +
    `export FLEETSCOPE_REDIS_URL=${redis.url}\n`,
);
const stop = async () => {
  await redis.destroy();
  postgres.destroy();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
setInterval(() => {}, 1 << 30);
