import { describe, expect, it } from 'vitest';
import { DEFAULT_PAYLOAD_LIMITS, validateEvent, type FleetEvent, type ValidationResult } from '../../src/core/index.js';

const defaults = { source: 'host', sessionId: 's-default', agentId: 'main' };
const validate = (raw: unknown, limits = DEFAULT_PAYLOAD_LIMITS) =>
  validateEvent(raw, { defaults, limits, now: () => 1_700_000_000_000 });

function accepted(result: ValidationResult): FleetEvent {
  if (!result.ok) throw new Error(`expected a valid event, got: ${result.reason}`);
  return result.event;
}

function reason(result: ValidationResult): string {
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
}

describe('validateEvent', () => {
  it('fills the envelope from defaults and derives severity from the outcome', () => {
    const event = accepted(validate({ type: 'tool.end', payload: { toolName: 'Bash', status: 'error', durationMs: 12 } }));
    expect(event).toMatchObject({
      type: 'tool.end',
      timestamp: 1_700_000_000_000,
      severity: 'error',
      source: 'host',
      sessionId: 's-default',
      agentId: 'main',
    });
    expect(event.id).toMatch(/^[a-z0-9]{7,12}$/);
    expect(accepted(validate({ type: 'tool.end', payload: { toolName: 'x', status: 'blocked' } })).severity).toBe('warning');
    expect(accepted(validate({ type: 'metric', payload: { name: 'm', value: 1 } })).severity).toBe('info');
  });

  it('keeps given envelope fields and a valid custom type', () => {
    const event = accepted(
      validate({
        id: 'e1',
        type: 'myapp.cache_hit',
        timestamp: 5,
        severity: 'debug',
        sessionId: 's1',
        agentId: 'a1',
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        parentSpanId: 'c'.repeat(16),
        tags: ['x'],
        attributes: { k: 1 },
        payload: { key: 'v' },
      }),
    );
    expect(event).toMatchObject({ id: 'e1', type: 'myapp.cache_hit', timestamp: 5, sessionId: 's1', payload: { key: 'v' } });
  });

  it.each([
    [null, 'event: must be an object (got null)'],
    ['x', 'event: must be an object (got a string)'],
    [[1], 'event: must be an object (got an array)'],
    [{ type: 'foo', payload: {} }, 'type: unknown type; custom types need a namespace, e.g. "myapp.cache_hit"'],
    [{ type: 'tool.finished', payload: {} }, 'type: unknown type in a built-in namespace (session, agent, tool, llm, plugin)'],
    [{ type: 7, payload: {} }, 'type: must be a string (got a number)'],
    [{ type: 'tool.end', payload: { toolName: 3, status: 'success' } }, 'payload.toolName: must be a string (got a number)'],
    [{ type: 'tool.end', payload: { status: 'success' } }, 'payload.toolName: is required for tool.end'],
    [{ type: 'tool.end', payload: { toolName: 'x', status: 'ok' } }, 'payload.status: must be one of success | error | blocked'],
    [{ type: 'tool.end', payload: { toolName: 'x', status: 'success', durationMs: -1 } }, 'payload.durationMs: must be a finite number >= 0 (got a negative number)'],
    [{ type: 'llm.call', payload: { model: 'm', status: 'success', inputTokens: 1.5 } }, 'payload.inputTokens: must be an integer >= 0 (got a number)'],
    [{ type: 'metric', payload: { name: 'm', value: Number.NaN } }, 'payload.value: must be a finite number (got NaN)'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, timestamp: Number.NaN }, 'timestamp: must be milliseconds since the epoch, a finite number >= 0 (got NaN)'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, timestamp: -5 }, 'timestamp: must be milliseconds since the epoch, a finite number >= 0 (got a negative number)'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, timestamp: '2024' }, 'timestamp: must be milliseconds since the epoch, a finite number >= 0 (got a string)'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, severity: 'fatal' }, 'severity: must be one of debug | info | warning | error | critical'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, traceId: 'xyz' }, 'traceId: must be 32 lowercase hex characters, not all zero'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, traceId: '0'.repeat(32) }, 'traceId: must be 32 lowercase hex characters, not all zero'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, spanId: 'A'.repeat(16) }, 'spanId: must be 16 lowercase hex characters, not all zero'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, sessionId: '' }, 'sessionId: must be 1-256 characters'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, agentId: 'a\nb' }, 'agentId: must not contain control characters'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, id: 42 }, 'id: must be a string (got a number)'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, sessionID: 's' }, 'event: unknown field (only envelope fields, type and payload are allowed)'],
    [{ type: 'metric', payload: { name: 'm', value: 1 }, tags: 'x' }, 'tags: must be an array of at most 64 strings'],
    [{ type: 'metric', payload: [1] }, 'payload: must be an object (got an array)'],
    [{ type: 'metric' }, 'payload: must be an object (got undefined)'],
  ])('rejects %j with a reason naming the field', (raw, expected) => {
    expect(reason(validate(raw))).toBe(expected);
  });

  it('keeps the id caches per field: a valid id of one field is not thereby valid for another', () => {
    const trace = 'ab'.repeat(16);
    const span = 'cd'.repeat(8);
    // Each value is accepted once in the field where it is valid, so the caches hold it ...
    accepted(validate({ type: 'metric', payload: { name: 'm', value: 1 }, sessionId: 'plain-session', traceId: trace, parentSpanId: span }));
    // ... and then offered where it is not.
    expect(reason(validate({ type: 'metric', payload: { name: 'm', value: 1 }, traceId: 'plain-session' }))).toBe(
      'traceId: must be 32 lowercase hex characters, not all zero',
    );
    expect(reason(validate({ type: 'metric', payload: { name: 'm', value: 1 }, parentSpanId: 'plain-session' }))).toBe(
      'parentSpanId: must be 16 lowercase hex characters, not all zero',
    );
    expect(reason(validate({ type: 'metric', payload: { name: 'm', value: 1 }, spanId: trace }))).toBe(
      'spanId: must be 16 lowercase hex characters, not all zero',
    );
    // Repeats of the cached values still pass, and a host's event ids are not cached as valid ids.
    const again = accepted(validate({ type: 'metric', payload: { name: 'm', value: 1 }, sessionId: 'plain-session', traceId: trace, parentSpanId: span, id: 'evt-1' }));
    expect(again).toMatchObject({ sessionId: 'plain-session', traceId: trace, parentSpanId: span, id: 'evt-1' });
  });

  it('never throws on hostile objects', () => {
    const hostile = {
      get type(): string {
        throw new Error('boom');
      },
    };
    expect(reason(validate(hostile))).toBe('event: could not be read (Error)');
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(reason(validate(revoked.proxy))).toMatch(/^event: could not be read/);
  });

  it('cuts circular references and marks nothing truncated for them', () => {
    const input: Record<string, unknown> = { a: 1 };
    input.self = input;
    const result = validate({ type: 'tool.start', payload: { toolName: 't', input } });
    expect(result.ok && result.repairs).toEqual(['circular']);
    const event = accepted(result);
    expect((event.payload as { input: unknown }).input).toEqual({ a: 1, self: '[Circular]' });
    expect(() => JSON.stringify(event)).not.toThrow();
  });

  it('truncates a 10 MB payload to the configured limit and marks the event', () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const limits = { ...DEFAULT_PAYLOAD_LIMITS, maxPayloadBytes: 1000, maxStringLength: 400 };
    const result = validate({ type: 'log', payload: { message: 'big', fields: { huge, other: 'y'.repeat(700) } } }, limits);
    const event = accepted(result);
    expect(event.truncated).toBe(true);
    const fields = (event.payload as { fields: { huge: string; other: string } }).fields;
    // 400 kept characters plus the marker naming how many were cut.
    expect(fields.huge).toBe(`${'x'.repeat(400)}…[truncated ${10 * 1024 * 1024 - 400} chars]`);
    expect(JSON.stringify(event.payload).length).toBeLessThan(2000);
  });

  it('repairs a cycle in a custom type, a wide self-referencing object and a cycle in attributes', () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    const custom = validate({ type: 'myapp.thing', payload: { loop } });
    expect(custom.ok && custom.repairs).toEqual(['circular']);
    expect((accepted(custom).payload as { loop: unknown }).loop).toEqual({ a: 1, self: '[Circular]' });
    // Every key points back at the object: the size walk stops at maxDepth (or the budget), not after 20^32 steps.
    // Counted, not timed (house rule): the reads of the object's fields, through a Proxy.
    let reads = 0;
    const target: Record<string, unknown> = {};
    const wide = new Proxy(target, { get: (t, k, r) => (reads++, Reflect.get(t, k, r)) });
    for (let i = 0; i < 20; i++) target[`k${i}`] = wide;
    const repaired = accepted(validate({ type: 'tool.start', payload: { toolName: 't', input: wide } }));
    // Each read costs at least its key and quotes (6 bytes) of the 64 KiB budget, in the copy and in the repair.
    expect(reads).toBeLessThanOrEqual(2 * Math.ceil((64 * 1024) / 6));
    expect(Object.values((repaired.payload as { input: Record<string, unknown> }).input)).toEqual(Array(20).fill('[Circular]'));
    const attributes: Record<string, unknown> = { x: 1 };
    attributes.me = attributes;
    const withAttributes = validate({ type: 'metric', payload: { name: 'm', value: 1 }, attributes });
    expect(withAttributes.ok && withAttributes.repairs).toEqual(['circular']);
    expect(accepted(withAttributes).attributes).toEqual({ x: 1, me: '[Circular]' });
  });

  it('measures the payload against the limit field by field: exactly at the limit is kept, one byte over is cut', () => {
    // Size = 2 (braces) + per field: key length + 4 + value size (a string: length + 2).
    // { message: "<m>" }: 2 + (7 + 4) + (m + 2) = m + 15 bytes.
    const limits = { ...DEFAULT_PAYLOAD_LIMITS, maxPayloadBytes: 100 };
    const atLimit = validate({ type: 'log', payload: { message: 'x'.repeat(85) } }, limits);
    expect(atLimit.ok && atLimit.repairs).toEqual([]);
    const over = validate({ type: 'log', payload: { message: 'x'.repeat(86) } }, limits);
    expect(over.ok && over.repairs).toEqual(['truncated']);
    expect(accepted(over).truncated).toBe(true);
    // A bad field is reported even after the size is known to be over the limit.
    expect(reason(validate({ type: 'log', payload: { fields: { big: 'y'.repeat(500) }, message: 3 } }, limits))).toBe(
      'payload.message: must be a string (got a number)',
    );
  });

  it('checks each field by its name whatever the order of the payload keys (the per-position cache is only a shortcut)', () => {
    accepted(validate({ type: 'tool.end', payload: { toolName: 'x', status: 'success', durationMs: 1 } }));
    // Same positions, other fields: durationMs where status was.
    expect(reason(validate({ type: 'tool.end', payload: { toolName: 'x', durationMs: 'slow', status: 'success' } }))).toBe(
      'payload.durationMs: must be a finite number >= 0 (got a string)',
    );
    expect(reason(validate({ type: 'tool.end', payload: { status: 'done', toolName: 'x' } }))).toBe('payload.status: must be one of success | error | blocked');
    // An extra host field where a known one was, then the known one again.
    accepted(validate({ type: 'tool.end', payload: { toolName: 'x', mine: 'anything', status: 'error' } }));
    expect(reason(validate({ type: 'tool.end', payload: { toolName: 'x', status: 7 } }))).toBe('payload.status: must be one of success | error | blocked');
    // More keys than positions remembered: the 40th key is still checked.
    const many: Record<string, unknown> = {};
    for (let i = 0; i < 39; i++) many[`extra${i}`] = i;
    many.status = 'nope';
    many.toolName = 'x';
    expect(reason(validate({ type: 'tool.end', payload: many }))).toBe('payload.status: must be one of success | error | blocked');
  });

  it('keeps a plain-data copy of the payload, never the host\'s object (issue 14, point 1)', () => {
    const payload = { toolName: 't', input: { q: 'a' } };
    const kept = accepted(validate({ type: 'tool.start', payload })).payload;
    expect(kept).toEqual(payload);
    expect(kept).not.toBe(payload);
    expect((kept as { input: unknown }).input).not.toBe(payload.input);
  });

  it('turns non-JSON values into JSON', () => {
    class Thing {
      x = 1;
    }
    const event = accepted(
      validate({
        type: 'log',
        payload: { message: 'm', fields: { big: 10n, fn: () => 1, err: new TypeError('bad'), date: new Date(0), thing: new Thing(), inf: Infinity } },
      }),
    );
    expect((event.payload as { fields: unknown }).fields).toEqual({
      big: '10',
      err: { name: 'TypeError', message: 'bad' },
      date: '1970-01-01T00:00:00.000Z',
      thing: { x: 1 },
      inf: null,
    });
  });
});
