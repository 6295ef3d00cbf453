/**
 * What the main thread and the reading worker of `--claude` sources (`claude-worker.ts`) say to each
 * other; see that file. Apart from it so that the main thread loads none of the worker's code.
 */
import type { MessagePort } from 'node:worker_threads';
import type { FlatBatch } from './claude-worker-codec.js';

/** Indexes into `ClaudeWorkerData.signals` (an Int32Array over it). */
export const POSTED = 0;
export const TAKEN = 1;
export const GONE = 2;

export interface ClaudeWorkerData {
  /** Marks the data of this worker. */
  fleetscopeClaudeWorker: 1;
  path: string;
  port: MessagePort;
  batchEvents: number;
  maxInFlight: number;
  /** Three Int32: POSTED, TAKEN, GONE. */
  signals: SharedArrayBuffer;
}

export type ClaudeWorkerMessage =
  /**
   * Events, flat (`claude-worker-codec.ts`); `last` ends a step; `more` (on a step's last message):
   * whether the runner has more to read.
   */
  | { kind: 'events'; batch: FlatBatch; last: boolean; more: boolean }
  | { kind: 'end'; details: Record<string, number>; errors: string[] }
  | { kind: 'error'; message: string };

export function isClaudeWorkerData(data: unknown): data is ClaudeWorkerData {
  return typeof data === 'object' && data !== null && (data as { fleetscopeClaudeWorker?: unknown }).fleetscopeClaudeWorker === 1;
}
