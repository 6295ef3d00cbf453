/**
 * `fleetscope init` on temporary HOME and project directories: merge, idempotence, dry run,
 * uninstall, fail-closed, and every settings.json it must refuse (changing nothing).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INIT_DEFAULT_EVENTS, isFleetscopeCommand, lineDiff } from '../../src/cli/init-settings.js';
import { hookEntryFor, runInitCommand, type InitEnvironment } from '../../src/cli/init.js';
import { KNOWN_HOOK_EVENTS } from '../../src/runners/claude-code-hooks.js';
import { buildCli, hookEntryOf } from './build-cli.js';

let root: string;
let n = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'fleetscope-init-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number;
  out: string;
  err: string;
}

function setup(): { home: string; project: string; env: (cli?: string) => InitEnvironment; last: Run } {
  const base = join(root, `case-${++n}`);
  const home = join(base, 'home');
  const project = join(base, 'project');
  mkdirSync(home, { recursive: true });
  mkdirSync(project, { recursive: true });
  const last: Run = { code: -1, out: '', err: '' };
  return {
    home,
    project,
    last,
    env: (cli = '/opt/fleetscope/dist/cli/index.js') => ({
      cwd: project,
      env: {},
      home,
      cli,
      node: '/usr/local/bin/node',
      out: (t) => (last.out += t),
      err: (t) => (last.err += t),
    }),
  };
}

async function init(s: ReturnType<typeof setup>, args: string[], cli?: string): Promise<Run> {
  s.last.out = '';
  s.last.err = '';
  s.last.code = await runInitCommand(args, s.env(cli));
  return { ...s.last };
}

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { hooks: Record<string, Array<{ matcher?: string; hooks: Array<{ command: string; timeout?: number }> }>>; [k: string]: unknown };

describe('fleetscope init', () => {
  it('writes one direct-command entry per event into .claude/settings.json (created), no npx', async () => {
    const s = setup();
    const r = await init(s, []);
    expect(r.code).toBe(0);
    expect(r.err).toContain('created');
    const settings = read(join(s.project, '.claude', 'settings.json'));
    expect(Object.keys(settings.hooks)).toEqual([...INIT_DEFAULT_EVENTS]);
    expect(INIT_DEFAULT_EVENTS.length).toBe(KNOWN_HOOK_EVENTS.length - 3);
    // A hook on these changes Claude Code's behaviour (worktree creation and its removal fallback).
    expect(settings.hooks.WorktreeCreate).toBeUndefined();
    expect(settings.hooks.WorktreeRemove).toBeUndefined();
    expect(settings.hooks.MessageDisplay).toBeUndefined();
    expect(settings.hooks.PreToolUse).toEqual([{ matcher: '*', hooks: [{ type: 'command', command: '/usr/local/bin/node /opt/fleetscope/dist/cli/index.js hook # fleetscope', timeout: 10 }] }]);
    expect(settings.hooks.Stop).toEqual([{ hooks: [{ type: 'command', command: '/usr/local/bin/node /opt/fleetscope/dist/cli/index.js hook # fleetscope', timeout: 10 }] }]);
    expect(JSON.stringify(settings)).not.toContain('npx');
  });

  it('merges with hooks already there, keeps other keys, and a second run changes nothing', async () => {
    const s = setup();
    mkdirSync(join(s.project, '.claude'));
    const path = join(s.project, '.claude', 'settings.json');
    const mine = { matcher: 'Bash', hooks: [{ type: 'command', command: './scripts/check.sh' }] };
    const old = { hooks: [{ type: 'command', command: 'npx fleetscope hook' }] };
    writeFileSync(path, JSON.stringify({ model: 'opus', hooks: { PreToolUse: [mine], Stop: [old] }, permissions: { allow: ['Bash(ls)'] } }, null, 4));
    await init(s, []);
    const first = readFileSync(path, 'utf8');
    const settings = read(path);
    expect(Object.keys(settings)).toEqual(['model', 'hooks', 'permissions']);
    expect(settings.hooks.PreToolUse).toHaveLength(2);
    expect(settings.hooks.PreToolUse![0]).toEqual(mine);
    expect(settings.hooks.Stop).toHaveLength(1); // the README's old npx entry was replaced, not doubled
    expect(settings.hooks.Stop![0]!.hooks[0]!.command).toContain('/opt/fleetscope/dist/cli/index.js hook');
    expect(first).toContain('\n    "model"'); // the file's own indent kept
    const again = await init(s, []);
    expect(again.out).toContain('already up to date');
    expect(readFileSync(path, 'utf8')).toBe(first);
    const gone = await init(s, ['--uninstall']);
    expect(gone.code).toBe(0);
    expect(read(path)).toEqual({ model: 'opus', hooks: { PreToolUse: [mine] }, permissions: { allow: ['Bash(ls)'] } });
    expect((await init(s, ['--uninstall'])).out).toContain('no fleetscope hooks to remove');
  });

  it('--events: a miscased known event is refused, an unknown one is installed with a warning (was: both silently)', async () => {
    const s = setup();
    const path = join(s.project, '.claude', 'settings.json');
    const typo = await init(s, ['--events', 'PreTooluse,Stop']);
    expect(typo.code).toBe(1);
    expect(typo.err).toBe('fleetscope init: "PreTooluse" is not a hook event; did you mean PreToolUse?\n');
    expect(existsSync(path)).toBe(false);
    const later = await init(s, ['--events', 'Stop,SomeLaterEvent']);
    expect(later.code).toBe(0);
    expect(later.err).toContain('"SomeLaterEvent" is not a hook event this fleetscope knows (a later Claude Code\'s?); installed as given: check its spelling');
    expect(Object.keys(read(path).hooks)).toEqual(['Stop', 'SomeLaterEvent']);
  });

  it('--dry-run prints the diff and writes nothing', async () => {
    const s = setup();
    mkdirSync(join(s.project, '.claude'));
    const path = join(s.project, '.claude', 'settings.json');
    writeFileSync(path, '{\n  "model": "opus"\n}\n');
    const r = await init(s, ['--dry-run', '--events', 'PreToolUse,Stop']);
    expect(r.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('{\n  "model": "opus"\n}\n');
    expect(r.out).toContain(`--- ${path}`);
    expect(r.out).toContain('-  "model": "opus"');
    expect(r.out).toContain('+  "model": "opus",');
    expect(r.out).toContain('+    "PreToolUse": [');
    expect(r.out).toContain('(dry run');
    expect(lineDiff('a\nb\n', 'a\nc\n', 'x')).toBe('--- x\n+++ x (after fleetscope init)\n a\n-b\n+c\n');
  });

  it('--user writes ~/.claude/settings.json (creating ~/.claude in a home without it) or $CLAUDE_CONFIG_DIR', async () => {
    const s = setup();
    expect(existsSync(join(s.home, '.claude'))).toBe(false);
    const r = await init(s, ['--user', '--user-store', '--statusline']);
    expect(r.code).toBe(0);
    const path = join(s.home, '.claude', 'settings.json');
    expect(statSync(join(s.home, '.claude')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const settings = read(path);
    expect(settings.hooks.SessionStart![0]!.hooks[0]!.command).toBe('/usr/local/bin/node /opt/fleetscope/dist/cli/index.js hook --user # fleetscope');
    // The statusline reads the store the hook writes: the user store (was: without --user, the project's store, never written).
    expect(settings.statusLine).toEqual({ type: 'command', command: '/usr/local/bin/node /opt/fleetscope/dist/cli/index.js statusline --user # fleetscope', padding: 0 });
    expect(existsSync(join(s.project, '.claude'))).toBe(false);
  });

  it('quotes paths with spaces and quotes for the shell; --fail-closed wraps PreToolUse only', async () => {
    const s = setup();
    await init(s, ['--fail-closed'], "/opt/my tools/it's/dist/cli/index.js");
    const settings = read(join(s.project, '.claude', 'settings.json'));
    expect(settings.hooks.PreToolUse![0]!.hooks[0]!.command).toBe(`/usr/local/bin/node '/opt/my tools/it'\\''s/dist/cli/index.js' hook --fail-closed || exit 2 # fleetscope`);
    expect(settings.hooks.PostToolUse![0]!.hooks[0]!.command).toBe(`/usr/local/bin/node '/opt/my tools/it'\\''s/dist/cli/index.js' hook # fleetscope`);
    expect(isFleetscopeCommand(settings.hooks.PreToolUse![0]!.hooks[0]!.command)).toBe(true);
    expect(isFleetscopeCommand('node node_modules/fleetscope/dist/cli/index.js hook')).toBe(true);
    expect(isFleetscopeCommand('./scripts/fleetscope-lint.sh')).toBe(false);
  });

  it('refuses, changing nothing: not JSON, comments, read-only, a symlink, a wrong shape, unknown flags', async () => {
    const cases: Array<[string, (dir: string, path: string) => void, string]> = [
      ['not JSON', (_, p) => writeFileSync(p, '{ "hooks": '), 'is not strict JSON'],
      ['comments', (_, p) => writeFileSync(p, '{\n  // my hooks\n  "model": "opus"\n}\n'), 'it has comments'],
      // Was: "Unexpected token '\uFEFF'", an invisible character.
      ['byte-order mark', (_, p) => writeFileSync(p, '\uFEFF{"model": "opus"}\n'), 'it starts with a byte-order mark: save it as UTF-8 without BOM'],
      ['read-only', (_, p) => (writeFileSync(p, '{}\n'), chmodSync(p, 0o444)), 'read-only'],
      ['symlink', (d, p) => (writeFileSync(join(d, 'real.json'), '{}\n'), symlinkSync(join(d, 'real.json'), p)), 'is a symlink'],
      ['array', (_, p) => writeFileSync(p, '[]'), 'top level is not a JSON object'],
      ['hooks shape', (_, p) => writeFileSync(p, '{"hooks": {"Stop": {"command": "x"}}}'), '"hooks.Stop" is not an array'],
    ];
    for (const [name, make, message] of cases) {
      const s = setup();
      const dir = join(s.project, '.claude');
      mkdirSync(dir);
      const path = join(dir, 'settings.json');
      make(dir, path);
      const before = readFileSync(path, 'utf8');
      const r = await init(s, []);
      expect(r.code, name).toBe(1);
      expect(r.err, name).toContain(message);
      expect(readFileSync(path, 'utf8'), name).toBe(before);
    }
    const s = setup();
    expect((await init(s, ['--bogus'])).err).toContain('unknown option --bogus');
    expect((await init(s, ['--user', '--project'])).code).toBe(1);
    expect((await init(s, [], '/home/u/.npm/_npx/1234/node_modules/fleetscope/dist/cli/index.js')).err).toContain("npx's cache");
    expect(existsSync(join(s.project, '.claude'))).toBe(false);
  });

  it('the command runs hook.cjs when it is beside the CLI (a build), else the CLI itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetscope-init-entry-'));
    try {
      const index = join(dir, 'index.js');
      writeFileSync(index, '');
      expect(hookEntryFor(index)).toBe(index);
      writeFileSync(join(dir, 'hook.cjs'), '');
      expect(hookEntryFor(index)).toBe(join(dir, 'hook.cjs'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('end to end: the installed PreToolUse command, run by the shell as Claude Code does, blocks rm -rf / and fails closed', async () => {
    const cli = buildCli();
    const s = setup();
    const r = spawnSync(process.execPath, [cli, 'init', '--fail-closed', '--events', 'PreToolUse'], { cwd: s.project, encoding: 'utf8', env: { ...process.env, HOME: s.home, CLAUDE_PROJECT_DIR: '' } });
    expect(r.status, r.stderr).toBe(0);
    const command = read(join(s.project, '.claude', 'settings.json')).hooks.PreToolUse![0]!.hooks[0]!.command;
    // The fast entry beside the CLI, not the CLI itself.
    expect(command).toBe(`${process.execPath} ${hookEntryOf(cli)} hook --fail-closed || exit 2 # fleetscope`);
    const payload = (cmd: string) => JSON.stringify({ session_id: 's1', cwd: s.project, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: cmd }, tool_use_id: 't1' });
    const sh = (cmd: string, input: string) => spawnSync('/bin/sh', ['-c', cmd], { input, encoding: 'utf8', env: { ...process.env, CLAUDE_PROJECT_DIR: s.project, FLEETSCOPE_HOOK_DEADLINE_MS: '60000' } });
    expect(sh(command, payload('rm -rf /')).status).toBe(2);
    expect(sh(command, payload('ls')).status).toBe(0);
    expect(existsSync(join(s.project, '.fleetscope', '.gitignore'))).toBe(true);
    // The CLI moved away: fail-closed blocks instead of letting the call through unchecked.
    const broken = command.replace(hookEntryOf(cli), join(s.project, 'gone.cjs'));
    expect(sh(broken, payload('ls')).status).toBe(2);
  });
});
