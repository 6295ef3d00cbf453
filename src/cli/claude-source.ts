/**
 * `--claude` sources for the read commands: Claude Code transcripts read by the transcripts runner
 * (`claude-pass.ts`) and handed to the replay one step at a time.
 *
 * Reading and parsing the files (≈ half of `report --claude`'s CPU) runs in a worker thread
 * (`claude-worker.ts`) when the transcripts are large enough to pay for its start-up (≈ 30–50 ms),
 * so it overlaps the replay into the observer on the main thread. The events, their order and the
 * steps (the replay's batches) are the same either way, so the output is too.
 * `FLEETSCOPE_READ_WORKER=off` reads on the main thread, `=on` in the worker whatever the size and load.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { EventInput } from '../core/index.js';
import { DEFAULT_MAX_LINE_BYTES } from '../runners/claude-code-lines.js';
import { defaultClaudePaths, findTranscriptFiles } from '../runners/claude-code-usage-files.js';
import { claudePass, type ClaudePassEnd } from './claude-pass.js';
import { FlatDecoder } from './claude-worker-codec.js';
import { GONE, POSTED, TAKEN, type ClaudeWorkerData, type ClaudeWorkerMessage } from './claude-worker-protocol.js';
import { CliError, EXIT, PREFIX, claudeValues, warn } from './options.js';

/**
 * Below this many bytes of transcripts the worker's start-up costs more than it saves (and with one
 * core, always: the worker adds ≈ 10% CPU, sending the events flat and rebuilding them, that only a second core repays).
 */
const WORKER_MIN_BYTES = 8 * 2 ** 20;
/** Events per message from the worker (measured: BENCHMARKS.md, session 11). */
const BATCH_EVENTS = 2_000;
/** Messages posted by the worker and not yet taken by the main thread, at most. */
const MAX_IN_FLIGHT = 8;

export type ClaudeReadMode = 'auto' | 'worker' | 'main';

/** `FLEETSCOPE_READ_WORKER`: off (0, false) reads on the main thread; on (1, true) in the worker; otherwise by size and load (`workerPays`). */
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

/**
 * A pass over the transcripts, step by step, on the main thread or in the worker. Synchronous, like
 * the runner's `pollOnce`: the replay below awaits exactly what it awaited before the worker existed
 * (`start`, then each batch), so analyzers see the events at the same points (the anomalies forest's
 * work left for a later macrotask turn cannot run between two steps in one case and not the other)
 * and a report is the same byte for byte whichever thread read the files.
 */
interface Steps {
  start(): void | Promise<void>;
  /**
   * The events of the next step (`final`: the events held back after the last step). From the worker
   * they are taken as they come while the replay iterates them (still without a turn of the event
   * loop), so the replay of a step overlaps its reading.
   */
  step(final: boolean): Iterable<EventInput>;
  /** Once the step's events were iterated: whether more steps follow. */
  more(): boolean;
  end(): ClaudePassEnd;
  close(): void;
}

/** Claude Code transcripts into `sink`, one step of the pass per call; then the checks on what was read. */
export async function readClaude(path: string, sink: Sink, facts: { events: number; details: Record<string, number> }, mode: ClaudeReadMode = claudeReadMode()): Promise<void> {
  const steps = stepsFor(path, mode);
  let end: ClaudePassEnd;
  try {
    await steps.start();
    let more = true;
    while (more) {
      const batch = steps.step(false);
      await sink(batch);
      more = steps.more();
    }
    await sink(steps.step(true));
    steps.more();
    end = steps.end();
  } catch (error) {
    if (!(error instanceof WorkerFailure)) throw error;
    const why = await error.reason;
    if (error.handedOver > 0) throw new ClaudeWorkerLost(`the reading worker failed (${why})`);
    warnOnce(`the reading worker failed (${why}): transcripts read on the main thread`);
    return readClaude(path, sink, facts, 'main');
  } finally {
    steps.close();
  }
  checkClaude(path, facts, end);
}

/** Workers started by `prefetchClaude`, by path, until a replay takes them. */
const prefetched = new Map<string, WorkerSteps>();

/**
 * `report --claude DIR`: starts reading DIR in the worker before the command has loaded its modules
 * and built its observer (≈ 60 ms), so the first step is ready sooner. `readClaude` takes the worker
 * over when it reads that path; one never taken (bad arguments, --help) does not keep the process
 * alive. Paths as `sourcesFrom` resolves them.
 */
