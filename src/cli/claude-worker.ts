/**
 * The reading worker of `--claude` sources (a `worker_threads` entry, built to dist/cli/claude-worker.js):
 * reads and parses the transcripts with the transcripts runner while the main thread replays the
 * events already read into the observer, so the two halves of `report --claude` run on two cores.
 *
 * To the main thread (see `claude-source.ts`), in order:
 * - `{ kind: 'events', events, last }` — events in the runner's order, at most `batchEvents` at a
 *   time; `last` ends one step of the pass (one batch of the replay);
 * - `{ kind: 'end', details, errors }` — the runner's counts, after the last step and its flush.
 * Back-pressure: `credits[0]` counts the messages posted and not yet taken by the main thread; the
 * worker waits while `maxInFlight` are, so at most that many batches are held between the threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EventInput } from '../core/index.js';
import { openClaudePass } from './claude-pass.js';

export interface ClaudeWorkerData {
  path: string;
  batchEvents: number;
  maxInFlight: number;
  /** One Int32: messages posted and not yet taken. */
  credits: SharedArrayBuffer;
}

export type ClaudeWorkerMessage =
  | { kind: 'events'; events: EventInput[]; last: boolean }
  | { kind: 'end'; details: Record<string, number>; errors: string[] };

async function run(port: NonNullable<typeof parentPort>, data: ClaudeWorkerData): Promise<void> {
  const inFlight = new Int32Array(data.credits);
  let out: EventInput[] = [];
  const post = (last: boolean): void => {
    // Waits with a timeout, so the loop re-checks even if a wake-up is missed.
    for (let n = Atomics.load(inFlight, 0); n >= data.maxInFlight; n = Atomics.load(inFlight, 0)) Atomics.wait(inFlight, 0, n, 100);
    Atomics.add(inFlight, 0, 1);
    port.postMessage({ kind: 'events', events: out, last } satisfies ClaudeWorkerMessage);
    out = [];
  };
  const pass = await openClaudePass(data.path, (events) => {
    for (const e of events) {
      out.push(e);
      if (out.length >= data.batchEvents) post(false);
    }
  });
  let more = true;
  while (more) {
    more = pass.step();
    post(true);
  }
  pass.flush();
  post(true);
  port.postMessage({ kind: 'end', ...pass.end() } satisfies ClaudeWorkerMessage);
}

if (parentPort !== null) void run(parentPort, workerData as ClaudeWorkerData);
