/**
 * Secret detectors. Each one is linear in the text's length: a pattern starts with a literal
 * (so the regex engine only tries where that literal is), its quantifiers are bounded or end the
 * pattern (so a failed attempt cannot re-scan what a previous one read), and the free-form ones
 * (JWT, PEM, .npmrc lines) are hand-written scans anchored on one character that
 * jump past what they have read; a look backwards is bounded (a name: 64 or 128 characters), and
 * a quoted value is read at most once per quote character (a scan stops at the next candidate's
 * opening quote). Each reports its findings left to right (`sortFindings` relies on it for speed).
 * bench/security.bench.ts measures each on adversarial strings of 256 KB, 512 KB and 1 MB.
 * Secrets known by their name: detect-named.ts; passwords: detect-passwords.ts.
 */
import type { MatchList, RedactionCategory } from './categories.js';
import { jwtClaimsValid, jwtHeaderValid } from './checksums.js';
import { isPlaceholderAt } from './placeholders.js';

export const isAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isTokenChar = (c: number): boolean => isAlnum(c) || c === 95 || c === 45; // _ -
const isBase64Url = isTokenChar;
const isBase64 = (c: number): boolean => isAlnum(c) || c === 43 || c === 47; // + /
export const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;

interface TokenRule {
  category: RedactionCategory;
  pattern: RegExp;
  /** Characters that may not follow the match (the token would be longer than the format allows). */
  follow: (c: number) => boolean;
  check?: (token: string) => boolean;
  /** Where a match that passed `check` really ends, when the format may go on past the pattern. */
  extend?: (text: string, end: number, token: string) => number;
}

const hasUpperLowerDigit = (t: string) => /[A-Z]/.test(t) && /[a-z]/.test(t) && /\d/.test(t);

/**
 * A placeholder written in a token's shape: after the prefix, one or two characters repeated
 * (`ghp_xxxx…`, `AKIAXXXX…`, `sk_live_AAAA…`, `AIzaaaaa…`). A random token of 16 or more
 * characters never is.
 */
function filler(token: string, prefix: number): boolean {
  const first = token.charCodeAt(prefix);
  let second = -1;
  for (let i = prefix + 1; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === first || c === second) continue;
    if (second !== -1) return false;
    second = c;
  }
  return true;
}

/**
 * Slack tokens as Slack issues them: `xox?-` then (after a one-digit version) a numeric id for
 * bot, user and legacy tokens (`xoxb-<team>-…`), at least 100 characters for the `xoxe` refresh
 * and configuration tokens; never ending with `-` (`xoxp-…-####` is a template).
 */
function slackShaped(t: string): boolean {
  if (t.endsWith('-') || !/\d/.test(t)) return false;
  if (t.startsWith('hooks.') || t.startsWith('xapp-')) return true;
  const versioned = /^xox[a-z](?:\.xox[bp])?-\d-/.exec(t);
  if (t.startsWith('xoxe') && versioned !== null) return t.length - versioned[0].length >= 100;
  if (t[3] === 'a' || t[3] === 'r') return true; // workspace tokens: alphanumeric
  const body = versioned !== null ? t.slice(versioned[0].length) : t.slice(5);
  return /^\d+-/.test(body);
}

/** The base64 of "OpenAI", in the middle of every OpenAI key (gitleaks, trufflehog and OpenAI's own scanners key on it). */
const OPENAI_MARKER = 'T3BlbkFJ';

/**
 * OpenAI keys: `sk-` + 20 + T3BlbkFJ + 20 (user keys), `sk-proj-` / `sk-svcacct-` / `sk-admin-` +
 * 58 or 74 + T3BlbkFJ + 58 or 74, `sk-<name>-…T3BlbkFJ…` (service accounts named by their owner):
 * the marker with at least 20 characters on each side. Every form OpenAI issues carries it
 * (gitleaks' and trufflehog's rules require it too); other vendors issue `sk-` keys as well
 * (`sk-ant-` is Anthropic's), and a hand-made `sk-proj-abc…` without it is a fake.
 */
