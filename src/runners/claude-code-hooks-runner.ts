/**
 * `claudeCodeHooksRunner`: feeds a live observer with what `fleetscope hook` processes write to a
 * hook store (default: the project's `.fleetscope/`, found as the hook finds it). It follows the store's file-log
 * segments (one `FleetEvent` per line) from a byte offset per segment, so a host sees Claude Code's
 * sessions, tools, subagents and guardrail blocks as they happen. Lines that are not events (segment
 * headers, a torn line) are skipped and counted.
 */
import { closeSync, fstatSync, openSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EventInput, Runner, RunnerContext, RunnerHealth } from '../core/index.js';
import { DEFAULT_MAX_LINE_BYTES, isBlank, scanLines } from './claude-code-lines.js';
import { resolveHookStore } from './claude-code-hook-store.js';
import { pollLoop } from './poll-loop.js';

export interface ClaudeCodeHooksRunnerOptions {
  /**
   * The hook store directory. Default: where `fleetscope hook` writes from this process's directory
   * (`$FLEETSCOPE_STORE`, else `.fleetscope` in `$CLAUDE_PROJECT_DIR`, the git root or the working directory).
   */
  store?: string;
  /** Read events already in the store (true) or only new ones (false, default). */
  fromStart?: boolean;
  /** How often the store is checked. Default 500 ms. */
  pollIntervalMs?: number;
  /** Runner name. Default `claude-code-hooks`. */
  name?: string;
}

const SEGMENT = /^\d{8,}\.jsonl$/;

export interface ClaudeCodeHooksRunner extends Runner {
  /** Reads what is new now (after `start`). */
  poll(): void;
}

export function claudeCodeHooksRunner(options: ClaudeCodeHooksRunnerOptions = {}): ClaudeCodeHooksRunner {
  const name = options.name ?? 'claude-code-hooks';
  const store = resolve(options.store ?? resolveHookStore().dir);
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  if (!(pollIntervalMs >= 10)) throw new Error(`[fleetscope] [${name}] pollIntervalMs must be >= 10`);
  const offsets = new Map<string, number>();
  const counters = { segments: 0, events: 0, skippedLines: 0, readErrors: 0 };
  let first = true;
  let status: RunnerHealth['status'] = 'idle';
  let sink: RunnerContext | undefined;

  function pollOnce(): void {
    let names: string[];
    try {
      names = readdirSync(store).filter((n) => SEGMENT.test(n)).sort();
    } catch {
      return; // no store yet
    }
    for (const file of names) {
      const path = join(store, file);
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch {
        continue;
      }
      const out: EventInput[] = [];
      try {
        const size = fstatSync(fd).size;
        let offset = offsets.get(file);
        if (offset === undefined) offset = first && options.fromStart !== true ? size : 0;
        if (size < offset) offset = 0;
        const result = scanLines(fd, offset, size, { maxLineBytes: DEFAULT_MAX_LINE_BYTES, flushTail: false }, (buf, s, e) => {
          if (isBlank(buf, s, e)) return;
          try {
            const event = JSON.parse(buf.toString('utf8', s, e)) as EventInput;
            if (typeof event === 'object' && event !== null && typeof event.type === 'string') {
              out.push(event);
              return;
            }
          } catch {
            // fall through
          }
          counters.skippedLines++;
        });
        offsets.set(file, result.next);
      } catch {
        counters.readErrors++;
      } finally {
        closeSync(fd);
      }
      counters.events += out.length;
      if (out.length > 0) sink?.emitMany(out);
    }
    for (const known of offsets.keys()) if (!names.includes(known)) offsets.delete(known);
    counters.segments = offsets.size;
    first = false;
  }

  const loop = pollLoop({ intervalMs: pollIntervalMs, tick: pollOnce, onError: (error) => sink?.reportError(error, 'poll') });

  return {
    name,
    start(context) {
      sink = context;
      status = 'running';
      pollOnce();
      loop.start(context.signal, pollIntervalMs);
    },
    stop() {
      loop.stop();
    },
    poll() {
      if (sink !== undefined && loop.running) pollOnce();
    },
    health() {
      // Stopped by stop() or by the abort signal: the loop knows which it is.
      return { status: loop.running || status === 'idle' ? status : 'stopped', details: { ...counters, store } };
    },
  };
}
