import { describe, expect, it } from 'vitest';
import { hookIds } from '../../src/cli/hook-ids.js';

describe('hook ids (no node:crypto on the way)', () => {
  it('UUIDs are version 4, RFC 4122 variant, from the drawn bytes', () => {
    const ids = hookIds((b) => b.fill(0xff));
    expect(ids.newId()).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    const zero = hookIds((b) => b.fill(0));
    expect(zero.newId()).toBe('00000000-0000-4000-8000-000000000000');
  });

  it('span ids are 16 hex characters, never all zero (the next bytes are drawn instead)', () => {
    let fills = 0;
    // First block all zero, then 0xab: the all-zero span ids are skipped.
    const ids = hookIds((b) => b.fill(fills++ === 0 ? 0 : 0xab));
    expect(ids.newSpanId()).toBe('abababababababab');
    expect(fills).toBe(2);
  });

  it('from the real source, ids differ', () => {
    const ids = hookIds();
    const uuids = new Set(Array.from({ length: 200 }, () => ids.newId()));
    expect(uuids.size).toBe(200);
    for (const id of uuids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids.newSpanId()).toMatch(/^[0-9a-f]{16}$/);
  });
});