function openaiShaped(t: string): boolean {
  if (t.startsWith('sk-ant-')) return false;
  const marker = t.indexOf(OPENAI_MARKER);
  return marker !== -1 && marker - 3 >= 20 && t.length - marker - OPENAI_MARKER.length >= 20;
}

/**
 * A body holding `_` is a token only when it is as random as one (upper case, lower case and a
 * digit): `ghs_installation_token_for_the_app_01` is a name in code.
 */
function githubShaped(t: string): boolean {
  const prefix = t.startsWith('github_pat_') ? 11 : 4;
  if (filler(t, prefix)) return false;
  return t.indexOf('_', prefix) === -1 || hasUpperLowerDigit(t.slice(prefix));
}

/**
 * GitHub App installation tokens since April 2026: `ghs_<app id>_<JWT>`, ~520 characters. The
 * pattern stops at the JWT's first dot; the token goes on over its two other parts.
 */
function githubAppJwt(text: string, end: number, token: string): number {
  if (text.charCodeAt(end) !== 46 || !/^ghs_\d{1,20}_eyJ/.test(token)) return end;
  const end2 = skipRun(text, end + 1, isBase64Url);
  if (end2 === end + 1 || text.charCodeAt(end2) !== 46) return end;
  return skipRun(text, end2 + 1, isBase64Url);
}

const TOKEN_RULES: TokenRule[] = [
  {
    category: 'anthropic_key',
    pattern: /sk-ant-[a-z]{2,12}\d{0,3}-[A-Za-z0-9_-]{32,}/g,
    follow: isTokenChar,
    // API and admin keys are 93 characters and `AA` after their prefix; other kinds (OAuth) vary.
    check: (t) => (/^sk-ant-(?:api03|admin01)-/.test(t) ? /^sk-ant-[a-z]+\d+-[A-Za-z0-9_-]{93}AA$/.test(t) : true),
  },
  {
    category: 'openai_key',
    pattern: /sk-[A-Za-z0-9_-]{20,}/g,
    follow: isTokenChar,
    check: openaiShaped,
  },
  { category: 'aws_key', pattern: /(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}/g, follow: isAlnum, check: (t) => !filler(t, 4) },
  {
    category: 'github_token',
    // Bodies are base62 (36 characters, the last 6 a CRC-32); GitHub says to expect `_` and more length.
    pattern: /(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36,255}|github_pat_[A-Za-z0-9_]{50,255}/g,
    follow: isTokenChar,
    check: githubShaped,
    extend: githubAppJwt,
  },
  {
    category: 'slack_token',
    pattern: /xox[abposre](?:\.xox[bp])?-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,}|hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/]{20,}/g,
    follow: isTokenChar,
    check: slackShaped,
  },
  { category: 'google_api_key', pattern: /AIza[0-9A-Za-z_-]{35}/g, follow: isTokenChar, check: (t) => !filler(t, 4) },
  // Secret and restricted keys: 24 characters after the prefix (older keys) up to 99.
  { category: 'stripe_key', pattern: /[sr]k_(?:live|test|prod)_[0-9A-Za-z]{24,}/g, follow: isTokenChar },
  { category: 'npm_token', pattern: /npm_[A-Za-z0-9]{36}/g, follow: isAlnum, check: (t) => !filler(t, 4) },
];

/** A quick test for any token prefix, run once before the rules above. */
const TOKEN_PREFIXES = /[Ss]ecret_?[Aa]ccess_?[Kk]ey|SECRET_ACCESS_KEY|sk-|[sr]k_|:_auth|:_password|AKIA|ASIA|A[BCGIRNP][A-Z]A|gh[pousr]_|github_pat_|xox|xapp-|hooks\.slack|AIza|npm_/;

