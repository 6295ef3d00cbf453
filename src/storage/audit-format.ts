/**
 * The audit log's record format, shared by the writer and the verifier. One JSON record per
 * line in `<dir>/audit.log`; each carries `seq` (0, 1, 2, ... over the whole file, whichever
 * process wrote it), `prev` (the previous record's `hash`) and `hash`: SHA-256 — or HMAC-SHA256
 * under a key — of the record's canonical JSON (fast-json-stable-stringify) without `hash`.
 * `<dir>/audit.head` holds the last record's seq and hash, rewritten after every append, so a
 * log cut short is told from a log that ends where it should.
 */
import { createHash, createHmac } from 'node:crypto';
import { join } from 'node:path';
import stringify from 'fast-json-stable-stringify';

export const LOG_FILE = 'audit.log';
export const HEAD_FILE = 'audit.head';
export const LOCK_FILE = 'audit.lock';
export const GENESIS_PREV = '0'.repeat(64);

/**
 * `genesis` opens the log (names the algorithm); `config` is an observer's configuration at start;
 * `event` holds one fleetscope event; `recovery` follows a torn record a crashed writer left.
 */
export type AuditRecordKind = 'genesis' | 'config' | 'event' | 'recovery';

export interface AuditRecord {
  v: 1;
  seq: number;
  /** Time the record was written (ms since the epoch). */
  ts: number;
  kind: AuditRecordKind;
  /** Process id of the writer. */
  pid: number;
  prev: string;
  hash: string;
  /** genesis: `sha256` or `hmac-sha256`. */
  alg?: 'sha256' | 'hmac-sha256';
  config?: Record<string, unknown>;
  event?: Record<string, unknown>;
  /** recovery: size and SHA-256 of the torn bytes left by a crashed writer. */
  torn?: { bytes: number; sha256: string };
}

export interface AuditHead {
  seq: number;
  hash: string;
  ts: number;
  /** HMAC of `seq:hash` under the log's key, when it has one. */
  mac?: string;
}

export const paths = (dir: string) => ({ log: join(dir, LOG_FILE), head: join(dir, HEAD_FILE), lock: join(dir, LOCK_FILE) });

export function keyBytes(key: string | Uint8Array | undefined): Uint8Array | undefined {
  if (key === undefined) return undefined;
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

/** The hash a record must carry: over its canonical JSON without `hash`. */
export function recordHash(record: Omit<AuditRecord, 'hash'> & { hash?: string }, key: Uint8Array | undefined): string {
  const { hash: _ignored, ...body } = record;
  const canonical = stringify(body);
  return key === undefined ? createHash('sha256').update(canonical).digest('hex') : createHmac('sha256', key).update(canonical).digest('hex');
}

export function headMac(head: { seq: number; hash: string }, key: Uint8Array): string {
  return createHmac('sha256', key).update(`${head.seq}:${head.hash}`).digest('hex');
}

export const sha256 = (text: string | Uint8Array) => createHash('sha256').update(text).digest('hex');
