/**
 * The transcripts runner parses lines without their long strings (`CutLineParser`): on every line of
 * the real transcripts (../shared/real-cc, read in place) the events are the ones the whole
 * `JSON.parse` gives, and the stand-ins give back the exact strings where they are read.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventInput } from '../../src/core/index.js';
import { CutLineParser } from '../../src/runners/claude-code-lines.js';
import { transcriptFileInfo } from '../../src/runners/claude-code-transcript.js';
import { transcriptEvents } from '../../src/runners/claude-code-transcript-events.js';
import { REAL_CC } from './claude-code-real.js';

function jsonlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) return jsonlFiles(full);
      return name.endsWith('.jsonl') ? [full] : [];
    });
}

function counters() {
  return { unknownType: 0, duplicates: 0, llmCalls: 0, toolStarts: 0, toolEnds: 0 };
}

const settings = { source: 't', maxTracked: 50_000, maxValueBytes: 4096, sessionIdleMs: 1_800_000, sessions: true };

/** An `llm.call`'s span id is random: the same placeholder on both sides. */
function comparable(events: EventInput[]): EventInput[] {
  return events.map((e) => (e.type === 'llm.call' ? { ...e, spanId: 'random' } : e));
}

describe('CutLineParser', () => {
  it('gives the same events as JSON.parse on every line of the real transcripts', () => {
    const files = jsonlFiles(join(REAL_CC, 'transcripts'));
    expect(files.length).toBeGreaterThan(100);
    const whole = transcriptEvents(settings, counters());
    const cutCounters = counters();
    const cut = transcriptEvents(settings, cutCounters);
    const parser = new CutLineParser();
    let lines = 0;
    let events = 0;
    let cutLines = 0;
    for (const path of files) {
      const info = transcriptFileInfo(path);
      const file = { sessionId: info.sessionId, agentId: info.agentId };
      const bytes = readFileSync(path);
      const a: EventInput[] = [];
      const b: EventInput[] = [];
      for (let s = 0, e = bytes.indexOf(10); s < bytes.length; s = e + 1, e = bytes.indexOf(10, s)) {
        const end = e === -1 ? bytes.length : e;
        if (end === s) continue;
        let expected: Record<string, unknown>;
        try {
          expected = JSON.parse(bytes.toString('utf8', s, end)) as Record<string, unknown>;
        } catch {
          expect(() => parser.parse(bytes, s, end)).toThrow();
          continue;
        }
        lines++;
        whole.handleLine(file, expected, a);
        const parsed = parser.parse(bytes, s, end) as Record<string, unknown>;
        if (parser.cutCount > 0) cutLines++;
        cut.handleLine(file, parsed, b, parser);
        parser.done();
        if (e === -1) break;
      }
      expect(comparable(b), path).toEqual(comparable(a));
      events += a.length;
    }
    expect(lines).toBeGreaterThan(10_000);
    expect(cutLines).toBeGreaterThan(1000);
    expect(events).toBeGreaterThan(5000);
    expect(cutCounters.toolEnds).toBeGreaterThan(1000);
  });

  it('cuts long values only, and gives each back exactly (escapes, multi-byte characters)', () => {
    const long = `Ré "quoted" \\ ${'x'.repeat(1000)} \n end ✓`; // the line is over 2 KiB: cut
    const line = JSON.stringify({ type: 'user', id: 'i'.repeat(400), message: { content: long }, list: [long], short: 'ok' });
    const parser = new CutLineParser();
    const buf = Buffer.from(`junk\n${line}\n`);
    const parsed = parser.parse(buf, 5, 5 + Buffer.byteLength(line)) as { id: string; message: { content: string }; list: string[]; short: string };
    expect(parsed.id).toBe('i'.repeat(400)); // an id: never cut
    expect(parsed.list).toEqual([long]); // an array element: not cut
    expect(parsed.short).toBe('ok');
    expect(parsed.message.content).not.toBe(long);
    expect(parser.full(parsed.message.content)).toBe(long);
    expect(parser.fullDeep(parsed)).toEqual(JSON.parse(line));
  });

  it('numbers the stand-ins of a line with many cuts, each given back as itself', () => {
    const values = Array.from({ length: 40 }, (_, k) => `${k}:${'v'.repeat(300 + k)}`);
    const line = JSON.stringify({ type: 'user', message: { content: values.map((text) => ({ type: 'text', text })) } });
    const parser = new CutLineParser();
    const parsed = parser.parse(Buffer.from(line), 0, Buffer.byteLength(line)) as { message: { content: { text: string }[] } };
    expect(parser.cutCount).toBe(40);
    expect(parsed.message.content.map((b) => parser.full(b.text))).toEqual(values);
  });

  it('throws on a torn line, like JSON.parse', () => {
    const line = Buffer.from(`{"type":"user","message":{"content":"${'y'.repeat(3000)}`);
    expect(() => new CutLineParser().parse(line, 0, line.length)).toThrow();
  });
});
