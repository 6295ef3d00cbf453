/**
 * The reading worker of `--claude` sources (a `worker_threads` entry, built to dist/cli/claude-worker.js):
 * reads and parses the transcripts with the transcripts runner (`claude-pass.ts`) while the main
 * thread replays the events already read into the observer, so the two halves of `report --claude`
 * run on two cores.
 *
 * To the main thread, on `port`, in order (types in `claude-worker-protocol.ts`):
 * - `{ kind: 'events', batch, last, more }` — events in the runner's order, at most `batchEvents`
 *   at a time, flat (`claude-worker-codec.ts`: the main thread rebuilds them); `last` ends one step of the pass (one `pollOnce`, then the final flush), `more` says
 *   whether the runner has more to read;
 * - `{ kind: 'end', details, errors }` — the runner's counts, after the flush;
 * - `{ kind: 'error', message }` — the pass threw: nothing more comes.
 * The main thread takes them without going through its event loop (`receiveMessageOnPort`), waiting
 * on `signals` (shared memory): POSTED counts the messages posted, TAKEN those taken, GONE is set when
 * this thread ends, however it ends. Back-pressure: the worker waits while `maxInFlight` messages are
 * posted and not taken, so at most that many batches are held between the threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FlatEncoder } from './claude-worker-codec.js';
import { GONE, POSTED, TAKEN, isClaudeWorkerData, type ClaudeWorkerData, type ClaudeWorkerMessage } from './claude-worker-protocol.js';

async function run(data: ClaudeWorkerData, signals: Int32Array): Promise<void> {
  const send = (message: ClaudeWorkerMessage): void => {
    data.port.postMessage(message);
    Atomics.add(signals, POSTED, 1);
    Atomics.notify(signals, POSTED);
  };
  const out = new FlatEncoder();
  const post = (last: boolean, more: boolean): void => {
    // A timeout, so that a missed wake-up only costs a re-check.
    for (let ahead = Atomics.load(signals, POSTED) - Atomics.load(signals, TAKEN); ahead >= data.maxInFlight; ahead = Atomics.load(signals, POSTED) - Atomics.load(signals, TAKEN)) {
      Atomics.wait(signals, TAKEN, Atomics.load(signals, TAKEN), 100);
    }
    send({ kind: 'events', batch: out.take(), last, more });
  };
  try {
    // Loaded here, not imported: a module that fails to load is then an 'error' message like any other.
    const { claudePass } = await import('./claude-pass.js');
    const pass = claudePass(data.path, (events) => {
      for (const e of events) {
        out.add(e);
        if (out.size >= data.batchEvents) post(false, true);
      }
    });
    await pass.start();
    let more = true;
    while (more) {
      more = pass.step();
      post(true, more);
    }
    pass.flush();
    post(true, false);
    send({ kind: 'end', ...pass.end() });
  } catch (error) {
    send({ kind: 'error', message: (error as Error)?.message ?? String(error) });
  }
}

// Only when started as this worker (not when some other worker thread loads the module).
if (parentPort !== null && isClaudeWorkerData(workerData)) {
  const data = workerData;
  const signals = new Int32Array(data.signals);
  // However this thread ends (done, process.exit, an error), the main thread stops waiting for it.
  process.on('exit', () => {
    Atomics.store(signals, GONE, 1);
    Atomics.add(signals, POSTED, 1);
    Atomics.notify(signals, POSTED);
  });
  void run(data, signals);
}
