/**
 * One reading of Claude Code transcripts, start to end, through the transcripts runner: the same
 * steps whether it runs on the CLI's main thread or in the reading worker (`claude-worker.ts`).
 * Each `step()` reads at most CLAUDE_BYTES_PER_POLL; the events of one step are one batch for the
 * replay (the replay flushes the observer between batches, so the steps must be the same on both
 * paths for a report to be the same).
 */
import type { EventInput, RunnerContext } from '../core/index.js';
import { DEFAULT_MAX_LINE_BYTES } from '../runners/claude-code-lines.js';
import { claudeCodeTranscriptsRunner } from '../runners/claude-code-transcripts.js';

/**
 * Bytes read per poll of the transcripts runner: 8 MiB past the longest line it keeps, so every poll
 * moves on (a line longer than a poll's read would be read again and again from its start: a 2 GB
 * transcript of one line made `report` spin forever).
 */
export const CLAUDE_BYTES_PER_POLL = DEFAULT_MAX_LINE_BYTES + 8 * 2 ** 20;

/** The runner's counters `readClaude` keeps, in `SourceFacts.details`. */
const DETAILS = ['files', 'lines', 'malformed', 'oversized', 'unknownType', 'llmCalls', 'toolStarts', 'readErrors'] as const;

/** What a pass found once it is over. */
export interface ClaudePassEnd {
  details: Record<string, number>;
  /** The runner's reported errors (messages), in order. */
  errors: string[];
}

export interface ClaudePass {
  /**
   * Starts the runner (without its timer: the caller reads, step by step). Returns what the runner's
   * `start` returns, for the caller to `await` as the replay always did.
   */
  start(): void | Promise<void>;
  /** Reads on; returns whether more is left (then call again). Events go to `onEvents` as they are made. */
  step(): boolean;
  /** After the last step: the events still held back (the last responses, subagent responses known only from echoes). */
  flush(): void;
  /** Stops the runner and gives its counts. */
  end(): ClaudePassEnd;
}

/** A pass over `path` ('' for the default Claude dirs); `onEvents` gets each group of events the runner emits, in order. */
export function claudePass(path: string, onEvents: (events: Iterable<EventInput>) => void): ClaudePass {
  const runner = claudeCodeTranscriptsRunner({ ...(path === '' ? {} : { paths: [path] }), maxBytesPerPoll: CLAUDE_BYTES_PER_POLL, pollIntervalMs: 60_000 });
  const errors: string[] = [];
  const controller = new AbortController();
  const context: RunnerContext = {
    emit: (e) => onEvents([e]),
    emitMany: (es) => onEvents(es),
    reportError: (error) => void errors.push((error as Error).message),
    signal: controller.signal,
  };
  return {
    start() {
      const started = runner.start(context);
      runner.stop(); // no timer: the caller reads
      return started;
    },
    step: () => runner.pollOnce(),
    flush: () => runner.flush(),
    end() {
      controller.abort();
      const all = runner.health().details ?? {};
      const details: Record<string, number> = {};
      for (const key of DETAILS) {
        const v = all[key];
        if (typeof v === 'number') details[key] = v;
      }
      return { details, errors };
    },
  };
}
