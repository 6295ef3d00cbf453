/**
 * `fleetscope audit verify|show`: checks an audit log's hash chain, and lists what it recorded.
 * Composes the public API (`verifyAuditLog`, `readAuditRecords` from fleetscope/storage).
 * Exit codes: 0 the chain is whole (a torn last record is reported, not a break); 1 the chain
 * is broken, or bad arguments, or no log.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readAuditRecords, verifyAuditLog, type AuditRecord } from '../storage/index.js';

const HELP = `Usage: fleetscope audit <verify|show> [options]

  verify   Check the whole hash chain; name the first broken record and the kind of break
           (edited, removed, inserted, reordered, truncated). Exit 1 when broken.
  show     List the recorded decisions: guardrail decisions, alerts, redaction findings,
           plugin failures (every record with --all).

Options:
  --store DIR      The store holding the log: DIR/audit.log, or DIR/audit/audit.log
                   (default $FLEETSCOPE_STORE, else ./.fleetscope)
  --key KEY        HMAC key the log was written with (default $FLEETSCOPE_AUDIT_KEY)
  --key-file FILE  Read the key from FILE (trailing newline dropped)
  --json           Print the report (verify) or the records (show) as JSON
  --all            show: every record, not only decisions
  -h, --help       This help

Exit codes: 0 whole, 1 broken chain / no log / bad arguments.
`;

function logDir(store: string): string {
  return existsSync(join(store, 'audit.log')) ? store : join(store, 'audit');
}

function describe(record: AuditRecord): string {
  const time = new Date(record.ts).toISOString();
  if (record.kind !== 'event') {
    const extra = record.kind === 'recovery' ? ` torn ${record.torn?.bytes} bytes` : record.kind === 'genesis' ? ` ${record.alg}` : '';
    return `${String(record.seq).padStart(6)}  ${time}  ${record.kind}${extra}`;
  }
  const event = record.event as { type: string; sessionId?: string; payload?: Record<string, unknown> };
  const p = event.payload ?? {};
  const fields = ['rule', 'action', 'state', 'toolName', 'reason', 'message', 'plugin', 'operation']
    .filter((k) => p[k] !== undefined)
    .map((k) => `${k}=${String(p[k]).slice(0, 120)}`);
  if (event.type === 'redaction.findings') fields.push(`byCategory=${JSON.stringify(p.byCategory)}`);
  return `${String(record.seq).padStart(6)}  ${time}  ${event.type}  session=${event.sessionId ?? '-'}  ${fields.join('  ')}`;
}

export async function runAuditCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        store: { type: 'string' },
        key: { type: 'string' },
        'key-file': { type: 'string' },
        json: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`fleetscope audit: ${(error as Error).message}\n\n${HELP}`);
    return 1;
  }
  const { values, positionals } = parsed;
  const [sub, ...extra] = positionals;
  if (values.help || sub === undefined || sub === 'help') {
    process.stdout.write(HELP);
    return values.help || sub === 'help' ? 0 : 1;
  }
  if (extra.length > 0 || (sub !== 'verify' && sub !== 'show')) {
    process.stderr.write(`fleetscope audit: unknown subcommand or argument "${sub !== 'verify' && sub !== 'show' ? sub : extra[0]}"\n\n${HELP}`);
    return 1;
  }
  const store = values.store ?? (process.env.FLEETSCOPE_STORE || undefined) ?? join(process.cwd(), '.fleetscope');
  const dir = logDir(store);
  let key = values.key ?? (process.env.FLEETSCOPE_AUDIT_KEY || undefined);
  if (values['key-file'] !== undefined) {
    try {
      key = readFileSync(values['key-file'], 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      process.stderr.write(`fleetscope audit: cannot read --key-file: ${(error as Error).message}\n`);
      return 1;
    }
  }

  if (sub === 'verify') {
    const report = verifyAuditLog({ dir, key });
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      if (report.error !== undefined) process.stderr.write(`fleetscope audit: ${report.error}\n`);
      else if (report.ok) process.stdout.write(`ok: ${report.verified} records verified (${report.alg}) in ${join(dir, 'audit.log')}${report.headSeq === undefined ? '' : `, head at record ${report.headSeq}`}\n`);
      else {
        const b = report.firstBreak!;
        process.stdout.write(`BROKEN: ${b.kind} at line ${b.line} (record ${b.seq}): ${b.message}\n${report.verified} records verified before it.\n`);
      }
      for (const t of report.torn) process.stdout.write(`torn record at line ${t.line} (${t.bytes} bytes, a writer died mid-write)${t.recovered ? ', recovered' : ''}\n`);
      for (const w of report.warnings) process.stderr.write(`fleetscope audit: warning: ${w}\n`);
    }
    return report.ok ? 0 : 1;
  }

  if (!existsSync(join(dir, 'audit.log'))) {
    process.stderr.write(`fleetscope audit: no audit log at ${join(dir, 'audit.log')}\n`);
    return 1;
  }
  const { records } = readAuditRecords(dir);
  const shown = values.all ? records : records.filter((r) => r.kind === 'event');
  if (values.json) process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
  else {
    process.stdout.write(shown.length === 0 ? 'no decisions recorded\n' : `${shown.map(describe).join('\n')}\n`);
  }
  return 0;
}
