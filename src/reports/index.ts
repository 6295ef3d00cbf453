/**
 * `fleetscope/reports`: renderers that turn analyzers' snapshots (and stored events) into text:
 * the markdown report of `observer.report()` and the terminal views of the `fleetscope` command
 * line. A renderer reads; it computes no figure an analyzer already knows.
 */
export { renderMarkdownReport } from './markdown.js';
