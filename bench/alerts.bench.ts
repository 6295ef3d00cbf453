/**
 * Alerts benchmark (issue 12, part 2). Three figures:
 *
 * 1. Latency: time from the `emit` of the event that completes a trigger (the 5th failed tool call
 *    of a burst) to the `alert` event on the bus, with the default analyzers + the alert engine
 *    running and the host emitting the demo mix at 100,000 events/s (chunks of 1,000 every 10 ms,
 *    real clock). A burst is injected every 250 ms, each on its own tool name so each raises a new
 *    alert. Target p99 ≤ 100 ms. Reference: the same run's emit → the last analyzer receiving the
 *    triggering event (the pipeline's delivery time through every analyzer).
 * 2. False positives on 1,000,000 events of healthy traffic with realistic jitter (simulated
 *    time): 8 agents in 40 sessions, each calling a tool every ~4 s (exponential gaps), durations
 *    log-normal, 1% of tool calls failing at random, LLM calls with jittered tokens; default alert
 *    rules. Target 0 alerts.
 * 3. A labelled mixed scenario: the same background plus labelled incidents (error bursts in one
 *    session, an agent stalled 15 min, a tool failing 90% for 6 min, guardrail blocks) and labelled
 *    near misses (4 failures in 30 s, an agent paused 8 min, 40% failures on a tool). Each firing
 *    is matched to an incident (same rule and label, within its time span + 2 min); the rest are
 *    false positives. Target false-positive rate < 5%. Also reported: recall and time to detect.
 *
 * `npm run bench -- alerts`. FP_EVENTS=200000 shortens runs 2 and 3.
 */
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { createObserver, type EventInput, type EventOf } from '../src/index.js';
import { alertsAnalyzer, defaultAnalyzers, defineAnalyzer, DEFAULT_ALERT_RULES, type AlertRule } from '../src/analyzers/index.js';
import { hostBuilt } from './analyzer-mix.js';
import { mulberry32 } from './bench-support.js';

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
};

