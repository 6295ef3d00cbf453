/**
 * The byte-level reader of usage lines (`readUsageLine`) against `JSON.parse`: on every usage line
 * of the real transcripts (../shared/real-cc, read in place) and of generated ones, what it reads
 * equals what `toUsageEntry(JSON.parse(line))` gives; lines it does not know are left to
 * `JSON.parse` (false), never misread.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toUsageEntry } from '../../src/runners/claude-code-transcript.js';
import { blankRec, interner, RecTable, scanFile } from '../../src/runners/claude-code-usage-files.js';
import { NO_TIMESTAMP, readUsageLine, topLevelTimestamp, UNSURE, usageLineOf, type UsageLine } from '../../src/runners/claude-code-usage-scan.js';

const REAL = join(import.meta.dirname, '..', '..', '..', 'shared', 'real-cc', 'transcripts');

function jsonlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return jsonlFiles(full);
    return name.endsWith('.jsonl') ? [full] : [];
  });
}

const blank = (): UsageLine => ({ timestamp: '', model: undefined, fast: false, input: 0, output: 0, cacheWrite: 0, cacheWrite1h: 0, cacheRead: 0, costUSD: undefined, cost: 0, key: undefined, sessionId: undefined, agentId: undefined, sidechain: false });

/** The slow path's reading of a line: JSON.parse, then toUsageEntry (undefined when malformed or not counted). */
function parsedLine(line: string): UsageLine | undefined {
  let entry;
  try {
    entry = toUsageEntry(JSON.parse(line));
  } catch {
    return undefined;
  }
  return entry === undefined ? undefined : usageLineOf(entry, blank());
}

/** The fast path's reading of `line`, here placed between other bytes of a buffer as in a read chunk. */
function fastLine(line: string): UsageLine | undefined {
  const before = '{"type":"user","usage":1}\n';
  const buf = Buffer.from(`${before}${line}\n{"usage":{"input_tokens":9`);
  const start = Buffer.byteLength(before);
  const out = blank();
  return readUsageLine(buf, start, start + Buffer.byteLength(line), out) ? out : undefined;
}

const LINE = (parts: { head?: string; message?: string; tail?: string }) =>
  `{"parentUuid":null,"isSidechain":false,"cwd":"/home/dev/app","sessionId":"s-1","version":"2.1.15",${parts.head ?? ''}"message":${
    parts.message ??
    '{"model":"claude-sonnet-4-5-20250929","id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"hi \\"there\\" {["}],"usage":{"input_tokens":3,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"cache_creation":{"ephemeral_5m_input_tokens":60,"ephemeral_1h_input_tokens":40},"output_tokens":7,"service_tier":"standard"}}'
  },"requestId":"req_1","type":"assistant","uuid":"u-1","timestamp":"2025-03-01T10:00:00.000Z"${parts.tail ?? ''}}`;

