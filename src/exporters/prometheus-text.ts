/**
 * A tiny metric registry that renders the Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/):
 *
 * - one `# HELP` and one `# TYPE` line per metric family, before its samples;
 * - HELP text escapes `\` as `\\` and a line feed as `\n`; label values also escape `"` as `\"`;
 * - counters are named with a `_total` suffix (also on the TYPE line, as client_golang does);
 * - a histogram family has cumulative `_bucket{le="..."}` samples ending with `le="+Inf"`, then
 *   `_sum` and `_count`;
 * - values are Go-style floats: `+Inf`, `-Inf`, `NaN`.
 *
 * Label cardinality is bounded per family: once a family holds `maxSeries` series, each new label
 * combination is counted in one overflow series whose label values all read `other`.
 * Label text is escaped once, when a series is created, so rendering is a string concatenation.
 */

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** Value of the `le` label of each bucket, then the sentinel `+Inf`. */
const INF = '+Inf';

/** Reused by `renderSeries` to spare one array allocation per histogram series and scrape. */
const SCRATCH: string[] = [];

/** Label value every label of the overflow series takes. */
export const OVERFLOW_LABEL_VALUE = 'other';

export function escapeLabelValue(value: string): string {
  // Fast path: most values need nothing.
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Makes a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`): invalid characters become `_`. */
export function sanitizeMetricName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  if (out === '' || /^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

/** Makes a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`, which is reserved). */
export function sanitizeLabelName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_]/g, '_');
  if (out === '' || /^[0-9]/.test(out)) out = `_${out}`;
  if (out.startsWith('__')) out = `x${out}`;
  return out;
}

/** A sample value as Go's `strconv.FormatFloat(v, 'g', -1, 64)` would print it, give or take the exponent style. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

interface Series {
  /** `{a="x",b="y"}` or `` when the family has no labels. */
  readonly labelText: string;
  /** `a="x",b="y",` (for histogram buckets, followed by `le="..."`). */
  readonly labelPrefix: string;
  value: number;
  /** Histogram only: observations per bucket (not cumulative); the last slot is `+Inf`. */
  buckets?: number[];
  count?: number;
  /** Histogram only: the text before each bucket's value, built at the first render. */
  bucketPrefixes?: string[];
  /** Rendered lines; cleared by every update. */
  text?: string;
}

export interface FamilyOptions {
  name: string;
  help: string;
  kind: MetricKind;
  labelNames: readonly string[];
  /** Histogram upper bounds, ascending. */
  buckets?: readonly number[];
  maxSeries: number;
}

export class MetricFamily {
  readonly name: string;
  readonly kind: MetricKind;
  readonly labelNames: readonly string[];
  private readonly header: string;
  private readonly bounds: readonly number[];
  private readonly boundText: readonly string[];
  private readonly maxSeries: number;
  private readonly series = new Map<string, Series>();
  private overflowKey: string;
  /** Label combinations that were counted in the overflow series because the cap was reached. */
  overflowed = 0;
  /** The header and every series' text, in order; cleared by every update. */
  private texts: string[] | undefined;

  constructor(options: FamilyOptions) {
    this.name = options.name;
    this.kind = options.kind;
    this.labelNames = options.labelNames;
    this.maxSeries = options.maxSeries;
    this.bounds = options.kind === 'histogram' ? [...(options.buckets ?? [])] : [];
    this.boundText = this.bounds.map(formatValue);
    this.header = `# HELP ${this.name} ${escapeHelp(options.help)}\n# TYPE ${this.name} ${this.kind}\n`;
    this.overflowKey = this.labelNames.map(() => OVERFLOW_LABEL_VALUE).join('\u0000');
  }

  get size(): number {
    return this.series.size;
  }

