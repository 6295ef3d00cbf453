/**
 * Alerts for the Claude Code hook, which is one short process per event: the state of a sliding
 * window cannot live in memory, so it lives in the store. Each tool call's end appends one line
 * (`{ id, t, status, tool, agent }`, ~90 bytes) to `<store>/alerts/<session>.jsonl`; the hook then
 * replays the session's recent lines through the library's alert engine (`alertsAnalyzer`, the
 * default rules that read tool ends: `tool_failures_burst`, `tool_error_ratio`), in file order,
 * and keeps the state changes that its own line caused. Appends are atomic (`O_APPEND`, one short
 * write), so the file order is one order for every process: two hooks ending tool calls at once
 * each judge their own line and never write the same transition twice.
 *
 * Cheap: the replay runs only when a rule can have been active in the last 6 minutes of lines
 * (`mayChange`), and reads at most the last 64 KiB of the file. The ledger is removed at SessionEnd. Loaded by the hook on a tool end only.
 */
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalyzerContext, EventInput, EventStream, FleetEvent } from '../core/index.js';
import { alertsAnalyzer, DEFAULT_ALERT_RULES, type AlertRule } from '../analyzers/alerts.js';

/** The default rules a hook can judge from its session's tool ends (not absence, anomalies, budgets: no process outlives the call). */
export const HOOK_ALERT_RULES: readonly AlertRule[] = DEFAULT_ALERT_RULES.filter(
  (r) => r.kind === 'threshold' && r.where.types?.length === 1 && r.where.types[0] === 'tool.end',
);

/** Longest window plus `for` of those rules: lines older than this cannot change a state. */
const HORIZON_MS = Math.max(...HOOK_ALERT_RULES.map((r) => (r.kind === 'threshold' ? r.windowMs + (r.forMs ?? 0) : 0)));

/** Bytes read from the end of a ledger (~700 tool calls). */
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

function readTail(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - from);
    const n = readSync(fd, buffer, 0, buffer.length, from);
    const text = buffer.toString('utf8', 0, n);
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
      if (typeof l.id === 'string' && typeof l.t === 'number') out.push(l);
    } catch {
      // a torn line (a writer killed mid-write) is skipped
    }
  }
  return out;
}

function asEvent(l: LedgerLine, sessionId: string): FleetEvent {
  return { id: l.id, type: 'tool.end', timestamp: l.t, severity: l.status === 'error' ? 'error' : 'info', source: 'claude-code-hooks', sessionId, agentId: l.agent, payload: { toolName: l.tool, status: l.status } } as FleetEvent;
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
 * Whether any rule can have been active in the horizon, counted in one pass (the replay costs a
 * window read per line and group): for a count, `value` failures within `windowMs` (its
 * resolution needs them too); for a ratio, `value × minEvents` failures. Most tool ends stop here:
 * a session with a failure now and then never replays.
 */
function mayChange(recent: readonly LedgerLine[], own: LedgerLine): boolean {
  const failures = [...recent, own].filter((l) => l.status === 'error').map((l) => l.t);
  return HOOK_ALERT_RULES.some((rule) => {
    if (rule.kind !== 'threshold') return true;
    if (rule.measure === 'ratio') return failures.length >= Math.ceil(rule.value * (rule.minEvents ?? 10));
    if (rule.measure !== 'count') return true;
    const n = Math.max(1, Math.ceil(rule.value));
    for (let i = n - 1; i < failures.length; i++) if (failures[i]! - failures[i - n + 1]! <= rule.windowMs) return true;
    return false;
  });
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
  appendFileSync(file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
  const lines = parseLines(readTail(file));
  const at = lines.findIndex((l) => l.id === end.id);
  if (at === -1) return [];
  const since = end.timestamp - HORIZON_MS;
  const recent = lines.slice(0, at).filter((l) => l.t > since);
  if (!mayChange(recent, lines[at]!)) return [];
  const changes = await judge(
    recent.map((l) => asEvent(l, end.sessionId)),
    asEvent(lines[at]!, end.sessionId),
  );
  return changes.map(
    (c) =>
      ({
        ...c,
        id: newId(),
        timestamp: end.timestamp,
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
