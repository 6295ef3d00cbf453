/**
 * Precision and recall per category of a redactor on a labelled corpus (JSONL lines of
 * `{ text, labels: [{ category, value }], scope? }`). A finding is a true positive when it overlaps an
 * occurrence of a label of the same category; each label occurrence is found at most once. A line
 * with `scope` (the foreign corpus: each source's verdict speaks for one category) scores only the
 * findings of those categories: an e-mail address inside a curl test of gitleaks is not a false
 * positive, gitleaks just did not label it.
 * Shared by test/redaction/corpus.test.ts and bench/redaction.bench.ts. Not a test file itself.
 */
import { readFileSync } from 'node:fs';
import { createRedactor } from '../../src/redaction/index.js';

export interface Score {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
}

export function evaluate(file: string): { scores: Record<string, Score>; misses: string[] } {
  const redactor = createRedactor();
  const scores: Record<string, Score> = {};
  const score = (c: string) => (scores[c] ??= { tp: 0, fp: 0, fn: 0, precision: 1, recall: 1 });
  const misses: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const { text, labels, scope } = JSON.parse(line) as { text: string; labels: { category: string; value: string }[]; scope?: string[] };
    // Each label's occurrences in order (a value repeated in the text is labelled as often).
    const spans: { category: string; start: number; end: number; used: boolean }[] = [];
    const seen = new Map<string, number>();
    for (const l of labels) {
      const from = seen.get(l.value) ?? 0;
      const at = text.indexOf(l.value, from);
      if (at === -1) throw new Error(`label not in its text: ${l.value}`);
      seen.set(l.value, at + l.value.length);
      spans.push({ category: l.category, start: at, end: at + l.value.length, used: false });
    }
    for (const f of redactor.scanText(text)) {
      if (scope !== undefined && !scope.includes(f.category)) continue;
      const hit = spans.find((s) => !s.used && s.category === f.category && f.start < s.end && s.start < f.end);
      if (hit !== undefined) {
        hit.used = true;
        score(f.category).tp++;
      } else {
        score(f.category).fp++;
        misses.push(`FP ${f.category}: ${JSON.stringify(text.slice(Math.max(0, f.start - 20), f.end + 20))}`);
      }
    }
    for (const s of spans) {
      if (s.used) continue;
      score(s.category).fn++;
      misses.push(`FN ${s.category}: ${JSON.stringify(text.slice(Math.max(0, s.start - 20), s.end + 20))}`);
    }
  }
  for (const s of Object.values(scores)) {
    s.precision = s.tp + s.fp === 0 ? 1 : s.tp / (s.tp + s.fp);
    s.recall = s.tp + s.fn === 0 ? 1 : s.tp / (s.tp + s.fn);
  }
  return { scores, misses };
}
