/**
 * `fleetscope hook`: Claude Code runs it for each hook event with the event's JSON on stdin. It maps
 * the payload to events, appends them to the store (a file log shared by every hook process) and
 * exits quickly. It never breaks the agent: any problem exits 0 with a message on stderr and is
 * recorded, except a guardrail block, which exits 2 with the reason on stderr as Claude Code expects.
 *
 * Keep this file's imports tiny: it runs once per tool call.
 */
import { randomUUID } from 'node:crypto';
import { fstatSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { newSpanId } from '../core/ids.js';
import type { FleetEvent } from '../core/events.js';
import { HOOK_SOURCE, hookProblem, mapHookPayload, type HookMapping } from '../runners/claude-code-hooks.js';
import { pendingStartsIn } from '../runners/claude-code-hook-store.js';
import { createGuardrails, rulesFromJson, type Guardrails } from '../runners/guardrails.js';
import { fileLogStorage } from '../storage/file-log.js';
import { parseArgs, stringOption } from './args.js';

/** Exit code Claude Code reads as "block this tool call; show stderr to Claude". */
export const BLOCK_EXIT_CODE = 2;

/** How long to wait for a writer that has not written yet when stdin is non-blocking. */
const STDIN_WAIT_MS = 10_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Reads stdin to its end. Never through `process.stdin`: creating that stream switches a piped
 * fd 0 to non-blocking, and a read before the writer has written then fails with EAGAIN (seen
 * as a lost hook event when 20 hooks started at once). A non-blocking fd handed over by the
 * parent is still read: EAGAIN waits 2 ms and tries again, for up to STDIN_WAIT_MS.
 */
function readStdin(): string {
  // A terminal (or /dev/null) is a character device: no hook payload to wait for. Checked with
  // fstat, not `node:tty`, which would load the net stack into every hook process.
  try {
    if (fstatSync(0).isCharacterDevice()) return '';
  } catch {
    return '';
  }
  const chunks: Buffer[] = [];
  const buffer = Buffer.allocUnsafe(64 * 1024);
  const deadline = Date.now() + STDIN_WAIT_MS;
  for (;;) {
    let read: number;
    try {
      read = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && Date.now() < deadline) {
        Atomics.wait(sleeper, 0, 0, 2);
        continue;
      }
      break; // EOF (Windows pipes), or nothing more to read
    }
    if (read === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, read)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function loadGuardrails(file: string | undefined, enabled: boolean, warnings: string[]): Guardrails | undefined {
  if (!enabled) return undefined;
  if (file === undefined) return createGuardrails();
  try {
    return createGuardrails(rulesFromJson(JSON.parse(readFileSync(file, 'utf8'))));
  } catch (error) {
    // A broken rules file must not disable protection silently: fall back to the default pack.
    warnings.push(`rules file ${file} ignored, default rules apply: ${(error as Error).message}`);
    return createGuardrails();
  }
}

export async function runHookCommand(argv: readonly string[]): Promise<number> {
  const warnings: string[] = [];
  let args;
  try {
    args = parseArgs(argv, ['store', 'rules']);
  } catch (error) {
    warnings.push((error as Error).message);
    args = parseArgs([], []);
  }
  const raw = readStdin();
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    payload = undefined;
  }
  const cwd = typeof (payload as { cwd?: unknown })?.cwd === 'string' ? (payload as { cwd: string }).cwd : process.cwd();
  const store = stringOption(args, 'store') ?? (process.env.FLEETSCOPE_STORE || undefined) ?? join(cwd, '.fleetscope');
  const guardrailsOn = args.options.get('guardrails') !== false && process.env.FLEETSCOPE_GUARDRAILS !== 'off';
  const guardrails = loadGuardrails(stringOption(args, 'rules') ?? (process.env.FLEETSCOPE_RULES || undefined), guardrailsOn, warnings);

  let mapping: HookMapping;
  const pending = pendingStartsIn(store);
  const ctx = {
    now: Date.now(),
    newId: randomUUID,
    newSpanId,
    pending,
    ...(guardrails !== undefined ? { guard: (tool: string, input: unknown) => guardrails.check(tool, input) } : {}),
  };
  try {
    mapping =
      payload === undefined
        ? hookProblem(ctx, raw.trim() === '' ? 'empty stdin' : `stdin is not JSON (${raw.length} bytes)`, undefined)
        : mapHookPayload(payload, ctx);
  } catch (error) {
    // The pending-starts directory may be unwritable: record what we can.
    mapping = hookProblem(ctx, `mapping failed: ${(error as Error).message}`, undefined);
  }
  const events: FleetEvent[] = [...mapping.events];
  const first = events[0];
  for (const warning of warnings) {
    events.push({
      id: randomUUID(),
      timestamp: ctx.now,
      severity: 'warning',
      source: HOOK_SOURCE,
      sessionId: first?.sessionId ?? 'unknown',
      agentId: first?.agentId ?? 'main',
      type: 'log',
      payload: { message: warning },
    } as FleetEvent);
  }
  const hookEvent = (payload as { hook_event_name?: unknown } | undefined)?.hook_event_name;
  if (hookEvent === 'SessionStart' || hookEvent === 'SessionEnd') pending.sweep();

  try {
    const log = fileLogStorage({ dir: store, fsync: 'never', maintenanceIntervalMs: 0 });
    await log.append(events);
    await log.close();
    const stats = log.stats();
    if (typeof stats.writeErrors === 'number' && stats.writeErrors > 0) warnings.push(`could not write to ${store}: ${String(stats.lastError ?? 'write error')}`);
  } catch (error) {
    warnings.push(`could not write to ${store}: ${(error as Error).message}`);
  }
  if (mapping.problem !== undefined) warnings.push(`unreadable hook input (${mapping.problem}); recorded and ignored`);
  for (const warning of warnings) process.stderr.write(`[fleetscope] ${warning}\n`);
  if (mapping.block !== undefined) {
    process.stderr.write(`Blocked by fleetscope guardrail: ${mapping.block}\n`);
    return BLOCK_EXIT_CODE;
  }
  return 0;
}
