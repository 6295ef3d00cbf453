/**
 * One pass over a string: a character loop counts what the detectors need (digits, `@`, `:`,
 * `=`, dots, the longest token-like run), and only the detectors whose trigger is there run.
 * Most strings an agent emits (tool names, statuses, short queries) stop after that loop; short
 * repeated strings stop at a cache lookup.
 */
import { MatchList, type RedactionCategory, type TextMatch } from './categories.js';
import { scanJwts, scanPrivateKeys, scanTokens } from './detect-secrets.js';
import { scanEnvAssignments, scanKeyValues } from './detect-named.js';
import { scanBasicAuth, scanCommandPasswords, scanConnectionStrings, scanUrlPasswords } from './detect-passwords.js';
import { scanCards, scanEmails, scanIbans, scanIps, scanPhones, scanSsns } from './detect-pii.js';

/** When two findings overlap, the one earlier in this list wins (the more specific detector). */
const PRIORITY: readonly RedactionCategory[] = [
  'private_key', 'anthropic_key', 'openai_key', 'aws_key', 'github_token', 'slack_token', 'google_api_key', 'stripe_key',
  'npm_token', 'jwt', 'password', 'env_secret', 'secret_field', 'credit_card', 'iban', 'ssn', 'email', 'phone', 'ip_address',
];
const RANK = new Map(PRIORITY.map((c, i) => [c, i]));

const TOKEN_CATEGORIES: readonly RedactionCategory[] = [
  'anthropic_key', 'openai_key', 'aws_key', 'github_token', 'slack_token', 'google_api_key', 'stripe_key', 'npm_token',
];

/** Shortest string any detector can match ("a@b.co"). */
const MIN_LENGTH = 6;
const CACHE_MAX_LENGTH = 256;
const CACHE_ENTRIES = 4096;

export interface Scanner {
  /** Findings in `text`, sorted by offset, overlaps resolved. The array is shared: do not modify it. */
  scan(text: string): readonly TextMatch[];
  readonly categories: ReadonlySet<RedactionCategory>;
}

const NONE: readonly TextMatch[] = Object.freeze([]);

export function createScanner(categories: ReadonlySet<RedactionCategory>): Scanner {
  const has = (c: RedactionCategory) => categories.has(c);
  const tokens = TOKEN_CATEGORIES.some(has);
  const secretsByName = has('env_secret');
  const ipv4 = has('ip_address');
  const cache = new Map<string, readonly TextMatch[]>();
  /** The detectors' output, reused from one string to the next (a scan runs to its end synchronously). */
  const found = new MatchList();

  function detect(text: string): readonly TextMatch[] {
    const length = text.length;
    let digits = 0;
    let ats = 0;
    let colons = 0;
    let equals = 0;
    let dots = 0;
    let uppers = 0;
    let dashes = 0;
    let spaces = 0;
    let run = 0;
    let longestRun = 0;
    for (let i = 0; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        digits++;
        run++;
      } else if (c >= 97 && c <= 122) run++;
      else if (c >= 65 && c <= 90) {
        uppers++;
        run++;
      } else if (c === 95) run++;
      else if (c === 45) {
        dashes++;
        run++;
      } else {
        if (run > longestRun) longestRun = run;
        run = 0;
        if (c === 64) ats++;
        else if (c === 58) colons++;
        else if (c === 61) equals++;
        else if (c === 46) dots++;
        else if (c === 32 || c === 9) spaces++;
      }
    }
    if (run > longestRun) longestRun = run;

    const out = found;
    out.clear();
    // `//host/:_password=<short base64>` of an .npmrc has no long run.
    if (tokens && (longestRun >= 16 || (colons > 0 && equals > 0))) scanTokens(text, out, categories);
    if (has('jwt') && dots >= 1 && longestRun >= 10) scanJwts(text, out);
    if (has('private_key') && length >= 30) scanPrivateKeys(text, out);
    if (has('password') && ats > 0 && colons > 0) scanUrlPasswords(text, out);
    if (has('password') && equals > 0) scanConnectionStrings(text, out);
    if (has('password') && dashes > 0 && spaces > 0) scanCommandPasswords(text, out);
    if (has('password') && spaces > 0 && longestRun >= 8) scanBasicAuth(text, out);
    if (secretsByName && equals > 0 && uppers >= 3) scanEnvAssignments(text, out);
    if (secretsByName && colons > 0) scanKeyValues(text, out);
    if (has('email') && ats > 0) scanEmails(text, out);
    if (has('phone') && digits >= 8) scanPhones(text, out);
    if (has('ssn') && digits >= 9) scanSsns(text, out);
    if (has('credit_card') && digits >= 12) scanCards(text, out);
    if (has('iban') && digits >= 2 && uppers >= 2 && length >= 15) scanIbans(text, out);
    if (ipv4 && ((digits >= 4 && dots >= 3) || colons >= 2)) scanIps(text, out, digits >= 4 && dots >= 3, colons >= 2);
    return out.length === 0 ? NONE : resolveOverlaps(out.toArray());
  }

  return {
    categories,
    scan(text: string): readonly TextMatch[] {
      if (text.length < MIN_LENGTH) return NONE;
      if (text.length > CACHE_MAX_LENGTH) return detect(text);
      const known = cache.get(text);
      if (known !== undefined) return known;
      const found = detect(text);
      if (cache.size >= CACHE_ENTRIES) cache.clear();
      cache.set(text, found);
      return found;
    },
  };
}

