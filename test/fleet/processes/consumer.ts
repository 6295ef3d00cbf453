/**
 * One central analysis process of the fleet test: reads the stream through consumer group `fleet`
 * as `consumer`, writes every event to PostgreSQL before acknowledging it, and prints its runner's
 * counters as a JSON line every 100 ms until SIGTERM (then closes and exits 0).
 * argv: redisUrl stream consumer postgresUrl table
 */
import { createObserver } from '../../../src/index.js';
import { redisStreamRunner } from '../../../src/runners/redis-streams.js';
import { postgresStorage } from '../../../src/storage/postgres.js';

const [url, stream, consumer, pgUrl, table] = process.argv.slice(2);
const storage = postgresStorage({ connectionString: pgUrl!, table: table! });
const runner = redisStreamRunner({ url: url!, stream: stream!, group: 'fleet', consumer: consumer!, storage, count: 20, claimIdleMs: 1500, claimIntervalMs: 500, blockMs: 200 });
const observer = createObserver({ storage: false, analyzers: [], runners: [runner] });
const report = setInterval(() => process.stdout.write(`${JSON.stringify(runner.health().details)}\n`), 100);
process.on('SIGTERM', () => {
  clearInterval(report);
  void observer.close().then(async () => {
    await storage.close();
    process.stdout.write(`${JSON.stringify({ final: true, ...runner.health().details })}\n`);
    process.exit(0);
  });
});
