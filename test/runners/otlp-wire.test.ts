/**
 * The wire reader of OTLP logs requests (otlp-wire.ts) against the official path: the same bytes,
 * encoded by protobufjs from the opentelemetry-proto schema and by the real OTel SDK proto exporter,
 * read both ways (the wire walk, and protobufjs's decoded tree) must give the same records. Then
 * hostile bytes: refused whole with a reason, never thrown past `decodeOtlp`, never a partial read.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeOtlp, decodeProtobufTree, readOtlp, type OtlpLogRecord, type OtlpMessage } from '../../src/runners/otlp-decode.js';
import { OTLP_DESCRIPTOR } from '../../src/runners/otlp-descriptor.js';
import { LogsWire, MAX_WIRE_DEPTH, type ProtobufWireModule } from '../../src/runners/otlp-wire.js';

const Logs = protobuf.Root.fromJSON(OTLP_DESCRIPTOR).lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
const encode = (request: Record<string, unknown>) => Buffer.from(Logs.encode(Logs.fromObject(request)).finish());

function records(message: OtlpMessage): OtlpLogRecord[] {
  const out: OtlpLogRecord[] = [];
  readOtlp(message, { log: (r) => out.push(r), span: () => {}, point: () => {} });
  return out;
}
const viaWire = async (body: Buffer) => records(await decodeOtlp('logs', 'protobuf', body));
const viaTree = async (body: Buffer) => records(await decodeProtobufTree('logs', body));

const str = (s: string) => ({ string_value: s });
/** Every AnyValue member, nesting, 64-bit edges, missing keys and values, several resources and scopes. */
const RICH = {
  resource_logs: [
    {
      resource: { attributes: [{ key: 'service.name', value: str('claude-code') }, { key: 'host.arch', value: str('arm64') }] },
      scope_logs: [
        {
          scope: { name: 'com.anthropic.claude_code.events', version: '2.1.132' },
          log_records: [
            {
              time_unix_nano: '1764849600123456789',
              observed_time_unix_nano: '1764849600999000000',
              severity_number: 9,
              severity_text: 'INFO',
              event_name: 'claude_code.api_request',
              trace_id: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'),
              span_id: Buffer.from('b7ad6b7169203331', 'hex'),
              body: str('claude_code.api_request'),
              attributes: [
                { key: 'model', value: str('claude-sonnet-4-5') },
                { key: 'input_tokens', value: { int_value: 1200 } },
                { key: 'big', value: { int_value: '9007199254740993' } },
                { key: 'negative', value: { int_value: '-42' } },
                { key: 'cost_usd', value: { double_value: 0.0123 } },
                { key: 'success', value: { bool_value: true } },
                { key: 'off', value: { bool_value: false } },
                { key: 'blob', value: { bytes_value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) } },
                { key: 'empty_bytes', value: { bytes_value: Buffer.alloc(0) } },
                { key: 'list', value: { array_value: { values: [str('a'), { int_value: 2 }, { array_value: { values: [{ bool_value: true }] } }] } } },
                { key: 'map', value: { kvlist_value: { values: [{ key: 'k', value: str('v') }, { key: 'n', value: { kvlist_value: { values: [{ key: 'deep', value: { double_value: 1.5 } }] } } }] } } },
                { key: 'empty_list', value: { array_value: {} } },
                { key: 'no_value' },
                { value: str('no key') },
                { key: 'empty_value', value: {} },
                { key: '__proto__', value: str('stays data') },
                { key: 'model', value: str('overwritten later wins') },
                { key: 'unicode', value: str('é✓ 日本 🎉') },
                { key: 'clé', value: str('a non-ASCII key, met again below') },
              ],
            },
            { observed_time_unix_nano: '1764849601000000000', body: { kvlist_value: { values: [{ key: 'a', value: { int_value: 1 } }] } } },
            { time_unix_nano: '1', severity_number: 17 },
            {},
          ],
        },
        { log_records: [{ time_unix_nano: '1764849602000000000', body: str('no scope'), attributes: [{ key: 'x', value: str('y') }, { key: 'clé', value: str('again') }, { key: 'model', value: str('a key met before') }] }] },
      ],
    },
    { scope_logs: [{ scope: { name: 'second' }, log_records: [{ time_unix_nano: '1764849603000000000', body: { double_value: -0.5 } }] }] },
    {},
  ],
};

