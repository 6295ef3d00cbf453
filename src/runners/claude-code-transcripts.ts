/**
 * `claudeCodeTranscriptsRunner`: follows Claude Code session transcripts and turns them into
 * events — assistant usage into `llm.call`, tool_use / tool_result blocks into `tool.start` /
 * `tool.end` with durations, subagents (sidechains, `subagents/agent-<id>.jsonl`) into agent scopes,
 * and each session's first and (after `sessionIdleMs` of silence) last line into `session.start` /
 * `session.end`.
 *
 * This file follows the files; what each line stands for is in `claude-code-transcript-events.ts`.
 *
 * Incremental: per file it keeps the byte offset of the next unread line, picks up appended lines
 * on each poll, leaves a torn last line until its newline arrives, starts over when a file shrinks
 * or is replaced, and forgets a deleted file. Bad lines are skipped and counted in `health()`.
 * Token figures come from the same parser as `fleetscope usage`, counted by the same rules (one
 * `llm.call` per message id + request id with its largest streamed copy, 1-hour cache writes at 2x
 * input), so the runner's totals equal `fleetscope usage`'s.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { EventInput, Runner, RunnerContext, RunnerHealth } from '../core/index.js';
import { CutLineParser, DEFAULT_MAX_LINE_BYTES, isBlank, scanLines } from './claude-code-lines.js';
import { transcriptFileInfo } from './claude-code-transcript.js';
import { pollLoop } from './poll-loop.js';
import { transcriptEvents } from './claude-code-transcript-events.js';
import { defaultClaudePaths, findTranscriptFiles } from './claude-code-usage-files.js';

export interface ClaudeCodeTranscriptsOptions {
  /**
   * Claude config dirs (with `projects/`), projects dirs or transcript files. Default: like ccusage,
   * `$CLAUDE_CONFIG_DIR` or `~/.config/claude` and `~/.claude`.
   */
  paths?: readonly string[];
  /** How often files are checked for new lines. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Look for new transcript files every this many polls. Default 5. */
  discoverEvery?: number;
  /** Read what the files already hold (true, default) or only what is appended after start (false). */
  fromStart?: boolean;
  /** Lines longer than this are skipped and counted. Default 16 MiB. */
  maxLineBytes?: number;
  /** Most bytes read per poll over all files (the rest waits for the next poll). Default 64 MiB. */
  maxBytesPerPoll?: number;
  /** Tool calls waiting for their result, and dedupe keys remembered; oldest dropped first. Default 50,000. */
  maxTracked?: number;
  /** Largest JSON kept for a tool input or error text. Default 4 KiB. */
  maxValueBytes?: number;
  /**
   * A session with no new line for this long is over: it gets its `session.end` (at its last
   * line, `reason: 'idle'`). Default 1,800,000 (30 min). See `claude-code-sessions.ts`.
   */
  sessionIdleMs?: number;
  /**
   * Emit `session.start` / `session.end` (default `true`). Turn off when Claude Code's hooks feed
   * the same observer: their `SessionStart` / `SessionEnd` are the real ones.
   */
  sessions?: boolean;
  /** Runner name (and event `source`). Default `claude-code-transcripts`. */
  name?: string;
}

interface FileState {
  offset: number;
  skipping: boolean;
  ino: number;
  main: boolean;
  sessionId: string;
  agentId: string | undefined;
  /** First bytes of the file when it was last read: a rewrite in place changes them. */
  head: Buffer | undefined;
  /** File size when a last line without its newline was left unread (-1: none). */
  tailAt?: number;
}

const HEAD_BYTES = 1024;

export interface ClaudeCodeTranscriptsRunner extends Runner {
  /** Reads what is new now, without waiting for the next poll (after `start`); for tests and tools. */
  poll(): void;
  /**
   * Reads at most `maxBytesPerPoll` of what is new (after `start`, also once stopped) and returns
   * whether more is left; for a tool that reads the files once and yields between steps.
   */
  pollOnce(): boolean;
  /**
   * Emits the `llm.call`s held back now: a response still streaming (its last copy may be yet to
   * come) and a subagent response known only from its parent's `agent_progress` echo. For a tool
   * that read the files once (`pollOnce` until false); `stop` does it too.
   */
  flush(): void;
}