describe('readUsageLine', () => {
  it('reads a plain usage line as JSON.parse does (figures by hand)', () => {
    const line = LINE({});
    const u = fastLine(line)!;
    expect(u).toEqual(parsedLine(line));
    // Sonnet 4.5: $3 input, $15 output, $3.75 cache write, $0.30 cache read per million tokens.
    const cost = (3 * 3 + 7 * 15 + 100 * 3.75 + 2000 * 0.3) / 1e6;
    expect(u).toMatchObject({ timestamp: '2025-03-01T10:00:00.000Z', model: 'claude-sonnet-4-5-20250929', input: 3, output: 7, cacheWrite: 100, cacheRead: 2000, cacheWrite1h: 40, key: 'msg_1:req_1', sessionId: 's-1', sidechain: false, fast: false });
    expect(u.cost).toBeCloseTo(cost, 12);
  });

  it('reads the same values again on the next line (strings reused while their bytes repeat)', () => {
    const a = LINE({});
    const b = LINE({ message: '{"model":"claude-sonnet-4-5-20250929","id":"msg_2","usage":{"input_tokens":5,"output_tokens":6}}' });
    for (const line of [a, a, b, a, LINE({ head: '"agentId":"é1",' }), LINE({ head: '"agentId":"\u00e91",' })]) expect(fastLine(line), line).toEqual(parsedLine(line));
  });

  it("builds the id:requestId key from the line's bytes, new whenever either part changes", () => {
    const msg = (id: string) => `{"model":"claude-sonnet-4-5-20250929","id":"${id}","usage":{"input_tokens":1,"output_tokens":2}}`;
    const lines: Array<[string, string]> = [
      [LINE({ message: msg('msg_1') }), 'msg_1:req_1'],
      [LINE({ message: msg('msg_1') }), 'msg_1:req_1'], // a streamed copy: the same key
      [LINE({ message: msg('msg_1'), tail: ',"requestId":"req_2"' }), 'msg_1:req_2'], // the last requestId wins
      [LINE({ message: msg('msg_2') }), 'msg_2:req_1'],
      [LINE({ message: msg('msg_\\u0032') }), 'msg_2:req_1'], // an escaped id, decoded as JSON.parse does
      [LINE({ message: msg('msg_2') }), 'msg_2:req_1'], // the same text unescaped, read from the bytes again
      [LINE({ message: msg('m\\u00e9') }), 'm\u00e9:req_1'],
      [LINE({ message: msg('mé') }), 'mé:req_1'], // the same text as the escaped one, from UTF-8 bytes
      [LINE({ message: msg('msg_2x') }), 'msg_2x:req_1'], // one byte longer than an earlier key
    ];
    for (const [line, key] of lines) {
      expect(fastLine(line)?.key, line).toBe(key);
      expect(parsedLine(line)?.key, line).toBe(key);
    }
  });

  it('agrees with JSON.parse on odd but valid lines: escapes, numbers, duplicate keys, whitespace, fields of the wrong type', () => {
    const lines = [
      LINE({ head: '"costUSD":1.5e-3,' }),
      LINE({ head: '"cwd":"/home/d\\u00e9v/\\"x\\"",' }),
      LINE({ head: '"cwd":null,' }), // wrong type: the line does not count
      LINE({ head: '"isApiErrorMessage":"yes",' }),
      LINE({ head: '"agentId":"a1b2",' }),
      LINE({ tail: ',"timestamp":"2025-03-02T10:00:00Z"' }), // duplicate key: the last wins
      LINE({ tail: ',"version":"bad"' }),
      LINE({ message: '{"model":"claude-opus-4-6","id":"m2","usage":{"input_tokens":1,"output_tokens":2,"speed":"fast"}}' }),
      LINE({ message: '{"id":"m3","usage":{"input_tokens":1.0,"output_tokens":-0,"cache_read_input_tokens":null}}' }),
      LINE({ message: '{"id":"m4","content":[],"usage":{"input_tokens":12345678901234567,"output_tokens":2}}' }),
      LINE({ message: '{"model":"","usage":{"input_tokens":1,"output_tokens":2}}' }),
      LINE({ message: ' { "id" : "m5" , "usage" : { "input_tokens" : 1 , "output_tokens" : 2 } } ' }),
      `${LINE({})}   `,
    ];
    // Each line that counts is read by the fast path; those that do not count are left to JSON.parse.
    for (const line of lines) expect(fastLine(line), line).toEqual(parsedLine(line));
    expect(lines.filter((l) => fastLine(l) !== undefined).length).toBe(8);
  });

  it("reads a line after another of another key order as JSON.parse does (the last line's key order is only a guess)", () => {
    const primer = LINE({});
    const usage = '"usage":{"input_tokens":3,"output_tokens":7}';
    const lines = [
      // keys in another order at every level
      `{"timestamp":"2025-03-01T11:00:00.000Z","message":{"usage":{"output_tokens":9,"input_tokens":4},"id":"m9","model":"claude-sonnet-4-5-20250929"},"requestId":"r9","sessionId":"s-9"}`,
      // a key that starts like the expected one, and one that the expected one starts like
      LINE({}).replace('"sessionId":"s-1"', '"sessionIdx":"s-2"'),
      LINE({}).replace('"sessionId":"s-1"', '"session":"s-2"'),
      // whitespace where the last line had none
      LINE({}).replace('"sessionId":"s-1"', '"sessionId" : "s-3"'),
      // escaped quotes in a value that spell the next keys
      LINE({}).replace('"cwd":"/home/dev/app"', '"cwd":"/a/\\",\\"sessionId\\":\\"s-x\\",\\"b\\":\\""'),
      // usage, timestamp and ids nested deeper than where they count
      LINE({ message: `{"model":"claude-haiku-4-5-20251001","id":"m7","content":[{"type":"tool_use","id":"t","name":"Bash","input":{${usage.replace('3', '999')},"timestamp":"2020-01-01T00:00:00.000Z","id":"inner"}}],"extra":{"usage":{"input_tokens":5,"output_tokens":5}},${usage}}` }),
      // a key repeated where the last line had another one
      LINE({}).replace('"isSidechain":false', '"requestId":"early","isSidechain":true'),
    ];
    for (const line of lines) {
      fastLine(primer);
      expect(fastLine(line), line).toEqual(parsedLine(line));
      expect(fastLine(line), line).toBeDefined();
    }
    // A key spelled with an escape is the same key to JSON.parse: left to it, never skipped as unknown.
    fastLine(primer);
    const escaped = LINE({}).replace('"sessionId":"s-1"', '"session\\u0049d":"s-4"');
    expect(parsedLine(escaped)?.sessionId).toBe('s-4');
    expect(fastLine(escaped)).toBeUndefined();
  });

  it('refuses the line cut at any byte, after a line of the same key order', () => {
    const line = LINE({ message: '{"model":"claude-sonnet-4-5-20250929","id":"msg_1","content":[{"type":"tool_use","id":"t","name":"Bash","input":{"command":"echo \\"}\\"","n":[1,{"a":null}]}}],"usage":{"input_tokens":3,"cache_creation":{"ephemeral_1h_input_tokens":40},"output_tokens":7}}' });
    expect(parsedLine(line)).toBeDefined();
    for (let cut = 1; cut < line.length; cut++) {
      fastLine(line);
      const torn = line.slice(0, cut);
      expect(fastLine(torn), torn).toEqual(parsedLine(torn));
      // and a torn line followed by a whole one (a crash, then the next write)
      fastLine(line);
      const joined = `${torn}${line}`;
      expect(fastLine(joined), joined).toEqual(parsedLine(joined));
    }
  });

  it('leaves to JSON.parse what it does not read: torn, Task calls, tool results, progress, bad content, escaped keys', () => {
    const left = [
      LINE({}).slice(0, -20),
      `${LINE({})},`,
      LINE({ message: '{"id":"m","content":[{"type":"tool_use","id":"t1","name":"Task","input":{}}],"usage":{"input_tokens":1,"output_tokens":2}}' }),
      LINE({ message: '{"id":"m","content":[{"type":"tool_result","tool_use_id":"t1","content":"x"}],"usage":{"input_tokens":1,"output_tokens":2}}' }),
      LINE({ message: '{"id":"m","content":[{"type":"text","text":5}],"usage":{"input_tokens":1,"output_tokens":2}}' }),
      LINE({ message: '{"id":"m","content":["x"],"usage":{"input_tokens":1,"output_tokens":2}}' }),
      LINE({ message: '{"id":"m","content":"plain","usage":{"input_tokens":1,"output_tokens":2}}' }),
      LINE({ message: '{"id":"m","usage":{"input_tokens":01,"output_tokens":2}}' }),
      LINE({ message: '{"id":"m"}', tail: ',"usage":{"input_tokens":1,"output_tokens":2}' }),
      LINE({ head: '"ti\\u006destamp":"2020-01-01T00:00:00Z",' }),
      LINE({ head: '"type":"progress",' }),
      LINE({ head: '"x":tru,' }),
    ];
    for (const line of left) expect(fastLine(line), line).toBeUndefined();
  });

  it.skipIf(!statSync(REAL, { throwIfNoEntry: false })?.isDirectory())('equals JSON.parse on every usage line of the real transcripts', () => {
    let read = 0;
    let left = 0;
    for (const file of jsonlFiles(REAL)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.includes('"usage"')) continue;
        const u = fastLine(line);
        if (u === undefined) {
          left++;
          continue;
        }
        read++;
        expect(u, line.slice(0, 200)).toEqual(parsedLine(line));
      }
    }
    // The fast path reads nearly every usage line of the corpus (Task calls, progress lines and a few others are left).
    expect(read).toBeGreaterThan(1000);
    expect(read).toBeGreaterThan(left * 3);
  });
});

