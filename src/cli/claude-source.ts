/**
 * `--claude` sources for the read commands: Claude Code transcripts read by the transcripts runner
 * (`claude-pass.ts`) and handed to the replay one step at a time.
 *
 * Reading and parsing the files (≈ half of `report --claude`'s CPU) runs in a worker thread
 * (`claude-worker.ts`) when the transcripts are large enough to pay for its start-up (≈ 30–50 ms),
 * so it overlaps the replay into the observer on the main thread. The events, their order and the
 * steps (the replay's batches) are the same either way, so the output is too.
 * `FLEETSCOPE_READ_WORKER=off` reads on the main thread, `=on` in the worker whatever the size.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EventInput } from '../core/index.js';
import { DEFAULT_MAX_LINE_BYTES } from '../runners/claude-code-lines.js';
import { defaultClaudePaths, findTranscriptFiles } from '../runners/claude-code-usage-files.js';
import { openClaudePass, type ClaudePassEnd } from './claude-pass.js';
import type { ClaudeWorkerData, ClaudeWorkerMessage } from './claude-worker.js';
import { CliError, EXIT, PREFIX, warn } from './options.js';

/** Below this many bytes of transcripts the worker's start-up costs more than it saves. */
const WORKER_MIN_BYTES = 8 * 2 ** 20;
/** Events per message from the worker (measured: BENCHMARKS.md, session 11). */
const BATCH_EVENTS = 2_000;
/** Messages posted by the worker and not yet taken by the main thread, at most. */
const MAX_IN_FLIGHT = 8;

export type ClaudeReadMode = 'auto' | 'worker' | 'main';

/** `FLEETSCOPE_READ_WORKER`: off (0, false) reads on the main thread; on (1, true) in the worker; otherwise by size. */
export function claudeReadMode(env: NodeJS.ProcessEnv = process.env): ClaudeReadMode {
  const v = (env.FLEETSCOPE_READ_WORKER ?? '').trim().toLowerCase();
  if (v === 'off' || v === '0' || v === 'false') return 'main';
  if (v === 'on' || v === '1' || v === 'true') return 'worker';
  return 'auto';
}

/**
 * The worker died after some of its events were replayed: the replay must start over with a fresh
 * observer (`replaySelection` does, reading on the main thread), or events would be lost or counted twice.
 */
export class ClaudeWorkerLost extends Error {}

type Sink = (inputs: Iterable<EventInput>) => Promise<void>;

/** Claude Code transcripts into `sink`, one step of the pass per call; then the checks on what was read. */
export async function readClaude(path: string, sink: Sink, facts: { events: number; details: Record<string, number> }, mode: ClaudeReadMode = claudeReadMode()): Promise<void> {
  const url = mode === 'main' ? undefined : workerUrl();
  if (mode === 'worker' && url === undefined) warnOnce('no reading worker beside this build: transcripts read on the main thread');
  let end: ClaudePassEnd | undefined;
  if (url !== undefined && (mode === 'worker' || transcriptBytesAtLeast(path, WORKER_MIN_BYTES))) end = await readInWorker(url, path, sink);
  end ??= await readOnMainThread(path, sink);
  checkClaude(path, facts, end);
}

async function readOnMainThread(path: string, sink: Sink): Promise<ClaudePassEnd> {
  let pending: EventInput[] = [];
  const pass = await openClaudePass(path, (events) => {
    for (const e of events) pending.push(e);
  });
  let more = true;
  while (more) {
    more = pass.step();
    const batch = pending;
    pending = [];
    await sink(batch);
  }
  pass.flush();
  await sink(pending);
  return pass.end();
}

/**
 * The pass in the worker, its steps replayed here as they arrive. Undefined when the worker failed
 * before any event was replayed (the caller reads on the main thread); ClaudeWorkerLost when it
 * failed after.
 */
