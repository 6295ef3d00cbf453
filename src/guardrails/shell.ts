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
  /** Whether this command's output is piped into the next one. */
  pipesToNext: boolean;
  /** Files this command reads from with `<`. */
  stdinFrom: string[];
  /** Files this command writes to with `>` or `>>`. */
  stdoutTo: string[];
}

/** Most words kept per command and most commands kept per line; beyond, the rest is read but not kept. */
const MAX_WORDS = 4096;
const MAX_COMMANDS = 4096;

const PREFIXES = new Set(['sudo', 'doas', 'env', 'nohup', 'time', 'command', 'exec', 'nice', 'builtin', 'xargs']);

/** Splits a command line into simple commands. One pass; O(n). */
export function parseShell(text: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let stdinFrom: string[] = [];
  let stdoutTo: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '' | "'" | '"' = '';
  let redirect: '' | '<' | '>' = '';

  const endWord = () => {
    if (!inWord) return;
    if (redirect === '<') stdinFrom.push(word);
    else if (redirect === '>') stdoutTo.push(word);
    else if (words.length < MAX_WORDS) words.push(word);
    redirect = '';
    word = '';
    inWord = false;
  };
  const endCommand = (pipesToNext: boolean) => {
    endWord();
    if ((words.length > 0 || stdoutTo.length > 0 || stdinFrom.length > 0) && commands.length < MAX_COMMANDS) {
      commands.push({ words, programIndex: programIndexOf(words), pipesToNext, stdinFrom, stdoutTo });
    }
    words = [];
    stdinFrom = [];
    stdoutTo = [];
    redirect = '';
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== '') {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
      continue;
    }
    switch (c) {
      case "'":
      case '"':
        quote = c;
        inWord = true;
        break;
      case '\\':
        if (i + 1 < text.length) {
          const next = text[++i]!;
          if (next !== '\n') {
            word += next;
            inWord = true;
          }
        }
        break;
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
        if (text[i + 1] === '(') {
          endCommand(false);
          i++;
        } else {
          word += c;
          inWord = true;
        }
        break;
      case '&':
        if (text[i + 1] === '>') {
          // &> file: both streams to a file
          endWord();
          redirect = '>';
          i++;
          if (text[i + 1] === '>') i++;
        } else if (inWord && word.endsWith('>')) {
          // 2>&1
          word += c;
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
        if (inWord && /^\d$/.test(word)) {
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
          while (i + 1 < text.length && /\d/.test(text[i + 1]!)) i++;
          redirect = '';
        }
        break;
      default:
        word += c;
        inWord = true;
    }
  }
  endCommand(false);
  return commands;
}

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
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) {
      i++;
      continue;
    }
    return i;
  }
  return words.length;
}

/** The program a command runs, without its directory (`/usr/bin/rm` → `rm`); '' when none. */
export function programOf(command: ShellCommand): string {
  const w = command.words[command.programIndex];
  if (w === undefined) return '';
  const slash = w.lastIndexOf('/');
  return slash >= 0 ? w.slice(slash + 1) : w;
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
