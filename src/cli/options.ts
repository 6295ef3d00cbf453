/**
 * What every read command shares: its options (sources, filters, output), parsed strictly with
 * `node:util` parseArgs; the exit codes; the one message prefix; colour (NO_COLOR / FORCE_COLOR);
 * the progress line.
 */
import { statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes of the read commands (docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** Bad flag or value, a missing or unreadable path, a store or file fleetscope cannot read. */
  error: 1,
  /** The sources hold no event matching the selection (empty store, filters, unknown session). */
  nothing: 3,
} as const;

/** An error the command reports as one message and an exit code (never a stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
  }
}

/** `1 line`, `3 lines`: a count with its noun, as a person writes it. */
export const counted = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The one prefix of every message the command line writes to stderr. */
export const PREFIX = 'fleetscope:';

export function warn(message: string): void {
  process.stderr.write(`${PREFIX} ${message}\n`);
}

/** A URL as it may be shown: without its password. */
export function withoutPassword(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Sources and filters, shared by report, sessions, trace, tail and stats. */
export const SOURCE_OPTIONS = {
  store: { type: 'string', multiple: true },
  claude: { type: 'string', multiple: true },
  jsonl: { type: 'string', multiple: true },
  sqlite: { type: 'string', multiple: true },
  postgres: { type: 'string', multiple: true },
  redis: { type: 'string', multiple: true },
  stream: { type: 'string' },
  session: { type: 'string' },
  agent: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  type: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const SOURCE_HELP = `Sources (several at once are merged; a call seen by two sources counts once):
  --store DIR        a fleetscope file-log store (default: $FLEETSCOPE_STORE or ./.fleetscope)
  --claude [DIR]     Claude Code transcripts (default: $CLAUDE_CONFIG_DIR or ~/.claude; subagents included);
                     8 MiB or more are read in a worker thread when a core is idle
                     (FLEETSCOPE_READ_WORKER=off: never, =on: always)
  --jsonl FILE       a JSON Lines file of fleetscope events (an export, an event file or a segment)
  --sqlite FILE      a fleetscope SQLite store (needs better-sqlite3)
  --postgres URL     a fleetscope PostgreSQL store, the fleet's history (needs pg; docs/fleet.md)
  --redis URL        a Redis stream written by redisStreamExporter, read with XRANGE (no consumer
                     group: consumers lose nothing); --stream NAME (default fleetscope:events)
Filters:
  --session ID       one session (an id or a unique prefix)
  --agent ID         one agent
  --since TIME       from TIME (ISO date/time, or a duration back from now: 30m, 2h, 7d)
  --until TIME       until TIME (exclusive)
  --type TYPE        event types, e.g. tool.end or tool.* (repeat or separate by commas)
Output:
  --json             machine-readable output on stdout
  -h, --help         this help`;

/**
 * `--claude` takes an optional directory: `--claude` alone, or followed by another flag, means the
 * default. parseArgs has no optional values, so a bare `--claude` becomes `--claude=` first. A
 * following word is the directory only when it is not a positional the command expects (it exists
 * on disk or looks like a path).
 */
function normalizeOptionalValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--claude') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-') || !looksLikePath(next)) {
        out.push('--claude=');
        continue;
      }
    }
    out.push(arg);
  }
  return out;
}

function looksLikePath(word: string): boolean {
  return word.includes('/') || word.startsWith('.') || word.startsWith('~') || isDirectory(word);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface ParsedCommand<V> {
  values: V;
  positionals: string[];
}

/** Strict parse: an unknown flag or a missing value is a CliError naming it. */
export function parseCommand<O extends Options>(
  argv: readonly string[],
  options: O,
  allowPositionals: boolean,
): ParsedCommand<ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: boolean }>>['values']> {
  try {
    const parsed = parseArgs({ args: normalizeOptionalValues(argv), options, strict: true, allowPositionals });
    return { values: parsed.values as never, positionals: parsed.positionals };
  } catch (error) {
    // parseArgs's messages name the flag; drop its advice about '--' for a cleaner line.
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new CliError(`${message} (see --help)`);
  }
}

/**
 * The `--claude` values of a command line ('' for the default dirs), read loosely (other flags not
 * checked): for work started before the command parses its arguments (see `prefetchClaude`).
 */
export function claudeValues(argv: readonly string[]): string[] {
  try {
    const { values } = parseArgs({ args: normalizeOptionalValues(argv), options: { claude: { type: 'string', multiple: true } }, strict: false, allowPositionals: true });
    return (Array.isArray(values.claude) ? values.claude : []).filter((v): v is string => typeof v === 'string');
  } catch {
    return [];
  }
}

/** `--since` / `--until`: an ISO date or time, or a duration back from now (`30m`, `2h`, `7d`). */
export function parseTime(value: string, flag: string, now = Date.now()): number {
  const rel = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(value.trim());
  if (rel) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[rel[2] as 's'];
    return now - Number(rel[1]) * unit;
  }
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  const ms = Date.parse(compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : value);
  if (!Number.isFinite(ms)) throw new CliError(`--${flag} ${JSON.stringify(value)} is not a date, a time or a duration like 2h or 7d`);
  return ms;
}

/** Colour on stdout (or stderr): NO_COLOR turns it off, FORCE_COLOR on, else only on a TTY. */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (force === '0' || force === 'false') return false;
  return stream.isTTY === true;
}

/** Width available for tables: the terminal's, else $COLUMNS, else 120. */
export function terminalWidth(): number {
  if (process.stdout.isTTY && process.stdout.columns > 0) return process.stdout.columns;
  const columns = Number(process.env.COLUMNS);
  return Number.isFinite(columns) && columns > 20 ? columns : 120;
}

/**
 * A progress line on stderr for reads longer than about a second, only when stderr is a TTY;
 * `done()` clears it.
 */
export function progressLine(label: string): { update(detail: string): void; done(): void } {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  const started = Date.now();
  let shown = false;
  let last = 0;
  return {
    update(detail) {
      const now = Date.now();
      if (now - started < 1000 || now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[2K${PREFIX} ${label} ${detail}`);
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[2K');
    },
  };
}

/** Writes `text` to `file` whole or not at all: a temp file beside it, then a rename. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const { writeFile, rename, unlink } = await import('node:fs/promises');
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    // Node names the temporary file (", open 'r.md.123.456.tmp'"): the user named FILE, which the message has.
    throw new CliError(`cannot write ${file}: ${(error as Error).message.replace(/, \w+ '[^']*'( -> '[^']*')?$/, '')}`);
  }
}
