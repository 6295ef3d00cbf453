/**
 * The central analysis of the fleet example: reads the hosts' events from Redis Streams through a
 * consumer group, writes them to PostgreSQL before acknowledging them, and runs the default analyzers
 * on them. On Ctrl-C (or after FLEETSCOPE_SECONDS) it replays the last hour from PostgreSQL and prints
 * the fleet's report:
 *
 *   FLEETSCOPE_REDIS_URL=... FLEETSCOPE_POSTGRES_URL=... npx tsx examples/fleet/central.ts
 */
import { createObserver, replayStorage } from 'fleetscope';
import { redisStreamRunner } from 'fleetscope/runners';
import { postgresStorage } from 'fleetscope/storage';

const redisUrl = process.env.FLEETSCOPE_REDIS_URL;
const postgresUrl = process.env.FLEETSCOPE_POSTGRES_URL;
if (redisUrl === undefined || postgresUrl === undefined) {
  console.error('set FLEETSCOPE_REDIS_URL and FLEETSCOPE_POSTGRES_URL (npm run fleet:servers prints them)');
  process.exit(1);
}

const history = postgresStorage({ connectionString: postgresUrl });
const live = createObserver({
  runners: [redisStreamRunner({ url: redisUrl, stream: 'fleetscope:events', group: 'analysis', consumer: 'central-1', storage: history })],
});

async function finish(): Promise<void> {
  await live.close();
  const fleet = await replayStorage(postgresStorage({ connectionString: postgresUrl! }), { from: Date.now() - 3_600_000 });
  console.log(await fleet.report({ title: 'fleet report (from PostgreSQL)' }));
  await fleet.close();
  await history.close();
  process.exit(0);
}
process.on('SIGINT', () => void finish());
const seconds = Number(process.env.FLEETSCOPE_SECONDS ?? 0);
if (seconds > 0) setTimeout(() => void finish(), seconds * 1000);
console.error('central analysis running; Ctrl-C prints the fleet report');
