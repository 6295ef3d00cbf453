import { expect, it } from 'vitest';
import { validateEvent } from '../../src/core/index.js';
it('a fresh process rejects empty ids before any id was seen', () => {
  const r = validateEvent({ type: 'metric', payload: { name: 'm', value: 1 }, sessionId: '', parentSpanId: '' }, { defaults: { source: 's', sessionId: 'x', agentId: 'a' } });
  expect(r.ok).toBe(false);
  const r2 = validateEvent({ type: 'metric', payload: { name: 'm', value: 1 }, parentSpanId: '' }, { defaults: { source: 's', sessionId: 'x', agentId: 'a' } });
  expect(r2.ok).toBe(false);
});
