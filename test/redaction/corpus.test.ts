/**
 * Precision and recall per category on the labelled corpus (test/fixtures/redaction/corpus.jsonl,
 * written by generate.ts beside it). Targets from issue 12: secrets ≥ 0.99 precision and ≥ 0.95
 * recall; PII ≥ 0.95 / 0.90. Plus the detectors' checks and the plain functions on bad input.
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_CATEGORIES, PII_CATEGORIES, createRedactor, ibanValid, luhnValid, redactText, ssnValid } from '../../src/redaction/index.js';
import { evaluate } from './evaluate.js';

const corpus = join(__dirname, '..', 'fixtures', 'redaction', 'corpus.jsonl');
const foreign = join(__dirname, '..', 'fixtures', 'redaction', 'foreign-corpus.jsonl');

const target = (category: string) => ((PII_CATEGORIES as readonly string[]).includes(category) ? { precision: 0.95, recall: 0.9 } : { precision: 0.99, recall: 0.95 });

/**
 * Categories of the foreign corpus below a target, each held at its measured figure (see
 * test/fixtures/redaction/FOREIGN.md for the texts behind each): a change may raise them, never
 * lower them. Every other category must meet the targets.
 */
const FOREIGN_GAPS: Record<string, { precision?: number; recall?: number }> = {
  aws_key: { precision: 26 / 27 }, // AWS's documented example key AKIAIOSFODNN7EXAMPLE, masked on purpose
  github_token: { recall: 3 / 6 }, // installation tokens of a newer, longer ghs_ format; a 40-hex legacy token found by its key name only
  jwt: { recall: 34 / 39 }, // header-and-claims without a signature; headers that do not decode to JSON
  npm_token: { recall: 5 / 6 }, // npm_xxxxxxxxxxx, a placeholder detect-secrets flags
  openai_key: { precision: 24 / 32 }, // keys without the T3BlbkFJ marker taken for keys
  password: { precision: 37 / 56, recall: 37 / 48 }, // curl -u user:password not read; sources disagree on user:password@
  phone: { recall: 22 / 25 }, // national numbers without a country code (Israel, Japan, China)
  private_key: { recall: 13 / 14 }, // a PEM header around prose, which detect-secrets flags
  ssn: { recall: 4 / 7 }, // 9 bare digits and mixed separators, which Presidio accepts at low confidence
};

describe('redaction corpus', () => {
  const { scores, misses } = evaluate(corpus);
  it('covers every text category with positives', () => {
    for (const category of ALL_CATEGORIES) {
      if (category === 'secret_field') continue; // a field-name rule, tested on values below
      expect(scores[category]?.tp ?? 0, category).toBeGreaterThanOrEqual(30);
    }
  });
  it('meets the precision and recall targets per category', () => {
    for (const [category, s] of Object.entries(scores)) {
      const pii = (PII_CATEGORIES as readonly string[]).includes(category);
      expect(s.precision, `${category} precision; ${misses.join('\n')}`).toBeGreaterThanOrEqual(pii ? 0.95 : 0.99);
      expect(s.recall, `${category} recall; ${misses.join('\n')}`).toBeGreaterThanOrEqual(pii ? 0.9 : 0.95);
    }
  });
});

describe('foreign redaction corpus (gitleaks, detect-secrets, secretlint, trufflehog, Presidio tests)', () => {
  const { scores, misses } = evaluate(foreign);
  it('meets the targets per category, and the known gaps do not widen', () => {
    expect(Object.keys(scores).length).toBeGreaterThanOrEqual(17);
    for (const [category, s] of Object.entries(scores)) {
      const floor = { ...target(category), ...FOREIGN_GAPS[category] };
      expect(s.precision, `${category} precision; ${misses.join('\n')}`).toBeGreaterThanOrEqual(floor.precision - 1e-9);
      expect(s.recall, `${category} recall; ${misses.join('\n')}`).toBeGreaterThanOrEqual(floor.recall - 1e-9);
    }
  });
  it('fixed format rules: each on a text of the foreign corpus', () => {
    const found = (text: string) => createRedactor().scanText(text).map((f) => [f.category, text.slice(f.start, f.end)]);
    expect(found('Server IP: 2001:db8::1')).toEqual([['ip_address', '2001:db8::1']]); // a rejected "IP:" no longer hides the address
    expect(found('4012888888881881 4012-8888-8888-1881')).toEqual([['credit_card', '4012888888881881'], ['credit_card', '4012-8888-8888-1881']]);
    expect(found('078.05.1123 and 078 05 1123')).toEqual([['ssn', '078.05.1123'], ['ssn', '078 05 1123']]);
    expect(found('ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx AKIAXXXXXXXXXXXXXXXX')).toEqual([]);
    expect(found('-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----')).toEqual([]);
    expect(found('//registry.npmjs.org/:_authToken=743b294a-cd03-11ec-9d64-0242ac120002')).toEqual([['npm_token', '743b294a-cd03-11ec-9d64-0242ac120002']]);
    expect(found('registry.npmjs.org/:_authToken=743b294a-cd03-11ec-9d64-0242ac120002')).toEqual([]);
    expect(found('"xoxp-572370529330-573807301142-572331691188-####"')).toEqual([]);
    expect(found('user@xn--80ak6aa92e.com')).toEqual([['email', 'user@xn--80ak6aa92e.com']]);
  });
});

