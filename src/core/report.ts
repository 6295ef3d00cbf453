/**
 * Report rendering contract. A renderer reads snapshots and stats and returns markdown; it
 * never computes figures of its own, so a number means the same everywhere it appears.
 * The root `createObserver` plugs in the analyzers' insight report; this default only lists
 * what each analyzer holds.
 */
import type { ObserverStats } from './observer.js';

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
