/**
 * Options of the JSONL tail runner (`jsonl-tail.ts`): the types a host passes, with each
 * default, and the one place they are checked and the defaults filled in. A bad option throws
 * here, when the runner is created, never after it has started.
 */
import { resolve } from 'node:path';
import { FleetscopeError, type EventInput } from '../core/index.js';

/** Where a line came from, given to `map`. */
export interface JsonlLineSource {
  /** Absolute path of the file. */
  path: string;
  /** 1-based line number in the current file (restarts at 1 after rotation or truncation). */
  lineNumber: number;
}

/** Maps one parsed JSON line to events; `undefined` (or an empty array) skips the line. */
export type JsonlMapper = (record: unknown, source: JsonlLineSource) => EventInput | readonly EventInput[] | undefined;

export interface JsonlTailOptions {
  /** Files to follow. A file that does not exist yet is picked up when it appears. Required. */
  paths: string | readonly string[];
  /**
   * `end` (default): only lines appended after the runner starts, like `tail -F`;
   * `start`: every line already in the file, then what is appended. Files that appear later,
   * and files after rotation or truncation, are always read from their start.
   */
  from?: 'start' | 'end';
  /**
   * Turns a parsed line into events. Default: the line IS a fleetscope event (`EventInput`:
   * `{ type, payload, ... }`); the observer validates it and counts rejections in
   * `stats().invalidReasons`.
   */
  map?: JsonlMapper;
  /** How often each file is checked, in ms, in addition to `fs.watch` notifications. Default 1000; at least 10. */
  pollIntervalMs?: number;
  /** Longest line accepted, in bytes; longer lines are skipped (never buffered) and counted. Default 1 MiB. */
  maxLineBytes?: number;
  /** Bytes read per read call. Default 64 KiB. */
  readChunkBytes?: number;
  /** Whether to use `fs.watch` on the files' directories for prompt pickup. Default true. */
  watch?: boolean;
  /** Runner name (the `source` of events that do not set one). Default `jsonl-tail`. */
  name?: string;
}

export function resolveOptions(options: JsonlTailOptions) {
  const fail = (message: string): never => {
    throw new FleetscopeError(`[fleetscope] [jsonl-tail] invalid option: ${message}`, {
      kind: 'runner',
      plugin: 'jsonl-tail',
      operation: 'options',
    });
  };
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const raw = options.paths;
  const paths = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? [...raw] : fail('paths must be a string or an array of strings');
  if (paths.length === 0 || !paths.every((p) => typeof p === 'string' && p !== '')) fail('paths must be non-empty strings');
  const from = options.from ?? 'end';
  if (from !== 'start' && from !== 'end') fail(`from must be 'start' or 'end'`);
  if (options.map !== undefined && typeof options.map !== 'function') fail('map must be a function');
  const number = (key: keyof JsonlTailOptions, value: unknown, fallback: number, min: number) => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) fail(`${key} must be a number >= ${min}`);
    return Math.floor(v as number);
  };
  return {
    paths: [...new Set(paths.map((p) => resolve(p)))],
    from,
    map: options.map,
    pollIntervalMs: number('pollIntervalMs', options.pollIntervalMs, 1000, 10),
    maxLineBytes: number('maxLineBytes', options.maxLineBytes, 1024 * 1024, 1),
    readChunkBytes: number('readChunkBytes', options.readChunkBytes, 64 * 1024, 64),
    watch: options.watch ?? true,
    name: options.name ?? 'jsonl-tail',
  };
}
