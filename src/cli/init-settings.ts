/**
 * The settings.json edit behind `fleetscope init`: which hook entries are fleetscope's, how they are
 * merged into hooks already there (never clobbering them), removed again, and shown as a diff.
 * Pure functions over parsed JSON and text; the command (`init.ts`) does the file work.
 */
import { KNOWN_HOOK_EVENTS } from '../runners/claude-code-hooks.js';

/** Trailing shell comment that marks a command written by `fleetscope init`. */
export const INIT_MARKER = '# fleetscope';

/**
 * Events whose mere presence of a hook changes what Claude Code does, so an observer must not
 * install one by default: a `WorktreeCreate` hook replaces Claude Code's own `git worktree add` (and
 * must print the new path); a `WorktreeRemove` hook that exits 0 makes a worktree created by the
 * user's own `WorktreeCreate` hook "removed" without the `git worktree remove --force` fallback;
 * `MessageDisplay` fires for every streamed chunk of text (a process per chunk).
 */
const NOT_BY_DEFAULT = new Set(['WorktreeCreate', 'WorktreeRemove', 'MessageDisplay']);

/** Events `init` installs by default: every event of today's Claude Code but `NOT_BY_DEFAULT`'s (`--events` adds them). */
export const INIT_DEFAULT_EVENTS: readonly string[] = KNOWN_HOOK_EVENTS.filter((e) => !NOT_BY_DEFAULT.has(e));

/** Events whose matcher is a tool name: installed with matcher `*`. */
const TOOL_EVENTS = new Set(['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PermissionRequest', 'PermissionDenied']);

/** Seconds Claude Code waits for the hook (its own deadline is 2 s; the rest is process start on a busy machine). */
export const INIT_HOOK_TIMEOUT_S = 10;

export interface HookEntry {
  type: 'command';
  command: string;
  timeout?: number;
}

export interface InitPlan {
  /** `<node> <cli> hook ...` without the marker. */
  command: string;
  events: readonly string[];
  /** PreToolUse blocks (exit 2) when the hook cannot run. */
  failClosed: boolean;
  /** The statusline command to set, when asked for. */
  statusline?: string;
}

/** Quotes a word for `sh -c` (Claude Code runs hook commands through the shell). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Is this hook command fleetscope's (written by `init`, or the README's `npx fleetscope hook` of old)? */
export function isFleetscopeCommand(command: unknown): boolean {
  if (typeof command !== 'string') return false;
  return command.trimEnd().endsWith(INIT_MARKER) || /(^|[\s/'"])fleetscope([/.][^\s'"]*)?['"]?\s+hook\b/.test(command);
}

/** The command of one event's entry: `--fail-closed` turns "could not run" (127, a crash) into a block for PreToolUse. */
export function entryCommand(plan: InitPlan, event: string): string {
  const failClosed = plan.failClosed && event === 'PreToolUse';
  return `${plan.command}${failClosed ? ' --fail-closed || exit 2' : ''} ${INIT_MARKER}`;
}

type Json = Record<string, unknown>;

/** Why a settings object cannot be edited safely, or undefined. */
export function settingsProblem(settings: unknown): string | undefined {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return 'its top level is not a JSON object';
  const hooks = (settings as Json).hooks;
  if (hooks === undefined) return undefined;
  if (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks)) return '"hooks" is not an object';
  for (const [event, groups] of Object.entries(hooks as Json)) {
    if (!Array.isArray(groups)) return `"hooks.${event}" is not an array`;
    for (const group of groups) {
      if (typeof group !== 'object' || group === null || (group as Json).hooks !== undefined && !Array.isArray((group as Json).hooks)) return `"hooks.${event}" holds an entry that is not { matcher, hooks: [...] }`;
    }
  }
  return undefined;
}

/** A copy of `settings` without fleetscope's entries (groups left empty by that are dropped, and an empty `hooks`). */
export function withoutFleetscope(settings: Json): Json {
  const out: Json = { ...settings };
  const hooks = settings.hooks as Record<string, Json[]> | undefined;
  if (hooks !== undefined) {
    const kept: Record<string, Json[]> = {};
    for (const [event, groups] of Object.entries(hooks)) {
      const left: Json[] = [];
      for (const group of groups) {
        const entries = Array.isArray(group.hooks) ? (group.hooks as Json[]) : undefined;
        if (entries === undefined) {
          left.push(group);
          continue;
        }
        const mine = entries.filter((h) => isFleetscopeCommand(h?.command));
        if (mine.length === 0) left.push(group);
        else if (mine.length < entries.length) left.push({ ...group, hooks: entries.filter((h) => !isFleetscopeCommand(h?.command)) });
      }
      if (left.length > 0) kept[event] = left;
    }
    if (Object.keys(kept).length > 0) out.hooks = kept;
    else delete out.hooks;
  }
  const status = settings.statusLine as Json | undefined;
  if (status !== undefined && isFleetscopeCommand(status?.command)) delete out.statusLine;
  return out;
}

/** `settings` with fleetscope's entries (old ones replaced, everyone else's kept in place and order). */
export function withFleetscope(settings: Json, plan: InitPlan): { settings: Json; notes: string[] } {
  const notes: string[] = [];
  const base = withoutFleetscope(settings);
  const hooks: Record<string, Json[]> = { ...((base.hooks as Record<string, Json[]> | undefined) ?? {}) };
  for (const event of plan.events) {
    const entry: HookEntry = { type: 'command', command: entryCommand(plan, event), timeout: INIT_HOOK_TIMEOUT_S };
    const group: Json = TOOL_EVENTS.has(event) ? { matcher: '*', hooks: [entry] } : { hooks: [entry] };
    hooks[event] = [...(hooks[event] ?? []), group];
  }
  const out: Json = { ...base, hooks };
  if (plan.statusline !== undefined) {
    const current = settings.statusLine as Json | undefined;
    if (current === undefined || isFleetscopeCommand(current.command)) {
      out.statusLine = { type: 'command', command: `${plan.statusline} ${INIT_MARKER}`, padding: 0 };
    } else {
      out.statusLine = current;
      notes.push('a statusLine of your own is set; it is left as it is (remove it and run init --statusline again to use fleetscope statusline)');
    }
  } else if (settings.statusLine !== undefined) {
    out.statusLine = settings.statusLine;
  }
  return { settings: out, notes };
}

/** The indent of a JSON text (its first indented line), default 2. */
export function detectIndent(text: string): string | number {
  const m = /\n([ \t]+)["}\]]/.exec(text);
  return m?.[1] ?? 2;
}

/** A line diff of two texts (`-` removed, `+` added, two lines of context around each change). */
export function lineDiff(before: string, after: string, label: string): string {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after.replace(/\n$/, '').split('\n');
  // Longest common subsequence table; settings files are small (hundreds of lines).
  const lcs: Uint32Array[] = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Array<[' ' | '-' | '+', string]> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push([' ', a[i++]!]), j++;
    else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push(['-', a[i++]!]);
    else ops.push(['+', b[j++]!]);
  }
  const near = ops.map((_, k) => ops.slice(Math.max(0, k - 2), k + 3).some(([op]) => op !== ' '));
  const out = [`--- ${label}`, `+++ ${label} (after fleetscope init)`];
  let skipped = false;
  ops.forEach(([op, line], k) => {
    if (near[k]) {
      out.push(`${op}${line}`);
      skipped = false;
    } else if (!skipped) {
      out.push(' ...');
      skipped = true;
    }
  });
  return `${out.join('\n')}\n`;
}
