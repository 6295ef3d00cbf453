import { describe, expect, it } from 'vitest';
import { decodeCompactBatch, encodeCompactBatch, type FleetEvent } from '../../src/core/index.js';

const call = (id: string, agentId: string, outputTokens: number) =>
  ({ id, timestamp: 1000, severity: 'info', source: 'host', sessionId: 's1', agentId, type: 'llm.call', payload: { model: 'm', status: 'success', outputTokens } }) as unknown as FleetEvent;

describe('compact batch encoding', () => {
  it('writes rows of values and one header of key lists and repeated strings, and reads back the same events', () => {
    const events = [call('e1', 'a', 5), call('e2', 'b', 7), { ...call('e3', 'a', 9), traceId: 't'.repeat(32) } as FleetEvent];
    const batch = encodeCompactBatch(events)!;
    // Strings in order of first use: info, host, s1, a, llm.call, m, success, b, then the trace id.
    expect(JSON.parse(batch.header)).toEqual({
      k: [
        ['model', 'status', 'outputTokens'].map((k) => (k === 'outputTokens' ? k : [k])),
        ['id', 'timestamp', ['severity'], ['source'], ['sessionId'], ['agentId'], ['type'], 'payload'],
        ['id', 'timestamp', ['severity'], ['source'], ['sessionId'], ['agentId'], ['type'], 'payload', ['traceId']],
      ],
      d: ['info', 'host', 's1', 'a', 'llm.call', 'm', 'success', 'b', 't'.repeat(32)],
    });
    expect(JSON.parse(batch.rows)).toEqual([
      [1, 'e1', 1000, 0, 1, 2, 3, 4, [0, 5, 6, 5]],
      [1, 'e2', 1000, 0, 1, 2, 7, 4, [0, 5, 6, 7]],
      [2, 'e3', 1000, 0, 1, 2, 3, 4, [0, 5, 6, 9], 8],
    ]);
    const decoded = decodeCompactBatch(batch.header, batch.rows)!;
    // The same JSON, key order included.
    expect(JSON.stringify(decoded)).toBe(JSON.stringify(events));
  });

  it('keeps long and nested payload values inline, skips undefined keys as JSON does', () => {
    const long = 'x'.repeat(65);
    const event = { ...call('e1', 'a', 1), workflowId: undefined, payload: { output: long, usage: { input: 1 }, list: ['a'], gone: undefined } } as unknown as FleetEvent;
    const batch = encodeCompactBatch([event])!;
    expect(JSON.parse(batch.rows)[0][8]).toEqual([0, long, { input: 1 }, ['a']]);
    expect(JSON.stringify(decodeCompactBatch(batch.header, batch.rows))).toBe(JSON.stringify([event]));
  });

  it('refuses a payload that is not a plain object (the caller writes plain JSON)', () => {
    expect(encodeCompactBatch([{ ...call('e1', 'a', 1), payload: [1] } as unknown as FleetEvent])).toBeUndefined();
  });

  it('reads nothing from texts that are not such a batch', () => {
    const { header, rows } = encodeCompactBatch([call('e1', 'a', 1)])!;
    expect(decodeCompactBatch(header, rows)).toHaveLength(1);
    expect(decodeCompactBatch('not json', rows)).toBeUndefined();
    expect(decodeCompactBatch(header, '{}')).toBeUndefined();
    expect(decodeCompactBatch('{"k":[["id"]]}', '[[0,"x"]]')).toBeUndefined(); // no strings
    expect(decodeCompactBatch('{"k":[["id"]],"d":[]}', '[[1,"x"]]')).toBeUndefined(); // no such shape
    expect(decodeCompactBatch('{"k":[["id"]],"d":[]}', '[[0,"x","y"]]')).toBeUndefined(); // too many values
    expect(decodeCompactBatch('{"k":[[["id"]]],"d":[]}', '[[0,0]]')).toBeUndefined(); // string index out of range
    expect(decodeCompactBatch('{"k":[[["id","x"]]],"d":["a"]}', '[[0,0]]')).toBeUndefined(); // bad coded key
    expect(decodeCompactBatch('{"k":[["payload"]],"d":[]}', '[[0,{"a":1}]]')).toBeUndefined(); // payload not a row
    expect(decodeCompactBatch('{"k":[["id"]],"d":[]}', '[[0,"x"]]')).toEqual([{ id: 'x' }]);
  });
});