export function claudeCodeTranscriptsRunner(options: ClaudeCodeTranscriptsOptions = {}): ClaudeCodeTranscriptsRunner {
  const name = options.name ?? 'claude-code-transcripts';
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const discoverEvery = Math.max(1, options.discoverEvery ?? 5);
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxBytesPerPoll = options.maxBytesPerPoll ?? 64 * 2 ** 20;
  const maxTracked = options.maxTracked ?? 50_000;
  const maxValueBytes = options.maxValueBytes ?? 4096;
  if (!(pollIntervalMs >= 10)) throw new Error(`[fleetscope] [${name}] pollIntervalMs must be >= 10`);
  if (!(maxLineBytes >= 1024)) throw new Error(`[fleetscope] [${name}] maxLineBytes must be >= 1024`);
  const sessionIdleMs = options.sessionIdleMs ?? 30 * 60_000;
  if (!(sessionIdleMs >= 1000)) throw new Error(`[fleetscope] [${name}] sessionIdleMs must be >= 1000`);

  const files = new Map<string, FileState>();
  const counters = {
    files: 0,
    lines: 0,
    malformed: 0,
    oversized: 0,
    unknownType: 0,
    duplicates: 0,
    llmCalls: 0,
    toolStarts: 0,
    toolEnds: 0,
    truncations: 0,
    filesGone: 0,
    readErrors: 0,
  };
  const events = transcriptEvents({ source: name, maxTracked, maxValueBytes, sessionIdleMs, sessions: options.sessions !== false }, counters);
  /** Lines are parsed without their long strings (tool outputs, file contents), given back where read. */
  const lineParser = new CutLineParser();
  let status: RunnerHealth['status'] = 'idle';
  let lastError: string | undefined;
  let polls = 0;
  let sink: RunnerContext | undefined;
  let firstDiscovery = true;
  /** Set by readFile when the byte budget stopped it before the end of a file. */
  let cutByBudget = false;

  function discover(): void {
    // Main transcripts before subagent files (`<session>/subagents/**` and 2.0.x `agent-*.jsonl`), so
    // a session starts at its own first line and a subagent's lines come after the Task that started it.
    const isSubagentFile = (file: string) => transcriptFileInfo(file).agentId !== undefined || /[\\/]agent-[^\\/]*\.jsonl$/.test(file);
    const refs = findTranscriptFiles(options.paths ?? defaultClaudePaths())
      .map((ref, i) => ({ ref, i, sub: isSubagentFile(ref.file) }))
      .sort((a, b) => Number(a.sub) - Number(b.sub) || a.i - b.i)
      .map((x) => x.ref);
    for (const ref of refs) {
      if (files.has(ref.file)) continue;
      const info = transcriptFileInfo(ref.file);
      let offset = 0;
      let ino = 0;
      if (firstDiscovery && options.fromStart === false) {
        try {
          const fd = openSync(ref.file, 'r');
          const st = fstatSync(fd);
          closeSync(fd);
          offset = st.size;
          ino = st.ino;
        } catch {
          continue;
        }
      }
      files.set(ref.file, { offset, skipping: false, ino, main: info.agentId === undefined, sessionId: info.sessionId, agentId: info.agentId, head: undefined });
    }
    firstDiscovery = false;
    counters.files = files.size;
  }

  function readFile(path: string, state: FileState, budget: number): number {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        files.delete(path);
        counters.filesGone++;
      } else {
        counters.readErrors++;
        lastError = (error as Error).message;
      }
      return 0;
    }
    const out: EventInput[] = [];
    let read = 0;
    try {
      const st = fstatSync(fd);
      let rewritten = false;
      if (state.head !== undefined && st.size >= state.head.length) {
        const now = Buffer.alloc(state.head.length);
        readSync(fd, now, 0, now.length, 0);
        rewritten = !now.equals(state.head);
      }
      if (rewritten || st.size < state.offset || (state.ino !== 0 && st.ino !== state.ino)) {
        // Truncated or replaced: start over.
        counters.truncations++;
        state.offset = 0;
        state.skipping = false;
        state.head = undefined;
      }
      state.ino = st.ino;
      const end = Math.min(st.size, state.offset + budget);
      // Cut by the budget: more of this file waits (the budget left may be smaller than its next line).
      if (end < st.size) cutByBudget = true;
      if (end <= state.offset) return 0;
      const result = scanLines(fd, state.offset, end, { maxLineBytes, flushTail: false, skipping: state.skipping }, (buf, start, stop) => {
        counters.lines++;
        if (isBlank(buf, start, stop)) return;
        let json: unknown;
        try {
          json = lineParser.parse(buf, start, stop);
        } catch {
          counters.malformed++;
          return;
        }
        if (typeof json !== 'object' || json === null || Array.isArray(json)) {
          counters.malformed++;
          return;
        }
        events.handleLine(state, json as Record<string, unknown>, out, lineParser);
      });
      lineParser.done();
      counters.oversized += result.oversized;
      read = result.next - state.offset;
      // A budget cut inside a line: the line is re-read whole next time (scan stops at its start).
      state.offset = result.next;
      // A last line without its newline: left for the newline, unless the file stayed the same size
      // for a whole poll (the writer is done) and the line is a complete JSON object.
      if (end === st.size && state.offset < st.size && !state.skipping) {
        if (state.tailAt === st.size && st.size - state.offset <= maxLineBytes) {
          const tail = Buffer.alloc(st.size - state.offset);
          readSync(fd, tail, 0, tail.length, state.offset);
          let json: unknown;
          try {
            json = JSON.parse(tail.toString('utf8'));
          } catch {
            json = undefined;
          }
          if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
            counters.lines++;
            events.handleLine(state, json as Record<string, unknown>, out);
            read += tail.length;
            state.offset = st.size;
          }
          state.tailAt = -1;
        } else {
          state.tailAt = st.size;
        }
      }
      state.skipping = result.skipping;
      if (state.head === undefined && st.size > 0) {
        state.head = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
        readSync(fd, state.head, 0, state.head.length, 0);
      }
    } catch (error) {
      counters.readErrors++;
      lastError = (error as Error).message;
    } finally {
      closeSync(fd);
    }
    if (out.length > 0) sink?.emitMany(out);
    return read;
  }

  /**
   * Where the byte budget stopped the pass under way (the file to read next), or undefined: the
   * next poll goes on from there, so catching up with many files visits each file once per pass,
   * not once per poll.
   */
  let resumeAt: string | undefined;

  /** Reads on over the files; returns whether the byte budget ran out (more to read at once). */
  function poll(): boolean {
    polls++;
    if (resumeAt === undefined && (polls - 1) % discoverEvery === 0) discover();
    let budget = maxBytesPerPoll;
    cutByBudget = false;
    const paths = [...files.keys()];
    const from = resumeAt === undefined ? 0 : Math.max(0, paths.indexOf(resumeAt));
    resumeAt = undefined;
    for (let i = from; i < paths.length; i++) {
      const path = paths[i]!;
      const state = files.get(path);
      if (budget <= 0) {
        resumeAt = path;
        return true;
      }
      if (state !== undefined) budget -= readFile(path, state, budget);
      if (cutByBudget) {
        resumeAt = path;
        return true;
      }
    }
    // Caught up with every file: a response no copy came for during a whole poll is complete, and
    // a session with nothing new for sessionIdleMs is over.
    const ended: EventInput[] = [];
    events.releaseQuiet(ended);
    events.endIdleSessions(Date.now(), ended);
    if (ended.length > 0) sink?.emitMany(ended);
    return false;
  }

  function flush(): void {
    const out: EventInput[] = [];
    events.flush(out);
    if (out.length > 0) sink?.emitMany(out);
  }

  const loop = pollLoop({
    intervalMs: pollIntervalMs,
    tick: () => {
      const more = poll();
      status = counters.readErrors > 0 ? 'degraded' : 'running';
      return more;
    },
    onError: (error) => {
      lastError = (error as Error).message;
      sink?.reportError(error, 'poll');
      status = 'degraded';
    },
  });

  return {
    name,
    start(context) {
      sink = context;
      status = 'running';
      loop.start(context.signal, 0);
    },
    stop() {
      loop.stop();
      flush();
    },
    flush,
    poll() {
      if (sink === undefined || !loop.running) return;
      while (poll()) {
        // budget exhausted: keep reading until caught up
      }
    },
    pollOnce() {
      return sink === undefined ? false : poll();
    },
    health() {
      return {
        // Stopped by stop() or by the abort signal: the loop knows which it is.
        status: loop.running || status === 'idle' ? status : 'stopped',
        ...(lastError !== undefined ? { message: lastError } : {}),
        details: { ...counters, ...events.health() },
      };
    },
  };
}
