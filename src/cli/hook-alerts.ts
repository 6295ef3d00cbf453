/**
 * Alerts for the Claude Code hook, which is one short process per event: the state of a sliding
 * window cannot live in memory, so it lives in the store. Each tool call's end appends one line
 * (`{ id, t, status, tool, agent }`, ~90 bytes) to `<store>/alerts/<session>.jsonl`; the hook then
 * replays the session's lines up to its own through the library's alert engine (`alertsAnalyzer`,
 * the default rules that read tool ends: `tool_failures_burst`, `tool_error_ratio`), in file order,
 * and keeps the state changes that its own line caused.
 *
 * Concurrent hooks of one session (Claude Code runs the hooks of parallel tool calls in parallel)
 * need no lock: the ledger is append-only and each append is one short `O_APPEND` write, so it is
 * never torn and the file order is one order for every process. A line's judgement is a pure
 * function of the bytes before it, so every line is judged once, by its own process, and every
 * process agrees on the history: a transition is written exactly once. Two things make that hold:
 * - Time never goes backwards in the replay. A hook stamps its line when it starts but appends it
 *   later, so under load the file order is not the time order; the engine's window would not count
 *   a "future" line and would resolve and fire again. A line's time in the replay is the latest
 *   time of the lines up to it (`monotonic`): skew moves a line later by at most the skew.
 * - The replayed history is fixed by the line: the `TAIL_BYTES` ending at the line, not the tail of
 *   the file when the process happens to read it (later appends would move it).
 *
 * Cheap: a line can change a state only if a rule's condition can hold at it (a firing or pending)
 * or at the line before it (a resolution): counted in one pass (`mayHold`), most tool ends stop
 * there. A replay starts at the last line where no condition could hold (every alert is inactive
 * after it), less one window, rather than at a fixed horizon: an alert that fired long ago is still
 * resolved by the next tool end. The ledger is removed at SessionEnd. Loaded by the hook on a tool
 * end only.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalyzerContext, EventInput, EventStream, FleetEvent } from '../core/index.js';
import { alertsAnalyzer, DEFAULT_ALERT_RULES, type AlertRule } from '../analyzers/alerts.js';

/** The default rules a hook can judge from its session's tool ends (not absence, anomalies, budgets: no process outlives the call). */
export const HOOK_ALERT_RULES: readonly AlertRule[] = DEFAULT_ALERT_RULES.filter(
  (r) => r.kind === 'threshold' && r.where.types?.length === 1 && r.where.types[0] === 'tool.end',
);

/**
 * Per rule: the failures that must lie inside one window for its condition to be able to hold. A
 * superset test: a count needs `value` failures, a ratio `value × minEvents` (the engine's window
 * edge, to windowMs / 120, only ever counts fewer). Rules the hook judges have no cooldown, so an
 * alert is inactive after any line at which no condition can hold.
 */
const NEEDS: readonly { windowMs: number; failures: number }[] = HOOK_ALERT_RULES.map((r) => {
  if (r.kind !== 'threshold') return { windowMs: Infinity, failures: 0 };
  if (r.measure === 'count') return { windowMs: r.windowMs, failures: Math.max(1, Math.ceil(r.value)) };
  if (r.measure === 'ratio') return { windowMs: r.windowMs, failures: Math.max(1, Math.ceil(r.value * (r.minEvents ?? 10))) };
  return { windowMs: Infinity, failures: 0 }; // any other measure: always replay
});

/** Longest window of those rules: a replay starts this far before the last quiet line. */
const LONGEST_WINDOW_MS = Math.max(...HOOK_ALERT_RULES.map((r) => (r.kind === 'threshold' ? r.windowMs : 0)));

/** Bytes of history ending at a line that its judgement reads (~700 tool calls). */
const TAIL_BYTES = 64 * 1024;

interface LedgerLine {
  id: string;
  t: number;
  status: string;
  tool: string;
  agent: string;
}

function ledgerPath(storeDir: string, sessionId: string): string {
  return join(storeDir, 'alerts', `${sessionId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128) || 'unknown'}.jsonl`);
}

function readRange(fd: number, from: number, to: number): Buffer {
  const buffer = Buffer.alloc(to - from);
  const n = readSync(fd, buffer, 0, buffer.length, from);
  return buffer.subarray(0, n);
}

/**
 * The ledger's text up to and including the line that holds `needle` (which this process just
 * appended at or after `ownFrom`), from at most `TAIL_BYTES` before that line's end: the same bytes
 * whenever and by whichever process they are read. Undefined when the line is not there.
 */
function historyUpTo(file: string, ownFrom: number, needle: Buffer): string | undefined {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const after = readRange(fd, ownFrom, size);
    const at = after.indexOf(needle);
    if (at === -1) return undefined;
    const lineEnd = after.indexOf(0x0a, at);
    const ownEnd = ownFrom + (lineEnd === -1 ? after.length : lineEnd + 1);
    const from = Math.max(0, ownEnd - TAIL_BYTES);
    const text = readRange(fd, from, ownEnd).toString('utf8');
    return from === 0 ? text : text.slice(text.indexOf('\n') + 1); // the first line may be cut
  } finally {
    closeSync(fd);
  }
}

function parseLines(text: string): LedgerLine[] {
  const out: LedgerLine[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    try {
      const l = JSON.parse(raw) as LedgerLine;
      if (typeof l.id === 'string' && typeof l.t === 'number' && Number.isFinite(l.t)) out.push(l);
    } catch {
      // a torn line (a writer killed mid-write) is skipped
    }
  }
  return out;
}