/** Negative when `a` comes first: by start, then the higher-priority category, then the longer. */
function order(a: TextMatch, b: TextMatch): number {
  return a.start - b.start || RANK.get(a.category)! - RANK.get(b.category)! || b.end - a.end;
}

/** Two sorted lists as one, stable. */
function mergeTwo(a: readonly TextMatch[], b: readonly TextMatch[]): TextMatch[] {
  const out: TextMatch[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = order(b[j]!, a[i]!) < 0 ? b[j++]! : a[i++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/**
 * `matches` in order, without a comparison sort: each detector reports its findings left to
 * right, so `matches` is a few sorted runs laid end to end (one per detector pass, at most 26).
 * The runs are merged pairwise: O(n log runs), linear in the number of findings. (Were a
 * detector to report out of order, the result would still be sorted, with more runs.)
 */
export function sortFindings(matches: readonly TextMatch[]): readonly TextMatch[] {
  let runs: TextMatch[][] = [];
  let from = 0;
  for (let i = 1; i <= matches.length; i++) {
    if (i < matches.length && order(matches[i - 1]!, matches[i]!) <= 0) continue;
    // Already sorted (one detector found everything, the usual case): no copy.
    if (from === 0 && i === matches.length) return matches;
    runs.push(matches.slice(from, i));
    from = i;
  }
  while (runs.length > 1) {
    const next: TextMatch[][] = [];
    for (let r = 0; r < runs.length; r += 2) next.push(r + 1 < runs.length ? mergeTwo(runs[r]!, runs[r + 1]!) : runs[r]!);
    runs = next;
  }
  return runs[0] ?? [];
}

/**
 * Sorted by start; two overlapping findings become one, covering both spans, under the
 * higher-priority category. Keeping only one span would leave the other's uncovered part in
 * clear text, where the next pass finds it again (`KEY="x sk-proj-..."` must not become
 * `KEY="x [REDACTED:openai_key]"`, a secret env value on its own): covering both keeps redaction
 * idempotent. One pass after `sortFindings` (none when nothing overlaps).
 */
function resolveOverlaps(matches: TextMatch[]): readonly TextMatch[] {
  const sorted = sortFindings(matches);
  let overlaps = false;
  for (let i = 1; i < sorted.length && !overlaps; i++) overlaps = sorted[i]!.start < sorted[i - 1]!.end;
  // No overlap (the usual case): the sorted findings as they are, no second array.
  if (!overlaps) return sorted;
  const kept: TextMatch[] = [];
  for (const m of sorted) {
    const last = kept[kept.length - 1];
    if (last === undefined || m.start >= last.end) {
      kept.push(m);
      continue;
    }
    const category = RANK.get(m.category)! < RANK.get(last.category)! ? m.category : last.category;
    kept[kept.length - 1] = { category, start: last.start, end: Math.max(last.end, m.end) };
  }
  return kept;
}
