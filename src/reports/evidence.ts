/**
 * An insight's evidence as the reports show it, the same in markdown and HTML: figures with their
 * units (`durationMs` in ms or s, `*Usd` in dollars, rates and shares in %), the p-value as
 * `p < 0.001` or `p = 0.005` as the insight's own text writes it (never `0`, `1.2e-17` or `0.000`).
 */
import { pValueText } from '../analyzers/figures.js';
import { cut, int, ms, pct, usd } from './html-format.js';

/** Evidence fields the insight's own lines already show. */
const SHOWN_ELSEWHERE = new Set(['impact', 'effort']);

/**
 * The first `max` evidence fields as [label, text]; objects and empty values left out, and a rate
 * per hour measured over less than an hour (`observedMs` beside it says how long was observed).
 */
export function evidenceEntries(evidence: Readonly<Record<string, unknown>>, max: number): [label: string, text: string][] {
  const out: [string, string][] = [];
  const underAnHour = typeof evidence.observedMs === 'number' && evidence.observedMs < 3_600_000;
  for (const [key, value] of Object.entries(evidence)) {
    if (out.length >= max) break;
    if (SHOWN_ELSEWHERE.has(key) || value === null || value === undefined || typeof value === 'object') continue;
    if (underAnHour && key === 'frequencyPerHour') continue;
    out.push(typeof value === 'number' ? numberEntry(key, value) : [key, cut(value, 80)]);
  }
  return out;
}

function numberEntry(key: string, value: number): [string, string] {
  if (key === 'pValue') return ['p', pValueText(value)];
  if (key.endsWith('Ms')) return [key, ms(value)];
  if (key.endsWith('Usd')) return [key, usd(value)];
  if (key.endsWith('Rate') || key === 'share' || key.endsWith('Share')) return [key, pct(value)];
  return [key, Number.isInteger(value) ? int(value) : String(Math.round(value * 1e4) / 1e4)];
}

/** The evidence on one line: `count=3, durationMs=194 ms, p < 0.001` (the p-value as the text writes it: `p = 0.005`). */
export function evidenceLine(evidence: Readonly<Record<string, unknown>>, max: number): string {
  return evidenceEntries(evidence, max)
    .map(([label, text]) => (label !== 'p' ? `${label}=${text}` : text.startsWith('<') ? `p ${text}` : `p = ${text}`))
    .join(', ');
}
