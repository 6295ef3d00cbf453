/** Compile-time checks of the public types (run by vitest's typecheck over `*.test-d.ts`). */
import { describe, expectTypeOf, it } from 'vitest';
import {
  createObserver,
  defineAnalyzer,
  isEventType,
  type EventInput,
  type EventOf,
  type FleetEvent,
  type Observer,
  type QueryPage,
  type Subscription,
} from 'fleetscope';

describe('public types', () => {
  it('narrows payloads with isEventType and in typed listeners', () => {
    const event = {} as FleetEvent;
    if (isEventType(event, 'tool.end')) {
      expectTypeOf(event.payload.status).toEqualTypeOf<'success' | 'error' | 'blocked'>();
      expectTypeOf(event.payload.durationMs).toEqualTypeOf<number | undefined>();
    }
    if (isEventType(event, 'llm.call')) expectTypeOf(event.payload.model).toEqualTypeOf<string>();
    expectTypeOf<EventOf<'metric'>['payload']['value']>().toEqualTypeOf<number>();
  });

  it('emit requires the payload fields of built-in types and a namespace for custom ones', () => {
    const observer = createObserver();
    observer.emit({ type: 'tool.end', payload: { toolName: 'Bash', status: 'success' } });
    observer.emit({ type: 'myapp.cache_hit', payload: { key: 'k' } });
    // @ts-expect-error a tool.end needs its status
    observer.emit({ type: 'tool.end', payload: { toolName: 'Bash' } });
    // @ts-expect-error a custom type needs a namespace
    observer.emit({ type: 'cache_hit', payload: {} });
    // @ts-expect-error metric values are numbers
    observer.emit({ type: 'metric', payload: { name: 'm', value: '1' } });
    // Already-typed inputs (e.g. mapped from another format) are accepted as a union.
    const mapped: EventInput[] = [];
    for (const input of mapped) observer.emit(input);
    observer.emitMany(mapped);
  });

  it('types the observer API', () => {
    const observer = createObserver();
    expectTypeOf(observer).toEqualTypeOf<Observer>();
    expectTypeOf(observer.subscribe()).toEqualTypeOf<Subscription>();
    expectTypeOf(observer.subscribe()).toMatchTypeOf<AsyncIterable<readonly FleetEvent[]>>();
    expectTypeOf(observer.query({})).toEqualTypeOf<Promise<QueryPage>>();
    expectTypeOf(observer.tool('t', null, async () => 42)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(observer.llm({ model: 'm' }, () => 'x')).toEqualTypeOf<Promise<string>>();
    observer.on('llm.call', (event) => expectTypeOf(event.payload.inputTokens).toEqualTypeOf<number | undefined>());
  });

  it('types custom analyzers', () => {
    const analyzer = defineAnalyzer({ name: 'n', snapshot: () => ({ count: 1 }) });
    expectTypeOf(analyzer.snapshot()).toEqualTypeOf<{ count: number }>();
  });
});
