import { ROOT_CONTEXT, trace, SpanStatusCode, type Attributes, type Context, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import type { EventInput, FleetEvent } from '../../src/core/index.js';
import { fleetscopeSpanProcessor, type FleetscopeSpanProcessorOptions } from '../../src/runners/otel-bridge.js';

let providers: BasicTracerProvider[] = [];
afterEach(async () => {
  for (const p of providers) await p.shutdown();
  providers = [];
});

function setup(options: FleetscopeSpanProcessorOptions = {}) {
  const events: EventInput[] = [];
  const processor = fleetscopeSpanProcessor({ emit: (e) => void events.push(e) }, options);
  // Type check: the processor plugs into the real SDK's SpanProcessor slot.
  const asSdk: SpanProcessor = processor;
  const provider = new BasicTracerProvider({ spanProcessors: [asSdk] });
  providers.push(provider);
  const tracer = provider.getTracer('test-framework');
  return { events, processor, tracer };
}

/**
 * Starts a span with `attributes` as a child of the enclosing `span()` call, runs `fn` (whose
 * spans become its children), ends it. The parent context is passed explicitly: no context
 * manager is registered in these tests.
 */
let current: Context = ROOT_CONTEXT;
function span(tracer: Tracer, name: string, attributes: Attributes, fn?: () => void, error?: Error) {
  const s = tracer.startSpan(name, { attributes }, current);
  const outer = current;
  current = trace.setSpan(outer, s);
  try {
    fn?.();
  } finally {
    current = outer;
  }
  if (error) {
    s.recordException(error);
    s.setStatus({ code: SpanStatusCode.ERROR });
  }
  s.end();
  return s.spanContext();
}

const ofType = (events: EventInput[], type: string) => events.filter((e) => e.type === type);

describe('fleetscopeSpanProcessor (real OpenTelemetry SDK)', () => {
  it('turns a GenAI chat span into llm.call with cache tokens subtracted from input', () => {
    const { events, tracer } = setup();
    const ctx = span(tracer, 'chat claude-sonnet-4-5', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
      // 1,250 input tokens INCLUDING 1,000 read from cache and 200 written to it.
      'gen_ai.usage.input_tokens': 1250,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.cache_creation.input_tokens': 200,
      'gen_ai.usage.output_tokens': 80,
      'gen_ai.conversation.id': 'conv-42',
      'gen_ai.response.id': 'msg_01',
      'gen_ai.response.finish_reasons': ['end_turn'],
    });
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e.type).toBe('llm.call');
    expect(e.traceId).toBe(ctx.traceId);
    expect(e.spanId).toBe(ctx.spanId);
    expect(e.parentSpanId).toBeUndefined();
    expect(e.sessionId).toBe('conv-42');
    expect(e.payload).toMatchObject({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5-20250929',
      operation: 'chat',
      inputTokens: 50, // 1250 - 1000 - 200
      cacheReadTokens: 1000,
      cacheWriteTokens: 200,
      outputTokens: 80,
      status: 'success',
      responseId: 'msg_01',
      finishReason: 'end_turn',
    });
  });

  it('reads a GenAI time to first chunk (seconds, AI SDK 7) as the time to first token of a stream', () => {
    const { events, tracer } = setup();
    const base = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' };
    span(tracer, 'chat gpt-4o', { ...base, 'gen_ai.client.operation.time_to_first_chunk': 0.2345 });
    span(tracer, 'chat gpt-4o', base);
    expect(events.map((e) => [(e.payload as { stream?: boolean }).stream, e.attributes?.timeToFirstTokenMs])).toEqual([
      [true, 234.5],
      [undefined, undefined],
    ]);
  });

  it('reads Mastra spans as its OtelBridge writes them (@mastra/otel-exporter 1.4.0 SpanConverter)', () => {
    const { events, tracer } = setup();
    // A workflow runs an agent; its model loop (model_generation → agent_step) holds one `chat` call
    // and a failing tool; a second agent runs inside another tool. Finish reasons are a JSON string.
    span(tracer, 'workflow run', { 'gen_ai.operation.name': 'invoke_workflow', 'mastra.span.type': 'workflow_run' }, () => {
      span(tracer, "agent run: 'planner'", { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'planner', 'gen_ai.agent.name': 'Planner', 'gen_ai.conversation.id': 'thread-7' }, () => {
        span(tracer, 'llm: gpt-4o', { 'gen_ai.operation.name': 'model_generation', 'mastra.span.type': 'model_generation' }, () => {
          span(tracer, 'step: 0', { 'gen_ai.operation.name': 'agent_step', 'mastra.span.type': 'model_step' }, () => {
            span(tracer, 'chat gpt-4o', {
              'gen_ai.operation.name': 'chat',
              'gen_ai.provider.name': 'openai',
              'gen_ai.request.model': 'gpt-4o',
              'gen_ai.response.model': 'gpt-4o-2024-08-06',
              'gen_ai.usage.input_tokens': 1200,
              'gen_ai.usage.cache_read.input_tokens': 1000,
              'gen_ai.usage.output_tokens': 50,
              'gen_ai.response.finish_reasons': '["tool-calls"]',
            });
          });
        });
        span(tracer, "tool: 'lookup'", { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup', 'gen_ai.tool.call.id': 'call_1', 'gen_ai.tool.call.arguments': '{"sku":"X1"}' }, undefined, new Error('inventory offline'));
        span(tracer, "tool: 'research'", { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'research', 'gen_ai.tool.call.id': 'call_2' }, () => {
          span(tracer, "agent run: 'researcher'", { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'researcher', 'gen_ai.agent.name': 'Researcher' });
        });
      });
    });
    const calls = ofType(events, 'llm.call');
    expect(calls.map((e) => [e.agentId, e.sessionId])).toEqual([['planner', 'thread-7']]);
    expect(calls[0]!.payload).toMatchObject({ provider: 'openai', model: 'gpt-4o-2024-08-06', inputTokens: 200, cacheReadTokens: 1000, outputTokens: 50, finishReason: 'tool-calls' });
    expect(ofType(events, 'tool.end').map((e) => [e.agentId, (e.payload as { toolName: string }).toolName, (e.payload as { status: string }).status, (e.payload as { error?: string }).error])).toEqual([
      ['planner', 'lookup', 'error', 'Error: inventory offline'],
      ['planner', 'research', 'success', undefined],
    ]);
    expect(ofType(events, 'agent.start').map((e) => [e.agentId, (e.payload as { name: string }).name, (e.payload as { parentAgentId?: string }).parentAgentId]).sort()).toEqual([
      ['planner', 'Planner', undefined],
      ['researcher', 'Researcher', 'planner'],
    ]);
    // The workflow, the model loop and its step are not runs nor calls.
    expect(events.filter((e) => !['llm.call', 'tool.start', 'tool.end', 'agent.start', 'agent.end'].includes(e.type))).toEqual([]);
  });

  it('reads the deprecated names: gen_ai.system, prompt/completion tokens, underscore cache names', () => {
    const { events, tracer } = setup();
    span(tracer, 'openai.chat', {
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'llm.request.type': 'chat',
      'gen_ai.usage.prompt_tokens': 900,
      'gen_ai.usage.completion_tokens': 30,
      'gen_ai.usage.cache_read_input_tokens': 640,
    });
    span(tracer, 'text', {
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-3.5-turbo-instruct',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.cache_creation_input_tokens': 2,
      'gen_ai.usage.output_tokens': 7,
    });
    expect(events.map((e) => e.payload)).toMatchObject([
      { provider: 'openai', model: 'gpt-4o', operation: 'chat', inputTokens: 260, cacheReadTokens: 640, outputTokens: 30 },
      { provider: 'openai', model: 'gpt-3.5-turbo-instruct', operation: 'text_completion', inputTokens: 10, cacheWriteTokens: 2, outputTokens: 7 },
    ]);
  });

  it('keeps an input count smaller than its cache counts as excluding cache, and counts it', () => {
    const { events, tracer, processor } = setup();
    span(tracer, 'anthropic.chat', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'claude-3-5-haiku',
      'gen_ai.usage.input_tokens': 4, // Anthropic's own input_tokens, without the 3,000 cached
      'gen_ai.usage.cache_read_input_tokens': 3000,
      'gen_ai.usage.output_tokens': 9,
    });
    expect(events[0]!.payload).toMatchObject({ inputTokens: 4, cacheReadTokens: 3000 });
    expect(processor.stats().inputTokensWithoutCache).toBe(1);
  });

  it('maps embeddings and generate_content to llm.call with their operation', () => {
    const { events, tracer } = setup();
    span(tracer, 'embeddings text-embedding-3-small', {
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.usage.input_tokens': 16,
    });
    span(tracer, 'generate_content gemini-2.0-flash', {
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-2.0-flash',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 20,
    });
    expect(events.map((e) => [e.type, (e.payload as { operation: string }).operation])).toEqual([
      ['llm.call', 'embeddings'],
      ['llm.call', 'generate_content'],
    ]);
    expect(events[0]!.payload).toMatchObject({ inputTokens: 16 });
  });

  it('turns invoke_agent / execute_tool / chat into a span tree with agent attribution', () => {
    const { events, tracer } = setup();
    let toolCtx: { spanId: string } | undefined;
    let chatCtx: { spanId: string } | undefined;
    const agentCtx = span(
      tracer,
      'invoke_agent researcher',
      {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': 'researcher',
        'gen_ai.agent.id': 'asst_123',
        'gen_ai.conversation.id': 'thread-7',
        'gen_ai.provider.name': 'openai',
      },
      () => {
        chatCtx = span(tracer, 'chat gpt-4o', {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 100,
          'gen_ai.usage.output_tokens': 10,
        });
        toolCtx = span(tracer, 'execute_tool get_weather', {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'get_weather',
          'gen_ai.tool.call.id': 'call_abc',
          'gen_ai.tool.call.arguments': '{"city":"Paris"}',
          'gen_ai.tool.call.result': '{"temp":21}',
        });
      },
    );
    expect(events.map((e) => e.type)).toEqual(['llm.call', 'tool.start', 'tool.end', 'agent.start', 'agent.end']);
    const [llm, toolStart, toolEnd, agentStart, agentEnd] = events as EventInput[] as [EventInput, EventInput, EventInput, EventInput, EventInput];
    // Children: own span id, parent = the agent's span; attributed to the agent, in its conversation.
    for (const child of [llm, toolStart, toolEnd]) {
      expect(child.parentSpanId).toBe(agentCtx.spanId);
      expect(child.agentId).toBe('asst_123');
      expect(child.sessionId).toBe('thread-7');
      expect(child.traceId).toBe(agentCtx.traceId);
    }
    expect(llm.spanId).toBe(chatCtx!.spanId);
    expect(toolStart.spanId).toBe(toolCtx!.spanId);
    expect(toolEnd.spanId).toBe(toolCtx!.spanId);
    expect(toolStart.payload).toEqual({ toolName: 'get_weather', toolCallId: 'call_abc', input: { city: 'Paris' } });
    expect(toolEnd.payload).toMatchObject({ toolName: 'get_weather', toolCallId: 'call_abc', status: 'success', output: { temp: 21 } });
    expect(agentStart.spanId).toBe(agentCtx.spanId);
    expect(agentEnd.spanId).toBe(agentCtx.spanId);
    expect(agentStart.payload).toMatchObject({ name: 'researcher' });
    expect(agentEnd.payload).toMatchObject({ name: 'researcher', status: 'success' });
    expect(agentStart.timestamp! <= toolStart.timestamp!).toBe(true);
    expect(toolEnd.timestamp! >= toolStart.timestamp!).toBe(true);
  });

  it('gives a nested agent its parent agent', () => {
    const { events, tracer } = setup();
    span(tracer, 'invoke_agent planner', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner' }, () => {
      span(tracer, 'invoke_agent coder', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'coder' });
    });
    const coderStart = events.find((e) => e.type === 'agent.start' && (e.payload as { name: string }).name === 'coder')!;
    expect(coderStart.agentId).toBe('coder');
    expect(coderStart.payload).toMatchObject({ parentAgentId: 'planner' });
  });

  it('maps a failed span to status error with the exception message', () => {
    const { events, tracer } = setup();
    span(tracer, 'execute_tool search', { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' }, undefined, new TypeError('index offline'));
    span(tracer, 'chat', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'error.type': '429' }, undefined, undefined);
    const s = setup();
    const bad = s.tracer.startSpan('chat', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' } });
    bad.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    bad.end();
    expect(ofType(events, 'tool.end')[0]!.payload).toMatchObject({ status: 'error', error: 'TypeError: index offline' });
    expect(ofType(events, 'llm.call')[0]!.payload).toMatchObject({ status: 'success' });
    expect(s.events[0]!.payload).toMatchObject({ status: 'error', error: 'rate limited' });
  });

  it('understands OpenInference spans', () => {
    const { events, tracer } = setup();
    span(
      tracer,
      'Agent.run',
      { 'openinference.span.kind': 'AGENT', 'agent.name': 'support-bot', 'session.id': 'sess-oi' },
      () => {
        span(tracer, 'ChatCompletion', {
          'openinference.span.kind': 'LLM',
          'llm.model_name': 'gpt-4o-mini',
          'llm.provider': 'openai',
          'llm.token_count.prompt': 500,
          'llm.token_count.completion': 40,
          'llm.token_count.total': 540,
          'llm.token_count.prompt_details.cache_read': 256,
          'llm.token_count.prompt_details.cache_write': 0,
        });
        span(tracer, 'lookup_order', { 'openinference.span.kind': 'TOOL', 'tool.name': 'lookup_order', 'input.value': '{"id":7}' });
        span(tracer, 'retrieve', { 'openinference.span.kind': 'RETRIEVER' });
      },
    );
    expect(events.map((e) => e.type)).toEqual(['llm.call', 'tool.start', 'tool.end', 'agent.start', 'agent.end']);
    expect(events[0]!.payload).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', inputTokens: 244, cacheReadTokens: 256, outputTokens: 40 });
    expect(events[0]!.sessionId).toBe('sess-oi');
    expect(events[0]!.agentId).toBe('support-bot');
    expect(events[1]!.payload).toMatchObject({ toolName: 'lookup_order', input: { id: 7 } });
    expect(events[3]!.payload).toMatchObject({ name: 'support-bot' });
  });

  it('understands OpenLLMetry (Traceloop) spans', () => {
    const { events, tracer } = setup();
    span(
      tracer,
      'joke_agent.agent',
      { 'traceloop.span.kind': 'agent', 'traceloop.entity.name': 'joke_agent', 'traceloop.workflow.name': 'pirate_jokes' },
      () => {
        span(tracer, 'anthropic.chat', {
          'llm.request.type': 'chat',
          'gen_ai.system': 'Anthropic',
          'gen_ai.request.model': 'claude-3-opus-20240229',
          'gen_ai.response.model': 'claude-3-opus-20240229',
          'gen_ai.usage.prompt_tokens': 1517,
          'gen_ai.usage.completion_tokens': 12,
          'llm.usage.total_tokens': 1529,
          'gen_ai.usage.cache_read_input_tokens': 1500,
        });
        span(tracer, 'history_jokes_tool.tool', { 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'history_jokes_tool' });
        span(tracer, 'pirate.task', { 'traceloop.span.kind': 'task', 'traceloop.entity.name': 'pirate' });
      },
    );
    expect(events.map((e) => e.type)).toEqual(['llm.call', 'tool.start', 'tool.end', 'agent.start', 'agent.end']);
    expect(events[0]!.payload).toMatchObject({ provider: 'Anthropic', model: 'claude-3-opus-20240229', inputTokens: 17, cacheReadTokens: 1500, outputTokens: 12 });
    expect(events[0]!.agentId).toBe('joke_agent');
    expect(events[2]!.payload).toMatchObject({ toolName: 'history_jokes_tool', status: 'success' });
    expect(events[3]!.attributes).toMatchObject({ 'traceloop.workflow.name': 'pirate_jokes' });
  });

  it('ignores non-GenAI spans by default, or maps them as namespaced events', () => {
    const ignoring = setup();
    span(ignoring.tracer, 'GET /users', { 'http.request.method': 'GET' });
    expect(ignoring.events).toEqual([]);
    expect(ignoring.processor.stats().ignored).toBe(1);

    const mapping = setup({ otherSpans: 'event' });
    const ctx = span(mapping.tracer, 'GET /users', { 'http.request.method': 'GET', 'http.response.status_code': 200 });
    expect(mapping.events).toHaveLength(1);
    expect(mapping.events[0]).toMatchObject({
      type: 'otel.span',
      spanId: ctx.spanId,
      payload: { name: 'GET /users', kind: 'internal', status: 'success', attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 } },
    });
  });

  it('sits next to the host\'s own processors: both see every span', async () => {
    const exporter = new InMemorySpanExporter();
    const events: EventInput[] = [];
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter), fleetscopeSpanProcessor({ emit: (e) => void events.push(e) })],
    });
    providers.push(provider);
    const tracer = provider.getTracer('app');
    span(tracer, 'chat', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 3 });
    span(tracer, 'GET /', {});
    await provider.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['chat', 'GET /']);
    expect(events.map((e) => e.type)).toEqual(['llm.call']);
  });

  it("skips fleetscope's own spans", () => {
    const { events, processor } = setup();
    const provider = providers[0]!;
    const own = provider.getTracer('fleetscope-otlp');
    span(own, 'chat', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' });
    expect(events).toEqual([]);
    expect(processor.stats().ownSpans).toBe(1);
  });

  it('feeds an observer: events pass validation and keep their ids', async () => {
    const observer = createObserver({ sessionId: 'host-session' });
    const provider = new BasicTracerProvider({ spanProcessors: [fleetscopeSpanProcessor(observer)] });
    providers.push(provider);
    const tracer = provider.getTracer('app');
    const ctx = span(tracer, 'chat', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-haiku-4-5',
      'gen_ai.usage.input_tokens': 30,
      'gen_ai.usage.output_tokens': 5,
    });
    span(tracer, 'invoke_agent a', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'a' }, () => {
      span(tracer, 'execute_tool t', { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 't', 'gen_ai.tool.call.arguments': 'not json {' });
    });
    span(tracer, 'GET /', { 'http.request.method': 'GET' });
    await provider.forceFlush();
    const all = await observer.query({ types: ['tool.start', 'tool.end', 'agent.start', 'agent.end'] });
    expect(all.events.map((e) => e.type)).toEqual(['tool.start', 'tool.end', 'agent.start', 'agent.end']);
    expect(all.events[0]!.payload).toMatchObject({ toolName: 't', input: 'not json {' });
    const { events } = await observer.query({ types: ['llm.call'] });
    expect(events).toHaveLength(1);
    const e = events[0] as FleetEvent & { type: 'llm.call' };
    expect(e.source).toBe('otel');
    expect(e.sessionId).toBe('host-session');
    expect(e.traceId).toBe(ctx.traceId);
    expect(e.spanId).toBe(ctx.spanId);
    expect(e.payload).toMatchObject({ model: 'claude-haiku-4-5', inputTokens: 30, outputTokens: 5 });
    expect(observer.stats().events.invalid).toBe(0);
    await observer.close();
  });

  it('imports nothing from OpenTelemetry at run time (optional peer dependencies)', () => {
    for (const file of ['otel-bridge.ts', 'otel-bridge-attributes.ts', 'otel-bridge-readers.ts']) {
      const source = readFileSync(fileURLToPath(new URL(`../../src/runners/${file}`, import.meta.url)), 'utf8');
      const runtimeImports = source.split('\n').filter((line) => /^import\s+(?!type\b)/.test(line) && line.includes('@opentelemetry'));
      expect(runtimeImports).toEqual([]);
    }
  });

  it('rejects bad options at construction with a prefixed message', () => {
    expect(() => fleetscopeSpanProcessor({} as never)).toThrow(/\[fleetscope\] \[otel-bridge\].*emit/);
    expect(() => fleetscopeSpanProcessor({ emit() {} }, { otherSpans: 'all' as never })).toThrow(/otherSpans/);
    expect(() => fleetscopeSpanProcessor({ emit() {} }, { otherSpanType: 'span' as never })).toThrow(/otherSpanType/);
    expect(() => fleetscopeSpanProcessor({ emit() {} }, { maxOpenSpans: 0 })).toThrow(/maxOpenSpans/);
  });

  it('never throws into the SDK when the target throws', () => {
    const processor = fleetscopeSpanProcessor({
      emit: () => {
        throw new Error('sink down');
      },
    });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    providers.push(provider);
    expect(() => span(provider.getTracer('x'), 'chat', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' })).not.toThrow();
    expect(processor.stats()).toMatchObject({ errors: 1, lastError: 'sink down' });
  });
});
