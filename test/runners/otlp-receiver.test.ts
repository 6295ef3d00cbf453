/**
 * The OTLP receiver against the official OpenTelemetry SDK exporters (protobuf and JSON) sending
 * Claude Code-shaped telemetry, with figures computed by hand; then hostile requests.
 */
import { gzipSync } from 'node:zlib';
import { context, trace } from '@opentelemetry/api';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserver, type EventOf, type Observer } from '../../src/index.js';
import { otlpReceiver, type OtlpReceiver } from '../../src/runners/otlp-receiver.js';

const SESSION = '7f9e2c1a-0000-4000-8000-000000000001';
const common = { 'session.id': SESSION, 'user.id': 'u-1', 'organization.id': 'org-1', 'terminal.type': 'xterm' };

let observer: Observer | undefined;
afterEach(async () => {
  await observer?.close();
  observer = undefined;
});

async function start(options: Parameters<typeof otlpReceiver>[0] = {}): Promise<{ receiver: OtlpReceiver; url: string }> {
  const receiver = otlpReceiver({ port: 0, ...options });
  observer = createObserver({ runners: [receiver] });
  await observer.ready?.();
  for (let i = 0; i < 100 && receiver.address() === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  return { receiver, url: receiver.address()! };
}

function loggerProvider(exporter: JsonLogExporter | ProtoLogExporter) {
  return new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.1.132' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
}

describe('otlpReceiver with the real OpenTelemetry exporters', () => {
  for (const format of ['protobuf', 'json'] as const) {
    it(`maps Claude Code log events sent as ${format}: calls, tokens, cost, tools, subagents, a repeated request counted once`, async () => {
      const { receiver, url } = await start();
      const exporter = format === 'json' ? new JsonLogExporter({ url: `${url}/v1/logs` }) : new ProtoLogExporter({ url: `${url}/v1/logs` });
      const provider = loggerProvider(exporter);
      const logger = provider.getLogger('com.anthropic.claude_code.events');
      const t = Date.UTC(2026, 11, 4, 12);
      const at = (s: number) => new Date(t + s * 1000).toISOString();
      logger.emit({ body: 'claude_code.user_prompt', attributes: { ...common, 'event.name': 'user_prompt', 'event.timestamp': at(0), 'prompt.id': 'p-1', prompt_length: 42 } });
      const request = (id: string, s: number, extra: Record<string, string | number>) =>
        logger.emit({
          body: 'claude_code.api_request',
          attributes: { ...common, 'event.name': 'api_request', 'event.timestamp': at(s), 'prompt.id': 'p-1', model: 'claude-sonnet-4-5', request_id: id, ...extra },
        });
      request('req_1', 1, { input_tokens: 1000, output_tokens: 200, cache_read_tokens: 5000, cache_creation_tokens: 300, cost_usd: 0.0085, duration_ms: 2100, query_source: 'main' });
      request('req_2', 5, { input_tokens: '400', output_tokens: '80', cache_read_tokens: '0', cache_creation_tokens: '0', cost_usd: '0.0024', duration_ms: '900', query_source: 'subagent', agent_id: 'agent-explore-1', parent_agent_id: '' });
      request('req_1', 1, { input_tokens: 1000, output_tokens: 200, cost_usd: 0.0085 }); // reported twice
      logger.emit({ body: 'claude_code.tool_result', attributes: { ...common, 'event.name': 'tool_result', 'event.timestamp': at(3), tool_name: 'Bash', tool_use_id: 'toolu_1', success: 'true', duration_ms: 340 } });
      logger.emit({ body: 'claude_code.tool_result', attributes: { ...common, 'event.name': 'tool_result', 'event.timestamp': at(4), tool_name: 'Read', tool_use_id: 'toolu_2', success: 'false', duration_ms: 12, error: 'File does not exist.', agent_id: 'agent-explore-1' } });
      logger.emit({ body: 'claude_code.tool_decision', attributes: { ...common, 'event.name': 'tool_decision', 'event.timestamp': at(2), tool_name: 'Bash', decision: 'accept', source: 'config', tool_use_id: 'toolu_1' } });
      logger.emit({ body: 'something else', attributes: { level: 'debug' } });
      await provider.forceFlush();
      await provider.shutdown();
      await observer!.flush();

      const calls = (await observer!.query({ types: ['llm.call'] })).events as EventOf<'llm.call'>[];
      expect(calls.map((e) => [e.payload.requestId, e.agentId, e.sessionId, e.timestamp])).toEqual([
        ['req_1', 'main', SESSION, t + 1000],
        ['req_2', 'agent-explore-1', SESSION, t + 5000],
      ]);
      expect(calls[0]!.payload).toMatchObject({ model: 'claude-sonnet-4-5', provider: 'anthropic', status: 'success', inputTokens: 1000, outputTokens: 200, cacheReadTokens: 5000, cacheWriteTokens: 300, costUsd: 0.0085, latencyMs: 2100 });
      expect(calls[1]!.payload).toMatchObject({ inputTokens: 400, outputTokens: 80, costUsd: 0.0024, latencyMs: 900 });
      // Cost as reported by Claude Code: 0.0085 + 0.0024.
      expect((observer!.snapshot().cost as { totalUsd: number }).totalUsd).toBeCloseTo(0.0109, 10);
      const tools = (await observer!.query({ types: ['tool.end'] })).events as EventOf<'tool.end'>[];
      expect(tools.map((e) => [e.payload.toolName, e.payload.status, e.payload.durationMs, e.payload.error, e.agentId])).toEqual([
        ['Bash', 'success', 340, undefined, 'main'],
        ['Read', 'error', 12, 'File does not exist.', 'agent-explore-1'],
      ]);
      const prompt = (await observer!.query({ types: ['message'] })).events[0] as EventOf<'message'>;
      expect(prompt.payload).toMatchObject({ role: 'user', kind: 'prompt' });
      expect((await observer!.query({ types: ['claude_code.tool_decision'] })).events[0]!.payload).toMatchObject({ decision: 'accept', tool_name: 'Bash' });
      expect((await observer!.query({ types: ['log'] })).events[0]!.payload).toMatchObject({ message: 'something else' });
      expect(receiver.health().details).toMatchObject({ requests: 8, logRecords: 8, duplicates: 1, events: 7 });
    });
  }

  it('takes beta trace spans (protobuf): a span of a call already reported by a log event counts once', async () => {
    const { receiver, url } = await start();
    const logs = loggerProvider(new ProtoLogExporter({ url: `${url}/v1/logs` }));
    logs.getLogger('claude').emit({ body: 'claude_code.api_request', attributes: { ...common, 'event.name': 'api_request', model: 'claude-opus-4-5', request_id: 'req_9', input_tokens: 10, output_tokens: 5, cost_usd: 0.001 } });
    await logs.shutdown();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ProtoTraceExporter({ url: `${url}/v1/traces` }))] });
    const tracer = provider.getTracer('com.anthropic.claude_code');
    const t0 = Date.UTC(2026, 11, 4, 12);
    const interaction = tracer.startSpan('claude_code.interaction', { attributes: { 'session.id': SESSION }, startTime: t0 + 1_000 });
    const llm = tracer.startSpan('claude_code.llm_request', { attributes: { 'session.id': SESSION, model: 'claude-opus-4-5', request_id: 'req_9', input_tokens: 10, output_tokens: 5 }, startTime: t0 + 1_100 });
    llm.end(t0 + 1_900);
    const tool = tracer.startSpan('claude_code.tool', { attributes: { 'session.id': SESSION, tool_name: 'Grep', tool_use_id: 'toolu_9', agent_id: 'agent-a' }, startTime: t0 + 2_000 });
    tool.end(t0 + 2_250);
    const other = tracer.startSpan('http.request');
    other.end();
    interaction.end(t0 + 3_000);
    await provider.forceFlush();
    await provider.shutdown();
    await observer!.flush();
    expect((await observer!.query({ types: ['llm.call'] })).events).toHaveLength(1);
    const tools = (await observer!.query({ types: ['tool.end'] })).events as EventOf<'tool.end'>[];
    expect(tools.map((e) => [e.payload.toolName, e.payload.durationMs, e.agentId])).toEqual([['Grep', 250, 'agent-a']]);
    const interactionPayload = (await observer!.query({ types: ['claude_code.interaction'] })).events[0]!.payload as { durationMs: number };
    expect(interactionPayload.durationMs).toBeCloseTo(2_000, 3);
    expect(receiver.health().details).toMatchObject({ spans: 4, spansSkipped: 1, duplicates: 1 });
  });

  it('a tool span\'s duration is its run, not the permission prompt: execution phase, else the span less blocked_on_user', async () => {
    const { url } = await start();
    // One span per export (SimpleSpanProcessor): the phases arrive before their tool span.
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ProtoTraceExporter({ url: `${url}/v1/traces` }))] });
    const tracer = provider.getTracer('com.anthropic.claude_code');
    const t0 = Date.UTC(2026, 11, 4, 12);
    const tool = (id: string, start: number, phases: [string, number, number][]) => {
      // The documented `duration_ms` of a tool span: wall time, permission wait included.
      const span = tracer.startSpan('claude_code.tool', { attributes: { 'session.id': SESSION, tool_name: 'Bash', tool_use_id: id, duration_ms: 10_000 }, startTime: t0 + start });
      const inside = trace.setSpan(context.active(), span);
      for (const [name, from, to] of phases) tracer.startSpan(`claude_code.tool.${name}`, { startTime: t0 + from }, inside).end(t0 + to);
      span.end(t0 + start + 10_000);
    };
    // toolu_a: 8 s at the permission prompt, then 2 s of execution; toolu_b: 7 s at the prompt, no execution span.
    tool('toolu_a', 0, [['blocked_on_user', 0, 8_000], ['execution', 8_000, 10_000]]);
    tool('toolu_b', 20_000, [['blocked_on_user', 20_000, 27_000]]);
    await provider.forceFlush();
    await provider.shutdown();
    await observer!.flush();
    const ends = (await observer!.query({ types: ['tool.end'] })).events as EventOf<'tool.end'>[];
    expect(ends.map((e) => [e.payload.toolCallId, e.payload.durationMs, e.attributes?.['claude_code.blocked_on_user_ms']])).toEqual([
      ['toolu_a', 2_000, 8_000],
      ['toolu_b', 3_000, 7_000],
    ]);
  });

  it('sums delta metrics per series (Claude Code’s default temporality)', async () => {
    const { url } = await start();
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${url}/v1/metrics`, temporalityPreference: AggregationTemporalityPreference.DELTA }),
      exportIntervalMillis: 3_600_000,
    });
    const provider = new MeterProvider({ readers: [reader] });
    const tokens = provider.getMeter('com.anthropic.claude_code').createCounter('claude_code.token.usage', { unit: 'tokens' });
    tokens.add(100, { 'session.id': SESSION, type: 'input', model: 'claude-sonnet-4-5' });
    tokens.add(7, { 'session.id': SESSION, type: 'output', model: 'claude-sonnet-4-5' });
    await reader.forceFlush();
    tokens.add(50, { 'session.id': SESSION, type: 'input', model: 'claude-sonnet-4-5' });
    await reader.forceFlush();
    await provider.shutdown();
    await observer!.flush();
    const points = (await observer!.query({ types: ['metric'] })).events as EventOf<'metric'>[];
    const input = points.filter((e) => e.attributes?.type === 'input').map((e) => e.payload.value);
    const output = points.filter((e) => e.attributes?.type === 'output').map((e) => e.payload.value);
    // Delta points 100 then 50 of one series: running totals 100, 150. The output series had one point (7),
    // and a delta export of an unchanged counter may repeat it with 0.
    expect(input).toEqual([100, 150]);
    expect(output[output.length - 1]).toBe(7);
    expect(points[0]!.payload).toMatchObject({ name: 'claude_code.token.usage', unit: 'tokens', kind: 'counter' });
  });
});

describe('otlpReceiver under bad input', () => {
  const post = (url: string, path: string, body: string | Uint8Array, headers: Record<string, string>) =>
    fetch(`${url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : new Blob([body as Uint8Array<ArrayBuffer>]), headers });

  it('answers each bad request with the status the OTLP spec names, counts it, and keeps serving', async () => {
    const { receiver, url } = await start({ maxBodyBytes: 1024 * 1024, maxRequestsPerSecond: 1000 });
    const json = { 'content-type': 'application/json' };
    expect((await post(url, '/v1/logs', 'hello', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(url, '/v1/logs', '{"resourceLogs": [', json)).status).toBe(400);
    expect((await post(url, '/v1/logs', '[1,2]', json)).status).toBe(400);
    expect((await post(url, '/v1/logs', new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), { 'content-type': 'application/x-protobuf' })).status).toBe(400);
    // The refusal body is a google.rpc.Status in the client's encoding (the proto exporters send
    // `application/x-protobuf`, the http/json ones `application/json`).
    const protoRefusal = await post(url, '/v1/logs', new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), { 'content-type': 'application/x-protobuf' });
    expect(protoRefusal.headers.get('content-type')).toBe('application/x-protobuf');
    const Status = protobuf.Root.fromJSON({ nested: { google: { nested: { rpc: { nested: { Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } } } } } } } }).lookupType('google.rpc.Status');
    const status = Status.toObject(Status.decode(new Uint8Array(await protoRefusal.arrayBuffer()))) as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/^not a valid OTLP logs request/);
    const jsonRefusal = await post(url, '/v1/logs', '[1,2]', json);
    expect(jsonRefusal.headers.get('content-type')).toBe('application/json');
    expect(await (await post(url, '/v2/nothing', '{}', json)).json()).toMatchObject({ code: 5 }); // NOT_FOUND
    expect(await jsonRefusal.json()).toMatchObject({ code: 3, message: expect.stringMatching(/the body is not an OTLP\/JSON request/) });
    expect((await post(url, '/v2/nothing', '{}', json)).status).toBe(404);
    expect((await fetch(`${url}/v1/logs`)).status).toBe(405);
    const big = await post(url, '/v1/logs', 'x'.repeat(2 * 1024 * 1024), json).then((r) => r.status, () => 413);
    expect(big).toBe(413);
    // gzip is accepted; a body that is not gzip is a 400.
    const record = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'zipped' } }] }] }] };
    expect((await post(url, '/v1/logs', gzipSync(JSON.stringify(record)), { ...json, 'content-encoding': 'gzip' })).status).toBe(200);
    expect((await post(url, '/v1/logs', 'not gzip', { ...json, 'content-encoding': 'gzip' })).status).toBe(400);
    // A small gzip body that inflates past maxBodyBytes (1 MiB here: 2 MiB of spaces) is too large, 413 (was: 400).
    const bomb = await post(url, '/v1/logs', gzipSync(' '.repeat(2 * 1024 * 1024)), { ...json, 'content-encoding': 'gzip' });
    expect(bomb.status).toBe(413);
    expect(await bomb.json()).toMatchObject({ code: 8, message: 'gzip body inflates to over the 1048576-byte limit' });
    // Wrong-typed fields are tolerated, not thrown: a record whose attributes are not a list.
    expect((await post(url, '/v1/logs', JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: 5, timeUnixNano: 'x' }] }] }] }), json)).status).toBe(200);
    expect((await post(url, '/v1/logs', JSON.stringify(record), json)).status).toBe(200);
    expect(receiver.health().details).toMatchObject({
      'refused.media-type': 1,
      'refused.malformed': 5,
      'refused.not-found': 2,
      'refused.method': 1,
      'refused.too-large': 2,
      'refused.gzip': 1,
    });
    expect(receiver.health().status).toBe('running');
  });

  it('refuses beyond its request rate with 429 and Retry-After', async () => {
    const { receiver, url } = await start({ maxRequestsPerSecond: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(url, '/v1/logs', '{}', { 'content-type': 'application/json' })).status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    expect(statuses).toContain(429);
    expect(Number(receiver.health().details?.['refused.rate'])).toBeGreaterThan(0);
  });

  it('binds loopback by default and rejects bad options at construction', () => {
    expect(() => otlpReceiver({ port: 70000 })).toThrow(/\[fleetscope\] \[otlp-receiver\] port/);
    expect(() => otlpReceiver({ maxBodyBytes: 0 })).toThrow(/maxBodyBytes/);
  });
});