export function prefetchClaude(argv: readonly string[]): void {
  if (claudeReadMode() === 'main' || argv.includes('--help') || argv.includes('-h')) return;
  const url = workerUrl();
  if (url === undefined) return;
  for (const value of claudeValues(argv)) {
    const path = value === '' ? '' : resolve(value);
    if (prefetched.has(path) || (claudeReadMode() === 'auto' && !autoWorker(path))) continue;
    try {
      const steps = new WorkerSteps(url, path);
      steps.unref();
      prefetched.set(path, steps);
    } catch {
      // Started again, and its failure told, when the replay reads the path.
    }
  }
}

function stepsFor(path: string, mode: ClaudeReadMode): Steps {
  const early = prefetched.get(path);
  prefetched.delete(path);
  if (early !== undefined && mode !== 'main') return early.ref();
  early?.close();
  if (mode === 'main') return mainThreadSteps(path);
  const url = workerUrl();
  if (url === undefined) {
    if (mode === 'worker') warnOnce('no reading worker beside this build: transcripts read on the main thread');
    return mainThreadSteps(path);
  }
  if (mode === 'auto' && !autoWorker(path)) {
    debug(`transcripts read on the main thread (${autoReason()})`);
    return mainThreadSteps(path);
  }
  try {
    return new WorkerSteps(url, path);
  } catch (error) {
    warnOnce(`the reading worker did not start (${(error as Error).message}): transcripts read on the main thread`);
    return mainThreadSteps(path);
  }
}

function mainThreadSteps(path: string): Steps {
  let pending: EventInput[] = [];
  const pass = claudePass(path, (events) => {
    for (const e of events) pending.push(e);
  });
  let more = true;
  return {
    start: () => pass.start(),
    step(final) {
      if (final) pass.flush();
      else more = pass.step();
      const batch = pending;
      pending = [];
      return batch;
    },
    more: () => more,
    end: () => pass.end(),
    close() {},
  };
}

/** The worker failed; `reason` settles once the event loop has heard why (its 'error' or 'exit'). */
class WorkerFailure extends Error {
  /** `handedOver`: events of the worker's already given to the replay. */
  constructor(
    readonly reason: Promise<string>,
    readonly handedOver: number,
  ) {
    super('the reading worker failed');
  }
}

/**
 * Longest wait for the worker's next message: past it, the worker is taken for dead (out of memory,
 * where its own 'exit' handler does not run) and the transcripts are read on the main thread. A step
 * (24 MiB of transcripts) takes ≈ 0.1 s.
 */
const SILENCE_MS = 30_000;

/**
 * The pass in the worker thread (`claude-worker.ts`). Its messages are taken without going through
 * the event loop: `receiveMessageOnPort`, and `Atomics.wait` on the shared POSTED counter while none
 * is there.
 */
class WorkerSteps implements Steps {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signals: Int32Array;
  /** Why the worker ended, once the event loop has heard it. */
  private readonly gone: Promise<string>;
  /** The step being iterated, and whether more steps follow the last one read. */
  private current: Generator<EventInput, void, undefined> | undefined;
  private stepMore = true;
  private messages = 0;
  private events = 0;
  private readonly decoder = new FlatDecoder();

  constructor(url: URL, path: string) {
    const buffer = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
    this.signals = new Int32Array(buffer);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: ClaudeWorkerData = { fleetscopeClaudeWorker: 1, path, port: port2, batchEvents: BATCH_EVENTS, maxInFlight: MAX_IN_FLIGHT, signals: buffer };
    try {
      this.worker = new Worker(url, { workerData: data, transferList: [port2] });
    } catch (error) {
      port1.close();
      throw error;
    }
    this.gone = new Promise<string>((resolve) => {
      this.worker.on('error', (error) => resolve(error.message));
      this.worker.once('exit', (code) => resolve(`exited with code ${code}`));
    });
  }

  /** While prefetched: not keeping the process alive. */
  unref(): void {
    this.worker.unref();
  }

  /** Taken over by a replay: kept alive until its last message (and its 'exit' heard on failure). */
  ref(): this {
    this.worker.ref();
    return this;
  }

  start(): void {}

