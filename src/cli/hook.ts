/**
 * `fleetscope hook`: Claude Code runs it for each hook event with the event's JSON on stdin.
 *
 * It answers first: the guardrail decision for a PreToolUse is made from the payload alone, before
 * anything touches the disk, and printed at once (exit code 2 and the reason on stderr, as Claude
 * Code expects). Only then are the payload's events written to the store (a file log shared by every
 * hook process), with secrets redacted first (fleetscope/redaction; on by default), and each
 * guardrail decision (block or warning) is appended to the store's tamper-evident audit log
 * (`<store>/audit/`, read by `fleetscope audit verify|show`; `--no-audit` or `FLEETSCOPE_AUDIT=off`
 * turns it off, `FLEETSCOPE_AUDIT_KEY` makes it an HMAC chain). A call no rule matched touches no
 * audit file. A hard deadline (default 2 s) ends the process with the decided exit code whatever
 * the store is doing: a store on a hung or pathological file system (Node 20's recursive mkdir loops
 * forever under procfs) costs at most the deadline, never the answer. Any other problem exits 0 with
 * a `[fleetscope] ...` line on stderr; the hook never exits 1.
 *
 * Keep this file's imports tiny: it runs once per tool call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetEvent } from '../core/events.js';
import { HOOK_SOURCE, hookProblem, mapHookPayload, type HookMapping } from '../runners/claude-code-hooks.js';
import { pendingStartsIn, prepareHookStore, resolveHookStore, type HookStoreLocation } from '../runners/claude-code-hook-store.js';
import type { GuardrailMatch } from '../guardrails/legacy.js';
import { createGuardrailEngine, rulesFromJson, type GuardrailEngine } from '../guardrails/engine.js';
import { createRedactor, type Redacted, type Redactor } from '../redaction/redactor.js';
import type { Finding } from '../redaction/categories.js';
import { FINDINGS_EVENT_TYPE, findingsPayload } from '../redaction/transform.js';
import { fileLogStorage } from '../storage/file-log.js';
import { parseArgs, stringOption, wantsHelp } from './args.js';
import { hookIds } from './hook-ids.js';
import { readStdin, stdinIsTerminal, writeText } from './stdin.js';

/** Exit code Claude Code reads as "block this tool call; show stderr to Claude". */
export const BLOCK_EXIT_CODE = 2;

/** Default hard deadline of one hook call, in ms. */
export const DEFAULT_HOOK_DEADLINE_MS = 2000;

/** Largest payload read from stdin: 128 MiB (a longer one is recorded as unreadable). */
const MAX_STDIN_BYTES = 128 * 1024 * 1024;

/** Event and span ids of this call (no `node:crypto` on the way: see hook-ids.ts). */
const ids = hookIds();

/**
 * The packs the hook checks without `--rules`: the default pack and exfiltration (piping a secrets
 * file or the environment into curl / nc / scp, uploading one). Both only block what an agent has
 * no business doing; the secrets pack (reading `.env`) and the destructive pack's warnings on
 * `git reset --hard` would stop or nag at everyday work, and output rules need the tool's result.
 */
const HOOK_PACKS = ['default', 'exfiltration'] as const;

function loadGuardrails(file: string | undefined, enabled: boolean, warnings: string[]): GuardrailEngine | undefined {
  if (!enabled) return undefined;
  if (file === undefined) return createGuardrailEngine({ packs: [...HOOK_PACKS] });
  try {
    return createGuardrailEngine({ rules: rulesFromJson(JSON.parse(readFileSync(file, 'utf8'))) });
  } catch (error) {
    // A broken rules file must not disable protection silently: fall back to the default pack.
    warnings.push(`rules file ${file} ignored, default rules apply: ${(error as Error).message}`);
    return createGuardrailEngine({ packs: [...HOOK_PACKS] });
  }
}

/** A guardrail decision of this call, as the hook answers it and as the audit log records it. */
interface HookDecision extends GuardrailMatch {
  pack?: string;
}

/**
 * Prompt-injection heuristics on a PostToolUse's `tool_response`, which Claude Code hands to the
 * model next: the `injection` pack's output rules ("ignore previous instructions", hidden Unicode
 * tag characters, data URLs with instructions). Recorded as warnings (alert events, audit
 * records), never an exit code: the tool has run. Off with `--rules` (the file decides) or
 * `--no-guardrails`.
 */
