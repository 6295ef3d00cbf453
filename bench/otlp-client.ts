/**
 * The sender of bench/otlp-receiver.bench.ts, in its own process so that it does not share the event loop
 * (and the CPU time counted) with the receiver. Forked with an IPC channel: it builds the request bodies
 * (Claude Code-shaped log records, protobuf and JSON), says `ready`, then for each `{ url, form, requests }`
 * it gets, posts that many bodies over keep-alive loopback connections, `IN_FLIGHT` at a time, and answers
 * `{ done: true }` (or `{ error }` on any answer other than 200).
 */
import { Agent, request as httpRequest } from 'node:http';
import protobuf from 'protobufjs';
import { OTLP_DESCRIPTOR } from '../src/runners/otlp-descriptor.js';

export const PER_REQUEST = 1000;
export const IN_FLIGHT = 4;
export type Form = 'protobuf' | 'json';
export interface ClientOrder {
  url: string;
  form: Form;
  requests: number;
}

const kv = (key: string, value: string | number) => ({ key, value: typeof value === 'number' ? { intValue: value } : { stringValue: value } });

/** Alternating `api_request` and `tool_result` events, as Claude Code exports them. */
function records(request: number) {
  return Array.from({ length: PER_REQUEST }, (_, i) => {
    const n = request * PER_REQUEST + i;
    const common = [kv('session.id', `s-${n % 50}`), kv('event.timestamp', new Date(Date.UTC(2026, 11, 4) + n).toISOString()), kv('prompt.id', `p-${n % 500}`)];
    const timeUnixNano = String(BigInt(Date.UTC(2026, 11, 4) + n) * 1_000_000n);
    return i % 2 === 0
      ? {
          timeUnixNano,
          body: { stringValue: 'claude_code.api_request' },
          attributes: [
            ...common,
            kv('event.name', 'api_request'),
            kv('model', 'claude-sonnet-4-5'),
            kv('request_id', `req_${n}`),
            kv('input_tokens', 1200),
            kv('output_tokens', 300),
            kv('cache_read_tokens', 8000),
            kv('cache_creation_tokens', 200),
            { key: 'cost_usd', value: { doubleValue: 0.0123 } },
            kv('duration_ms', 2300),
            kv('query_source', 'main'),
          ],
        }
      : {
          timeUnixNano,
          body: { stringValue: 'claude_code.tool_result' },
          attributes: [...common, kv('event.name', 'tool_result'), kv('tool_name', 'Bash'), kv('tool_use_id', `toolu_${n}`), kv('success', 'true'), kv('duration_ms', 120)],
        };
  });
}
const exportRequest = (r: number) => ({
  resourceLogs: [{ resource: { attributes: [kv('service.name', 'claude-code')] }, scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events' }, logRecords: records(r) }] }],
});

/** The descriptor keeps the .proto field names (snake_case); OTLP/JSON uses lowerCamelCase. */
const snake = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(snake)
    : value !== null && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snake(v)]))
      : value;

function buildBodies(count: number): Record<Form, Buffer[]> {
  const Logs = protobuf.Root.fromJSON(OTLP_DESCRIPTOR).lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
  return {
    protobuf: Array.from({ length: count }, (_, r) => Buffer.from(Logs.encode(Logs.fromObject(snake(exportRequest(r)) as Record<string, unknown>)).finish())),
    json: Array.from({ length: count }, (_, r) => Buffer.from(JSON.stringify(exportRequest(r)))),
  };
}

const CONTENT_TYPES: Record<Form, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };
const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function postOne(url: URL, body: Buffer, form: Form): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': CONTENT_TYPES[form], 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString()}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function post(order: ClientOrder, bodies: Buffer[]): Promise<void> {
  const url = new URL(order.url);
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < order.requests) await postOne(url, bodies[next++ % bodies.length]!, order.form);
    }),
  );
}

if (process.send !== undefined) {
  const bodies = buildBodies(Number(process.env.FLEETSCOPE_BENCH_OTLP_REQUESTS ?? 200));
  process.on('message', (order: ClientOrder | 'exit') => {
    if (order === 'exit') return process.disconnect();
    post(order, bodies[order.form]).then(
      () => process.send!({ done: true }),
      (error: unknown) => process.send!({ error: String(error) }),
    );
  });
  process.send('ready');
}
