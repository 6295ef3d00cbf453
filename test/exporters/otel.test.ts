import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
// The OTLP package's own protobuf reader (no exports map, so its build path is importable).
import { ProtobufReader } from '@opentelemetry/otlp-transformer/build/src/common/protobuf/protobuf-reader.js';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { otelExporter } from '../../src/exporters/otel.js';
import { deadPort, ev, loopback, type Loopback } from './helpers.js';

const T0 = 1_700_000_000_000; // ms
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const S = 'b7ad6b7169203331';
const A = '00f067aa0ba902b7';
const X = '1111111111111111';
const L = '2222222222222222';

/** A session with one agent that runs a failing tool and one LLM call; times by hand. */
function run() {
  const ids = { traceId: TRACE };
  return [
    ev('session.start', { reason: 'startup' }, { ...ids, spanId: S, timestamp: T0 }),
    ev('agent.start', { name: 'planner' }, { ...ids, spanId: A, parentSpanId: S, agentId: 'planner-1', timestamp: T0 + 10 }),
    ev('tool.start', { toolName: 'Bash', toolCallId: 'call-1' }, { ...ids, spanId: X, parentSpanId: A, agentId: 'planner-1', timestamp: T0 + 20 }),
    ev(
      'tool.end',
      { toolName: 'Bash', toolCallId: 'call-1', status: 'error', durationMs: 250, error: 'exit 1' },
      { ...ids, spanId: X, parentSpanId: A, agentId: 'planner-1', timestamp: T0 + 270 },
    ),
    ev(
      'llm.call',
      { provider: 'anthropic', model: 'claude-sonnet-4-5', status: 'success', latencyMs: 1000.5, inputTokens: 10, cacheReadTokens: 100, cacheWriteTokens: 5, outputTokens: 7 },
      { ...ids, spanId: L, parentSpanId: A, agentId: 'planner-1', timestamp: T0 + 1500 },
    ),
    ev('agent.end', { name: 'planner', status: 'success' }, { ...ids, spanId: A, parentSpanId: S, agentId: 'planner-1', timestamp: T0 + 1600 }),
    ev('session.end', { status: 'success' }, { ...ids, spanId: S, timestamp: T0 + 2000 }),
  ];
}

type JsonAttr = { key: string; value: Record<string, unknown> };
type JsonSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes: JsonAttr[];
  status: { code?: number; message?: string };
};

function attrs(span: JsonSpan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of span.attributes) {
    const v = value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue ?? value.arrayValue;
    out[key] = typeof v === 'string' && 'intValue' in value ? Number(v) : v;
  }
  return out;
}

const ns = (ms: number) => BigInt(ms) * 1_000_000n;

/** Keeps its spans after shutdown (the SDK's InMemorySpanExporter clears them). */
class KeepingSpanExporter extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Decodes the spans of an OTLP ExportTraceServiceRequest (opentelemetry/proto/trace/v1/trace.proto field numbers). */
function decodeProtobufSpans(buf: Uint8Array) {
  const spans: { traceId: string; spanId: string; parentSpanId: string; name: string; kind: number; start: bigint; end: bigint }[] = [];
  let current: Uint8Array = buf;
  const fields = (bytes: Uint8Array, on: (field: number, wire: number, r: ProtobufReader) => boolean) => {
    const r = new ProtobufReader(bytes);
    while (!r.isAtEnd()) {
      const { fieldNumber, wireType } = r.readTag();
      current = bytes;
      if (!on(fieldNumber, wireType, r)) r.skip(wireType);
    }
  };
  /** fixed64 (wire type 1): 8 little-endian bytes; the reader only skips them, so read them here. */
  const fixed64 = (r: ProtobufReader) => {
    const value = Buffer.from(current.subarray(r.pos, r.pos + 8)).readBigUInt64LE(0);
    r.pos += 8;
    return value;
  };
  fields(buf, (f, _w, r) => {
    if (f !== 1) return false; // resource_spans
    fields(r.readBytes(), (f2, _w2, r2) => {
      if (f2 !== 2) return false; // scope_spans
      fields(r2.readBytes(), (f3, _w3, r3) => {
        if (f3 !== 2) return false; // spans
        const span = { traceId: '', spanId: '', parentSpanId: '', name: '', kind: 0, start: 0n, end: 0n };
        fields(r3.readBytes(), (f4, _w4, r4) => {
          if (f4 === 1) span.traceId = hex(r4.readBytes());
          else if (f4 === 2) span.spanId = hex(r4.readBytes());
          else if (f4 === 4) span.parentSpanId = hex(r4.readBytes());
          else if (f4 === 5) span.name = r4.readString();
          else if (f4 === 6) span.kind = r4.readVarint();
          else if (f4 === 7) span.start = fixed64(r4);
          else if (f4 === 8) span.end = fixed64(r4);
          else return false;
          return true;
        });
        spans.push(span);
        return true;
      });
      return true;
    });
    return true;
  });
  return spans;
}