function checkOutput(toolName: string, toolResponse: unknown): HookDecision[] {
  return createGuardrailEngine({ packs: ['injection'] })
    .checkTool(toolName, toolResponse, { phase: 'output' })
    .map((d) => ({ ruleId: d.rule, action: 'warn', reason: d.reason, ...(d.pack !== undefined ? { pack: d.pack } : {}) }));
}

/** The engine's decisions on a PreToolUse; a `block` is enforced (exit code 2), every other action is a warning. */
function decide(engine: GuardrailEngine, toolName: string, toolInput: unknown): HookDecision[] {
  return engine.checkTool(toolName, toolInput).map((d) => ({
    ruleId: d.rule,
    action: d.action === 'block' ? 'block' : 'warn',
    reason: d.reason,
    ...(d.pack !== undefined ? { pack: d.pack } : {}),
  }));
}

/**
 * Appends the call's guardrail decisions to the store's audit log: `guardrail.decision` events
 * with the rule, the action, the reason and the input's SHA-256 (never the input). One chain for
 * every hook process (the log's lock file); the lock is waited for at most until the deadline.
 * Loaded on first use: a call no rule matched does not load the audit log or the hashing.
 */
async function audit(dir: string, decisions: readonly HookDecision[], call: { toolName: string; toolInput: unknown; phase: 'input' | 'output'; sessionId: string; agentId: string; at: number; lockTimeoutMs: number }, warnings: string[]): Promise<void> {
  let events: FleetEvent[];
  try {
    const { hashGuardrailInput } = await import('../core/guardrails.js');
    const inputHash = hashGuardrailInput(call.toolInput);
    events = decisions.map((d) => decisionEvent(d, call, inputHash));
  } catch (error) {
    warnings.push(`could not write the audit log ${dir}: ${(error as Error).message}`);
    return;
  }
  await auditEvents(dir, events, call.lockTimeoutMs, warnings);
}

function decisionEvent(d: HookDecision, call: { toolName: string; phase: 'input' | 'output'; sessionId: string; agentId: string; at: number }, inputHash: string): FleetEvent {
  const block = d.action === 'block';
  return {
    id: ids.newId(),
    type: 'guardrail.decision',
    timestamp: call.at,
    severity: block ? 'warning' : 'info',
    source: HOOK_SOURCE,
    sessionId: call.sessionId,
    agentId: call.agentId,
    // The hook enforces a block itself (exit code 2); its other actions are warnings (`alert`).
    payload: { rule: d.ruleId, action: block ? 'block' : 'alert', reason: d.reason, toolName: call.toolName, inputHash, phase: call.phase, enforced: block, ...(d.pack !== undefined ? { pack: d.pack } : {}) },
  } as FleetEvent;
}

/**
 * The redactor applied before the store write: secrets by default (`FLEETSCOPE_REDACT=all` adds PII,
 * `off` or `--no-redact` turns it off). A configuration it cannot build falls back to secrets.
 */
function loadRedactor(enabled: boolean, warnings: string[]): Redactor | undefined {
  const setting = (process.env.FLEETSCOPE_REDACT ?? 'secrets').trim().toLowerCase();
  if (!enabled || setting === 'off') return undefined;
  try {
    return createRedactor({ categories: setting === 'all' ? ['secrets', 'pii'] : ['secrets'] });
  } catch (error) {
    warnings.push(`redaction setting ignored, secrets are redacted: ${(error as Error).message}`);
    return createRedactor({ categories: ['secrets'] });
  }
}

/**
 * Redacts each event; one that cannot be redacted is not written as it is (fail closed): a warning
 * takes its place. When something was redacted, a `redaction.findings` summary (counts, field
 * paths, never a value) is stored with the events, for the `redactions` analyzer and the report.
 */
function redactAll(events: FleetEvent[], redactor: Redactor | undefined, warnings: string[], at: number): FleetEvent[] {
  if (redactor === undefined) return events;
  const found: { event: FleetEvent; findings: readonly Finding[]; omitted?: Redacted<FleetEvent>['omitted'] }[] = [];
  const out = events.map((event) => {
    try {
      const redacted = redactor.redactEvent(event);
      if (redacted.findings.length > 0 || redacted.omitted !== undefined) found.push({ event, findings: redacted.findings, omitted: redacted.omitted });
      return redacted.value;
    } catch (error) {
      warnings.push(`event ${event.type} not stored: redaction failed (${(error as Error).message})`);
      return { ...event, type: 'log', severity: 'warning', payload: { message: `${event.type} withheld: redaction failed` } } as unknown as FleetEvent;
    }
  });
  if (found.length > 0) {
    const first = found[0]!.event;
    out.push({ id: ids.newId(), type: FINDINGS_EVENT_TYPE, timestamp: at, severity: 'warning', source: HOOK_SOURCE, sessionId: first.sessionId, agentId: first.agentId, payload: findingsPayload(found) } as unknown as FleetEvent);
  }
  return out;
}