/** Each line's time in the replay: the latest stamp of the lines up to it (file order is the order). */
function monotonic(lines: readonly LedgerLine[]): number[] {
  let latest = -Infinity;
  return lines.map((l) => (latest = Math.max(latest, l.t)));
}

/**
 * For each line: whether some rule's condition can hold at it (enough failures inside one
 * window ending at it). One pass per rule with two pointers over the failures.
 */
function mayHold(lines: readonly LedgerLine[], times: readonly number[]): boolean[] {
  const out = lines.map(() => false);
  for (const need of NEEDS) {
    const failures: number[] = [];
    let first = 0;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.status === 'error') failures.push(times[i]!);
      while (first < failures.length && failures[first]! <= times[i]! - need.windowMs) first++;
      if (failures.length - first >= need.failures) out[i] = true;
    }
  }
  return out;
}

function asEvent(l: LedgerLine, t: number, sessionId: string): FleetEvent {
  return { id: l.id, type: 'tool.end', timestamp: t, severity: l.status === 'error' ? 'error' : 'info', source: 'claude-code-hooks', sessionId, agentId: l.agent, payload: { toolName: l.tool, status: l.status } } as FleetEvent;
}

/**
 * Replays `before` through a fresh engine, each line judged as the process that appended it judged
 * it (its batch, then every alert evaluated at its time: a window draining or a `for` elapsing
 * shows at the next tool end), and returns the state changes `own` causes. The earlier lines'
 * state changes were written by their processes and are dropped here.
 */
async function judge(before: readonly FleetEvent[], own: FleetEvent): Promise<EventInput[]> {
  const engine = alertsAnalyzer({ rules: HOOK_ALERT_RULES, evaluateIntervalMs: 3_600_000 });
  const emitted: EventInput[] = [];
  let mine = false;
  let clock = 0;
  const context: AnalyzerContext = {
    emit: (event) => {
      if (mine) emitted.push(event);
    },
    snapshotOf: () => undefined,
    reportError: () => undefined,
    signal: new AbortController().signal,
    now: () => clock,
  };
  async function* batches(): AsyncGenerator<FleetEvent[]> {
    for (const e of before) {
      clock = e.timestamp;
      yield [e]; // one batch per hook process, as they ran
      engine.evaluate();
    }
    mine = true;
    clock = own.timestamp;
    yield [own];
    engine.evaluate();
  }
  await engine.consume(batches() as unknown as EventStream, context);
  return emitted;
}

/**
 * The lines to replay before the last one (`own`), or undefined when `own` can change no state: no
 * condition can hold at it (no firing, no pending) nor at the line before it (nothing to resolve).
 * Otherwise from one window before the last line where no condition could hold (every alert was
 * inactive after it), or from the start of the history.
 */
function replayFrom(lines: readonly LedgerLine[], times: readonly number[]): number | undefined {
  const holds = mayHold(lines, times);
  const own = lines.length - 1;
  if (!holds[own] && (own === 0 || !holds[own - 1])) return undefined;
  let quiet = own - 1;
  while (quiet >= 0 && holds[quiet]) quiet--;
  if (quiet < 0) return 0;
  let from = quiet;
  while (from > 0 && times[from - 1]! > times[quiet]! - LONGEST_WINDOW_MS) from--;
  return from;
}

export interface HookToolEnd {
  id: string;
  timestamp: number;
  sessionId: string;
  agentId: string;
  toolName: string;
  status: string;
}

/**
 * Records a tool call's end in its session's ledger and returns the `alert` events (state changes
 * of the default rules) it causes, complete and ready to store. Throws on a file system error (the
 * hook turns it into a warning).
 */
export async function hookAlerts(storeDir: string, end: HookToolEnd, newId: () => string): Promise<FleetEvent[]> {
  const file = ledgerPath(storeDir, end.sessionId);
  try {
    mkdirSync(join(storeDir, 'alerts'), { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const line: LedgerLine = { id: end.id, t: end.timestamp, status: end.status, tool: end.toolName, agent: end.agentId };
  const text = `${JSON.stringify(line)}\n`;
  // One write with O_APPEND: atomic for a line this short, so never interleaved with another hook's.
  const fd = openSync(file, 'a', 0o600);
  let ownFrom: number;
  try {
    ownFrom = fstatSync(fd).size; // the line lands at or after this offset
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  const history = historyUpTo(file, ownFrom, Buffer.from(`{"id":${JSON.stringify(end.id)},`));
  if (history === undefined) return [];
  const lines = parseLines(history);
  if (lines[lines.length - 1]?.id !== end.id) return [];
  const times = monotonic(lines);
  const from = replayFrom(lines, times);
  if (from === undefined) return [];
  const own = lines.length - 1;
  const changes = await judge(
    lines.slice(from, own).map((l, i) => asEvent(l, times[from + i]!, end.sessionId)),
    asEvent(lines[own]!, times[own]!, end.sessionId),
  );
  return changes.map(
    (c) =>
      ({
        ...c,
        id: newId(),
        timestamp: times[own]!,
        source: 'claude-code-hooks',
        sessionId: c.sessionId ?? end.sessionId,
        agentId: c.agentId ?? end.agentId,
      }) as FleetEvent,
  );
}

/** Removes a session's ledger (at SessionEnd); a missing one is fine. */
export function removeHookAlertLedger(storeDir: string, sessionId: string): void {
  try {
    unlinkSync(ledgerPath(storeDir, sessionId));
  } catch {
    // none
  }
}
