/**
 * `COPY ... FROM STDIN` for the PostgreSQL storage: a batch as COPY text rows, and the few lines of `pg`'s
 * submittable protocol that send them (the whole batch is one buffer already, so `pg-copy-streams`' stream
 * wrapper, another optional peer, would add nothing). Measured against `INSERT ... SELECT FROM unnest(...)
 * ON CONFLICT DO NOTHING`: about 30% less server CPU per row (BENCHMARKS.md, issue 15).
 */

/** A COPY text field: backslash, newline, carriage return and tab escaped (JSON text has only backslashes to double). */
export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  if (!/[\\\n\r\t]/.test(value)) return value;
  return value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** Rows of values (strings, numbers or null) as COPY text: tab-separated fields, one line a row. */
export function copyText(rows: readonly (readonly (string | number | null)[])[]): string {
  let out = '';
  for (const row of rows) {
    for (let c = 0; c < row.length; c++) {
      const value = row[c]!;
      if (c > 0) out += '\t';
      out += typeof value === 'number' ? String(value) : copyField(value);
    }
    out += '\n';
  }
  return out;
}

/** The parts of `pg`'s connection a submittable COPY talks to. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * One `COPY ... FROM STDIN` run through `client.query(copy)` (pg's Submittable): sends `data` when the
 * server asks for it; `done` resolves with the rows copied once the server is ready again, or rejects with
 * the server's error (with its SQLSTATE `code`, as `pg`'s own queries do).
 */
export class CopyIn {
  readonly done: Promise<number>;
  private rows = 0;
  private settle!: { resolve: (rows: number) => void; reject: (error: Error) => void };

  constructor(
    private readonly sql: string,
    private readonly data: string,
  ) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  submit(connection: CopyConnection): void {
    connection.query(this.sql);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    connection.sendCopyFromChunk(Buffer.from(this.data, 'utf8'));
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    this.rows = Number(/(\d+)$/.exec(message.text ?? '')?.[1] ?? 0);
  }

  handleReadyForQuery(): void {
    this.settle.resolve(this.rows);
  }

  handleError(error: Error): void {
    this.settle.reject(error);
  }

  // Messages a COPY FROM does not get; pg calls them on any submittable.
  handleEmptyQuery(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCopyData(): void {}
  handlePortalSuspended(): void {}
}
