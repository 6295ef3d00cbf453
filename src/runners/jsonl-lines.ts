/**
 * Splits a byte stream into newline-terminated lines with a hard cap on memory: an unterminated
 * tail is buffered until its newline arrives, but never beyond `maxLineBytes` — a longer line
 * is dropped as it streams by and reported once, when its newline arrives.
 */

const NEWLINE = 0x0a;

export interface LineSink {
  /** A complete line, without its newline (may end with `\r`). Valid only during the call. */
  line(bytes: Buffer): void;
  /** A line longer than the cap ended; its bytes were dropped. */
  tooLong(): void;
  /** The rest of a line that began before the first byte read was dropped (see `skipToNextLine`). */
  fragment(): void;
}

export class LineSplitter {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Inside a line longer than the cap: drop bytes until the next newline. */
  private skipping = false;
  /** Started mid-line: drop bytes up to the next newline silently. */
  private skippingFragment = false;

  constructor(private readonly maxLineBytes: number) {}

  /** Whether an unterminated line (buffered or being skipped) is pending. */
  get pending(): boolean {
    return this.partialBytes > 0 || this.skipping;
  }

  /** The next bytes start in the middle of a line: drop them up to the next newline. */
  skipToNextLine(): void {
    this.skippingFragment = true;
  }

  /** Forgets any pending line (rotation, truncation). */
  reset(): void {
    this.partial = [];
    this.partialBytes = 0;
    this.skipping = false;
    this.skippingFragment = false;
  }

  push(chunk: Buffer, sink: LineSink): void {
    let start = 0;
    if (this.skippingFragment) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline === -1) return;
      this.skippingFragment = false;
      sink.fragment();
      start = newline + 1;
    }
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        this.keep(chunk.subarray(start));
        return;
      }
      const segment = chunk.subarray(start, newline);
      start = newline + 1;
      if (this.skipping || this.partialBytes + segment.length > this.maxLineBytes) {
        this.reset();
        sink.tooLong();
        continue;
      }
      if (this.partialBytes === 0) {
        sink.line(segment);
        continue;
      }
      const line = Buffer.concat([...this.partial, segment]);
      this.partial = [];
      this.partialBytes = 0;
      sink.line(line);
    }
  }

  private keep(rest: Buffer): void {
    if (this.skipping) return;
    if (this.partialBytes + rest.length > this.maxLineBytes) {
      // Too long already: stop buffering; the rest of the line is dropped as it arrives.
      this.partial = [];
      this.partialBytes = 0;
      this.skipping = true;
      return;
    }
    // Copy: the caller reuses its read buffer.
    this.partial.push(Buffer.from(rest));
    this.partialBytes += rest.length;
  }
}
