/**
 * Property-based test of the hook command (issue 14): whatever arrives on stdin (garbage, JSON of
 * any shape, hook payloads with hostile fields), the hook answers: it exits 0 (or 2, the block
 * answer, for a PreToolUse its guardrails refuse), within its time, with no uncaught error.
 * Each run spawns the built CLI, so the runs are few; more with `FLEETSCOPE_FUZZ_RUNS`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzz, fuzzTimeout, hostileKey, jsonValue } from '../support/fuzz.js';
import { builtCli } from './fixtures.js';

const built = builtCli('fleetscope-hook-prop-');

const hookPayload = fc.record(
  {
    session_id: fc.oneof(fc.uuid(), fc.constantFrom('__proto__', '', '../../etc'), jsonValue),
    hook_event_name: fc.oneof(fc.constantFrom('PreToolUse', 'PostToolUse', 'UserPromptSubmit', 'Stop', 'SubagentStop', 'SessionStart', 'SessionEnd', 'Notification', 'PreCompact'), jsonValue),
    tool_name: fc.oneof(fc.constantFrom('Bash', 'Read', '__proto__', 'mcp__x__y'), jsonValue),
    tool_input: fc.oneof(fc.record({ command: fc.string({ maxLength: 200 }) }), fc.dictionary(hostileKey, jsonValue, { maxKeys: 4 }), jsonValue),
    tool_response: jsonValue,
    tool_use_id: fc.oneof(fc.string({ maxLength: 20 }), jsonValue),
    transcript_path: fc.oneof(fc.string({ maxLength: 20 }), jsonValue),
    prompt: fc.string({ maxLength: 100 }),
    extra: fc.dictionary(hostileKey, jsonValue, { maxKeys: 3 }),
  },
  { requiredKeys: [] },
);

const stdin = fc.oneof(
  { weight: 4, arbitrary: hookPayload.map((p) => JSON.stringify(p)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 1, arbitrary: jsonValue.map((v) => JSON.stringify(v) ?? '') },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '[]', 'null', '{"__proto__":{"polluted":1}}', '\u0000\u0001', '{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf /"}}') },
);

describe('hook command (property)', () => {
  it('answers whatever its stdin: exit 0 (or 2 for a refused PreToolUse), no uncaught error', () => {
    fc.assert(
      fc.property(stdin, (input) => {
        const store = join(built.root, 'store');
        const result = spawnSync(process.execPath, [built.cli, 'hook', '--store', store], { input, encoding: 'utf8', timeout: 20_000 });
        expect(result.error).toBeUndefined();
        const refused = result.status === 2 && input.includes('PreToolUse');
        expect(result.status === 0 || refused, `exit ${result.status}: ${result.stderr}`).toBe(true);
        expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace: nothing uncaught
      }),
      fuzz(25, 1420),
    );
  }, fuzzTimeout(120_000));
});
