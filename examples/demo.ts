/**
 * fleetscope demo: a simulated multi-agent workflow, observed with the public API only.
 *
 *   npm run demo                 # writes fleetscope-report.md
 *   npm run demo -- out/report.md
 *
 * A planner fans out to parallel workers (researchers, a coder, a reviewer); they call tools
 * (one flaky, one slow) and LLMs (Anthropic-shaped responses with cache tokens, plus one
 * self-hosted model that has no price). Everything random comes from a seeded PRNG, so each run
 * makes the same calls with the same tokens; only the measured durations vary a little.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createObserver, defineAnalyzer, type Observer } from 'fleetscope';
import { defaultAnalyzers, type AggregationSnapshot, type CostSnapshot, type InsightsSnapshot } from 'fleetscope/analyzers';
import { jsonlExporter } from 'fleetscope/exporters';

// ── Deterministic randomness ─────────────────────────────────────────────────────────────

/** mulberry32: a tiny seeded PRNG, good enough for a simulation. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

// ── Simulated world ──────────────────────────────────────────────────────────────────────

interface World {
  observer: Observer;
  seed: number;
  /** This agent's own PRNG: parallel agents never share one, so the draws do not depend on timing. */
  random: () => number;
  /** Multiplies the latency of `fetch_url` (it was twice as fast last week). */
  slowdown: number;
}

/** A world whose PRNG is seeded by `label` (FNV-1a) and the run's seed. */
function fork(world: World, label: string): World {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return { ...world, random: prng((h ^ world.seed) >>> 0) };
}

const between = (random: () => number, low: number, high: number) => Math.round(low + random() * (high - low));

/** An Anthropic Messages API response, as the SDK returns it. */
function anthropicResponse(world: World, model: string, text: string, size: number) {
  const { random } = world;
  return {
    id: `msg_${Math.floor(random() * 1e16).toString(36)}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: between(random, 200, 1200) * size,
      output_tokens: between(random, 150, 700) * size,
      cache_creation_input_tokens: random() < 0.3 ? between(random, 1000, 4000) : 0,
      cache_read_input_tokens: between(random, 2000, 12000),
    },
  };
}

async function callModel(world: World, model: string, purpose: string, size = 1) {
  return world.observer.llm({ model, provider: 'anthropic' }, async () => {
    await sleep(between(world.random, 4, 12));
    return anthropicResponse(world, model, `(${purpose})`, size);
  });
}

/** A self-hosted model answering in the OpenAI Chat Completions shape; it has no list price. */
async function callRouter(world: World, question: string) {
  return world.observer.llm({ model: 'llama-3.1-8b-instruct', provider: 'vllm' }, async () => {
    await sleep(2);
    return {
      id: `chatcmpl-${question.length}`,
      object: 'chat.completion',
      model: 'llama-3.1-8b-instruct',
      choices: [{ index: 0, message: { role: 'assistant', content: 'researcher' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 180 + question.length, completion_tokens: 12, total_tokens: 192 + question.length },
    };
  });
}

async function tool<T>(world: World, name: string, input: unknown, ms: number, fail: boolean, value: T): Promise<T> {
  return world.observer.tool(name, input, async () => {
    await sleep(name === 'fetch_url' ? ms * world.slowdown : ms);
    if (fail) throw new Error(`${name}: upstream returned 503 Service Unavailable`);
    return value;
  });
}

async function researcher(parent: World, index: number, topic: string) {
  const world = fork(parent, `researcher-${index}:${topic}`);
  return world.observer.agent({ name: `researcher-${index}`, agentType: 'researcher', input: { topic } }, async () => {
    const { random } = world;
    await callRouter(world, topic);
    const hits = await tool(world, 'web_search', { query: `${topic} #${index}` }, between(random, 8, 20), false, [`https://example.org/${index}`]);
    // The slow tool: fetching a page takes far longer than anything else.
    await tool(world, 'fetch_url', { url: hits[0] }, between(random, 150, 220), false, '<html>…</html>');
    // The same file read again and again: a repeated identical call.
    for (let i = 0; i < 3; i++) await tool(world, 'read_file', { path: 'docs/notes.md' }, 3, false, '# notes');
    await callModel(world, 'claude-haiku-4-5', `summarize ${topic}`);
    return `notes on ${topic}`;
  });
}

