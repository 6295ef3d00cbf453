/**
 * The fast entry for what Claude Code runs on every hook event and status refresh: built as one
 * self-contained CommonJS file, `dist/cli/hook.cjs` (everything inlined, no chunk to resolve, no ESM
 * loader), which `fleetscope init` writes into settings.json (`node <dist>/cli/hook.cjs hook`).
 * The main CLI (`fleetscope hook` / `fleetscope statusline`) runs the same two functions. Neither
 * touches `process.stdout` / `process.stderr` (for a pipe, that alone loads Node's net stack).
 *
 * `node hook.cjs hook [options]` or `node hook.cjs statusline [options]`; see docs/claude-code.md.
 */
import nodeModule from 'node:module';
import { runHookCommand } from './hook.js';
import { runStatuslineCommand } from './statusline.js';

// Node >= 22.1 keeps this file's compiled code in its on-disk cache; a no-op on Node 20.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const COMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = {
  hook: runHookCommand,
  statusline: runStatuslineCommand,
};

const [command = '', ...rest] = process.argv.slice(2);
const run = COMMANDS[command];
if (run === undefined) {
  process.stderr.write(`fleetscope: this file runs "hook" or "statusline" (got "${command}"); the other commands are in the main CLI (fleetscope --help)\n`);
  process.exitCode = 1;
} else {
  // Both commands catch everything themselves; a throw here is a bug, and still never exit 1.
  run(rest).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`[fleetscope] ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 0;
    },
  );
}
