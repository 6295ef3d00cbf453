/**
 * How figures are written in findings, insights and reports, so that a figure reads the same in a
 * title, a recommendation and the evidence under it: durations with their unit, p-values as
 * `p < 0.001` rather than `1.2e-17` or `0.000`.
 */

/** A p-value's digits: `< 0.001` below 0.001 (0 included), else three decimals. */
export function pValueText(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** A p-value in a sentence: `p < 0.001`, `p = 0.005`. */
export function pClause(p: number): string {
  return p < 0.001 ? `p ${pValueText(p)}` : `p = ${pValueText(p)}`;
}

/** A duration in milliseconds with its unit: `7.5 ms`, `192 ms`, `1.4 s`, `2.5 min`. */
export function msText(ms: number): string {
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return ms < 10 ? `${Number(ms.toFixed(1))} ms` : `${ms.toFixed(0)} ms`;
}

const HOUR_MS = 3_600_000;

/**
 * A rate per hour (`12.5 per hour`, `12.5 occurrences per hour`) only when at least an hour was
 * observed; over less, the observed span instead (`over 1.0 min observed`): 12 calls in a minute
 * are not 720 an hour until an hour has shown it.
 */
export function perHourText(perHour: number, observedMs: number | undefined, noun = ''): string {
  if (observedMs !== undefined && observedMs < HOUR_MS) return `over ${msText(observedMs)} observed`;
  return `${perHour.toFixed(1)}${noun === '' ? '' : ` ${noun}`} per hour`;
}
