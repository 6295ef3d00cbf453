/**
 * The default observer with its caps filled (issue 14, point 11): where memory-soak.bench.ts
 * measures an ordinary long day, this feeds what each default cap allows at most, one phase per
 * cap, and measures heap used + array buffers after a full GC, growth over the baseline, after each
 * phase. Phases (cumulative):
 *  - storage: 100,000 events of ~170 bytes of unique payload (memoryStorage's `capacity` and
 *    `maxBytes` both reached);
 *  - operations: 300 tool, agent and model names each (past every `maxOperations`), 40 latencies
 *    log-uniform over 1 ms–24 h per name in each of 12 five-minute slots (window sketches dense
 *    while `maxSketchBytes` has room, cumulative sketches wide);
 *  - workflows: 300 workflows of 250 agent executions (past `maxWorkflows` and
 *    `maxExecutionsPerWorkflow`);
 *  - sessions: 1,100 sessions of 550 distinct tool calls, each failing with its own message (past
 *    patterns' `maxSessions`, `maxCallsPerSession`, `maxMessages`);
 *  - open spans: 12,000 tool calls started and never ended (past `maxOpenSpans`).
 * `npm run bench -- memory-caps`; `CAPS_ANALYZERS=none` (or a comma list of default analyzers' names) to
 * see what the store or each analyzer keeps.
 */
import { createObserver, defaultAnalyzers, type Analyzer, type EventInput } from '../src/index.js';
import { mb, mulberry32, retainedBytes as measured } from './bench-support.js';

const BOUND_MB = 64;

const start = Date.UTC(2026, 0, 1);
let now = start;
const ANALYZERS = process.env.CAPS_ANALYZERS ?? 'all';
const analyzers: Analyzer[] | undefined =
  ANALYZERS === 'all' ? undefined : ANALYZERS === 'none' ? [] : defaultAnalyzers().filter((a) => ANALYZERS.split(',').includes(a.name));
const observer = createObserver({ clock: () => now, sessionId: 'caps', onError: () => {}, ...(analyzers ? { analyzers } : {}) });
const rand = mulberry32(15);
const hex = (n: number) => n.toString(16).padStart(16, '0');
let spans = 0;
let emitted = 0;

async function emit(event: EventInput): Promise<void> {
  observer.emitMany([event]);
  if (++emitted % 2000 === 0) await new Promise((resolve) => setImmediate(resolve));
}

async function storagePhase(): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    await emit({ type: 'myapp.note', sessionId: `n${i % 50}`, payload: { text: `${i}:${rand().toString(36)}`.padEnd(150, String.fromCharCode(97 + (i % 26))) } });
  }
}

async function operationsPhase(): Promise<void> {
  const duration = () => Math.exp(rand() * Math.log(86_400_000));
  for (let slot = 0; slot < 12; slot++) {
    now = start + 3_600_000 + slot * 300_000;
    for (let name = 0; name < 300; name++) {
      for (let k = 0; k < 40; k++) {
        await emit({ type: 'tool.end', timestamp: now, sessionId: 'ops', payload: { toolName: `tool_${name}`, status: 'success', durationMs: duration() } });
        await emit({ type: 'agent.end', timestamp: now, sessionId: 'ops', agentId: `agent_${name}`, payload: { name: `agent_${name}`, status: 'success', durationMs: duration() } });
        await emit({ type: 'llm.call', timestamp: now, sessionId: 'ops', payload: { model: `model-${name}`, status: 'success', latencyMs: duration(), inputTokens: 100, outputTokens: 10 } });
      }
    }
  }
}

async function workflowsPhase(): Promise<void> {
  for (let w = 0; w < 300; w++) {
    const workflowId = `wf${w}`;
    for (let e = 0; e < 250; e++) {
      now += 10;
      const spanId = hex(++spans);
      const agentId = `wa${e % 20}`;
      await emit({ type: 'agent.start', sessionId: `ws${w}`, workflowId, agentId, spanId, payload: { name: agentId } });
      await emit({ type: 'agent.end', sessionId: `ws${w}`, workflowId, agentId, spanId, payload: { name: agentId, status: 'success', durationMs: 5 } });
    }
  }
}

async function sessionsPhase(): Promise<void> {
  for (let s = 0; s < 1100; s++) {
    for (let c = 0; c < 550; c++) {
      now += 1;
      await emit({ type: 'tool.end', sessionId: `ps${s}`, payload: { toolName: 'Read', input: { file: `f${s}_${c}` }, status: 'error', durationMs: 3, error: `no such file f${s}_${c} in q${c % 97}` } });
    }
  }
}

async function openSpansPhase(): Promise<void> {
  for (let i = 0; i < 12_000; i++) await emit({ type: 'tool.start', sessionId: 'open', spanId: hex(++spans), payload: { toolName: 'Bash' } });
}

const baseline = measured();
const rows: [string, string][] = [];
for (const [name, phase] of [
  ['storage', storagePhase],
  ['operations', operationsPhase],
  ['workflows', workflowsPhase],
  ['sessions', sessionsPhase],
  ['open spans', openSpansPhase],
] as const) {
  const t = performance.now();
  await phase();
  await observer.flush();
  observer.snapshot();
  rows.push([`after ${name} (${emitted.toLocaleString('en-US')} events, ${((performance.now() - t) / 1000).toFixed(0)} s)`, `${mb(measured() - baseline)} MB`]);
}
console.log(`analyzers: ${ANALYZERS === 'all' ? 'the default set' : ANALYZERS}`);
const aggregation = observer.snapshot().aggregation as { dataQuality?: { sketchBytes?: number; sampledSlots?: number } } | undefined;
rows.push(['aggregation sketch bytes / sampled slots', `${mb(aggregation?.dataQuality?.sketchBytes ?? 0)} MB / ${aggregation?.dataQuality?.sampledSlots ?? 0}`]);
rows.push(['storage', JSON.stringify(observer.stats().storage)]);
rows.push(['events dropped by a lagging consumer', `${observer.stats().dropped}`]);
const peak = measured() - baseline;
rows.push(['growth with every cap filled (MB)', `${mb(peak)} (${BOUND_MB} MB: ${peak <= BOUND_MB * 2 ** 20 ? 'under' : 'OVER'})`]);
await observer.close();
for (const [k, v] of rows) console.log(`${k.padEnd(60)}  ${v}`);
