/**
 * Security benchmarks (issue 12): redaction precision/recall per category on the labelled
 * corpus; every detector on 1 MB adversarial strings (linear time: the 2 MB run must cost about
 * twice the 1 MB run, and each stays under a budget); the guardrail rules on 1 MB hostile shell
 * commands, as a ratio to `JSON.parse` of the hook's stdin line holding the same command (what the
 * hook pays anyway, measured in the same run); the cost of redaction on the demo mix
 * against the same observer without it; the audit log's append cost per record and verify speed.
 * Run with `npm run bench -- security`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createObserver, type Exporter, type FleetEvent } from '../src/index.js';
import { createRedactor } from '../src/redaction/index.js';
import { compileRule, createGuardrailEngine, DEFAULT_PACK, GUARDRAIL_PACKS, type GuardrailPackName } from '../src/guardrails/index.js';
import { auditLog, verifyAuditLog } from '../src/storage/index.js';
import { evaluate } from '../test/redaction/evaluate.js';
import { feed, hostBuilt } from './analyzer-mix.js';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// 1. Precision / recall.
const corpus = fileURLToPath(new URL('../test/fixtures/redaction/corpus.jsonl', import.meta.url));
const { scores } = evaluate(corpus);
console.log('### Redaction precision / recall (test/fixtures/redaction/corpus.jsonl)\n');
console.log('| category | TP | FP | FN | precision | recall |\n|---|---:|---:|---:|---:|---:|');
for (const [category, s] of Object.entries(scores)) console.log(`| ${category} | ${s.tp} | ${s.fp} | ${s.fn} | ${fmt(s.precision, 3)} | ${fmt(s.recall, 3)} |`);

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
};
const redactor = createRedactor({ maxScanLength: 8 * MB });
console.log('\n### Detectors on adversarial strings (every category on)\n');
console.log('| input | 1 MB ms | 2 MB ms | 2 MB / 1 MB |\n|---|---:|---:|---:|');
let worst = 0;
for (const [label, unit] of Object.entries(ADVERSARIAL)) {
  const time = (size: number) => {
    const text = fill(unit, size);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      redactor.redactText(text);
      runs.push(performance.now() - t0);
    }
    return median(runs);
  };
  const one = time(MB);
  const two = time(2 * MB);
  worst = Math.max(worst, one);
  console.log(`| ${label} | ${fmt(one, 1)} | ${fmt(two, 1)} | ${fmt(two / one, 2)} |`);
}
const BUDGET_MS = 1000;
console.log(`\nslowest 1 MB adversarial string: ${fmt(worst, 1)} ms (budget ${BUDGET_MS} ms): ${worst <= BUDGET_MS ? 'OK' : 'OVER BUDGET'}`);

// 2b. Guardrails on 1 MB hostile shell commands (CPU time: the machine is shared).
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

// 3. Redaction cost on the demo mix.
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

// 4. Audit log.
const dir = mkdtempSync(join(tmpdir(), 'fleetscope-bench-audit-'));
try {
  const log = auditLog({ dir, events: 'all' });
  const decision = (i: number) =>
    ({ id: `d${i}`, type: 'guardrail.decision', timestamp: Date.now(), severity: 'warning', source: 'g', sessionId: 's', agentId: 'main', payload: { rule: 'secrets.env', action: 'block', reason: 'reads .env', toolName: 'Bash', inputHash: `h${i}` } }) as unknown as FleetEvent;
  const RECORDS = 20_000;
  let t0 = performance.now();
  for (let i = 0; i < RECORDS; i += 100) await log.append(Array.from({ length: 100 }, (_, k) => decision(i + k)));
  const batched = ((performance.now() - t0) * 1000) / RECORDS;
  t0 = performance.now();
  for (let i = 0; i < 500; i++) await log.append([decision(RECORDS + i)]);
  const single = ((performance.now() - t0) * 1000) / 500;
  await log.close();
  t0 = performance.now();
  const report = verifyAuditLog({ dir });
  const verifyMs = performance.now() - t0;
  console.log('\n### Audit log\n');
  console.log(`append, batches of 100: ${fmt(batched, 1)} µs/record; one record per batch (lock, tail check, write, head): ${fmt(single, 1)} µs/record`);
  console.log(`verify: ${fmt(report.records)} records in ${fmt(verifyMs)} ms = ${fmt((report.records / verifyMs) * 1000)} records/s (ok: ${report.ok})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
