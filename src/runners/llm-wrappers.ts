/**
 * LLM client wrappers: `wrapAnthropic(client, observer)` and `wrapOpenAI(client, observer)`
 * return a proxy of the host's own SDK client that records one `llm.call` event per request
 * (model, tokens including cache tokens, latency, status, response id, finish reason), in the
 * observer scope the call was made in. Duck-typed: no dependency on either SDK.
 *
 * The host's calls behave exactly as before: same return values (the SDKs' `APIPromise` keeps
 * `withResponse()` / `asResponse()`), same errors (rethrown unchanged), same streams (chunks,
 * `controller`, `tee()`, `toReadableStream()`), with tokens counted when the stream finishes.
 */
import { performance } from 'node:perf_hooks';
import {
  currentScope,
  errorMessage,
  FleetscopeError,
  newSpanId,
  runInScope,
  usageFromResponse,
  type EventInput,
  type LlmCallPayload,
} from '../core/index.js';
import { anthropicAccumulator, observeStream, openAiAccumulator, type ChunkAccumulator, type StreamOutcome } from './llm-stream.js';

/** Where the wrappers put `llm.call` events: an observer, or a runner's sink. */
export interface LlmWrapperTarget {
  emit(event: EventInput): unknown;
}

export interface LlmWrapperOptions {
  /** `provider` of the events. Default `anthropic` for `wrapAnthropic`, `openai` for `wrapOpenAI`. */
  provider?: string;
  /** Attributes added to every event (e.g. `{ feature: 'search' }`). Default none. */
  attributes?: Record<string, unknown>;
}

type AnyFunction = (...args: unknown[]) => unknown;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const elapsed = (start: number) => Math.round((performance.now() - start) * 1000) / 1000;

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { status?: unknown }).status;
    const prefix = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
    return `${prefix}${typeof status === 'number' ? `${status} ` : ''}${error.message}`;
  }
  return errorMessage(error);
}

function requestIdOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  // Both SDKs put the `request-id` / `x-request-id` header on responses and errors.
  return str(value._request_id) ?? str(value.requestID) ?? str(value.request_id);
}

function finishReasonOf(value: Record<string, unknown>): string | undefined {
  if (str(value.stop_reason)) return value.stop_reason as string;
  if (Array.isArray(value.choices)) {
    const first = value.choices[0];
    if (isObject(first) && str(first.finish_reason)) return first.finish_reason as string;
  }
  // OpenAI Responses API: `status` completed / incomplete / failed.
  if (value.object === 'response' && str(value.status)) return value.status as string;
  return undefined;
}

/** One instrumented call: records the outcome once, in the scope the call was made in. */
function recorder(target: LlmWrapperTarget, provider: string, options: LlmWrapperOptions, params: unknown, operation: string) {
  const scope = currentScope();
  const spanId = newSpanId();
  const start = performance.now();
  const requestedModel = isObject(params) ? str(params.model) : undefined;
  const stream = isObject(params) && params.stream === true ? true : undefined;
  let recorded = false;

  const emit = (payload: Omit<LlmCallPayload, 'provider' | 'operation' | 'latencyMs' | 'model'> & { model?: string }, extraAttributes?: Record<string, unknown>) => {
    if (recorded) return;
    recorded = true;
    const attributes = options.attributes === undefined && extraAttributes === undefined ? undefined : { ...options.attributes, ...extraAttributes };
    const event: EventInput = {
      type: 'llm.call',
      spanId,
      attributes,
      payload: {
        ...payload,
        provider,
        operation,
        model: payload.model ?? requestedModel ?? 'unknown',
        latencyMs: elapsed(start),
        stream,
      },
    };
    try {
      if (scope === undefined) target.emit(event);
      else runInScope(scope, () => target.emit(event));
    } catch {
      // The sink never throws by contract; a host's custom target might. Never into the host.
    }
  };

  return {
    failed(error: unknown) {
      let status: Record<string, unknown> | undefined;
      let described: string;
      let requestId: string | undefined;
      try {
        status = isObject(error) && typeof error.status === 'number' ? { 'http.response.status_code': error.status } : undefined;
        described = describeError(error);
        requestId = requestIdOf(error);
      } catch {
        // An error whose reading throws (a Proxy, a throwing getter): the host still gets it unchanged.
        status = undefined;
        described = 'unreadable error';
        requestId = undefined;
      }
      // An error with an HTTP status is the API's answer refusing the request (429, 529, 400, ...):
      // no tokens were processed, so none are billed: $0, not a call of unknown cost. Without a status
      // (a timeout, a dropped connection) the server may have run it: usage stays unknown.
      const refused = status === undefined ? {} : { inputTokens: 0, outputTokens: 0 };
      emit({ status: 'error', error: described, requestId, ...refused }, status);
    },
    succeeded(value: unknown) {
      let usage: ReturnType<typeof usageFromResponse> & object;
      let response: Record<string, unknown>;
      try {
        usage = usageFromResponse(value) ?? {};
        response = isObject(value) ? value : {};
        // Read everything now, inside the try: a response whose getters throw must not reach the host.
        void [response.model, response.id, finishReasonOf(response), requestIdOf(value)];
      } catch {
        emit({ status: 'success' });
        return;
      }
      emit({
        status: 'success',
        model: usage.model ?? str(response.model),
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cacheReadTokens: usage.cacheReadTokens,
        cacheWriteTokens: usage.cacheWriteTokens,
        responseId: str(response.id),
        requestId: requestIdOf(value),
        finishReason: finishReasonOf(response),
      });
    },
    streamed(outcome: StreamOutcome, requestId: string | undefined) {
      const usage = outcome.usage ?? {};
      const failed = outcome.error !== undefined || outcome.finishReason === 'failed';
      emit(
        {
          status: failed ? 'error' : 'success',
          error: outcome.error !== undefined ? describeError(outcome.error) : failed ? 'response failed' : undefined,
          model: outcome.model,
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          cacheReadTokens: usage.cacheReadTokens,
          cacheWriteTokens: usage.cacheWriteTokens,
          responseId: outcome.responseId,
          requestId,
          finishReason: outcome.finishReason,
        },
        outcome.cancelled ? { 'stream.cancelled': true } : undefined,
      );
    },
    stream,
  };
}