describe('OTLP logs read from the wire against protobufjs', () => {
  it('gives the same records as the decoded tree: every value kind, nesting, 64-bit integers, missing keys and values', async () => {
    const body = encode(RICH);
    const wire = await viaWire(body);
    expect(wire).toStrictEqual(await viaTree(body));
    expect(wire).toHaveLength(6);
    // Hand-known values, so the comparison cannot pass on two equally wrong readings.
    expect(wire[0]!.timeMs).toBe(1764849600123.456789);
    expect(wire[0]!.attributes.big).toBe(9007199254740992); // 2^53 + 1 read as a double
    expect(wire[0]!.attributes.negative).toBe(-42);
    expect(wire[0]!.attributes.model).toBe('overwritten later wins');
    expect(wire[0]!.attributes.blob).toBe('deadbeef');
    expect(wire[0]!.attributes.list).toStrictEqual(['a', 2, [true]]);
    expect(wire[0]!.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(wire[1]!.timeMs).toBe(1764849601000);
    expect(wire[4]!.scope).toBe('');
    expect(wire[4]!.attributes).toStrictEqual(Object.assign(Object.create(Object.getPrototypeOf(wire[4]!.attributes) as object), { x: 'y', clé: 'again', model: 'a key met before' }));
    expect(wire[5]!.scope).toBe('second');
  });

  it('gives the same records for Claude Code-shaped requests sent by the real OTel SDK proto exporter', async () => {
    const bodies: Buffer[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`;
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.1.132' }),
        processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url }) })],
      });
      const logger = provider.getLogger('com.anthropic.claude_code.events');
      logger.emit({ body: 'claude_code.api_request', attributes: { 'session.id': 's-1', model: 'claude-sonnet-4-5', input_tokens: 1000, cost_usd: 0.0085, request_id: 'req_1' } });
      logger.emit({ body: 'claude_code.tool_result', severityNumber: 9, attributes: { 'session.id': 's-1', tool_name: 'Bash', success: 'false', error_type: 'exit 1' } });
      await provider.forceFlush();
      await provider.shutdown();
    } finally {
      server.close();
    }
    expect(bodies).toHaveLength(2);
    for (const body of bodies) expect(await viaWire(body)).toStrictEqual(await viaTree(body));
    expect((await viaWire(bodies[0]!))[0]!.attributes).toMatchObject({ model: 'claude-sonnet-4-5', input_tokens: 1000, cost_usd: 0.0085 });
  });
});

/** A length-delimited field: tag, length, bytes. */
const len = (field: number, bytes: Uint8Array) => Buffer.concat([Buffer.from([(field << 3) | 2]), varint(bytes.length), bytes]);
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

describe('hostile OTLP logs bytes', () => {
  const refused = async (body: Uint8Array) => decodeOtlp('logs', 'protobuf', body).then(() => undefined, (error: Error) => error.message);

  it('refuses a truncated varint, a length beyond the buffer, a wrong wire type and an unknown wire type, with the reason', async () => {
    expect(await refused(Buffer.from([0x0a, 0xff, 0xff]))).toMatch(/truncated \(index out of range/);
    expect(await refused(Buffer.from([0x0a, 0x05, 0x01]))).toMatch(/length beyond/);
    expect(await refused(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toMatch(/length beyond/);
    // resource_logs (field 1) as a varint instead of a message.
    expect(await refused(Buffer.from([0x08, 0x01]))).toMatch(/wire type 0, expected 2/);
    // Wire type 3 (a group), never used by OTLP.
    expect(await refused(Buffer.from([0x0b]))).toMatch(/wire type 3, expected 2/);
    expect(await refused(Buffer.from([0x7b]))).toMatch(/unsupported wire type 3/);
    // An eleven-byte varint.
    expect(await refused(Buffer.from([0x78, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).toMatch(/longer than 10 bytes/);
    // A fixed64 time cut short inside a record.
    const record = Buffer.from([0x09, 1, 2, 3]);
    expect(await refused(len(1, len(2, len(2, record))))).toMatch(/truncated/);
    // Unknown fields of every wire type are skipped, as protobuf says.
    const unknown = Buffer.concat([Buffer.from([0x78, 0x05]), Buffer.from([0x79]), Buffer.alloc(8), Buffer.from([0x7d]), Buffer.alloc(4), len(15, Buffer.from('x'))]);
    expect(await refused(unknown)).toBeUndefined();
  });

  it(`refuses nesting deeper than ${MAX_WIRE_DEPTH} levels without overflowing the stack, and accepts it just below`, async () => {
    const nested = (levels: number) => {
      // AnyValue { array_value { values: [ ... AnyValue { bool_value: true } ] } }, prefixes built inside out.
      const core = Buffer.from([0x10, 0x01]);
      const prefixes: Buffer[] = [];
      let size = core.length;
      for (let i = 0; i < levels; i++) {
        for (const field of [1, 5]) {
          const prefix = Buffer.concat([Buffer.from([(field << 3) | 2]), varint(size)]);
          prefixes.push(prefix);
          size += prefix.length;
        }
      }
      const value = Buffer.concat([...prefixes.reverse(), core]);
      return len(1, len(2, len(2, len(5, value)))); // request → resource_logs → scope_logs → log_records → body
    };
    expect(await refused(nested(100_000))).toMatch(/nested deeper/);
    const fine = nested(25);
    expect(await refused(fine)).toBeUndefined();
    expect(await viaWire(fine)).toStrictEqual(await viaTree(fine));
  });

  it('never throws past decodeOtlp, nor while reading, for any truncation or any single corrupted byte of a real request', async () => {
    const body = encode(RICH);
    let accepted = 0;
    for (let cut = 0; cut < body.length; cut++) {
      const message = await decodeOtlp('logs', 'protobuf', body.subarray(0, cut)).catch(() => undefined);
      if (message !== undefined) {
        accepted++;
        expect(() => records(message)).not.toThrow();
      }
    }
    for (let i = 0; i < body.length; i++) {
      for (const byte of [0x00, 0xff, body[i]! ^ 0x07]) {
        const corrupt = Buffer.from(body);
        corrupt[i] = byte;
        const message = await decodeOtlp('logs', 'protobuf', corrupt).catch(() => undefined);
        if (message !== undefined) expect(() => records(message)).not.toThrow();
      }
    }
    // Cutting at a field boundary of the request leaves a valid (shorter) request: a few cuts pass.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(body.length / 10);
  });
});

describe('the wire tables come from the schema', () => {
  const wire = new LogsWire(protobuf as unknown as ProtobufWireModule);
  const logRecord = (OTLP_DESCRIPTOR as any).nested.opentelemetry.nested.proto.nested.logs.nested.v1.nested.LogRecord.fields;

  it('gives each field the number and wire type the descriptor gives it', () => {
    const table = wire.fieldsOf('opentelemetry.proto.logs.v1.LogRecord')!;
    // event_name: string (wire type 2) at 12; time_unix_nano: fixed64 (1) at 1; flags: fixed32 (5) at 8; severity_number: an enum (0) at 2.
    expect([logRecord.event_name.id, logRecord.time_unix_nano.id, logRecord.flags.id, logRecord.severity_number.id]).toStrictEqual([12, 1, 8, 2]);
    expect(table[12]).toMatchObject({ name: 'event_name', wire: 2 });
    expect(table[1]).toMatchObject({ name: 'time_unix_nano', wire: 1 });
    expect(table[8]).toMatchObject({ name: 'flags', wire: 5 });
    expect(table[2]).toMatchObject({ name: 'severity_number', wire: 0 });
    expect(table[4]).toBeUndefined(); // reserved in logs.proto
  });

  it('reads a field where a changed schema puts it, and skips it as unknown under the official one', () => {
    const moved = structuredClone(OTLP_DESCRIPTOR) as any;
    moved.nested.opentelemetry.nested.proto.nested.logs.nested.v1.nested.LogRecord.fields.event_name.id = 13;
    const root = protobuf.Root.fromJSON(moved);
    const MovedLogs = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
    const body = Buffer.from(MovedLogs.encode(MovedLogs.fromObject({ resource_logs: [{ scope_logs: [{ log_records: [{ event_name: 'moved', time_unix_nano: '2000000' }] }] }] })).finish());
    const read = (w: LogsWire) => {
      const out: OtlpLogRecord[] = [];
      w.check(body).read((r) => out.push(r));
      return out;
    };
    const movedWire = new LogsWire(protobuf as unknown as ProtobufWireModule, root as never);
    expect(read(movedWire)[0]!.eventName).toBe('moved');
    expect(read(wire)[0]!.eventName).toBeUndefined();
    expect(read(wire)[0]!.timeMs).toBe(2);
  });
});
