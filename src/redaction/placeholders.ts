/**
 * Values that stand for a secret rather than being one. Docs, READMEs, examples and tool output
 * are full of them (`postgres://user:password@host`, `API_KEY=<your key>`, `-u $USER:$PASS`), and
 * masking them would make a report cry wolf and hide what a person needs to read. A value is a
 * placeholder when (docs/security.md, "What is not a secret", keeps this list):
 *
 * 1. it is empty, or starts with `$`, `%`, `<`, `{` or a backquote: a reference to a variable, a
 *    template or a command (`${PASSWORD}`, `$PASS`, `%DB_PASS%`, `<password>`, `{{ secret }}`,
 *    `` `cat pw.txt` ``);
 * 2. it is a mask: one character repeated (`***`, `x`, `XXXX`, `...`, `---`, `___`, `…`, `•••`), or any
 *    character three times or more (`yyy`, `1111`: the first guess of anyone, not a secret);
 * 3. it starts with `[REDACTED` (already masked) or `your-`, `your_`, `your ` (`your-api-key-here`), or
 *    it is a name in brackets (`[PASSWORD]`, `[api key]`);
 * 4. it is a word that names what should be there, lower-cased with `-`, `_`, `.` and spaces
 *    removed: up to two of PREFIXES, then one of WORDS, then optionally `here`
 *    (`password`, `changeme`, `changeit`, `mypassword`, `REPLACE_WITH_PASSWORD`, `db-secret`,
 *    `your_password_here`). Digits make it a value: `password1` and `P@ssw0rd` are secrets.
 *
 * Checked on the text in place, without slicing: a detector asks once per candidate, and on
 * hostile input (95k candidates in 1 MB of `"password":`) a string per candidate was garbage
 * enough to make the collector's work grow faster than the input.
 */

const PREFIXES = ['my', 'your', 'the', 'some', 'new', 'db', 'user', 'admin', 'app', 'example', 'sample', 'fake', 'dummy', 'replacewith', 'replaceme', 'insert', 'enter', 'put'];
const WORDS = [
  'password', 'passwd', 'pass', 'pwd', 'pw', 'passphrase', 'secret', 'changeme', 'changeit', 'placeholder', 'example', 'dummy', 'redacted',
  'null', 'none', 'undefined', 'true', 'false', 'token', 'apikey', 'key',
];
/** The longest value rule 4 can match (two prefixes, a word, `here`, separators): longer values skip it. */
const LONGEST_WORD_FORM = 64;

const codes = (word: string) => Uint16Array.from(word, (ch) => ch.charCodeAt(0));
const PREFIX_CODES = PREFIXES.map(codes);
const WORD_CODES = WORDS.map(codes);
const HERE = codes('here');
/** The normalized value being tested. */
const folded = new Uint16Array(LONGEST_WORD_FORM);

/** Mask characters (rule 2): `*`, `x`, `X`, `.`, `-`, `_`, `…`, `•`. */
const MASK = new Set([42, 120, 88, 46, 45, 95, 0x2026, 0x2022]);

export function isPlaceholder(value: string): boolean {
  return isPlaceholderAt(value, 0, value.length);
}

/** `isPlaceholder(text.slice(start, end))`, without the slice. */
export function isPlaceholderAt(text: string, start: number, end: number): boolean {
  if (end <= start) return true;
  const first = text.charCodeAt(start);
  if (first === 36 || first === 37 || first === 60 || first === 123 || first === 96) return true; // $ % < { `
  if ((MASK.has(first) || end - start >= 3) && repeats(text, start, end)) return true;
  if (first === 91) return text.startsWith('[REDACTED', start) || bracketedName(text, start, end);
  if ((first | 32) === 121 && end - start > 4 && startsWithYour(text, start)) return true;
  return end - start <= LONGEST_WORD_FORM && namesASecret(text, start, end);
}

function repeats(text: string, start: number, end: number): boolean {
  const first = text.charCodeAt(start);
  for (let i = start + 1; i < end; i++) if (text.charCodeAt(i) !== first) return false;
  return true;
}

/** `[PASSWORD]`, `[api key]`: a name in brackets, as docs write what goes there. */
function bracketedName(text: string, start: number, end: number): boolean {
  if (end - start < 3 || text.charCodeAt(end - 1) !== 93) return false;
  for (let i = start + 1; i < end - 1; i++) {
    const c = text.charCodeAt(i);
    const letter = (c | 32) >= 97 && (c | 32) <= 122;
    if (!letter && c !== 95 && c !== 32 && c !== 45) return false;
  }
  return true;
}

function startsWithYour(text: string, start: number): boolean {
  const sep = text.charCodeAt(start + 4);
  return (sep === 45 || sep === 95 || sep === 32) && text.slice(start, start + 4).toLowerCase() === 'your';
}

/** Rule 4: [prefix [prefix]] word [here], on the folded value. */
function namesASecret(text: string, start: number, end: number): boolean {
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c === 45 || c === 95 || c === 46 || c === 32) continue;
    if (c >= 65 && c <= 90) c += 32;
    else if (c < 97 || c > 122) return false; // a digit, a symbol, a non-ASCII letter: a value
    folded[n++] = c;
  }
  return n > 0 && wordFrom(0, n, 2);
}

function wordFrom(at: number, n: number, prefixesLeft: number): boolean {
  for (const word of WORD_CODES) {
    if (!matchesAt(at, n, word)) continue;
    const rest = n - at - word.length;
    if (rest === 0 || (rest === HERE.length && matchesAt(at + word.length, n, HERE))) return true;
  }
  if (prefixesLeft === 0) return false;
  for (const prefix of PREFIX_CODES) if (matchesAt(at, n, prefix) && wordFrom(at + prefix.length, n, prefixesLeft - 1)) return true;
  return false;
}

function matchesAt(at: number, n: number, word: Uint16Array): boolean {
  if (at + word.length > n) return false;
  for (let i = 0; i < word.length; i++) if (folded[at + i] !== word[i]) return false;
  return true;
}

/**
 * A password equal to its user name is a default shipped with the software, known to anyone who
 * reads its docs (`postgres:postgres`, `guest:guest` for RabbitMQ, `root:root`, `admin:admin`).
 */
export function isDefaultCredential(text: string, userStart: number, userEnd: number, passStart: number, passEnd: number): boolean {
  if (userEnd - userStart !== passEnd - passStart || userEnd === userStart) return false;
  for (let i = 0; i < userEnd - userStart; i++) if (text.charCodeAt(userStart + i) !== text.charCodeAt(passStart + i)) return false;
  return true;
}
