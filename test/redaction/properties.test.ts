/**
 * Property-based tests of the redactor with adversarial strings (fixed seeds; more runs with
 * FLEETSCOPE_FUZZ_RUNS): it never throws, whatever the string or value; no secret of a generated
 * set survives, wherever it sits among hostile noise, in a string or deep in a value; redacting
 * twice gives what redacting once gave. Linear time is measured in bench/security.bench.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactor, type TextMatch } from '../../src/redaction/index.js';
import { sortFindings } from '../../src/redaction/scan.js';
import { isSecretKeyAt, isSecretKeyName } from '../../src/redaction/detect-named.js';
import { isPlaceholder, isPlaceholderAt } from '../../src/redaction/placeholders.js';
import { attackingValue, fuzz, fuzzTimeout } from '../support/fuzz.js';

const redactor = createRedactor();

const chars = (alphabet: string, min: number, max = min) => fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64URL = `${ALNUM}_-`;
const b64url = (s: string) => Buffer.from(s).toString('base64url');

/** One secret of each token format the redactor knows, random where the format is random. */
const secret = fc.oneof(
  chars(B64URL, 93, 93).map((s) => `sk-ant-api03-${s}AA`), // the API key format: 93 characters and AA
  chars(B64URL, 40, 90).map((s) => `sk-ant-oat01-${s}`),
  fc.tuple(chars(B64URL, 58, 74), chars(B64URL, 58, 74)).map(([a, b]) => `sk-proj-${a}T3BlbkFJ${b}`), // OpenAI's marker in the middle
  chars(UPPER_DIGITS, 16).map((s) => `AKIA${s}`),
  chars(ALNUM, 36).map((s) => `ghp_${s}`),
  fc.tuple(chars('0123456789', 10, 12), chars(ALNUM, 10, 24)).map(([a, b]) => `xoxb-${a}-${b}`),
  chars(B64URL, 35).map((s) => `AIza${s}`),
  chars(ALNUM, 24, 32).map((s) => `sk_live_${s}`),
  chars(ALNUM, 36).map((s) => `npm_${s}`),
  fc.tuple(chars(ALNUM, 8, 20), chars(B64URL, 20, 43)).map(([sub, sig]) => `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(`{"sub":"${sub}"}`)}.${sig}`),
);

/** Noise that stresses the detectors: prefixes of every format, separators, digits, Unicode. */
const NOISE_PIECES = ['a', 'A', '1', '-', '_', '.', '@', ':', '/', '=', '+', ' ', '\n', '"', "'", 'sk-', 'sk-ant-', 'AKIA', 'eyJ', 'ghp_', 'xox', 'AIza', 'npm_', 'KEY=', 'password=', 'x://u:', '-----BEGIN ', '[REDACTED:', ']', '\u0000', '\u{1F600}', 'é'];
const noise = fc.array(fc.constantFrom(...NOISE_PIECES), { maxLength: 40 }).map((p) => p.join(''));
/** Separators around a secret (a token glued to letters is, rightly, not that token). */
const SEPARATORS = [' ', '\n', '"', "'", ', ', '\t'];
const text = fc.array(fc.tuple(noise, fc.constantFrom(...SEPARATORS), secret, fc.constantFrom(...SEPARATORS)), { minLength: 1, maxLength: 5 });

