/**
 * Security benchmarks (issue 12): redaction precision/recall per category on the labelled
 * corpus; every detector on adversarial strings of 256 KB, 512 KB and 1 MB (linear time: 1 MB
 * costs 4 times 256 KB, and each stays under a budget), the whole redactor and each detector alone; the guardrail rules on 1 MB hostile shell
 * commands, as a ratio to `JSON.parse` of the hook's stdin line holding the same command (what the
 * hook pays anyway, measured in the same run); the cost of redaction on the demo mix
 * against the same observer without it; the audit log's append cost per record and verify speed.
 * Run with `npm run bench -- security`.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createObserver, type Exporter, type FleetEvent } from '../src/index.js';
import { createRedactor } from '../src/redaction/index.js';
import { MatchList } from '../src/redaction/categories.js';
import { ALL_CATEGORIES } from '../src/redaction/categories.js';
import { scanJwts, scanPrivateKeys, scanTokens } from '../src/redaction/detect-secrets.js';
import { scanEnvAssignments, scanKeyValues } from '../src/redaction/detect-named.js';
import { scanBasicAuth, scanCommandPasswords, scanConnectionStrings, scanUrlPasswords } from '../src/redaction/detect-passwords.js';
import { scanCards, scanEmails, scanIbans, scanIps, scanPhones, scanSsns } from '../src/redaction/detect-pii.js';
import { compileRule, createGuardrailEngine, DEFAULT_PACK, GUARDRAIL_PACKS, type GuardrailPackName } from '../src/guardrails/index.js';
import { auditLog, verifyAuditLog } from '../src/storage/index.js';
import { evaluate } from '../test/redaction/evaluate.js';
import { feed, hostBuilt } from './analyzer-mix.js';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
/** SECURITY_PARTS=adversarial,audit runs only those parts (precision, adversarial, guardrails, cost, audit). */
const parts = process.env.SECURITY_PARTS?.split(',');
const wanted = (part: string) => parts === undefined || parts.includes(part);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// 1. Precision / recall.
if (wanted('precision')) {
  const corpus = fileURLToPath(new URL('../test/fixtures/redaction/corpus.jsonl', import.meta.url));
  const { scores } = evaluate(corpus);
  console.log('### Redaction precision / recall (test/fixtures/redaction/corpus.jsonl)\n');
  console.log('| category | TP | FP | FN | precision | recall |\n|---|---:|---:|---:|---:|---:|');
  for (const [category, s] of Object.entries(scores)) console.log(`| ${category} | ${s.tp} | ${s.fp} | ${s.fn} | ${fmt(s.precision, 3)} | ${fmt(s.recall, 3)} |`);
}

