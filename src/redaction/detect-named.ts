/**
 * Secrets known by their name rather than their shape: `NAME=value` lines of env files and shell
 * output, `"api_key": "…"` in JSON and `password: …` in YAML text, and the key-name test the
 * redactor uses on object fields. Linear like the other detectors: a look backwards is bounded
 * (a name: 64 or 128 characters), a value is read at most 4 KB and once.
 */
import type { MatchList } from './categories.js';
import { isAlnum, isSpace } from './detect-secrets.js';
import { isPlaceholderAt } from './placeholders.js';

const isEnvNameChar = (c: number) => (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
const SECRET_ENV_NAME =
  /(?:^|_)(?:KEY|APIKEY|SECRETKEY|ACCESSKEY|PRIVATEKEY|SECRET|TOKEN|AUTHTOKEN|ACCESSTOKEN|PASSWORD|PASSWD|PASS|PWD|CREDENTIALS?)$/;

/**
 * `NAME=value` lines of env files and shell output, for upper-case names ending in KEY, SECRET,
 * TOKEN, PASSWORD (and kin); the value is the finding. `PWD`/`OLDPWD` are directories.
 */
export function scanEnvAssignments(text: string, out: MatchList): void {
  let pos = 0;
  let e: number;
  while ((e = text.indexOf('=', pos)) !== -1) {
    pos = e + 1;
    let s = e;
    while (s > 0 && e - s < 128 && isEnvNameChar(text.charCodeAt(s - 1))) s--;
    if (s === e) continue;
    const before = s > 0 ? text.charCodeAt(s - 1) : 10;
    if (!(isSpace(before) || before === 59 || before === 34 || before === 39 || before === 44)) continue;
    const first = text.charCodeAt(s);
    if (first >= 48 && first <= 57) continue;
    const name = text.slice(s, e);
    if (!SECRET_ENV_NAME.test(name) || name === 'PWD' || name === 'OLDPWD') continue;
    const next = text.charCodeAt(e + 1);
    if (next === 61) continue; // ==
    let start = e + 1;
    let end = start;
    const limit = Math.min(text.length, start + 4096);
    if (next === 34 || next === 39) {
      start++;
      end = start;
      while (end < limit && text.charCodeAt(end) !== next && text.charCodeAt(end) !== 10) end++;
    } else {
      while (end < limit && !isSpace(text.charCodeAt(end)) && text.charCodeAt(end) !== 34 && text.charCodeAt(end) !== 39) end++;
    }
    pos = Math.max(pos, end);
    if (isPlaceholderAt(text, start, end)) continue;
    out.add('env_secret', start, end);
  }
}

/**
 * Key names whose value is a secret whatever it looks like, normalized (lower case, no `-`, `_`,
 * `.` or white space): a name ending with one of `SECRET_KEY_ENDINGS` or equal to one of
 * `SECRET_KEY_NAMES`.
 */
const SECRET_KEY_ENDINGS = [
  'password', 'passwd', 'passphrase', 'secret', 'apikey', 'accesskey', 'secretkey', 'privatekey', 'encryptionkey', 'signingkey', 'masterkey',
  'accesstoken', 'authtoken', 'refreshtoken', 'idtoken', 'bearertoken', 'sessiontoken', 'apitoken', 'clientsecret',
];
const SECRET_KEY_NAMES = ['token', 'authorization', 'cookie', 'setcookie'];
/** The same test on non-ASCII names, where `toLowerCase` may map a character to ASCII (K, the Kelvin sign, to k). */
const SECRET_KEYS = new RegExp(`(?:${SECRET_KEY_ENDINGS.join('|')}|${SECRET_KEY_NAMES.map((name) => `^${name}`).join('|')})$`);
const ENDINGS = SECRET_KEY_ENDINGS.map(codes);
const NAMES = SECRET_KEY_NAMES.map(codes);
/** The normalized name being tested (names are at most 64 characters). */
const normalized = new Uint16Array(64);

function codes(word: string): Uint16Array {
  return Uint16Array.from(word, (ch) => ch.charCodeAt(0));
}

export function isSecretKeyName(key: string): boolean {
  return isSecretKeyAt(key, 0, key.length);
}

/** `isSecretKeyName(text.slice(from, to))`, without allocating for ASCII names (one call per `:` in `scanKeyValues`). */
export function isSecretKeyAt(text: string, from: number, to: number): boolean {
  if (to - from < 3 || to - from > 64) return false;
  let n = 0;
  for (let i = from; i < to; i++) {
    let c = text.charCodeAt(i);
    if (c > 127) return SECRET_KEYS.test(text.slice(from, to).toLowerCase().replace(/[-_.\s]/g, ''));
    if (c === 45 || c === 95 || c === 46 || isSpace(c)) continue;
    if (c >= 65 && c <= 90) c += 32;
    normalized[n++] = c;
  }
  for (const ending of ENDINGS) if (endsWith(n, ending)) return true;
  for (const name of NAMES) if (n === name.length && endsWith(n, name)) return true;
  return false;
}

/** Whether the first `n` codes of `normalized` end with `word`. */
function endsWith(n: number, word: Uint16Array): boolean {
  const offset = n - word.length;
  if (offset < 0) return false;
  for (let i = 0; i < word.length; i++) if (normalized[offset + i] !== word[i]) return false;
  return true;
}

const isKeyChar = (c: number) => isAlnum(c) || c === 95 || c === 45 || c === 46;

/** `"api_key": "value"` (JSON) and `password: value` (YAML) in text: the value is the finding. */
export function scanKeyValues(text: string, out: MatchList): void {
  let pos = 0;
  let colon: number;
  while ((colon = text.indexOf(':', pos)) !== -1) {
    pos = colon + 1;
    let k = colon;
    while (k > 0 && colon - k < 8 && (text.charCodeAt(k - 1) === 32 || text.charCodeAt(k - 1) === 9)) k--;
    let quote = 0;
    if (k > 0 && (text.charCodeAt(k - 1) === 34 || text.charCodeAt(k - 1) === 39)) {
      quote = text.charCodeAt(k - 1);
      k--;
    }
    let s = k;
    while (s > 0 && k - s < 64 && isKeyChar(text.charCodeAt(s - 1))) s--;
    if (s === k) continue;
    if (quote !== 0 && text.charCodeAt(s - 1) !== quote) continue;
    if (quote === 0 && s > 0 && !isSpace(text.charCodeAt(s - 1)) && text.charCodeAt(s - 1) !== 123 && text.charCodeAt(s - 1) !== 44) continue;
    if (!isSecretKeyAt(text, s, k)) continue;
    let v = colon + 1;
    while (v < text.length && v - colon < 8 && (text.charCodeAt(v) === 32 || text.charCodeAt(v) === 9)) v++;
    const open = text.charCodeAt(v);
    let start = v;
    let end: number;
    const limit = Math.min(text.length, v + 4096);
    if (open === 34 || open === 39) {
      start = v + 1;
      end = start;
      while (end < limit && text.charCodeAt(end) !== open && text.charCodeAt(end) !== 10) {
        if (text.charCodeAt(end) === 92) end++; // skip the escaped character
        end++;
      }
      if (end >= limit || text.charCodeAt(end) !== open) continue;
    } else {
      if (quote !== 0) continue; // "key": 123 / true / { ... } — not a string value
      end = start;
      while (end < limit && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13 && text.charCodeAt(end) !== 44 && text.charCodeAt(end) !== 125) end++;
      while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
    }
    pos = Math.max(pos, end);
    if (isPlaceholderAt(text, start, end)) continue;
    out.add('env_secret', start, end);
  }
}
