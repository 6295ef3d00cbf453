/**
 * Reads stdin to its end and writes to stdout / stderr, for commands Claude Code runs with a JSON
 * payload on stdin (`hook`, `statusline`). Kept tiny: both run once per tool call or status refresh.
 */
import { fstatSync, readSync, writeSync } from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Reads fd 0 to its end. Never through `process.stdin`: creating that stream switches a piped
 * fd 0 to non-blocking, and a read before the writer has written then fails with EAGAIN (seen
 * as a lost hook event when 20 hooks started at once). A non-blocking fd handed over by the
 * parent is still read: EAGAIN waits 2 ms and tries again, until `waitUntil` (ms since epoch).
 * Stops at `maxBytes` (the rest is left unread; `truncated` says so).
 */
export function readStdin(waitUntil: number, maxBytes = Number.POSITIVE_INFINITY): { text: string; truncated: boolean } {
  // A terminal (or /dev/null) is a character device: no payload to wait for. Checked with
  // fstat, not `node:tty`, which would load the net stack into every hook process.
  try {
    if (fstatSync(0).isCharacterDevice()) return { text: '', truncated: false };
  } catch {
    return { text: '', truncated: false };
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  for (;;) {
    let read: number;
    try {
      read = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && Date.now() < waitUntil) {
        Atomics.wait(sleeper, 0, 0, 2);
        continue;
      }
      break; // EOF (Windows pipes), or nothing more to read
    }
    if (read === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, read)));
    total += read;
    if (total >= maxBytes) return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}

/**
 * Whether stdin is a terminal: a person typed the command, no payload is coming. Only a character
 * device is asked further (`node:tty` is loaded then only, never for a piped payload).
 */
export async function stdinIsTerminal(): Promise<boolean> {
  try {
    if (!fstatSync(0).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  const { isatty } = await import('node:tty');
  return isatty(0);
}

/**
 * Writes `text` to fd 1 or 2 synchronously, never through `process.stdout` / `process.stderr`:
 * for a pipe (what Claude Code gives) creating those streams loads Node's whole net stack, a
 * large part of a hook call's start-up. A full non-blocking pipe is waited on until `waitUntil`
 * (ms since epoch); a closed one (EPIPE) ends the write quietly. Returns whether all was written.
 */
export function writeText(fd: 1 | 2, text: string, waitUntil = Date.now() + 1000): boolean {
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(fd, bytes, written, bytes.length - written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN' && Date.now() < waitUntil) {
        Atomics.wait(sleeper, 0, 0, 2);
        continue;
      }
      return false;
    }
  }
  return true;
}
