/**
 * The hook store directory (default `<cwd>/.fleetscope/`): a fleetscope file log (segments
 * `00000001.jsonl`, ... one `FleetEvent` per line, written by `fleetscope hook` with the file-log
 * storage) plus `pending/`, where span starts wait for their end across hook processes.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { PendingStart, PendingStarts } from './claude-code-hooks.js';

/** Pending starts older than this are removed at SessionStart/SessionEnd: 24 h. */
export const PENDING_MAX_AGE_MS = 24 * 60 * 60 * 1000;

function fileName(key: string): string {
  const safe = key.replace(/[^A-Za-z0-9_.-]/g, '_');
  return safe.length <= 120 ? `${safe}.json` : `${createHash('sha1').update(key).digest('hex')}.json`;
}

export interface PendingStartsDir extends PendingStarts {
  /** Removes pending starts older than `maxAgeMs` (ends that never came: interrupted calls). */
  sweep(maxAgeMs?: number): number;
}

/** Pending starts as one small file per key in `<store>/pending/`; each key is written by one process. */
export function pendingStartsIn(store: string): PendingStartsDir {
  const dir = join(store, 'pending');
  let made = false;
  return {
    put(key, start) {
      if (!made) {
        mkdirSync(dir, { recursive: true });
        made = true;
      }
      writeFileSync(join(dir, fileName(key)), JSON.stringify(start));
    },
    take(key) {
      const path = join(dir, fileName(key));
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
      try {
        unlinkSync(path);
      } catch {
        // another process took it at the same moment; both see the same start
      }
      try {
        const value = JSON.parse(text) as PendingStart;
        return typeof value?.timestamp === 'number' ? value : undefined;
      } catch {
        return undefined;
      }
    },
    sweep(maxAgeMs = PENDING_MAX_AGE_MS) {
      let removed = 0;
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return 0;
      }
      const cutoff = Date.now() - maxAgeMs;
      for (const name of names) {
        try {
          const path = join(dir, name);
          if (statSync(path).mtimeMs < cutoff) {
            unlinkSync(path);
            removed++;
          }
        } catch {
          // gone already
        }
      }
      return removed;
    },
  };
}
