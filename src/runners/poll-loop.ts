/**
 * The timer of a runner that polls files: runs `tick` after a first delay and then every
 * `intervalMs` (at once again when `tick` returns true: it has more to read), never keeps the
 * host process alive, hands a throwing `tick` to `onError`, and ends on `stop()` or when the
 * runner's abort signal fires. Shared by the Claude Code hooks and transcripts runners.
 */
export interface PollLoopOptions {
  intervalMs: number;
  /** One poll; returns true when it stopped early with more to read. */
  tick: () => boolean | void;
  onError: (error: unknown) => void;
}

export interface PollLoop {
  /** Starts polling after `firstDelayMs`; `signal` aborting stops it. */
  start(signal: AbortSignal, firstDelayMs: number): void;
  stop(): void;
  readonly running: boolean;
}

export function pollLoop(options: PollLoopOptions): PollLoop {
  const { intervalMs, tick, onError } = options;
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  const schedule = (delay: number): void => {
    timer = setTimeout(() => {
      if (!running) return;
      let more = false;
      try {
        more = tick() === true;
      } catch (error) {
        onError(error);
      }
      schedule(more ? 0 : intervalMs);
    }, delay);
    timer.unref();
  };
  const stop = (): void => {
    running = false;
    clearTimeout(timer);
  };

  return {
    start(signal, firstDelayMs) {
      running = true;
      schedule(firstDelayMs);
      signal.addEventListener('abort', stop, { once: true });
    },
    stop,
    get running() {
      return running;
    },
  };
}
