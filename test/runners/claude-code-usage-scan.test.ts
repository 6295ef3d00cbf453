/**
 * The byte-level reader of usage lines (`usageFields`) against `JSON.parse`: on every usage line of
 * the real transcripts (../shared/real-cc, read in place) and of generated ones, the entry built
 * from its fields equals the entry built from the parsed line; lines it does not know are left to
 * `JSON.parse` (undefined), never misread.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toUsageEntry } from '../../src/runners/claude-code-transcript.js';
import { usageFields } from '../../src/runners/claude-code-usage-scan.js';

const REAL = join(import.meta.dirname, '..', '..', '..', 'shared', 'real-cc', 'transcripts');

function jsonlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return jsonlFiles(full);
    return name.endsWith('.jsonl') ? [full] : [];
  });
}

/** The slow path's entry for a line: JSON.parse, then toUsageEntry (undefined when malformed). */
function parsedEntry(line: string) {
  try {
    return toUsageEntry(JSON.parse(line));
  } catch {
    return undefined;
  }
}

function fastEntry(line: string) {
  const fields = usageFields(Buffer.from(line));
  return fields === undefined ? undefined : toUsageEntry(fields);
}

const LINE = (parts: { head?: string; message?: string; tail?: string }) =>
  `{"parentUuid":null,"isSidechain":false,"cwd":"/home/dev/app","sessionId":"s-1","version":"2.1.15",${parts.head ?? ''}"message":${
    parts.message ??
    '{"model":"claude-sonnet-4-5-20250929","id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"hi \\"there\\" {["}],"usage":{"input_tokens":3,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"cache_creation":{"ephemeral_5m_input_tokens":60,"ephemeral_1h_input_tokens":40},"output_tokens":7,"service_tier":"standard"}}'
  },"requestId":"req_1","type":"assistant","uuid":"u-1","timestamp":"2025-03-01T10:00:00.000Z"${parts.tail ?? ''}}`;

describe('usageFields', () => {
  it('reads a plain usage line to the same entry as JSON.parse (figures by hand)', () => {
    const line = LINE({});
    const e = fastEntry(line)!;
    expect(e).toEqual(parsedEntry(line));
    expect(e).toMatchObject({ inputTokens: 3, outputTokens: 7, cacheCreationTokens: 100, cacheReadTokens: 2000, cacheWrite1hTokens: 40, dedupeKey: 'msg_1:req_1', sessionId: 's-1' });
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
    for (const line of lines) {
      const fields = usageFields(Buffer.from(line));
      if (fields !== undefined) expect(toUsageEntry(fields), line).toEqual(parsedEntry(line));
    }
    // Most of them are read by the fast path.
    expect(lines.filter((l) => usageFields(Buffer.from(l)) !== undefined).length).toBeGreaterThanOrEqual(10);
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
    for (const line of left) expect(usageFields(Buffer.from(line)), line).toBeUndefined();
  });

  it.skipIf(!statSync(REAL, { throwIfNoEntry: false })?.isDirectory())('equals JSON.parse on every usage line of the real transcripts', () => {
    let read = 0;
    let left = 0;
    for (const file of jsonlFiles(REAL)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.includes('"usage"')) continue;
        const fields = usageFields(Buffer.from(line));
        if (fields === undefined) {
          left++;
          continue;
        }
        read++;
        expect(toUsageEntry(fields), line.slice(0, 200)).toEqual(parsedEntry(line));
      }
    }
    // The fast path reads nearly every usage line of the corpus (Task calls, progress lines and a few others are left).
    expect(read).toBeGreaterThan(1000);
    expect(read).toBeGreaterThan(left * 3);
  });
});