async function readInWorker(url: URL, path: string, sink: Sink): Promise<ClaudePassEnd | undefined> {
  const credits = new SharedArrayBuffer(4);
  const inFlight = new Int32Array(credits);
  const messages = new MessageQueue();
  let worker: Worker;
  try {
    worker = new Worker(url, { workerData: { path, batchEvents: BATCH_EVENTS, maxInFlight: MAX_IN_FLIGHT, credits } satisfies ClaudeWorkerData });
  } catch (error) {
    warnOnce(`the reading worker did not start (${(error as Error).message}): transcripts read on the main thread`);
    return undefined;
  }
  worker.on('message', (m: ClaudeWorkerMessage) => messages.push(m));
  worker.on('error', (error) => messages.fail(error));
  worker.on('exit', (code) => messages.fail(new Error(`exited with code ${code}`)));
  let replayed = false;
  let received = 0;
  let batch: EventInput[] = [];
  try {
    for (;;) {
      const message = await messages.next();
      if (message.kind === 'end') {
        debug(`transcripts read in a worker thread: ${received.toLocaleString('en-US')} events in ${messages.taken - 1} messages`);
        return { details: message.details, errors: message.errors };
      }
      Atomics.sub(inFlight, 0, 1);
      Atomics.notify(inFlight, 0);
      received += message.events.length;
      if (batch.length === 0) batch = message.events;
      else for (const e of message.events) batch.push(e);
      if (message.last) {
        const step = batch;
        batch = [];
        replayed = true;
        await sink(step);
      }
    }
  } catch (error) {
    if (!(error instanceof WorkerFailure)) throw error;
    const why = error.cause instanceof Error ? error.cause.message : String(error.cause);
    if (replayed) throw new ClaudeWorkerLost(`the reading worker failed (${why})`);
    warnOnce(`the reading worker failed (${why}): transcripts read on the main thread`);
    return undefined;
  } finally {
    // Done or failed: nothing more is read from it (it ends by itself once its last message is posted).
    void worker.terminate();
  }
}

/** The worker failed: an 'error' event, or an exit before its 'end' message. */
class WorkerFailure extends Error {}

/** The worker's messages, taken one at a time with `await next()`. */
class MessageQueue {
  private readonly queue: ClaudeWorkerMessage[] = [];
  private head = 0;
  private failure: WorkerFailure | undefined;
  private waiter: (() => void) | undefined;
  taken = 0;

  push(message: ClaudeWorkerMessage): void {
    this.queue.push(message);
    this.wake();
  }

  fail(cause: unknown): void {
    this.failure ??= new WorkerFailure('reading worker failed', { cause });
    this.wake();
  }

  async next(): Promise<ClaudeWorkerMessage> {
    while (this.head === this.queue.length) {
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const message = this.queue[this.head++]!;
    this.taken++;
    if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return message;
  }

  private wake(): void {
    const resolve = this.waiter;
    this.waiter = undefined;
    resolve?.();
  }
}

/**
 * The worker's built entry beside this module: dist/cli/claude-worker.js from dist/cli/*.js or a
 * chunk in dist/. Undefined when running from the sources (.ts: no worker is built there).
 */
function workerUrl(): URL | undefined {
  const here = import.meta.url as string | undefined;
  if (typeof here !== 'string' || !here.endsWith('.js')) return undefined;
  for (const rel of ['./claude-worker.js', './cli/claude-worker.js']) {
    const url = new URL(rel, here);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/** Whether the transcripts under `path` hold at least `min` bytes (stops counting there). */
function transcriptBytesAtLeast(path: string, min: number): boolean {
  let total = 0;
  for (const ref of findTranscriptFiles(path === '' ? defaultClaudePaths() : [path])) {
    try {
      total += statSync(ref.file).size;
    } catch {
      continue;
    }
    if (total >= min) return true;
  }
  return false;
}

/** What the pass found: nothing to read, or nothing but lines that are not transcript entries, is an error. */
function checkClaude(path: string, facts: { events: number; details: Record<string, number> }, end: ClaudePassEnd): void {
  Object.assign(facts.details, end.details);
  const where = path === '' ? defaultClaudePaths().join(', ') : path;
  if ((facts.details.files ?? 0) === 0) throw new CliError(`no Claude Code transcripts (*.jsonl) under ${where}`, EXIT.nothing);
  const entries = (facts.details.llmCalls ?? 0) + (facts.details.toolStarts ?? 0);
  const bad = (facts.details.malformed ?? 0) + (facts.details.unknownType ?? 0);
  const oversized = facts.details.oversized ?? 0;
  if (entries === 0 && facts.events === 0 && bad + oversized > 0) {
    const notEntries = bad > 0 ? `, ${bad} not transcript entries` : '';
    const over = oversized > 0 ? `, ${oversized} over ${DEFAULT_MAX_LINE_BYTES / 2 ** 20} MiB skipped` : '';
    throw new CliError(`${where}: not a Claude Code transcript (${facts.details.lines} lines${notEntries}${over})`);
  }
  if ((facts.details.readErrors ?? 0) > 0) warn(`${facts.details.readErrors} transcript files could not be read${end.errors[0] ? ` (${end.errors[0]})` : ''}`);
}

let warned = false;
/** Once per process: a fallback is said, not repeated per source or per replay. */
function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  warn(message);
}

/** `FLEETSCOPE_DEBUG=1`: how the transcripts were read, on stderr. */
function debug(message: string): void {
  if (process.env.FLEETSCOPE_DEBUG === '1') process.stderr.write(`${PREFIX} debug: ${message}\n`);
}
