/**
 * A linear-time reading of a shell command: split into simple commands at `;`, `&&`, `||`, `|`,
 * `&`, newlines and `$(`/backticks, and each into words (quotes removed, no expansion). It is not
 * a shell parser; it is what rules need to ask "which program runs, with which flags and which
 * arguments" without a regular expression scanning the whole command from every position
 * (the cause of `git-force-push-main`'s O(n³) time on a 16 KB command, issue 14).
 *
 * Every function here does one pass over its input, so a rule built on them is O(n) whatever the
 * command holds.
 */

/** One simple command: its words, and how it is connected to the next one. */
export interface ShellCommand {
  /** Words with quotes removed. `words[0]` is the program after `sudo`/`env`/`command`/... prefixes are skipped (see `program`). */
  words: string[];
  /** Index in `words` of the program (after `sudo`, `env VAR=x`, `nohup`, `time`, `command`, `exec`). */
  programIndex: number;
  /** The program without its directory (`/usr/bin/rm` → `rm`); '' when none. */
  program: string;
  /** Which pipeline of the line the command belongs to (0, 1, ...): commands joined by `|` share it. */
  pipeline: number;
  /** Whether this command's output is piped into the next one. */
  pipesToNext: boolean;
  /** Files this command reads from with `<`. */
  stdinFrom: readonly string[];
  /** Files this command writes to with `>` or `>>`. */
  stdoutTo: readonly string[];
  /**
   * Whether words were left out (more than 65,536 in this command): a rule cannot see them all,
   * so a rule that names this command's program treats it as a match (fail closed).
   */
  truncated: boolean;
}

/**
 * Most words kept per simple command (beyond, the rest is read but not kept, and the command is
 * marked `truncated`: padding a command past this to slip an operand by a rule makes the rules
 * that name its program match instead), and most commands `parseShell` returns (`forEachCommand`
 * has no limit: it keeps nothing).
 */
const MAX_WORDS = 1 << 16;
const MAX_COMMANDS = 1 << 16;

const PREFIXES = new Set(['sudo', 'doas', 'env', 'nohup', 'time', 'command', 'exec', 'nice', 'builtin', 'xargs']);
const NO_FILES: readonly string[] = Object.freeze([]);

/** Character codes that end a run of plain word characters (`$` only when `$(` follows). */
const SPECIAL = new Uint8Array(128);
for (const c of ' \t\n\r;(){}`$&|<>\'"\\') SPECIAL[c.charCodeAt(0)] = 1;
const DOLLAR = 36;
const OPEN_PAREN = 40;

/** Splits a command line into simple commands (at most `MAX_COMMANDS` kept). One pass; O(n). */
export function parseShell(text: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  forEachCommand(text, (command) => {
    commands.push(command);
    return commands.length >= MAX_COMMANDS;
  });
  return commands;
}

/**
 * Reads a command line one simple command at a time, in order, handing each to `visit` and keeping
 * none: what a rule needs of the command line as a whole (a pipe chain) it keeps itself, so a
 * hostile megabyte of `a|a|a|...` costs short-lived objects only. Stops when `visit` returns true,
 * and returns whether it did. One pass; O(n). A word is gathered as slices of the input (a run of
 * plain characters, a quoted span), never character by character: a one-megabyte word is one
 * slice, not a million concatenations.
 */
