/**
 * Redaction as the observer applies it: before storage and before each exporter, a policy per
 * sink, counts in stats(), findings on the bus as `redaction.findings`, fail closed.
 */
import { describe, expect, it } from 'vitest';
import { createObserver, createCoreObserver, type EventTransform, type Exporter, type FleetEvent } from '../../src/index.js';
import { recordingExporter } from '../support/recording-exporter.js';
import { redaction, type RedactionFindingsPayload } from '../../src/redaction/index.js';

const AWS_ID = 'AKIAIOSFODNN7EXAMPLE';
const EMAIL = 'alice.smith@example.com';

describe('redaction in the observer', () => {
  it('by default masks secrets before exporters and leaves storage whole', async () => {
    const exporter = recordingExporter();
    const observer = createObserver({ analyzers: [], exporters: [exporter] });
    observer.emit({ type: 'tool.end', payload: { toolName: 'Bash', status: 'success', output: `id ${AWS_ID} mail ${EMAIL}` } });
    await observer.flush();
    const exported = exporter.events.find((e) => e.type === 'tool.end')!;
    // Secrets only by default: the email stays, the key id goes.
    expect((exported.payload as { output: string }).output).toBe(`id [REDACTED:aws_key] mail ${EMAIL}`);
    const stored = (await observer.query({ types: ['tool.end'] })).events[0]!;
    expect((stored.payload as { output: string }).output).toContain(AWS_ID);
    await observer.close();
  });

  it('redact: true masks every category before storage and exporters, counts per category', async () => {
    const exporter = recordingExporter();
    const observer = createObserver({ analyzers: [], exporters: [exporter], redact: true });
    observer.emit({ type: 'message', payload: { role: 'user', text: `mail ${EMAIL}, card 4111 1111 1111 1111` } });
    observer.emit({ type: 'log', payload: { message: 'ok', fields: { password: 'hunter22', n: 3 } }, attributes: { ip: '10.1.2.3' } });
    await observer.flush();
    const stored = (await observer.query({ types: ['message', 'log'] })).events;
    expect((stored[0]!.payload as { text: string }).text).toBe('mail [REDACTED:email], card [REDACTED:credit_card]');
    expect(stored[1]!.payload).toEqual({ message: 'ok', fields: { password: '[REDACTED:secret_field]', n: 3 } });
    expect(stored[1]!.attributes).toEqual({ ip: '[REDACTED:ip_address]' });
    expect((exporter.events.find((e) => e.type === 'message')!.payload as { text: string }).text).not.toContain(EMAIL);
    const stats = observer.stats().transforms.redaction as { findings: Record<string, number>; eventsWithFindings: number; sinks: Record<string, { redactedEvents: number }> };
    // Each event is scanned once even though it reaches two sinks.
    expect(stats.findings).toEqual({ email: 1, credit_card: 1, secret_field: 1, ip_address: 1 });
    expect(stats.eventsWithFindings).toBe(2);
    expect(stats.sinks['storage:memory']!.redactedEvents).toBe(2);
    expect(stats.sinks['exporter:rec']!.redactedEvents).toBe(2);
    await observer.close();
  });

  it('counts each event and each finding once across sinks, clean events included', async () => {
    // Two sinks see every event: 3 clean events (scanned again by the second sink, not kept) and 2 with findings.
    const exporter = recordingExporter();
    const observer = createObserver({ analyzers: [], exporters: [exporter], redact: true });
    for (let i = 0; i < 3; i++) observer.emit({ type: 'tool.end', payload: { toolName: 'Read', status: 'success', output: `line ${i} of a clean file` } });
    observer.emit({ type: 'message', payload: { role: 'user', text: `mail ${EMAIL} and ${EMAIL}` } });
    observer.emit({ type: 'tool.end', payload: { toolName: 'Bash', status: 'success', output: `id ${AWS_ID}` } });
    await observer.flush();
    const stats = observer.stats().transforms.redaction as { scannedEvents: number; findings: Record<string, number>; eventsWithFindings: number; sessions: number; sinks: Record<string, { redactedEvents: number }> };
    // 5 host events + the redaction.findings summaries, which every sink also receives (not scanned for secrets).
    const summaries = exporter.events.filter((e) => e.type === 'redaction.findings').length;
    expect(summaries).toBeGreaterThanOrEqual(1);
    expect(stats.scannedEvents).toBe(5 + summaries);
    expect(stats.findings).toEqual({ email: 2, aws_key: 1 });
    expect(stats.eventsWithFindings).toBe(2);
    expect(stats.sinks).toEqual({ 'storage:memory': { redactedEvents: 2 }, 'exporter:rec': { redactedEvents: 2 } });
    await observer.close();
  });

  it('puts the findings on the bus without the values', async () => {
    const observer = createObserver({ analyzers: [], redact: true, sessionId: 's-1' });
    const seen: FleetEvent[] = [];
    observer.on('redaction.findings', (e) => seen.push(e));
    observer.emit({ type: 'tool.end', payload: { toolName: 'Bash', status: 'success', output: `AWS_SECRET_ACCESS_KEY=abc123def456ghi\nid ${AWS_ID}` } });
    await observer.flush();
    expect(seen).toHaveLength(1);
    const payload = seen[0]!.payload as unknown as RedactionFindingsPayload;
    expect(payload.byCategory).toEqual({ env_secret: 1, aws_key: 1 });
    expect(payload.sessions).toEqual(['s-1']);
    expect(payload.findings.map((f) => [f.category, f.path, f.offset, f.length])).toEqual([
      ['env_secret', 'payload.output', 22, 15],
      ['aws_key', 'payload.output', 41, 20],
    ]);
    expect(JSON.stringify(payload)).not.toContain('abc123def456ghi');
    expect(JSON.stringify(payload)).not.toContain(AWS_ID);
    await observer.close();
  });

  it('per sink: off for one exporter, hash for another, drop for storage', async () => {
    const plain = recordingExporter('plain');
    const hashed = recordingExporter('hashed');
    const observer = createCoreObserver({
      exporters: [plain, hashed],
      storage: undefined,
      transforms: [redaction({ hashKey: 'k', sinks: { plain: false, hashed: { mode: 'hash' } } })],
    });
    observer.emit({ type: 'message', payload: { role: 'user', text: `to ${EMAIL}` } });
    observer.emit({ type: 'message', payload: { role: 'user', text: `cc ${EMAIL}` } });
    await observer.flush();
    const texts = (ex: { events: FleetEvent[] }) => ex.events.filter((e) => e.type === 'message').map((e) => (e.payload as { text: string }).text);
    expect(texts(plain)).toEqual([`to ${EMAIL}`, `cc ${EMAIL}`]);
    const [a, b] = texts(hashed);
    const hash = /\[REDACTED:email:hmac:([0-9a-f]{16})\]/;
    // Equal values give equal hashes: joinable without being readable.
    expect(a!.match(hash)![1]).toBe(b!.match(hash)![1]);
    expect(a).not.toContain('alice');
    await observer.close();
  });

  it('passes events without findings through as the same objects', async () => {
    const exporter = recordingExporter();
    const observer = createCoreObserver({ exporters: [exporter], transforms: [redaction()] });
    const event = observer.emit({ type: 'llm.call', payload: { model: 'claude-sonnet-4-5', status: 'success', inputTokens: 10 } })!;
    await observer.flush();
    expect(exporter.events[0]).toBe(event);
    await observer.close();
  });

  it('a failing transform withholds the batch from that sink and is counted (fail closed)', async () => {
    const exporter = recordingExporter();
    const broken: EventTransform = {
      name: 'broken',
      forSink: () => () => {
        throw new Error('boom');
      },
    };
    const errors: string[] = [];
    const observer = createCoreObserver({ exporters: [exporter], transforms: [broken], onError: (e) => errors.push(e.message) });
    observer.emit({ type: 'message', payload: { role: 'user', text: 'x' } });
    await observer.flush();
    expect(exporter.events.filter((e) => e.type === 'message')).toHaveLength(0);
    expect(observer.stats().transforms.withheldBatches).toBeGreaterThanOrEqual(1);
    expect(observer.stats().plugins.broken!.errors).toBeGreaterThanOrEqual(1);
    expect(errors.some((m) => m.includes('boom'))).toBe(true);
    await observer.close();
  });

  it('past maxFindings an event is still redacted and counted, its findings beyond the cap not listed (counted as unlisted)', async () => {
    const exporter = recordingExporter();
    const observer = createObserver({ analyzers: [], exporters: [exporter], redact: { maxFindings: 2 } });
    const seen: FleetEvent[] = [];
    observer.on('redaction.findings', (e) => seen.push(e));
    // 5 e-mail addresses in the payload, 1 key id in the attributes: 6 findings, 2 listed, 4 counted only.
    const mails = ['a1', 'b2', 'c3', 'd4', 'e5'].map((u) => `${u}@example.com`).join(' ');
    observer.emit({ type: 'message', payload: { role: 'user', text: mails }, attributes: { key: `id ${AWS_ID}` } });
    await observer.flush();
    const stored = (await observer.query({ types: ['message'] })).events[0]!;
    expect((stored.payload as { text: string }).text).toBe(Array(5).fill('[REDACTED:email]').join(' '));
    expect(stored.attributes).toEqual({ key: 'id [REDACTED:aws_key]' });
    const stats = observer.stats().transforms.redaction as { findings: Record<string, number>; unlistedFindings: number };
    expect(stats.findings).toEqual({ email: 5, aws_key: 1 });
    expect(stats.unlistedFindings).toBe(4); // 6 - 2: emails 3-5 and the key id
    const payload = seen[0]!.payload as unknown as RedactionFindingsPayload;
    expect(payload.byCategory).toEqual({ email: 5, aws_key: 1 });
    expect(payload.byGroup).toEqual({ secrets: 1, pii: 5 });
    expect(payload.findings.map((f) => [f.category, f.path, f.offset])).toEqual([['email', 'payload.text', 0], ['email', 'payload.text', 15]]);
    expect(payload.omitted).toBe(4);
    await observer.close();
  });

  it('rejects an unknown category or mode at construction', () => {
    expect(() => createObserver({ redact: { categories: ['secretz' as never] } })).toThrow(/unknown category "secretz"/);
    expect(() => redaction({ mode: 'blur' as never })).toThrow(/unknown mode "blur"/);
    expect(() => redaction({ maxFindings: -1 })).toThrow(/maxFindings must be an integer/);
  });
});
