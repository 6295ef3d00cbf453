/**
 * The append path of the file log: serializing batches, queueing them (bounded), writing whole
 * lines with one `write()` each, and fdatasync by policy.
 *
 * Every process opens the newest segment with O_APPEND and writes each batch of whole lines with
 * one `write()` (at most `maxWriteBytes`). On Linux local filesystems an O_APPEND write is placed
 * and copied under the inode lock, so lines from different processes never interleave.
 *
 * On the append path: node built-ins and core types only (see file-log.ts).
 */
import * as fs from 'node:fs';
import type { FleetEvent, Storage } from '../core/index.js';
import { NEWLINE } from './file-log-segment.js';
import { lastByte, type ActiveSegment } from './file-log-active.js';
import { noteWriteError, wrapError, type FileLogState } from './file-log-state.js';

/** When appended events become durable; see docs/storage.md. */
export type FsyncPolicy = 'always' | 'batch' | 'interval' | 'never';

export interface WriterOptions {
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  maxWriteBytes: number;
  maxPendingBytes: number;
}

interface Pending {
  /** The batch as JSON Lines. */
  text: string;
  /** UTF-8 bytes of `text`. */
  bytes: number;
  /** Bytes of each line (newline included); the same array as `lineChars` when the text is ASCII. */
  lineBytes: Uint32Array;
  /** UTF-16 code units of each line (newline included). */
  lineChars: Uint32Array;
  events: readonly FleetEvent[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Lines `from`..`to` of one pending append, part of one write. */
interface Part {
  pending: Pending;
  from: number;
  to: number;
}

/**
 * Serializes a batch to JSON Lines with the byte length of every line (the offsets of the session
 * index). One string, no Buffer: `fs.writeSync(fd, string)` encodes it straight into the kernel
 * write. Lines are measured in bytes only when the batch is not pure ASCII (one native scan tells).
 */
function serialize(given: readonly FleetEvent[], counters: { unserializable: number }): Pick<Pending, 'text' | 'bytes' | 'lineBytes' | 'lineChars' | 'events'> {
  let batch = given;
  let lineChars = new Uint32Array(given.length);
  let text = '';
  for (let i = 0; i < given.length; i++) {
    let line: string | undefined;
    try {
      // One event at a time, each with its own try: an event that cannot be serialized (a host
      // appending a hostile object directly) costs itself, not its batch.
      line = JSON.stringify(given[i]);
    } catch {
      line = undefined;
    }
    if (typeof line !== 'string') {
      counters.unserializable++;
      if (batch === given) batch = given.slice(0, i);
      continue;
    }
    if (batch !== given) (batch as FleetEvent[]).push(given[i]!);
    lineChars[batch === given ? i : batch.length - 1] = line.length + 1;
    text += `${line}\n`;
  }
  if (batch !== given) lineChars = lineChars.slice(0, batch.length);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes === text.length) return { text, bytes, lineBytes: lineChars, lineChars, events: batch };
  const lineBytes = new Uint32Array(batch.length);
  for (let i = 0, at = 0; i < batch.length; i++) {
    lineBytes[i] = Buffer.byteLength(text.slice(at, at + lineChars[i]!), 'utf8');
    at += lineChars[i]!;
  }
  return { text, bytes, lineBytes, lineChars, events: batch };
}

const RESOLVED = Promise.resolve();
const noop = () => {};

const fdatasync = (fd: number) =>
  new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));