function deadlineFrom(value: string | undefined): number {
  const n = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(n) && n >= 50 ? n : DEFAULT_HOOK_DEADLINE_MS;
}

function say(lines: readonly string[]): void {
  for (const line of lines) writeText(2, `[fleetscope] ${line}\n`);
}

/**
 * Prepares the store and writes the events to it; every failure is a warning, never a throw. Returns whether the
 * store directory could be made ready (the audit log lives inside it).
 */
async function store(location: HookStoreLocation, build: () => FleetEvent[], warnings: string[]): Promise<boolean> {
  try {
    // Prompts and tool output are private: every file the store gets is 0600, every directory 0700.
    process.umask(0o077);
  } catch {
    // not allowed here (a worker thread): prepareHookStore still sets the directories' modes
  }
  try {
    await prepareHookStore(location);
  } catch (error) {
    warnings.push(`could not use the store ${location.dir}: ${(error as Error).message}`);
    return false;
  }
  await appendToStore(location.dir, build(), warnings);
  return true;
}

/**
 * The `alert` events a tool end causes under the default rules (`hook-alerts.ts`: the session's
 * ledger in the store, replayed through the alert engine); at SessionEnd, the ledger is removed.
 */
async function alertsOf(dir: string, toolEnd: FleetEvent | undefined, sessionId: string, warnings: string[]): Promise<FleetEvent[]> {
  try {
    const { hookAlerts, removeHookAlertLedger } = await import('./hook-alerts.js');
    if (toolEnd === undefined) {
      removeHookAlertLedger(dir, sessionId);
      return [];
    }
    const p = toolEnd.payload as { toolName?: string; status?: string };
    return await hookAlerts(dir, { id: toolEnd.id, timestamp: toolEnd.timestamp, sessionId: toolEnd.sessionId, agentId: toolEnd.agentId, toolName: String(p.toolName), status: String(p.status) }, ids.newId);
  } catch (error) {
    warnings.push(`alert rules not evaluated: ${(error as Error).message}`);
    return [];
  }
}

async function appendToStore(dir: string, events: FleetEvent[], warnings: string[]): Promise<void> {
  try {
    const log = fileLogStorage({ dir, fsync: 'never', maintenanceIntervalMs: 0 });
    await log.append(events);
    await log.close();
    const stats = log.stats();
    if (typeof stats.writeErrors === 'number' && stats.writeErrors > 0) warnings.push(`could not write to ${dir}: ${String(stats.lastError ?? 'write error')}`);
  } catch (error) {
    warnings.push(`could not write to ${dir}: ${(error as Error).message}`);
  }
}

/** Appends events (alerts) to the store's audit log. */
async function auditEvents(dir: string, events: FleetEvent[], lockTimeoutMs: number, warnings: string[]): Promise<void> {
  try {
    const { auditLog } = await import('../storage/audit-log.js');
    const key = process.env.FLEETSCOPE_AUDIT_KEY || undefined;
    const log = auditLog({ dir, lockTimeoutMs, ...(key !== undefined ? { key } : {}) });
    await log.append(events);
    await log.close();
  } catch (error) {
    warnings.push(`could not write the audit log ${dir}: ${(error as Error).message}`);
  }
}

/** What `fleetscope hook --help` prints (Claude Code never passes it: the store is not touched). */
export const HOOK_USAGE = `Usage: fleetscope hook [--store DIR | --user] [--rules FILE] [--no-guardrails] [--no-redact] [--no-audit] [--no-alerts] [--deadline-ms N] [--fail-closed]
Reads one Claude Code hook payload on stdin and stores it; exit 2 blocks a PreToolUse. See docs/claude-code.md.
`;

