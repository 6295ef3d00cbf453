/** `fleetscope/reports`: renderers that read analyzer snapshots and stored events. */
export { renderHtmlReport, htmlReport, observerHtmlReport, type HtmlReportCallOptions } from './html.js';
export type { HtmlReportInput, HtmlReportOptions } from './html-options.js';
