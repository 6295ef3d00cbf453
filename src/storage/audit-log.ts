/**
 * `auditLog({ dir, key? })`: an append-only, hash-chained log of security-relevant events
 * (guardrail decisions, alerts and their state changes, redaction findings per batch, plugin
 * failures), the observer's configuration at start, and optionally every event.
 *
 * Several processes may append to one log (Claude Code runs one hook process per event): a
 * writer takes `audit.lock` (created with O_EXCL, holding its pid and a token; a lock whose process is
 * gone, or older than `staleLockMs`, is taken over), reads the last record from the end of the file unless the file is still as it left it,
 * appends its records in one write, rewrites `audit.head`, and lets go. So there is one chain,
 * one `seq` sequence and one head for all writers.
 *
 * Crash safety: a writer that dies mid-write leaves a torn last line. The next writer ends it
 * with a newline and appends a `recovery` record naming its size and SHA-256, so the verifier
 * knows that line for what it is (and tells it from an edit).
 *
 * The object is both a `Storage` (pass it as `storage`) and an `Exporter` (pass it among
 * `exporters`, as `createObserver({ audit })` does: it then sees events after exporter redaction).
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import type { EventFilter, EventQuery, ExportResult, Exporter, FleetEvent, QueryPage, Storage, StorageStats } from '../core/index.js';
import { errorMessage } from '../core/index.js';
import { GENESIS_PREV, headMac, keyBytes, paths, recordHash, sha256, type AuditHead, type AuditRecord } from './audit-format.js';
import { readAuditRecords } from './audit-verify.js';

/** Event types recorded by default: the security-relevant ones. */
export const AUDIT_EVENT_TYPES: readonly string[] = ['guardrail.decision', 'alert', 'redaction.findings', 'plugin.error'];

export interface AuditLogOptions {
  /** Directory of `audit.log`, `audit.head` and `audit.lock`; created if missing. */
  dir: string;
  /**
   * HMAC key: records are then hashed with HMAC-SHA256, so that rewriting the chain needs the
   * key as well. Give the same key to `fleetscope audit verify --key`. Default none (SHA-256).
   */
  key?: string | Uint8Array;
  /**
   * Which events are recorded: `security` (the types in `AUDIT_EVENT_TYPES`, plus tool calls a
   * guardrail blocked) or `all`. Default `security`.
   */
  events?: 'security' | 'all';
  /** Written as a `config` record before the first event (e.g. the observer's options). Default none. */
  config?: Record<string, unknown>;
  /** How long to wait for the lock before the batch is counted as failed. Default 5000 ms. */
  lockTimeoutMs?: number;
  /** A lock file older than this is taken to be left by a dead writer and taken over. Default 10000 ms. */
  staleLockMs?: number;
  /** Name in stats and errors. Default `audit`. */
  name?: string;
}

export type AuditLog = Storage & Exporter;