// 2. Adversarial strings: long runs that make naive patterns backtrack.
const MB = 1 << 20;
const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
const ADVERSARIAL: Record<string, string> = {
  'letters (email local part, tokens)': 'a',
  'a@ (email)': 'a@',
  'a.b@ (email domains)': 'a.b@',
  'sk-ant- (token prefix)': 'sk-ant-',
  'AKIA (key id prefix)': 'AKIA',
  'eyJ (JWT)': 'eyJ',
  'eyJaaaaaaaaaa. (JWT parts)': 'eyJaaaaaaaaaa.',
  '-----BEGIN  (PEM)': '-----BEGIN ',
  'x://u: (URL password)': 'x://u:',
  'A_KEY= (env)': ' A_KEY=',
  '"password": (key/value)': '"password":',
  'digits': '1',
  '1- (phone, SSN, card)': '1-',
  '1. (IPv4)': '1.',
  '+1 (international phone)': '+1 ',
  'AB12 (IBAN)': 'AB12',
  'a: (IPv6)': 'a:',
  'password= (connection string)': ';password=',
  '"password":"s3cr3t", (key/value, a finding each)': '"password":"s3cr3t",',
  'curl -u a:b1 (command-line password)': 'curl -u a:b1 ',
  'curl -u  (option without value)': 'curl -u ',
  '--password=x1 (option)': ' --password=x1',
  'ghs_1_eyJ. (GitHub app token)': 'ghs_1_eyJhbGciOiJIUzI1NiJ9.',
  'SSN 123456789 (bare SSN)': 'SSN 123456789 ',
  'phone 0201234567 (national phone)': 'phone 0201234567 ',
  '/:_auth= (.npmrc)': '/:_auth=',
  'Basic <user:password> (HTTP Basic, a finding each)': 'Basic YWxpY2U6UzNjcjN0cHc= ',
  'Basic aaaa (base64 without a colon)': 'Basic aGVsbG8gd29ybGQ= ',
  'curl -su a:b1 (grouped flags)': 'curl -su a:b1 ',
};
if (wanted('adversarial')) {
  const redactor = createRedactor({ maxScanLength: 8 * MB });
  const KB = 1024;
  const SIZES = [256 * KB, 512 * KB, MB];
  /**
   * CPU ms of `f` (the collector's threads included), the least of `runs`, each after a full
   * collection: the garbage of one run is not collected in the next. CPU, not wall time: the
   * machine is shared, and a descheduled process is not a slow detector.
   */
  const cpuBest = (f: () => void, runs = 5) => {
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      (globalThis as { gc?: () => void }).gc?.();
      const t0 = cpuMs();
      f();
      best = Math.min(best, cpuMs() - t0);
    }
    return best;
  };
  /** `f` on `unit` filled to each of SIZES, the sizes taken in turn each round (load hits them alike). */
  const bySize = (unit: string, f: (text: string) => void, rounds = 7) => {
    const texts = SIZES.map((size) => fill(unit, size));
    const best = SIZES.map(() => Infinity);
    for (let round = 0; round < rounds; round++) texts.forEach((text, i) => (best[i] = Math.min(best[i]!, cpuBest(() => f(text), 1))));
    return best;
  };
  const linearity = (times: number[]) => times[2]! / times[0]!;
  console.log('\n### Redaction on adversarial strings (every category on; CPU ms, least of 7 rounds over the sizes; 1 MB / 256 KB is 4 when linear)\n');
  console.log('| input | 256 KB | 512 KB | 1 MB | 1 MB / 256 KB | findings in 1 MB |\n|---|---:|---:|---:|---:|---:|');
  let worst = 0;
  for (const [label, unit] of Object.entries(ADVERSARIAL)) {
    const times = bySize(unit, (text) => redactor.redactText(text));
    worst = Math.max(worst, times[2]!);
    // Listed and counted: past `maxFindings` (10,000) the findings are counted per category, not listed.
    const all = redactor.redactText(fill(unit, MB));
    const findings = all.findings.length + Object.values(all.omitted ?? {}).reduce((a, b) => a + b, 0);
    console.log(`| ${label} | ${times.map((t) => fmt(t, 1)).join(' | ')} | ${fmt(linearity(times), 2)} | ${fmt(findings)} |`);
  }
  const BUDGET_MS = 1000;
  console.log(`\nslowest 1 MB adversarial string: ${fmt(worst, 1)} ms CPU (budget ${BUDGET_MS} ms): ${worst <= BUDGET_MS ? 'OK' : 'OVER BUDGET'}`);

  // 2a. Each detector alone, on the adversarial input it is slowest on at 1 MB.
  const everyCategory = new Set(ALL_CATEGORIES);
  const DETECTORS: Record<string, (text: string, out: MatchList) => void> = {
    'tokens (8 formats + AWS secret)': (t, o) => scanTokens(t, o, everyCategory),
    jwt: scanJwts,
    'PEM private key': scanPrivateKeys,
    'URL password': scanUrlPasswords,
    'connection string': scanConnectionStrings,
    'command-line password': scanCommandPasswords,
    'HTTP Basic credentials': scanBasicAuth,
    'KEY=value': scanEnvAssignments,
    '"key": value (JSON/YAML)': scanKeyValues,
    email: scanEmails,
    phone: scanPhones,
    SSN: scanSsns,
    'credit card': scanCards,
    IBAN: scanIbans,
    'IPv4 / IPv6': (t, o) => scanIps(t, o, true, true),
  };
  const oneMb = Object.fromEntries(Object.entries(ADVERSARIAL).map(([label, unit]) => [label, fill(unit, MB)]));
  console.log('\n### Each detector alone, on the adversarial input it is slowest on (CPU ms, least of 7 rounds)\n');
  console.log('| detector | slowest on | 256 KB | 512 KB | 1 MB | 1 MB / 256 KB | findings in 1 MB |\n|---|---|---:|---:|---:|---:|---:|');
  let worstLinearity = 0;
  for (const [name, detect] of Object.entries(DETECTORS)) {
    let slowest = '';
    let slowestMs = -1;
    for (const [label, text] of Object.entries(oneMb)) {
      const ms = cpuBest(() => detect(text, new MatchList()), 1);
      if (ms > slowestMs) [slowest, slowestMs] = [label, ms];
    }
    const unit = ADVERSARIAL[slowest]!;
    const times = bySize(unit, (text) => detect(text, new MatchList()));
    const found = new MatchList();
    detect(oneMb[slowest]!, found);
    // Under a millisecond the ratio is timer noise, not scaling.
    if (times[2]! >= 1) worstLinearity = Math.max(worstLinearity, linearity(times));
    console.log(`| ${name} | ${slowest} | ${times.map((t) => fmt(t, 1)).join(' | ')} | ${fmt(linearity(times), 2)} | ${fmt(found.length)} |`);
  }
  console.log(`\nlargest 1 MB / 256 KB among detectors taking 1 ms or more: ${fmt(worstLinearity, 2)} (linear: 4)`);
}

