/**
 * Compilers of the matchers a rule is made of: path matchers (a base name and directory names,
 * each tested on its own) and shell command matchers, which read a command line one simple command
 * at a time (`forEachCommand`) and keep only what a pipe chain needs. Each test is linear in what
 * it reads: words are cut to `MAX_WORD_CHARS`, names to NAME_MAX, and no test looks back.
 */
import { argsOf, hasFlag, operandsOf, type ShellCommand } from './shell.js';
import type { CommandMatcher, PathMatcher } from './rules.js';

export class GuardrailRuleError extends Error {
  override readonly name = 'GuardrailRuleError';
}

export function fail(where: string, message: string): never {
  throw new GuardrailRuleError(`[fleetscope] [guardrails] ${where}: ${message}`);
}

/** A pattern anchored at both ends (`^(?:source)$`); throws a `GuardrailRuleError` naming `where`. */
export function anchored(source: unknown, where: string, flags = ''): RegExp {
  if (typeof source !== 'string' || source === '') fail(where, 'must be a non-empty string (a regular expression)');
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (error) {
    return fail(where, (error as Error).message);
  }
}

/** Longest word a command matcher's patterns test; a longer word is cut. */
export const MAX_WORD_CHARS = 4096;
/** NAME_MAX: a longer base name is cut. */
const MAX_NAME_CHARS = 255;

export const cutWord = (word: string): string => (word.length > MAX_WORD_CHARS ? word.slice(0, MAX_WORD_CHARS) : word);

export type PathTest = (path: string) => boolean;

/** Index of the last `/` or `\\` of a path, -1 when none. */
function lastSeparator(path: string): number {
  for (let i = path.length - 1; i >= 0; i--) {
    const c = path.charCodeAt(i);
    if (c === 47 || c === 92) return i;
  }
  return -1;
}

export function compilePath(m: PathMatcher, where: string): PathTest {
  if (typeof m !== 'object' || m === null) fail(where, 'must be an object { basename?, dir?, except? }');
  if (m.basename === undefined && m.dir === undefined) fail(where, 'needs "basename" or "dir"');
  const base = m.basename === undefined ? undefined : anchored(m.basename, `${where}.basename`, 'i');
  const dir = m.dir === undefined ? undefined : anchored(m.dir, `${where}.dir`, 'i');
  const except = m.except === undefined ? undefined : anchored(m.except, `${where}.except`, 'i');
  return (path) => {
    // The base name after the last separator; directory names only when a rule asks about them.
    // Each part tested on its own, cut at NAME_MAX: one pass over the path.
    const end = lastSeparator(path);
    const name = path.slice(end + 1, end + 1 + MAX_NAME_CHARS);
    if (except !== undefined && except.test(name)) return false;
    if (base !== undefined && base.test(name)) return true;
    if (dir !== undefined && end >= 0) {
      for (const part of path.slice(0, end).split(/[/\\]/)) if (dir.test(part.slice(0, MAX_NAME_CHARS))) return true;
    }
    return false;
  };
}

/**
 * A command matcher at work on one command line: given, in order, each simple command it is
 * interested in (see `CommandInterest`), it answers whether the matcher is satisfied by what it has
 * seen (a pipe chain is satisfied at its downstream command). Made afresh for each command line:
 * it may remember an open pipe chain.
 */
export type CommandStepper = (command: ShellCommand) => boolean;

/**
 * Which simple commands a matcher needs to see; the others cannot change its answer, so a hostile
 * line of half a million `a|` costs one Set lookup per command and rule set, not one per rule.
 */
export interface CommandInterest {
  /** Programs (base names) whose commands it needs. */
  programs: ReadonlySet<string>;
  /** It needs every command that writes to a file (`>`, `tee`): a `*` matcher with `writesTo`. */
  writers: boolean;
  /** It needs every command (a `*` matcher without `writesTo`). */
  all: boolean;
}

/** A compiled command matcher: what it needs to see, and a fresh stepper for each command line. */
export interface CommandMatcherFactory {
  interest: CommandInterest;
  start(): CommandStepper;
}

/** The commands any of these interests needs. */
export function unionOfInterests(interests: readonly CommandInterest[]): CommandInterest {
  const programs = new Set<string>();
  for (const i of interests) for (const p of i.programs) programs.add(p);
  return { programs, writers: interests.some((i) => i.writers), all: interests.some((i) => i.all) };
}

/**
 * Whether an interest names the command's program (or writes, for a writer's interest): a command
 * too long to read in full (`truncated`) is taken as a match by such a rule, never by a `*` rule.
 */
export function namesProgramOf(interest: CommandInterest, c: ShellCommand): boolean {
  return interest.programs.has(c.program) || (interest.writers && (c.stdoutTo.length > 0 || c.program === 'tee'));
}

/** Whether a command is one an interest needs. */
export function interestedIn(interest: CommandInterest, c: ShellCommand): boolean {
  return interest.all || interest.programs.has(c.program) || (interest.writers && (c.stdoutTo.length > 0 || c.program === 'tee'));
}

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