describe('redaction properties', () => {
  it('never throws, on any string or value', () => {
    fc.assert(
      fc.property(fc.oneof(noise, fc.string({ unit: 'binary', maxLength: 200 })), attackingValue(), (s, value) => {
        expect(typeof redactor.redactText(s).value).toBe('string');
        redactor.redactValue(value);
        redactor.redactValue({ a: [s, { b: s }] });
      }),
      fuzz(400, 1205),
    );
  }, fuzzTimeout(30_000));

  it('no generated secret survives, in a string or deep in a value', () => {
    fc.assert(
      fc.property(text, (parts) => {
        const secrets = parts.map(([, , s]) => s);
        const line = parts.map(([n, open, s, close]) => `${n}${open}${s}${close}`).join('');
        const out = redactor.redactText(line).value;
        for (const s of secrets) expect(out).not.toContain(s);
        const value = redactor.redactValue({ tool: { output: [line], nested: { deeper: { line } } } }).value;
        const json = JSON.stringify(value);
        for (const s of secrets) expect(json).not.toContain(s);
      }),
      fuzz(400, 1206),
    );
  }, fuzzTimeout(30_000));

  it('is idempotent: redacting the redacted text changes nothing', () => {
    fc.assert(
      fc.property(fc.oneof(text.map((parts) => parts.map(([n, o, s, c]) => `${n}${o}${s}${c}`).join('')), noise), (line) => {
        const once = redactor.redactText(line).value;
        const twice = redactor.redactText(once);
        expect(twice.value).toBe(once);
        expect(twice.changed).toBe(false);
      }),
      fuzz(400, 1207),
    );
  }, fuzzTimeout(30_000));
});

describe('sortFindings: sorted runs merged instead of a comparison sort', () => {
  const CATEGORIES = ['aws_key', 'jwt', 'env_secret', 'email', 'phone', 'ip_address'] as const;
  const match = fc.record({ category: fc.constantFrom(...CATEGORIES), start: fc.nat(200), length: fc.integer({ min: 1, max: 30 }) }).map(({ category, start, length }) => ({ category, start, end: start + length }));
  /** What a comparison sort gives: by start, then the priority order of scan.ts, then the longer. */
  const RANK: string[] = ['aws_key', 'jwt', 'env_secret', 'email', 'phone', 'ip_address'];
  const bySort = (ms: TextMatch[]) => [...ms].sort((a, b) => a.start - b.start || RANK.indexOf(a.category) - RANK.indexOf(b.category) || b.end - a.end);

  it('gives what a stable sort gives, for detector-like sorted runs and for any order', () => {
    fc.assert(
      fc.property(fc.array(fc.array(match, { maxLength: 20 }), { maxLength: 8 }), fc.array(match, { maxLength: 40 }), (runs, shuffled) => {
        const laidEndToEnd = runs.flatMap((run) => bySort(run));
        expect(sortFindings(laidEndToEnd)).toEqual(bySort(laidEndToEnd));
        expect(sortFindings(shuffled)).toEqual(bySort(shuffled));
      }),
      fuzz(300, 1208),
    );
  });

  it('keeps the first of two equal findings (stable), as the overlap rule expects', () => {
    const a: TextMatch = { category: 'email', start: 5, end: 9 };
    const b: TextMatch = { category: 'email', start: 5, end: 9 };
    const c: TextMatch = { category: 'aws_key', start: 0, end: 3 };
    const sorted = sortFindings([a, c, b]);
    expect(sorted).toEqual([c, a, b]);
    expect(sorted[1]).toBe(a);
    expect(sorted[2]).toBe(b);
  });
});

