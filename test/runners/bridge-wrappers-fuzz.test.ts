/**
 * Property-based attacks on the OTel span bridge and the LLM wrappers (issue 14, "also untested").
 *
 * Bridge: spans built from hostile parts (throwing getters, Proxies that throw on every trap,
 * wrong-typed attributes, negative and huge times and durations, oversized values). Neither
 * `onStart` nor `onEnd` throws into the SDK; every ended span is accounted for in `stats()`
 * (converted, skipped with a reason, or counted as an error); what reaches an observer is valid
 * or counted there.
 *
 * Wrappers: clients that return hostile responses, throw hostile errors (synchronously or as a
 * rejection), or return streams of hostile chunks that may error halfway. The host gets exactly
 * what its client gave: the same response object, the same error (identity), the same chunks; the
 * wrapper never throws one of its own, and records exactly one `llm.call` per request.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createObserver, type EventInput } from '../../src/index.js';
import { fleetscopeSpanProcessor, type ReadableSpanLike } from '../../src/runners/otel-bridge.js';
import { wrapAnthropic, wrapOpenAI } from '../../src/runners/llm-wrappers.js';
import { attackingValue, fuzz, fuzzTimeout, throwingProxy } from '../support/fuzz.js';
import { FakeStream, apiPromise } from './llm-fakes.js';

/** `value`, or a getter that throws when read (the `hostile` flag picks). */
function field(hostile: boolean, value: unknown): PropertyDescriptor {
  return hostile
    ? { enumerable: true, get: () => { throw new Error('hostile getter'); } }
    : { enumerable: true, value };
}

const time = fc.oneof(
  fc.tuple(fc.integer({ min: 1_600_000_000, max: 1_800_000_000 }), fc.integer({ min: 0, max: 999_999_999 })),
  fc.tuple(fc.constantFrom(-1e12, 0, 1e15, Number.MAX_SAFE_INTEGER, Number.NaN, Infinity), fc.integer()),
  attackingValue(),
);

const GENAI_KEYS = [
  'gen_ai.operation.name',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.tool.name',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'gen_ai.agent.name',
  'gen_ai.conversation.id',
  'openinference.span.kind',
  'metadata',
  'session.id',
];

/** 100,000 characters (a named constant: fast-check prints a counterexample's values in full). */
const LONG = 'x'.repeat(100_000);

const attributeValue = fc.oneof(
  fc.constantFrom('chat', 'execute_tool', 'invoke_agent', 'CHAIN', 'LLM', 'TOOL', 'AGENT', 'gpt-4o', 'claude-x'),
  fc.integer({ min: -1e9, max: 1e12 }),
  fc.constantFrom(Number.NaN, -Infinity, 1e308),
  fc.constant(LONG),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  attackingValue(),
);

const attributes = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(fc.constantFrom(...GENAI_KEYS), attributeValue, { maxKeys: 6 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant('attributes') },
  { weight: 1, arbitrary: fc.constant(0).map(() => throwingProxy()) },
);

interface SpanPlan {
  spanId: number;
  parent: number | undefined;
  kind: unknown;
  startTime: unknown;
  endTime: unknown;
  attributes: unknown;
  hostileFields: boolean[];
  status: unknown;
  whole: 'span' | 'proxy' | 'null';
}

const spanPlan: fc.Arbitrary<SpanPlan> = fc.record({
  spanId: fc.nat({ max: 20 }),
  parent: fc.option(fc.nat({ max: 20 }), { nil: undefined }),
  kind: fc.oneof(fc.integer({ min: -2, max: 7 }), attackingValue()),
  startTime: time,
  endTime: time,
  attributes,
  hostileFields: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
  status: fc.oneof(fc.record({ code: fc.integer({ min: -1, max: 3 }), message: fc.option(fc.string({ maxLength: 10 })) }), attackingValue()),
  whole: fc.constantFrom<SpanPlan['whole']>('span', 'span', 'span', 'span', 'proxy', 'null'),
});

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const hexId = (n: number) => (n + 1).toString(16).padStart(16, '0');

