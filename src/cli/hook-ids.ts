/**
 * Random ids for one hook call (event ids, span ids) without loading `node:crypto` on the way:
 * loading it costs a hook process about as much as all of fleetscope's own work (it pulls in some
 * thirty internal modules). The bytes come from `/dev/urandom`, the kernel source `node:crypto`
 * itself draws from; where it cannot be read (Windows), from `node:crypto` (which the hook bundle,
 * `dist/cli/hook.cjs`, loads only then).
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** Bytes drawn at once: a hook call uses a few dozen. */
const BLOCK_BYTES = 512;

export interface HookIds {
  /** A random UUID (version 4), as `crypto.randomUUID()` writes it. */
  newId(): string;
  /** A random W3C span id: 16 hex characters, never all zero. */
  newSpanId(): string;
}

function fillRandom(buffer: Buffer): void {
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
    let filled = 0;
    while (filled < buffer.length) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (read <= 0) throw new Error('short read');
      filled += read;
    }
  } catch {
    randomFillSync(buffer);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** An id source drawing from blocks of `fill`ed bytes (`fill` is a parameter for tests). */
export function hookIds(fill: (buffer: Buffer) => void = fillRandom): HookIds {
  const block = Buffer.alloc(BLOCK_BYTES);
  let offset = BLOCK_BYTES;
  const take = (count: number): Buffer => {
    if (offset + count > BLOCK_BYTES) {
      fill(block);
      offset = 0;
    }
    offset += count;
    return block.subarray(offset - count, offset);
  };
  return {
    newId() {
      const b = Buffer.from(take(16));
      b[6] = (b[6]! & 0x0f) | 0x40; // version 4
      b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    newSpanId() {
      for (;;) {
        const h = take(8).toString('hex');
        if (h !== '0000000000000000') return h;
      }
    },
  };
}
