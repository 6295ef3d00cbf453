/**
 * `fleetscope hook` and its store: where the store is, what it is made of, and that the answer to a
 * guardrail question never waits for it (deadline, procfs, unusable pending/, huge payloads).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/core/events.js';
import { resolveHookStore, STORE_GITIGNORE } from '../../src/runners/claude-code-hook-store.js';
import { spanIdFrom } from '../../src/runners/claude-code-hooks.js';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { mountTmpfs, unmountTmpfs } from '../support/system-tool.js';
import { builtCli, hookEnv, readStore } from './fixtures.js';

const built = builtCli('fleetscope-hook-store-');

const SESSION = '22222222-3333-4444-8555-666666666666';

function hook(body: Record<string, unknown>, args: string[] = [], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [built.cli, 'hook', ...args], { input: JSON.stringify({ session_id: SESSION, permission_mode: 'default', ...body }), encoding: 'utf8', env: hookEnv(env), timeout: 20_000 });
  // `killed`: the hook did not answer by itself and the test's own 20 s guard ended it.
  return { status: r.status, stderr: r.stderr, killed: r.signal !== null || r.error !== undefined };
}

describe('the hook store', () => {
  it('resolveHookStore: --store, then $FLEETSCOPE_STORE, user store, $CLAUDE_PROJECT_DIR, git built.root, cwd', () => {
    const repo = join(built.root, 'resolve-repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    mkdirSync(join(repo, 'packages', 'api'), { recursive: true });
    const cwd = join(repo, 'packages', 'api');
    expect(resolveHookStore({ store: '/s', cwd, env: { FLEETSCOPE_STORE: '/e' } })).toMatchObject({ dir: '/s', anchor: 'explicit' });
    expect(resolveHookStore({ cwd, env: { FLEETSCOPE_STORE: '/e' } })).toMatchObject({ dir: '/e', anchor: 'explicit' });
    expect(resolveHookStore({ cwd, user: true, home: '/home/u', env: {} })).toEqual({ dir: '/home/u/.fleetscope', anchor: 'user', project: repo });
    expect(resolveHookStore({ cwd, env: { CLAUDE_PROJECT_DIR: '/p' } })).toMatchObject({ dir: '/p/.fleetscope', anchor: 'project-dir' });
    expect(resolveHookStore({ cwd, env: {} })).toEqual({ dir: join(repo, '.fleetscope'), anchor: 'git-root', project: repo });
    const plain = join(built.root, 'resolve-plain');
    mkdirSync(plain);
    expect(resolveHookStore({ cwd: plain, env: {} })).toEqual({ dir: join(plain, '.fleetscope'), anchor: 'cwd', project: plain });
  });

  it('one session stays in one store when the agent cds into a subdirectory; Pre/Post pair across it', async () => {
    const project = join(built.root, 'split');
    mkdirSync(join(project, 'packages', 'api'), { recursive: true });
    const env = { CLAUDE_PROJECT_DIR: project };
    expect(hook({ hook_event_name: 'PreToolUse', cwd: project, tool_name: 'Bash', tool_input: { command: 'cd packages/api' }, tool_use_id: 'toolu_cd' }, [], env).status).toBe(0);
    expect(hook({ hook_event_name: 'PostToolUse', cwd: join(project, 'packages', 'api'), tool_name: 'Bash', tool_use_id: 'toolu_cd', tool_response: 'ok' }, [], env).status).toBe(0);
    expect(existsSync(join(project, 'packages', 'api', '.fleetscope'))).toBe(false);
    const events = await readStore(join(project, '.fleetscope'));
    expect(events.map((e) => e.type)).toEqual(['tool.start', 'tool.end']);
    expect(typeof (events[1]!.payload as { durationMs?: number }).durationMs).toBe('number');
  });

  it('is created with a .gitignore of "*", directories 0700 and files 0600', () => {
    const project = join(built.root, 'modes');
    mkdirSync(project);
    expect(hook({ hook_event_name: 'SessionStart', cwd: project, source: 'startup' }).status).toBe(0);
    const store = join(project, '.fleetscope');
    expect(readFileSync(join(store, '.gitignore'), 'utf8')).toBe(STORE_GITIGNORE);
    expect(STORE_GITIGNORE.split('\n')).toContain('*');
    expect(statSync(store).mode & 0o777).toBe(0o700);
    expect(statSync(join(store, 'pending')).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(store)) {
      const s = statSync(join(store, name));
      if (s.isFile()) expect(s.mode & 0o777, name).toBe(0o600);
    }
    for (const name of readdirSync(join(store, 'pending'))) expect(statSync(join(store, 'pending', name)).mode & 0o777, name).toBe(0o600);
  });

  it('never re-creates a missing cwd: nothing is made, exit 0, the reason on stderr', () => {
    const gone = join(built.root, 'deleted', 'project');
    const r = hook({ hook_event_name: 'PreToolUse', cwd: gone, tool_name: 'Read', tool_input: { file_path: '/x' }, tool_use_id: 'toolu_gone' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('does not exist');
    expect(existsSync(join(built.root, 'deleted'))).toBe(false);
  });

  it('an unusable pending/ (a file in its place) loses the pairing, not the tool call', async () => {
    const store = join(built.root, 'no-pending');
    mkdirSync(store);
    writeFileSync(join(store, 'pending'), 'not a directory');
    const r = hook({ hook_event_name: 'PreToolUse', cwd: store, tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 'toolu_np' }, ['--store', store]);
    expect(r.status).toBe(0);
    const events = await readStore(store);
    expect(events.map((e) => e.type)).toEqual(['tool.start', 'log']);
    expect(events[0]!.payload).toMatchObject({ toolName: 'Bash', toolCallId: 'toolu_np' });
    expect(String((events[1]!.payload as { message: string }).message)).toContain('pending start tool-toolu_np not kept');
  });

  it('a full or read-only pending/ (ENOSPC, EROFS) loses the pairing, not the tool call (issue 14, point 4)', async () => {
    for (const [name, options] of [['full', '4k'], ['read-only', '64k,ro']] as const) {
      const store = join(built.root, `pending-${name}`);
      const pending = join(store, 'pending');
      mkdirSync(pending, { recursive: true });
      if (!mountTmpfs(pending, options, 'The full and read-only pending/ tests need a small tmpfs')) return;
      try {
        if (name === 'full') {
          try {
            writeFileSync(join(pending, 'filler'), Buffer.alloc(64 * 1024));
          } catch {
            // ENOSPC: the tmpfs is full, as wanted
          }
        }
        const id = `toolu_${name.replace('-', '')}`;
        const r = hook({ hook_event_name: 'PreToolUse', cwd: store, tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: id }, ['--store', store]);
        expect(r.status, name).toBe(0);
        const events = await readStore(store);
        expect(events.map((e) => e.type), name).toEqual(['tool.start', 'log']);
        expect(events[0]!.payload, name).toMatchObject({ toolName: 'Bash', toolCallId: id });
        const message = String((events[1]!.payload as { message: string }).message);
        expect(message, name).toContain(`pending start tool-${id} not kept`);
        expect(message, name).toMatch(name === 'full' ? /ENOSPC/ : /EROFS/);
      } finally {
        unmountTmpfs(pending);
      }
    }
  });

  it('a store under procfs (recursive mkdir loops forever in Node 20): the hook answers by its own deadline', () => {
    // Not timed (house rule): the hook must end by itself with its answer and name its own deadline
    // as the reason; without the deadline it never ends, and the test's 20 s guard kills it.
    const store = '/proc/self/fdinfo/fleetscope/store';
    const blocked = hook({ hook_event_name: 'PreToolUse', cwd: '/tmp', tool_name: 'Bash', tool_input: { command: 'rm -rf /' }, tool_use_id: 'toolu_p1' }, ['--store', store, '--deadline-ms', '400']);
    expect(blocked.killed).toBe(false);
    expect(blocked.status).toBe(2);
    expect(blocked.stderr).toContain('rm-rf-root-or-home');
    expect(blocked.stderr).toContain('store write unfinished after 400 ms');
    const allowed = hook({ hook_event_name: 'PreToolUse', cwd: '/tmp', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 'toolu_p2' }, ['--store', store], { FLEETSCOPE_HOOK_DEADLINE_MS: '400' });
    expect(allowed.killed).toBe(false);
    expect(allowed.status).toBe(0);
    expect(allowed.stderr).toContain('store write unfinished after 400 ms');
  });

  it('an unknown future event is stored as a generic event with all its fields', async () => {
    const store = join(built.root, 'future');
    const r = hook({ hook_event_name: 'QuantumLeap', cwd: store, leap_target: '1985', details: { year: 1985 } }, ['--store', store]);
    expect(r.status).toBe(0);
    const [e] = await readStore(store);
    expect(e).toMatchObject({ type: 'claude_code.quantum_leap', sessionId: SESSION, payload: { leap_target: '1985', details: { year: 1985 } } });
  });

  it('a 50 MB payload: exit 0, the call stored with its output cut to a preview', async () => {
    const store = join(built.root, 'huge');
    const big = 'x'.repeat(50 * 1024 * 1024);
    const r = hook({ hook_event_name: 'PostToolUse', cwd: store, tool_name: 'Read', tool_input: { file_path: '/big' }, tool_use_id: 'toolu_big', tool_response: big }, ['--store', store, '--deadline-ms', '15000']);
    expect(r.status).toBe(0);
    const [e] = await readStore(store);
    expect(e).toMatchObject({ type: 'tool.end', truncated: true, payload: { toolCallId: 'toolu_big' } });
    expect(String((e!.payload as { output: string }).output).length).toBe(16 * 1024 + 1);
  });

  it('the hook never exits 1: bad flags, unreadable rules, a broken store; --fail-closed blocks an unreadable call', () => {
    const store = join(built.root, 'exit-codes');
    writeFileSync(join(built.root, 'bad-rules.json'), '{ not json');
    const cases = [
      hook({ hook_event_name: 'PreToolUse', cwd: store, tool_name: 'Bash', tool_input: { command: 'ls' } }, ['--store']),
      hook({ hook_event_name: 'PreToolUse', cwd: store, tool_name: 'Bash', tool_input: { command: 'ls' } }, ['--store', store, '--rules', join(built.root, 'bad-rules.json')]),
      hook({ hook_event_name: 'PreToolUse', cwd: store, tool_name: 'Bash', tool_input: { command: 'rm -rf ~' } }, ['--store', join(built.root, 'bad-rules.json', 'store')]),
    ];
    expect(cases.map((c) => c.status)).toEqual([0, 0, 2]);
    const unreadable = (args: string[]) => spawnSync(process.execPath, [built.cli, 'hook', '--store', store, ...args], { input: '{"hook_event_name": "PreToolUse", "tool_input": {"command": "rm -rf /"', encoding: 'utf8', env: hookEnv() });
    expect(unreadable([]).status).toBe(0);
    const closed = unreadable(['--fail-closed']);
    expect(closed.status).toBe(2);
    expect(closed.stderr).toContain('could not read this call and runs fail-closed');
  });

  it('secrets are redacted before the store write by default (a `cat .env` result); PII with FLEETSCOPE_REDACT=all; off on request', async () => {
    const env = 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nGITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a\nCONTACT=dev@example.org\n';
    const body = (id: string) => ({ hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'cat .env' }, tool_use_id: id, tool_response: { stdout: env } });
    const stored = async (name: string, args: string[], extra: Record<string, string> = {}) => {
      const store = join(built.root, name);
      expect(hook({ ...body(`toolu_${name}`), cwd: store }, ['--store', store, ...args], extra).status).toBe(0);
      const [e] = await readStore(store);
      return JSON.stringify(readFileSync(join(store, '00000001.jsonl'), 'utf8')) + JSON.stringify(e!.payload);
    };
    const secrets = await stored('redact-default', []);
    expect(secrets).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(secrets).not.toContain('ghp_16C7e42F292c6912E7710c838347Ae178B4a');
    expect(secrets).toContain('[REDACTED:aws_key]');
    expect(secrets).toContain('[REDACTED:github_token]');
    expect(secrets).toContain('dev@example.org');
    const all = await stored('redact-all', [], { FLEETSCOPE_REDACT: 'all' });
    expect(all).not.toContain('dev@example.org');
    const off = await stored('redact-off', ['--no-redact']);
    expect(off).toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('what was redacted is summed up in the store (redaction.findings) and `fleetscope report` says it', async () => {
    const store = join(built.root, 'redaction-summary');
    const post = (session_id: string, id: string, stdout: string) =>
      hook({ session_id, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'cat x' }, tool_use_id: id, tool_response: { stdout }, cwd: store }, ['--store', store]);
    // session A: an AWS key id and a GitHub token (2 secrets); session B: one GitHub token, then nothing
    expect(post('sess-a', 'r1', 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nGITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a\n').status).toBe(0);
    expect(post('sess-b', 'r2', 'token ghp_26C7e42F292c6912E7710c838347Ae178B4b').status).toBe(0);
    expect(post('sess-b', 'r3', 'nothing secret').status).toBe(0);
    const summaries = (await readStore(store)).filter((e) => e.type === 'redaction.findings');
    expect(summaries.map((e) => [e.sessionId, (e.payload as { byGroup: unknown }).byGroup])).toEqual([
      ['sess-a', { secrets: 2, pii: 0 }],
      ['sess-b', { secrets: 1, pii: 0 }],
    ]);
    expect(JSON.stringify(summaries)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    const report = spawnSync(process.execPath, [built.cli, 'report', '--store', store], { encoding: 'utf8', env: hookEnv() });
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toContain('| Redacted | 3 secrets redacted in 2 sessions |');
  });

  it('tools and subagents nest under the turn that made them, across hook processes', async () => {
    const project = join(built.root, 'nesting');
    mkdirSync(project);
    const at = { cwd: project };
    hook({ ...at, hook_event_name: 'SessionStart', source: 'startup' });
    hook({ ...at, hook_event_name: 'UserPromptSubmit', prompt: 'look around' });
    hook({ ...at, hook_event_name: 'PreToolUse', tool_name: 'Glob', tool_input: { pattern: '*' }, tool_use_id: 'toolu_n1' });
    hook({ ...at, hook_event_name: 'SubagentStart', agent_id: 'a9', agent_type: 'Explore' });
    hook({ ...at, hook_event_name: 'PreToolUse', agent_id: 'a9', agent_type: 'Explore', tool_name: 'Read', tool_input: { file_path: '/r' }, tool_use_id: 'toolu_n2' });
    hook({ ...at, hook_event_name: 'Stop', last_assistant_message: 'done' });
    const events = await readStore(join(project, '.fleetscope'));
    const turn = events.find((e) => e.type === 'agent.start' && e.agentId === 'main')!;
    const session = spanIdFrom(`session:${SESSION}`);
    expect(turn.parentSpanId).toBe(session);
    const glob = events.find((e) => e.type === 'tool.start' && (e.payload as { toolCallId: string }).toolCallId === 'toolu_n1')!;
    const sub = events.find((e) => e.type === 'agent.start' && e.agentId === 'a9')!;
    const read = events.find((e) => e.type === 'tool.start' && (e.payload as { toolCallId: string }).toolCallId === 'toolu_n2')!;
    expect(glob.parentSpanId).toBe(turn.spanId);
    expect(sub.parentSpanId).toBe(turn.spanId);
    expect(read.parentSpanId).toBe(sub.spanId);
    const end = events.find((e) => e.type === 'agent.end')!;
    expect(end.spanId).toBe(turn.spanId);
    expect(end.payload).toMatchObject({ status: 'success', output: 'done' });
  });
});
