/**
 * Bad input through an observer with redaction on (issue 12, "Bad input"): a 10 MB string, binary
 * values, a cyclic payload and deep nesting reach storage and exporters without a secret in clear
 * and without a throw into the host; each is counted with its reason.
 */
import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { recordingExporter } from '../support/recording-exporter.js';

const AWS_ID = 'AKIAIOSFODNN7EXAMPLE';

describe('redaction on bad input, through the observer', () => {
  it('10 MB strings, binary values, cycles and deep nesting: no throw, no secret in clear, each counted', async () => {
    const exporter = recordingExporter();
    const observer = createObserver({ analyzers: [], exporters: [exporter], redact: true, onError: () => {} });
    const huge = `key ${AWS_ID} ${'x'.repeat(10 * 1024 * 1024)} key ${AWS_ID}`;
    const cyclic: Record<string, unknown> = { note: `id ${AWS_ID}` };
    cyclic.self = cyclic;
    let deep: unknown = `id ${AWS_ID}`;
    for (let i = 0; i < 200; i++) deep = { d: deep };
    const binary = Buffer.from(`id ${AWS_ID}`);
    expect(() => {
      observer.emit({ type: 'tool.end', payload: { toolName: 'Read', status: 'success', output: huge } });
      observer.emit({ type: 'log', payload: { message: 'cyclic', fields: cyclic } });
      observer.emit({ type: 'log', payload: { message: 'deep', fields: { deep } } });
      observer.emit({ type: 'log', payload: { message: 'binary', fields: { binary, bytes: new Uint8Array(binary) } } });
    }).not.toThrow();
    await observer.flush();
    const stored = JSON.stringify((await observer.query({})).events);
    const exported = JSON.stringify(exporter.events);
    for (const text of [stored, exported]) {
      expect(text).not.toContain(AWS_ID);
      // The bytes of the binary values are not the key in clear either, in any encoding JSON gives them.
      expect(text).not.toContain(Buffer.from(AWS_ID).toString('base64'));
    }
    const stats = observer.stats();
    // The core sanitizes first, each with its reason: the string cut (its tail, second key included,
    // is not kept at all), the cycle cut, the depth cut, the binary values summarized.
    expect(stats.sanitized).toEqual({ truncated: 1, circular: 1, max_depth: 1, non_json: 1 });
    // 4 host events and the one redaction.findings summary.
    expect(stats.events).toMatchObject({ emitted: 5, accepted: 5, invalid: 0 });
    const redaction = stats.transforms.redaction as { findings: Record<string, number>; eventsWithFindings: number };
    // The key at the head of the long string and the one in the cyclic payload (the deep one is past the cut).
    expect(redaction.findings).toEqual({ aws_key: 2 });
    expect(redaction.eventsWithFindings).toBe(2);
    await observer.close();
  });
});
