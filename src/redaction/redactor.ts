/**
 * The redactor: finds secrets and personal data in strings, values and events, and replaces
 * them by a mask (`[REDACTED:aws_key]`), a keyed hash (`[REDACTED:email:hmac:9f2c...]`, equal
 * values give equal hashes under one key, so they stay joinable without being readable) or
 * drops the field. Findings carry category, field path, offset and length — never the value.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { FleetEvent } from '../core/index.js';
import {
  ALL_CATEGORIES,
  expandCategories,
  type CategorySelector,
  type Finding,
  type RedactionCategory,
  type TextMatch,
} from './categories.js';
import { isSecretKeyName } from './detect-named.js';
import { isPlaceholder } from './placeholders.js';
import { createScanner, type Scanner } from './scan.js';

/** `mask`: `[REDACTED:<category>]`; `hash`: `[REDACTED:<category>:hmac:<16 hex>]`; `drop`: the field is removed. */
export type RedactionMode = 'mask' | 'hash' | 'drop';

/** What to look for and what to do with it. */
export interface RedactionPolicy {
  /** Categories to redact (`secrets`, `pii` or single categories). Default all (`['secrets', 'pii']`). */
  categories?: readonly CategorySelector[];
  /** Mode for every category not named in `modes`. Default `mask`. */
  mode?: RedactionMode;
  /** Mode per category or group, e.g. `{ email: 'hash', secrets: 'mask' }`. A category beats its group. */
  modes?: Partial<Record<CategorySelector, RedactionMode>>;
}

export interface RedactorOptions extends RedactionPolicy {
  /**
   * Key of the `hash` mode's HMAC-SHA256. Default: 32 random bytes per redactor, so hashes are
   * joinable within one process only; give a key to join across processes and runs.
   */
  hashKey?: string | Uint8Array;
  /**
   * Whether an object field named like a secret (`password`, `apiKey`, `client_secret`,
   * `authorization`, `cookie`, ...) is redacted whole, as category `secret_field`, whatever its
   * string looks like. Default `true` (when `secret_field` is among the categories).
   */
  fieldNames?: boolean;
  /**
   * Longest string scanned, in characters. A longer one is replaced whole by
   * `[REDACTED:unscanned]` (fail closed) and counted. Default 16 MiB.
   */
  maxScanLength?: number;
  /**
   * Most findings one call (`redactText`, `redactValue`, `redactEvent`) lists as `Finding`
   * objects. Past it every span is still redacted and counted per category in `omitted`, but not
   * listed: on hostile input (a finding every dozen characters, 80k in 1 MB) an object per span
   * made the collector's work, and so the call, grow faster than the input. Default 10,000.
   */
  maxFindings?: number;
}

/** The result of redacting a string, a value or an event. `changed` is false when nothing was found. */
export interface Redacted<T> {
  value: T;
  findings: Finding[];
  /** Findings redacted and counted but not listed in `findings` (past `maxFindings`), per category; absent when none. */
  omitted?: Partial<Record<RedactionCategory, number>>;
  changed: boolean;
}

/** What one call found: the listed findings, and the count per category of those past the cap. */
interface Found {
  list: Finding[];
  omitted: Partial<Record<RedactionCategory, number>> | undefined;
}

export interface Redactor {
  /** The categories this redactor looks for. */
  readonly categories: ReadonlySet<RedactionCategory>;
  /** Spans found in `text`, sorted by offset (no value; use the offsets on your own copy). */
  scanText(text: string): readonly TextMatch[];
  /** `text` with every finding replaced (in `drop` mode the matched text is removed). */
  redactText(text: string): Redacted<string>;
  /**
   * A copy of a JSON-like value with every string redacted (copy-on-write: untouched branches are
   * shared, and the value itself comes back when nothing was found). Handles cycles (cut to
   * `[Circular]`), nesting deeper than 64 and objects that throw when read (each replaced by
   * `[REDACTED:unscanned]`). Never throws.
   */
  redactValue<T>(value: T, path?: string): Redacted<T>;
  /** The event with its `payload` and `attributes` redacted; envelope fields are left as they are. */
  redactEvent(event: FleetEvent): Redacted<FleetEvent>;
}

const MAX_DEPTH = 64;

/** A resolved policy: the categories and each one's mode. */
export interface ResolvedPolicy {
  categories: Set<RedactionCategory>;
  modes: Map<RedactionCategory, RedactionMode>;
}

const MODES = new Set<RedactionMode>(['mask', 'hash', 'drop']);

