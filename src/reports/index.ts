/**
 * `fleetscope/reports`: renderers that turn analyzers' snapshots (and stored events) into text:
 * the markdown report of `observer.report()`, the HTML report, and the terminal views of the
 * `fleetscope` command line. A renderer reads; it computes no figure an analyzer already knows.
 */
export { renderMarkdownReport } from './markdown.js';
export { headlineFigures, renderHeadline } from './headline.js';
export { renderSessionsTable, type SessionsTableOptions } from './sessions-table.js';
export { renderEventLine, eventSummary, type EventLineOptions } from './event-line.js';
export { buildTraceTree, renderTraceTree, type TraceTree, type TraceNode, type TraceNodeKind, type TraceRenderOptions } from './trace-tree.js';
export {
  renderTable,
  createStyle,
  visibleLength,
  formatInt,
  formatUsd,
  formatDuration,
  formatTokens,
  formatTime,
  type Column,
  type TableOptions,
  type Style,
} from './terminal.js';
export { renderHtmlReport, htmlReport, observerHtmlReport, type HtmlReportCallOptions } from './html.js';
export type { HtmlReportInput, HtmlReportOptions } from './html-options.js';
