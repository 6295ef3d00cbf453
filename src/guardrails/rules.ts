/**
 * The guardrail rule format (plain data, JSON-loadable) and its compiler. A compiled rule is a
 * predicate over one tool call that runs in time linear in the call's input:
 *
 * - `command` matchers read the shell command through `parseShell` (one pass) and test single
 *   words with anchored patterns (each word at most `MAX_WORD_CHARS`);
 * - `path` matchers test a file path's base name (at most 255 characters, NAME_MAX) and each
 *   directory name on its own;
 * - `pattern` (a regular expression written by the rule's author) is tested on each line of the
 *   inspected text, each line cut to `maxLineChars`: the one place where a badly written pattern
 *   could backtrack, so its cost is bounded by the line cap, never by the whole input;
 * - `detector` names a built-in detector (linear by construction);
 * - `limit` counts calls per agent per minute or cost per session.
 */
import type { GuardrailDecisionAction, GuardrailRequest } from '../core/index.js';
import { argsOf, hasFlag, operandsOf, parseShell, programOf, type ShellCommand } from './shell.js';
import { DETECTORS, type DetectorName } from './detectors.js';

export type GuardrailAction = GuardrailDecisionAction;

/** A test on a file path: its base name and its directory names, each tested on its own. */
export interface PathMatcher {
  /** Pattern (source) the base name must match in full. */
  basename?: string;
  /** Pattern (source) some directory name must match in full (e.g. `\.ssh|\.aws`). */
  dir?: string;
  /** Pattern (source) the base name must NOT match in full (templates such as `.env.example`). */
  except?: string;
}

/** A test on one simple command of a shell command line. */
export interface CommandMatcher {
  /** Program name(s), without directory: `rm`, `["curl","wget"]`; `*` for any program. */
  program: string | readonly string[];
  /** First operand (git's subcommand): `push`, `["reset","checkout"]`. */
  subcommand?: string | readonly string[];
  /** Each entry must be present; an entry lists alternatives: `-r|-R|--recursive`. */
  flags?: readonly string[];
  /** Each pattern (source, anchored) must match some argument (option or operand) in full. */
  args?: readonly string[];
  /** Some operand or `< file` source is a path matching this. */
  path?: PathMatcher;
  /** Some uploaded file is a path matching this: `@file` (curl `-d`/`-F`), `-T file`, `--upload-file file`. */
  uploads?: PathMatcher;
  /** The command's output is piped (directly or through a chain) into a command matching this. */
  pipesInto?: CommandMatcher | readonly CommandMatcher[];
  /** The command writes (`>`, `>>`, `tee`) to a path matching this. */
  writesTo?: PathMatcher;
  /** With no operand at all (e.g. `env`, `printenv` alone). */
  noOperands?: boolean;
}

/** Rolling limits per agent / per session (the `usage` pack). */
export interface UsageLimit {
  /** Most tool calls one agent makes in any 60 s. */
  maxCallsPerMinute?: number;
  /** Most known LLM cost (USD) one session may spend; calls after that match. */
  maxSessionCostUsd?: number;
}

/** One rule, as written in a rules file (JSON) or built in code. */
export interface GuardrailRule {
  /** Stable id, e.g. `rm-rf-root-or-home`; recorded with every decision. */
  id: string;
  /** What the rule prevents, in words; the reason of a decision is `<description> (rule <id>)`. */
  description: string;
  /** Pattern (source) the tool name must match in full, e.g. `Bash` or `Write|Edit`. Default any tool. */
  tool?: string;
  /**
   * Which part of the call is inspected: `command` (Bash's `command`), `file_path` (`file_path`,
   * `notebook_path` or `path`), `any` (both, or the whole input as JSON when neither is there),
   * `output` (what the tool returned). Default `any`, or `output` when `phase` is `output`.
   */
  field?: 'command' | 'file_path' | 'any' | 'output';
  /** `input` (default): checked before the tool runs; `output`: checked on its result. */
  phase?: 'input' | 'output';
  /** Regular expression (source) searched in each line of the field (see `maxLineChars`). */
  pattern?: string;
  /** Flags of `pattern` (`i`, `u`, `m`, `s`). Default none. */
  flags?: string;
  /** Longest line `pattern` inspects; longer lines are cut. Default 4096. */
  maxLineChars?: number;
  /** Shell command matcher(s); the rule matches when any matches any simple command. */
  command?: CommandMatcher | readonly CommandMatcher[];
  /** File path matcher (Write, Edit, Read: on `file_path`/`notebook_path`/`path`). */
  path?: PathMatcher;
  /** A built-in detector, by name. */
  detector?: DetectorName;
  /** Usage limits (per agent per minute, per session cost). */
  limit?: UsageLimit;
  /** `block` (default), `alert`, `redact` or `log`. `warn` (rules files of the hook) reads as `alert`. */
  action?: GuardrailAction | 'warn';
  /** Rule pack; set by the packs, free for yours. Default `custom`. */
  pack?: string;
  /** Host code only (not JSON): an extra predicate; the rule matches when it returns true. */
  predicate?: (request: GuardrailRequest) => boolean;
}

