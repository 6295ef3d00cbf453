/**
 * Streaming support of the LLM client wrappers: wraps an SDK stream (an async iterable with
 * extra methods such as `controller`, `tee()`, `toReadableStream()`) so the host sees exactly
 * the same chunks and methods, while usage is accumulated from the chunks and reported once
 * when the stream ends, fails or is abandoned by the host.
 */
import { readUsage, type TokenUsage } from '../core/index.js';

/** What a stream reported by the time it ended. */
export interface StreamOutcome {
  usage?: TokenUsage;
  model?: string;
  responseId?: string;
  finishReason?: string;
  /** The stream threw (network error, API error event). */
  error?: unknown;
  /** The host stopped reading early (`break`, `return()`). */
  cancelled?: boolean;
}

/** Reads one chunk; keeps what it needs in its own state. */
export interface ChunkAccumulator {
  add(chunk: unknown): void;
  result(): Omit<StreamOutcome, 'error' | 'cancelled'>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Anthropic Messages stream events: `message_start.message` carries the model, id and the
 * input/cache usage; `message_delta.usage` carries the cumulative output tokens (and, on newer
 * API versions, cumulative input and cache counts) and `delta.stop_reason`.
 */
export function anthropicAccumulator(): ChunkAccumulator {
  let usage: Record<string, unknown> = {};
  let model: string | undefined;
  let responseId: string | undefined;
  let finishReason: string | undefined;
  return {
    add(chunk) {
      if (!isObject(chunk)) return;
      if (chunk.type === 'message_start' && isObject(chunk.message)) {
        const message = chunk.message;
        model = str(message.model) ?? model;
        responseId = str(message.id) ?? responseId;
        if (isObject(message.usage)) usage = { ...usage, ...message.usage };
      } else if (chunk.type === 'message_delta') {
        if (isObject(chunk.usage)) {
          for (const [key, value] of Object.entries(chunk.usage)) if (value !== null && value !== undefined) usage[key] = value;
        }
        if (isObject(chunk.delta)) finishReason = str(chunk.delta.stop_reason) ?? finishReason;
      }
    },
    result: () => ({ usage: readUsage(usage), model, responseId, finishReason }),
  };
}

/**
 * OpenAI streams: Chat Completions chunks (`model`, `id`, `choices[].finish_reason`, and
 * `usage` on the last chunk when `stream_options.include_usage` is set) and Responses API
 * events (`response.completed` / `response.incomplete` / `response.failed` carry the final
 * `response` with its `usage`).
 */
export function openAiAccumulator(): ChunkAccumulator {
  let usage: TokenUsage | undefined;
  let model: string | undefined;
  let responseId: string | undefined;
  let finishReason: string | undefined;
  return {
    add(chunk) {
      if (!isObject(chunk)) return;
      if (typeof chunk.type === 'string' && chunk.type.startsWith('response.') && isObject(chunk.response)) {
        const response = chunk.response;
        model = str(response.model) ?? model;
        responseId = str(response.id) ?? responseId;
        usage = readUsage(response.usage) ?? usage;
        if (chunk.type !== 'response.created' && chunk.type !== 'response.in_progress') finishReason = str(response.status) ?? finishReason;
        return;
      }
      model = str(chunk.model) ?? model;
      responseId = str(chunk.id) ?? responseId;
      if (Array.isArray(chunk.choices)) {
        for (const choice of chunk.choices) if (isObject(choice)) finishReason = str(choice.finish_reason) ?? finishReason;
      }
      if (isObject(chunk.usage)) usage = readUsage(chunk.usage) ?? usage;
    },
    result: () => ({ usage, model, responseId, finishReason }),
  };
}

/**
 * Returns a Proxy of `stream` whose async iterator reports chunks to `accumulator` and calls
 * `done` exactly once. Every other property and method is the original one (bound to the
 * original object, so private fields keep working); `toReadableStream()` reads through the
 * counting iterator; `tee()` returns two counted halves that share one count.
 */
export function observeStream<S extends object>(stream: S, accumulator: ChunkAccumulator, done: (outcome: StreamOutcome) => void): S {
  let finished = false;
  const seen = new WeakSet<object>();
  const finish = (extra: { error?: unknown; cancelled?: boolean }) => {
    if (finished) return;
    finished = true;
    // The SDKs end the iteration quietly when the host calls `stream.controller.abort()`.
    const controller = (stream as { controller?: { signal?: { aborted?: boolean } } }).controller;
    if (controller?.signal?.aborted === true && extra.error === undefined) extra = { ...extra, cancelled: true };
    let result: Omit<StreamOutcome, 'error' | 'cancelled'> = {};
    try {
      result = accumulator.result();
    } catch {
      // A broken accumulator must not break the host's stream.
    }
    done({ ...result, ...extra });
  };
  const add = (chunk: unknown) => {
    if (finished) return;
    // tee() hands the same chunk object to both halves: count it once.
    if (isObject(chunk)) {
      if (seen.has(chunk)) return;
      seen.add(chunk);
    }
    try {
      accumulator.add(chunk);
    } catch {
      // Same: never let our bookkeeping throw into the host.
    }
  };

  const wrapIterator = (iterator: AsyncIterator<unknown>): AsyncIterator<unknown> => ({
    async next(...args: [] | [unknown]) {
      let step: IteratorResult<unknown>;
      try {
        step = await iterator.next(...args);
      } catch (error) {
        finish({ error });
        throw error;
      }
      if (step.done) finish({});
      else add(step.value);
      return step;
    },
    async return(value?: unknown) {
      finish({ cancelled: true });
      return iterator.return ? iterator.return(value) : { done: true, value: value as never };
    },
    async throw(error?: unknown) {
      finish({ error });
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  } as AsyncIterator<unknown> & AsyncIterable<unknown>);

  const proxy: S = new Proxy(stream, {
    get(target, prop) {
      if (prop === Symbol.asyncIterator) {
        const original = Reflect.get(target, prop, target) as (() => AsyncIterator<unknown>) | undefined;
        if (typeof original !== 'function') return original;
        return () => wrapIterator(original.call(target));
      }
      if (prop === 'toReadableStream') {
        const original = Reflect.get(target, prop, target);
        if (typeof original !== 'function') return original;
        // The SDKs' toReadableStream reads `this[Symbol.asyncIterator]()`: run it on the proxy.
        return (...args: unknown[]) => {
          try {
            return original.apply(proxy, args);
          } catch {
            return original.apply(target, args);
          }
        };
      }
      if (prop === 'tee') {
        const original = Reflect.get(target, prop, target);
        if (typeof original !== 'function') return original;
        return (...args: unknown[]) => {
          const halves = original.apply(target, args);
          if (!Array.isArray(halves)) return halves;
          return halves.map((half) => (isObject(half) ? observeStream(half, { add, result: () => accumulator.result() }, (o) => finish(o)) : half));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return proxy;
}
