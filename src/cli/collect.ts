/**
 * `fleetscope collect`: receives Claude Code's native OpenTelemetry export (or any OTLP/HTTP source)
 * on loopback and appends the events to a fleetscope store, until Ctrl-C. The store is a file log the
 * read-side commands open like the hook store. See docs/claude-code.md, "Native telemetry".
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { createObserver, type ErrorHandler } from '../index.js';
import { STORE_GITIGNORE } from '../runners/claude-code-hook-store.js';
import { otlpReceiver } from '../runners/otlp-receiver.js';
import { fileLogStorage } from '../storage/file-log.js';

const HELP = `Usage: fleetscope collect [--port N] [--host ADDR] [--store DIR] [--print-env]

Receives OTLP/HTTP (logs, metrics, traces; http/protobuf or http/json) and stores it as fleetscope
events: Claude Code's native telemetry becomes LLM calls, tool calls, prompts and metrics, per session
and subagent. Runs until Ctrl-C.

Options:
  --port N        port to listen on (default 4318, the OTLP/HTTP port)
  --host ADDR     interface to bind (default 127.0.0.1: this machine only)
  --store DIR     where to append the events (default $FLEETSCOPE_STORE, else ./.fleetscope)
  --print-env     print the environment block that points Claude Code here, and exit
  -h, --help      this help

Protobuf bodies need the optional peer protobufjs (npm install protobufjs); without it the env
block says http/json.

Exit codes: 0 stopped by Ctrl-C or --print-env; 1 bad arguments, an unusable store or the port
cannot be bound.
`;

/** The OTLP protocol Claude Code should send: protobuf when protobufjs (an optional peer) loads here, else JSON. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/**
 * Whether protobuf bodies can be read: they need protobufjs, an optional peer dependency that a plain
 * `npm install fleetscope` does not bring. Without it every protobuf request is refused (415), so the
 * env block must not point Claude Code at protobuf.
 */
async function protocolHere(): Promise<OtlpProtocol> {
  try {
    await import('protobufjs');
    return 'http/protobuf';
  } catch {
    return 'http/json';
  }
}

/**
 * The store directory as the hook makes it: `0700`, with a `.gitignore` holding `*` (it keeps prompts and
 * tool results when Claude Code logs them), written once. Files are created `0600` (umask 077).
 */
async function prepareStore(dir: string): Promise<void> {
  process.umask(0o077);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await writeFile(join(dir, '.gitignore'), STORE_GITIGNORE, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

export function claudeCodeEnv(endpoint: string, protocol: OtlpProtocol = 'http/protobuf'): string {
  return [
    '# Claude Code native telemetry to fleetscope collect (in your shell, or under "env" in .claude/settings.json)',
    'export CLAUDE_CODE_ENABLE_TELEMETRY=1',
    'export OTEL_LOGS_EXPORTER=otlp',
    'export OTEL_METRICS_EXPORTER=otlp',
    `export OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}${protocol === 'http/json' ? '   # http/protobuf needs protobufjs: npm install protobufjs' : ''}`,
    `export OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}`,
    '# optional: per-request traces (beta)',
    'export CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1',
    'export OTEL_TRACES_EXPORTER=otlp',
    '# optional: shorter export intervals (defaults 5 s for logs, 60 s for metrics)',
    'export OTEL_LOGS_EXPORT_INTERVAL=2000',
    '',
  ].join('\n');
}

/** A failure said again for the same plugin and operation at most once a minute. */
const REPEAT_AFTER_MS = 60_000;

/**
 * The observer's errors as this command's messages: one prefix, at most one a minute per plugin and
 * operation. The receiver's failure to start is left out: the command says it itself, and exits 1 (was:
 * the observer's `[fleetscope] [runner:otlp-receiver] start failed: ...` line, then the command's own).
 */
function reportOnce(): ErrorHandler {
  const said = new Map<string, number>();
  return (error) => {
    if (error.kind === 'runner' && error.operation === 'start') return;
    const key = `${error.plugin ?? ''} ${error.operation}`;
    const now = Date.now();
    if (now - (said.get(key) ?? -Infinity) < REPEAT_AFTER_MS) return;
    said.set(key, now);
    process.stderr.write(`fleetscope collect: ${error.message.replace(/\[fleetscope\]\s*(\[[\w:-]+\]\s*)*/g, '')}\n`);
  };
}

export async function runCollectCommand(argv: readonly string[]): Promise<number> {
  let values: { port?: string; host?: string; store?: string; 'print-env'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        store: { type: 'string' },
        'print-env': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`fleetscope collect: ${(error as Error).message}\n\n${HELP}`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = values.port === undefined ? 4318 : Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) {
    process.stderr.write(`fleetscope collect: --port must be an integer 0-65535, got ${values.port}\n`);
    return 1;
  }
  const host = values.host ?? '127.0.0.1';
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const protocol = await protocolHere();
  if (values['print-env']) {
    process.stdout.write(claudeCodeEnv(`http://${shownHost}:${port}`, protocol));
    return 0;
  }
  const store = values.store ?? (process.env.FLEETSCOPE_STORE || undefined) ?? join(process.cwd(), '.fleetscope');
  try {
    await prepareStore(store);
  } catch (error) {
    process.stderr.write(`fleetscope collect: cannot use the store ${store}: ${(error as Error).message}\n`);
    return 1;
  }
  const receiver = otlpReceiver({ port, host });
  const observer = createObserver({ runners: [receiver], storage: fileLogStorage({ dir: store }), analyzers: [], onError: reportOnce() });
  await observer.ready();
  const address = receiver.address();
  if (address === undefined) {
    const health = receiver.health();
    await observer.close();
    process.stderr.write(`fleetscope collect: ${health.message ?? `cannot listen on ${host}:${port}`}\n`);
    return 1;
  }
  process.stderr.write(`fleetscope collect: listening on ${address}, storing into ${store}; Ctrl-C stops\n\n${claudeCodeEnv(address, protocol)}\n`);
  // The receiver's server does not keep a host process alive (it is unref'd); this command's process is it.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(keepAlive);
  await observer.close();
  const details = receiver.health().details ?? {};
  process.stderr.write(
    `fleetscope collect: stopped; ${String(details.requests ?? 0)} requests, ${String(details.events ?? 0)} events stored, ${String(details.duplicates ?? 0)} duplicates skipped\n`,
  );
  return 0;
}