/** ccusage's `getEarliestTimestamp`: the least top-level `timestamp` of the lines `JSON.parse` reads. */
function earliestByParse(lines: readonly string[]): number {
  let least = Number.POSITIVE_INFINITY;
  for (const line of lines) {
    try {
      const ts = (JSON.parse(line) as { timestamp?: unknown }).timestamp;
      const t = typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
      if (t < least) least = t;
    } catch {
      // skipped, as ccusage skips it
    }
  }
  return least;
}

describe("a file's earliest timestamp (ccusage's file order)", () => {
  it('reads a line ending with its timestamp from its tail, and still equals JSON.parse on torn lines and repeated keys', () => {
    const lines = [
      '{"type":"user","timestamp":"2025-06-02T00:00:00.000Z"}',
      // torn: the final } closes `x`, not the line; its earlier timestamp must not count
      '{"type":"user","x":{"a":1,"timestamp":"2025-03-01T00:00:00.000Z"}',
      // a repeated key: JSON.parse keeps the last (later) one, the first must not count
      '{"timestamp":"2025-04-01T00:00:00.000Z","type":"user","timestamp":"2025-08-01T00:00:00.000Z"}',
      // the top-level timestamp is not last (a tool result follows): found by the search
      '{"type":"user","timestamp":"2025-05-01T00:00:00.000Z","toolUseResult":{"timestamp":"2025-07-01T00:00:00.000Z"}}',
    ];
    const dir = mkdtempSync(join(tmpdir(), 'fleetscope-earliest-'));
    try {
      const file = join(dir, 'a.jsonl');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const stats = { files: 1, lines: 0, usageEntries: 0, duplicates: 0, malformed: 0, oversized: 0, unreadable: 0 };
      const scan = scanFile({ file, base: dir }, 1 << 20, stats, (iso) => iso.slice(0, 10), interner());
      expect(earliestByParse(lines)).toBe(Date.parse('2025-05-01T00:00:00.000Z'));
      expect(scan.earliest).toBe(earliestByParse(lines));
      expect(stats.malformed).toBe(1); // the torn line was parsed (its tail timestamp was earlier), and refused
      // Without the line read by the search, the tail of the first line is the earliest.
      writeFileSync(file, `${lines.slice(0, 3).join('\n')}\n`);
      expect(scanFile({ file, base: dir }, 1 << 20, stats, (iso) => iso.slice(0, 10), interner()).earliest).toBe(Date.parse('2025-06-02T00:00:00.000Z'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('topLevelTimestamp (the timestamp of a line that is not otherwise parsed)', () => {
  const at = (line: string): number | string => {
    const buf = Buffer.from(`{"x":1}\n${line}\n{"timestamp":"1999-01-01T00:00:00.000Z"}`);
    const i = topLevelTimestamp(buf, 8, 8 + Buffer.byteLength(line));
    return i < 0 ? i : buf.toString('utf8', i + 1, buf.indexOf(34, i + 1));
  };
  it('finds the top-level one only, the last of a repeated key, whatever the nesting and escapes around it', () => {
    expect(at('{"message":{"content":[{"timestamp":"2020-01-01T00:00:00.000Z"}]},"timestamp":"2025-05-01T00:00:00.000Z","toolUseResult":{"timestamp":"2021-01-01T00:00:00.000Z"}}')).toBe('2025-05-01T00:00:00.000Z');
    // a string holding escaped quotes and a fake key, then the real one
    expect(at('{"text":"a \\"timestamp\\":\\"2020-01-01\\" \\\\","timestamp":"2025-05-02T00:00:00.000Z","z":[1,{"timestamp":"x"}]}')).toBe('2025-05-02T00:00:00.000Z');
    expect(at('{"timestamp":"2025-04-01T00:00:00.000Z","timestamp":"2025-08-01T00:00:00.000Z"}')).toBe('2025-08-01T00:00:00.000Z');
    expect(at(' { "timestamp" : "2025-04-01T00:00:00.000Z" } ')).toBe('2025-04-01T00:00:00.000Z');
    expect(at('{"a":{"timestamp":"2020-01-01T00:00:00.000Z"},"b":2}')).toBe(NO_TIMESTAMP);
    expect(at('{"timestamp":"2020-01-01T00:00:00.000Z","timestamp":12}')).toBe(NO_TIMESTAMP); // JSON.parse keeps the number
    expect(at('{"timestamp":null}')).toBe(NO_TIMESTAMP);
  });
  it('answers UNSURE whenever only JSON.parse can tell: torn, an escaped key, trailing bytes, not an object', () => {
    expect(at('{"a":{"timestamp":"2020-01-01T00:00:00.000Z"}')).toBe(UNSURE);
    expect(at('{"a":"tr{"timestamp":"2020-01-01T00:00:00.000Z"}')).toBe(UNSURE);
    expect(at('{"time\\u0073tamp":"2020-01-01T00:00:00.000Z"}')).toBe(UNSURE);
    expect(at('{"timestamp":"2020-01-01T00:00:00.000Z"} x')).toBe(UNSURE);
    expect(at('{"timestamp":"2020-01-01T00:00:00.000Z",}')).toBe(UNSURE);
    expect(at('["timestamp"]')).toBe(UNSURE);
  });
  it("gives the file's earliest as JSON.parse does, an escaped key included", () => {
    const lines = [
      '{"type":"user","timestamp":"2025-06-02T00:00:00.000Z"}',
      '{"type":"user","message":{"content":[{"type":"tool_result","timestamp":"2025-01-01T00:00:00.000Z"}]},"timestamp":"2025-06-01T00:00:00.000Z","toolUseResult":{"timestamp":"2025-01-02T00:00:00.000Z"}}',
      '{"type":"user","time\\u0073tamp":"2025-05-03T00:00:00.000Z","toolUseResult":{}}',
      '{"type":"user","timestamp":"2025-05-01T00:00:00.000Z","toolUseResult":{"a":"tru}',
    ];
    const dir = mkdtempSync(join(tmpdir(), 'fleetscope-earliest-'));
    try {
      const file = join(dir, 'a.jsonl');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const stats = { files: 1, lines: 0, usageEntries: 0, duplicates: 0, malformed: 0, oversized: 0, unreadable: 0 };
      const scan = scanFile({ file, base: dir }, 1 << 20, stats, (iso) => iso.slice(0, 10), interner());
      expect(earliestByParse(lines)).toBe(Date.parse('2025-05-03T00:00:00.000Z'));
      expect(scan.earliest).toBe(earliestByParse(lines));
      expect(stats.malformed).toBe(1); // the torn last line: parsed, refused, its timestamp not counted
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RecTable (the records kept per file)', () => {
  it('gives back what was written, its repeating strings shared through the pool', () => {
    const pool = interner();
    const a = new RecTable(pool);
    const b = new RecTable(pool);
    const rec = (n: number) => ({
      ...blankRec(),
      key: `msg_${n}:req_${n}`,
      day: '2025-03-01',
      ts: `2025-03-01T10:00:0${n}.000Z`,
      model: n === 2 ? undefined : 'claude-sonnet-4-5-20250929',
      rawModel: n === 2 ? undefined : 'claude-sonnet-4-5-20250929',
      sessionId: 's-1',
      agentId: n === 1 ? 'a1' : undefined,
      input: n,
      output: 10 * n,
      costUSD: n === 1 ? 0.25 : undefined,
      cost: n / 4,
      fast: n === 1,
    });
    // 20 records: the table grows past its first 16 rows.
    for (let n = 0; n < 20; n++) (n % 2 === 0 ? a : b).push(rec(n));
    expect([a.length, b.length]).toEqual([10, 10]);
    const read = blankRec();
    for (let n = 0; n < 20; n++) {
      const t = n % 2 === 0 ? a : b;
      const row = (n - (n % 2)) / 2;
      expect(t.read(row, read)).toEqual({ ...rec(n), dropped: false });
    }
    // Two tables, one pool: the same text is the same string, and a day set later reads back.
    b.setString(0, 'day', '2025-03-02');
    expect(b.string(0, 'day')).toBe('2025-03-02');
    expect(b.string(1, 'day')).toBe('2025-03-01');
    expect(b.string(0, 'model')).toBe(a.string(0, 'model'));
    expect(a.string(1, 'model')).toBeUndefined(); // record 2
    expect(b.view(0).agentId).toBe('a1');
    expect(pool.intern('s-1')).toBe(a.string(3, 'sessionId'));
  });
});
