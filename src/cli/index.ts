#!/usr/bin/env node
/**
 * The `fleetscope` command line. Each subcommand is loaded with a dynamic import, so `fleetscope
 * hook` (run by Claude Code on every hook event) loads only the hook's small import graph.
 */
const HELP = `Usage: fleetscope <command> [options]

Commands:
  hook   [--store DIR | --user] [--rules FILE] [--no-guardrails] [--deadline-ms N] [--fail-closed]
         Read one Claude Code hook payload (JSON) on stdin, store it as fleetscope events, and
         apply guardrails to PreToolUse (a blocking rule exits 2 with the reason on stderr).
  init   [--project | --user] [--fail-closed] [--dry-run] [--uninstall] [--statusline] [--user-store]
         Install the hook for every Claude Code hook event in .claude/settings.json (or the user's),
         merged with the hooks already there, with the direct node command (no npx).
  statusline [--store DIR]
         Claude Code's statusLine command: model, session cost, context used, 5-hour and 7-day limits,
         and the session's last fleetscope alert, on one line.
  usage  [paths...] [--json] [--since YYYYMMDD] [--until YYYYMMDD] [--timezone TZ]
         Token and cost totals per day, per session and per subagent from Claude Code transcripts
         (default: $CLAUDE_CONFIG_DIR or ~/.claude); figures equal ccusage's.
  audit  verify|show [--store DIR] [--key KEY] [--json]
         Check an audit log's hash chain (exit 1 when broken) or list its decisions.

See docs/claude-code.md.
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'hook':
      return (await import('./hook.js')).runHookCommand(rest);
    case 'init':
      return (await import('./init.js')).runInitCommand(rest);
    case 'statusline':
      return (await import('./statusline.js')).runStatuslineCommand(rest);
    case 'usage':
      return (await import('./usage.js')).runUsageCommand(rest);
    case 'audit':
      return (await import('./audit.js')).runAuditCommand(rest);
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
    // `hook` and `statusline` never reach here (they catch everything); other commands fail loudly.
    process.exitCode = process.argv[2] === 'hook' || process.argv[2] === 'statusline' ? 0 : 1;
  },
);