/** The writer of one file log: `append` and `flush` of its `Storage`, and the background fdatasync. */
export function fileLogWriter(state: FileLogState, output: ActiveSegment, options: WriterOptions) {
  const { counters } = state;
  const { fsync, fsyncIntervalMs, maxWriteBytes, maxPendingBytes } = options;
  const { currentSegment, closeActive } = output;
  let queue: Pending[] = [];
  let queuedBytes = 0;
  let draining = false;
  let drained: Promise<void> = Promise.resolve();
  let dirty = false;
  let syncTimer: NodeJS.Timeout | undefined;

  /** Policy `interval`: fdatasync in the background when something was written since the last one. */
  function startSyncTimer(): void {
    if (fsync !== 'interval') return;
    syncTimer = setInterval(() => {
      if (dirty && state.active !== undefined) {
        dirty = false;
        const fd = state.active.fd;
        fs.fdatasync(fd, (error) => {
          if (error) noteWriteError(state, error);
          else counters.fsyncs++;
        });
      }
    }, fsyncIntervalMs);
    syncTimer.unref();
  }

  /**
   * Writes a group of appends in pieces of at most `maxWriteBytes` (whole lines; a line bigger than
   * the cap is written alone). Usually the whole group is one piece: `takeGroup` keeps it under the cap.
   */
  function writeGroup(group: readonly Pending[]): void {
    let text = '';
    let bytes = 0;
    let parts: Part[] = [];
    const flushPiece = () => {
      if (parts.length > 0) writePiece(text, bytes, parts);
      text = '';
      bytes = 0;
      parts = [];
    };
    for (const pending of group) {
      if (bytes + pending.bytes <= maxWriteBytes) {
        text += pending.text;
        bytes += pending.bytes;
        parts.push({ pending, from: 0, to: pending.events.length });
        continue;
      }
      const { lineBytes, lineChars } = pending;
      const n = pending.events.length;
      for (let i = 0, charAt = 0; i < n; ) {
        let j = i;
        let b = 0;
        let c = 0;
        while (j < n && (bytes + b + lineBytes[j]! <= maxWriteBytes || (bytes === 0 && j === i))) {
          b += lineBytes[j]!;
          c += lineChars[j]!;
          j++;
        }
        if (j > i) {
          text += pending.text.slice(charAt, charAt + c);
          bytes += b;
          parts.push({ pending, from: i, to: j });
          charAt += c;
          i = j;
        }
        if (i < n) flushPiece();
      }
    }
    flushPiece();
    if (fsync === 'interval') dirty = true;
  }

  /** Policies `always` and `batch`: the group is acknowledged after the fdatasync covering it. */
  async function syncGroup(): Promise<void> {
    if ((fsync === 'always' || fsync === 'batch') && state.active !== undefined) {
      await fdatasync(state.active.fd);
      counters.fsyncs++;
    }
  }

  function writePiece(text: string, bytes: number, parts: readonly Part[]): void {
    const { active: target, size } = currentSegment();
    // Seal a torn record left by a writer that died mid-write, so our first line stays intact. When
    // the file still ends where our own last write ended, its last byte is our newline: no read.
    const sealed = size > 0 && size !== target.end && lastByte(target.fd, size) !== NEWLINE;
    const length = sealed ? bytes + 1 : bytes;
    // One synchronous write() of a string: Node encodes it straight into the syscall's buffer (no
    // Buffer object per batch). For a local file this costs about what handing it to the thread
    // pool and waiting costs, and an append is acknowledged only once its bytes are in the kernel anyway.
    const written = fs.writeSync(target.fd, sealed ? `\n${text}` : text);
    counters.writes++;
    if (written !== length) {
      target.end = -1;
      throw new Error(`short write (${written} of ${length} bytes): disk full?`);
    }
    const after = fs.fstatSync(target.fd).size;
    // If the file grew by exactly our bytes, nobody wrote in between: our lines start at `size`.
    const alone = after === size + written;
    target.end = alone ? after : -1;
    const segment = target.segment;
    if (alone && !sealed && segment.covered === size && segment.offsets !== undefined) {
      let offset = size;
      for (const { pending, from, to } of parts) {
        const { events, lineBytes } = pending;
        for (let i = from; i < to; i++) {
          segment.add(events[i]!, offset);
          offset += lineBytes[i]!;
        }
      }
      segment.covered = offset;
    }
  }

  function takeGroup(): Pending[] {
    if (fsync === 'always') return queue.splice(0, 1);
    let bytes = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || bytes + queue[n]!.bytes <= maxWriteBytes)) {
      bytes += queue[n]!.bytes;
      n++;
    }
    return queue.splice(0, n);
  }

  async function drain(): Promise<void> {
    draining = true;
    try {
      while (queue.length > 0) {
        const group = takeGroup();
        const bytes = group.reduce((sum, p) => sum + p.bytes, 0);
        try {
          await state.ready();
          writeGroup(group);
          await syncGroup();
          for (const p of group) {
            counters.appended += p.events.length;
            p.resolve();
          }
        } catch (error) {
          noteWriteError(state, error);
          closeActive(); // reopen on the next attempt (the directory may be writable again)
          const wrapped = wrapError('append', error);
          for (const p of group) p.reject(wrapped);
        } finally {
          queuedBytes -= bytes;
        }
      }
    } finally {
      draining = false;
    }
  }

  const append: Storage['append'] = (batch) => {
    if (state.closed) return Promise.reject(new Error('[fleetscope] [file-log] storage is closed'));
    if (batch.length === 0) return Promise.resolve();
    const serialized = serialize(batch, counters);
    if (serialized.events.length === 0) return Promise.resolve();
    if (queuedBytes + serialized.bytes > maxPendingBytes && queuedBytes > 0) {
      counters.droppedEvents += serialized.events.length;
      return Promise.reject(new Error('[fleetscope] [file-log] append dropped: too many bytes waiting to be written'));
    }
    // Nothing queued, the directory ready and no fdatasync to wait for: write now, resolved at once.
    if (state.isReady && !draining && queue.length === 0 && (fsync === 'interval' || fsync === 'never')) {
      try {
        writeGroup([{ ...serialized, resolve: noop, reject: noop }]);
        counters.appended += serialized.events.length;
        return RESOLVED;
      } catch (error) {
        noteWriteError(state, error);
        closeActive(); // reopen on the next attempt (the directory may be writable again)
        return Promise.reject(wrapError('append', error));
      }
    }
    queuedBytes += serialized.bytes;
    return new Promise<void>((resolve, reject) => {
      queue.push({ ...serialized, resolve, reject });
      if (!draining) drained = drain();
    });
  };

  async function flush(): Promise<void> {
    await drained;
    if (state.active !== undefined && fsync !== 'never') {
      try {
        await fdatasync(state.active.fd);
        counters.fsyncs++;
        dirty = false;
      } catch (error) {
        noteWriteError(state, error);
      }
    }
  }

  return {
    append,
    flush,
    startSyncTimer,
    /** Settles once the appends queued so far are written (or failed). */
    drained: () => drained,
    queuedBytes: () => queuedBytes,
    stopSyncTimer: () => clearInterval(syncTimer),
    /** At close, last: appends still queued are forgotten. */
    discardQueue(): void {
      queue = [];
    },
  };
}
