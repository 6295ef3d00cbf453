/**
 * Agent executions held as columns rather than one object each (issue 14: the `fleet` and
 * `bottlenecks` analyzers keep up to 200 executions for each of up to 200 workflows). A row costs
 * about 64 bytes (eight array slots, times unboxed as doubles) where an object with its map entry
 * and boxed times cost about 200. Rows are appended in start order and never removed; readers
 * that want objects build them with `execAt` for as long as they need them.
 */

export type ExecStatus = 'running' | 'completed' | 'failed';

/** One execution as read back from the columns. */
export interface ExecRow {
  /** span id (fleet: the execution key, always set). */
  id: string | undefined;
  agentId: string;
  name: string;
  parentId: string | undefined;
  parentAgentId: string | undefined;
  interactive: boolean;
  status: ExecStatus;
  start: number;
  /** undefined while running. */
  end: number | undefined;
}

/** A row to append: `interactive` defaults to false, `end` to running. */
export type NewExecRow = Omit<ExecRow, 'interactive' | 'end'> & { interactive?: boolean; end?: number };

const STATUSES: readonly ExecStatus[] = ['running', 'completed', 'failed'];
const INTERACTIVE = 4;

export class ExecColumns {
  readonly ids: (string | undefined)[] = [];
  readonly agentIds: string[] = [];
  /** Agent names, in start order. */
  readonly names: string[] = [];
  readonly parentIds: (string | undefined)[] = [];
  readonly parentAgentIds: (string | undefined)[] = [];
  /** Status index into `STATUSES`, plus `INTERACTIVE`. */
  private readonly flags: number[] = [];
  readonly starts: number[] = [];
  /** NaN while running. */
  readonly ends: number[] = [];

  get length(): number {
    return this.names.length;
  }

  /** Appends a row; returns its index. */
  add(row: NewExecRow): number {
    this.ids.push(row.id);
    this.agentIds.push(row.agentId);
    this.names.push(row.name);
    this.parentIds.push(row.parentId);
    this.parentAgentIds.push(row.parentAgentId);
    this.flags.push(STATUSES.indexOf(row.status) + (row.interactive === true ? INTERACTIVE : 0));
    this.starts.push(row.start);
    this.ends.push(row.end ?? NaN);
    return this.names.length - 1;
  }

  /** Overwrites the fields a (re)start sets. */
  restart(i: number, row: Omit<NewExecRow, 'id' | 'end'>): void {
    this.agentIds[i] = row.agentId;
    this.names[i] = row.name;
    this.parentIds[i] = row.parentId;
    this.parentAgentIds[i] = row.parentAgentId;
    this.flags[i] = STATUSES.indexOf(row.status) + (row.interactive === true ? INTERACTIVE : 0);
    this.starts[i] = row.start;
    this.ends[i] = NaN;
  }

  /** Ends row `i` with `status` at `end`. */
  finish(i: number, status: Exclude<ExecStatus, 'running'>, end: number): void {
    this.flags[i] = STATUSES.indexOf(status) + (this.flags[i]! & INTERACTIVE);
    this.ends[i] = end;
  }

  status(i: number): ExecStatus {
    return STATUSES[this.flags[i]! & 3]!;
  }

  interactive(i: number): boolean {
    return (this.flags[i]! & INTERACTIVE) !== 0;
  }

  /** End of row `i`, undefined while running. */
  end(i: number): number | undefined {
    const end = this.ends[i]!;
    return Number.isNaN(end) ? undefined : end;
  }

  /** Row `i` as an object (built on each call). */
  execAt(i: number): ExecRow {
    return {
      id: this.ids[i], agentId: this.agentIds[i]!, name: this.names[i]!, parentId: this.parentIds[i], parentAgentId: this.parentAgentIds[i],
      interactive: this.interactive(i), status: this.status(i), start: this.starts[i]!, end: this.end(i),
    };
  }

  /** Index of the last row with this id, or -1 (a linear scan: rows are few). */
  lastIndexOf(id: string): number {
    return this.ids.lastIndexOf(id);
  }
}
