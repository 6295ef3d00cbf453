#!/usr/bin/env node
/**
 * The `fleetscope` command line. Each subcommand is loaded with a dynamic import, so `fleetscope
 * hook` (run by Claude Code on every hook event) loads only the hook's small import graph.
 */
const HELP = `Usage: fleetscope <command> [options]

Commands:
  hook   [--store DIR] [--rules FILE] [--no-guardrails]
         Read one Claude Code hook payload (JSON) on stdin, store it as fleetscope events, and
         apply guardrails to PreToolUse (a blocking rule exits 2 with the reason on stderr).
  usage  [paths...] [--json] [--since YYYYMMDD] [--until YYYYMMDD] [--timezone TZ]
         Token and cost totals per day, per session and per subagent from Claude Code transcripts
         (default: $CLAUDE_CONFIG_DIR or ~/.claude); figures equal ccusage's.
  collect [--port N] [--host ADDR] [--store DIR] [--print-env]
         Receive Claude Code's native OpenTelemetry export (OTLP/HTTP) into the store.

See docs/claude-code.md.
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'hook':
      return (await import('./hook.js')).runHookCommand(rest);
    case 'usage':
      return (await import('./usage.js')).runUsageCommand(rest);
    case 'collect':
      return (await import('./collect.js')).runCollectCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(HELP);
      return 0;
    default:
      process.stderr.write(`fleetscope: unknown command "${command}"\n\n${HELP}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`fleetscope: ${error instanceof Error ? error.message : String(error)}\n`);
    // `hook` never reaches here (it catches everything); other commands fail loudly.
    process.exitCode = process.argv[2] === 'hook' ? 0 : 1;
  },
);
