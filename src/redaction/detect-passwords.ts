/**
 * Passwords written where a program reads them: in a URL (`scheme://user:password@host`), in a
 * connection string (`Password=...;`), on a command line (`curl -u user:password`,
 * `--password=...`, `sshpass -p ...`, `mysql -p...`). The password part is the finding; a
 * placeholder (placeholders.ts) or a password equal to its user name (a shipped default) is not.
 * Linear like the other detectors: each scan is anchored on a literal, reads what it needs once and
 * jumps past it; a value is read at most 1 KB.
 */
import type { MatchList } from './categories.js';
import { isSpace } from './detect-secrets.js';
import { isDefaultCredential, isPlaceholderAt } from './placeholders.js';

const isUrlDelimiter = (c: number) => c === 47 || c === 63 || c === 35 || c === 34 || c === 39 || c === 60 || c === 62 || isSpace(c);
const isQuote = (c: number) => c === 34 || c === 39;
/** The longest value read on a command line or in a URL. */
const MAX_VALUE = 1024;

/**
 * `scheme://user:password@host` for any scheme (`https`, `postgres`, `mysql`, `mongodb+srv`,
 * `redis://:password@`, `amqp`, `jdbc:mysql`, `ftp`, ...): the password part.
 */
export function scanUrlPasswords(text: string, out: MatchList): void {
  let pos = 0;
  let i: number;
  while ((i = text.indexOf('://', pos)) !== -1) {
    const from = i + 3;
    const limit = Math.min(text.length, from + 512);
    let j = from;
    let at = -1;
    for (; j < limit; j++) {
      const c = text.charCodeAt(j);
      if (isUrlDelimiter(c)) break;
      if (c === 64) at = j;
    }
    pos = Math.max(j, from);
    if (at === -1) continue;
    const colon = text.indexOf(':', from);
    if (colon === -1 || colon >= at - 1) continue;
    if (isPlaceholderAt(text, colon + 1, at) || isDefaultCredential(text, from, colon, colon + 1, at)) continue;
    out.add('password', colon + 1, at);
  }
}

/** `Password=...;` / `pwd=...;` in a connection string (ADO.NET, ODBC, JDBC properties). */
export function scanConnectionStrings(text: string, out: MatchList): void {
  const re = /(?:password|pwd)[ \t]{0,3}=[ \t]{0,3}/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    // Upper-case PWD= is the shell's working directory, not a password.
    if (m[0].startsWith('PWD')) continue;
    const before = m.index > 0 ? text.charCodeAt(m.index - 1) : 10;
    if (before !== 59 && !isSpace(before) && before !== 34 && before !== 39 && before !== 38 && before !== 63) continue; // ; space " ' & ?
    const start = m.index + m[0].length;
    let end = start;
    const limit = Math.min(text.length, start + 1024);
    while (end < limit) {
      const c = text.charCodeAt(end);
      if (c === 59 || c === 38 || c === 34 || c === 39 || isSpace(c)) break;
      end++;
    }
    const terminated = text.charCodeAt(end) === 59 || text.charCodeAt(end) === 38 || before === 59 || before === 38 || before === 63;
    re.lastIndex = end;
    if (!terminated || isPlaceholderAt(text, start, end)) continue;
    out.add('password', start, end);
  }
}

/**
 * Commands that take a password as an argument, and how. `userPassword`: the option's value is
 * `user:password` (curl's `-u`, `--user`, `--proxy-user`, `-U`); `password`: the value is the
 * password (`sshpass -p`); `attached`: only when glued to the option (`mysql -pSecret`; a bare
 * `mysql -p` prompts, and the word after it is the database).
 */
interface CommandOption {
  name: string;
  kind: 'userPassword' | 'password' | 'attached';
}
const CURL: CommandOption[] = ['-u', '--user', '--proxy-user', '-U'].map((name) => ({ name, kind: 'userPassword' }));
const MYSQL: CommandOption[] = [{ name: '-p', kind: 'attached' }];
const COMMANDS: Record<string, CommandOption[]> = { curl: CURL, sshpass: [{ name: '-p', kind: 'password' }], mysql: MYSQL, mysqldump: MYSQL, mysqladmin: MYSQL, mariadb: MYSQL };
const COMMAND = /(?:curl|sshpass|mysql(?:dump|admin)?|mariadb)[ \t]/g;
/** Where a command name may start: the line's start, after a space, a separator, a quote or a path. */
const startsCommand = (c: number) => isSpace(c) || c === 59 || c === 124 || c === 38 || c === 40 || c === 96 || c === 34 || c === 39 || c === 47;

