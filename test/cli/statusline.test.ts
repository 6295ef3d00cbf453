/**
 * `fleetscope statusline`: Claude Code's statusline JSON (fields per code.claude.com/docs/en/statusline,
 * `rate_limits` since 2.1.x) to one line, with the session's last alert from the hook store.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextPercent, formatStatusline, untilReset, type StatuslineInput } from '../../src/cli/statusline.js';
import { hookEntryOf } from './build-cli.js';
import { builtCli } from './fixtures.js';

const built = builtCli('fleetscope-statusline-');

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0); // 1768046400 s
const INPUT: StatuslineInput & Record<string, unknown> = {
  session_id: 'sess-1',
  cwd: '/work/app',
  version: '2.1.132',
  model: { id: 'claude-opus-4-6', display_name: 'Opus 4.6' },
  workspace: { current_dir: '/work/app', project_dir: '/work/app' },
  cost: { total_cost_usd: 1.2345, total_duration_ms: 600_000 },
  context_window: { context_window_size: 200_000, used_percentage: 41.6, current_usage: { input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
  rate_limits: {
    five_hour: { used_percentage: 16, resets_at: 1768046400 + 2 * 3600 + 15 * 60 },
    seven_day: { used_percentage: 44.4, resets_at: 1768046400 + 3 * 86_400 + 4 * 3600 + 59 },
  },
};

/** Runs `statusline` from the CLI, or from the bundled entry `hook.cjs` (what `init --statusline` installs). */
function run(input: string, env: Record<string, string> = {}, file = built.cli) {
  const clean = { ...process.env };
  delete clean.CLAUDE_PROJECT_DIR;
  delete clean.FLEETSCOPE_STORE;
  return spawnSync(process.execPath, [file, 'statusline'], { input, encoding: 'utf8', env: { ...clean, ...env } });
}

describe('fleetscope statusline', () => {
  it('formats model, cost, context, 5-hour and 7-day use with their resets', () => {
    expect(formatStatusline(INPUT, NOW)).toBe('Opus 4.6 · $1.23 · ctx 42% · 5h 16% ↻2h15m · 7d 44% ↻3d4h');
    expect(untilReset(1768046400 + 59, NOW)).toBe('<1m');
    expect(untilReset(1768046400 + 61, NOW)).toBe('1m');
    expect(untilReset(1768046400 - 100, NOW)).toBe('now');
  });

  it('context from current usage when used_percentage is absent (older Claude Code)', () => {
    const cw = { context_window_size: 200_000, current_usage: { input_tokens: 2_000, cache_creation_input_tokens: 8_000, cache_read_input_tokens: 40_000 } };
    expect(contextPercent({ context_window: cw })).toBe(25); // (2,000 + 8,000 + 40,000) / 200,000
    expect(formatStatusline({ model: { id: 'claude-sonnet-4-5' }, context_window: cw }, NOW)).toBe('claude-sonnet-4-5 · ctx 25%');
  });

  it('--help prints the usage, from the CLI and from hook.cjs (was: the bare line "fleetscope")', () => {
    for (const file of [built.cli, hookEntryOf(built.cli)]) {
      const r = spawnSync(process.execPath, [file, 'statusline', '--help'], { input: '', encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Usage: fleetscope statusline /);
    }
  });

  it('without rate_limits (API key users) or with nothing usable, it still prints a line', () => {
    const { rate_limits: _, ...noLimits } = INPUT;
    expect(formatStatusline(noLimits, NOW)).toBe('Opus 4.6 · $1.23 · ctx 42%');
    expect(formatStatusline({}, NOW)).toBe('fleetscope');
    for (const bad of ['', 'not json', '[]', '{"model": 5, "cost": {"total_cost_usd": "x"}}']) {
      const r = run(bad);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('fleetscope\n');
    }
  });

  it("shows the session's last alert from the hook store", () => {
    const project = join(built.root, 'project');
    mkdirSync(project);
    const hook = (body: Record<string, unknown>) =>
      spawnSync(process.execPath, [built.cli, 'hook'], { input: JSON.stringify({ session_id: 'sess-1', cwd: project, ...body }), encoding: 'utf8', env: { ...process.env, CLAUDE_PROJECT_DIR: project, FLEETSCOPE_HOOK_DEADLINE_MS: '60000' } });
    expect(hook({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'git push --force origin main' }, tool_use_id: 't1' }).status).toBe(2);
    const input = { ...INPUT, workspace: { current_dir: project, project_dir: project }, rate_limits: undefined, session_id: 'sess-1' };
    const r = run(JSON.stringify(input));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Opus 4\.6 · \$1\.23 · ctx 42% · ⚠ Force-pushing/);
    const other = run(JSON.stringify({ ...input, session_id: 'sess-2' }));
    expect(other.stdout).toBe('Opus 4.6 · $1.23 · ctx 42%\n');
    // The bundled entry prints the same lines.
    expect(run(JSON.stringify(input), {}, hookEntryOf(built.cli))).toMatchObject({ status: 0, stdout: r.stdout });
    expect(run(JSON.stringify({ ...input, session_id: 'sess-2' }), {}, hookEntryOf(built.cli)).stdout).toBe(other.stdout);
    expect(run('not json', {}, hookEntryOf(built.cli)).stdout).toBe('fleetscope\n');
    // No session id (no JSON, or a JSON without it) in the project: another session's alert is not shown (was: the store's last alert).
    const inProject = { CLAUDE_PROJECT_DIR: project };
    expect(run('not json', inProject).stdout).toBe('fleetscope\n');
    expect(run(JSON.stringify({ ...input, session_id: undefined }), inProject).stdout).toBe('Opus 4.6 · $1.23 · ctx 42%\n');
    expect(run('', inProject, hookEntryOf(built.cli)).stdout).toBe('fleetscope\n');
  });
});