describe('checks', () => {
  it('Luhn, mod-97 and SSA rules by hand', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('DE89370400440532013001')).toBe(false);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ssnValid('123', '45', '6789')).toBe(true);
    for (const [a, g, s] of [['000', '12', '3456'], ['666', '12', '3456'], ['912', '12', '3456'], ['123', '00', '4567'], ['123', '45', '0000'], ['078', '05', '1120']]) {
      expect(ssnValid(a!, g!, s!), `${a}-${g}-${s}`).toBe(false);
    }
  });
  it('a card number failing Luhn, an SSN with area 666, a JWT whose header is not JSON are left alone', () => {
    expect(redactText('card 4111 1111 1111 1112').changed).toBe(false);
    expect(redactText('ssn 666-12-3456').changed).toBe(false);
    expect(redactText('tok eyJub3QganNvbg.eyJzdWIiOiIxIn0.c2lnbmF0dXJl').changed).toBe(false);
    // an AWS-looking 40-character secret alone is any base64 blob; beside a key id it is the secret
    expect(redactText('blob wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY').changed).toBe(false);
    expect(redactText('AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY').value).toBe('[REDACTED:aws_key] [REDACTED:aws_key]');
  });
});

describe('plain functions', () => {
  it('redactText reports category, offset and length, never the value', () => {
    const r = redactText('mail bob@example.com now');
    expect(r).toEqual({ value: 'mail [REDACTED:email] now', changed: true, findings: [{ category: 'email', path: '', offset: 5, length: 15 }] });
  });
  it('redactValue: field names, drop mode, copy-on-write, cycles, deep nesting, huge strings', () => {
    const redactor = createRedactor({ modes: { email: 'drop' }, maxScanLength: 1_000_000 });
    const shared = { a: 'plain' };
    const value = { user: { email: 'x bob@example.com', name: 'Bob' }, headers: { Authorization: 'Basic abc', accept: '*/*' }, shared };
    const out = redactor.redactValue(value);
    expect(out.value).toEqual({ user: { name: 'Bob' }, headers: { Authorization: '[REDACTED:secret_field]', accept: '*/*' }, shared: { a: 'plain' } });
    expect(out.value.shared).toBe(shared);
    expect(value.user.email).toBe('x bob@example.com'); // the input is not touched
    expect(out.findings.map((f) => [f.category, f.path])).toEqual([['email', 'user.email'], ['secret_field', 'headers.Authorization']]);

    const cyclic: Record<string, unknown> = { note: 'ip 10.0.0.1' };
    cyclic.self = cyclic;
    expect(redactor.redactValue(cyclic).value).toEqual({ note: 'ip [REDACTED:ip_address]', self: '[Circular]' });

    let deep: unknown = 'AKIAIOSFODNN7EXAMPLE';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(JSON.stringify(redactor.redactValue(deep).value)).toContain('[REDACTED:unscanned]');
    expect(JSON.stringify(redactor.redactValue(deep).value)).not.toContain('AKIA');

    expect(redactor.redactText('a'.repeat(1_000_001)).value).toBe('[REDACTED:unscanned]');
    const big = `${'x'.repeat(5_000_000)} bob@example.com`;
    expect(createRedactor().redactText(big).findings).toEqual([{ category: 'email', path: '', offset: 5_000_001, length: 15 }]);
  });
  it('modes per category and per group: a category beats its group, the default mode covers the rest', () => {
    const redactor = createRedactor({ mode: 'mask', modes: { pii: 'hash', phone: 'mask', secrets: 'drop', aws_key: 'mask' }, hashKey: 'k-1' });
    const text = 'mail bob@example.com, call (415) 555-2671, key AKIAIOSFODNN7EXAMPLE, token ghp_abcdefghijklmnopqrstuvwxyz0123456789 end';
    const hmac = createHmac('sha256', 'k-1').update('bob@example.com').digest('hex').slice(0, 16);
    expect(redactor.redactText(text).value).toBe(`mail [REDACTED:email:hmac:${hmac}], call [REDACTED:phone], key [REDACTED:aws_key], token  end`);
    // The same rules on a value: `drop` removes the field; a category's own mode still beats it.
    expect(redactor.redactValue({ gh: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', aws: 'AKIAIOSFODNN7EXAMPLE', to: 'bob@example.com' }).value).toEqual({
      aws: '[REDACTED:aws_key]',
      to: `[REDACTED:email:hmac:${hmac}]`,
    });
  });
  it('hash mode is keyed: the same value under another key hashes differently', () => {
    const a = createRedactor({ mode: 'hash', hashKey: 'one' }).redactText('bob@example.com').value;
    const b = createRedactor({ mode: 'hash', hashKey: 'two' }).redactText('bob@example.com').value;
    expect(a).toMatch(/^\[REDACTED:email:hmac:[0-9a-f]{16}\]$/);
    expect(a).not.toBe(b);
    expect(createRedactor({ mode: 'hash', hashKey: 'one' }).redactText('bob@example.com').value).toBe(a);
  });
});