describe('allocation-free name and placeholder checks', () => {
  // The definitions they replace (detect-secrets.ts before the scan stopped slicing per candidate).
  const SECRET_KEYS =
    /(?:password|passwd|passphrase|secret|apikey|accesskey|secretkey|privatekey|encryptionkey|signingkey|masterkey|accesstoken|authtoken|refreshtoken|idtoken|bearertoken|sessiontoken|apitoken|clientsecret|^token|^authorization|^cookie|^setcookie)$/;
  const slicedKeyName = (key: string) => key.length >= 3 && key.length <= 64 && SECRET_KEYS.test(key.toLowerCase().replace(/[-_.\s]/g, ''));
  // placeholders.ts, said with regular expressions on a slice.
  const WORD_FORM =
    /^(?:my|your|the|some|new|db|user|admin|app|example|sample|fake|dummy|replacewith|replaceme|insert|enter|put){0,2}(?:password|passwd|pass|pwd|pw|passphrase|secret|changeme|changeit|placeholder|example|dummy|redacted|null|none|undefined|true|false|token|apikey|key)(?:here)?$/;
  const slicedPlaceholder = (value: string) =>
    value.length === 0 ||
    '$%<{`'.includes(value[0]!) ||
    (/^([\s\S])\1*$/.test(value) && ('*xX.-_\u2026\u2022'.includes(value[0]!) || value.length >= 3)) ||
    value.startsWith('[REDACTED') ||
    /^\[[A-Za-z_ -]+\]$/.test(value) ||
    /^your[-_ ]/i.test(value) ||
    (value.length <= 64 && /^[A-Za-z._ -]*$/.test(value) && WORD_FORM.test(value.toLowerCase().replace(/[-_. ]/g, '')));
  const PIECES = ['pass', 'word', 'PASSWORD', 'my', 'here', 'change', 'me', 'REPLACE_WITH_', '[', ']', '\u2026', 'yy', '1', 'Api', 'key', 'KEY', 'secret', 'token', 'Token', 'auth', 'Authorization', 'cookie', 'set', 'id', 'client', '-', '_', '.', ' ', '\t', 'x', 'X', '*', 'null', 'None', 'your', '<', '>', '[REDACTED', '$', '\u212A', 'é', 'İ', '1'];
  const name = fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((p) => p.join(''));

  it('isSecretKeyAt and isPlaceholderAt answer as the sliced string did, anywhere in a text', () => {
    fc.assert(
      fc.property(name, name, name, (before, middle, after) => {
        const text = before + middle + after;
        const from = before.length;
        const to = from + middle.length;
        expect(isSecretKeyAt(text, from, to)).toBe(slicedKeyName(middle));
        expect(isSecretKeyName(middle)).toBe(slicedKeyName(middle));
        expect(isPlaceholderAt(text, from, to)).toBe(slicedPlaceholder(middle));
        expect(isPlaceholder(middle)).toBe(slicedPlaceholder(middle));
      }),
      fuzz(2000, 1212),
    );
    // Hand-picked: an ending, a whole name only, the Kelvin sign folding to k, a placeholder.
    expect([isSecretKeyName('DB_PASSWORD'), isSecretKeyName('x-token'), isSecretKeyName('token'), isSecretKeyName('API\u212AEY')]).toEqual([true, false, true, true]);
    expect([isPlaceholder('XXXX'), isPlaceholder('your_key'), isPlaceholder('hunter2')]).toEqual([true, true, false]);
    expect(['changeme', 'REPLACE_WITH_PASSWORD', 'my-password', '[PASSWORD]', '1111', 'password1', 'P@ssw0rd', 'abc'].map(isPlaceholder)).toEqual([true, true, true, true, true, false, false, false]);
  });
});

describe('maxFindings: one Finding object per span up to the cap, counts beyond it', () => {
  it('redacts every span and counts the unlisted ones per category', () => {
    // 12,000 command-line passwords: the default cap lists 10,000 and counts 2,000.
    const text = 'curl -u a:b1 '.repeat(12_000);
    const out = createRedactor().redactText(text);
    expect(out.value).toBe('curl -u a:[REDACTED:password] '.repeat(12_000));
    expect(out.findings.length).toBe(10_000);
    expect(out.omitted).toEqual({ password: 2_000 });
    // The 10,000th listed finding is the value of the 10,000th command: offset 9,999 × 13 + 10.
    expect(out.findings[9_999]).toEqual({ category: 'password', path: '', offset: 9_999 * 13 + 10, length: 2 });
  });
  it('counts past a small cap per category, across a value, and not at all below it', () => {
    const redactor = createRedactor({ maxFindings: 1 });
    const out = redactor.redactValue({ a: 'x1@example.com', b: ['SSN 123-45-6789', 'y2@example.com'] });
    expect(out.value).toEqual({ a: '[REDACTED:email]', b: ['SSN [REDACTED:ssn]', '[REDACTED:email]'] });
    expect(out.findings).toEqual([{ category: 'email', path: 'a', offset: 0, length: 14 }]);
    expect(out.omitted).toEqual({ ssn: 1, email: 1 });
    expect(createRedactor().redactText('x1@example.com').omitted).toBeUndefined();
  });
});
