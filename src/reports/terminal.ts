/**
 * Terminal building blocks shared by the command line's views: number formats, ANSI colour that
 * can be off, and a table that fits a width (it drops optional columns, then shortens the one
 * flexible column) with a `compact` form that keeps only the essential columns.
 */

/** ANSI styles; every function is the identity when colour is off. */
export interface Style {
  enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
}

export function createStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    green: wrap(32, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
/** Printed width of a string (ANSI codes take none). */
export const visibleLength = (text: string): number => text.replace(ANSI, '').length;

export const formatInt = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : Math.round(x).toLocaleString('en-US'));

export const formatUsd = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? '—' : x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : x === 0 ? '$0' : `$${x.toFixed(4)}`;

/** A duration: 850 ms, 2.35 s, 4.2 min, 1.5 h. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.round(ms)} ms`;
}

/** Compact token counts: 950, 12.3k, 4.56M. */
export function formatTokens(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** `2025-06-01 12:00:05` in UTC (stable in tests and across machines). */
export const formatTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: 'left' | 'right';
  /** Shown in the compact form. Default false. */
  essential?: boolean;
  /** The column shortened (with …) when the table is still too wide. At most one. */
  flexible?: boolean;
  /** Dropped first when the table is too wide (higher first). Default 0 (never dropped). */
  dropOrder?: number;
  /** Wraps the padded cell (colour); widths are computed without it. */
  style?: (cell: string, row: Row) => string;
}

export interface TableOptions {
  /** Printed width available. Default 120. */
  width?: number;
  /** Only the essential columns. Default false. */
  compact?: boolean;
}

function shorten(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

/** A plain-text table that fits `width`: optional columns are dropped, then the flexible one shortened. */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], options: TableOptions = {}): string {
  const width = options.width ?? 120;
  let cols = options.compact === true ? columns.filter((c) => c.essential === true) : [...columns];
  const cells = (cs: readonly Column<Row>[]) => rows.map((r) => cs.map((c) => c.value(r)));
  const widthsOf = (cs: readonly Column<Row>[], body: string[][]) => cs.map((c, i) => Math.max(c.header.length, ...body.map((r) => r[i]!.length)));
  const total = (ws: number[]) => ws.reduce((a, b) => a + b, 0) + 2 * Math.max(0, ws.length - 1);
  let body = cells(cols);
  let widths = widthsOf(cols, body);
  // Drop optional columns, highest dropOrder first, until it fits.
  while (total(widths) > width) {
    let drop = -1;
    cols.forEach((c, i) => {
      if ((c.dropOrder ?? 0) > 0 && (drop === -1 || (c.dropOrder ?? 0) > (cols[drop]!.dropOrder ?? 0))) drop = i;
    });
    if (drop === -1) break;
    cols = cols.filter((_, i) => i !== drop);
    body = cells(cols);
    widths = widthsOf(cols, body);
  }
  const flex = cols.findIndex((c) => c.flexible === true);
  if (flex !== -1 && total(widths) > width) {
    widths[flex] = Math.max(cols[flex]!.header.length, 8, widths[flex]! - (total(widths) - width));
    body = body.map((r) => r.map((cell, i) => (i === flex ? shorten(cell, widths[flex]!) : cell)));
  }
  const line = (values: string[], row: Row | undefined) =>
    values
      .map((v, i) => {
        const c = cols[i]!;
        const padded = c.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!);
        return row !== undefined && c.style !== undefined ? c.style(padded, row) : padded;
      })
      .join('  ')
      .trimEnd();
  return [
    line(cols.map((c) => c.header), undefined),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...body.map((r, i) => line(r, rows[i])),
  ].join('\n');
}