async function coder(parent: World, task: string) {
  const world = fork(parent, `coder:${task}`);
  return world.observer.agent({ name: 'coder', agentType: 'coder' }, async () => {
    const { random } = world;
    await callModel(world, 'claude-sonnet-4-5', 'write the patch', 2);
    await tool(world, 'write_file', { path: 'src/feature.ts' }, 5, false, 'ok');
    // A flaky tool: the test runner's upstream fails about 70% of the time.
    let passed = false;
    for (let attempt = 0; attempt < 3 && !passed; attempt++) {
      try {
        await tool(world, 'run_tests', { suite: 'unit', attempt }, between(random, 10, 25), random() < 0.7, 'pass');
        passed = true;
      } catch {
        // Retry: a retry loop is one of the patterns the analyzers look for.
      }
    }
    if (!passed) throw new Error('coder: tests never passed');
    return 'patch ready';
  });
}

async function reviewer(parent: World, task: string) {
  const world = fork(parent, `reviewer:${task}`);
  return world.observer.agent({ name: 'reviewer', agentType: 'reviewer' }, async () => {
    // Once, the reviewer reads a huge generated file: an anomaly against ~40 quick reads.
    const huge = task === 'audit log';
    await tool(world, 'read_file', { path: huge ? 'dist/bundle.js' : 'src/feature.ts' }, huge ? 90 : 3, false, 'export {}');
    await callModel(world, 'claude-sonnet-4-5', 'review the patch');
    return 'approved';
  });
}

/** One task: a planner plans, fans out to four workers (in parallel, or one by one), then answers. */
async function runTask(parent: World, task: string, sequential = false) {
  const world = fork(parent, `planner:${task}`);
  const { observer } = world;
  return observer.workflow({ name: sequential ? 'feature-legacy' : 'feature' }, () =>
    observer.agent({ name: 'planner', agentType: 'planner', input: { task } }, async () => {
      await callModel(world, 'claude-sonnet-4-5', `plan ${task}`);
      const workers = [
        () => researcher(world, 1, `${task} prior art`),
        () => researcher(world, 2, `${task} api`),
        () => coder(world, task).catch((error: Error) => `failed: ${error.message}`),
        () => reviewer(world, task),
      ];
      const results: unknown[] = [];
      // The legacy planner waits for each worker before starting the next: low parallelization.
      if (sequential) for (const worker of workers) results.push(await worker());
      else results.push(...(await Promise.all(workers.map((worker) => worker()))));
      await callModel(world, 'claude-opus-4-1', `final answer for ${task}`);
      return results;
    }),
  );
}

async function runSessions(world: World, tasks: readonly string[], prefix: string) {
  for (const [index, task] of tasks.entries()) {
    const sequential = index === tasks.length - 1 && prefix === 'today';
    await world.observer.session({ id: `${prefix}-session-${index + 1}`, name: task }, () => runTask(world, task, sequential));
  }
}

// ── A custom analyzer: a few lines on top of a built-in's snapshot ──────────────────────

/** Flags agents that send short answers to the most expensive model: a routing opportunity. */
function modelRoutingAnalyzer() {
  const emitted = new Set<string>();
  return defineAnalyzer({
    name: 'model-routing',
    dependsOn: ['cost'],
    filter: { types: ['llm.call'] },
    onBatch(_batch, context) {
      const cost = context.snapshotOf<CostSnapshot>('cost');
      for (const [model, entry] of Object.entries(cost?.byModel ?? {})) {
        const outputPerCall = entry.tokens.output / Math.max(1, entry.calls);
        if (!model.includes('opus') || entry.calls < 3 || outputPerCall > 2000 || emitted.has(model)) continue;
        emitted.add(model);
        context.emit({
          type: 'insight',
          payload: {
            rule: 'demo.model_routing',
            title: `${model} writes short answers (${Math.round(outputPerCall)} output tokens per call)`,
            category: 'cost',
            priority: 'medium',
            confidence: 0.7,
            recommendation: `Route these calls to claude-sonnet-4-5: same answers at a fifth of the price ($${entry.costUsd.toFixed(4)} so far on ${model}).`,
            evidence: { model, calls: entry.calls, outputPerCall: Math.round(outputPerCall), costUsd: entry.costUsd, impact: `≈ ${(entry.costUsd * 0.8).toFixed(4)} USD saved so far`, effort: 'low' },
          },
        });
      }
    },
    snapshot: () => ({ flagged: [...emitted] }),
  });
}

