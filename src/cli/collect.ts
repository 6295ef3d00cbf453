/**
 * `fleetscope collect`: receives Claude Code's native OpenTelemetry export (or any OTLP/HTTP source)
 * on loopback and appends the events to a fleetscope store, until Ctrl-C. The store is a file log the
 * read-side commands open like the hook store. See docs/claude-code.md, "Native telemetry".
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { createObserver } from '../index.js';
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

Exit codes: 0 stopped by Ctrl-C or --print-env; 1 bad arguments or the port cannot be bound.
`;

/**
 * The env block that points Claude Code at `endpoint`. `protobuf`: whether this receiver can read
 * http/protobuf, i.e. the optional peer protobufjs loads; without it every protobuf request would be
 * refused (415), so the block asks for http/json, which needs nothing.
 */
export function claudeCodeEnv(endpoint: string, protobuf: boolean): string {
  return [
    '# Claude Code native telemetry to fleetscope collect (in your shell, or under "env" in .claude/settings.json)',
    'export CLAUDE_CODE_ENABLE_TELEMETRY=1',
    'export OTEL_LOGS_EXPORTER=otlp',
    'export OTEL_METRICS_EXPORTER=otlp',
    ...(protobuf
      ? ['export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf']
      : ['# http/json: protobufjs is not installed here (`npm install protobufjs` to receive http/protobuf)', 'export OTEL_EXPORTER_OTLP_PROTOCOL=http/json']),
    `export OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}`,
    '# optional: per-request traces (beta)',
    'export CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1',
    'export OTEL_TRACES_EXPORTER=otlp',
    '# optional: shorter export intervals (defaults 5 s for logs, 60 s for metrics)',
    'export OTEL_LOGS_EXPORT_INTERVAL=2000',
    '',
  ].join('\n');
}

/** Whether the optional peer protobufjs can be loaded (what the receiver needs for http/protobuf). */
async function protobufAvailable(): Promise<boolean> {
  try {
    await import('protobufjs');
    return true;
  } catch {
    return false;
  }
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
  if (values['print-env']) {
    process.stdout.write(claudeCodeEnv(`http://${shownHost}:${port}`, await protobufAvailable()));
    return 0;
  }
  const store = values.store ?? (process.env.FLEETSCOPE_STORE || undefined) ?? join(process.cwd(), '.fleetscope');
  const receiver = otlpReceiver({ port, host });
  const observer = createObserver({ runners: [receiver], storage: fileLogStorage({ dir: store }), analyzers: [] });
  await observer.ready();
  const address = receiver.address();
  if (address === undefined) {
    const health = receiver.health();
    await observer.close();
    process.stderr.write(`fleetscope collect: ${health.message ?? `cannot listen on ${host}:${port}`}\n`);
    return 1;
  }
  process.stderr.write(`fleetscope collect: listening on ${address}, storing into ${store}; Ctrl-C stops\n\n${claudeCodeEnv(address, await protobufAvailable())}\n`);
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
