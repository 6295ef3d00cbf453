#!/usr/bin/env node
/**
 * The `fleetscope` command line. Each subcommand is loaded with a dynamic import, so `fleetscope
 * hook` (run by Claude Code on every hook event) loads only the hook's small import graph.
 * Adding a command: one line in COMMANDS and its help line in HELP.
 */
import { readFileSync } from 'node:fs';
import nodeModule from 'node:module';

// Node >= 22.1 keeps the compiled code of the command modules loaded below in its on-disk cache, so
// `fleetscope hook` (a fresh process per Claude Code hook event) does not compile them each time.
// A no-op on Node 20; Node skips the cache by itself when its directory cannot be written.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  hook: async () => (await import('./hook.js')).runHookCommand,
  usage: async () => (await import('./usage.js')).runUsageCommand,
  report: async () => (await import('./report.js')).runReportCommand,
  sessions: async () => (await import('./sessions.js')).runSessionsCommand,
  trace: async () => (await import('./trace.js')).runTraceCommand,
  tail: async () => (await import('./tail.js')).runTailCommand,
  stats: async () => (await import('./stats.js')).runStatsCommand,
  init: async () => (await import('./init.js')).runInitCommand,
  statusline: async () => (await import('./statusline.js')).runStatuslineCommand,
  audit: async () => (await import('./audit.js')).runAuditCommand,
  collect: async () => (await import('./collect.js')).runCollectCommand,
};

const HELP = `Usage: fleetscope <command> [options]

See what your agents did (sources: --store DIR, --claude [DIR], --jsonl FILE, --sqlite FILE, --postgres URL, --redis URL --stream NAME):
  report    [--md FILE] [--html FILE] [--json]  the analyzers' report over the selected events
  sessions  one row per session: start, duration, agents, tools, LLM calls, tokens, cost
  trace     <session-id | prefix>  the span tree of one session, critical path marked
  tail      [--follow] [--filter EXPR]  one readable line per event
  stats     store facts: events by type, sessions, size, segments, skipped lines, time range
Claude Code:
  init      [--project | --user] [--fail-closed] [--dry-run] [--uninstall] [--statusline]
            install the hook for every Claude Code hook event (direct node command, no npx)
  hook      [--store DIR | --user] [--rules FILE] [--no-guardrails] [--no-redact] [--no-audit] [--no-alerts] [--deadline-ms N] [--fail-closed]
            store one hook payload (stdin); guardrails answer first (exit 2 blocks a tool); decisions go to <store>/audit
  statusline  Claude Code's statusLine: model, cost, context used, rate limits, last alert
  usage     daily|weekly|monthly|session|blocks [--json] [--ccusage] [--breakdown]  tokens and cost
  collect   [--port N] [--host ADDR] [--store DIR] [--print-env]  Claude Code's native OTLP telemetry in
Security:
  audit     verify|show [--store DIR] [--key KEY] [--json]  check or list the tamper-evident audit log

Every command: --help, --json. fleetscope --version prints the version.
Exit codes: 0 ok, 1 error (bad flag, unreadable path or store), 3 nothing matched; hook: 2 blocks a tool.
See docs/cli.md.
`;

function version(): string {
  // dist/cli/index.js, src/cli/index.ts, or a test build a few folders down: the nearest fleetscope package.json.
  for (const rel of ['../../package.json', '../package.json', '../../../package.json', '../../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'fleetscope' && pkg.version) return pkg.version;
    } catch {
      // try the next layout (source tree or dist/)
    }
  }
  return 'unknown';
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v' || command === 'version' || (command !== 'hook' && command !== 'statusline' && rest.includes('--version'))) {
    process.stdout.write(`fleetscope ${version()}\n`);
    return 0;
  }
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const load = COMMANDS[command];
  if (load === undefined) {
    process.stderr.write(`fleetscope: unknown command "${command}"\n\n${HELP}`);
    return 1;
  }
  // `report --claude`: the transcripts start being read in a worker thread while the report's modules load.
  if (command === 'report' && rest.some((a) => a === '--claude' || a.startsWith('--claude='))) (await import('./claude-source.js')).prefetchClaude(rest);
  return (await load())(rest);
}

// `fleetscope X | head`: the reader went away. End quietly, with the code a shell expects.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const exitCode = (error as { exitCode?: unknown }).exitCode;
    const message = error instanceof Error ? error.message : String(error);
    // One prefix: a library error quoted inside a CLI message ("cannot read x.db: [fleetscope] [sqlite] ...")
    // loses its own `[fleetscope] [plugin]` tags, wherever it sits.
    process.stderr.write(`fleetscope: ${message.replace(/\[fleetscope\]\s*(\[[\w:-]+\]\s*)?/g, '')}\n`);
    // `hook` and `statusline` never reach here (they catch everything); other commands fail loudly.
    const quiet = process.argv[2] === 'hook' || process.argv[2] === 'statusline';
    process.exitCode = quiet ? 0 : typeof exitCode === 'number' ? exitCode : 1;
  },
);