/** Files a command uploads: `-T file`, `--upload-file file`, `-d @file`, `-F name=@file`. */
function uploadedFiles(args: readonly string[]): string[] {
  const files: string[] = [];
  for (let k = 0; k < args.length; k++) {
    const w = args[k]!;
    if ((w === '-T' || w === '--upload-file') && k + 1 < args.length) files.push(args[k + 1]!);
    // the @ comes early in the word
    const at = w.indexOf('@');
    if (at >= 0 && at < 64 && (at === 0 || w[at - 1] === '=')) files.push(w.slice(at + 1));
  }
  return files;
}

interface SingleTest {
  test: (c: ShellCommand) => boolean;
  interest: CommandInterest;
}

/** The tests of a matcher on one simple command (everything but `pipesInto`). */
function compileSingle(m: CommandMatcher, where: string): SingleTest {
  const programs = typeof m.program === 'string' ? [m.program] : m.program;
  if (!Array.isArray(programs) || programs.length === 0 || programs.some((p) => typeof p !== 'string')) fail(`${where}.program`, 'must be a name or a list of names');
  const programSet = new Set(programs);
  const anyProgram = programSet.has('*');
  const subs = m.subcommand === undefined ? undefined : new Set(typeof m.subcommand === 'string' ? [m.subcommand] : m.subcommand);
  const flags = (m.flags ?? []).map((f, i) => compileFlag(f, `${where}.flags[${i}]`));
  if (m.args !== undefined && !Array.isArray(m.args)) fail(`${where}.args`, 'must be a list of patterns');
  const args = (m.args ?? []).map((a, i) => anchored(a, `${where}.args[${i}]`));
  const path = m.path === undefined ? undefined : compilePath(m.path, `${where}.path`);
  const uploads = m.uploads === undefined ? undefined : compilePath(m.uploads, `${where}.uploads`);
  const writesTo = m.writesTo === undefined ? undefined : compilePath(m.writesTo, `${where}.writesTo`);
  const interest: CommandInterest = {
    programs: anyProgram ? new Set() : programSet,
    writers: anyProgram && writesTo !== undefined,
    all: anyProgram && writesTo === undefined,
  };
  const test = (c: ShellCommand): boolean => {
    if (!anyProgram && !programSet.has(c.program)) return false;
    const a = argsOf(c);
    if (subs !== undefined) {
      const sub = firstOperand(a);
      if (sub === undefined || !subs.has(sub)) return false;
    }
    for (const f of flags) if (!f(a)) return false;
    const operands = operandsOf(a);
    if (m.noOperands === true && operands.length > 0) return false;
    for (const pattern of args) if (!a.some((o) => pattern.test(cutWord(o)))) return false;
    if (path !== undefined && !operands.some(path) && !c.stdinFrom.some(path)) return false;
    if (uploads !== undefined && !uploadedFiles(a).some(uploads)) return false;
    if (writesTo !== undefined) {
      const targets = c.program === 'tee' ? [...c.stdoutTo, ...operands] : c.stdoutTo;
      if (!targets.some(writesTo)) return false;
    }
    return true;
  };
  return { test, interest };
}

/**
 * One matcher. With `pipesInto`, it opens a pipe chain when a command matches and pipes on, then
 * asks the downstream matcher about every later command of that pipeline (downstream matchers see
 * only commands after the opening one), and forgets the chain when a command of another pipeline
 * comes: one look at each command, whatever the chain's length.
 */
function compileCommand(m: CommandMatcher, where: string): CommandMatcherFactory {
  if (typeof m !== 'object' || m === null) fail(where, 'must be an object { program, ... }');
  const single = compileSingle(m, where);
  if (m.pipesInto === undefined) return { interest: single.interest, start: () => single.test };
  const into = compileCommands(m.pipesInto, `${where}.pipesInto`);
  return {
    interest: unionOfInterests([single.interest, into.interest]),
    start() {
      let downstream: CommandStepper | undefined;
      let openPipeline = -1;
      return (c) => {
        if (downstream !== undefined && c.pipeline !== openPipeline) downstream = undefined;
        if (downstream !== undefined && downstream(c)) return true;
        if (downstream === undefined && c.pipesToNext && single.test(c)) {
          downstream = into.start();
          openPipeline = c.pipeline;
        }
        return false;
      };
    },
  };
}

/** Matcher(s): satisfied when any one is. */
export function compileCommands(value: CommandMatcher | readonly CommandMatcher[], where: string): CommandMatcherFactory {
  const matchers = (Array.isArray(value) ? value : [value]) as readonly CommandMatcher[];
  const factories = matchers.map((m, i) => compileCommand(m, `${where}[${i}]`));
  if (factories.length === 1) return factories[0]!;
  return {
    interest: unionOfInterests(factories.map((f) => f.interest)),
    start() {
      const steppers = factories.map((f) => ({ interest: f.interest, step: f.start() }));
      return (c) => {
        for (const { interest, step } of steppers) if (interestedIn(interest, c) && step(c)) return true;
        return false;
      };
    },
  };
}
