/**
 * Fake Anthropic / OpenAI clients shaped like the real SDKs (v5/v6 of each): `APIPromise` with
 * `withResponse()`, `Stream` with a private field, `controller`, `tee()` and
 * `toReadableStream()`, responses and stream events copied from the APIs' documented shapes.
 */
import { EventEmitter } from 'node:events';

export class FakeAPIPromise<T> extends Promise<T> {
  static override get [Symbol.species]() {
    return Promise;
  }
  withResponse(): Promise<{ data: T; response: { status: number }; request_id: string }> {
    return this.then((data) => ({ data, response: { status: 200 }, request_id: 'req_fake' }));
  }
  asResponse(): Promise<{ status: number }> {
    return this.then(() => ({ status: 200 }));
  }
}

export function apiPromise<T>(produce: () => T | Promise<T>): FakeAPIPromise<T> {
  return new FakeAPIPromise<T>((resolve, reject) => {
    Promise.resolve().then(produce).then(resolve, reject);
  });
}

/** Like the SDKs' Stream: iterable once, a private field, `controller`, `tee`, `toReadableStream`. */
export class FakeStream<Item> implements AsyncIterable<Item> {
  controller = new AbortController();
  returned = false;
  #client = { name: 'private' };
  constructor(private readonly items: Item[], private readonly failAfter?: { index: number; error: Error }) {}

  private iterator(): AsyncIterator<Item> {
    let i = 0;
    const self = this;
    return {
      async next() {
        if (self.failAfter && i === self.failAfter.index) throw self.failAfter.error;
        if (i >= self.items.length) return { done: true, value: undefined };
        return { done: false, value: self.items[i++]! };
      },
      async return() {
        self.returned = true;
        return { done: true, value: undefined };
      },
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<Item> {
    return this.iterator();
  }

  tee(): [FakeStream<Item>, FakeStream<Item>] {
    if (this.#client.name !== 'private') throw new Error('private field lost');
    return [new FakeStream(this.items), new FakeStream(this.items)];
  }

  toReadableStream(): ReadableStream<Uint8Array> {
    const self = this;
    let iter: AsyncIterator<Item>;
    return new ReadableStream({
      start() {
        iter = self[Symbol.asyncIterator]();
      },
      async pull(ctrl) {
        const { value, done } = await iter.next();
        if (done) return ctrl.close();
        ctrl.enqueue(new TextEncoder().encode(JSON.stringify(value) + '\n'));
      },
    });
  }
}

export class FakeAPIError extends Error {
  override name = 'RateLimitError';
  constructor(readonly status: number, message: string, readonly requestID = 'req_err_1') {
    super(message);
  }
}

// ── Anthropic ─────────────────────────────────────────────────────────────────────────

export const anthropicMessage = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [{ type: 'text', text: 'Hello!' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, cache_creation_input_tokens: 300, cache_read_input_tokens: 2000, output_tokens: 6 },
};

/** The event sequence of a streamed Messages response (SSE `data:` payloads). */
export const anthropicStreamEvents = [
  {
    type: 'message_start',
    message: {
      id: 'msg_stream_1',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-sonnet-4-5-20250929',
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 25, cache_creation_input_tokens: 50, cache_read_input_tokens: 1000, output_tokens: 1 },
    },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '!' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 15 } },
  { type: 'message_stop' },
];

export function fakeAnthropic(behaviour: { fail?: Error; throwSync?: Error; streamFailAfter?: { index: number; error: Error } } = {}) {
  const messageStreams: EventEmitter[] = [];
  const messages = {
    calls: 0,
    create(params: { stream?: boolean; [key: string]: unknown }) {
      this.calls++;
      if (behaviour.throwSync) throw behaviour.throwSync;
      return apiPromise(() => {
        if (behaviour.fail) throw behaviour.fail;
        if (params.stream) return new FakeStream(anthropicStreamEvents, behaviour.streamFailAfter);
        return Object.assign(structuredClone(anthropicMessage), { _request_id: 'req_011' });
      });
    },
    stream(_params: unknown) {
      const emitter = new EventEmitter();
      messageStreams.push(emitter);
      return emitter;
    },
  };
  return { messages, messageStreams, apiKey: 'sk-test', models: { list: () => ['m'] } };
}

// ── OpenAI ────────────────────────────────────────────────────────────────────────────

export const openAiCompletion = {
  id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
  object: 'chat.completion',
  created: 1741569952,
  model: 'gpt-4.1-2025-04-14',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, logprobs: null, finish_reason: 'stop' }],
  usage: {
    prompt_tokens: 1500,
    completion_tokens: 20,
    total_tokens: 1520,
    prompt_tokens_details: { cached_tokens: 1280, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  },
};

const chunk = (extra: Record<string, unknown>) => ({
  id: 'chatcmpl-stream-1',
  object: 'chat.completion.chunk',
  created: 1694268190,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_44709d6fcb',
  ...extra,
});

/** A streamed Chat Completion with `stream_options: { include_usage: true }`. */
export const openAiChunks = [
  chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], usage: null }),
  chunk({ choices: [{ index: 0, delta: { content: 'Hello' }, logprobs: null, finish_reason: null }], usage: null }),
  chunk({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null }),
  chunk({
    choices: [],
    usage: { prompt_tokens: 1200, completion_tokens: 40, total_tokens: 1240, prompt_tokens_details: { cached_tokens: 1024 } },
  }),
];

export const openAiResponse = {
  id: 'resp_67ccd2bed1ec8190b14f964abc054267',
  object: 'response',
  created_at: 1741476542,
  status: 'completed',
  model: 'gpt-4.1-2025-04-14',
  output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] }],
  usage: { input_tokens: 328, input_tokens_details: { cached_tokens: 128 }, output_tokens: 52, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 380 },
};

export const openAiResponseEvents = [
  { type: 'response.created', sequence_number: 0, response: { ...openAiResponse, status: 'in_progress', output: [], usage: null } },
  { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi' },
  { type: 'response.completed', sequence_number: 2, response: openAiResponse },
];

export function fakeOpenAI(behaviour: { fail?: Error } = {}) {
  return {
    chat: {
      completions: {
        create(params: { stream?: boolean; [key: string]: unknown }) {
          return apiPromise(() => {
            if (behaviour.fail) throw behaviour.fail;
            return params.stream ? new FakeStream(openAiChunks) : structuredClone(openAiCompletion);
          });
        },
      },
    },
    responses: {
      create(params: { stream?: boolean; [key: string]: unknown }) {
        return apiPromise(() => (params.stream ? new FakeStream(openAiResponseEvents) : structuredClone(openAiResponse)));
      },
    },
    embeddings: {
      create: (_params: { model: string; input: string }) =>
        apiPromise(() => ({
          object: 'list',
          data: [{ object: 'embedding', index: 0, embedding: [0.0023, -0.0093] }],
          model: 'text-embedding-3-small',
          usage: { prompt_tokens: 8, total_tokens: 8 },
        })),
    },
    models: { list: () => apiPromise(() => ({ data: [{ id: 'gpt-4.1' }] })) },
  };
}
