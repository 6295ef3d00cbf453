/**
 * `fleetscope init [--project | --user] [--fail-closed] [--dry-run] [--uninstall] [--statusline]
 * [--user-store] [--events LIST]`: writes fleetscope's hooks into Claude Code's settings.json with the
 * fast direct command (this `node` and this CLI file by absolute path; no `npx`), merged with the hooks
 * already there. Idempotent; `--dry-run` shows the diff; `--uninstall` removes only fleetscope's entries.
 *
 * It refuses, changing nothing, a settings.json it cannot rewrite faithfully: not JSON, JSON with
 * comments, read-only, a symlink, or a shape that is not Claude Code's. Exit codes: 0 done (or
 * nothing to do), 1 refused or failed.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gitRootOf } from '../runners/claude-code-hook-store.js';
import { parseArgs, stringOption } from './args.js';
import { KNOWN_HOOK_EVENTS } from '../runners/claude-code-hooks.js';
import { INIT_DEFAULT_EVENTS, detectIndent, lineDiff, settingsProblem, shellQuote, withFleetscope, withoutFleetscope, type InitPlan } from './init-settings.js';

const PREFIX = 'fleetscope init:';

export interface InitEnvironment {
  cwd: string;
  env: NodeJS.ProcessEnv;
  home: string;
  /** The running CLI file (`dist/cli/index.js`). */
  cli: string;
  node: string;
  out: (text: string) => void;
  err: (text: string) => void;
}

function defaultEnvironment(): InitEnvironment {
  let cli = process.argv[1] ?? '';
  try {
    cli = realpathSync(cli);
  } catch {
    // keep it as given
  }
  return {
    cwd: process.cwd(),
    env: process.env,
    home: homedir(),
    cli,
    node: process.execPath,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  };
}

/**
 * The file the hook and statusline commands run: `hook.cjs` beside the CLI (`npm run build` writes
 * it: one self-contained file that starts in about half the time of the CLI's ESM chunks), else the
 * CLI itself (a build without it, or the sources).
 */
export function hookEntryFor(cli: string): string {
  const fast = join(dirname(cli), 'hook.cjs');
  return fast !== cli && existsSync(fast) ? fast : cli;
}

function settingsPath(user: boolean, e: InitEnvironment): { path: string; scope: string } {
  if (user) {
    const config = e.env.CLAUDE_CONFIG_DIR || join(e.home, '.claude');
    return { path: join(config, 'settings.json'), scope: 'user' };
  }
  const project = e.env.CLAUDE_PROJECT_DIR || gitRootOf(e.cwd) || e.cwd;
  return { path: join(resolve(project), '.claude', 'settings.json'), scope: 'project' };
}

/** Reads settings.json, or says why it will not be touched. */
function readSettings(path: string): { text: string; settings: Record<string, unknown>; mode?: number } | { refuse: string } {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', settings: {} };
    return { refuse: `cannot read ${path}: ${(error as Error).message}` };
  }
  if (stat.isSymbolicLink()) {
    let target = '?';
    try {
      target = realpathSync(path);
    } catch {
      // dangling
    }
    return { refuse: `${path} is a symlink (to ${target}); fleetscope does not rewrite it through the link. Run init where the file really is, or add the hooks by hand (docs/claude-code.md)` };
  }
  if (!stat.isFile()) return { refuse: `${path} is not a regular file` };
  if ((stat.mode & 0o222) === 0) return { refuse: `${path} is read-only; make it writable (chmod u+w) or add the hooks by hand` };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { refuse: `cannot read ${path}: ${(error as Error).message}` };
  }
  if (text.trim() === '') return { text, settings: {}, mode: stat.mode & 0o777 };
  let settings: unknown;
  try {
    settings = JSON.parse(text);
  } catch (error) {
    // Said in words: JSON.parse names a byte-order mark as an invisible "Unexpected token '\uFEFF'".
    const comments = text.startsWith('\uFEFF') ? ' (it starts with a byte-order mark: save it as UTF-8 without BOM)' : /^\s*(\/\/|\/\*)/m.test(text) ? ' (it has comments)' : '';
    return { refuse: `${path} is not strict JSON${comments}: ${(error as Error).message}. Rewriting it would lose what JSON cannot hold; fix it or add the hooks by hand` };
  }
  const problem = settingsProblem(settings);
  if (problem !== undefined) return { refuse: `${path}: ${problem}; not changed` };
  return { text, settings: settings as Record<string, unknown>, mode: stat.mode & 0o777 };
}

