/**
 * OTLP receiver ingest (issue 10): Claude Code-shaped log records (api_request and tool_result events,
 * 1,000 per request) posted over loopback to `otlpReceiver`, protobuf and JSON, 4 requests in flight,
 * into an observer with the default analyzers and in-memory storage. Records/s counted until the
 * observer has accepted every event. Reference, same run: the same bodies posted to a bare node:http
 * server that only reads them (the transport's own cost).
 *
 * `npm run bench -- otlp`. FLEETSCOPE_BENCH_OTLP_REQUESTS (default 200) sets the requests per form; BARE=1
 * runs the receiver into an observer with no analyzers and no storage (the receiver's own ingest cost).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import protobuf from 'protobufjs';
import { createObserver } from '../src/index.js';
import { OTLP_DESCRIPTOR } from '../src/runners/otlp-descriptor.js';
import { otlpReceiver } from '../src/runners/otlp-receiver.js';

const REQUESTS = Number(process.env.FLEETSCOPE_BENCH_OTLP_REQUESTS ?? 200);
const PER_REQUEST = 1000;
const IN_FLIGHT = 4;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const kv = (key: string, value: string | number) => ({ key, value: typeof value === 'number' ? { intValue: value } : { stringValue: value } });
function records(request: number) {
  return Array.from({ length: PER_REQUEST }, (_, i) => {
    const n = request * PER_REQUEST + i;
    const common = [kv('session.id', `s-${n % 50}`), kv('event.timestamp', new Date(Date.UTC(2026, 11, 4) + n).toISOString()), kv('prompt.id', `p-${n % 500}`)];
    return i % 2 === 0
      ? { timeUnixNano: String(BigInt(Date.UTC(2026, 11, 4) + n) * 1_000_000n), body: { stringValue: 'claude_code.api_request' }, attributes: [...common, kv('event.name', 'api_request'), kv('model', 'claude-sonnet-4-5'), kv('request_id', `req_${n}`), kv('input_tokens', 1200), kv('output_tokens', 300), kv('cache_read_tokens', 8000), kv('cache_creation_tokens', 200), { key: 'cost_usd', value: { doubleValue: 0.0123 } }, kv('duration_ms', 2300), kv('query_source', 'main')] }
      : { timeUnixNano: String(BigInt(Date.UTC(2026, 11, 4) + n) * 1_000_000n), body: { stringValue: 'claude_code.tool_result' }, attributes: [...common, kv('event.name', 'tool_result'), kv('tool_name', 'Bash'), kv('tool_use_id', `toolu_${n}`), kv('success', 'true'), kv('duration_ms', 120)] };
  });
}
const request = (r: number) => ({ resourceLogs: [{ resource: { attributes: [kv('service.name', 'claude-code')] }, scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events' }, logRecords: records(r) }] }] });

/** The descriptor keeps the .proto field names (snake_case); OTLP/JSON uses lowerCamelCase. */
const snake = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(snake)
    : value !== null && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snake(v)]))
      : value;
const root = protobuf.Root.fromJSON(OTLP_DESCRIPTOR);
const Logs = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
const bodies = {
  protobuf: Array.from({ length: REQUESTS }, (_, r) => Logs.encode(Logs.fromObject(snake(request(r)) as Record<string, unknown>)).finish()),
  json: Array.from({ length: REQUESTS }, (_, r) => Buffer.from(JSON.stringify(request(r)))),
};

async function post(url: string, forms: Uint8Array[], type: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < forms.length) {
        const body = forms[next++]!;
        const response = await fetch(url, { method: 'POST', body: new Blob([body as Uint8Array<ArrayBuffer>]), headers: { 'content-type': type } });
        if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
      }
    }),
  );
}

async function reference(forms: Uint8Array[], type: string): Promise<number> {
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const started = performance.now();
  await post(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`, forms, type);
  const rate = (forms.length * PER_REQUEST) / ((performance.now() - started) / 1000);
  server.close();
  return rate;
}

async function receiver(forms: Uint8Array[], type: string): Promise<number> {
  const otlp = otlpReceiver({ port: 0, maxRequestsPerSecond: 100_000 });
  const observer = createObserver({ runners: [otlp], ...(process.env.BARE ? { analyzers: [], storage: false as const } : {}) });
  await observer.ready();
  const started = performance.now();
  await post(`${otlp.address()!}/v1/logs`, forms, type);
  await observer.flush();
  const seconds = (performance.now() - started) / 1000;
  const accepted = observer.stats().events.accepted;
  await observer.close();
  if (accepted !== forms.length * PER_REQUEST) throw new Error(`accepted ${accepted} of ${forms.length * PER_REQUEST}`);
  return accepted / seconds;
}

console.log(`${fmt(REQUESTS * PER_REQUEST)} Claude Code log records per form, ${PER_REQUEST} per request, ${IN_FLIGHT} in flight; default analyzers\n`);
console.log('| form | bare HTTP server (reference) | otlpReceiver → observer | ratio |');
console.log('|---|---:|---:|---:|');
for (const [form, type] of [['protobuf', 'application/x-protobuf'], ['json', 'application/json']] as const) {
  await receiver(bodies[form].slice(0, 10), type); // warm-up
  const ref = await reference(bodies[form], type);
  const ours = await receiver(bodies[form], type);
  console.log(`| ${form} | ${fmt(ref)} records/s | ${fmt(ours)} records/s | ${(ours / ref).toFixed(2)} |`);
}