// ── 1. Latency at 100k events/s ─────────────────────────────────────────────────────────
async function latency(): Promise<void> {
  const trigger: AlertRule = {
    kind: 'threshold',
    name: 'bench_burst',
    measure: 'count',
    where: { types: ['tool.end'], status: 'error' },
    windowMs: 30_000,
    value: 5,
    groupBy: ['toolName'],
  };
  const alerts = alertsAnalyzer({ rules: [...DEFAULT_ALERT_RULES, trigger] });
  const emittedAt = new Map<string, number>();
  // Reference: when the last analyzer receives the triggering event (the pipeline's delivery time through all of them).
  const delivery: number[] = [];
  const probe = defineAnalyzer({
    name: 'probe',
    filter: { types: ['tool.end'] },
    onEvent: (e) => {
      const t0 = emittedAt.get((e.payload as { toolName?: string }).toolName ?? '');
      if (t0 !== undefined && (e.payload as { status?: string }).status === 'error' && (e.attributes as { last?: boolean } | undefined)?.last === true) delivery.push(performance.now() - t0);
    },
    snapshot: () => ({}),
  });
  // As a host turns it on: `alerts: { engine }` puts the engine first among the analyzers.
  const observer = createObserver({ storage: false, alerts: { engine: alerts }, analyzers: [...defaultAnalyzers(), probe], flushTimeoutMs: 60_000 });
  const latencies: number[] = [];
  observer.on('alert', (e) => {
    const p = (e as EventOf<'alert'>).payload;
    if (p.rule !== 'bench_burst' || p.state !== 'firing') return;
    const t0 = emittedAt.get(p.labels?.toolName ?? '');
    if (t0 !== undefined) latencies.push(performance.now() - t0);
  });
  // Where the tail comes from: event-loop stalls (a long task holds every consumer back) and GC pauses.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push(entry.duration);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const mix = hostBuilt();
  const RATE = 100_000;
  const CHUNK = 1000;
  const SECONDS = Number(process.env.LATENCY_SECONDS ?? 12);
  const total = RATE * SECONDS;
  let sent = 0;
  let bursts = 0;
  const start = performance.now();
  let nextBurstAt = start + 250;
  while (sent < total) {
    const now = Date.now();
    for (let i = 0; i < CHUNK; i++) {
      const e = mix(sent + i) as EventInput & { timestamp: number; payload: Record<string, unknown> };
      e.timestamp = now;
      // healthy background: the mix's own failures would be bursts of their own
      if (e.type === 'tool.end') e.payload = { ...e.payload, status: 'success', error: undefined };
      observer.emit(e);
    }
    sent += CHUNK;
    if (performance.now() >= nextBurstAt) {
      nextBurstAt += 250;
      const toolName = `trigger-${++bursts}`;
      for (let j = 0; j < 5; j++) {
        if (j === 4) emittedAt.set(toolName, performance.now());
        observer.emit({ type: 'tool.end', sessionId: `burst-${bursts}`, ...(j === 4 ? { attributes: { last: true } } : {}), payload: { toolName, status: 'error', error: 'boom' } });
      }
    }
    // pace to 100k events/s: the next chunk is due at start + sent / RATE
    const due = start + (sent / RATE) * 1000;
    const wait = due - performance.now();
    await new Promise<void>((resolve) => (wait > 1 ? setTimeout(resolve, wait) : setImmediate(resolve)));
  }
  const elapsed = (performance.now() - start) / 1000;
  loopDelay.disable();
  gcObserver.disconnect();
  await observer.flush();
  const dropped = observer.stats().dropped;
  await observer.close();
  console.log('### 1. emit → alert latency, default analyzers + alert engine, demo mix at 100k events/s\n');
  console.log(`  sent ${fmt(sent, 0)} events in ${fmt(elapsed, 2)} s = ${fmt(sent / elapsed, 0)} events/s; ${bursts} bursts, ${latencies.length} alerts; dropped ${dropped}`);
  console.log(`  emit → alert on the bus: p50 ${fmt(quantile(latencies, 0.5), 2)} ms, p99 ${fmt(quantile(latencies, 0.99), 2)} ms, max ${fmt(Math.max(...latencies), 2)} ms`);
  console.log(`  reference, emit → the last analyzer receives the event: p50 ${fmt(quantile(delivery, 0.5), 2)} ms, p99 ${fmt(quantile(delivery, 0.99), 2)} ms (${delivery.length} samples)`);
  console.log(`  event-loop delay: p99 ${fmt(loopDelay.percentile(99) / 1e6, 1)} ms, max ${fmt(loopDelay.max / 1e6, 1)} ms; GC pauses: ${gcPauses.length}, longest ${fmt(Math.max(0, ...gcPauses), 1)} ms, total ${fmt(gcPauses.reduce((a, b) => a + b, 0), 0)} ms`);
  console.log(`  load average during the run: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`  target p99 ≤ 100 ms: ${quantile(latencies, 0.99) <= 100 && latencies.length === bursts ? 'met' : 'NOT met'}\n`);
}

// ── 2 and 3. Simulated traffic ─────────────────────────────────────────────────────────


const TOOLS = ['Read', 'Edit', 'Bash', 'Grep', 'WebFetch'];
const AGENTS = Array.from({ length: 8 }, (_, i) => `agent-${i}`);

interface Incident {
  rule: string;
  label: string;
  value: string;
  from: number;
  to: number;
  detectedAt?: number;
}

interface Scenario {
  /** Per agent: ms during which it emits nothing. */
  pauses: { agent: string; from: number; to: number }[];
  /** Extra failed tool calls: [time, sessionId, toolName]. */
  failures: [number, string, string][];
  /** Tools failing with probability p during [from, to). */
  brokenTools: { tool: string; p: number; from: number; to: number }[];
  blocks: [number, string][];
  incidents: Incident[];
}

/**
 * Healthy traffic in simulated time: each agent calls a tool every Exp(4 s), in one of 5 sessions
 * of its own; each call is tool.start, tool.end (1% errors, log-normal duration), llm.call.
 */
async function simulate(events: number, scenario: Scenario, seed: number) {
  const random = mulberry32(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const t0 = Date.UTC(2026, 0, 1);
  let now = t0;
  const alerts = alertsAnalyzer({ evaluateIntervalMs: 3_600_000 });
  const observer = createObserver({ storage: false, clock: () => now, analyzers: [...defaultAnalyzers(), alerts], flushTimeoutMs: 60_000 });
  const fired: EventOf<'alert'>[] = [];
  observer.on('alert', (e) => {
    if ((e as EventOf<'alert'>).payload.state === 'firing' && !(e as EventOf<'alert'>).payload.acknowledged) fired.push(e as EventOf<'alert'>);
  });
  // next call time per agent
  const next = AGENTS.map(() => t0 + random() * 4000);
  const extra = [...scenario.failures].sort((a, b) => a[0] - b[0]);
  const blocks = [...scenario.blocks].sort((a, b) => a[0] - b[0]);
  let sent = 0;
  let sinceEval = 0;
  while (sent < events) {
    // the agent due first
    let a = 0;
    for (let i = 1; i < AGENTS.length; i++) if (next[i]! < next[a]!) a = i;
    const t = next[a]!;
    next[a] = t + -Math.log(1 - random()) * 4000;
    while (extra.length > 0 && extra[0]![0] <= t) {
      const [ft, sessionId, toolName] = extra.shift()!;
      now = ft;
      observer.emit({ type: 'tool.end', timestamp: ft, sessionId, agentId: 'agent-0', payload: { toolName, status: 'error', error: 'injected' } });
      sent++;
    }
    while (blocks.length > 0 && blocks[0]![0] <= t) {
      const [bt, rule] = blocks.shift()!;
      now = bt;
      observer.emit({ type: 'guardrail.decision', timestamp: bt, agentId: 'agent-0', payload: { rule, action: 'block', reason: 'injected', toolName: 'Bash', inputHash: '0'.repeat(64) } });
      sent++;
    }
    const agentId = AGENTS[a]!;
    if (scenario.pauses.some((p) => p.agent === agentId && t >= p.from && t < p.to)) continue;
    now = t;
    const sessionId = `${agentId}-s${Math.floor(random() * 5)}`;
    const toolName = TOOLS[Math.floor(random() * TOOLS.length)]!;
    const broken = scenario.brokenTools.find((b) => b.tool === toolName && t >= b.from && t < b.to);
    const failed = random() < (broken?.p ?? 0.01);
    const durationMs = Math.round(Math.exp(5 + 0.6 * gaussian()));
    observer.emit({ type: 'tool.start', timestamp: t, sessionId, agentId, payload: { toolName } });
    observer.emit({ type: 'tool.end', timestamp: t + durationMs, sessionId, agentId, payload: { toolName, status: failed ? 'error' : 'success', durationMs, ...(failed ? { error: 'exit 1' } : {}) } });
    observer.emit({
      type: 'llm.call', timestamp: t + durationMs + 5, sessionId, agentId,
      payload: { model: 'claude-sonnet-4-5', status: 'success', inputTokens: Math.round(2000 * Math.exp(0.4 * gaussian())), outputTokens: Math.round(300 * Math.exp(0.5 * gaussian())), latencyMs: Math.round(Math.exp(7 + 0.4 * gaussian())) },
    });
    sent += 3;
    sinceEval += 3;
    // The engine's periodic evaluation, in simulated time (every 20 calls ≈ 10 simulated seconds),
    // once the analyzers have read what was emitted (as the 1-s timer finds them in a live host).
    if (sinceEval >= 60) {
      sinceEval = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
      alerts.evaluate();
    }
  }
  await observer.flush();
  alerts.evaluate();
  await observer.flush();
  const simulatedHours = (now - t0) / 3_600_000;
  await observer.close();
  return { fired, simulatedHours, t0 };
}

const noScenario = (): Scenario => ({ pauses: [], failures: [], brokenTools: [], blocks: [], incidents: [] });

async function falsePositives(events: number) {
  const { fired, simulatedHours } = await simulate(events, noScenario(), 42);
  console.log(`### 2. false positives on ${fmt(events, 0)} events of healthy traffic (default rules)\n`);
  console.log(`  ${fmt(simulatedHours, 1)} simulated hours, 8 agents, 40 sessions, tool call every Exp(4 s) per agent, 1% failures, log-normal durations`);
  console.log(`  alerts fired: ${fired.length}${fired.length > 0 ? ` (${[...new Set(fired.map((f) => f.payload.rule))].join(', ')})` : ''}`);
  console.log(`  target 0: ${fired.length === 0 ? 'met' : 'NOT met'}\n`);
}

async function labelled(events: number) {
  const t0 = Date.UTC(2026, 0, 1);
  const H = 3_600_000;
  const M = 60_000;
  const s: Scenario = noScenario();
  const hours = events / 3 / (8 / 4) / 3600; // calls per second = 8 agents / 4 s
  let k = 0;
  // one incident or near miss every 40 simulated minutes, kinds in turn
  for (let t = t0 + H; t < t0 + (hours - 1) * H; t += 40 * M, k++) {
    switch (k % 7) {
      case 0: {
        // error burst: 6 failures in 20 s in one session → tool_failures_burst
        const session = `burst-${k}`;
        for (let i = 0; i < 6; i++) s.failures.push([t + i * 4000, session, 'Bash']);
        s.incidents.push({ rule: 'tool_failures_burst', label: 'sessionId', value: session, from: t, to: t + 20_000 + 30_000 });
        break;
      }
      case 1: {
        // near miss: 4 failures in 30 s in one session (must not fire)
        for (let i = 0; i < 4; i++) s.failures.push([t + i * 7000, `near-${k}`, 'Bash']);
        break;
      }
      case 2: {
        // stalled agent: 15 min without an event → agent_stalled
        const agent = AGENTS[k % 8]!;
        s.pauses.push({ agent, from: t, to: t + 15 * M });
        s.incidents.push({ rule: 'agent_stalled', label: 'agentId', value: agent, from: t, to: t + 15 * M + 60_000 });
        break;
      }
      case 3: {
        // near miss: an agent paused 8 min (must not fire)
        s.pauses.push({ agent: AGENTS[(k + 3) % 8]!, from: t, to: t + 8 * M });
        break;
      }
      case 4: {
        // a tool failing 90% of its calls for 6 min → tool_error_ratio
        s.brokenTools.push({ tool: 'WebFetch', p: 0.9, from: t, to: t + 6 * M });
        s.incidents.push({ rule: 'tool_error_ratio', label: 'toolName', value: 'WebFetch', from: t, to: t + 6 * M + 5 * M });
        break;
      }
      case 5: {
        // near miss: a tool failing 40% of its calls for 6 min (under the 50% threshold)
        s.brokenTools.push({ tool: 'Grep', p: 0.4, from: t, to: t + 6 * M });
        break;
      }
      default: {
        s.blocks.push([t, 'rm-rf-root-or-home']);
        s.incidents.push({ rule: 'guardrail_block', label: 'rule', value: 'rm-rf-root-or-home', from: t, to: t + 1000 });
      }
    }
  }
  const { fired } = await simulate(events, s, 7);
  let falsePositive = 0;
  const unmatched: string[] = [];
  for (const f of fired) {
    const p = f.payload;
    const at = p.startsAt ?? f.timestamp;
    const incident = s.incidents.find((i) => i.rule === p.rule && p.labels?.[i.label] === i.value && at >= i.from && at <= i.to + 2 * M);
    if (incident === undefined) {
      falsePositive++;
      if (unmatched.length < 5) unmatched.push(`${p.rule} ${JSON.stringify(p.labels)} at +${fmt((at - t0) / M, 1)} min`);
    } else if (incident.detectedAt === undefined) {
      incident.detectedAt = at;
    }
  }
  const detected = s.incidents.filter((i) => i.detectedAt !== undefined);
  const ttd = detected.map((i) => i.detectedAt! - i.from);
  console.log(`### 3. labelled mixed scenario (${fmt(events, 0)} events; default rules)\n`);
  console.log(`  ${s.incidents.length} incidents (error bursts, stalled agents, a tool failing 90%, guardrail blocks) and ${k - s.incidents.length} near misses (4 failures in 30 s, 8-min pauses, a tool failing 40%)`);
  console.log(`  alerts fired ${fired.length}: ${fired.length - falsePositive} true, ${falsePositive} false${unmatched.length > 0 ? ` (e.g. ${unmatched.join('; ')})` : ''}`);
  console.log(`  false-positive rate ${fmt((100 * falsePositive) / Math.max(1, fired.length), 2)}% (target < 5%: ${falsePositive / Math.max(1, fired.length) < 0.05 ? 'met' : 'NOT met'}); recall ${detected.length}/${s.incidents.length}`);
  for (const rule of ['tool_failures_burst', 'agent_stalled', 'tool_error_ratio', 'guardrail_block']) {
    const own = s.incidents.filter((i) => i.rule === rule);
    const t = own.filter((i) => i.detectedAt !== undefined).map((i) => (i.detectedAt! - i.from) / 1000);
    console.log(`    ${rule}: ${t.length}/${own.length} detected, time to detect median ${fmt(quantile(t, 0.5), 1)} s, max ${fmt(Math.max(...t), 1)} s`);
  }
  console.log(`  time to detect over all incidents: max ${fmt(Math.max(...ttd) / 1000, 1)} s (by design: the stall rule needs its 10 min, the ratio rule its 1-min \`for\`)\n`);
}

const FP_EVENTS = Number(process.env.FP_EVENTS ?? 1_000_000);
if (process.env.SKIP_LATENCY !== '1') await latency();
await falsePositives(FP_EVENTS);
await labelled(FP_EVENTS);