export async function runHookCommand(argv: readonly string[]): Promise<number> {
  if (wantsHelp(argv)) {
    writeText(1, HOOK_USAGE);
    return 0;
  }
  // Typed in a terminal (Claude Code always pipes a payload): say what the command is for, store nothing
  // (was: an "empty stdin" warning recorded into a store made in the current directory).
  if (await stdinIsTerminal()) {
    writeText(2, `${HOOK_USAGE}stdin is a terminal, not a hook payload: nothing read, nothing stored. Claude Code runs this command (fleetscope init installs it).\n`);
    return 0;
  }
  const started = Date.now();
  const warnings: string[] = [];
  let args;
  try {
    args = parseArgs(argv, ['store', 'rules', 'deadline-ms']);
  } catch (error) {
    warnings.push((error as Error).message);
    args = parseArgs([], []);
  }
  const deadlineMs = deadlineFrom(stringOption(args, 'deadline-ms') ?? process.env.FLEETSCOPE_HOOK_DEADLINE_MS);
  const failClosed = args.options.get('fail-closed') === true;
  let code = 0;
  // The hard deadline: whatever is still running (a store write, a hung file system), the process
  // ends with the answer already decided. unref'd: it never keeps a finished hook alive.
  const timer = setTimeout(() => {
    say([...warnings, `store write unfinished after ${deadlineMs} ms; answered and exited without it`]);
    process.exit(code);
  }, Math.max(0, deadlineMs - (Date.now() - started)));
  timer.unref();

  // 1. The payload (stdin waits at most until the deadline).
  const input = readStdin(started + deadlineMs, MAX_STDIN_BYTES);
  const raw = input.text;
  let payload: unknown;
  if (!input.truncated) {
    try {
      payload = JSON.parse(raw);
    } catch {
      payload = undefined;
    }
  }
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;

  // 2. The answer: guardrails on the payload alone, before the disk is touched.
  const guardrailsOn = args.options.get('guardrails') !== false && process.env.FLEETSCOPE_GUARDRAILS !== 'off';
  let matches: HookDecision[] = [];
  const toolName = typeof p.tool_name === 'string' ? p.tool_name : 'unknown';
  // Only a PreToolUse is a guardrail question: other events do not compile the rules.
  const guardrails = p.hook_event_name === 'PreToolUse' ? loadGuardrails(stringOption(args, 'rules') ?? (process.env.FLEETSCOPE_RULES || undefined), guardrailsOn, warnings) : undefined;
  if (guardrails !== undefined) {
    try {
      matches = decide(guardrails, toolName, p.tool_input);
    } catch (error) {
      warnings.push(`guardrails failed: ${(error as Error).message}`);
      if (failClosed) matches = [{ ruleId: 'fail-closed', action: 'block', reason: 'fleetscope could not check this call and runs fail-closed (rule fail-closed)' }];
    }
  }
  if (failClosed && payload === undefined) {
    // `init --fail-closed` puts the flag on PreToolUse only: a call that cannot be read cannot be checked.
    matches = [{ ruleId: 'fail-closed', action: 'block', reason: 'fleetscope could not read this call and runs fail-closed (rule fail-closed)' }];
  }
  let outputMatches: HookDecision[] = [];
  const rulesFile = stringOption(args, 'rules') ?? (process.env.FLEETSCOPE_RULES || undefined);
  if (guardrailsOn && rulesFile === undefined && p.hook_event_name === 'PostToolUse' && p.tool_response !== undefined) {
    try {
      outputMatches = checkOutput(toolName, p.tool_response);
    } catch (error) {
      warnings.push(`output guardrails failed: ${(error as Error).message}`);
    }
  }
  const blocking = matches.find((m) => m.action === 'block');
  if (blocking !== undefined) {
    code = BLOCK_EXIT_CODE;
    writeText(2, `Blocked by fleetscope guardrail: ${blocking.reason}\n`); // when stderr is gone, the exit code alone answers
  }

  // 3. The record, after the answer.
  const cwd = typeof p.cwd === 'string' && p.cwd !== '' ? p.cwd : undefined;
  const location = resolveHookStore({ store: stringOption(args, 'store'), user: args.options.get('user') === true, ...(cwd !== undefined ? { cwd } : {}) });
  let problem: string | undefined;
  /** The call's tool end (PostToolUse / PostToolUseFailure), for the alert rules. */
  let toolEnd: FleetEvent | undefined;
  /** Who made the call, as the mapping read it (for the audit records). */
  let caller = { sessionId: typeof p.session_id === 'string' ? p.session_id : 'unknown', agentId: 'main' };
  const storeReady = await store(
    location,
    () => {
      const pending = pendingStartsIn(location.dir);
      const ctx = {
        now: started,
        newId: ids.newId,
        newSpanId: ids.newSpanId,
        pending,
        guard: () => matches,
        ...(location.anchor === 'user' && location.project !== undefined ? { project: location.project } : {}),
      };
      let mapping: HookMapping;
      try {
        mapping =
          payload === undefined
            ? hookProblem(ctx, raw.trim() === '' ? 'empty stdin' : input.truncated ? `stdin over ${MAX_STDIN_BYTES} bytes` : `stdin is not JSON (${raw.length} bytes)`, undefined)
            : mapHookPayload(payload, ctx);
      } catch (error) {
        mapping = hookProblem(ctx, `mapping failed: ${(error as Error).message}`, p);
      }
      problem = mapping.problem;
      if (p.hook_event_name === 'SessionStart' || p.hook_event_name === 'SessionEnd') pending.sweep();
      // Pairing lost (unusable pending/) costs a duration, never the event: it is stored with a warning.
      warnings.push(...pending.errors);
      const events: FleetEvent[] = [...mapping.events];
      toolEnd = events.find((e) => e.type === 'tool.end' && ['error', 'success'].includes((e.payload as { status?: string }).status ?? ''));
      const end = events.find((e) => e.type === 'tool.end');
      for (const m of outputMatches) {
        const toolCallId = typeof p.tool_use_id === 'string' ? { toolCallId: p.tool_use_id } : {};
        // As a PreToolUse warning is stored (the alerts analyzer counts `guardrail.*` alerts as decisions).
        events.push({
          id: ids.newId(),
          timestamp: started,
          severity: 'warning',
          source: HOOK_SOURCE,
          sessionId: end?.sessionId ?? caller.sessionId,
          agentId: end?.agentId ?? caller.agentId,
          ...(end?.spanId !== undefined ? { parentSpanId: end.spanId } : {}),
          type: 'alert',
          payload: { rule: `guardrail.${m.ruleId}`, message: m.reason, details: { toolName, ...toolCallId, action: 'alert', phase: 'output' } },
        } as FleetEvent);
      }
      const first = events[0];
      if (first !== undefined) caller = { sessionId: first.sessionId, agentId: first.agentId };
      for (const warning of warnings) {
        events.push({
          id: ids.newId(),
          timestamp: started,
          severity: 'warning',
          source: HOOK_SOURCE,
          sessionId: first?.sessionId ?? 'unknown',
          agentId: first?.agentId ?? 'main',
          type: 'log',
          payload: { message: warning },
        } as FleetEvent);
      }
      return redactAll(events, loadRedactor(args.options.get('redact') !== false, warnings), warnings, started);
    },
    warnings,
  );
  if (problem !== undefined) warnings.push(`unreadable hook input (${problem}); recorded and ignored`);
  const auditOn = args.options.get('audit') !== false && process.env.FLEETSCOPE_AUDIT !== 'off';
  const alertsOn = args.options.get('alerts') !== false && process.env.FLEETSCOPE_ALERTS !== 'off';
  if (alertsOn && storeReady && (toolEnd !== undefined || p.hook_event_name === 'SessionEnd')) {
    const alerts = await alertsOf(location.dir, toolEnd, caller.sessionId, warnings);
    if (alerts.length > 0) {
      await appendToStore(location.dir, alerts, warnings);
      if (auditOn) await auditEvents(join(location.dir, 'audit'), alerts, Math.max(0, started + deadlineMs - Date.now() - 50), warnings);
    }
  }
  if (auditOn && storeReady && matches.length > 0) {
    const lockTimeoutMs = Math.max(0, started + deadlineMs - Date.now() - 50);
    await audit(join(location.dir, 'audit'), matches, { toolName, toolInput: p.tool_input, phase: 'input', ...caller, at: started, lockTimeoutMs }, warnings);
  }
  if (auditOn && storeReady && outputMatches.length > 0) {
    const lockTimeoutMs = Math.max(0, started + deadlineMs - Date.now() - 50);
    await audit(join(location.dir, 'audit'), outputMatches, { toolName, toolInput: p.tool_response, phase: 'output', ...caller, at: started, lockTimeoutMs }, warnings);
  }
  clearTimeout(timer);
  say(warnings);
  return code;
}
