/**
 * `tail --follow` through a server outage (a PostgreSQL or Redis restart, a partition): a failed read
 * is said once on stderr, tried again with backoff (250 ms doubling to 5 s), and the return is said
 * once too; the follower keeps its position, so it resumes where it stopped.
 */
import { errorMessage } from '../core/index.js';
import { withoutPassword } from './options.js';

const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 5000;

export interface Outage {
  /** A read failed: says so (once per outage) and waits before the next try (ends early on abort). */
  failed(error: unknown): Promise<void>;
  /** A read succeeded: says the source is back, if it was lost. */
  succeeded(): void;
}

/** `url` names the source in messages, without its password. */
export function followOutage(url: string, signal: AbortSignal, write: (line: string) => void = (line) => process.stderr.write(line)): Outage {
  const shown = withoutPassword(url);
  let failures = 0;
  return {
    async failed(error) {
      if (failures === 0) {
        const message = errorMessage(error).replaceAll(url, shown);
        write(`fleetscope tail: lost ${shown} (${message}); retrying until it is back (Ctrl-C ends)\n`);
      }
      const delay = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(failures, 5));
      failures++;
      await sleep(delay, signal);
    },
    succeeded() {
      if (failures === 0) return;
      failures = 0;
      write(`fleetscope tail: ${shown} is back; following from where it stopped\n`);
    },
  };
}

/** Waits `ms`, or less if `signal` aborts. The timer is ref'd: a CLI waiting out an outage has nothing else keeping it alive. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