/**
 * Passwords on command lines: the options of COMMANDS, and `--password=value`,
 * `--password value`, `--db-password value` (any one-word prefix) of any command. A value is one
 * shell word (quotes and `\` read as the shell reads them).
 */
export function scanCommandPasswords(text: string, out: MatchList): void {
  COMMAND.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = COMMAND.exec(text)) !== null) {
    if (m.index > 0 && !startsCommand(text.charCodeAt(m.index - 1))) continue;
    const options = COMMANDS[m[0].slice(0, -1)]!;
    COMMAND.lastIndex = scanCommand(text, m.index + m[0].length, options, out);
  }
  scanPasswordOptions(text, out);
}

/**
 * The words of one command, from `from` to its end (an unquoted newline, `;`, `|` or `&`); returns
 * the end. Read to its end however long (linear: the caller goes on from there). A cap at 8 KB
 * used to stop mid-word and lose the password of the option it fell on.
 */
function scanCommand(text: string, from: number, options: CommandOption[], out: MatchList): number {
  const limit = text.length;
  let i = from;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 59 || c === 124 || c === 38) return i;
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (c === 92 && (text.charCodeAt(i + 1) === 10 || text.charCodeAt(i + 1) === 13)) {
      i += text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10 ? 3 : 2; // a line continued
      continue;
    }
    const end = shellWordEnd(text, i, limit, Infinity);
    if (text.charCodeAt(i) === 45) i = optionValue(text, i, end, limit, options, out);
    else i = end;
  }
  return i;
}

/**
 * curl's short options that take no argument (`-f`, `-s`, `-S`, `-L`, `-k`, `-v`, `-i`, ...): they
 * may be grouped in one word before the one that takes it, `curl -fsSLu user:password`.
 */
const CURL_FLAGS = new Set('fsSLkviInOgGNljJRq#0123456'.split('').map((c) => c.charCodeAt(0)));

/** Where the option letter of a short-option word starts, past grouped flags (`-su` → the `u`); `i + 1` when none. */
function pastGroupedFlags(text: string, i: number, end: number, options: CommandOption[]): number {
  let j = i + 1;
  if (options !== CURL) return j;
  while (j < end - 1 && CURL_FLAGS.has(text.charCodeAt(j))) j++;
  return j;
}

/** An option word `[i, end)`: when it takes a password, reports it; returns where to go on reading. */
function optionValue(text: string, i: number, end: number, limit: number, options: CommandOption[], out: MatchList): number {
  const letter = pastGroupedFlags(text, i, end, options);
  for (const { name, kind } of options) {
    // A long option (`--user`) is read from its first dash; a short one (`-u`) from its letter, past grouped flags.
    const at = name.length === 2 ? letter : i + 1;
    if (!text.startsWith(name.slice(1), at)) continue;
    const after = at + name.length - 1;
    if (kind === 'attached') {
      if (end > after) reportPassword(text, after, end, out);
      continue;
    }
    if (after === end) {
      // `-u user:pass`: the next word.
      let v = end;
      while (v < limit && (text.charCodeAt(v) === 32 || text.charCodeAt(v) === 9)) v++;
      if (v >= limit || text.charCodeAt(v) === 45) return end;
      const valueEnd = shellWordEnd(text, v, limit);
      report(text, v, valueEnd, kind, out);
      return valueEnd;
    }
    // `--user=user:pass`, `-uuser:pass` (a short option glued to its value).
    const glued = text.charCodeAt(after) === 61 ? after + 1 : name.startsWith('--') ? -1 : after;
    if (glued !== -1) report(text, glued, end, kind, out);
    return end;
  }
  return end;
}

function report(text: string, start: number, end: number, kind: CommandOption['kind'], out: MatchList): void {
  if (kind === 'password') {
    // `sshpass -p with care` (prose): an unquoted value of lower-case letters only is a word, as for `--password `.
    if (/^[a-z]*$/.test(text.slice(start, end))) return;
    return reportPassword(text, start, end, out);
  }
  if (kind === 'attached') return reportPassword(text, start, end, out);
  const [vs, ve] = unquoted(text, start, end);
  if (isPlaceholderAt(text, vs, ve)) return; // `-u <user:password>`, `-u $CREDENTIALS`
  // Searched within the value only: `indexOf` would run on to the text's end for each option
  // without a colon (quadratic on `curl -u curl -u …`).
  let colon = start;
  while (colon < end && text.charCodeAt(colon) !== 58) colon++;
  if (colon === end) return; // `-u user`: curl asks for the password
  const [us, ue] = unquoted(text, start, colon);
  const [ps, pe] = unquoted(text, colon + 1, end);
  // `-u key:` (an API key as the user name, as Stripe and Mailgun document it): the key, when it
  // looks like one (8 characters or more, a digit); `-u admin:` is a user with an empty password.
  if (ps >= pe) {
    if (ue - us >= 8 && /\d/.test(text.slice(us, ue))) reportPassword(text, us, ue, out);
    return;
  }
  if (isDefaultCredential(text, us, ue, ps, pe)) return;
  reportPassword(text, ps, pe, out);
}