/** A span-like object per the plan: each field a plain value or a throwing getter. */
function spanOf(plan: SpanPlan): ReadableSpanLike {
  if (plan.whole === 'null') return null as unknown as ReadableSpanLike;
  if (plan.whole === 'proxy') return throwingProxy() as ReadableSpanLike;
  const h = plan.hostileFields;
  const context = { traceId: TRACE, spanId: hexId(plan.spanId) };
  return Object.defineProperties({} as ReadableSpanLike, {
    name: field(h[0]!, 'span'),
    kind: field(h[1]!, plan.kind),
    spanContext: field(h[2]!, () => context),
    startTime: field(h[3]!, plan.startTime),
    endTime: field(h[4]!, plan.endTime),
    attributes: field(h[5]!, plan.attributes),
    status: { enumerable: true, value: plan.status },
    parentSpanContext: field(h[6]!, plan.parent === undefined ? undefined : { traceId: TRACE, spanId: hexId(plan.parent) }),
    instrumentationScope: { enumerable: true, value: { name: 'fuzz' } },
  });
}

describe('OTel span bridge under hostile spans', () => {
  it(
    'never throws into the SDK; every ended span is converted, skipped with a reason, or counted as an error',
    () => {
      fc.assert(
        fc.property(fc.array(spanPlan, { minLength: 1, maxLength: 12 }), fc.boolean(), (plans, throwingTarget) => {
          const events: EventInput[] = [];
          const processor = fleetscopeSpanProcessor(
            {
              emit: (event) => {
                if (throwingTarget && events.length % 2 === 1) throw new Error('target emit');
                events.push(event);
              },
            },
            { otherSpans: 'event' },
          );
          const spans = plans.map(spanOf);
          for (const span of spans) processor.onStart(span, undefined);
          for (const span of spans) processor.onEnd(span);
          const s = processor.stats();
          expect(s.spansEnded).toBe(spans.length);
          const converted = s.llmCalls + s.toolCalls + s.agentRuns + s.otherSpans;
          const accounted = converted + s.ignored + s.ownSpans + s.errors + s.held;
          expect(accounted).toBeGreaterThanOrEqual(spans.length);
          // A skipped span names its reason.
          expect(s.invalid['missing-span-context'] + s.invalid['bad-time']).toBeLessThanOrEqual(s.ignored);
        }),
        fuzz(1500, 1403),
      );
    },
    fuzzTimeout(120_000),
  );

  it(
    'through an observer: every event the bridge emits is accepted or counted invalid, nothing thrown',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(spanPlan, { minLength: 1, maxLength: 8 }), async (plans) => {
          const observer = createObserver({ storage: false, analyzers: [], onError: () => {} });
          let emitted = 0;
          const processor = fleetscopeSpanProcessor({ emit: (event) => (emitted++, observer.emit(event)) });
          for (const span of plans.map(spanOf)) {
            processor.onStart(span, undefined);
            processor.onEnd(span);
          }
          await observer.flush();
          const stats = observer.stats().events;
          expect(stats.accepted + stats.invalid).toBe(emitted);
          await observer.close();
        }),
        fuzz(300, 1404),
      );
    },
    fuzzTimeout(120_000),
  );
});

/** What a hostile client does for one request. */
type Behaviour =
  | { kind: 'resolve'; value: unknown }
  | { kind: 'reject'; error: unknown }
  | { kind: 'throw'; error: unknown }
  | { kind: 'stream'; chunks: unknown[]; failAt: number | undefined };

