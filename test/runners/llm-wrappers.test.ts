import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import type { EventInput, FleetEvent } from '../../src/core/index.js';
import { wrapAnthropic, wrapOpenAI } from '../../src/runners/llm-wrappers.js';
import {
  anthropicMessage,
  anthropicStreamEvents,
  FakeAPIError,
  FakeStream,
  fakeAnthropic,
  fakeOpenAI,
  openAiChunks,
  openAiResponseEvents,
} from './llm-fakes.js';

function sink() {
  const events: EventInput[] = [];
  return { events, emit: (e: EventInput) => void events.push(e) };
}
const payloads = (events: EventInput[]) => events.map((e) => e.payload as Record<string, unknown>);

describe('wrapAnthropic', () => {
  it('records a messages.create call: model, tokens with cache, ids, finish reason', async () => {
    const s = sink();
    const client = wrapAnthropic(fakeAnthropic(), s);
    const message = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [] });
    expect(message).toMatchObject(anthropicMessage);
    expect(s.events).toHaveLength(1);
    expect(s.events[0]!.type).toBe('llm.call');
    expect(s.events[0]!.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(payloads(s.events)[0]).toMatchObject({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5-20250929',
      operation: 'chat',
      inputTokens: 12,
      cacheWriteTokens: 300,
      cacheReadTokens: 2000,
      outputTokens: 6,
      status: 'success',
      responseId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      requestId: 'req_011',
      finishReason: 'end_turn',
    });
    expect(payloads(s.events)[0]!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps the APIPromise methods: withResponse() resolves with the same data', async () => {
    const s = sink();
    const client = wrapAnthropic(fakeAnthropic(), s);
    const { data, response, request_id } = await (client.messages.create({ model: 'm', messages: [] }) as never as {
      withResponse(): Promise<{ data: unknown; response: { status: number }; request_id: string }>;
    }).withResponse();
    expect(response.status).toBe(200);
    expect(request_id).toBe('req_fake');
    expect(data).toMatchObject({ id: anthropicMessage.id });
    expect(s.events).toHaveLength(1);
  });

  it('rethrows API errors unchanged and records them', async () => {
    const s = sink();
    const error = new FakeAPIError(429, 'rate_limit_error: Number of requests has exceeded your rate limit');
    const client = wrapAnthropic(fakeAnthropic({ fail: error }), s);
    await expect(client.messages.create({ model: 'claude-haiku-4-5', messages: [] })).rejects.toBe(error);
    expect(payloads(s.events)[0]).toMatchObject({
      model: 'claude-haiku-4-5',
      status: 'error',
      error: 'RateLimitError: 429 rate_limit_error: Number of requests has exceeded your rate limit',
      requestId: 'req_err_1',
    });
    expect(s.events[0]!.attributes).toEqual({ 'http.response.status_code': 429 });
  });

  // Found by QA with the real SDK against a fake Anthropic answering 529: the refused request was
  // counted as a call of unknown cost, with a finding blaming streams without usage.
  it('prices a request the API refused (HTTP status) at $0, not as unknown cost; a timeout stays unknown', async () => {
    const observer = createObserver({ storage: false });
    await expect(wrapAnthropic(fakeAnthropic({ fail: new FakeAPIError(529, 'overloaded_error: Overloaded') }), observer).messages.create({ model: 'claude-sonnet-4-5', messages: [] })).rejects.toThrow();
    const timeout = Object.assign(new Error('Request timed out.'), { name: 'APIConnectionTimeoutError' });
    await expect(wrapAnthropic(fakeAnthropic({ fail: timeout }), observer).messages.create({ model: 'claude-sonnet-4-5', messages: [] })).rejects.toBe(timeout);
    await observer.flush();
    const cost = observer.snapshot().cost as { calls: number; pricedCalls: number; noUsageCalls: number; totalUsd: number; findings: { kind: string }[] };
    expect(cost).toMatchObject({ calls: 2, pricedCalls: 1, noUsageCalls: 1, totalUsd: 0 });
    await observer.close();
  });

  it('rethrows a synchronous throw unchanged', () => {
    const s = sink();
    const error = new TypeError('missing model');
    const client = wrapAnthropic(fakeAnthropic({ throwSync: error }), s);
    expect(() => client.messages.create({ messages: [] } as never)).toThrow(error);
    expect(payloads(s.events)[0]).toMatchObject({ status: 'error', error: 'TypeError: missing model', model: 'unknown' });
  });

  it('counts tokens of a stream when it finishes; the host sees the same chunks and methods', async () => {
    const s = sink();
    const client = wrapAnthropic(fakeAnthropic(), s);
    const stream = (await client.messages.create({ model: 'claude-sonnet-4-5', stream: true, messages: [] })) as unknown as FakeStream<unknown>;
    expect(stream.controller).toBeInstanceOf(AbortController);
    const seen: unknown[] = [];
    for await (const event of stream) {
      seen.push(event);
      // Nothing is recorded before the stream ends.
      if (seen.length < anthropicStreamEvents.length) expect(s.events).toHaveLength(0);
    }
    expect(seen).toEqual(anthropicStreamEvents);
    expect(seen[0]).toBe(anthropicStreamEvents[0]);
    expect(s.events).toHaveLength(1);
    // Input 25 (cache excluded, Anthropic's convention), cache 1000 read + 50 written, output 15 from message_delta.
    expect(payloads(s.events)[0]).toMatchObject({
      model: 'claude-sonnet-4-5-20250929',
      inputTokens: 25,
      cacheReadTokens: 1000,
      cacheWriteTokens: 50,
      outputTokens: 15,
      responseId: 'msg_stream_1',
      finishReason: 'end_turn',
      stream: true,
      status: 'success',
    });
  });

  it('records a stream that fails mid-way as an error, rethrowing the same error', async () => {
    const s = sink();
    const error = new FakeAPIError(529, 'overloaded_error: Overloaded');
    const client = wrapAnthropic(fakeAnthropic({ streamFailAfter: { index: 2, error } }), s);
    const stream = (await client.messages.create({ model: 'm', stream: true, messages: [] })) as unknown as AsyncIterable<unknown>;
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const event of stream) seen.push(event);
      })(),
    ).rejects.toBe(error);
    expect(seen).toHaveLength(2);
    // message_start arrived: its input usage is kept; output 1 so far.
    expect(payloads(s.events)[0]).toMatchObject({ status: 'error', error: 'RateLimitError: 529 overloaded_error: Overloaded', inputTokens: 25, outputTokens: 1 });
  });

  it('records a stream the host abandons (break) as cancelled and closes the underlying iterator', async () => {
    const s = sink();
    const inner = fakeAnthropic();
    const client = wrapAnthropic(inner, s);
    const stream = (await client.messages.create({ model: 'm', stream: true, messages: [] })) as unknown as FakeStream<unknown>;
    for await (const _event of stream) break;
    expect(stream.returned).toBe(true);
    expect(s.events).toHaveLength(1);
    expect(s.events[0]!.attributes).toEqual({ 'stream.cancelled': true });
    expect(payloads(s.events)[0]).toMatchObject({ status: 'success', inputTokens: 25, outputTokens: 1 });
  });

  it('records a stream aborted through its controller as cancelled', async () => {
    const s = sink();
    const client = wrapAnthropic(fakeAnthropic(), s);
    const stream = (await client.messages.create({ model: 'm', stream: true, messages: [] })) as unknown as FakeStream<unknown>;
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    stream.controller.abort();
    // The SDKs end the iteration quietly after an abort; the fake simply runs to its end.
    while (!(await iterator.next()).done) {
      // drain
    }
    expect(s.events[0]!.attributes).toEqual({ 'stream.cancelled': true });
  });

  it('counts through toReadableStream() and through tee() (once for both halves)', async () => {
    const s = sink();
    const client = wrapAnthropic(fakeAnthropic(), s);
    const stream = (await client.messages.create({ model: 'm', stream: true, messages: [] })) as unknown as FakeStream<unknown>;
    const text = await new Response(stream.toReadableStream()).text();
    expect(text.trim().split('\n').map((l) => JSON.parse(l))).toEqual(anthropicStreamEvents);
    expect(payloads(s.events)[0]).toMatchObject({ outputTokens: 15 });

    const s2 = sink();
    const client2 = wrapAnthropic(fakeAnthropic(), s2);
    const stream2 = (await client2.messages.create({ model: 'm', stream: true, messages: [] })) as unknown as FakeStream<unknown>;
    const [left, right] = stream2.tee();
    const a: unknown[] = [];
    const b: unknown[] = [];
    for await (const e of left) a.push(e);
    for await (const e of right) b.push(e);
    expect(a).toEqual(anthropicStreamEvents);
    expect(b).toEqual(anthropicStreamEvents);
    expect(s2.events).toHaveLength(1);
    expect(payloads(s2.events)[0]).toMatchObject({ inputTokens: 25, outputTokens: 15 });
  });

  it('records messages.stream() from its finalMessage event and returns the same stream object', () => {
    const s = sink();
    const inner = fakeAnthropic();
    const client = wrapAnthropic(inner, s);
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5', messages: [] });
    expect(stream).toBe(inner.messageStreams[0]);
    inner.messageStreams[0]!.emit('finalMessage', anthropicMessage);
    expect(payloads(s.events)[0]).toMatchObject({ model: 'claude-sonnet-4-5-20250929', inputTokens: 12, cacheReadTokens: 2000, outputTokens: 6, stream: true });
  });

  it('leaves everything else on the client untouched', () => {
    const inner = fakeAnthropic();
    const client = wrapAnthropic(inner, sink());
    expect(client.apiKey).toBe('sk-test');
    expect(client.models.list()).toEqual(['m']);
    expect(client.messages.create).toBe(client.messages.create);
  });

  it('emits inside the observer scope the call was made in', async () => {
    const observer = createObserver({ sessionId: 's-1' });
    const client = wrapAnthropic(fakeAnthropic(), observer);
    let agentSpan: string | undefined;
    observer.on('agent.start', (e) => void (agentSpan = e.spanId));
    await observer.agent('researcher', async () => {
      const stream = (await client.messages.create({ model: 'm', stream: true, messages: [] })) as unknown as AsyncIterable<unknown>;
      for await (const _ of stream) {
        // drain
      }
    });
    const { events } = await observer.query({ types: ['llm.call'] });
    const e = events[0] as FleetEvent;
    expect(e.agentId).toBe('researcher');
    expect(e.sessionId).toBe('s-1');
    expect(e.parentSpanId).toBe(agentSpan);
    expect(observer.stats().events.invalid).toBe(0);
    await observer.close();
  });
});

