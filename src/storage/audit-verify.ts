/**
 * Reading and verifying an audit log. `verifyAuditLog` walks the whole chain and names the first
 * broken record and the kind of break:
 * - `edited`: a record's content no longer matches its hash, or its hash was recomputed and the
 *   next record's `prev` no longer matches it (or a line is not JSON at all);
 * - `removed`: `seq` jumps forward and the missing records appear nowhere later;
 * - `reordered`: `seq` jumps forward and the missing record appears later;
 * - `inserted`: a record that does not belong (its `seq` was already used, or the record after
 *   it chains to the one before it);
 * - `truncated`: the log ends before the record `audit.head` names.
 * A torn last line (a writer died mid-write) is reported as `torn`, not as a break; so is a torn
 * line that a later `recovery` record accounts for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { GENESIS_PREV, headMac, keyBytes, paths, recordHash, sha256, type AuditHead, type AuditRecord } from './audit-format.js';

export type AuditBreakKind = 'edited' | 'removed' | 'inserted' | 'reordered' | 'truncated';

export interface AuditBreak {
  kind: AuditBreakKind;
  /** 1-based line of `audit.log` where the break is (for `truncated`: one past the last line). */
  line: number;
  /** `seq` of the broken record (for `removed`/`truncated`: the first missing one). */
  seq: number;
  message: string;
}

export interface AuditVerifyReport {
  ok: boolean;
  /** Records read (complete lines that parse). */
  records: number;
  /** Records whose chain checked out before the first break (all of them when `ok`). */
  verified: number;
  alg?: 'sha256' | 'hmac-sha256';
  firstBreak?: AuditBreak;
  /** Torn lines left by crashed writers: the last one, or ones a `recovery` record accounts for. */
  torn: { line: number; bytes: number; recovered: boolean }[];
  /** The head file's seq, or undefined when there is none (truncation then cannot be checked). */
  headSeq?: number;
  /** Non-fatal remarks (no head file, ...). */
  warnings: string[];
  /** A problem that prevents verification (no log, a key is needed). */
  error?: string;
}

interface Line {
  line: number;
  text: string;
  record?: AuditRecord;
}

/** Reads every complete record of the log in `dir` (lines that do not parse are skipped). */
export function readAuditRecords(dir: string): { records: AuditRecord[]; lines: Line[]; endsClean: boolean } {
  const file = paths(dir).log;
  if (!existsSync(file)) return { records: [], lines: [], endsClean: true };
  const text = readFileSync(file, 'utf8');
  const endsClean = text === '' || text.endsWith('\n');
  const raw = text === '' ? [] : (endsClean ? text.slice(0, -1) : text).split('\n');
  const lines: Line[] = raw.map((t, i) => {
    let record: AuditRecord | undefined;
    try {
      const parsed = JSON.parse(t) as unknown;
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as AuditRecord).seq === 'number') record = parsed as AuditRecord;
    } catch {
      // a torn or damaged line; the verifier decides which
    }
    return { line: i + 1, text: t, record };
  });
  return { records: lines.flatMap((l) => (l.record === undefined ? [] : [l.record])), lines, endsClean };
}

export interface VerifyOptions {
  /** Directory holding `audit.log` and `audit.head`. */
  dir: string;
  /** The HMAC key the log was written with, if any. */
  key?: string | Uint8Array;
}

/** The first `count` records after line index `i` (no copy of the rest: a log with many torn lines stays linear). */
function recordsAfter(lines: readonly Line[], i: number, count: number): (AuditRecord | undefined)[] {
  const found: (AuditRecord | undefined)[] = [];
  for (let j = i + 1; j < lines.length && found.length < count; j++) if (lines[j]!.record !== undefined) found.push(lines[j]!.record);
  return found;
}

