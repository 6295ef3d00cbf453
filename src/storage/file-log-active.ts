/**
 * The segment this process appends to: finding the newest one, rotating to a new one without a
 * lock, and sealing a record torn by a writer that died mid-write.
 *
 * Rotation needs no lock: the next segment is created complete with its header in a temporary
 * file and `link()`ed to its final name, which fails with EEXIST for every process but one. A
 * writer checks before each batch whether its segment is full or a newer one exists.
 *
 * On the append path: node built-ins and core types only, all synchronous (see file-log.ts).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { NEWLINE, Segment, headerLine, segmentFile } from './file-log-segment.js';
import { parseLine } from './file-log-reader.js';
import { fail, noteWriteError, sorted, type Active, type FileLogState } from './file-log-state.js';

export interface ActiveSegmentOptions {
  maxSegmentBytes: number;
  maxSegmentAgeMs: number;
  /** Called once by the process whose rotation closed `segment`. */
  rotated(segment: Segment): void;
}

export function lastByte(fd: number, size: number): number {
  const one = Buffer.alloc(1);
  fs.readSync(fd, one, 0, 1, size - 1);
  return one[0]!;
}

function lastLineStart(fd: number, size: number): number {
  const chunk = Buffer.alloc(64 * 1024);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - chunk.length);
    fs.readSync(fd, chunk, 0, end - start, start);
    const nl = chunk.subarray(0, end - start).lastIndexOf(NEWLINE);
    if (nl !== -1) return start + nl + 1;
    end = start;
  }
  return 0;
}

/** The active segment of one file log; it is kept in `state.active`. */
export function activeSegment(state: FileLogState, options: ActiveSegmentOptions) {
  const { dir, clock, counters, segments } = state;
  const { maxSegmentBytes, maxSegmentAgeMs } = options;

  /**
   * A crash (SIGKILL, power loss) can leave the newest segment ending in part of a record. It is
   * sealed with a newline so the next append does not glue onto it, and counted; a record that
   * another process is writing at this very moment is told apart by re-reading after the seal.
   */
  async function detectTornTail(): Promise<void> {
    const newest = sorted(state).at(-1);
    if (newest === undefined || newest.gz) return;
    const path = join(dir, segmentFile(newest.seq));
    let fd: number | undefined;
    try {
      fd = fs.openSync(path, 'a+');
      const size = fs.fstatSync(fd).size;
      if (size === 0 || lastByte(fd, size) === NEWLINE) return;
      const tailStart = lastLineStart(fd, size);
      fs.writeSync(fd, '\n');
      const length = fs.fstatSync(fd).size - tailStart;
      const buffer = Buffer.alloc(Math.min(length, 16 * 2 ** 20));
      fs.readSync(fd, buffer, 0, buffer.length, tailStart);
      const nl = buffer.indexOf(NEWLINE);
      if (nl === -1 || parseLine(buffer, 0, nl) === undefined) counters.tornRecords++;
    } catch (error) {
      // A read-only directory: nothing to seal; queries skip the torn line anyway.
      if ((error as NodeJS.ErrnoException).code !== 'EACCES' && (error as NodeJS.ErrnoException).code !== 'EROFS') {
        noteWriteError(state, error);
      }
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /** Creates segment `seq` with its header; false if another process created it first. */
  function createSegment(seq: number): boolean {
    const final = join(dir, segmentFile(seq));
    const tmp = join(dir, `.${segmentFile(seq)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
    fs.writeFileSync(tmp, headerLine(seq, clock()));
    try {
      fs.linkSync(tmp, final);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      fs.unlinkSync(tmp);
    }
  }

  function openActive(seq: number): Active {
    let segment = segments.get(seq);
    if (segment === undefined) {
      segment = new Segment(seq, false);
      segments.set(seq, segment);
    }
    const fd = fs.openSync(join(dir, segmentFile(seq)), 'a+');
    const header = Buffer.alloc(256);
    const read = fs.readSync(fd, header, 0, header.length, 0);
    const nl = header.subarray(0, read).indexOf(NEWLINE);
    if (segment.created === undefined && nl !== -1) {
      try {
        const parsed = JSON.parse(header.toString('utf8', 0, nl)) as { created?: unknown };
        if (typeof parsed.created === 'number') segment.created = parsed.created;
      } catch {
        // not a header: age is counted from now
      }
    }
    segment.created ??= clock();
    // A fresh segment holds only its header: this process's index of it can start complete.
    const size = fs.fstatSync(fd).size;
    if (!segment.loaded && nl !== -1 && size === nl + 1) {
      segment.reset();
      segment.covered = size;
    }
    return { segment, fd, end: -1 };
  }

  function closeActive(): void {
    if (state.active === undefined) return;
    const { fd } = state.active;
    state.active = undefined;
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  }

  /** The segment to write to: the newest one, rotated if full or old. */
  function currentSegment(): { active: Active; size: number } {
    for (let attempt = 0; attempt < 16; attempt++) {
      if (state.active === undefined) {
        const newest = sorted(state).at(-1);
        if (newest === undefined || newest.gz) {
          const seq = (newest?.seq ?? 0) + 1;
          createSegment(seq);
          state.active = openActive(seq);
        } else {
          state.active = openActive(newest.seq);
        }
      }
      const { segment, fd } = state.active;
      const size = fs.fstatSync(fd).size;
      const nextExists = fs.existsSync(join(dir, segmentFile(segment.seq + 1)));
      const full = size >= maxSegmentBytes || clock() - (segment.created ?? clock()) >= maxSegmentAgeMs;
      if (!nextExists && !full) return { active: state.active, size };
      if (!nextExists && createSegment(segment.seq + 1)) {
        counters.rotations++;
        options.rotated(segment);
      }
      closeActive();
      // Move to the newest segment (others may have rotated more than once).
      let seq = segment.seq + 1;
      while (fs.existsSync(join(dir, segmentFile(seq + 1)))) seq++;
      for (let s = segment.seq + 1; s <= seq; s++) if (!segments.has(s)) segments.set(s, new Segment(s, false));
      state.active = openActive(seq);
    }
    fail('could not settle on a segment to write (rotating too fast?)');
  }

  return { detectTornTail, currentSegment, closeActive };
}

export type ActiveSegment = ReturnType<typeof activeSegment>;
