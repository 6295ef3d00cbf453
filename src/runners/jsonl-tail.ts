/**
 * JSONL tail runner: follows one or more JSON Lines files like `tail -F`, turning each line
 * into an event (fleetscope's own event format by default, or through a host mapping function).
 *
 * Survives rotation (the path now names another inode: the old file is drained, the new one is
 * read from its start), truncation (the size shrinks: reading restarts at 0) and deletion (the
 * path is watched until it reappears). A torn last line is buffered until its newline arrives;
 * a line longer than `maxLineBytes` is skipped without being buffered; malformed lines are
 * skipped and counted in `health().details`.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { errorMessage, type EventInput, type Runner, type RunnerContext, type RunnerHealth } from '../core/index.js';
import { LineSplitter, type LineSink } from './jsonl-lines.js';
import { resolveOptions, type JsonlLineSource, type JsonlTailOptions } from './jsonl-tail-options.js';

export type { JsonlLineSource, JsonlMapper, JsonlTailOptions } from './jsonl-tail-options.js';

interface FileState {
  path: string;
  handle?: FileHandle;
  ino?: number;
  dev?: number;
  position: number;
  lineNumber: number;
  /** Splits what is read into lines; holds the current unterminated line. */
  lines: LineSplitter;
  /** Receives the lines of this file. */
  sink: LineSink;
  busy: boolean;
  again: boolean;
  /** Whether the file existed when last checked (to count deletions once). */
  present: boolean;
  /**
   * from: 'end': the size and inode the file had when the runner started; the first open of
   * that same file starts there, so lines appended while it opens are not lost.
   */
  startAt?: { size: number; ino: number; dev: number; fromEnd: boolean };
  /** The last check failed (reported once per failing streak). */
  failing: boolean;
}

const NEWLINE = 0x0a;

type Counter =
  | 'linesRead'
  | 'eventsEmitted'
  | 'malformed'
  | 'notAnObject'
  | 'tooLong'
  | 'blank'
  | 'mappedToNothing'
  | 'mapErrors'
  | 'rotations'
  | 'truncations'
  | 'deletions'
  | 'tornLinesDropped'
  | 'fragmentsSkipped'
  | 'readErrors'
  | 'bytesRead';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Follows JSONL files and emits one event per line (or what `map` returns).
 *
 * ```ts
 * createObserver({ runners: [jsonlTailRunner({ paths: ['/var/log/agent/events.jsonl'], from: 'start' })] });
 * ```
 */
