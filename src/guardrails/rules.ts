/**
 * The guardrail rule format (plain data, JSON-loadable) and its compiler. A compiled rule is a
 * predicate over one tool call that runs in time linear in the call's input:
 *
 * - `command` matchers read the shell command through `forEachCommand` (one pass, shared by every
 *   rule of a check) and test single words with anchored patterns (each word at most `MAX_WORD_CHARS`);
 * - `path` matchers test a file path's base name (at most 255 characters, NAME_MAX) and each
 *   directory name on its own;
 * - `pattern` (a regular expression written by the rule's author) is tested on each line of the
 *   inspected text, each line cut to `maxLineChars`: the one place where a badly written pattern
 *   could backtrack, so its cost is bounded by the line cap, never by the whole input;
 * - `detector` names a built-in detector (linear by construction);
 * - `limit` counts calls per agent per minute or cost per session.
 */
import type { GuardrailDecisionAction, GuardrailRequest } from '../core/index.js';
import { forEachCommand, type ShellCommand } from './shell.js';
import { DETECTORS, type DetectorName } from './detectors.js';
import { anchored, compileCommands, compilePath, cutWord, fail, interestedIn, namesProgramOf, unionOfInterests, type CommandInterest, type CommandMatcherFactory, type CommandStepper } from './matchers.js';

export { GuardrailRuleError, MAX_WORD_CHARS } from './matchers.js';

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
  /** Whether the rule matches the request (on its own; the engine checks its rules together with `matchRules`). */
  matches(request: GuardrailRequest, state: RuleState): boolean;
  usesCallRate: boolean;
  /** Every test but the shell command's, on the inspected parts shared by the rules of one check. */
  matchesParts(request: GuardrailRequest, state: RuleState, parts: InspectedParts): boolean;
  /** The shell command test, when the rule has one: a fresh stepper per command line. */
  commandMatcher?: CommandMatcherFactory;
}

const DEFAULT_MAX_LINE_CHARS = 4096;
/** Longest text taken from an output or a JSON input for inspection. */
export const MAX_INSPECTED_CHARS = 4 << 20;

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
  const tool = rule.tool === undefined || rule.tool === '' || rule.tool === '*' ? undefined : anchored(rule.tool, `${where}.tool`);
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

  const compiled: CompiledRule = {
    rule,
    id: rule.id,
    action,
    phase,
    pack: rule.pack ?? 'custom',
    reason: `${rule.description} (rule ${rule.id})`,
    usesCallRate: limit?.maxCallsPerMinute !== undefined,
    appliesTo: (toolName) => tool === undefined || tool.test(cutWord(toolName)),
    ...(command !== undefined ? { commandMatcher: command } : {}),
    matchesParts(request, state, parts) {
      if (limit !== undefined) {
        if (limit.maxCallsPerMinute !== undefined && state.callsLastMinute(request.agentId, request.now) > limit.maxCallsPerMinute) return true;
        if (limit.maxSessionCostUsd !== undefined && state.sessionCostUsd(request.sessionId) > limit.maxSessionCostUsd) return true;
      }
      if (predicate !== undefined && predicate(request) === true) return true;
      if (path !== undefined) {
        for (const p of parts.paths()) if (path(p)) return true;
      }
      if (pattern !== undefined || detector !== undefined) {
        for (const text of parts.texts(field)) {
          if (detector !== undefined && detector(text)) return true;
          if (pattern !== undefined && testLines(pattern, text, maxLine)) return true;
        }
      }
      return false;
    },
    matches: (request, state) => {
      const rethrow = (_rule: CompiledRule, error: unknown) => {
        throw error;
      };
      return matchRules([compiled], request, state, rethrow).length > 0;
    },
  };
  return compiled;
}

/**
 * The rules that match a request, in their order. The parts a rule inspects are read once for all
 * of them, and the shell command is read in one pass that every command rule watches: a check
 * costs one reading of the command plus each rule's look at each simple command, never one
 * reading per rule. A rule that throws is handed to `onError` and left out.
 */
export function matchRules(
  rules: readonly CompiledRule[],
  request: GuardrailRequest,
  state: RuleState,
  onError: (rule: CompiledRule, error: unknown) => void,
): CompiledRule[] {
  const parts = inspectedParts(request.value);
  const matched = new Set<CompiledRule>();
  const watch = new CommandWatch(matched, onError);
  for (const rule of rules) {
    try {
      if (rule.matchesParts(request, state, parts)) matched.add(rule);
      else if (rule.commandMatcher !== undefined && parts.command() !== undefined) watch.add(rule, rule.commandMatcher);
    } catch (error) {
      onError(rule, error);
    }
  }
  if (watch.size > 0) forEachCommand(parts.command()!, watch.show);
  return matched.size === 0 ? [] : rules.filter((r) => matched.has(r));
}

/**
 * Rules reading a shell command together: each simple command is shown to every rule still
 * watching; a rule that matched (or threw) stops watching, and the reading stops when none is left.
 */
class CommandWatch {
  private readonly rules: CompiledRule[] = [];
  private readonly steps: CommandStepper[] = [];
  private readonly interests: CommandInterest[] = [];
  /** What any rule watching needs: other commands are skipped with one test. */
  private interest: CommandInterest | undefined;

  constructor(
    private readonly matched: Set<CompiledRule>,
    private readonly onError: (rule: CompiledRule, error: unknown) => void,
  ) {}

  get size(): number {
    return this.rules.length;
  }

  add(rule: CompiledRule, matcher: CommandMatcherFactory): void {
    this.rules.push(rule);
    this.steps.push(matcher.start());
    this.interests.push(matcher.interest);
    this.interest = undefined;
  }

  /** Returns true when no rule is left watching. */
  readonly show = (command: ShellCommand): boolean => {
    const { steps, interests } = this;
    this.interest ??= unionOfInterests(interests);
    if (!interestedIn(this.interest, command)) return false;
    let i = 0;
    // One try around the loop (not one per rule): the common case is no rule throwing.
    while (i < steps.length) {
      try {
        for (; i < steps.length; i++) {
          if (interestedIn(interests[i]!, command) && (steps[i]!(command) || (command.truncated && namesProgramOf(interests[i]!, command)))) {
            this.matched.add(this.rules[i]!);
            this.remove(i--);
          }
        }
      } catch (error) {
        this.onError(this.rules[i]!, error);
        this.remove(i);
      }
    }
    return steps.length === 0;
  };

  private remove(i: number): void {
    this.rules.splice(i, 1);
    this.steps.splice(i, 1);
    this.interests.splice(i, 1);
  }
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

/**
 * The parts of a request's value the rules inspect, each read once per check (and only when some
 * rule asks): the shell command, the file paths, the texts per field (a JSON rendering at most once).
 */
export interface InspectedParts {
  command(): string | undefined;
  paths(): readonly string[];
  texts(field: string): readonly string[];
}

function inspectedParts(value: unknown): InspectedParts {
  let command: string | undefined | null = null;
  let paths: string[] | undefined;
  const texts = new Map<string, string[]>();
  return {
    // null: not read yet (reading may throw: a hostile Proxy; the rule asking is then counted)
    command: () => (command === null ? (command = commandOf(value)) : command),
    paths: () => (paths ??= pathsOf(value)),
    texts(field) {
      let out = texts.get(field);
      if (out === undefined) texts.set(field, (out = textsOf(field, value)));
      return out;
    },
  };
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