/** What a compiled rule needs from the engine's state. */
export interface RuleState {
  /** Calls of this agent in the last 60 s, this one included. */
  callsLastMinute(agentId: string, now: number): number;
  /** Known LLM cost of the session so far. */
  sessionCostUsd(sessionId: string): number;
}

export interface CompiledRule {
  rule: GuardrailRule;
  id: string;
  action: GuardrailAction;
  phase: 'input' | 'output';
  pack: string;
  reason: string;
  /** Whether the rule applies to this tool name. */
  appliesTo(toolName: string): boolean;
  matches(request: GuardrailRequest, state: RuleState): boolean;
  usesCallRate: boolean;
}

/** Longest word a command matcher's patterns test; a longer word is cut. */
export const MAX_WORD_CHARS = 4096;
/** NAME_MAX: a longer base name is cut. */
const MAX_NAME_CHARS = 255;
const DEFAULT_MAX_LINE_CHARS = 4096;
/** Longest text taken from an output or a JSON input for inspection. */
export const MAX_INSPECTED_CHARS = 4 << 20;

export class GuardrailRuleError extends Error {
  override readonly name = 'GuardrailRuleError';
}

function fail(where: string, message: string): never {
  throw new GuardrailRuleError(`[fleetscope] [guardrails] ${where}: ${message}`);
}

function regex(source: unknown, where: string, flags = ''): RegExp {
  if (typeof source !== 'string' || source === '') fail(where, 'must be a non-empty string (a regular expression)');
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (error) {
    return fail(where, (error as Error).message);
  }
}

const list = (value: string | readonly string[] | undefined): readonly string[] | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? [value] : value;

type PathTest = (path: string) => boolean;

function compilePath(m: PathMatcher, where: string): PathTest {
  if (typeof m !== 'object' || m === null) fail(where, 'must be an object { basename?, dir?, except? }');
  if (m.basename === undefined && m.dir === undefined) fail(where, 'needs "basename" or "dir"');
  const base = m.basename === undefined ? undefined : regex(m.basename, `${where}.basename`, 'i');
  const dir = m.dir === undefined ? undefined : regex(m.dir, `${where}.dir`, 'i');
  const except = m.except === undefined ? undefined : regex(m.except, `${where}.except`, 'i');
  return (path) => {
    // One pass over the path's parts (split is linear); each part tested on its own, cut at NAME_MAX.
    const parts = path.split(/[/\\]/);
    const name = (parts[parts.length - 1] ?? '').slice(0, MAX_NAME_CHARS);
    if (except !== undefined && except.test(name)) return false;
    if (base !== undefined && base.test(name)) return true;
    if (dir !== undefined) {
      for (let i = 0; i < parts.length - 1; i++) if (dir.test(parts[i]!.slice(0, MAX_NAME_CHARS))) return true;
    }
    return false;
  };
}

type CommandTest = (commands: readonly ShellCommand[], index: number) => boolean;

function compileFlag(entry: string, where: string): (args: readonly string[]) => boolean {
  if (typeof entry !== 'string' || entry === '') fail(where, 'must be a string like "-r|-R|--recursive"');
  const tests = entry.split('|').map((alt) => {
    if (alt.startsWith('--') && alt.length > 2) return (args: readonly string[]) => hasFlag(args, '', alt.slice(2));
    if (/^-[A-Za-z0-9]$/.test(alt)) return (args: readonly string[]) => hasFlag(args, alt[1]!);
    return fail(where, `"${alt}" is neither -x nor --long`);
  });
  return (args) => tests.some((t) => t(args));
}

/** Words following these git options are values, not the subcommand. */
const VALUE_OPTIONS = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '-u', '-n', '-o', '-O']);

function firstOperand(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (!a.startsWith('-')) return a;
  }
  return undefined;
}