// 2b. Guardrails on 1 MB hostile shell commands (CPU time: the machine is shared).
if (wanted('guardrails')) {
  const HOSTILE_COMMANDS = ['a', 'a ', 'a|', 'a&', 'a\n', '\\a', '"a" ', '>a ', 'rm -rf ', 'git push -f main;', 'sh <(curl ', 'cat .env|', 'curl x|', 'A=1 ', '$('];
  const cpuMedian = (f: () => void) => {
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = cpuMs();
      f();
      runs.push(cpuMs() - t0);
    }
    return median(runs);
  };
  const defaultPack = createGuardrailEngine();
  const allPacks = createGuardrailEngine({ packs: Object.keys(GUARDRAIL_PACKS) as GuardrailPackName[] });
  const singleRules = DEFAULT_PACK.map((rule, i) => compileRule(rule, i));
  const state = { callsLastMinute: () => 0, sessionCostUsd: () => 0 };
  console.log('\n### Guardrails on 1 MB hostile shell commands (CPU ms, median of 5; reference: JSON.parse of the hook stdin line holding the command)\n');
  console.log('| command made of | JSON.parse | default pack (7 rules) | × JSON.parse | slowest rule alone | 2 MB / 1 MB | all packs (25 rules) |\n|---|---:|---:|---:|---:|---:|---:|');
  let worstRatio = 0;
  for (const unit of HOSTILE_COMMANDS) {
    const command = fill(unit, MB);
    const line = JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command } });
    const reference = cpuMedian(() => JSON.parse(line));
    const pack = cpuMedian(() => defaultPack.checkTool('Bash', { command }));
    const double = fill(unit, 2 * MB);
    const pack2 = cpuMedian(() => defaultPack.checkTool('Bash', { command: double }));
    const request = { toolName: 'Bash', phase: 'input' as const, value: { command }, sessionId: 's', agentId: 'a', now: 0 };
    const slowest = Math.max(...singleRules.map((rule) => cpuMedian(() => rule.matches(request, state))));
    const all = cpuMedian(() => allPacks.checkTool('Bash', { command }));
    worstRatio = Math.max(worstRatio, pack / reference);
    console.log(`| \`${JSON.stringify(unit).slice(1, -1)}\` | ${fmt(reference, 1)} | ${fmt(pack, 1)} | ${fmt(pack / reference, 1)} | ${fmt(slowest, 1)} | ${fmt(pack2 / pack, 2)} | ${fmt(all, 1)} |`);
  }
  console.log(`\nworst default pack / JSON.parse: ${fmt(worstRatio, 1)}x`);
}

