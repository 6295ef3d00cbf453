/**
 * Real Claude Code data for tests (../shared/real-cc, read from there, never copied): a hook
 * logger's payloads of one session written as a hook store, as `fleetscope hook` would have
 * written them, one payload a second from 2026-04-28T03:00:00Z.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapHookPayload, type PendingStart } from '../../src/runners/claude-code-hooks.js';

export const REAL_CC = join(import.meta.dirname, '..', '..', '..', 'shared', 'real-cc');

/** The order a session's hooks fire in, near enough for pairing (starts before ends). */
const HOOK_FILES = ['session_start', 'user_prompt_submit', 'subagent_start', 'pre_tool_use', 'permission_request', 'notification', 'post_tool_use', 'post_tool_use_failure', 'subagent_stop', 'stop', 'session_end'];

/** Time of the first payload; each next one a second later. */
export const HOOK_STORE_T0 = Date.parse('2026-04-28T03:00:00.000Z');

/** The payloads of `session` logged under hooks/`logger`/, mapped and written as one store segment in `store`; returns how many. */
export function writeRealHookStore(store: string, logger: string, session: string): number {
  const pending = new Map<string, PendingStart>();
  let now = HOOK_STORE_T0 - 1000;
  let n = 0;
  let payloadCount = 0;
  const lines: string[] = [];
  for (const name of HOOK_FILES) {
    let payloads: Record<string, unknown>[];
    try {
      payloads = JSON.parse(readFileSync(join(REAL_CC, 'hooks', logger, `${name}.json`), 'utf8')) as Record<string, unknown>[];
    } catch {
      continue; // this logger did not log that event
    }
    for (const payload of payloads.filter((p) => p.session_id === session)) {
      now += 1000;
      payloadCount++;
      const { events } = mapHookPayload(payload, {
        now,
        newId: () => `h-${++n}`,
        newSpanId: () => (++n).toString(16).padStart(16, '0'),
        pending: {
          put: (k, v) => void pending.set(k, v),
          take: (k) => {
            const v = pending.get(k);
            pending.delete(k);
            return v;
          },
          peek: (k) => pending.get(k),
        },
      });
      for (const e of events) lines.push(JSON.stringify(e));
    }
  }
  writeFileSync(join(store, '00000001.jsonl'), `${lines.join('\n')}\n`);
  return payloadCount;
}
