/**
 * The LLM wrappers with hostile clients (issue 14, "also untested"): a response whose getters
 * throw, and a stream that errors halfway. The host gets exactly what its client gave (the
 * response, or the client's own error); the wrapper never throws its own, and still records
 * the call through the observer.
 */
import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { wrapAnthropic, wrapOpenAI } from '../../src/runners/llm-wrappers.js';
import { FakeStream, apiPromise } from './llm-fakes.js';

const hostileResponse = () =>
  Object.defineProperties({ id: 'msg_1', model: 'claude-x' } as Record<string, unknown>, {
    usage: { enumerable: true, get() { throw new Error('usage getter'); } },
    stop_reason: { enumerable: true, get() { throw new Error('stop getter'); } },
  });

describe('LLM wrappers with hostile clients', () => {
  it('a response whose getters throw: returned to the host as is, the call still recorded', async () => {
    const observer = createObserver({ analyzers: [], onError: () => {} });
    const response = hostileResponse();
    const client = wrapAnthropic({ messages: { create: (_body: unknown) => apiPromise(() => response) } }, observer);
    await expect(client.messages.create({ model: 'claude-x', max_tokens: 1, messages: [] })).resolves.toBe(response);
    await observer.flush();
    const calls = (await observer.query({ types: ['llm.call'] })).events;
    expect(calls).toHaveLength(1);
    expect(calls[0]!.payload).toMatchObject({ provider: 'anthropic', status: 'success' });
    await observer.close();
  });

  it('a stream that errors halfway: the host sees the client\'s error, the call is recorded as an error', async () => {
    const observer = createObserver({ analyzers: [], onError: () => {} });
    const failure = new Error('connection reset');
    const chunks = [{ id: 'c1', model: 'gpt-x', choices: [{ index: 0, delta: { content: 'he' } }] }];
    const client = wrapOpenAI({ chat: { completions: { create: (_body: unknown) => apiPromise(() => new FakeStream(chunks, { index: 1, error: failure })) } } }, observer);
    const stream = (await client.chat.completions.create({ model: 'gpt-x', messages: [], stream: true })) as AsyncIterable<unknown>;
    const seen: unknown[] = [];
    await expect((async () => {
      for await (const chunk of stream) seen.push(chunk);
    })()).rejects.toBe(failure);
    expect(seen).toHaveLength(1);
    await observer.flush();
    const calls = (await observer.query({ types: ['llm.call'] })).events;
    expect(calls).toHaveLength(1);
    expect(calls[0]!.payload).toMatchObject({ status: 'error' });
    await observer.close();
  });
});