// 3. Redaction cost on the demo mix.
if (wanted('cost')) {
  const noop: () => Exporter = () => ({ name: 'noop', export: async () => ({ code: 'success' }), shutdown: async () => {} });
  async function perEvent(redact: boolean, count: number): Promise<number> {
    const observer = createObserver({ redact, exporters: [noop()], onError: () => {} });
    const t0 = cpuMs();
    await feed(observer, hostBuilt(), count);
    const ms = cpuMs() - t0;
    await observer.close();
    return (ms * 1e6) / count;
  }
  const COUNT = 200_000;
  await perEvent(false, 50_000); // warm-up
  await perEvent(true, 50_000);
  const off: number[] = [];
  const on: number[] = [];
  const ratios: number[] = [];
  // Interleaved rounds, the order swapped each round, so that load on a shared machine hits both alike.
  for (let round = 0; round < 5; round++) {
    const a = round % 2 === 0 ? await perEvent(false, COUNT) : NaN;
    const b = await perEvent(true, COUNT);
    const c = Number.isNaN(a) ? await perEvent(false, COUNT) : a;
    off.push(c);
    on.push(b);
    ratios.push(b / c);
  }
  console.log('\n### Redaction cost on the demo mix (createObserver: default analyzers, memory storage, one no-op exporter)\n');
  console.log(`observer without redaction (redact: false): ${fmt(median(off))} ns/event (CPU, median of 5 runs of ${fmt(COUNT)})`);
  console.log(`observer with redaction (redact: true, storage + exporter): ${fmt(median(on))} ns/event`);
  console.log(`ratio: median of the 5 paired runs ${fmt(median(ratios), 2)}x (each: ${ratios.map((r) => fmt(r, 2)).join(', ')}; target <= 1.5x)`);
}

// 4. Audit log. References measured in the same run, on the same records: append = one
// `appendFileSync` of each record's JSON line (the write alone, no chain, lock or head); verify =
// reading the file and one `JSON.parse` + SHA-256 of each line (the least a chain check must do).
if (wanted('audit')) {
  const dir = mkdtempSync(join(tmpdir(), 'fleetscope-bench-audit-'));
  try {
    const log = auditLog({ dir, events: 'all' });
    const decision = (i: number) =>
      ({ id: `d${i}`, type: 'guardrail.decision', timestamp: Date.now(), severity: 'warning', source: 'g', sessionId: 's', agentId: 'main', payload: { rule: 'secrets.env', action: 'block', reason: 'reads .env', toolName: 'Bash', inputHash: `h${i}` } }) as unknown as FleetEvent;
    const RECORDS = 20_000;
    const SINGLE = 500;
    const cpuUs = (f: () => void | Promise<void>) => async (n: number) => {
      const c0 = cpuMs();
      await f();
      return ((cpuMs() - c0) * 1000) / n;
    };
    const batched = await cpuUs(async () => {
      for (let i = 0; i < RECORDS; i += 100) await log.append(Array.from({ length: 100 }, (_, k) => decision(i + k)));
    })(RECORDS);
    const single = await cpuUs(async () => {
      for (let i = 0; i < SINGLE; i++) await log.append([decision(RECORDS + i)]);
    })(SINGLE);
    await log.close();
    const plain = join(dir, 'plain.jsonl');
    const refBatched = await cpuUs(() => {
      for (let i = 0; i < RECORDS; i += 100) appendFileSync(plain, Array.from({ length: 100 }, (_, k) => `${JSON.stringify(decision(i + k))}\n`).join(''));
    })(RECORDS);
    const refSingle = await cpuUs(() => {
      for (let i = 0; i < SINGLE; i++) appendFileSync(plain, `${JSON.stringify(decision(i))}\n`);
    })(SINGLE);
    const logFile = join(dir, 'audit.log');
    let records = 0;
    const verifyUs = await cpuUs(() => {
      records = verifyAuditLog({ dir }).records;
    })(RECORDS + SINGLE);
    const refVerifyUs = await cpuUs(() => {
      for (const line of readFileSync(logFile, 'utf8').split('\n')) {
        if (line === '') continue;
        JSON.parse(line);
        createHash('sha256').update(line).digest('hex');
      }
    })(RECORDS + SINGLE);
    const perSec = (us: number) => fmt(1e6 / us);
    console.log('\n### Audit log (CPU; reference: appendFileSync of the same lines / read + JSON.parse + SHA-256 per line)\n');
    console.log(`append, batches of 100: ${fmt(batched, 1)} µs/record (reference ${fmt(refBatched, 1)}, ${fmt(batched / refBatched, 2)}x)`);
    console.log(`append, one record per batch (lock, tail check, write, head): ${fmt(single, 1)} µs/record (reference ${fmt(refSingle, 1)}, ${fmt(single / refSingle, 2)}x)`);
    console.log(`verify: ${fmt(records)} records, ${perSec(verifyUs)} records/s of CPU (reference ${perSec(refVerifyUs)} records/s, ${fmt(verifyUs / refVerifyUs, 2)}x the time)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
