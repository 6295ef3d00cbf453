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
  usage  [daily|weekly|monthly|session|blocks] [paths...] [--json] [--breakdown] [--ccusage] ...
         Token and cost totals from Claude Code transcripts (default: $CLAUDE_CONFIG_DIR or
         ~/.claude), per period, session and subagent, or 5-hour billing block; right per the
         data by default, ccusage's figures with --ccusage. "fleetscope usage --help" for more.

See docs/claude-code.md.
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'hook':
      return (await import('./hook.js')).runHookCommand(rest);
    case 'usage':
      return (await import('./usage.js')).runUsageCommand(rest);
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
