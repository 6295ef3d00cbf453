/**
 * One agent host of the fleet example: a workflow's worker agent makes LLM and tool calls under its
 * own observer, which sends every event to Redis Streams (nothing kept locally). Run several at once,
 * on as many machines as you like:
 *
 *   FLEETSCOPE_REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/fleet/host.ts worker-1
 */
import { createObserver } from 'fleetscope';
import { redisStreamExporter } from 'fleetscope/exporters';

const url = process.env.FLEETSCOPE_REDIS_URL;
if (url === undefined) {
  console.error('set FLEETSCOPE_REDIS_URL (npm run fleet:servers prints it)');
  process.exit(1);
}
const name = process.argv[2] ?? `worker-${process.pid}`;
const observer = createObserver({
  storage: false,
  analyzers: [],
  exporters: [redisStreamExporter({ url, stream: 'fleetscope:events' })],
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
await observer.session(process.env.FLEETSCOPE_SESSION ?? 'fleet-run-1', () =>
  // One workflow id shared by every host: the central analysis sees one workflow, one parallelization figure.
  observer.agent({ name, workflowId: process.env.FLEETSCOPE_WORKFLOW ?? 'nightly-research' }, async () => {
    for (let step = 0; step < 5; step++) {
      await observer.llm({ provider: 'anthropic', model: 'claude-sonnet-4-5' }, async () => {
        await sleep(20);
        return { usage: { input_tokens: 1200, output_tokens: 150 } };
      });
      await observer.tool('search', { q: `${name} step ${step}` }, () => sleep(30));
    }
  }),
);
await observer.close(); // drains the exporter's queue to Redis
console.log(`${name}: ${observer.stats().events.accepted} events sent`);