  /** The series of these label values (in `labelNames` order), created when new. */
  private get(values: readonly string[]): Series {
    const key = values.length === 1 ? values[0]! : values.join('\u0000');
    let series = this.series.get(key);
    if (series !== undefined) return series;
    if (this.series.size >= this.maxSeries && this.labelNames.length > 0) {
      this.overflowed++;
      series = this.series.get(this.overflowKey);
      if (series !== undefined) return series;
      series = this.create(this.labelNames.map(() => OVERFLOW_LABEL_VALUE));
      this.series.set(this.overflowKey, series);
      return series;
    }
    series = this.create(values);
    this.series.set(key, series);
    return series;
  }

  private create(values: readonly string[]): Series {
    let prefix = '';
    for (let i = 0; i < this.labelNames.length; i++) {
      prefix += `${this.labelNames[i]}="${escapeLabelValue(values[i] ?? '')}",`;
    }
    const series: Series = {
      labelText: prefix === '' ? '' : `{${prefix.slice(0, -1)}}`,
      labelPrefix: prefix,
      value: 0,
    };
    if (this.kind === 'histogram') {
      series.buckets = new Array<number>(this.bounds.length + 1).fill(0);
      series.count = 0;
    }
    return series;
  }

  inc(values: readonly string[], by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by)) return; // counters never go down
    const series = this.get(values);
    series.value += by;
    series.text = undefined;
    this.texts = undefined;
  }

  set(values: readonly string[], value: number): void {
    const series = this.get(values);
    if (series.value !== value) {
      series.text = undefined;
      this.texts = undefined;
    }
    series.value = value;
  }

  /** Histogram: records one observation. */
  observe(values: readonly string[], value: number): void {
    if (!Number.isFinite(value)) return;
    const series = this.get(values);
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    series.buckets![i]!++;
    series.count!++;
    series.value += value;
    series.text = undefined;
    this.texts = undefined;
  }

  /** Value of one series (sum for a histogram), or undefined. For tests and snapshots. */
  valueOf(values: readonly string[]): number | undefined {
    return this.series.get(values.join('\u0000'))?.value;
  }

  render(): string {
    const parts: string[] = [];
    this.renderInto(parts);
    return parts.join('');
  }

  /**
   * Appends the family's lines to `parts`. The family and each series keep their rendered text
   * until they change, so a scrape re-renders only what was updated since the previous one; joining one array at
   * the end builds a flat string at once, where `+=` would build a rope V8 must flatten later.
   */
  renderInto(parts: string[]): void {
    if (this.series.size === 0) return;
    if (this.texts === undefined) {
      const texts: string[] = [this.header];
      for (const series of this.series.values()) {
        if (series.text === undefined) series.text = this.renderSeries(series);
        texts.push(series.text);
      }
      this.texts = texts;
    }
    // Only the caller's final join copies the text: one copy of the whole exposition per scrape.
    for (const text of this.texts) parts.push(text);
  }

  private renderSeries(series: Series): string {
    const name = this.name;
    if (this.kind !== 'histogram') return `${name}${series.labelText} ${formatValue(series.value)}\n`;
    const buckets = series.buckets!;
    const prefixes = (series.bucketPrefixes ??= this.bucketPrefixes(series));
    // One array joined once gives a flat string (cheap to copy at every scrape), not a rope.
    const lines = SCRATCH;
    lines.length = 0;
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += buckets[i]!;
      lines.push(prefixes[i]!, String(cumulative), '\n');
    }
    lines.push(
      prefixes[this.bounds.length]!,
      String(series.count),
      `\n${name}_sum${series.labelText} ${formatValue(series.value)}\n${name}_count${series.labelText} ${series.count}\n`,
    );
    return lines.join('');
  }

  /** `name_bucket{labels,le="bound"} ` for each bound then `+Inf`, built once per series. */
  private bucketPrefixes(series: Series): string[] {
    const head = `${this.name}_bucket{${series.labelPrefix}le="`;
    return [...this.boundText, INF].map((bound) => `${head}${bound}"} `);
  }
}
