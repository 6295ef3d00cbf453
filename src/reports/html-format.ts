/**
 * Escaping and number formatting of the HTML report. Event text is hostile (tool names, agent
 * names, error messages and session ids come from outside): every string that reaches the page
 * goes through `esc`, in text and in attributes alike, and the page holds no `<script>` data
 * block that a `</script>` could close.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML text node or a quoted attribute value. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A string cut to `max` characters (with an ellipsis), for labels and tips. */
export function cut(value: unknown, max: number): string {
  const text = String(value ?? '');
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** The anchor of an event in the page: `ev-<event id>` (ids are 1–128 printable characters). */
export const eventAnchor = (id: string) => `ev-${id}`;
/** A link to the event's anchor; the id is percent-encoded in the fragment (browsers decode it to match). */
export const eventHref = (id: string) => `#ev-${encodeURIComponent(id)}`;

export const int = (x: number | undefined | null) => (x === undefined || x === null || !Number.isFinite(x) ? '—' : Math.round(x).toLocaleString('en-US'));

export const usd = (x: number | undefined | null) =>
  x === undefined || x === null || !Number.isFinite(x) ? '—' : x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(4)}`;

export const ms = (x: number | undefined | null) =>
  x === undefined || x === null || !Number.isFinite(x)
    ? '—'
    : x >= 60_000
      ? `${(x / 60_000).toFixed(1)} min`
      : x >= 1000
        ? `${(x / 1000).toFixed(2)} s`
        : `${x.toFixed(x < 10 ? 1 : 0)} ms`;

export const pct = (x: number | undefined | null) =>
  x === undefined || x === null || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0)}%`;

/** Short number for SVG coordinates (two decimals are below a pixel at any zoom the page allows). */
export const n2 = (x: number) => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0');

export const isoTime = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');