export async function runInitCommand(argv: readonly string[], environment: InitEnvironment = defaultEnvironment()): Promise<number> {
  const e = environment;
  let args;
  try {
    args = parseArgs(argv, ['events']);
  } catch (error) {
    e.err(`${PREFIX} ${(error as Error).message}\n`);
    return 1;
  }
  const known = new Set(['project', 'user', 'fail-closed', 'dry-run', 'uninstall', 'statusline', 'user-store', 'events', 'help']);
  for (const name of args.options.keys()) {
    if (!known.has(name)) {
      e.err(`${PREFIX} unknown option --${name}\n`);
      return 1;
    }
  }
  if (args.positionals.length > 0) {
    e.err(`${PREFIX} unexpected argument ${args.positionals[0]}\n`);
    return 1;
  }
  if (args.options.get('help') === true) {
    e.out('Usage: fleetscope init [--project | --user] [--fail-closed] [--dry-run] [--uninstall] [--statusline] [--user-store] [--events A,B]\nSee docs/claude-code.md.\n');
    return 0;
  }
  const user = args.options.get('user') === true;
  if (user && args.options.get('project') === true) {
    e.err(`${PREFIX} --project and --user exclude each other\n`);
    return 1;
  }
  const events = stringOption(args, 'events')?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? INIT_DEFAULT_EVENTS;
  for (const event of events) {
    if (!/^[A-Z][A-Za-z]+$/.test(event)) {
      e.err(`${PREFIX} "${event}" is not a hook event name (e.g. PreToolUse)\n`);
      return 1;
    }
    if ((KNOWN_HOOK_EVENTS as readonly string[]).includes(event)) continue;
    // Claude Code's event names are case-sensitive: "PreTooluse" would be a hook that never fires.
    const meant = KNOWN_HOOK_EVENTS.find((k) => k.toLowerCase() === event.toLowerCase());
    if (meant !== undefined) {
      e.err(`${PREFIX} "${event}" is not a hook event; did you mean ${meant}?\n`);
      return 1;
    }
    // A later Claude Code's event is allowed (unknown events are stored as generic ones), but said.
    e.err(`${PREFIX} "${event}" is not a hook event this fleetscope knows (a later Claude Code's?); installed as given: check its spelling\n`);
  }
  if (e.cli === '' || !/\.(m?js|cjs)$/.test(e.cli)) {
    e.err(`${PREFIX} cannot tell where the fleetscope CLI file is (${e.cli || 'unknown'}); run it as "node <path>/dist/cli/index.js init"\n`);
    return 1;
  }
  if (/[\\/]_npx[\\/]/.test(e.cli)) {
    e.err(`${PREFIX} running from npx's cache (${e.cli}), which npm may clear at any time; install fleetscope first (README: Claude Code) and run init from the installed copy\n`);
    return 1;
  }

  const { path, scope } = settingsPath(user, e);
  const current = readSettings(path);
  if ('refuse' in current) {
    e.err(`${PREFIX} ${current.refuse}\n`);
    return 1;
  }
  const uninstall = args.options.get('uninstall') === true;
  const entry = shellQuote(hookEntryFor(e.cli));
  // The statusline reads its last alert from the store the hook writes: the user store too with --user-store.
  const userStore = args.options.get('user-store') === true ? ['--user'] : [];
  const hookArgs = [shellQuote(e.node), entry, 'hook', ...userStore];
  const plan: InitPlan = {
    command: hookArgs.join(' '),
    events,
    failClosed: args.options.get('fail-closed') === true,
    ...(args.options.get('statusline') === true ? { statusline: [shellQuote(e.node), entry, 'statusline', ...userStore].join(' ') } : {}),
  };
  let next: Record<string, unknown>;
  const notes: string[] = [];
  if (uninstall) next = withoutFleetscope(current.settings);
  else {
    const r = withFleetscope(current.settings, plan);
    next = r.settings;
    notes.push(...r.notes);
  }
  const text = `${JSON.stringify(next, null, detectIndent(current.text))}\n`;
  for (const note of notes) e.err(`${PREFIX} ${note}\n`);
  const unchanged = current.text === '' ? uninstall : JSON.stringify(next) === JSON.stringify(current.settings);
  if (unchanged) {
    e.out(`${path}: ${uninstall ? 'no fleetscope hooks to remove' : 'already up to date'}; nothing changed\n`);
    return 0;
  }
  if (args.options.get('dry-run') === true) {
    e.out(lineDiff(current.text, text, path));
    e.out(`(dry run: ${path} not changed)\n`);
    return 0;
  }
  const dir = dirname(path);
  try {
    statSync(dir);
  } catch {
    try {
      // The parent (project directory or home) must exist; only .claude itself is made.
      mkdirSync(dir, { mode: 0o700 });
      e.err(`${PREFIX} created ${dir}\n`);
    } catch (error) {
      e.err(`${PREFIX} cannot create ${dir}: ${(error as Error).message}\n`);
      return 1;
    }
  }
  // Written beside and renamed over: a crash leaves the old file or the new one, never half of one.
  const temp = `${path}.fleetscope-${process.pid}.tmp`;
  try {
    writeFileSync(temp, text, { mode: current.mode ?? (scope === 'user' ? 0o600 : 0o644), flag: 'wx' });
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // never written
    }
    e.err(`${PREFIX} cannot write ${path}: ${(error as Error).message}; nothing changed\n`);
    return 1;
  }
  if (uninstall) e.out(`${path}: fleetscope hooks removed (other hooks kept)\n`);
  else {
    e.out(`${path}: fleetscope hook installed for ${events.length} ${events.length === 1 ? 'event' : 'events'} (${scope} settings)\n`);
    e.out(`  command: ${plan.command}${plan.failClosed ? ' (PreToolUse fail-closed: a hook that cannot run blocks the call)' : ''}\n`);
    e.out(`  store:   ${args.options.get('user-store') === true ? join(e.home, '.fleetscope') : '<project>/.fleetscope'} (git-ignored, 0600)\n`);
  }
  return 0;
}