export function resolvePolicy(policy: RedactionPolicy, base?: ResolvedPolicy): ResolvedPolicy {
  const categories = policy.categories !== undefined ? expandCategories(policy.categories) : new Set(base?.categories ?? ALL_CATEGORIES);
  const defaultMode = policy.mode ?? 'mask';
  if (!MODES.has(defaultMode)) throw new Error(`[fleetscope] [redaction] unknown mode "${String(defaultMode)}" (mask, hash, drop)`);
  const modes = new Map<RedactionCategory, RedactionMode>();
  for (const category of ALL_CATEGORIES) modes.set(category, policy.mode !== undefined || base === undefined ? defaultMode : base.modes.get(category)!);
  const entries = Object.entries(policy.modes ?? {}) as [CategorySelector, RedactionMode][];
  // Groups first, then single categories, so that a category beats its group.
  for (const [selector, mode] of [...entries.filter(([s]) => s === 'secrets' || s === 'pii'), ...entries.filter(([s]) => s !== 'secrets' && s !== 'pii')]) {
    if (!MODES.has(mode)) throw new Error(`[fleetscope] [redaction] unknown mode "${String(mode)}" for ${selector} (mask, hash, drop)`);
    for (const category of expandCategories([selector])) modes.set(category, mode);
  }
  return { categories, modes };
}

/** Field names already judged by `isSecretKeyName` (an event's keys repeat: `toolName`, `status`, ...); cleared when full. */
const SECRET_FIELDS = new Map<string, boolean>();
const SECRET_FIELDS_MAX = 4096;

function isSecretField(key: string): boolean {
  let secret = SECRET_FIELDS.get(key);
  if (secret === undefined) {
    if (SECRET_FIELDS.size >= SECRET_FIELDS_MAX) SECRET_FIELDS.clear();
    SECRET_FIELDS.set(key, (secret = isSecretKeyName(key)));
  }
  return secret;
}

const MASKS = new Map<RedactionCategory, string>();

/** `[REDACTED:<category>]`, built once per category, not once per finding. */
function maskOf(category: RedactionCategory): string {
  let mask = MASKS.get(category);
  if (mask === undefined) MASKS.set(category, (mask = `[REDACTED:${category}]`));
  return mask;
}

/** Builds a redactor; throws on an unknown category or mode (configuration time only). */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const policy = resolvePolicy(options);
  const engine = createEngine(options, policy.categories);
  return engine.redactorFor(policy);
}

/** The shared part of redactors that differ only by policy (one scanner, one key). */
export interface RedactionEngine {
  scanner: Scanner;
  fieldNames: boolean;
  redactorFor(policy: ResolvedPolicy): Redactor;
  /** Strings longer than `maxScanLength` met so far. */
  unscanned(): number;
}

