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

const b64 = (s: string) => Buffer.from(s).toString('base64url');

const corpus = join(__dirname, '..', 'fixtures', 'redaction', 'corpus.jsonl');
const foreign = join(__dirname, '..', 'fixtures', 'redaction', 'foreign-corpus.jsonl');
const foreignStyle = join(__dirname, '..', 'fixtures', 'redaction', 'foreign-style.jsonl');

const target = (category: string) => ((PII_CATEGORIES as readonly string[]).includes(category) ? { precision: 0.95, recall: 0.9 } : { precision: 0.99, recall: 0.95 });

/**
 * Categories of the foreign corpus below a target, each held at its measured figure (see
 * test/fixtures/redaction/FOREIGN.md for the texts behind each): a change may raise them, never
 * lower them. Every other category must meet the targets.
 */
const FOREIGN_GAPS: Record<string, { precision?: number; recall?: number }> = {
  aws_key: { precision: 27 / 28 }, // AWS's documented example key AKIAIOSFODNN7EXAMPLE, masked on purpose
  github_token: { recall: 5 / 6 }, // a 40-hex legacy token known by its key name only
  jwt: { recall: 37 / 39 }, // headers that do not decode to JSON (`eyJhbGciOieeeiIs…`): not a JWT by our rule
  npm_token: { recall: 5 / 6 }, // npm_xxxxxxxxxxx, a placeholder detect-secrets flags
  // Placeholders the sources label secrets (user:pass@, username:password@, MY-PASSWORD), passwords
  // a source left unlabelled (--password=… beside its connection strings), secretlint's low-entropy verdicts.
  password: { precision: 38 / 43, recall: 38 / 48 },
  private_key: { recall: 13 / 14 }, // a PEM header around prose, which detect-secrets flags
  ssn: { recall: 4 / 7 }, // 9 bare digits without a context word and mixed separators, which Presidio accepts at low confidence
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

describe('foreign-style set (hand-labelled shell history, logs, config files, chat: FOREIGN.md)', () => {
  const { scores, misses } = evaluate(foreignStyle);
  it('meets the targets in every category', () => {
    expect(Object.keys(scores).length).toBeGreaterThanOrEqual(17);
    for (const [category, s] of Object.entries(scores)) {
      expect(s.precision, `${category} precision; ${misses.join('\n')}`).toBeGreaterThanOrEqual(target(category).precision);
      expect(s.recall, `${category} recall; ${misses.join('\n')}`).toBeGreaterThanOrEqual(target(category).recall);
    }
  });
});

describe('format rules of session 9, each with its hard negatives', () => {
  const found = (text: string) => createRedactor().scanText(text).map((f) => [f.category, text.slice(f.start, f.end)]);
  it('passwords on command lines: curl -u / --user / --user=, sshpass -p, mysql -p…, --password', () => {
    expect(found('curl -s -u deploy:Zq8!rT2wLp https://ci.example.com')).toEqual([['password', 'Zq8!rT2wLp']]);
    expect(found("curl --user 'api:d2LkV78zLx!t' https://api.example.com")).toEqual([['password', 'd2LkV78zLx!t']]);
    expect(found('curl --user=kevin:"pRf7vG2h1L8nQkW9" -X PATCH https://x.example.com')).toEqual([['password', 'pRf7vG2h1L8nQkW9']]);
    expect(found('curl https://api.example.com \\\n  -H "Accept: */*" \\\n  -u developer:yqDVtkqPECriaLRi')).toEqual([['password', 'yqDVtkqPECriaLRi']]);
    expect(found('curl -u "d2LkV78zLx!t:" https://api.example.com')).toEqual([['password', 'd2LkV78zLx!t']]); // a key as the user name
    expect(found("sshpass -p 'Wq7#pL0vX2' ssh ops@bastion")).toEqual([['password', 'Wq7#pL0vX2']]);
    expect(found('mysql -h db -u root -pS3cr3tPw0rd orders')).toEqual([['password', 'S3cr3tPw0rd']]);
    expect(found('docker login -u ci --password Gh7!kLp02x registry.example.com')).toEqual([['password', 'Gh7!kLp02x']]);
    expect(found('wget --user=ana --password=Lq9_xv77 https://files.example.com/a.tgz')).toEqual([['password', 'Lq9_xv77']]);
    // Hard negatives: references, placeholders, a user with no password, other commands' -u, prose.
    for (const text of [
      'curl -u $API_USER:$API_TOKEN https://api.example.com',
      'curl -u "${USER}:${PASS}" https://api.example.com',
      'curl --user "<user>:<password>" https://example.com',
      'curl --user neo4j:[PASSWORD] http://localhost:7474/db',
      'curl -u admin https://example.com',
      'curl -u admin: https://example.com',
      'docker run -u 1000:1000 node:20',
      'docker exec -u www-data:www-data app ls',
      'git push -u origin main',
      'cat pw.txt | docker login --password-stdin',
      'pass it with --password to the CLI',
      'use sshpass -p with care',
      'mysql -h db -u root -p orders',
    ]) expect(found(text), text).toEqual([]);
  });
  it('session 10: curl flags grouped before -u, long commands, HTTP Basic credentials decoded to user:password', () => {
    expect(found('curl -su alice:S3cr3tpw https://x.example.com')).toEqual([['password', 'S3cr3tpw']]);
    expect(found('curl -fsSLu alice:S3cr3tpw https://x.example.com')).toEqual([['password', 'S3cr3tpw']]);
    // Past 8 KB of one command line the option was lost when the old cap fell on it.
    const long = `curl -H "X-Pad: ${'p'.repeat(9000)}" -u alice:S3cr3tpw https://x.example.com`;
    expect(found(long)).toEqual([['password', 'S3cr3tpw']]);
    // base64("alice:S3cr3tpw") = YWxpY2U6UzNjcjN0cHc=; base64("sk_live_123abc:") = c2tfbGl2ZV8xMjNhYmM6 (a key as the user name).
    expect(found('curl -H "Authorization: Basic YWxpY2U6UzNjcjN0cHc=" https://x.example.com')).toEqual([['password', 'YWxpY2U6UzNjcjN0cHc=']]);
    expect(found('proxy sent basic YWxpY2U6UzNjcjN0cHc= upstream')).toEqual([['password', 'YWxpY2U6UzNjcjN0cHc=']]);
    expect(found('Basic c2tfbGl2ZV8xMjNhYmM6')).toEqual([['password', 'c2tfbGl2ZV8xMjNhYmM6']]);
    for (const text of [
      'curl -sSL https://get.example.com | sh', // grouped flags, no -u
      'curl -fsSu alice https://x.example.com', // no password: curl asks
      'Basic usage of the API', // not base64
      'sent basic aGVsbG8gd29ybGQgZm9vIGJhcg== upstream', // base64("hello world foo bar"): no colon
      'sent basic YWRtaW46YWRtaW4= upstream', // base64("admin:admin"): a shipped default
      'sent basic dXNlcjpwYXNzd29yZA== upstream', // base64("user:password"): a placeholder
    ]) expect(found(text), text).toEqual([]);
  });
  it('SSNs: one separator used twice, never two different ones, area/group/serial rules', () => {
    expect(found('SSN 123 45 6789')).toEqual([['ssn', '123 45 6789']]);
    expect(found('ssn 123-45-6789, 123.45.6789')).toEqual([['ssn', '123-45-6789'], ['ssn', '123.45.6789']]);
    for (const text of ['SSN 123-45 6789', 'SSN 123 45-6789', 'SSN 123.45-6789', 'id 123-456789', 'SSN 000-45-6789', 'SSN 123-00-6789', 'SSN 123-45-0000', 'SSN 900-45-6789']) {
      expect(found(text), text).toEqual([]);
    }
  });
  it('URL passwords in every scheme, not placeholders nor a shipped default (user = password)', () => {
    for (const scheme of ['postgres', 'postgresql', 'mysql', 'mongodb+srv', 'amqps', 'https', 'ftp']) {
      expect(found(`${scheme}://app:Xk29vLq7Tz@db-1:5432/x`), scheme).toEqual([['password', 'Xk29vLq7Tz']]);
    }
    expect(found('redis://:Xk29vLq7Tz@cache:6379/0')).toEqual([['password', 'Xk29vLq7Tz']]);
    expect(found('jdbc:mysql://app:Xk29vLq7Tz@mysql:3306/shop')).toEqual([['password', 'Xk29vLq7Tz']]);
    for (const text of [
      'postgres://postgres:postgres@localhost:5432/dev',
      'amqp://guest:guest@localhost:5672/',
      'postgres://app:${DB_PASSWORD}@db:5432/app',
      'mongodb+srv://admin:<password>@cluster0.abcde.mongodb.net',
      'https://user:password@example.com',
      'mysql://root:changeme@localhost/db',
      'redis://default:****@cache:6379',
      'https://user:xxx@example.com',
      'mysql://admin:REPLACE_WITH_PASSWORD@db/x',
      'Server=s;Database=d;User Id=u;Password=myPassword;',
    ]) expect(found(text), text).toEqual([]);
  });
  it('OpenAI keys carry T3BlbkFJ; other sk- strings are not OpenAI keys', () => {
    const legacy = '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';
    const project = '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';
    expect(found(`OPENAI_API_KEY=${legacy}`)).toEqual([['openai_key', legacy]]);
    expect(found(`key ${project}`)).toEqual([['openai_key', project]]);
    expect(found('sk-service-account-name-Ofbtr05CFsJqs4TAeKlCT3BlbkFJsh1KtN0SUjTPeJiaglyC')).toEqual([['openai_key', 'sk-service-account-name-Ofbtr05CFsJqs4TAeKlCT3BlbkFJsh1KtN0SUjTPeJiaglyC']]);
    expect(found('use sk-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6l in the sandbox')).toEqual([]); // no marker
    expect(found('sk-proj-Xi8tdMjHV6pmbBbwilTeT4BlbkFJ3UDnpdEwNNm6wVBpYM0o')).toEqual([]); // T4Blbk…, not the marker
    expect(found('sk-admin-shortT3BlbkFJgTJWgjMvdi6YlPvdXRqmSlZ4dLK')).toEqual([]); // 5 characters before it
  });
  it('GitHub: ghu_, ghr_, github_pat_, _ in the body, the ghs_<app id>_<JWT> installation token', () => {
    const jwtLike = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3NDU1NjgwMDAsImV4cCI6MTc0NTU2ODM2MH0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    expect(found(`token ghs_12345_${jwtLike} ok`)).toEqual([['github_token', `ghs_12345_${jwtLike}`]]);
    const underscored = 'ghs_RWGUZ6kS8_Ut7PbtR72k2miJwwYtxkpe8mOpT8feAWYZcwz43PxBVGCNATny';
    expect(found(`"${underscored}"`)).toEqual([['github_token', underscored]]);
    for (const prefix of ['ghu', 'ghr']) expect(found(`${prefix}_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6`)).toEqual([['github_token', `${prefix}_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6`]]);
    expect(found('const ghs_installation_token_for_the_app_01 = fetch();')).toEqual([]);
  });
  it('JWTs: unsigned (alg none, empty signature), header.payload without the last dot; a header that is not JSON is not one', () => {
    const none = `${b64('{"alg":"none"}')}.${b64('{"sub":"admin"}')}.`;
    expect(found(`Bearer ${none} end`)).toEqual([['jwt', none]]);
    const cut = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ';
    expect(found(cut)).toEqual([['jwt', cut]]);
    expect(found(`${b64('{"alg":"HS256"}')}.${b64('not json at all')}`)).toEqual([]);
    expect(found(`${b64('{"typ":"JWT"}')}.${b64('{"sub":"1"}')}.`)).toEqual([]); // no alg
  });
  it('SSNs as 9 bare digits after a context word only; national phone numbers after a word saying phone', () => {
    expect(found('Her SSN is 536225123.')).toEqual([['ssn', '536225123']]);
    expect(found('social security no: 536225123')).toEqual([['ssn', '536225123']]);
    expect(found('ticket 536225123 closed')).toEqual([]);
    expect(found('SSN 666225123')).toEqual([]); // area 666
    expect(found('Tel: 090-1234-5678')).toEqual([['phone', '090-1234-5678']]);
    expect(found('My CN number is 13812345678')).toEqual([['phone', '13812345678']]);
    expect(found('order 02079460958 shipped')).toEqual([]);
    expect(found('order number 0201234567, account number 0123456789')).toEqual([]);
    expect(found('build 1.24.3.1 finished')).toEqual([]);
  });
  it('.npmrc credentials: _authToken (also as npm config set writes it), _auth, _password; not without //host/ nor a reference', () => {
    const uuid = '743b294a-cd03-11ec-9d64-0242ac120002';
    expect(found(`npm config set //npm.corp.example.com/:_authToken ${uuid}`)).toEqual([['npm_token', uuid]]);
    expect(found('//npm.corp.example.com/:_auth=ZGVwbG95OlMzY3JldFB3MHJk')).toEqual([['npm_token', 'ZGVwbG95OlMzY3JldFB3MHJk']]);
    expect(found('//npm.corp.example.com/:_password="UzNjcmV0UHcwcmQ="')).toEqual([['password', 'UzNjcmV0UHcwcmQ=']]);
    expect(found('//registry.npmjs.org/:_authToken=${NPM_TOKEN}')).toEqual([]);
    expect(found(`registry.npmjs.org/:_auth=ZGVwbG95OlMzY3JldFB3MHJk`)).toEqual([]);
  });
  it('AWS secret keys after their name, without a key id; a PEM key inline in prose or with escaped newlines', () => {
    const secret = '1tUm636uS1yOEcfP5pvfqJ/ml36mF7AkyHsEU0IU';
    expect(found(`[prod]\naws_secret_access_key = ${secret}\n`)).toEqual([['aws_key', secret]]);
    expect(found(`{"SecretAccessKey": "${secret}"}`)).toEqual([['aws_key', secret]]);
    expect(found(`checksum ${secret}`)).toEqual([]);
    const body = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACDd';
    const inline = `-----BEGIN OPENSSH PRIVATE KEY----- ${body} -----END OPENSSH PRIVATE KEY-----`;
    expect(found(`here is my key ${inline} thanks`)).toEqual([['private_key', inline]]);
    const escaped = `-----BEGIN PRIVATE KEY-----\\n${body}\\n-----END PRIVATE KEY-----`;
    // The key/value detector reads the whole JSON string; the two findings merge under private_key.
    expect(found(`{"private_key": "${escaped}\\n"}`)).toEqual([['private_key', `${escaped}\\n`]]);
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