  step(): Iterable<EventInput> {
    this.current = this.stepEvents();
    return this.current;
  }

  more(): boolean {
    // Whatever the replay left of the step (nothing: it iterates every event) is taken, to reach its end.
    if (this.current !== undefined) for (const _ of this.current);
    this.current = undefined;
    return this.stepMore;
  }

  end(): ClaudePassEnd {
    const message = this.receive();
    if (message.kind !== 'end') throw this.failure(message.kind === 'error' ? message.message : `sent ${message.kind} after its last step`);
    debug(`transcripts read in a worker thread: ${this.events.toLocaleString('en-US')} events in ${this.messages - 1} messages`);
    return { details: message.details, errors: message.errors };
  }

  close(): void {
    // Done or failed: nothing more is read from it (it ends by itself after its last message).
    this.port.close();
    void this.worker.terminate();
  }

  /** The events of one step's messages, each message taken when the one before is used up; sets `stepMore`. */
  private *stepEvents(): Generator<EventInput, void, undefined> {
    for (;;) {
      const message = this.receive();
      if (message.kind === 'error') throw this.failure(message.message);
      if (message.kind !== 'events') throw this.failure('ended before its last step');
      this.events += message.batch.count;
      yield* this.decoder.decode(message.batch) as EventInput[];
      if (message.last) {
        this.stepMore = message.more;
        return;
      }
    }
  }

  /** The next message, waited for; WorkerFailure when the worker is gone (or silent) without one. */
  private receive(): ClaudeWorkerMessage {
    for (;;) {
      const posted = Atomics.load(this.signals, POSTED);
      // GONE read before the port: a message posted before the worker went is still found.
      const ended = Atomics.load(this.signals, GONE) === 1;
      const received = receiveMessageOnPort(this.port);
      if (received !== undefined) {
        this.messages++;
        Atomics.add(this.signals, TAKEN, 1);
        Atomics.notify(this.signals, TAKEN);
        return received.message as ClaudeWorkerMessage;
      }
      if (ended) throw this.failure();
      if (Atomics.wait(this.signals, POSTED, posted, SILENCE_MS) === 'timed-out') throw this.failure(`no word for ${SILENCE_MS / 1000} s`);
    }
  }

  private failure(why?: string): WorkerFailure {
    const late = new Promise<string>((resolve) => setTimeout(resolve, 2_000, 'it ended without finishing').unref());
    return new WorkerFailure(why !== undefined ? Promise.resolve(why) : Promise.race([this.gone, late]), this.events);
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

/**
 * Whether the worker pays in `auto` mode: a core idle now besides the main thread's (`busy`: threads
 * runnable elsewhere, at most the cores less two; the worker adds ≈ 10% CPU, which only a free core
 * repays: on a machine busy on every core it is slower), and enough transcripts to repay its start-up.
 */
export function workerPays(cores: number, busy: number, enoughBytes: () => boolean): boolean {
  return cores >= 2 && busy <= cores - 2 && enoughBytes();
}

/**
 * Threads runnable right now besides this one: the fourth field of /proc/loadavg (`running/total`, an
 * instant count) less ours; where there is none, the 1-minute load average rounded down. The instant
 * count, because the 1-minute average still holds the previous runs of a script that calls fleetscope
 * in a loop (on an idle 2-core machine it reads above 1 after a few runs).
 */
function runnableElsewhere(): number {
  try {
    const running = Number(readFileSync('/proc/loadavg', 'latin1').split(' ')[3]?.split('/')[0]);
    if (Number.isInteger(running) && running >= 1) return running - 1;
  } catch {
    // Not Linux: the load average below.
  }
  return Math.floor(loadavg()[0] ?? 0);
}

function autoWorker(path: string): boolean {
  return workerPays(availableParallelism(), runnableElsewhere(), () => transcriptBytesAtLeast(path, WORKER_MIN_BYTES));
}

/** Why `auto` left `path` on the main thread, for `FLEETSCOPE_DEBUG`. */
function autoReason(): string {
  const cores = availableParallelism();
  const busy = runnableElsewhere();
  if (cores < 2) return 'one core';
  if (busy > cores - 2) return `no idle core: ${busy} other ${busy === 1 ? 'thread' : 'threads'} runnable on ${cores} cores`;
  return 'under 8 MiB of transcripts';
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