function reportPassword(text: string, start: number, end: number, out: MatchList): void {
  const [s, e] = unquoted(text, start, end);
  if (isPlaceholderAt(text, s, e)) return;
  out.add('password', s, e);
}

/** `[start, end)` without the quotes around it. */
function unquoted(text: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s < e && isQuote(text.charCodeAt(s))) s++;
  while (e > s && isQuote(text.charCodeAt(e - 1))) e--;
  return [s, e];
}

/**
 * The end of the shell word starting at `i`: unquoted white space, `;`, `|`, `&` or a newline. A
 * value is read up to `maxLength`; a word skipped on the way is read whole (`Infinity`), or a long
 * quoted header would be cut mid-quote and the options after it read as quoted text.
 */
function shellWordEnd(text: string, i: number, limit: number, maxLength = MAX_VALUE): number {
  const max = Math.min(limit, i + maxLength);
  let quote = 0;
  for (; i < max; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
      else if (c === 92 && quote === 34) i++;
      else if (c === 10) return i;
      continue;
    }
    if (c === 34 || c === 39) quote = c;
    else if (c === 92) i++;
    else if (isSpace(c) || c === 59 || c === 124 || c === 38) return i;
  }
  return Math.min(i, limit);
}

const PASSWORD_OPTION = /--(?:[A-Za-z]+-)?(?:password|passwd|pass)(?:[ \t]*=[ \t]*|[ \t]+)/gi;

/** `--password=value`, `--password value`, `--http-password value` in any command. */
function scanPasswordOptions(text: string, out: MatchList): void {
  if (text.indexOf('--') === -1) return;
  PASSWORD_OPTION.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PASSWORD_OPTION.exec(text)) !== null) {
    if (m.index > 0 && !isSpace(text.charCodeAt(m.index - 1)) && !isQuote(text.charCodeAt(m.index - 1))) continue;
    const start = m.index + m[0].length;
    if (start >= text.length || text.charCodeAt(start) === 45) continue; // the next option: the password comes from elsewhere
    const end = shellWordEnd(text, start, text.length);
    PASSWORD_OPTION.lastIndex = Math.max(end, start);
    // `--password value` in prose ("pass it with --password to the CLI"): a value after a space
    // must hold something other than lower-case letters, as password rules ask; after `=` it is one.
    if (!m[0].includes('=') && /^[a-z]*$/.test(text.slice(start, end))) continue;
    reportPassword(text, start, end, out);
  }
}

/**
 * `Authorization: Basic <base64 of user:password>` (HTTP Basic credentials, as `curl -H`, HTTP
 * logs and config files write them): the base64 token, when it decodes to printable
 * `user:password` with a password that is not a placeholder nor the user name (or to `key:`, an
 * API key as the user name, 8 characters or more with a digit). The decoding is the check: "Basic
 * usage" or a base64 blob without a colon is left alone.
 */
const BASIC_AUTH = /\b(?:[Bb]asic|BASIC)[ \t]+([A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])/g;

export function scanBasicAuth(text: string, out: MatchList): void {
  if (text.indexOf('asic') === -1 && text.indexOf('ASIC') === -1) return;
  BASIC_AUTH.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = BASIC_AUTH.exec(text)) !== null) {
    const token = m[1]!;
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1 || !isPrintable(decoded)) continue;
    const start = m.index + m[0].length - token.length;
    if (colon === decoded.length - 1) {
      if (colon >= 8 && /\d/.test(decoded.slice(0, colon))) out.add('password', start, start + token.length);
      continue;
    }
    if (colon === 0 && decoded.length < 9) continue;
    if (isPlaceholderAt(decoded, colon + 1, decoded.length) || isDefaultCredential(decoded, 0, colon, colon + 1, decoded.length)) continue;
    out.add('password', start, start + token.length);
  }
}

/** No control character and no U+FFFD (what bytes that are not UTF-8 decode to). */
function isPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 127 || c === 0xfffd) return false;
  }
  return true;
}
