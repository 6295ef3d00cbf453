/**
 * Hostile spans never throw into the SDK or the host: each problem is counted by reason in the
 * bridge's `stats().invalid`, and what can be read is still read. Also the `classify(span)`
 * escape hatch.
 */
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import type { EventInput } from '../../src/core/index.js';
import { fleetscopeSpanProcessor, type ReadableSpanLike } from '../../src/runners/otel-bridge.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
let n = 0;
function fake(attributes: Record<string, unknown>, over: Partial<Record<keyof ReadableSpanLike, unknown>> = {}): ReadableSpanLike {
  const spanId = (++n).toString(16).padStart(16, '0');
  return {
    name: 'span',
    kind: 0,
    spanContext: () => ({ traceId: TRACE, spanId }),
    startTime: [1_700_000_000, 0],
    endTime: [1_700_000_001, 500_000],
    status: { code: 0 },
    attributes,
    ...over,
  } as ReadableSpanLike;
}

function bridge(options: Parameters<typeof fleetscopeSpanProcessor>[1] = {}) {
  const events: EventInput[] = [];
  const processor = fleetscopeSpanProcessor({ emit: (e) => void events.push(e) }, options);
  const end = (span: ReadableSpanLike) => {
    processor.onStart(span, undefined);
    processor.onEnd(span);
  };
  return { events, processor, end };
}

describe('fleetscopeSpanProcessor with bad input', () => {
  it('counts wrong-typed, oversized, negative, unknown and missing parts by reason, and never throws', () => {
    const { events, processor, end } = bridge({ otherSpans: 'event' });
    const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' };
    // Wrong-typed token counts: left out, counted.
    end(fake({ ...chat, 'gen_ai.usage.input_tokens': 'lots', 'gen_ai.usage.output_tokens': -3 }));
    // A 10 MB tool result: cut to maxContentLength, never parsed.
    const huge = `[${'1,'.repeat(5_000_000)}1]`;
    end(fake({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'dump', 'gen_ai.tool.call.result': huge }));
    // End before start.
    end(fake(chat, { startTime: [1_700_000_005, 0], endTime: [1_700_000_001, 0] }));
    // Unknown span kind on a non-GenAI span.
    end(fake({ 'http.request.method': 'GET' }, { kind: 42 }));
    // Bad times, no span context, a throwing spanContext, no attributes at all.
    end(fake(chat, { startTime: 'yesterday' }));
    end(fake(chat, { endTime: [Number.NaN, 0] }));
    processor.onEnd({ ...fake(chat), spanContext: () => undefined } as unknown as ReadableSpanLike);
    processor.onEnd({ ...fake(chat), spanContext: () => { throw new Error('boom'); } } as unknown as ReadableSpanLike);
    end(fake(undefined as never));
    // A 10 MB OpenInference metadata value on a chain: not parsed.
    end(fake({ 'openinference.span.kind': 'CHAIN', metadata: `{"ls_integration":"langgraph","x":"${'y'.repeat(10_000_000)}"}` }));
    processor.onStart(null as never, undefined);
    processor.onEnd(null as never);

    const s = processor.stats();
    expect(s.invalid).toMatchObject({
      'wrong-type': 2,
      oversized: 2,
      'negative-duration': 1,
      'unknown-span-kind': 1,
      'bad-time': 2,
      'missing-span-context': 1,
    });
    expect(s.errors).toBe(3); // the throwing spanContext, and the null span at its start and its end
    const calls = events.filter((e) => e.type === 'llm.call');
    expect(calls[0]!.payload).toMatchObject({ model: 'gpt-4o', inputTokens: undefined, outputTokens: undefined });
    expect(calls[1]!.payload).toMatchObject({ latencyMs: 0 });
    const dump = events.find((e) => e.type === 'tool.end')!.payload as { output: string };
    expect(dump.output.length).toBe(32_768 + 1);
    expect(events.find((e) => e.type === 'otel.span' && (e.payload as { kind: string }).kind === 'internal')).toBeDefined();
  });

  it('passes what it emits through an observer: every event valid or counted there, nothing thrown', async () => {
    const observer = createObserver({ storage: false });
    const processor = fleetscopeSpanProcessor(observer);
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('t');
    const span = tracer.startSpan('chat', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm'.repeat(5000), 'gen_ai.usage.input_tokens': 5 } });
    span.end();
    const tool = tracer.startSpan('tool', { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'x', 'gen_ai.tool.call.arguments': 'z'.repeat(10_000_000) } });
    tool.end();
    await observer.flush();
    expect(processor.stats().errors).toBe(0);
    expect(processor.stats().invalid.oversized).toBe(1);
    const stats = observer.stats();
    expect(stats.events.accepted + stats.events.invalid).toBe(3);
    await provider.shutdown();
    await observer.close();
  });

  it('classify(span) declares agents, tools and model calls for any framework, and a throwing classify is counted', () => {
    const { events, processor, end } = bridge({
      classify: (span) => {
        if (span.name === 'crew.kickoff') return { kind: 'agent', name: 'crew' };
        if (span.name.startsWith('crew.tool.')) return { kind: 'tool', name: span.name.slice(10) };
        if (span.name === 'crew.llm') return 'llm';
        if (span.name === 'explode') throw new Error('classifier bug');
        return undefined;
      },
    });
    const parentId = '00000000000000ff';
    const root = fake({}, { name: 'crew.kickoff', spanContext: () => ({ traceId: TRACE, spanId: parentId }) });
    processor.onStart(root, undefined);
    const child = (name: string, attributes: Record<string, unknown> = {}) => end(fake(attributes, { name, parentSpanContext: { traceId: TRACE, spanId: parentId } }));
    child('crew.tool.search');
    child('crew.llm', { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 2 });
    child('explode', { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'fallback' });
    processor.onEnd(root);
    expect(events.map((e) => [e.type, e.agentId])).toEqual([
      ['tool.start', 'crew'],
      ['tool.end', 'crew'],
      ['llm.call', 'crew'],
      ['tool.start', 'crew'],
      ['tool.end', 'crew'],
      ['agent.start', 'crew'],
      ['agent.end', 'crew'],
    ]);
    expect(events[1]!.payload).toMatchObject({ toolName: 'search' });
    expect(events[4]!.payload).toMatchObject({ toolName: 'fallback' });
    expect(processor.stats().invalid['classify-error']).toBe(2); // at the start and the end of `explode`
    expect(() => fleetscopeSpanProcessor({ emit() {} }, { classify: 'agent' as never })).toThrow(/classify must be a function/);
  });
});
