/**
 * What the parts of one file log share: its directory, its counters, the segments it knows and
 * the one it appends to. `fileLogStorage` creates one state per instance; the writer, the index
 * and the query path read and update it.
 *
 * Only node built-ins and core types are imported by the file log's modules (see file-log.ts).
 */
import type { Segment } from './file-log-segment.js';

/** The segment this process appends to, with its open file. */
export interface Active {
  segment: Segment;
  fd: number;
  /** File size right after this process's last write when nobody else wrote in between; -1 unknown. */
  end: number;
}

export interface FileLogState {
  readonly dir: string;
  /** Clock for segment age and retention. */
  readonly clock: () => number;
  readonly counters: ReturnType<typeof newCounters>;
  lastError: string | undefined;
  /** Known segments by sequence number, ascending. */
  readonly segments: Map<number, Segment>;
  active: Active | undefined;
  closed: boolean;
  /** `init()` has succeeded: appends may write synchronously. */
  isReady: boolean;
  /** Creates the directory and opens the log, once per instance. */
  ready(): Promise<void>;
  /** Runs a background task; its failure is counted as a maintenance error. */
  track(promise: Promise<unknown>): void;
}

export function newCounters() {
  return {
    appended: 0,
    writes: 0,
    fsyncs: 0,
    rotations: 0,
    writeErrors: 0,
    droppedEvents: 0,
    tornRecords: 0,
    evicted: 0,
    gzipped: 0,
    maintenanceErrors: 0,
    /** Events left out of an append because `JSON.stringify` threw on them (the rest of the batch is written). */
    unserializable: 0,
  };
}

export function sorted(state: FileLogState): Segment[] {
  return [...state.segments.values()].sort((a, b) => a.seq - b.seq);
}

export function fail(message: string): never {
  throw new Error(`[fleetscope] [file-log] ${message}`);
}

export function wrapError(operation: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`[fleetscope] [file-log] ${operation} failed: ${message}`, { cause: error });
}

export function noteWriteError(state: FileLogState, error: unknown): void {
  state.counters.writeErrors++;
  state.lastError = wrapError('append', error).message;
}