function compileCommand(m: CommandMatcher, where: string): CommandTest {
  if (typeof m !== 'object' || m === null) fail(where, 'must be an object { program, ... }');
  const programs = list(m.program);
  if (programs === undefined || programs.length === 0 || programs.some((p) => typeof p !== 'string')) fail(`${where}.program`, 'must be a name or a list of names');
  const programSet = new Set(programs);
  const anyProgram = programSet.has('*');
  const subs = list(m.subcommand);
  const subSet = subs === undefined ? undefined : new Set(subs);
  const flags = (m.flags ?? []).map((f, i) => compileFlag(f, `${where}.flags[${i}]`));
  if (m.args !== undefined && !Array.isArray(m.args)) fail(`${where}.args`, 'must be a list of patterns');
  const args = (m.args ?? []).map((a, i) => regex(a, `${where}.args[${i}]`));
  const path = m.path === undefined ? undefined : compilePath(m.path, `${where}.path`);
  const uploads = m.uploads === undefined ? undefined : compilePath(m.uploads, `${where}.uploads`);
  const writesTo = m.writesTo === undefined ? undefined : compilePath(m.writesTo, `${where}.writesTo`);
  const into = m.pipesInto === undefined ? undefined : compileCommands(m.pipesInto, `${where}.pipesInto`);
  return (commands, index) => {
    const c = commands[index]!;
    if (!anyProgram && !programSet.has(programOf(c))) return false;
    const a = argsOf(c);
    if (subSet !== undefined) {
      const sub = firstOperand(a);
      if (sub === undefined || !subSet.has(sub)) return false;
    }
    for (const f of flags) if (!f(a)) return false;
    const operands = operandsOf(a);
    if (m.noOperands === true && operands.length > 0) return false;
    for (const pattern of args) {
      if (!a.some((o) => pattern.test(o.length > MAX_WORD_CHARS ? o.slice(0, MAX_WORD_CHARS) : o))) return false;
    }
    if (path !== undefined && !operands.some(path) && !c.stdinFrom.some(path)) return false;
    if (uploads !== undefined) {
      const files: string[] = [];
      for (let k = 0; k < a.length; k++) {
        const w = a[k]!;
        if ((w === '-T' || w === '--upload-file') && k + 1 < a.length) files.push(a[k + 1]!);
        // -d @file, --data-binary @file, -F name=@file (the @ comes early in the word)
        const at = w.indexOf('@');
        if (at >= 0 && at < 64 && (at === 0 || w[at - 1] === '=')) files.push(w.slice(at + 1));
      }
      if (!files.some(uploads)) return false;
    }
    if (writesTo !== undefined) {
      const targets = programOf(c) === 'tee' ? [...c.stdoutTo, ...operands] : c.stdoutTo;
      if (!targets.some((p) => writesTo(p))) return false;
    }
    if (into !== undefined) {
      let found = false;
      // Downstream of a pipe chain: commands after index while the previous one pipes into the next.
      for (let j = index; j < commands.length && commands[j]!.pipesToNext; j++) {
        if (into(commands, j + 1)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  };
}

function compileCommands(value: CommandMatcher | readonly CommandMatcher[], where: string): CommandTest {
  const matchers = (Array.isArray(value) ? value : [value]) as readonly CommandMatcher[];
  const tests = matchers.map((m, i) => compileCommand(m, `${where}[${i}]`));
  return (commands, index) => tests.some((t) => t(commands, index));
}

const ACTIONS = new Set(['block', 'alert', 'redact', 'log', 'warn']);
const FIELDS = new Set(['command', 'file_path', 'any', 'output']);

/** Compiles one rule; throws `GuardrailRuleError` naming the rule and the field. */
export function compileRule(rule: GuardrailRule, index: number): CompiledRule {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) fail(`rule ${index}`, 'must be an object');
  if (typeof rule.id !== 'string' || rule.id === '') fail(`rule ${index}`, '"id" must be a non-empty string');
  const where = `rule ${rule.id}`;
  if (typeof rule.description !== 'string' || rule.description === '') fail(where, '"description" must be a non-empty string');
  const rawAction = rule.action ?? 'block';
  if (!ACTIONS.has(rawAction)) fail(where, '"action" must be "block", "alert", "redact" or "log"');
  const action: GuardrailAction = rawAction === 'warn' ? 'alert' : rawAction;
  if (rule.field !== undefined && !FIELDS.has(rule.field)) fail(where, '"field" must be "command", "file_path", "any" or "output"');
  if (rule.phase !== undefined && rule.phase !== 'input' && rule.phase !== 'output') fail(where, '"phase" must be "input" or "output"');
  const phase = rule.phase ?? (rule.field === 'output' ? 'output' : 'input');
  const field = rule.field ?? (phase === 'output' ? 'output' : 'any');
  if (rule.predicate !== undefined && typeof rule.predicate !== 'function') fail(where, '"predicate" must be a function');
  const tool = rule.tool === undefined || rule.tool === '' || rule.tool === '*' ? undefined : regex(rule.tool, `${where}.tool`);
  const maxLine = rule.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  if (typeof maxLine !== 'number' || !(maxLine >= 1)) fail(where, '"maxLineChars" must be a number >= 1');
  let pattern: RegExp | undefined;
  if (rule.pattern !== undefined) {
    if (typeof rule.pattern !== 'string' || rule.pattern === '') fail(where, '"pattern" must be a non-empty string');
    const flags = rule.flags ?? '';
    if (typeof flags !== 'string' || /[gy]/.test(flags)) fail(where, '"flags" must be a string without g or y');
    try {
      pattern = new RegExp(rule.pattern, flags);
    } catch (error) {
      fail(`${where}.pattern`, (error as Error).message);
    }
  }
  const command = rule.command === undefined ? undefined : compileCommands(rule.command, `${where}.command`);
  const path = rule.path === undefined ? undefined : compilePath(rule.path, `${where}.path`);
  if (rule.detector !== undefined && !Object.hasOwn(DETECTORS, rule.detector)) {
    fail(where, `"detector" must be one of ${Object.keys(DETECTORS).join(', ')}`);
  }
  const detector = rule.detector === undefined ? undefined : DETECTORS[rule.detector];
  const limit = rule.limit;
  if (limit !== undefined) {
    if (typeof limit !== 'object' || limit === null) fail(where, '"limit" must be an object');
    for (const key of ['maxCallsPerMinute', 'maxSessionCostUsd'] as const) {
      const v = limit[key];
      if (v !== undefined && (typeof v !== 'number' || !(v > 0))) fail(where, `"limit.${key}" must be a number > 0`);
    }
  }
  if (pattern === undefined && command === undefined && path === undefined && detector === undefined && limit === undefined && rule.predicate === undefined) {
    fail(where, 'needs one of "pattern", "command", "path", "detector", "limit" (or a predicate)');
  }
  const predicate = rule.predicate;

  return {
    rule,
    id: rule.id,
    action,
    phase,
    pack: rule.pack ?? 'custom',
    reason: `${rule.description} (rule ${rule.id})`,
    usesCallRate: limit?.maxCallsPerMinute !== undefined,
    appliesTo: (toolName) => tool === undefined || tool.test(toolName.length > MAX_WORD_CHARS ? toolName.slice(0, MAX_WORD_CHARS) : toolName),
    matches(request, state) {
      if (limit !== undefined) {
        if (limit.maxCallsPerMinute !== undefined && state.callsLastMinute(request.agentId, request.now) > limit.maxCallsPerMinute) return true;
        if (limit.maxSessionCostUsd !== undefined && state.sessionCostUsd(request.sessionId) > limit.maxSessionCostUsd) return true;
      }
      if (predicate !== undefined && predicate(request) === true) return true;
      if (command !== undefined) {
        const text = commandOf(request.value);
        if (text !== undefined) {
          const commands = parseShell(text);
          for (let i = 0; i < commands.length; i++) if (command(commands, i)) return true;
        }
      }
      if (path !== undefined) {
        for (const p of pathsOf(request.value)) if (path(p)) return true;
      }
      if (pattern !== undefined || detector !== undefined) {
        for (const text of textsOf(field, request.value)) {
          if (detector !== undefined && detector(text)) return true;
          if (pattern !== undefined && testLines(pattern, text, maxLine)) return true;
        }
      }
      return false;
    },
  };
}

/** Tests `pattern` on each line of `text`, each cut to `maxLine` characters. O(n) lines × bounded cost. */
function testLines(pattern: RegExp, text: string, maxLine: number): boolean {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, Math.min(end, start + maxLine));
    if (pattern.test(line)) return true;
    start = end + 1;
  }
  return false;
}

function commandOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const c = (value as { command?: unknown }).command;
    if (typeof c === 'string') return c;
  }
  return undefined;
}

function pathsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  const out: string[] = [];
  for (const key of ['file_path', 'notebook_path', 'path']) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string') out.push(v);
  }
  return out;
}

/** The texts a `pattern`/`detector` rule inspects, each at most `MAX_INSPECTED_CHARS`. */
function textsOf(field: string, value: unknown): string[] {
  const cut = (s: string) => (s.length > MAX_INSPECTED_CHARS ? s.slice(0, MAX_INSPECTED_CHARS) : s);
  if (typeof value === 'string') return [cut(value)];
  // Binary data is not text a model reads as instructions; stringifying it would cost O(bytes × 4).
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return [];
  const v = value as Record<string, unknown>;
  const out: string[] = [];
  if (field === 'command' || field === 'any') if (typeof v.command === 'string') out.push(cut(v.command));
  if (field === 'file_path' || field === 'any') for (const p of pathsOf(value)) out.push(cut(p));
  if (field === 'output') {
    for (const key of ['stdout', 'stderr', 'content', 'text', 'output', 'result']) if (typeof v[key] === 'string') out.push(cut(v[key] as string));
  }
  if (out.length === 0 && (field === 'any' || field === 'output')) {
    try {
      const json = JSON.stringify(value);
      if (typeof json === 'string') out.push(cut(json));
    } catch {
      // unserializable: nothing to inspect
    }
  }
  return out;
}