export function scanTokens(text: string, out: MatchList, enabled: ReadonlySet<RedactionCategory>): void {
  if (!TOKEN_PREFIXES.test(text)) return;
  let keyIdFound = false;
  for (const rule of TOKEN_RULES) {
    if (!enabled.has(rule.category)) continue;
    const re = rule.pattern;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const start = m.index;
      const end = start + m[0].length;
      if (start > 0 && isAlnum(text.charCodeAt(start - 1))) continue;
      if (end < text.length && rule.follow(text.charCodeAt(end))) continue;
      if (rule.check !== undefined && !rule.check(m[0])) continue;
      const extended = rule.extend === undefined ? end : rule.extend(text, end, m[0]);
      re.lastIndex = Math.max(re.lastIndex, extended);
      out.add(rule.category, start, extended);
      if (rule.category === 'aws_key') keyIdFound = true;
    }
  }
  if (keyIdFound) awsSecrets(text, out);
  else if (enabled.has('aws_key')) awsSecretsByName(text, out);
  if (enabled.has('npm_token')) npmrcTokens(text, out);
}

const NPMRC_REGISTRY = /^\/\/[A-Za-z0-9.-]+(?::\d+)?(?:\/[^\s]*)?\/$/;

const NPMRC_CREDENTIAL = /:_(authToken|auth|password)(?:[ \t]*=[ \t]*|[ \t]+)/g;
const isBase64Value = (c: number) => isBase64(c) || c === 61;

/**
 * Credentials of an `.npmrc` (`//registry.example.com/:_authToken=<token>`, also as `npm config set
 * //host/:_authToken <token>` writes it): the token, whatever its format (legacy ones are UUIDs);
 * `:_auth=` (base64 of user:password) as a token too, `:_password=` (base64) as a password.
 */
function npmrcTokens(text: string, out: MatchList): void {
  NPMRC_CREDENTIAL.lastIndex = 0;
  let m: RegExpExecArray | null;
  /** Where the previous candidate ended: a look back never reads past it again (`/:_auth=/:_auth=…` stays linear). */
  let floor = 0;
  while ((m = NPMRC_CREDENTIAL.exec(text)) !== null) {
    const i = m.index;
    const previous = floor;
    floor = i + m[0].length;
    if (text.charCodeAt(i - 1) !== 47) continue; // the registry part ends with `/`
    // The registry part as npm writes it: `//host[:port][/path]/`.
    let s = i;
    while (s > previous && i - s < 256 && !isSpace(text.charCodeAt(s - 1)) && text.charCodeAt(s - 1) !== 34 && text.charCodeAt(s - 1) !== 39) s--;
    if (!NPMRC_REGISTRY.test(text.slice(s, i))) continue;
    let start = i + m[0].length;
    if (text.charCodeAt(start) === 34 || text.charCodeAt(start) === 39) start++; // a quoted value
    const kind = m[1]!;
    const end = skipRun(text, start, kind === 'authToken' ? (c) => isTokenChar(c) || c === 46 : isBase64Value);
    NPMRC_CREDENTIAL.lastIndex = Math.max(end, start);
    if (end - start < 8 || text.startsWith('npm_', start) || isPlaceholderAt(text, start, end)) continue; // npm_ tokens: the rule above
    out.add(kind === 'password' ? 'password' : 'npm_token', start, end);
  }
}

/**
 * An AWS secret access key is 40 characters of base64 with nothing to recognize it by; alone it
 * looks like any hash. It is reported only beside an access key id in the same text.
 */
function awsSecrets(text: string, out: MatchList): void {
  const re = /[A-Za-z0-9/+]{40}/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const start = m.index;
    const end = start + 40;
    if (start > 0 && (isBase64(text.charCodeAt(start - 1)) || text.charCodeAt(start - 1) === 61)) {
      re.lastIndex = skipRun(text, end, isBase64);
      continue;
    }
    if (end < text.length && (isBase64(text.charCodeAt(end)) || text.charCodeAt(end) === 61)) {
      re.lastIndex = skipRun(text, end, isBase64);
      continue;
    }
    // Random base64 of 40 characters has mixed case and digits; a hex digest has not.
    if (!/[A-Z]/.test(m[0]) || !/[a-z]/.test(m[0])) continue;
    out.add('aws_key', start, end);
  }
}