type Recorder = ReturnType<typeof recorder>;

/** Turns the resolved value into what the host gets: a counted stream, or the value itself. */
function settle(value: unknown, record: Recorder, makeAccumulator: () => ChunkAccumulator): unknown {
  let iterable = false;
  try {
    iterable = isObject(value) && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
  } catch {
    // A response whose reading throws is handed back as is.
  }
  if (record.stream && iterable) {
    const requestId = requestIdOf(value);
    return observeStream(value as object, makeAccumulator(), (outcome) => record.streamed(outcome, requestId));
  }
  record.succeeded(value);
  return value;
}

/**
 * Wraps one SDK method. A promise-like result (the SDKs' `APIPromise`) is returned as a proxy
 * that resolves to the settled value, keeping its other methods; `withResponse()` resolves
 * with the settled `data`.
 */
function instrumentMethod(
  original: AnyFunction,
  owner: object,
  target: LlmWrapperTarget,
  provider: string,
  options: LlmWrapperOptions,
  operation: string,
  makeAccumulator: () => ChunkAccumulator,
): AnyFunction {
  return function instrumented(...args: unknown[]) {
    const record = recorder(target, provider, options, args[0], operation);
    let result: unknown;
    try {
      result = original.apply(owner, args);
    } catch (error) {
      record.failed(error);
      throw error;
    }
    if (!isObject(result) || typeof (result as { then?: unknown }).then !== 'function') {
      return settle(result, record, makeAccumulator);
    }
    const promise = result as PromiseLike<unknown> & Record<string | symbol, unknown>;
    const settled = Promise.resolve(promise).then(
      (value) => settle(value, record, makeAccumulator),
      (error) => {
        record.failed(error);
        throw error;
      },
    );
    // Our side of the chain must not create an unhandled rejection; the host's `await` still sees it.
    settled.catch(() => {});
    return new Proxy(promise, {
      get(target, prop) {
        if (prop === 'then') return settled.then.bind(settled);
        if (prop === 'catch') return settled.catch.bind(settled);
        if (prop === 'finally') return settled.finally.bind(settled);
        const value = Reflect.get(target, prop, target);
        if (prop === 'withResponse' && typeof value === 'function') {
          return (...rest: unknown[]) =>
            Promise.all([value.apply(target, rest), settled]).then(([withResponse, data]) =>
              isObject(withResponse) ? { ...withResponse, data } : withResponse,
            );
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
}

/** Proxies `root` so that the methods at `paths` (e.g. `chat.completions.create`) are instrumented. */
function wrapPaths<T extends object>(root: T, methods: Record<string, (original: AnyFunction, owner: object) => AnyFunction>): T {
  const tree: Record<string, unknown> = {};
  for (const path of Object.keys(methods)) {
    const parts = path.split('.');
    let node = tree;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = methods[path];
  }
  const cache = new WeakMap<object, Map<string | symbol, unknown>>();
  const wrap = (object: object, node: Record<string, unknown>): object =>
    new Proxy(object, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        const child = typeof prop === 'string' ? node[prop] : undefined;
        if (child === undefined || value === null || (typeof value !== 'object' && typeof value !== 'function')) {
          return typeof value === 'function' ? value.bind(target) : value;
        }
        let memo = cache.get(target);
        if (memo === undefined) cache.set(target, (memo = new Map()));
        const key = prop;
        const known = memo.get(key) as { from: unknown; to: unknown } | undefined;
        if (known !== undefined && known.from === value) return known.to;
        const to = typeof child === 'function' ? (typeof value === 'function' ? (child as (o: AnyFunction, owner: object) => AnyFunction)(value as AnyFunction, target) : value) : wrap(value as object, child as Record<string, unknown>);
        memo.set(key, { from: value, to });
        return to;
      },
    });
  return wrap(root, tree) as T;
}

function checkTarget(target: LlmWrapperTarget, name: string): void {
  if (typeof target?.emit !== 'function') {
    throw new FleetscopeError(`[fleetscope] [${name}] the target must be an observer or a sink with emit()`, { operation: 'options' });
  }
}

/**
 * Records the Anthropic client's `messages.create` and `beta.messages.create` (plain and
 * `stream: true`) and `messages.stream` calls as `llm.call` events. Returns a proxy; the client itself is untouched.
 *
 * ```ts
 * const anthropic = wrapAnthropic(new Anthropic(), observer);
 * ```
 */
export function wrapAnthropic<T extends object>(client: T, target: LlmWrapperTarget, options: LlmWrapperOptions = {}): T {
  checkTarget(target, 'wrapAnthropic');
  const provider = options.provider ?? 'anthropic';
  return wrapPaths(client, {
    'messages.create': (original, owner) => instrumentMethod(original, owner, target, provider, options, 'chat', anthropicAccumulator),
    'messages.stream': (original, owner) => wrapMessageStream(original, owner, target, provider, options),
    'beta.messages.create': (original, owner) => instrumentMethod(original, owner, target, provider, options, 'chat', anthropicAccumulator),
  });
}

/**
 * `messages.stream()` returns a `MessageStream` (an event emitter). It is returned unchanged;
 * a `finalMessage` listener records the call when the message completes, an `abort` listener
 * when the host aborts it. Errors are NOT recorded here: adding an `error` listener would change
 * how the SDK reports an unhandled stream error to the host.
 */
function wrapMessageStream(original: AnyFunction, owner: object, target: LlmWrapperTarget, provider: string, options: LlmWrapperOptions): AnyFunction {
  return (...args: unknown[]) => {
    const record = recorder(target, provider, options, { ...(isObject(args[0]) ? args[0] : {}), stream: true }, 'chat');
    const stream = original.apply(owner, args);
    if (isObject(stream) && typeof stream.on === 'function') {
      try {
        (stream.on as AnyFunction).call(stream, 'finalMessage', (message: unknown) => {
          const usage = usageFromResponse(message) ?? {};
          const m = isObject(message) ? message : {};
          record.streamed({ usage, model: usage.model, responseId: str(m.id), finishReason: str(m.stop_reason) }, requestIdOf(m));
        });
        (stream.on as AnyFunction).call(stream, 'abort', () => record.streamed({ cancelled: true }, undefined));
      } catch {
        // Not the emitter we expected: leave the host's stream alone.
      }
    }
    return stream;
  };
}

/**
 * Records the OpenAI client's `chat.completions.create` and `responses.create` calls (plain
 * and `stream: true`) and `embeddings.create` (operation `embeddings`) as `llm.call` events. Streamed Chat Completions carry token counts only
 * when the host asks for them with `stream_options: { include_usage: true }`.
 *
 * ```ts
 * const openai = wrapOpenAI(new OpenAI(), observer);
 * ```
 */
export function wrapOpenAI<T extends object>(client: T, target: LlmWrapperTarget, options: LlmWrapperOptions = {}): T {
  checkTarget(target, 'wrapOpenAI');
  const provider = options.provider ?? 'openai';
  return wrapPaths(client, {
    'chat.completions.create': (original, owner) => instrumentMethod(original, owner, target, provider, options, 'chat', openAiAccumulator),
    'responses.create': (original, owner) => instrumentMethod(original, owner, target, provider, options, 'chat', openAiAccumulator),
    'embeddings.create': (original, owner) => instrumentMethod(original, owner, target, provider, options, 'embeddings', openAiAccumulator),
  });
}
