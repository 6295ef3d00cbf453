/**
 * The cost of counting a call once when several sources report it (`ObserverOptions.dedupe`):
 * `emit` of Claude Code-shaped events (tool start/end pairs with a tool_use id, LLM calls with a
 * request id) with de-duplication on and off, alternated in one run; and the same calls reported
 * by two sources (half of them dropped as duplicates). CPU time per event, median of rounds.
 */
import { createCoreObserver, type EventInput } from '../src/index.js';

const N = 200_000;
const ROUNDS = 7;
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function calls(round: number): EventInput[] {
  const out: EventInput[] = [];
  for (let i = 0; out.length < N; i++) {
    const id = `toolu_${round}_${i}`;
    out.push({ type: 'tool.start', sessionId: 's', timestamp: 1_700_000_000_000 + i, payload: { toolName: 'Bash', toolCallId: id } });
    out.push({ type: 'tool.end', sessionId: 's', timestamp: 1_700_000_000_001 + i, payload: { toolName: 'Bash', toolCallId: id, status: 'success', durationMs: 5 } });
    out.push({ type: 'llm.call', sessionId: 's', timestamp: 1_700_000_000_002 + i, payload: { model: 'claude-sonnet-4-5', status: 'success', requestId: `req_${round}_${i}`, inputTokens: 10, outputTokens: 5 } });
  }
  return out.slice(0, N);
}

/** ns per emitted event: the host's emit path, one observer per round, nothing listening. */
function run(dedupe: boolean, events: EventInput[]): number {
  const observer = createCoreObserver({ dedupe });
  const t0 = cpuMs();
  for (const e of events) observer.emit(e as never);
  const ms = cpuMs() - t0;
  void observer.close();
  return (ms * 1e6) / events.length;
}

/** Two emit paths (two runners) reporting the same calls: the second one's are all duplicates. */
function runTwoSources(events: EventInput[]): { ns: number; duplicates: number } {
  const sinks: { emit(e: EventInput): void }[] = [];
  const source = (name: string) => ({ name, start: (ctx: { emit(e: EventInput): void }) => void sinks.push(ctx), stop() {}, health: () => ({ status: 'running' as const }) });
  const observer = createCoreObserver({ runners: [source('hooks'), source('transcripts')] });
  const t0 = cpuMs();
  // Each call reported by both, a moment apart (as the hooks and the transcripts report it).
  for (const e of events) {
    sinks[0]!.emit(e);
    sinks[1]!.emit(e);
  }
  const ms = cpuMs() - t0;
  const duplicates = observer.stats().events.duplicates;
  void observer.close();
  return { ns: (ms * 1e6) / (2 * events.length), duplicates };
}

const off: number[] = [];
const on: number[] = [];
const two: number[] = [];
let duplicates = 0;
for (let r = 0; r < ROUNDS; r++) {
  const events = calls(r);
  off.push(run(false, events));
  on.push(run(true, events));
  const t = runTwoSources(events);
  two.push(t.ns);
  duplicates = t.duplicates;
}
const base = median(off);
console.log(`emit, ${N.toLocaleString('en-US')} Claude Code-shaped events, median of ${ROUNDS} rounds (CPU ns/event):`);
console.log(`  dedupe off:                       ${base.toFixed(0)} ns`);
console.log(`  dedupe on (window 50,000):        ${median(on).toFixed(0)} ns  (${(median(on) / base).toFixed(2)}x off)`);
console.log(`  two sources, same calls (on):     ${median(two).toFixed(0)} ns  (${(median(two) / base).toFixed(2)}x off), ${duplicates.toLocaleString('en-US')} duplicates dropped of ${(2 * N).toLocaleString('en-US')}`);
