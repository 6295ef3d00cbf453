/**
 * `parseTime` reads Claude Code's timestamps by hand (the transcripts runner's hot path): it must
 * give exactly what `Date.parse` gives, for its own form and for every other.
 */
import { describe, expect, it } from 'vitest';
import { parseTime } from '../../src/runners/claude-code-transcript-events.js';

describe('parseTime', () => {
  it("reads Claude Code's form", () => {
    // 2025-06-17 is day 20,256 since 1970-01-01: 20,256 × 86,400,000 + 8 h 40 min 12.072 s.
    expect(parseTime('2025-06-17T08:40:12.072Z')).toBe(20_256 * 86_400_000 + (8 * 3600 + 40 * 60 + 12) * 1000 + 72);
    expect(parseTime('1970-01-01T00:00:00.000Z')).toBe(0);
  });

  it('gives what Date.parse gives for other forms and out-of-range fields', () => {
    for (const s of [
      '2025-06-17T08:40:12Z',
      '2025-06-17T10:40:12.072+02:00',
      '2025-02-31T00:00:00.000Z', // rolls over in both
      '2025-13-01T00:00:00.000Z',
      '2025-06-17T24:00:00.000Z',
      '2025-06-17T23:59:60.000Z',
      '0050-01-01T00:00:00.000Z',
      '2025-06-17T08:40:1x.072Z',
      '2025-06-17 08:40:12.072Z',
      'not a time at all, 24 c.',
      '',
    ]) {
      expect(parseTime(s), s).toEqual(Date.parse(s));
    }
  });
});
