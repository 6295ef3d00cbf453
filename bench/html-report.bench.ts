/// <reference lib="dom" />
/**
 * HTML report benchmark (issue 11): a 50,000-event store (50 sessions of ~1,000 events: a main
 * agent and 4 subagents each, ~330 tool calls with start and end, ~320 LLM calls, 5% failed and 1%
 * blocked tool calls with their alert) rendered by `htmlReport`, then opened in headless Chromium.
 * - size of the page (target ≤ 3 MB);
 * - render in Node: `htmlReport` (query + snapshot + layout), next to the markdown `report()` of
 *   the same observer (reference, same run);
 * - load in Chromium, navigation start to the page's `data-painted` mark (set in the frame after
 *   the first paint that follows load, i.e. when every view is painted; target ≤ 2 s), next to a
 *   plain `<pre>` page of the same byte size (reference, same run). Median of 5 loads each, each
 *   in a fresh tab.
 * Run with `npm run bench -- html`. Needs /usr/bin/chromium (Debian `chromium`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createObserver, type EventInput } from '../src/index.js';
import { htmlReport } from '../src/reports/index.js';

const TOTAL = Number(process.env.EVENTS ?? 50_000);
const TOOLS = ['Read', 'Bash', 'Grep', 'Edit', 'Write', 'Glob', 'WebFetch', 'TodoWrite', 'Task', 'mcp__github__search', 'NotebookEdit', 'WebSearch'];
const MODELS = ['claude-sonnet-4-5', 'claude-opus-4-5', 'claude-haiku-4-5', 'local-llama'];
const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);

/** Deterministic pseudo-random numbers (mulberry32), so every run renders the same page. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function* store(total: number): Generator<EventInput> {
  const random = rng(42);
  const perSession = 1000;
  let emitted = 0;
  for (let s = 0; emitted < total; s++) {
    const sessionId = `session-${String(s).padStart(3, '0')}-${(s * 2654435761 >>> 0).toString(16)}`;
    let t = T0 + s * 3_600_000;
    const base = { sessionId, workflowId: sessionId, source: s % 2 === 0 ? 'claude-code-hooks' : 'claude-code-transcripts' };
    yield { ...base, type: 'session.start', timestamp: t, agentId: 'main', payload: { reason: 'startup' } };
    emitted++;
    const agents = ['main', 'worker-1', 'worker-2', 'worker-3', 'worker-4'];
    const starts = new Map<string, number>();
    for (const [i, a] of agents.entries()) {
      starts.set(a, t + i * 1000);
      yield { ...base, type: 'agent.start', timestamp: t + i * 1000, agentId: a, spanId: (s * 16 + i + 1).toString(16).padStart(16, '0'), payload: { name: a, parentAgentId: i === 0 ? undefined : 'main' } };
      emitted++;
    }
    let n = 0;
    while (n < perSession - 12 && emitted < total - 6) {
      const agent = agents[Math.floor(random() * agents.length)]!;
      t += Math.floor(random() * 2000);
      if (random() < 0.5) {
        const duration = Math.floor(20 + random() ** 3 * 8000);
        const roll = random();
        const status = roll < 0.05 ? 'error' : roll < 0.06 ? 'blocked' : 'success';
        const toolName = TOOLS[Math.floor(random() ** 2 * TOOLS.length)]!;
        const id = `toolu_${s}_${n}`;
        yield { ...base, type: 'tool.start', timestamp: t, agentId: agent, payload: { toolName, toolCallId: id, input: { command: 'x'.repeat(40) } } };
        yield { ...base, type: 'tool.end', timestamp: t + (status === 'blocked' ? 0 : duration), agentId: agent, payload: { toolName, toolCallId: id, status, durationMs: status === 'blocked' ? undefined : duration, error: status === 'success' ? undefined : 'exit code 1: command failed', output: 'y'.repeat(80) } };
        emitted += 2;
        n += 2;
        if (status === 'blocked') {
          yield { ...base, type: 'alert', severity: 'warning', timestamp: t, agentId: agent, payload: { rule: 'guardrail.block', message: `blocked ${toolName}` } };
          emitted++;
          n++;
        }
      } else {
        const model = MODELS[Math.floor(random() ** 2 * MODELS.length)]!;
        yield { ...base, type: 'llm.call', timestamp: t, agentId: agent, payload: { model, status: random() < 0.01 ? 'error' : 'success', latencyMs: Math.floor(300 + random() * 6000), inputTokens: Math.floor(random() * 4000), outputTokens: Math.floor(random() * 1500), cacheReadTokens: Math.floor(random() * 30000) } };
        emitted++;
        n++;
      }
    }
    for (const [i, a] of [...agents.entries()].reverse()) {
      yield { ...base, type: 'agent.end', timestamp: t + 1000, agentId: a, spanId: (s * 16 + i + 1).toString(16).padStart(16, '0'), payload: { name: a, parentAgentId: i === 0 ? undefined : 'main', status: 'success', durationMs: t + 1000 - starts.get(a)! } };
      emitted++;
    }
    yield { ...base, type: 'session.end', timestamp: t + 1000, agentId: 'main', payload: { status: 'success' } };
    emitted++;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(2);

const observer = createObserver({ clock: () => T0 + 60 * 3_600_000, flushTimeoutMs: 120_000 });
const accepted = observer.emitMany(store(TOTAL));
await observer.flush();
console.log(`store: ${accepted.toLocaleString('en-US')} events accepted (memory storage), ${observer.stats().events.invalid} invalid\n`);

const nodeRuns: number[] = [];
const mdRuns: number[] = [];
let html = '';
let markdown = '';
for (let i = 0; i < 3; i++) {
  let start = performance.now();
  markdown = await observer.report();
  mdRuns.push(performance.now() - start);
  start = performance.now();
  html = await htmlReport(observer);
  nodeRuns.push(performance.now() - start);
}
await observer.close();
const bytes = Buffer.byteLength(html);
if (process.env.HTML_OUT) writeFileSync(process.env.HTML_OUT, html);
console.log(`page size: ${mb(bytes)} MiB (${bytes.toLocaleString('en-US')} bytes; target ≤ 3 MB: ${bytes <= 3_000_000 ? 'met' : 'NOT met'}); markdown report ${(Buffer.byteLength(markdown) / 1024).toFixed(0)} KiB`);
console.log(`render in Node (median of 3): htmlReport ${median(nodeRuns).toFixed(0)} ms; markdown report() ${median(mdRuns).toFixed(0)} ms (reference) → ${(median(nodeRuns) / median(mdRuns)).toFixed(1)}×`);

if (process.env.HTML_OUT) process.exit(0);
const dir = mkdtempSync(join(tmpdir(), 'fleetscope-html-bench-'));
const pageFile = join(dir, 'report.html');
const referenceFile = join(dir, 'reference.html');
writeFileSync(pageFile, html);
// Reference: a page of the same byte size with no SVG and no script (plain text in a <pre>).
const filler = 'fleetscope reference line: plain text of the same size as the report, no layout work.\n';
writeFileSync(referenceFile, `<!DOCTYPE html><html><head><meta charset="utf-8"><title>reference</title></head><body><pre>${filler.repeat(Math.ceil(bytes / filler.length)).slice(0, bytes - 120)}</pre><script>requestAnimationFrame(() => requestAnimationFrame(() => { document.documentElement.dataset.painted = String(performance.now()); }));</script></body></html>`);

const { chromium } = await import('playwright-core');
const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1400, height: 900 },
});
async function load(file: string): Promise<{ painted: number; errors: number }> {
  const page = await context.newPage();
  let errors = 0;
  page.on('console', (m) => { if (m.type() === 'error') errors++; });
  page.on('pageerror', () => errors++);
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => document.documentElement.dataset.painted !== undefined, undefined, { timeout: 60_000 });
  // `data-painted` is performance.now(), i.e. ms since the navigation started.
  const painted = Number(await page.evaluate(() => document.documentElement.dataset.painted));
  await page.close();
  return { painted, errors };
}
await load(referenceFile); // warm-up of the browser process
const pageRuns: number[] = [];
const referenceRuns: number[] = [];
let consoleErrors = 0;
for (let i = 0; i < 5; i++) {
  const r = await load(referenceFile);
  referenceRuns.push(r.painted);
  const p = await load(pageFile);
  pageRuns.push(p.painted);
  consoleErrors += p.errors;
}
await context.close();
rmSync(dir, { recursive: true, force: true });
const loadMs = median(pageRuns);
console.log(`Chromium, navigation start → last view painted (median of 5, fresh tab each): report ${loadMs.toFixed(0)} ms [${pageRuns.map((x) => x.toFixed(0)).join(', ')}]; plain page of the same size ${median(referenceRuns).toFixed(0)} ms (reference) → ${(loadMs / median(referenceRuns)).toFixed(1)}×; console errors ${consoleErrors}`);
console.log(`target ≤ 2 s: ${loadMs <= 2000 ? 'met' : 'NOT met'}`);