const hostileObject = fc.oneof(
  attackingValue(),
  fc.constant(0).map(() => throwingProxy()),
  fc.record({ usage: attackingValue(), model: attackingValue(), id: attackingValue(), choices: attackingValue(), stop_reason: attackingValue() }),
  fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }).map((h) =>
    Object.defineProperties({}, {
      usage: field(h[0]!, { input_tokens: 5, output_tokens: 7 }),
      model: field(h[1]!, 'claude-x'),
      id: field(h[2]!, 'msg_1'),
      stop_reason: field(h[3]!, 'end_turn'),
    }),
  ),
);

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  hostileObject.map((value) => ({ kind: 'resolve' as const, value })),
  hostileObject.map((error) => ({ kind: 'reject' as const, error })),
  hostileObject.map((error) => ({ kind: 'throw' as const, error })),
  fc.record({ chunks: fc.array(hostileObject, { maxLength: 5 }), failAt: fc.option(fc.nat({ max: 5 }), { nil: undefined }) }).map((s) => ({ kind: 'stream' as const, ...s })),
);

/** The client's method: does what `b` says, with `failure` as a stream's halfway error. */
function method(b: Behaviour, failure: Error) {
  return (_body: unknown) => {
    if (b.kind === 'throw') throw b.error;
    if (b.kind === 'reject') return apiPromise(() => Promise.reject(b.error));
    if (b.kind === 'resolve') return apiPromise(() => b.value);
    return apiPromise(() => new FakeStream(b.chunks, b.failAt === undefined ? undefined : { index: b.failAt, error: failure }));
  };
}

/** Calls the wrapped method as a host would; returns what the host saw. */
async function hostCall(create: (body: unknown) => unknown, stream: boolean): Promise<{ value?: unknown; error?: unknown; chunks: unknown[] }> {
  const chunks: unknown[] = [];
  try {
    const value = await create({ model: 'm', max_tokens: 1, messages: [], stream });
    if (stream && value !== null && typeof value === 'object' && Symbol.asyncIterator in value) {
      for await (const chunk of value as AsyncIterable<unknown>) chunks.push(chunk);
    }
    return { value, chunks };
  } catch (error) {
    return { error, chunks };
  }
}

describe('LLM wrappers under hostile clients', () => {
  it(
    'the host gets exactly what its client gave (same response, same error, same chunks); one llm.call per request',
    async () => {
      await fc.assert(
        fc.asyncProperty(behaviour, fc.constantFrom('anthropic', 'openai'), async (b, provider) => {
          const events: EventInput[] = [];
          const target = { emit: (event: EventInput) => void events.push(event) };
          const failure = new Error('connection reset');
          const create = method(b, failure);
          const client =
            provider === 'anthropic'
              ? wrapAnthropic({ messages: { create } }, target).messages.create
              : wrapOpenAI({ chat: { completions: { create } } }, target).chat.completions.create;
          const stream = b.kind === 'stream';
          const seen = await hostCall(client as (body: unknown) => unknown, stream);
          const direct = await hostCall(create, stream);
          // Identity checked with Object.is: printing a hostile value would throw in the test itself.
          if (b.kind === 'throw' || b.kind === 'reject') expect(Object.is(seen.error, b.error), 'the client\'s own error').toBe(true);
          else if (b.kind === 'resolve' && direct.error === undefined) expect(Object.is(seen.value, b.value), 'the client\'s own response').toBe(true);
          else if (b.kind === 'resolve') {
            // A value whose `then` throws rejects the client's own promise (with a new error each read).
            expect(String((seen.error as Error).message)).toBe(String((direct.error as Error).message));
          }
          else {
            expect(seen.chunks.length).toBe(direct.chunks.length);
            for (let i = 0; i < seen.chunks.length; i++) expect(Object.is(seen.chunks[i], b.chunks[i]), `chunk ${i}`).toBe(true);
            expect(Object.is(seen.error, direct.error), 'the stream\'s own error').toBe(true);
          }
          expect(events.filter((e) => e.type === 'llm.call')).toHaveLength(1);
          const payload = events[0]!.payload as { status: string };
          expect(payload.status).toBe((b.kind === 'resolve' || stream) && direct.error === undefined ? 'success' : 'error');
        }),
        fuzz(1500, 1406),
      );
    },
    fuzzTimeout(120_000),
  );
});
