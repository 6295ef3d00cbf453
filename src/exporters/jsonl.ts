/**
 * JSONL exporter: one event per line (`JSON.stringify(event)`), appended to a file or written to a
 * stream. Lines are buffered and written in batches: when `maxBatchSize` events are waiting, every
 * `flushIntervalMs`, and on `flush()`/`shutdown()`. One write is in flight at a time; events that
 * arrive while more than `maxQueueSize` wait are dropped and counted.
 *
 * For a durable, queryable event log use the file-log storage; this exporter is a plain sink
 * (for `jq`, log shippers, another process tailing the file).
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { errorMessage, type Exporter, type ExporterStats, type ExportResult, type FleetEvent } from '../core/index.js';

export interface JsonlExporterOptions {
  /** File to append to (created with its directory). Give `path` or `stream`. */
  path?: string;
  /** Stream to write to (e.g. `process.stdout`). Not ended at shutdown unless `endStream`. */
  stream?: Writable;
  /** End `stream` at shutdown. Default `false`. */
  endStream?: boolean;
  /** Exporter name in `stats()`. Default `jsonl`. */
  name?: string;
  /** Events buffered before a write starts. Default 1000. */
  maxBatchSize?: number;
  /** Most events waiting (buffered or being written); newer ones are dropped beyond it. Default 100000. */
  maxQueueSize?: number;
  /** Buffered events are written at least this often. Default 1000 ms. */
  flushIntervalMs?: number;
}

export function jsonlExporter(options: JsonlExporterOptions): Exporter {
  const fail = (message: string): never => {
    throw new Error(`[fleetscope] [jsonl] ${message}`);
  };
  if ((options?.path === undefined) === (options?.stream === undefined)) fail('give exactly one of `path` or `stream`');
  const maxBatch = options.maxBatchSize ?? 1000;
  const maxQueue = options.maxQueueSize ?? 100_000;
  const intervalMs = options.flushIntervalMs ?? 1000;
  for (const [key, value] of Object.entries({ maxBatch, maxQueue, intervalMs })) {
    if (!(typeof value === 'number' && value > 0)) fail(`${key} must be a positive number, got ${value}`);
  }

  let lines: string[] = [];
  let inFlight = 0;
  let writing: Promise<void> | undefined;
  let file: FileHandle | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const counters = { written: 0, writes: 0, dropped: 0, writeErrors: 0, failedEvents: 0, unserializable: 0 };
  let lastError: string | undefined;

  const sink = async (chunk: string) => {
    if (options.stream !== undefined) {
      const stream = options.stream;
      if (stream.destroyed || stream.writableEnded) throw new Error('stream is closed');
      await new Promise<void>((resolve, reject) => {
        stream.write(chunk, (error) => (error ? reject(error) : resolve()));
      });
      return;
    }
    if (file === undefined) {
      await mkdir(dirname(options.path!), { recursive: true });
      file = await open(options.path!, 'a');
    }
    await file.write(chunk);
  };

  /** Writes what is buffered, one write at a time; resolves when it is on disk/in the stream. */
  const writeOut = async (): Promise<Error | undefined> => {
    let failure: Error | undefined;
    while (writing !== undefined) await writing;
    if (lines.length === 0) return undefined;
    const batch = lines;
    lines = [];
    inFlight = batch.length;
    writing = (async () => {
      try {
        await sink(batch.join(''));
        counters.writes++;
        counters.written += batch.length;
      } catch (error) {
        counters.writeErrors++;
        counters.failedEvents += batch.length;
        lastError = errorMessage(error);
        failure = new Error(`[fleetscope] [jsonl] write failed: ${lastError}`, { cause: error });
      } finally {
        inFlight = 0;
      }
    })();
    try {
      await writing;
    } finally {
      writing = undefined;
    }
    return failure;
  };

  const schedule = () => {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void writeOut();
    }, intervalMs);
    timer.unref();
  };

  return {
    name: options.name ?? 'jsonl',
    async export(batch: readonly FleetEvent[]): Promise<ExportResult> {
      if (closed) return { code: 'failed', error: new Error('[fleetscope] [jsonl] exporter is shut down') };
      try {
        for (const event of batch) {
          if (lines.length + inFlight >= maxQueue) {
            counters.dropped++;
            continue;
          }
          let line: string;
          try {
            line = `${JSON.stringify(event)}\n`;
          } catch {
            counters.unserializable++;
            continue;
          }
          lines.push(line);
        }
        if (lines.length >= maxBatch) {
          const error = await writeOut();
          return error === undefined ? { code: 'success' } : { code: 'failed', error, retryable: false };
        }
        if (lines.length > 0) schedule();
        return { code: 'success' };
      } catch (error) {
        return { code: 'failed', error: new Error(`[fleetscope] [jsonl] ${errorMessage(error)}`) };
      }
    },
    async flush(): Promise<void> {
      await writeOut();
    },
    async shutdown(): Promise<void> {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await writeOut();
      try {
        await file?.close();
        if (options.stream !== undefined && options.endStream === true) {
          await new Promise<void>((resolve) => options.stream!.end(resolve));
        }
      } catch (error) {
        lastError = errorMessage(error);
      }
      file = undefined;
    },
    stats(): ExporterStats {
      return { ...counters, pending: lines.length + inFlight, ...(lastError === undefined ? {} : { lastError }) };
    },
  };
}
