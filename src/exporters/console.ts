/**
 * Console exporter: one line per event on a stream (stdout by default), human-readable (`pretty`)
 * or as JSON lines (`json`). Each batch is one `write`. While the stream pushes back (its buffer
 * is over its high-water mark), batches are dropped and counted rather than buffered without bound.
 */
import type { Writable } from 'node:stream';
import {
  errorMessage,
  SEVERITY_RANK,
  type Exporter,
  type ExporterStats,
  type ExportResult,
  type FleetEvent,
  type Severity,
} from '../core/index.js';

export interface ConsoleExporterOptions {
  /** `pretty` (default): `time SEVERITY type session/agent summary`; `json`: one JSON object per line. */
  format?: 'pretty' | 'json';
  /** Only events at least this severe. Default `debug` (all). */
  minSeverity?: Severity;
  /** Where to write. Default `process.stdout`. */
  stream?: Writable;
  /** ANSI colours in `pretty`. Default: when the stream is a TTY. */
  colors?: boolean;
  /** Exporter name in `stats()`. Default `console`. */
  name?: string;
}

const COLORS: Record<Severity, string> = {
  debug: '\u001b[90m',
  info: '\u001b[36m',
  warning: '\u001b[33m',
  error: '\u001b[31m',
  critical: '\u001b[35;1m',
};
const RESET = '\u001b[0m';

/** One-line summary of an event's payload. */
export function summarize(event: FleetEvent): string {
  const p = event.payload as Record<string, unknown>;
  const ms = (v: unknown) => (typeof v === 'number' ? ` ${Math.round(v)}ms` : '');
  switch (event.type) {
    case 'tool.start':
      return `${p.toolName}`;
    case 'tool.end':
      return `${p.toolName} ${p.status}${ms(p.durationMs)}${p.error ? ` — ${p.error}` : ''}`;
    case 'llm.call': {
      const tokens = [p.inputTokens, p.outputTokens].some((t) => typeof t === 'number')
        ? ` in=${p.inputTokens ?? 0} out=${p.outputTokens ?? 0}`
        : '';
      const cost = typeof p.costUsd === 'number' ? ` $${p.costUsd.toFixed(4)}` : '';
      return `${p.model} ${p.status}${ms(p.latencyMs)}${tokens}${cost}`;
    }
    case 'agent.start':
    case 'agent.end':
      return `${p.name}${p.status ? ` ${p.status}` : ''}${ms(p.durationMs)}`;
    case 'session.start':
    case 'session.end':
      return `${p.reason ?? p.status ?? ''}`.trim();
    case 'alert':
      return `${p.rule}: ${p.message}`;
    case 'insight':
      return `${p.rule}: ${p.title}`;
    case 'log':
    case 'plugin.error':
      return `${p.message}`;
    case 'message':
      return `${p.role}${typeof p.text === 'string' ? `: ${p.text.slice(0, 120)}` : ''}`;
    case 'metric':
      return `${p.name}=${p.value}${p.unit ? ` ${p.unit}` : ''}`;
    case 'anomaly':
      return `${p.operation} score=${p.score}`;
    default:
      return '';
  }
}

export function formatPretty(event: FleetEvent, colors: boolean): string {
  const time = new Date(event.timestamp).toISOString().slice(11, 23);
  const severity = event.severity.toUpperCase().padEnd(8);
  const summary = summarize(event).replace(/[\r\n]+/g, ' ');
  const line = `${time} ${severity} ${event.type.padEnd(13)} ${event.sessionId}/${event.agentId}${summary ? ` ${summary}` : ''}`;
  return colors ? `${COLORS[event.severity]}${line}${RESET}\n` : `${line}\n`;
}

export function consoleExporter(options: ConsoleExporterOptions = {}): Exporter {
  const format = options.format ?? 'pretty';
  if (format !== 'pretty' && format !== 'json') {
    throw new Error(`[fleetscope] [console] format must be 'pretty' or 'json', got ${String(format)}`);
  }
  const minSeverity = options.minSeverity ?? 'debug';
  if (SEVERITY_RANK[minSeverity] === undefined) throw new Error(`[fleetscope] [console] unknown minSeverity ${String(minSeverity)}`);
  const minRank = SEVERITY_RANK[minSeverity];
  let stream: Writable | undefined = options.stream;
  let blocked = false;
  let closed = false;
  const counters = { written: 0, writes: 0, dropped: 0, writeErrors: 0, unserializable: 0 };
  let lastError: string | undefined;

  const out = (): Writable => {
    stream ??= process.stdout;
    return stream;
  };
  const colors = () => options.colors ?? (out() as Writable & { isTTY?: boolean }).isTTY === true;

  return {
    name: options.name ?? 'console',
    filter: { minSeverity },
    async export(batch: readonly FleetEvent[]): Promise<ExportResult> {
      if (closed) return { code: 'failed', error: new Error('[fleetscope] [console] exporter is shut down') };
      try {
        const events = batch.filter((e) => SEVERITY_RANK[e.severity] >= minRank);
        if (events.length === 0) return { code: 'success' };
        const target = out();
        if (blocked || target.destroyed || target.writableEnded) {
          counters.dropped += events.length;
          return { code: 'success' };
        }
        const useColors = format === 'pretty' && colors();
        let text = '';
        for (const event of events) {
          // Each event with its own try: one that cannot be formatted costs itself, not the batch.
          try {
            text += format === 'json' ? `${JSON.stringify(event)}\n` : formatPretty(event, useColors);
          } catch {
            counters.unserializable++;
          }
        }
        const ok = target.write(text, (error) => {
          if (error) {
            counters.writeErrors++;
            lastError = errorMessage(error);
          }
        });
        counters.writes++;
        counters.written += events.length;
        if (!ok) {
          blocked = true;
          target.once('drain', () => {
            blocked = false;
          });
        }
        return { code: 'success' };
      } catch (error) {
        counters.writeErrors++;
        lastError = errorMessage(error);
        return { code: 'failed', error: new Error(`[fleetscope] [console] ${lastError}`) };
      }
    },
    async flush(): Promise<void> {
      // Writes are handed to the stream at once; nothing is buffered here.
    },
    async shutdown(): Promise<void> {
      closed = true;
    },
    stats(): ExporterStats {
      return { ...counters, ...(lastError === undefined ? {} : { lastError }) };
    },
  };
}