/** Not unref()ed: a process whose only work left is waiting for the lock must not exit mid-append. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function auditLog(options: AuditLogOptions): AuditLog {
  if (typeof options?.dir !== 'string' || options.dir === '') throw new Error('[fleetscope] [audit] dir must be a non-empty string');
  const files = paths(options.dir);
  const key = keyBytes(options.key);
  const lockTimeoutMs = options.lockTimeoutMs ?? 5000;
  const staleLockMs = options.staleLockMs ?? 10_000;
  const name = options.name ?? 'audit';
  const all = options.events === 'all';
  let pendingConfig = options.config;

  const counters = { records: 0, batches: 0, failedBatches: 0, lockWaits: 0, staleLocksTaken: 0, tornRecovered: 0 };
  let lastError: string | undefined;
  /** Where this writer left the file: if its size is unchanged, no other writer came in between. */
  let cached: { size: number; seq: number; hash: string } | undefined;
  let queue: Promise<void> = Promise.resolve();

  function wanted(event: FleetEvent): boolean {
    if (all) return true;
    if (AUDIT_EVENT_TYPES.includes(event.type)) return true;
    return event.type === 'tool.end' && (event.payload as { status?: string }).status === 'blocked';
  }

  /** What this writer writes into the lock it holds, so that it releases only its own lock. */
  let lockToken = '';

  /**
   * Whether a lock file (read as `content`, last touched at `mtimeMs`) was left by a writer that is
   * gone: its process no longer exists (a hook ended at its deadline), or it is older than `staleLockMs`.
   */
  function isStale(content: string, mtimeMs: number): boolean {
    if (Date.now() - mtimeMs > staleLockMs) return true;
    const pid = Number(content.split(' ')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  /**
   * Takes a stale lock over: renames it aside (one writer wins the rename) and checks that what it
   * moved is the lock it judged stale; a fresh lock taken by mistake (another writer took the stale
   * one over in between) is put back.
   */
  function takeOver(judged: string): boolean {
    const aside = `${files.lock}.${process.pid}.${randomUUID()}`;
    try {
      renameSync(files.lock, aside);
    } catch {
      return false; // another writer moved or released it first
    }
    try {
      if (readFileSync(aside, 'utf8') === judged) return true;
      linkSync(aside, files.lock); // put the live lock back (fails if a third writer took the name: then it holds it)
      return false;
    } catch {
      return false;
    } finally {
      try {
        unlinkSync(aside);
      } catch {
        // already gone
      }
    }
  }

  async function lock(): Promise<number> {
    const deadline = Date.now() + lockTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(files.lock, 'wx');
        lockToken = `${process.pid} ${randomUUID()}`;
        writeSync(fd, lockToken);
        return fd;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      try {
        const content = readFileSync(files.lock, 'utf8');
        if (isStale(content, statSync(files.lock).mtimeMs) && takeOver(content)) {
          counters.staleLocksTaken++;
          continue;
        }
      } catch {
        continue; // the holder let go between our calls
      }
      if (Date.now() > deadline) throw new Error(`could not take ${files.lock} within ${lockTimeoutMs} ms`);
      counters.lockWaits++;
      await sleep(Math.min(20, 1 + attempt));
    }
  }

  function unlock(fd: number): void {
    closeSync(fd);
    try {
      // Only our own lock: after a stale takeover the file at that name is another writer's.
      if (readFileSync(files.lock, 'utf8') === lockToken) unlinkSync(files.lock);
    } catch {
      // taken over as stale by another writer; nothing to release
    }
  }

  /** The last complete record of the file, and a torn tail after it if any. */
  function readTail(fd: number, size: number): { seq: number; hash: string; torn?: string } | undefined {
    if (size === 0) return undefined;
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buffer = Buffer.alloc(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      const text = buffer.toString('utf8');
      const endsClean = text.endsWith('\n');
      const body = endsClean ? text.slice(0, -1) : text;
      const lastNewline = body.lastIndexOf('\n');
      const torn = endsClean ? undefined : text.slice(body.lastIndexOf('\n') + 1);
      const completeEnd = endsClean ? body.length : lastNewline;
      if (completeEnd < 0 && start > 0) {
        chunk *= 4;
        continue;
      }
      const complete = completeEnd <= 0 ? '' : body.slice(0, completeEnd);
      const lineStart = complete.lastIndexOf('\n') + 1;
      if (lineStart === 0 && start > 0) {
        chunk *= 4;
        continue;
      }
      const line = complete.slice(lineStart);
      if (line === '') return torn === undefined ? undefined : { seq: -1, hash: GENESIS_PREV, torn };
      const record = JSON.parse(line) as AuditRecord;
      return { seq: record.seq, hash: record.hash, torn };
    }
  }

  function writeBatch(events: readonly FleetEvent[], configRecord: Record<string, unknown> | undefined): Promise<void> {
    return (async () => {
      mkdirSync(options.dir, { recursive: true, mode: 0o700 });
      const lockFd = await lock();
      try {
        const fd = openSync(files.log, 'a+', 0o600);
        try {
          const size = fstatSync(fd).size;
          let seq: number;
          let prev: string;
          const lines: string[] = [];
          const now = Date.now();
          const push = (record: Omit<AuditRecord, 'hash' | 'seq' | 'prev' | 'v' | 'pid' | 'ts'>) => {
            const full = { v: 1 as const, seq, ts: now, pid: process.pid, prev, ...record } as AuditRecord;
            full.hash = recordHash(full, key);
            lines.push(JSON.stringify(full));
            prev = full.hash;
            seq++;
          };
          const tail = cached !== undefined && cached.size === size ? { seq: cached.seq, hash: cached.hash } : readTail(fd, size);
          if (tail === undefined || tail.seq < 0) {
            seq = 0;
            prev = GENESIS_PREV;
            if (tail?.torn !== undefined) lines.push('');
            push({ kind: 'genesis', alg: key === undefined ? 'sha256' : 'hmac-sha256' });
            if (tail?.torn !== undefined) {
              counters.tornRecovered++;
              push({ kind: 'recovery', torn: { bytes: Buffer.byteLength(tail.torn), sha256: sha256(tail.torn) } });
            }
          } else {
            seq = tail.seq + 1;
            prev = tail.hash;
            if (tail.torn !== undefined) {
              // End the torn line, then say what it was.
              lines.push('');
              counters.tornRecovered++;
              push({ kind: 'recovery', torn: { bytes: Buffer.byteLength(tail.torn), sha256: sha256(tail.torn) } });
            }
          }
          if (configRecord !== undefined) push({ kind: 'config', config: configRecord });
          for (const event of events) push({ kind: 'event', event: event as unknown as Record<string, unknown> });
          const text = lines[0] === '' ? `\n${lines.slice(1).join('\n')}\n` : `${lines.join('\n')}\n`;
          writeSync(fd, text);
          const head: AuditHead = { seq: seq - 1, hash: prev, ts: now };
          if (key !== undefined) head.mac = headMac(head, key);
          writeFileSync(`${files.head}.${process.pid}.tmp`, JSON.stringify(head), { mode: 0o600 });
          renameSync(`${files.head}.${process.pid}.tmp`, files.head);
          cached = { size: fstatSync(fd).size, seq: seq - 1, hash: prev };
          counters.records += events.length + (configRecord === undefined ? 0 : 1);
          counters.batches++;
        } finally {
          closeSync(fd);
        }
      } finally {
        unlock(lockFd);
      }
    })();
  }

  /** Appends, one batch at a time (this writer's batches keep their order). Rejects on failure. */
  function enqueue(events: readonly FleetEvent[]): Promise<void> {
    const chosen = events.filter(wanted);
    const config = pendingConfig;
    if (chosen.length === 0 && config === undefined) return queue;
    pendingConfig = undefined;
    const job = queue.then(() => writeBatch(chosen, config));
    queue = job.catch((error) => {
      counters.failedBatches++;
      lastError = errorMessage(error);
    });
    return job;
  }

  const filter: EventFilter | undefined = all ? undefined : { types: [...AUDIT_EVENT_TYPES, 'tool.end'] };

  return {
    name,
    ...(filter === undefined ? {} : { filter }),
    subscription: { highWaterMark: 65_536 },
    append: (batch) => enqueue(batch),
    async export(batch): Promise<ExportResult> {
      try {
        await enqueue(batch);
        return { code: 'success' };
      } catch (error) {
        return { code: 'failed', error: error instanceof Error ? error : new Error(String(error)), retryable: true };
      }
    },
    async query(query: EventQuery): Promise<QueryPage> {
      await queue;
      const { records } = readAuditRecords(options.dir);
      const types = query.types === undefined ? undefined : new Set(query.types);
      let events = records
        .filter((r) => r.kind === 'event' && r.event !== undefined)
        .map((r) => r.event as unknown as FleetEvent)
        .filter(
          (e) =>
            (types === undefined || types.has(e.type)) &&
            (query.sessionId === undefined || e.sessionId === query.sessionId) &&
            (query.agentId === undefined || e.agentId === query.agentId) &&
            (query.from === undefined || e.timestamp >= query.from) &&
            (query.to === undefined || e.timestamp < query.to),
        );
      if (query.order === 'desc') events = events.reverse();
      const offset = query.cursor === undefined ? 0 : Number(query.cursor) || 0;
      const limit = query.limit ?? 100;
      const page = events.slice(offset, offset + limit);
      return offset + limit < events.length ? { events: page, nextCursor: String(offset + limit) } : { events: page };
    },
    stats(): StorageStats {
      return { events: counters.records, evicted: 0, ...counters, ...(lastError === undefined ? {} : { lastError }) };
    },
    async flush() {
      if (pendingConfig !== undefined) await enqueue([]).catch(() => {});
      await queue;
    },
    async close() {
      await this.flush!();
    },
    async shutdown() {
      await this.flush!();
    },
  };
}
