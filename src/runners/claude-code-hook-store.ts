/**
 * The hook store: where `fleetscope hook` writes. A fleetscope file log (segments `00000001.jsonl`,
 * ... one `FleetEvent` per line) plus `pending/`, where span starts wait for their end across hook
 * processes, and a `.gitignore` holding `*` so that no `git add -A` ever picks the store up.
 *
 * Where it is (`resolveHookStore`): an explicit `--store` or `$FLEETSCOPE_STORE`; else the user-level
 * store `~/.fleetscope` when asked for; else `.fleetscope` in the project: `$CLAUDE_PROJECT_DIR`, then
 * the git root above the payload's `cwd`, then that `cwd`. Anchoring at the project (not at `cwd`) keeps
 * one session in one store when the agent runs `cd packages/api`.
 *
 * Nothing here creates a directory tree recursively, except under an explicit store path: a missing
 * `cwd` is never re-created, and Node 20's `mkdir({ recursive: true })` loops forever under procfs.
 * Every directory is made `0700` (the hook also runs under umask 077, so files are `0600`).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import type { PendingStart, PendingStarts } from './claude-code-hooks.js';

/** Pending starts older than this are removed at SessionStart/SessionEnd: 24 h. */
export const PENDING_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Name of the store directory inside a project or home directory. */
export const STORE_DIR_NAME = '.fleetscope';

/** Content of the `.gitignore` written into every store on creation. */
export const STORE_GITIGNORE = '# written by fleetscope: this store holds prompts and tool output; never commit it\n*\n';

/** Where the hook store is and why there. */
export interface HookStoreLocation {
  dir: string;
  /** `explicit` (`--store` / `$FLEETSCOPE_STORE`), `user`, `project-dir` ($CLAUDE_PROJECT_DIR), `git-root` or `cwd`. */
  anchor: 'explicit' | 'user' | 'project-dir' | 'git-root' | 'cwd';
  /** The project the events belong to (the anchor directory; for the user store, the project it would have used). */
  project?: string;
}

export interface ResolveHookStoreOptions {
  /** `--store DIR`. */
  store?: string;
  /** One user-level store for every project (`~/.fleetscope`). Default false. */
  user?: boolean;
  /** The payload's `cwd`. */
  cwd?: string;
  /** Environment; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Home directory; default `os.homedir()`. */
  home?: string;
}

/** The git root above `dir` (a directory holding `.git`), or undefined. Stats only; never creates anything. */
export function gitRootOf(dir: string): string | undefined {
  let current = resolve(dir);
  for (let i = 0; i < 64; i++) {
    try {
      statSync(join(current, '.git'));
      return current;
    } catch {
      // not here
    }
    const up = dirname(current);
    if (up === current) return undefined;
    current = up;
  }
  return undefined;
}

function projectOf(cwd: string | undefined, env: NodeJS.ProcessEnv): { dir: string; anchor: 'project-dir' | 'git-root' | 'cwd' } {
  const projectDir = env.CLAUDE_PROJECT_DIR;
  if (projectDir !== undefined && projectDir !== '') return { dir: resolve(projectDir), anchor: 'project-dir' };
  const base = cwd ?? process.cwd();
  const root = gitRootOf(base);
  return root !== undefined ? { dir: root, anchor: 'git-root' } : { dir: resolve(base), anchor: 'cwd' };
}

/** Resolves the hook store (see the module comment for the order). */
export function resolveHookStore(options: ResolveHookStoreOptions = {}): HookStoreLocation {
  const env = options.env ?? process.env;
  const explicit = options.store ?? (env.FLEETSCOPE_STORE || undefined);
  const project = projectOf(options.cwd, env);
  if (explicit !== undefined) return { dir: resolve(explicit), anchor: 'explicit', project: project.dir };
  if (options.user === true || env.FLEETSCOPE_STORE_SCOPE === 'user') {
    return { dir: join(options.home ?? homedir(), STORE_DIR_NAME), anchor: 'user', project: project.dir };
  }
  return { dir: join(project.dir, STORE_DIR_NAME), anchor: project.anchor, project: project.dir };
}

/**
 * Makes the store ready to write: the store directory (`0700`; its parent must exist unless the
 * location is explicit), its `.gitignore` (`*`, written once) and `pending/`. Asynchronous only, so a
 * caller's deadline still fires if the file system hangs. Rejects with a clear message when the store
 * cannot be made (e.g. the project directory is gone).
 */
export async function prepareHookStore(location: HookStoreLocation): Promise<void> {
  const { dir } = location;
  try {
    await mkdir(dir, { mode: 0o700, ...(location.anchor === 'explicit' ? { recursive: true } : {}) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${dirname(dir)} does not exist; the store is not created there (nothing re-creates a missing directory tree)`);
    if (code !== 'EEXIST') throw error;
  }
  try {
    await writeFile(join(dir, '.gitignore'), STORE_GITIGNORE, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  try {
    await mkdir(join(dir, 'pending'), { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

function fileName(key: string): string {
  const safe = key.replace(/[^A-Za-z0-9_.-]/g, '_');
  return safe.length <= 120 ? `${safe}.json` : `${createHash('sha1').update(key).digest('hex')}.json`;
}

export interface PendingStartsDir extends PendingStarts {
  /** Removes pending starts older than `maxAgeMs` (ends that never came: interrupted calls). */
  sweep(maxAgeMs?: number): number;
  /** Failures so far (unwritable, full or odd `pending/`): pairing is lost, the events are still stored. */
  readonly errors: string[];
}

/**
 * Pending starts as one small file per key in `<store>/pending/`; each key is written by one process.
 * Never throws: a `put` that fails is recorded in `errors` (the end then has no duration), a `take` or
 * `peek` that fails finds nothing.
 */
export function pendingStartsIn(store: string): PendingStartsDir {
  const dir = join(store, 'pending');
  const errors: string[] = [];
  let made = false;
  const read = (key: string): PendingStart | undefined => {
    try {
      const value = JSON.parse(readFileSync(join(dir, fileName(key)), 'utf8')) as PendingStart;
      return typeof value?.timestamp === 'number' ? value : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    errors,
    put(key, start) {
      try {
        if (!made) {
          // Not recursive: the store exists (prepareHookStore), and recursion loops under procfs.
          try {
            mkdirSync(dir, { mode: 0o700 });
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          }
          made = true;
        }
        writeFileSync(join(dir, fileName(key)), JSON.stringify(start), { mode: 0o600 });
      } catch (error) {
        errors.push(`pending start ${key} not kept: ${(error as Error).message}`);
      }
    },
    peek: read,
    take(key) {
      const value = read(key);
      if (value === undefined) return undefined;
      try {
        unlinkSync(join(dir, fileName(key)));
      } catch {
        // another process took it at the same moment; both see the same start
      }
      return value;
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
