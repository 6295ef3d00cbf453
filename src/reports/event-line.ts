/** One readable line per event for `fleetscope tail`: time, session, agent, type, summary. */
import type { FleetEvent } from '../core/index.js';
import { createStyle, formatDuration, formatTokens, formatUsd } from './terminal.js';

export interface EventLineOptions {
  /** ANSI colour by severity. Default false. */
  color?: boolean;
  /** Characters of the session id shown. Default 8. */
  sessionChars?: number;
}

const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** What the event says, in a few words. */
export function eventSummary(event: FleetEvent): string {
  const p = event.payload as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));
  switch (event.type) {
    case 'tool.start':
      return `${str(p.toolName)} ${clip(str(p.input).replace(/\s+/g, ' '), 60)}`;
    case 'tool.end':
      return `${str(p.toolName)} ${str(p.status)}${typeof p.durationMs === 'number' ? ` in ${formatDuration(p.durationMs)}` : ''}${p.error !== undefined ? `: ${clip(str(p.error), 80)}` : ''}`;
    case 'llm.call': {
      const tokens = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'].reduce((n, k) => n + (typeof p[k] === 'number' ? (p[k] as number) : 0), 0);
      return `${str(p.model)} ${str(p.status)} ${formatTokens(tokens)} tokens${typeof p.costUsd === 'number' ? ` ${formatUsd(p.costUsd)}` : ''}${typeof p.latencyMs === 'number' ? ` in ${formatDuration(p.latencyMs)}` : ''}`;
    }
    case 'agent.start':
      return `${str(p.name)} started${p.parentAgentId !== undefined ? ` (by ${str(p.parentAgentId)})` : ''}`;
    case 'agent.end':
      return `${str(p.name)} ${str(p.status)}${typeof p.durationMs === 'number' ? ` after ${formatDuration(p.durationMs)}` : ''}`;
    case 'session.start':
      return `started${p.cwd !== undefined ? ` in ${str(p.cwd)}` : ''}`;
    case 'session.end':
      return `ended${p.reason !== undefined ? ` (${str(p.reason)})` : ''}${typeof p.durationMs === 'number' ? ` after ${formatDuration(p.durationMs)}` : ''}`;
    case 'message':
      return `${str(p.role)}: ${clip(str(p.text).replace(/\s+/g, ' '), 80)}`;
    case 'alert':
      return `${str(p.rule)}: ${clip(str(p.message), 100)}`;
    case 'insight':
      return `${str(p.priority)}: ${clip(str(p.title), 100)}`;
    case 'log':
      return clip(str(p.message), 100);
    case 'metric':
      return `${str(p.name)} = ${str(p.value)}${p.unit !== undefined ? ` ${str(p.unit)}` : ''}`;
    default:
      return clip(JSON.stringify(p) ?? '', 100);
  }
}

const TYPE_COLUMN = 'guardrail.decision'.length;

export function renderEventLine(event: FleetEvent, options: EventLineOptions = {}): string {
  const style = createStyle(options.color === true);
  const time = new Date(event.timestamp).toISOString().slice(11, 23);
  const chars = options.sessionChars ?? 8;
  const session = event.sessionId.slice(0, chars).padEnd(chars);
  const p = event.payload as { status?: unknown };
  const failed = p.status === 'error' || p.status === 'timeout';
  const severity = event.severity;
  // The longest built-in type (`guardrail.decision`) sets the column; a longer custom type is printed whole.
  let type = event.type.padEnd(TYPE_COLUMN);
  if (severity === 'error' || severity === 'critical' || failed) type = style.red(type);
  else if (severity === 'warning' || p.status === 'blocked') type = style.yellow(type);
  else type = style.cyan(type);
  return `${style.dim(time)} ${session} ${clip(event.agentId, 16).padEnd(16)} ${type} ${eventSummary(event)}`;
}