export function forEachCommand(text: string, visit: (command: ShellCommand) => boolean): boolean {
  let stopped = false;
  let pipeline = 0;
  let words: string[] = [];
  let truncated = false;
  let stdinFrom: string[] | undefined;
  let stdoutTo: string[] | undefined;
  /** The word being read: its first piece, the others (quotes, escapes) when any, and whether one is (`""` is a word). */
  let word = '';
  let more: string[] | undefined;
  let inWord = false;
  let redirect: '' | '<' | '>' = '';
  const n = text.length;

  const endWord = () => {
    if (!inWord) return;
    if (more !== undefined) word = more.join('');
    if (redirect === '<') (stdinFrom ??= []).push(word);
    else if (redirect === '>') (stdoutTo ??= []).push(word);
    else if (words.length < MAX_WORDS) words.push(word);
    else truncated = true;
    redirect = '';
    word = '';
    more = undefined;
    inWord = false;
  };
  const endCommand = (pipesToNext: boolean) => {
    endWord();
    if (words.length > 0 || stdoutTo !== undefined || stdinFrom !== undefined) {
      const programIndex = programIndexOf(words);
      stopped = visit({ words, programIndex, program: baseName(words[programIndex]), pipeline, pipesToNext, stdinFrom: stdinFrom ?? NO_FILES, stdoutTo: stdoutTo ?? NO_FILES, truncated });
      if (!pipesToNext) pipeline++;
    }
    words = [];
    truncated = false;
    stdinFrom = undefined;
    stdoutTo = undefined;
    redirect = '';
  };
  const add = (piece: string) => {
    if (!inWord) word = piece;
    else (more ??= [word]).push(piece);
    inWord = true;
  };

  let i = 0;
  while (i < n && !stopped) {
    const code = text.charCodeAt(i);
    if (code >= 128 || SPECIAL[code] === 0 || (code === DOLLAR && text.charCodeAt(i + 1) !== OPEN_PAREN)) {
      // A run of plain characters, taken as one slice.
      const start = i;
      i++;
      while (i < n) {
        const k = text.charCodeAt(i);
        if (k < 128 && SPECIAL[k] === 1 && !(k === DOLLAR && text.charCodeAt(i + 1) !== OPEN_PAREN)) break;
        i++;
      }
      add(text.slice(start, i));
      continue;
    }
    const c = text[i]!;
    switch (c) {
      case "'": {
        // Nothing is special inside single quotes.
        let close = text.indexOf("'", i + 1);
        if (close < 0) close = n;
        add(text.slice(i + 1, close));
        i = close + 1;
        continue;
      }
      case '"':
        i = readDoubleQuoted(text, i + 1, add);
        continue;
      case '\\':
        if (i + 1 < n) {
          const next = text[i + 1]!;
          if (next !== '\n') add(next);
          i += 2;
        } else i++;
        continue;
      case ' ':
      case '\t':
        endWord();
        break;
      case '\n':
      case '\r':
      case ';':
      case '(':
      case ')':
      case '{':
      case '}':
      case '`':
        endCommand(false);
        break;
      case '$':
        // `$(`: a command substitution, its own command
        endCommand(false);
        i++;
        break;
      case '&':
        if (text[i + 1] === '>') {
          // &> file: both streams to a file
          endWord();
          redirect = '>';
          i++;
          if (text[i + 1] === '>') i++;
        } else if (inWord && (more === undefined ? word : more[more.length - 1]!).endsWith('>')) {
          // 2>&1
          add(c);
        } else {
          endCommand(false);
          if (text[i + 1] === '&') i++;
        }
        break;
      case '|':
        if (text[i + 1] === '|') {
          endCommand(false);
          i++;
        } else {
          endCommand(true);
          if (text[i + 1] === '&') i++;
        }
        break;
      case '<':
        if (text[i + 1] === '(') {
          // process substitution: its own command
          endCommand(false);
          i++;
          break;
        }
        endWord();
        redirect = '<';
        while (text[i + 1] === '<') i++;
        break;
      case '>':
        if (inWord && more === undefined && word.length === 1 && isDigit(word.charCodeAt(0))) {
          word = '';
          inWord = false;
        } else {
          endWord();
        }
        redirect = '>';
        if (text[i + 1] === '>' || text[i + 1] === '|') i++;
        if (text[i + 1] === '&') {
          // >&2: a stream, not a file
          i++;
          while (i + 1 < n && isDigit(text.charCodeAt(i + 1))) i++;
          redirect = '';
        }
        break;
    }
    i++;
  }
  if (!stopped) endCommand(false);
  return stopped;
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/** Reads a double-quoted span from `from` (after the opening quote); returns the index after the closing one. */
function readDoubleQuoted(text: string, from: number, add: (piece: string) => void): number {
  let start = from;
  let i = from;
  add('');
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      if (i > start) add(text.slice(start, i));
      return i + 1;
    }
    if (c === 92 && i + 1 < text.length) {
      // \x inside double quotes: x itself
      if (i > start) add(text.slice(start, i));
      add(text[i + 1]!);
      i += 2;
      start = i;
      continue;
    }
    i++;
  }
  if (i > start) add(text.slice(start, i));
  return i;
}

/** A word without its directory (`/usr/bin/rm` → `rm`); '' for none. */
function baseName(word: string | undefined): string {
  if (word === undefined) return '';
  // Most program words are short and have no directory: a loop beats a builtin call there.
  if (word.length <= 16) {
    for (let i = word.length - 1; i >= 0; i--) if (word.charCodeAt(i) === SLASH) return word.slice(i + 1);
    return word;
  }
  const slash = word.lastIndexOf('/');
  return slash >= 0 ? word.slice(slash + 1) : word;
}

const SLASH = 47;

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Skips `sudo -u x`, `env A=1 B=2`, `nohup`, ... to the program word. */
function programIndexOf(words: readonly string[]): number {
  let i = 0;
  while (i < words.length) {
    const w = words[i]!;
    if (PREFIXES.has(w)) {
      const prefixAt = i;
      i++;
      // options of the prefix (sudo -u root, env -i, nice -n 5)
      while (i < words.length && words[i]!.startsWith('-')) {
        const opt = words[i]!;
        i++;
        if ((opt === '-u' || opt === '-g' || opt === '-n') && i < words.length) i++;
      }
      // `env` or `time` alone is the program itself
      if (i >= words.length) return prefixAt;
      continue;
    }
    if (w.includes('=') && ASSIGNMENT.test(w)) {
      i++;
      continue;
    }
    return i;
  }
  return words.length;
}

/** The program a command runs, without its directory (`/usr/bin/rm` → `rm`); '' when none. */
export function programOf(command: ShellCommand): string {
  return command.program;
}

/** The arguments after the program. */
export function argsOf(command: ShellCommand): string[] {
  return command.words.slice(command.programIndex + 1);
}

/**
 * Whether the arguments carry a flag: a long one (`--force`) exactly, or a short letter inside a
 * combined short group (`-rf` has `r` and `f`). `--` ends the options.
 */
export function hasFlag(args: readonly string[], short: string, long?: string): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a.startsWith('--')) {
      if (long !== undefined && (a === `--${long}` || a.startsWith(`--${long}=`))) return true;
    } else if (a.startsWith('-') && a.length > 1 && short !== '' && /^-[A-Za-z]+$/.test(a) && a.includes(short)) {
      return true;
    }
  }
  return false;
}

/** Arguments that are not options (do not start with `-`, or come after `--`). */
export function operandsOf(args: readonly string[]): string[] {
  const out: string[] = [];
  let optionsOver = false;
  for (const a of args) {
    if (!optionsOver && a === '--') optionsOver = true;
    else if (optionsOver || !a.startsWith('-') || a === '-') out.push(a);
  }
  return out;
}