export const AWS_SECRET_NAME = /secret_?access_?key/gi;

/**
 * The secret alone, after its name (`aws_secret_access_key = …` in ~/.aws/credentials,
 * `AWS_SECRET_ACCESS_KEY=…`, `"SecretAccessKey": "…"` from `aws sts`): 40 base64 characters, at
 * most 8 characters of `=`, `:`, quotes and spaces after the name.
 */
function awsSecretsByName(text: string, out: MatchList): void {
  AWS_SECRET_NAME.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = AWS_SECRET_NAME.exec(text)) !== null) {
    let v = m.index + m[0].length;
    const limit = Math.min(text.length, v + 8);
    while (v < limit && (isSpace(text.charCodeAt(v)) || text.charCodeAt(v) === 61 || text.charCodeAt(v) === 58 || text.charCodeAt(v) === 34 || text.charCodeAt(v) === 39)) v++;
    const end = skipRun(text, v, isBase64);
    if (end - v !== 40 || !/[A-Z]/.test(text.slice(v, end)) || !/[a-z]/.test(text.slice(v, end))) continue;
    out.add('aws_key', v, end);
  }
}

export function skipRun(text: string, from: number, test: (c: number) => boolean): number {
  let i = from;
  while (i < text.length && test(text.charCodeAt(i))) i++;
  return i;
}

/**
 * header.payload.signature, base64url parts, a header that decodes to JSON with `alg`. Unsigned
 * tokens count (`alg: none`: `header.payload.` with an empty third part), and so does
 * `header.payload` without the last dot when the payload decodes to a JSON object too: a token
 * whose signature was cut off still carries its claims.
 */
export function scanJwts(text: string, out: MatchList): void {
  let pos = 0;
  let i: number;
  while ((i = text.indexOf('eyJ', pos)) !== -1) {
    const end1 = skipRun(text, i, isBase64Url);
    pos = end1;
    if (i > 0 && isBase64Url(text.charCodeAt(i - 1))) continue;
    if (end1 - i < 10 || text.charCodeAt(end1) !== 46) continue;
    const end2 = skipRun(text, end1 + 1, isBase64Url);
    pos = Math.max(end2, end1 + 1);
    if (end2 - end1 - 1 < 4) continue;
    if (text.charCodeAt(end2) !== 46) {
      if (text.startsWith('eyJ', end1 + 1) && jwtHeaderValid(text.slice(i, end1)) && jwtClaimsValid(text.slice(end1 + 1, end2))) out.add('jwt', i, end2);
      continue;
    }
    const end3 = skipRun(text, end2 + 1, isBase64Url);
    pos = end3;
    if (!jwtHeaderValid(text.slice(i, end1))) continue;
    out.add('jwt', i, end3);
  }
}

const PEM_HEADER = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/y;

/** A PEM private key block, from BEGIN to END (to the end of the text when END is missing). */
export function scanPrivateKeys(text: string, out: MatchList): void {
  let pos = 0;
  let i: number;
  while ((i = text.indexOf('-----BEGIN ', pos)) !== -1) {
    PEM_HEADER.lastIndex = i;
    if (!PEM_HEADER.test(text)) {
      pos = i + 11;
      continue;
    }
    const endMarker = text.indexOf('-----END', PEM_HEADER.lastIndex);
    let end = text.length;
    if (endMarker !== -1) {
      const close = text.indexOf('-----', endMarker + 8);
      end = close === -1 || close - endMarker > 80 ? endMarker + 8 : close + 5;
    }
    pos = end;
    // A block that ends holds at least 64 base64 characters (the smallest real key, Ed25519 in
    // PKCS#8, has 64): `anything`, `...`, `***` or an empty body is a placeholder. A block cut
    // before its END is redacted whatever it holds (a truncated tool output).
    if (endMarker !== -1 && base64Count(text, PEM_HEADER.lastIndex, endMarker) < 64) continue;
    out.add('private_key', i, end);
  }
}

function base64Count(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (isBase64(text.charCodeAt(i))) n++;
  return n;
}