export function verifyAuditLog(options: VerifyOptions): AuditVerifyReport {
  const files = paths(options.dir);
  const key = keyBytes(options.key);
  const report: AuditVerifyReport = { ok: false, records: 0, verified: 0, torn: [], warnings: [] };
  if (!existsSync(files.log)) {
    report.error = `no audit log at ${files.log}`;
    return report;
  }
  const { lines, endsClean } = readAuditRecords(options.dir);
  let head: AuditHead | undefined;
  try {
    head = existsSync(files.head) ? (JSON.parse(readFileSync(files.head, 'utf8')) as AuditHead) : undefined;
  } catch {
    report.warnings.push(`${files.head} does not parse; truncation cannot be checked`);
  }
  if (head === undefined && !report.warnings.length) report.warnings.push(`no ${files.head}: truncation of the tail cannot be checked`);
  report.headSeq = head?.seq;

  // Separate torn lines (accounted for) from damaged ones (a break).
  const kept: Line[] = [];
  const fail = (b: AuditBreak) => {
    report.firstBreak ??= b;
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.record !== undefined) {
      kept.push(l);
      continue;
    }
    const isLast = i === lines.length - 1;
    if (isLast && !endsClean) {
      report.torn.push({ line: l.line, bytes: Buffer.byteLength(l.text), recovered: false });
      continue;
    }
    const [next, nextNext] = recordsAfter(lines, i, 2);
    const digest = sha256(l.text);
    if ((next?.kind === 'recovery' && next.torn?.sha256 === digest) || (next?.kind === 'genesis' && nextNext?.kind === 'recovery' && nextNext.torn?.sha256 === digest)) {
      report.torn.push({ line: l.line, bytes: Buffer.byteLength(l.text), recovered: true });
      continue;
    }
    fail({ kind: 'edited', line: l.line, seq: kept.length > 0 ? kept[kept.length - 1]!.record!.seq + 1 : 0, message: `line ${l.line} is not a record (not JSON, or no seq)` });
    break;
  }
  report.records = kept.length;
  const genesis = kept[0]?.record;
  report.alg = genesis?.kind === 'genesis' ? genesis.alg : undefined;
  if (report.alg === 'hmac-sha256' && key === undefined) {
    report.error = 'this log is keyed (hmac-sha256): give its key (--key)';
    return report;
  }
  if (report.alg === 'sha256' && key !== undefined) report.warnings.push('a key was given but the log is not keyed (sha256); the key is ignored');
  const hashKey = report.alg === 'hmac-sha256' ? key : undefined;

  const seqsAt = new Map<number, number>();
  kept.forEach((l, i) => seqsAt.set(l.record!.seq, seqsAt.has(l.record!.seq) ? -1 : i));
  let expectedSeq = 0;
  let prevHash = GENESIS_PREV;
  const hashes: string[] = [];
  for (let i = 0; i < kept.length && report.firstBreak === undefined; i++) {
    const { line, record } = kept[i]!;
    const r = record!;
    if (recordHash(r, hashKey) !== r.hash) {
      fail({ kind: 'edited', line, seq: r.seq, message: `record ${r.seq} (line ${line}) does not match its hash: its content was changed` });
      break;
    }
    if (r.seq === expectedSeq && r.prev === prevHash) {
      hashes.push(r.hash);
      report.verified++;
      expectedSeq = r.seq + 1;
      prevHash = r.hash;
      continue;
    }
    if (r.seq > expectedSeq) {
      const later = kept.slice(i + 1).find((k) => k.record!.seq === expectedSeq);
      if (later !== undefined) fail({ kind: 'reordered', line, seq: r.seq, message: `record ${r.seq} (line ${line}) comes before record ${expectedSeq} (line ${later.line}): records were reordered` });
      else fail({ kind: 'removed', line, seq: expectedSeq, message: `records ${expectedSeq}${r.seq - 1 > expectedSeq ? `..${r.seq - 1}` : ''} are missing before line ${line}: removed` });
      break;
    }
    if (r.seq < expectedSeq) {
      // Either this record is a stranger, or the one before it was, and this one chains past it.
      const previous = kept[i - 1];
      if (previous !== undefined && r.seq === expectedSeq - 1 && hashes.length >= 2 && r.prev === hashes[hashes.length - 2]) {
        fail({ kind: 'inserted', line: previous.line, seq: previous.record!.seq, message: `record at line ${previous.line} was inserted: the record after it chains to the one before it` });
      } else {
        fail({ kind: 'inserted', line, seq: r.seq, message: `record at line ${line} repeats seq ${r.seq}: inserted` });
      }
      break;
    }
    // Right seq, wrong prev: the record before was rewritten with a fresh hash, or this one was put in its place.
    const previous = kept[i - 1];
    const nextRecord = kept[i + 1]?.record;
    if (previous !== undefined && nextRecord?.prev === r.hash) {
      fail({ kind: 'edited', line: previous.line, seq: previous.record!.seq, message: `record ${previous.record!.seq} (line ${previous.line}) was rewritten with a new hash: record ${r.seq} no longer chains to it` });
    } else {
      fail({ kind: 'inserted', line, seq: r.seq, message: `record ${r.seq} (line ${line}) does not chain to the record before it: forged or inserted` });
    }
    break;
  }

  if (report.firstBreak === undefined && head !== undefined) {
    const last = kept[kept.length - 1]?.record;
    const lastSeq = last?.seq ?? -1;
    if (hashKey !== undefined && head.mac !== headMac(head, hashKey)) {
      fail({ kind: 'edited', line: lines.length + 1, seq: head.seq, message: `${files.head} does not match its MAC: the head was changed` });
    } else if (head.seq > lastSeq) {
      fail({ kind: 'truncated', line: lines.length + 1, seq: lastSeq + 1, message: `the log ends at record ${lastSeq} but its head names record ${head.seq}: truncated` });
    } else {
      const atHead = kept.find((k) => k.record!.seq === head!.seq)?.record;
      if (atHead?.hash !== head.hash) fail({ kind: 'edited', line: kept.find((k) => k.record!.seq === head!.seq)?.line ?? lines.length + 1, seq: head.seq, message: `record ${head.seq} does not match the head's hash: the chain was rewritten` });
    }
  }
  report.ok = report.firstBreak === undefined && report.error === undefined;
  return report;
}