export function jsonlTailRunner(options: JsonlTailOptions): Runner {
  const opts = resolveOptions(options);
  const counters: Record<Counter, number> = {
    linesRead: 0,
    eventsEmitted: 0,
    malformed: 0,
    notAnObject: 0,
    tooLong: 0,
    blank: 0,
    mappedToNothing: 0,
    mapErrors: 0,
    rotations: 0,
    truncations: 0,
    deletions: 0,
    tornLinesDropped: 0,
    fragmentsSkipped: 0,
    readErrors: 0,
    bytesRead: 0,
  };
  const files = new Map<string, FileState>();
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let context: RunnerContext | undefined;
  let status: RunnerHealth['status'] = 'idle';
  let lastProblem: string | undefined;
  let stopped = false;

  const problem = (counter: Counter, reason: string, source?: JsonlLineSource) => {
    counters[counter]++;
    lastProblem = source === undefined ? reason : `${reason} (${source.path}:${source.lineNumber})`;
    context?.reportError(new Error(lastProblem), counter);
  };

  const handleLine = (file: FileState, line: Buffer) => {
    file.lineNumber++;
    counters.linesRead++;
    const source: JsonlLineSource = { path: file.path, lineNumber: file.lineNumber };
    let text = line.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') {
      counters.blank++;
      return;
    }
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      problem('malformed', `malformed JSON line skipped: ${errorMessage(error).slice(0, 120)}`, source);
      return;
    }
    let events: EventInput | readonly EventInput[] | undefined;
    if (opts.map !== undefined) {
      try {
        events = opts.map(record, source);
      } catch (error) {
        problem('mapErrors', `map threw, line skipped: ${errorMessage(error).slice(0, 200)}`, source);
        return;
      }
    } else if (isObject(record)) {
      events = record as unknown as EventInput;
    } else {
      problem('notAnObject', 'line is JSON but not an event object; skipped', source);
      return;
    }
    if (events === undefined || (Array.isArray(events) && events.length === 0)) {
      counters.mappedToNothing++;
      return;
    }
    const ctx = context;
    if (ctx === undefined) return;
    if (Array.isArray(events)) {
      ctx.emitMany(events);
      counters.eventsEmitted += events.length;
    } else {
      ctx.emit(events as EventInput);
      counters.eventsEmitted++;
    }
  };

  const sinkFor = (file: FileState): LineSink => ({
    line: (bytes) => handleLine(file, bytes),
    tooLong: () => {
      file.lineNumber++;
      counters.linesRead++;
      problem('tooLong', `line longer than ${opts.maxLineBytes} bytes skipped`, { path: file.path, lineNumber: file.lineNumber });
    },
    fragment: () => void counters.fragmentsSkipped++,
  });

  const resetLine = (file: FileState, reason: 'rotation' | 'truncation' | 'deletion') => {
    if (file.lines.pending) {
      problem('tornLinesDropped', `unterminated last line dropped at ${reason}`, { path: file.path, lineNumber: file.lineNumber + 1 });
    }
    file.lines.reset();
    file.lineNumber = 0;
  };

  /** Reads from `file.position` to the end of the open handle. */
  const drain = async (file: FileState, buffer: Buffer) => {
    const handle = file.handle;
    if (handle === undefined) return;
    for (;;) {
      if (stopped) return;
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, file.position);
      if (bytesRead === 0) return;
      file.position += bytesRead;
      counters.bytesRead += bytesRead;
      file.lines.push(buffer.subarray(0, bytesRead), file.sink);
    }
  };

  const closeHandle = async (file: FileState) => {
    const handle = file.handle;
    file.handle = undefined;
    file.ino = undefined;
    file.dev = undefined;
    await handle?.close().catch(() => {});
  };

  const checkOnce = async (file: FileState, buffer: Buffer) => {
    let info;
    try {
      info = await stat(file.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (file.handle !== undefined) {
        // Deleted: whatever was appended before the unlink is still readable through the handle.
        await drain(file, buffer);
        resetLine(file, 'deletion');
        await closeHandle(file);
      }
      if (file.present) counters.deletions++;
      file.present = false;
      file.position = 0;
      file.startAt = undefined;
      return;
    }
    file.present = true;
    if (!info.isFile()) throw new Error(`${file.path} is not a regular file`);
    if (file.handle !== undefined && (info.ino !== file.ino || info.dev !== file.dev)) {
      // Rotated: finish the old file (lines appended before the rename), then switch.
      await drain(file, buffer);
      resetLine(file, 'rotation');
      await closeHandle(file);
      counters.rotations++;
      file.position = 0;
    }
    if (file.handle === undefined) {
      const handle = await open(file.path, 'r');
      const opened = await handle.stat();
      file.handle = handle;
      file.ino = opened.ino;
      file.dev = opened.dev;
      const at = file.startAt;
      file.position = at !== undefined && at.ino === opened.ino && at.dev === opened.dev ? Math.min(at.size, opened.size) : 0;
      file.startAt = undefined;
      if (at === undefined || file.position === 0) file.lineNumber = 0;
      if (at?.fromEnd === true && file.position > 0) {
        // Started at the end of a file whose last line is still being written: skip its rest.
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, file.position - 1);
        if (last[0] !== NEWLINE) file.lines.skipToNextLine();
      }
      if (stopped) return closeHandle(file);
    }
    const size = (await file.handle.stat()).size;
    if (size < file.position) {
      resetLine(file, 'truncation');
      counters.truncations++;
      file.position = 0;
    }
    if (size > file.position) await drain(file, buffer);
  };

  const check = async (file: FileState) => {
    if (stopped) return;
    if (file.busy) {
      file.again = true;
      return;
    }
    file.busy = true;
    const buffer = Buffer.allocUnsafe(opts.readChunkBytes);
    try {
      do {
        file.again = false;
        try {
          await checkOnce(file, buffer);
          if (file.failing) {
            file.failing = false;
            if (status === 'degraded' && ![...files.values()].some((f) => f.failing)) status = 'running';
          }
        } catch (error) {
          counters.readErrors++;
          lastProblem = `${file.path}: ${errorMessage(error)}`;
          if (!stopped) status = 'degraded';
          if (!file.failing) context?.reportError(error, 'read');
          file.failing = true;
          // Resume where we were if the same file can be opened again (no duplicate lines).
          if (file.ino !== undefined && file.dev !== undefined) {
            file.startAt = { size: file.position, ino: file.ino, dev: file.dev, fromEnd: false };
          }
          await closeHandle(file);
        }
      } while (file.again && !stopped);
    } finally {
      file.busy = false;
    }
  };

  const checkAll = () => {
    for (const file of files.values()) void check(file);
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    status = 'stopped';
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    for (const watcher of watchers.splice(0)) {
      try {
        watcher.close();
      } catch {
        // Already closed.
      }
    }
    await Promise.all([...files.values()].map((file) => closeHandle(file)));
    context = undefined;
  };

  return {
    name: opts.name,
    async start(ctx) {
      if (context !== undefined || stopped) return;
      context = ctx;
      status = 'running';
      ctx.signal.addEventListener('abort', () => void stop(), { once: true });
      for (const path of opts.paths) {
        let present = false;
        let startAt: FileState['startAt'];
        try {
          const info = await stat(path);
          present = info.isFile();
          if (present && opts.from === 'end') startAt = { size: info.size, ino: info.ino, dev: info.dev, fromEnd: true };
        } catch {
          // Not there yet: picked up (from its start) when it appears.
        }
        const file: FileState = {
          path,
          position: 0,
          lineNumber: 0,
          lines: new LineSplitter(opts.maxLineBytes),
          sink: undefined as unknown as LineSink,
          failing: false,
          busy: false,
          again: false,
          present,
          startAt,
        };
        file.sink = sinkFor(file);
        files.set(path, file);
      }
      if (opts.watch) {
        const byDir = new Map<string, Set<string>>();
        for (const path of opts.paths) {
          const names = byDir.get(dirname(path)) ?? new Set<string>();
          names.add(basename(path));
          byDir.set(dirname(path), names);
        }
        for (const [dir, names] of byDir) {
          try {
            // The directory, not the file: a watch on a file follows its inode and goes deaf after rotation.
            const watcher = watch(dir, { persistent: false }, (_event, filename) => {
              if (filename === null || filename === undefined) return checkAll();
              const name = filename.toString();
              if (names.has(name)) void check(files.get(resolve(dir, name))!);
            });
            watcher.on('error', () => {
              // Polling goes on; the watcher is only an accelerator.
            });
            watchers.push(watcher);
          } catch {
            // fs.watch unsupported here (network filesystem, missing directory): polling only.
          }
        }
      }
      timer = setInterval(checkAll, opts.pollIntervalMs);
      timer.unref();
      checkAll();
    },
    stop,
    health() {
      return {
        status,
        message: lastProblem,
        details: { files: files.size, ...counters },
      };
    },
  };
}
