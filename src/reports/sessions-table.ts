/** The `fleetscope sessions` table: one row per session of the `sessions` analyzer's snapshot. */
import type { SessionSummary } from '../analyzers/sessions.js';
import { createStyle, formatDuration, formatTime, formatTokens, formatUsd, renderTable, type Column, type TableOptions } from './terminal.js';

export interface SessionsTableOptions extends TableOptions {
  /** ANSI colour (failed and blocked counts). Default false. */
  color?: boolean;
}

export function renderSessionsTable(sessions: readonly SessionSummary[], options: SessionsTableOptions = {}): string {
  const style = createStyle(options.color === true);
  const tokens = (s: SessionSummary) => s.tokens.input + s.tokens.output + s.tokens.cacheRead + s.tokens.cacheWrite;
  const columns: Column<SessionSummary>[] = [
    { header: 'Session', value: (s) => s.sessionId, essential: true, flexible: true },
    { header: 'Start (UTC)', value: (s) => formatTime(s.start), essential: true },
    { header: 'Duration', value: (s) => formatDuration(s.durationMs), align: 'right', essential: true },
    { header: 'Agents', value: (s) => (s.subagents > 0 ? `${s.agents} (${s.subagents} sub)` : String(s.agents)), align: 'right', dropOrder: 3 },
    { header: 'Tools', value: (s) => String(s.toolCalls), align: 'right', essential: true },
    { header: 'Failed', value: (s) => String(s.failedTools), align: 'right', dropOrder: 2, style: (c, s) => (s.failedTools > 0 ? style.red(c) : c) },
    { header: 'Blocked', value: (s) => String(s.blockedTools), align: 'right', dropOrder: 2, style: (c, s) => (s.blockedTools > 0 ? style.yellow(c) : c) },
    { header: 'LLM', value: (s) => String(s.llmCalls), align: 'right', dropOrder: 1 },
    { header: 'Tokens', value: (s) => formatTokens(tokens(s)), align: 'right', essential: true },
    { header: 'Cost', value: (s) => formatUsd(s.costUsd) + (s.unpricedCalls > 0 ? '+' : ''), align: 'right', essential: true },
    { header: 'Project', value: (s) => s.project ?? '', dropOrder: 4 },
  ];
  return renderTable(columns, sessions, options);
}
