/**
 * Report rendering contract. A renderer reads snapshots and stats and returns markdown; it
 * never computes figures of its own, so a number means the same everywhere it appears.
 * The root `createObserver` plugs in the analyzers' insight report; this default only lists
 * what each analyzer holds.
 */
import type { Observer, ObserverStats, ReportOptions } from './observer.js';

export interface ReportInput {
  title: string;
  /** ms since the epoch. */
  generatedAt: number;
  /** `observer.snapshot()`: each analyzer's results under its name. */
  snapshots: Record<string, unknown>;
  stats: ObserverStats;
}

export type ReportRenderer = (input: ReportInput) => string;

export const defaultReportRenderer: ReportRenderer = ({ title, generatedAt, snapshots, stats }) => {
  const lines = [
    `# ${title}`,
    '',
    `Generated ${new Date(generatedAt).toISOString()}.`,
    '',
    `| events accepted | invalid | dropped |`,
    `|---:|---:|---:|`,
    `| ${stats.events.accepted} | ${stats.events.invalid} | ${stats.dropped} |`,
    '',
  ];
  for (const [name, snapshot] of Object.entries(snapshots)) {
    lines.push(`## ${name}`, '', '```json', JSON.stringify(snapshot, null, 2), '```', '');
  }
  return lines.join('\n');
};

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * `report({ format: 'html' })` of an observer built from core alone: its markdown report in an
 * escaped `<pre>`. The root `createObserver` plugs in the full HTML report instead.
 */
export async function defaultHtmlReport(observer: Observer, options: ReportOptions): Promise<string> {
  const markdown = await observer.report({ title: options.title });
  const title = escapeHtml(options.title ?? 'fleetscope report');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>${title}</title></head><body><pre>${escapeHtml(markdown)}</pre></body></html>\n`;
}
