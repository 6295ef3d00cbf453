/**
 * Memory over a long day (issue 14, point 11): the default observer (`createObserver()`: memory
 * storage and every built-in analyzer) fed 10 M events over 24 simulated hours with 1,000
 * operation names (tools, agents, models), its clock driven by the events. Heap used plus array
 * buffers after a full GC is sampled every tenth of the run; the bound is 64 MB.
 *
 * Configurable so that it can run shorter: `SOAK_EVENTS` (default 10,000,000), `SOAK_HOURS` (24),
 * `SOAK_OPERATIONS` (1,000), `SOAK_ANALYZERS` (`all`; `none`; or a comma list of default analyzers' names, e.g.
 * `aggregation`, to see what each one keeps).
 * `npm run bench -- memory-soak`; e.g. `SOAK_EVENTS=1000000 npm run bench -- memory-soak`.
 */
import { createObserver, defaultAnalyzers, type Analyzer } from '../src/index.js';
import { mb, mulberry32, retainedBytes as measured } from './bench-support.js';

const EVENTS = Number(process.env.SOAK_EVENTS ?? 10_000_000);
const HOURS = Number(process.env.SOAK_HOURS ?? 24);
const OPERATIONS = Number(process.env.SOAK_OPERATIONS ?? 1000);
const ANALYZERS = process.env.SOAK_ANALYZERS ?? 'all';
const BOUND_MB = 64;



// 1,000 names: 70% tools, 20% agents, 10% models.
const toolNames = Array.from({ length: Math.round(OPERATIONS * 0.7) }, (_, i) => `tool_${i}`);
const agentNames = Array.from({ length: Math.round(OPERATIONS * 0.2) }, (_, i) => `agent_${i}`);
const modelNames = Array.from({ length: OPERATIONS - toolNames.length - agentNames.length }, (_, i) => `model-${i}`);

const start = Date.UTC(2026, 0, 1);
const span = HOURS * 3_600_000;
let now = start;
/** `all`: the default set; `none`; or a comma list of names from the default set (for a per-analyzer breakdown). */
const analyzers: Analyzer[] | undefined =
  ANALYZERS === 'all' ? undefined : ANALYZERS === 'none' ? [] : defaultAnalyzers().filter((a) => ANALYZERS.split(',').includes(a.name));
const observer = createObserver({ clock: () => now, sessionId: 'soak', onError: () => {}, ...(analyzers ? { analyzers } : {}) });

const rand = mulberry32(14);
/** A duration in ms: log-uniform between 1 ms and 100 s, so every sketch spans its full range. */
const duration = () => Math.round(Math.exp(rand() * Math.log(100_000)));

const baseline = measured();
const samples: { events: number; hours: number; bytes: number }[] = [];
const wallStart = performance.now();
let emitted = 0;
let session = 0;
while (emitted < EVENTS) {
  now = start + Math.floor((emitted / EVENTS) * span);
  const r = rand();
  const sessionId = `s${session}`;
  if (r < 0.7) {
    const toolName = toolNames[Math.floor(rand() * toolNames.length)]!;
    observer.emit({ type: 'tool.start', sessionId, payload: { toolName } });
    observer.emit({ type: 'tool.end', sessionId, payload: { toolName, status: rand() < 0.05 ? 'error' : 'success', durationMs: duration() } });
    emitted += 2;
  } else if (r < 0.9) {
    const model = modelNames[Math.floor(rand() * modelNames.length)]!;
    observer.emit({
      type: 'llm.call',
      sessionId,
      payload: { model, provider: 'anthropic', status: 'success', latencyMs: duration(), inputTokens: 1000, outputTokens: 200 },
    });
    emitted += 1;
  } else {
    const name = agentNames[Math.floor(rand() * agentNames.length)]!;
    observer.emit({ type: 'agent.start', sessionId, agentId: name, payload: { name } });
    observer.emit({ type: 'agent.end', sessionId, agentId: name, payload: { name, status: 'success', durationMs: duration() } });
    emitted += 2;
  }
  if (emitted % 2000 < 2) {
    if (rand() < 0.05) session++;
    // Let the analyzers and the store read (a host's agent work yields like this).
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (samples.length < 10 && emitted >= ((samples.length + 1) * EVENTS) / 10) {
    await observer.flush();
    samples.push({ events: emitted, hours: (now - start) / 3_600_000, bytes: measured() - baseline });
  }
}
await observer.flush();
const wallS = (performance.now() - wallStart) / 1000;
const peak = Math.max(...samples.map((s) => s.bytes));
const last = samples[samples.length - 1]!;
const stats = observer.stats();

const results: Record<string, string> = {
  'setting': `${EVENTS.toLocaleString('en-US')} events over ${HOURS} simulated h, ${OPERATIONS} operation names, analyzers: ${ANALYZERS === 'all' ? 'the default set' : ANALYZERS}`,
  'events accepted / invalid': `${stats.events.accepted.toLocaleString('en-US')} / ${stats.events.invalid}`,
  'heap + array buffers after GC, growth over baseline, by tenth of the run (MB)': samples.map((s) => mb(s.bytes)).join(' '),
  'peak growth (MB)': `${mb(peak)} (bound ${BOUND_MB} MB: ${peak <= BOUND_MB * 2 ** 20 ? 'met' : 'NOT met'})`,
  'growth over the last half (MB)': mb(last.bytes - samples[Math.floor(samples.length / 2) - 1]!.bytes),
  'wall time (s)': wallS.toFixed(1),
  'events/s (emit + every consumer)': Math.round(EVENTS / wallS).toLocaleString('en-US'),
};
await observer.close();
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(78)}  ${v}`);