export function createEngine(options: RedactorOptions, categories: ReadonlySet<RedactionCategory>): RedactionEngine {
  // Drawn on the first hash only: a redactor that only masks never loads the random source.
  let key: string | Uint8Array | undefined = options.hashKey;
  const maxScanLength = options.maxScanLength ?? 16 * 1024 * 1024;
  const maxFindings = options.maxFindings ?? 10_000;
  if (!Number.isInteger(maxFindings) || maxFindings < 0) throw new Error(`[fleetscope] [redaction] maxFindings must be an integer ≥ 0, got ${String(maxFindings)}`);
  const scanner = createScanner(categories);
  const fieldNames = (options.fieldNames ?? true) && categories.has('secret_field');
  let unscanned = 0;

  const hmac = (value: string) => createHmac('sha256', (key ??= randomBytes(32))).update(value).digest('hex').slice(0, 16);

  function redactorFor(policy: ResolvedPolicy): Redactor {
    const wanted = policy.categories;
    const modes = policy.modes;
    const relevant = (matches: readonly TextMatch[]) =>
      matches.length === 0 || matches.every((m) => wanted.has(m.category)) ? matches : matches.filter((m) => wanted.has(m.category));

    /** Rewrites `text`; returns undefined when a `drop` finding asks for the field to go. */
    function rewrite(text: string, matches: readonly TextMatch[], dropWhole: boolean): string | undefined {
      let out = '';
      let from = 0;
      for (const m of matches) {
        const mode = modes.get(m.category)!;
        if (mode === 'drop' && dropWhole) return undefined;
        out += text.slice(from, m.start);
        if (mode === 'mask') out += maskOf(m.category);
        else if (mode === 'hash') out += `[REDACTED:${m.category}:hmac:${hmac(text.slice(m.start, m.end))}]`;
        from = m.end;
      }
      return out + text.slice(from);
    }

    function record(found: Found, category: RedactionCategory, path: string, offset: number, length: number): void {
      if (found.list.length < maxFindings) found.list.push({ category, path, offset, length });
      else (found.omitted ??= {})[category] = (found.omitted[category] ?? 0) + 1;
    }

    function redactString(text: string, path: string, found: Found, fieldIsSecret: boolean, dropWhole: boolean): string | undefined {
      if (text.length > maxScanLength) {
        unscanned++;
        return '[REDACTED:unscanned]';
      }
      if (fieldIsSecret && wanted.has('secret_field') && !isPlaceholder(text)) {
        record(found, 'secret_field', path, 0, text.length);
        return rewrite(text, [{ category: 'secret_field', start: 0, end: text.length }], dropWhole);
      }
      const matches = relevant(scanner.scan(text));
      if (matches.length === 0) return text;
      for (const m of matches) record(found, m.category, path, m.start, m.end - m.start);
      return rewrite(text, matches, dropWhole);
    }

    const DROP = Symbol('drop');

    /** The field path, built only when a finding needs it (most fields have none). */
    function pathOf(parts: readonly (string | number)[]): string {
      let out = '';
      for (const part of parts) out = typeof part === 'number' ? `${out}[${part}]` : out === '' ? part : `${out}.${part}`;
      return out;
    }

    function walk(value: unknown, parts: (string | number)[], found: Found, depth: number, stack: object[], secretKey: boolean): unknown {
      if (typeof value === 'string') {
        const findings = found.list;
        const before = findings.length;
        const out = redactString(value, '', found, secretKey, true);
        if (findings.length > before) {
          const path = pathOf(parts);
          for (let i = before; i < findings.length; i++) findings[i]!.path = path;
        }
        return out === undefined ? DROP : out;
      }
      if (typeof value !== 'object' || value === null) return value;
      if (depth >= MAX_DEPTH) {
        unscanned++;
        return '[REDACTED:unscanned]';
      }
      if (stack.includes(value)) return '[Circular]';
      stack.push(value);
      try {
        if (Array.isArray(value)) {
          let copy: unknown[] | undefined;
          for (let i = 0; i < value.length; i++) {
            const item = value[i] as unknown;
            parts.push(i);
            const next = walk(item, parts, found, depth + 1, stack, false);
            parts.pop();
            if (next !== item) {
              copy ??= value.slice();
              copy[i] = next === DROP ? null : next;
            }
          }
          return copy ?? value;
        }
        let copy: Record<string, unknown> | undefined;
        const record = value as Record<string, unknown>;
        for (const key of Object.keys(record)) {
          const item = record[key];
          const isSecret = fieldNames && typeof item === 'string' && isSecretField(key);
          parts.push(key);
          const next = walk(item, parts, found, depth + 1, stack, isSecret);
          parts.pop();
          if (next !== item) {
            copy ??= { ...record };
            if (next === DROP) delete copy[key];
            else copy[key] = next;
          }
        }
        return copy ?? value;
      } catch {
        // A value that cannot be read (a throwing getter, a hostile Proxy) is not shown: fail closed.
        unscanned++;
        return '[REDACTED:unscanned]';
      } finally {
        stack.pop();
      }
    }

    /** `value` redacted, its findings added to `found`; `changed` when it is a new value. */
    function redactInto<T>(value: T, path: string, found: Found): { value: T; changed: boolean } {
      const out = walk(value, path === '' ? [] : [path], found, 0, [], false);
      const result = (out === DROP ? undefined : out) as T;
      return { value: result, changed: result !== value };
    }

    const result = <T>(value: T, found: Found, changed: boolean): Redacted<T> =>
      found.omitted === undefined ? { value, findings: found.list, changed } : { value, findings: found.list, omitted: found.omitted, changed };

    const redactValue = <T>(value: T, path = ''): Redacted<T> => {
      const found: Found = { list: [], omitted: undefined };
      const out = redactInto(value, path, found);
      return result(out.value, found, out.changed);
    };

    return {
      categories: wanted,
      scanText: (text) => relevant(scanner.scan(text)),
      redactText(text: string): Redacted<string> {
        const found: Found = { list: [], omitted: undefined };
        const out = redactString(text, '', found, false, false) ?? '';
        return result(out, found, out !== text);
      },
      redactValue,
      redactEvent(event: FleetEvent): Redacted<FleetEvent> {
        // One `found` for both, so that `maxFindings` holds per event.
        const found: Found = { list: [], omitted: undefined };
        const payload = redactInto(event.payload as unknown, 'payload', found);
        const attributes = event.attributes === undefined ? undefined : redactInto(event.attributes as unknown, 'attributes', found);
        if (!payload.changed && !attributes?.changed) return result(event, found, false);
        const copy = { ...event, payload: (payload.value ?? {}) as object } as unknown as { attributes?: unknown; payload: object };
        if (attributes?.changed) {
          if (attributes.value === undefined) delete copy.attributes;
          else copy.attributes = attributes.value;
        }
        return result(copy as unknown as FleetEvent, found, true);
      },
    };
  }

  return { scanner, fieldNames, redactorFor, unscanned: () => unscanned };
}

let defaultRedactor: Redactor | undefined;

/**
 * Redacts one string with every category in `mask` mode (or with `options`). The function the
 * Claude Code hook and other hosts call before they write text anywhere:
 * `redactText('key AKIA...')` → `{ value: 'key [REDACTED:aws_key]', findings: [...], changed: true }`.
 */
export function redactText(text: string, options?: RedactorOptions): Redacted<string> {
  const redactor = options === undefined ? (defaultRedactor ??= createRedactor()) : createRedactor(options);
  return redactor.redactText(text);
}