// ── Main ─────────────────────────────────────────────────────────────────────────────────

const TASKS = ['add rate limiting', 'fix login bug', 'export csv', 'dark mode', 'search filters', 'audit log'];
const WEEK = 7 * 24 * 3600 * 1000;

async function main() {
  const out = resolve(process.argv[2] ?? 'fleetscope-report.md');
  // Every event of today's run, one JSON object per line (what `fleetscope` tools and `jq` read).
  const eventsFile = join(dirname(out), 'fleetscope-events.jsonl');
  rmSync(eventsFile, { force: true });
  const baselinePath = join(mkdtempSync(join(tmpdir(), 'fleetscope-demo-')), 'baselines.json');
  const started = performance.now();

  // 1. "Last week": the same workflow, faster tools; its baselines are saved when it closes.
  const lastWeek = createObserver({
    sessionId: 'last-week',
    clock: () => Date.now() - WEEK,
    analyzers: defaultAnalyzers({ regressions: { baselinePath, saveOnClose: true } }),
  });
  await runSessions({ observer: lastWeek, seed: 7, random: prng(7), slowdown: 0.5 }, TASKS, 'last-week');
  await lastWeek.close();

  // 2. Today: tools got slower; compared with last week's baselines, with a session budget
  //    and a custom analyzer next to the built-in ones.
  const observer = createObserver({
    sessionId: 'today',
    analyzers: [
      ...defaultAnalyzers({
        regressions: { baselinePath },
        cost: { budgets: { perSessionUsd: 0.14 } },
        // The simulation runs in milliseconds, so the slow-operation thresholds are scaled down
        // (defaults: mean > 5 s or p95 > 10 s; workflows shorter than 1 s are not judged).
        bottlenecks: { slowMeanMs: 120, slowP95Ms: 250, minWorkflowMs: 50 },
      }),
      modelRoutingAnalyzer(),
    ],
    exporters: [jsonlExporter({ path: eventsFile })],
  });
  // The host's own view of the stream: a synchronous listener on alerts.
  const alerts: string[] = [];
  observer.on('alert', (event) => void alerts.push(event.payload.message));

  await runSessions({ observer, seed: 42, random: prng(42), slowdown: 1 }, TASKS, 'today');

  const report = await observer.report({ title: 'fleetscope demo report' });
  writeFileSync(out, report);
  const stats = observer.stats();
  const snapshots = observer.snapshot();
  await observer.close();

  const cost = snapshots.cost as CostSnapshot;
  const insights = snapshots.insights as InsightsSnapshot;
  const findings = Object.values(snapshots).reduce<number>((n, s) => n + (((s as { findings?: unknown[] }).findings)?.length ?? 0), 0);
  const errors = Object.values((snapshots.aggregation as AggregationSnapshot).cumulative.tools).reduce((n, t) => n + t.errors, 0);
  const t = cost.tokens;
  console.log('fleetscope demo');
  console.log(`  events      ${stats.events.accepted} accepted, ${stats.events.invalid} invalid, ${stats.dropped} dropped`);
  console.log(`  errors      ${errors} failed tool calls`);
  console.log(`  tokens      ${(t.input + t.output + t.cacheRead + t.cacheWrite).toLocaleString('en-US')} (${t.cacheRead.toLocaleString('en-US')} from cache)`);
  console.log(`  cost        $${cost.totalUsd.toFixed(4)} known, ${cost.unpricedCalls} unpriced calls (${cost.unpriced.map((u) => u.model).join(', ')})`);
  console.log(`  alerts      ${alerts.length}: ${alerts[0] ?? ''}`);
  console.log(`  findings    ${findings} → ${insights.insights.length} insights (${insights.byPriority.critical} critical, ${insights.byPriority.high} high)`);
  console.log(`  report      ${out}`);
  console.log(`  event log   ${eventsFile}`);
  console.log(`  took        ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`  look at it  npm run fleetscope -- sessions --jsonl ${relative(process.cwd(), eventsFile)}   (or trace, report --html)`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
