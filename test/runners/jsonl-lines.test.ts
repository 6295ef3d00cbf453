import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/runners/jsonl-lines.js';

function collect(max: number) {
  const out: string[] = [];
  const splitter = new LineSplitter(max);
  const sink = {
    line: (b: Buffer) => void out.push(b.toString()),
    tooLong: () => void out.push('<too long>'),
    fragment: () => void out.push('<fragment>'),
  };
  return { out, push: (s: string) => splitter.push(Buffer.from(s), sink), splitter };
}

describe('LineSplitter', () => {
  it('joins a line split across chunks and keeps an unterminated tail pending', () => {
    const c = collect(100);
    c.push('ab');
    c.push('c\nde');
    expect(c.out).toEqual(['abc']);
    expect(c.splitter.pending).toBe(true);
    c.push('f\n\n');
    expect(c.out).toEqual(['abc', 'def', '']);
    expect(c.splitter.pending).toBe(false);
  });

  it('drops a line over the cap, whether it arrives whole or in pieces, never holding more than the cap', () => {
    const c = collect(4);
    c.push('12345\nok\n');
    c.push('123');
    c.push('45'); // 5 bytes pending > 4: dropped from here on
    expect(c.splitter.pending).toBe(true);
    c.push('6789\nnext\n');
    expect(c.out).toEqual(['<too long>', 'ok', '<too long>', 'next']);
  });

  it('a line of exactly the cap is kept', () => {
    const c = collect(4);
    c.push('12');
    c.push('34\n');
    expect(c.out).toEqual(['1234']);
  });

  it('skipToNextLine drops the rest of a line begun before the first read', () => {
    const c = collect(100);
    c.splitter.skipToNextLine();
    c.push('tail of old line');
    c.push('...\nfirst\n');
    expect(c.out).toEqual(['<fragment>', 'first']);
  });

  it('reset forgets the pending line', () => {
    const c = collect(100);
    c.push('half');
    c.splitter.reset();
    expect(c.splitter.pending).toBe(false);
    c.push('whole\n');
    expect(c.out).toEqual(['whole']);
  });
});