describe('wrapOpenAI', () => {
  it('records chat.completions.create with cached prompt tokens split out', async () => {
    const s = sink();
    const client = wrapOpenAI(fakeOpenAI(), s);
    const completion = await client.chat.completions.create({ model: 'gpt-4.1', messages: [] });
    expect((completion as { id: string }).id).toBe('chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT');
    // prompt_tokens 1500 includes 1280 cached: 220 uncached input.
    expect(payloads(s.events)[0]).toMatchObject({
      provider: 'openai',
      model: 'gpt-4.1-2025-04-14',
      inputTokens: 220,
      cacheReadTokens: 1280,
      outputTokens: 20,
      finishReason: 'stop',
      status: 'success',
    });
  });

  it('counts a streamed chat completion from its usage chunk (include_usage)', async () => {
    const s = sink();
    const client = wrapOpenAI(fakeOpenAI(), s);
    const stream = (await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [],
    })) as unknown as AsyncIterable<unknown>;
    const seen: unknown[] = [];
    for await (const c of stream) seen.push(c);
    expect(seen).toEqual(openAiChunks);
    // 1200 prompt tokens include 1024 cached: 176 uncached.
    expect(payloads(s.events)[0]).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      inputTokens: 176,
      cacheReadTokens: 1024,
      outputTokens: 40,
      finishReason: 'stop',
      responseId: 'chatcmpl-stream-1',
      stream: true,
    });
  });

  it('records responses.create, plain and streamed', async () => {
    const s = sink();
    const client = wrapOpenAI(fakeOpenAI(), s);
    await client.responses.create({ model: 'gpt-4.1', input: 'hi' });
    const stream = (await client.responses.create({ model: 'gpt-4.1', input: 'hi', stream: true })) as unknown as AsyncIterable<unknown>;
    const seen: unknown[] = [];
    for await (const e of stream) seen.push(e);
    expect(seen).toEqual(openAiResponseEvents);
    // 328 input tokens include 128 cached: 200 uncached.
    const expected = { model: 'gpt-4.1-2025-04-14', inputTokens: 200, cacheReadTokens: 128, outputTokens: 52, finishReason: 'completed', responseId: 'resp_67ccd2bed1ec8190b14f964abc054267' };
    expect(payloads(s.events)).toMatchObject([expected, { ...expected, stream: true }]);
  });

  it('rethrows errors unchanged and does not touch other resources', async () => {
    const s = sink();
    const error = new FakeAPIError(401, 'Incorrect API key provided');
    const client = wrapOpenAI(fakeOpenAI({ fail: error }), s);
    await expect(client.chat.completions.create({ model: 'gpt-4.1', messages: [] })).rejects.toBe(error);
    await client.models.list();
    expect(s.events).toHaveLength(1);
    expect(payloads(s.events)[0]).toMatchObject({ status: 'error', model: 'gpt-4.1' });
  });

  it('records embeddings.create with operation embeddings', async () => {
    const s = sink();
    const client = wrapOpenAI(fakeOpenAI(), s);
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect(payloads(s.events)[0]).toMatchObject({ operation: 'embeddings', model: 'text-embedding-3-small', inputTokens: 8, status: 'success' });
  });

  it('rejects a target without emit()', () => {
    expect(() => wrapOpenAI(fakeOpenAI(), {} as never)).toThrow(/\[fleetscope\] \[wrapOpenAI\]/);
  });
});
