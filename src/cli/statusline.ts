/**
 * `fleetscope statusline`: Claude Code runs it on every status refresh with the session's JSON on
 * stdin and shows the first line it prints. One compact line: model · session cost · context window
 * used · 5-hour and 7-day rate-limit use with their reset times · the session's last fleetscope alert.
 *
 * It never fails the status line: any problem still prints what could be read and exits 0. All its
 * work is synchronous and bounded: stdin is awaited for at most 1 s (`FLEETSCOPE_STATUSLINE_DEADLINE_MS`)
 * and the store is read for at most 256 KiB. Its imports are as small as the hook's.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { resolveHookStore } from '../runners/claude-code-hook-store.js';
import { parseArgs, stringOption, wantsHelp } from './args.js';
import { readStdin, writeText } from './stdin.js';

/** The fields fleetscope reads from Claude Code's statusline JSON (Claude Code's names). */
export interface StatuslineInput {
  session_id?: string;
  cwd?: string;
  model?: { id?: string; display_name?: string };
  workspace?: { current_dir?: string; project_dir?: string };
  cost?: { total_cost_usd?: number; total_duration_ms?: number };
  context_window?: {
    context_window_size?: number;
    used_percentage?: number;
    current_usage?: { input_tokens?: number; cache_creation_input_tokens?: number; cache_read_input_tokens?: number } | null;
  };
  rate_limits?: {
    five_hour?: { used_percentage?: number; resets_at?: number };
    seven_day?: { used_percentage?: number; resets_at?: number };
  };
}

/** How much of the newest segments is searched for the last alert: 256 KiB. */
const ALERT_SCAN_BYTES = 256 * 1024;
const DEFAULT_DEADLINE_MS = 1000;

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `2h15m`, `3d4h`, `12m`, `<1m` or `now` until `resetsAt` (seconds since epoch), from `nowMs`. */
export function untilReset(resetsAt: number, nowMs: number): string {
  const s = Math.max(0, Math.round(resetsAt - nowMs / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (s === 0) return 'now';
  return m > 0 ? `${m}m` : '<1m';
}

/** Context window used, in percent: Claude Code's `used_percentage`, else the current usage over the window size. */
export function contextPercent(input: StatuslineInput): number | undefined {
  const cw = input.context_window;
  const given = num(cw?.used_percentage);
  if (given !== undefined) return given;
  const size = num(cw?.context_window_size);
  const u = cw?.current_usage;
  if (size === undefined || size <= 0 || u === undefined || u === null) return undefined;
  const used = (num(u.input_tokens) ?? 0) + (num(u.cache_creation_input_tokens) ?? 0) + (num(u.cache_read_input_tokens) ?? 0);
  return (used / size) * 100;
}

/** The status line for one input (no store read): the parts that are present, joined by ` · `. */
export function formatStatusline(input: StatuslineInput, nowMs: number, lastAlert?: string): string {
  const parts: string[] = [];
  const model = input.model?.display_name ?? input.model?.id;
  if (typeof model === 'string' && model !== '') parts.push(model);
  const cost = num(input.cost?.total_cost_usd);
  if (cost !== undefined) parts.push(`$${cost.toFixed(2)}`);
  const ctx = contextPercent(input);
  if (ctx !== undefined) parts.push(`ctx ${Math.round(ctx)}%`);
  for (const [label, window] of [
    ['5h', input.rate_limits?.five_hour],
    ['7d', input.rate_limits?.seven_day],
  ] as const) {
    const used = num(window?.used_percentage);
    if (used === undefined) continue;
    const resets = num(window?.resets_at);
    parts.push(`${label} ${Math.round(used)}%${resets !== undefined ? ` ↻${untilReset(resets, nowMs)}` : ''}`);
  }
  if (lastAlert !== undefined) parts.push(`⚠ ${lastAlert}`);
  return parts.length > 0 ? parts.join(' · ') : 'fleetscope';
}

/**
 * The message of the session's newest `alert` in the store, reading only the last 256 KiB of its
 * newest segments (a status line must stay as cheap as a hook); undefined when none is there.
 */
export function lastAlertIn(store: string, sessionId: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(store)
      .filter((n) => /^\d{8,}\.jsonl$/.test(n))
      .sort()
      .reverse();
  } catch {
    return undefined;
  }
  let budget = ALERT_SCAN_BYTES;
  for (const name of names) {
    if (budget <= 0) break;
    let fd: number | undefined;
    try {
      fd = openSync(join(store, name), 'r');
      const size = fstatSync(fd).size;
      const length = Math.min(size, budget);
      const buffer = Buffer.allocUnsafe(length);
      const read = readSync(fd, buffer, 0, length, size - length);
      budget -= read;
      const lines = buffer.toString('utf8', 0, read).split('\n');
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i]!;
        if (!line.includes('"type":"alert"')) continue;
        try {
          const event = JSON.parse(line) as { type?: string; sessionId?: string; payload?: { message?: unknown } };
          if (event.type !== 'alert' || event.sessionId !== sessionId) continue;
          const message = typeof event.payload?.message === 'string' ? event.payload.message : undefined;
          if (message !== undefined) return message.length > 60 ? `${message.slice(0, 59)}…` : message;
        } catch {
          // the first line of the window is usually cut: not an event
        }
      }
    } catch {
      // unreadable segment: look at the next
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return undefined;
}

const STATUSLINE_USAGE = `Usage: fleetscope statusline [--store DIR | --user]
Claude Code's statusLine command: reads the statusline JSON on stdin, prints one line. See docs/claude-code.md.
`;

export async function runStatuslineCommand(argv: readonly string[]): Promise<number> {
  if (wantsHelp(argv)) {
    writeText(1, STATUSLINE_USAGE);
    return 0;
  }
  const started = Date.now();
  let line = 'fleetscope';
  try {
    let args;
    try {
      args = parseArgs(argv, ['store']);
    } catch {
      args = parseArgs([], []);
    }
    const deadline = Number(process.env.FLEETSCOPE_STATUSLINE_DEADLINE_MS);
    const deadlineMs = Number.isFinite(deadline) && deadline >= 50 ? deadline : DEFAULT_DEADLINE_MS;
    const text = readStdin(started + deadlineMs, 16 * 1024 * 1024).text;
    let input: StatuslineInput = {};
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) input = parsed as StatuslineInput;
    } catch {
      // no JSON: the line says only "fleetscope"
    }
    line = formatStatusline(input, Date.now());
    const project = input.workspace?.project_dir;
    const cwd = input.workspace?.current_dir ?? input.cwd;
    const env = typeof project === 'string' && project !== '' ? { ...process.env, CLAUDE_PROJECT_DIR: process.env.CLAUDE_PROJECT_DIR || project } : process.env;
    const store = resolveHookStore({
      store: stringOption(args, 'store'),
      user: args.options.get('user') === true,
      ...(typeof cwd === 'string' && cwd !== '' ? { cwd } : {}),
      env,
    }).dir;
    // Only this session's alert: without a session id (no JSON, an odd input) any session's last alert
    // would show, in a user-level store even another project's.
    const sessionId = typeof input.session_id === 'string' && input.session_id !== '' ? input.session_id : undefined;
    const alert = sessionId === undefined ? undefined : lastAlertIn(store, sessionId);
    if (alert !== undefined) line = formatStatusline(input, Date.now(), alert);
  } catch {
    // never fail the status line
  }
  writeText(1, `${line}\n`); // stdout closed: nothing to show it on
  return 0;
}