describe('otelExporter', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends the span tree through the official OTLP/HTTP exporter (default JSON) to a loopback collector', async () => {
    server = await loopback((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    const exporter = otelExporter({ url: `${server.url}/v1/traces`, serviceName: 'my-agents' });
    expect(await exporter.export(run())).toEqual({ code: 'success' });
    await exporter.shutdown();

    expect(server.received.length).toBeGreaterThanOrEqual(1);
    const spans: JsonSpan[] = [];
    let serviceName: unknown;
    for (const req of server.received) {
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/v1/traces');
      expect(req.headers['content-type']).toBe('application/json');
      const body = JSON.parse(req.body.toString('utf8')) as {
        resourceSpans: { resource: { attributes: JsonAttr[] }; scopeSpans: { scope: { name: string }; spans: JsonSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans) {
        serviceName = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
        for (const ss of rs.scopeSpans) {
          expect(ss.scope.name).toBe('fleetscope');
          spans.push(...ss.spans);
        }
      }
    }
    expect(serviceName).toBe('my-agents');
    expect(spans).toHaveLength(4);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const session = byId.get(S)!;
    const agent = byId.get(A)!;
    const tool = byId.get(X)!;
    const llm = byId.get(L)!;

    // The tree: session is the root; agent under session; tool and llm under the agent; one trace.
    for (const s of spans) expect(s.traceId).toBe(TRACE);
    expect(session.parentSpanId ?? '').toBe('');
    expect(agent.parentSpanId).toBe(S);
    expect(tool.parentSpanId).toBe(A);
    expect(llm.parentSpanId).toBe(A);

    // Names and kinds (1 = INTERNAL, 3 = CLIENT in OTLP's SpanKind, which is the API kind + 1).
    expect(session.name).toBe('session s1');
    expect(agent.name).toBe('invoke_agent planner');
    expect(tool.name).toBe('execute_tool Bash');
    expect(llm.name).toBe('chat claude-sonnet-4-5');
    expect([session.kind, agent.kind, tool.kind, llm.kind]).toEqual([1, 1, 1, 3]);

    // Timings in ns: start/end events paired; the llm call starts latencyMs before its event.
    const t = (s: JsonSpan) => [BigInt(s.startTimeUnixNano), BigInt(s.endTimeUnixNano)];
    expect(t(session)).toEqual([ns(T0), ns(T0 + 2000)]);
    expect(t(agent)).toEqual([ns(T0 + 10), ns(T0 + 1600)]);
    expect(t(tool)).toEqual([ns(T0 + 20), ns(T0 + 270)]);
    expect(t(llm)).toEqual([1_700_000_000_499_500_000n, ns(T0 + 1500)]);

    // Status: the failing tool is ERROR (2) with its message; others are UNSET.
    expect(tool.status.code).toBe(2);
    expect(tool.status.message).toBe('exit 1');
    expect(llm.status.code ?? 0).toBe(0);

    // gen_ai.* attributes.
    expect(attrs(llm)).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.response.model': 'claude-sonnet-4-5',
      'gen_ai.usage.input_tokens': 115, // 10 + 100 cache read + 5 cache write
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.usage.cache_creation.input_tokens': 5,
      'gen_ai.conversation.id': 's1',
      'gen_ai.agent.id': 'planner-1',
    });
    expect(attrs(agent)).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'planner',
      'gen_ai.agent.id': 'planner-1',
    });
    expect(attrs(tool)).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'Bash',
      'gen_ai.tool.call.id': 'call-1',
      'error.type': '_OTHER',
    });
    expect(exporter.stats!()).toMatchObject({ spans: 4, exportedSpans: 4, failedSpans: 0, unfinishedSpans: 0 });
  });

  it('produces spans the official protobuf serializer (the OTLP/proto path) encodes with the same tree and ns times', async () => {
    const memory = new KeepingSpanExporter();
    const exporter = otelExporter({ exporter: memory });
    await exporter.export(run());
    await exporter.shutdown();
    const bytes = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans() as ReadableSpan[])!;
    const spans = new Map(decodeProtobufSpans(bytes).map((s) => [s.spanId, s]));
    expect(spans.size).toBe(4);
    expect(spans.get(S)).toMatchObject({ traceId: TRACE, parentSpanId: '', name: 'session s1', kind: 1, start: ns(T0), end: ns(T0 + 2000) });
    expect(spans.get(A)).toMatchObject({ parentSpanId: S, name: 'invoke_agent planner', start: ns(T0 + 10), end: ns(T0 + 1600) });
    expect(spans.get(X)).toMatchObject({ parentSpanId: A, name: 'execute_tool Bash', start: ns(T0 + 20), end: ns(T0 + 270) });
    expect(spans.get(L)).toMatchObject({ parentSpanId: A, name: 'chat claude-sonnet-4-5', kind: 3, start: 1_700_000_000_499_500_000n });
  });

  it('flushes spans that never end as unfinished at shutdown, and after the max open age', async () => {
    const memory = new KeepingSpanExporter();
    let now = T0 + 5000;
    const exporter = otelExporter({ exporter: memory, maxOpenAgeMs: 60_000, clock: () => now });
    const events = run();
    // Keep the session open forever, and the agent too (drop both ends).
    await exporter.export(events.filter((e) => e.type !== 'session.end' && e.type !== 'agent.end'));
    expect(memory.getFinishedSpans().map((s) => s.name).sort()).toEqual(['chat claude-sonnet-4-5', 'execute_tool Bash']);
    expect(exporter.stats!()).toMatchObject({ openSpans: 2 });

    now = T0 + 60_011; // the agent (started T0+10) is now older than 60 s; the session (T0) too
    await exporter.export([ev('tool.start', { toolName: 'Read' }, { traceId: TRACE, spanId: '3333333333333333', parentSpanId: A, timestamp: now })]);
    const names = memory.getFinishedSpans().map((s) => s.name);
    expect(names).toContain('session s1');
    expect(names).toContain('invoke_agent planner');
    const agent = memory.getFinishedSpans().find((s) => s.name === 'invoke_agent planner')!;
    expect(agent.attributes['fleetscope.span.unfinished']).toBe(true);
    expect(agent.endTime).toEqual([1_700_000_060, 11_000_000]);

    await exporter.shutdown(); // the Read tool is still open: flushed as unfinished
    expect(memory.getFinishedSpans().map((s) => s.name)).toContain('execute_tool Read');
    expect(exporter.stats!()).toMatchObject({ unfinishedSpans: 3, openSpans: 0 });
  });

  it('bounds the open-span map: the oldest open span is flushed as unfinished', async () => {
    const memory = new KeepingSpanExporter();
    const exporter = otelExporter({ exporter: memory, maxOpenSpans: 2, clock: () => T0 });
    await exporter.export(
      ['a', 'b', 'c'].map((n, i) => ev('tool.start', { toolName: n }, { spanId: `${i}`.repeat(16), timestamp: T0 + i })),
    );
    expect(memory.getFinishedSpans().map((s) => s.name)).toEqual(['execute_tool a']);
    expect(exporter.stats!()).toMatchObject({ openSpans: 2, unfinishedSpans: 1 });
  });

  it('reports a missing OTel package as a failed export with a prefixed message, never a throw', async () => {
    const exporter = otelExporter({}, async (specifier) => {
      throw new Error(`Cannot find package '${specifier}'`);
    });
    const result = await exporter.export(run());
    expect(result.code).toBe('failed');
    if (result.code === 'failed') expect(result.error.message).toMatch(/^\[fleetscope\] \[otel\] cannot load @opentelemetry\/exporter-trace-otlp-http/);
    await expect(exporter.shutdown()).resolves.toBeUndefined();
  });

  it('counts the spans a hung collector holds as sendingSpans (was: in no counter, lost unseen when the host exits)', async () => {
    let answer: ((r: { code: number }) => void) | undefined;
    const hung = { export: (_spans: unknown[], done: (r: { code: number }) => void) => (answer = done), shutdown: async () => {} };
    const exporter = otelExporter({ exporter: hung as never, exportTimeoutMs: 60_000 });
    const pending = exporter.export(run());
    await new Promise((r) => setTimeout(r, 20));
    expect(exporter.stats!()).toMatchObject({ spans: 4, exportedSpans: 0, failedSpans: 0, queuedSpans: 0, sendingSpans: 4 });
    answer!({ code: 0 });
    await expect(pending).resolves.toEqual({ code: 'success' });
    expect(exporter.stats!()).toMatchObject({ exportedSpans: 4, sendingSpans: 0 });
  });

  it('counts a dead collector as failed spans', async () => {
    const port = await deadPort();
    const exporter = otelExporter({ url: `http://127.0.0.1:${port}/v1/traces`, exportTimeoutMs: 3000 });
    const result = await exporter.export(run());
    expect(result.code).toBe('failed');
    expect(exporter.stats!()).toMatchObject({ spans: 4, exportedSpans: 0, failedSpans: 4 });
    await exporter.shutdown();
  });

  it('exports the spans of a real observer on close()', async () => {
    const memory = new KeepingSpanExporter();
    const exporter = otelExporter({ exporter: memory });
    const observer = createObserver({ exporters: [exporter], storage: false });
    await observer.session('run-1', () =>
      observer.agent('writer', async () => {
        await observer.tool('search', { q: 'x' }, () => 'found');
      }),
    );
    await observer.close();
    const spans = memory.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual(['execute_tool search', 'invoke_agent writer', 'session run-1']);
    const byName = new Map(spans.map((s) => [s.name, s]));
    const root = byName.get('session run-1')!;
    expect(root.parentSpanContext).toBeUndefined();
    expect(byName.get('invoke_agent writer')!.parentSpanContext!.spanId).toBe(root.spanContext().spanId);
    expect(byName.get('execute_tool search')!.parentSpanContext!.spanId).toBe(byName.get('invoke_agent writer')!.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(byName.get('execute_tool search')!.attributes['gen_ai.conversation.id']).toBe('run-1');
  });
});
