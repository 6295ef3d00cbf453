/**
 * Payload sanitizing: every payload must be JSON-serializable and bounded in size before it is
 * trusted. The common case (a small plain object) is checked by one cheap walk and kept as is;
 * only a payload that needs repair is copied.
 */

/** Size limits applied at the door. */
export interface PayloadLimits {
  /**
   * Largest payload (plus attributes) kept whole, in approximate UTF-16 bytes. A larger one
   * is cut down and the event is marked `truncated: true`. Default 64 KiB.
   */
  maxPayloadBytes: number;
  /** Longest single string kept whole; longer strings are cut. Default 16 KiB characters. */
  maxStringLength: number;
  /** Deepest nesting kept; deeper values become `"[MaxDepth]"`. Default 32. */
  maxDepth: number;
}

export const DEFAULT_PAYLOAD_LIMITS: PayloadLimits = {
  maxPayloadBytes: 64 * 1024,
  maxStringLength: 16 * 1024,
  maxDepth: 32,
};

/** What a repair changed, for `stats().sanitized`. */
export type RepairKind = 'truncated' | 'circular' | 'non_json' | 'max_depth';

/** Returned by `measure` when a value must be copied to be kept (not just when too large). */
export const NEEDS_REPAIR = -1;

const objectProto = Object.prototype;

export function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === objectProto || proto === null;
}

/**
 * Approximate serialized size of a JSON value, or NEEDS_REPAIR when it holds something JSON
 * cannot carry (a function, a bigint, a class instance) or is nested too deep. Stops early
 * once `budget` is exceeded.
 *
 * Keeps no stack of visited objects: a cycle nests without end, so it reaches `maxDepth` (or
 * the budget) and comes back NEEDS_REPAIR, and `repair` then names it `circular`. Measured:
 * the stack (an array, `includes` on every object) was a fifth of the validator's time.
 */
export function measure(value: unknown, depth: number, limits: PayloadLimits, budget: number): number {
  switch (typeof value) {
    case 'string':
      return value.length > limits.maxStringLength ? budget + 1 : value.length + 2;
    case 'number':
      return Number.isFinite(value) ? 8 : NEEDS_REPAIR;
    case 'boolean':
      return 5;
    case 'undefined':
      return 0;
    case 'object': {
      if (value === null) return 4;
      if (depth >= limits.maxDepth) return NEEDS_REPAIR;
      const isArray = Array.isArray(value);
      if (!isArray && !isPlainObject(value)) return NEEDS_REPAIR;
      let size = 2;
      if (isArray) {
        for (let i = 0; i < value.length && size <= budget; i++) {
          const item = value[i];
          const s = measure(item, depth + 1, limits, budget - size);
          if (s === NEEDS_REPAIR) return NEEDS_REPAIR;
          size += (item === undefined ? 4 : s) + 1; // JSON writes an undefined element as null
        }
      } else {
        const record = value as Record<string, unknown>;
        for (const key in record) {
          const s = measure(record[key], depth + 1, limits, budget - size);
          if (s === NEEDS_REPAIR) return NEEDS_REPAIR;
          size += s + key.length + 4;
          if (size > budget) break;
        }
      }
      return size;
    }
    default:
      // function, symbol, bigint
      return NEEDS_REPAIR;
  }
}

/** Limits of `jsonBytes`: no string or size limit, only the depth that stops a cycle. */
const SIZE_ONLY: PayloadLimits = { maxPayloadBytes: Infinity, maxStringLength: Infinity, maxDepth: 64 };

/**
 * Approximate JSON size of a value already accepted (an event's payload, attributes or tags), for
 * a store that budgets its bytes; stops counting past `budget`. A value JSON cannot carry or a
 * cycle (only a host appending to a store directly can pass one) counts as `unreadable` bytes.
 */
export function jsonBytes(value: unknown, budget: number, unreadable: number): number {
  const size = measure(value, 0, SIZE_ONLY, budget);
  return size === NEEDS_REPAIR ? unreadable : size;
}

/** Whether a value is plain JSON within the limits, so it can be kept without a copy (the hot path). */
export function fitsAsIs(value: unknown, limits: PayloadLimits): boolean {
  const size = measure(value, 0, limits, limits.maxPayloadBytes);
  return size !== NEEDS_REPAIR && size <= limits.maxPayloadBytes;
}

/** Returned by `copyFit` for a value that must be repaired (or is over budget) rather than copied as is. */
export const UNFIT: unique symbol = Symbol('unfit');

/** Approximate JSON size of what the last `copyFit` call copied (read right after the call). */
let copied = 0;

/** The size of what the last `copyFit` returned. */
export function copiedBytes(): number {
  return copied;
}

/**
 * `measure` and a copy in the same walk: a plain-data copy of a JSON value that fits the limits,
 * or `UNFIT` when it holds something JSON cannot carry, nests too deep, or exceeds `budget`.
 * Each property is read exactly once, so what was checked is what is kept: a getter that
 * answers differently (or throws) on a later read, or a host that changes its object after
 * `emit`, cannot change an accepted event. A `__proto__` key stays an own data property.
 */
export function copyFit(value: unknown, depth: number, limits: PayloadLimits, budget: number): unknown {
  switch (typeof value) {
    case 'string':
      if (value.length > limits.maxStringLength) return UNFIT;
      copied = value.length + 2;
      return value;
    case 'number':
      if (!Number.isFinite(value)) return UNFIT;
      copied = 8;
      return value;
    case 'boolean':
      copied = 5;
      return value;
    case 'undefined':
      copied = 0;
      return undefined;
    case 'object': {
      if (value === null) {
        copied = 4;
        return null;
      }
      if (depth >= limits.maxDepth) return UNFIT;
      if (Array.isArray(value)) {
        const length = value.length;
        // Every element costs at least its comma: a longer array cannot fit.
        if (length > budget) return UNFIT;
        const out = new Array<unknown>(length);
        let size = 2;
        for (let i = 0; i < length; i++) {
          const item = copyFit(value[i], depth + 1, limits, budget - size);
          if (item === UNFIT) return UNFIT;
          out[i] = item;
          // An undefined element or a hole is written as `null` by JSON.
          size += (item === undefined ? 4 : copied) + 1;
          if (size > budget) return UNFIT;
        }
        copied = size;
        return out;
      }
      if (!isPlainObject(value)) return UNFIT;
      const record = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let size = 2;
      let listed: string[] | undefined; // once unfit: its keys, for the repair that follows
      for (const key in record) {
        if (listed !== undefined) {
          if (listed.push(key) >= maxListedKeys(limits)) break;
          continue;
        }
        const field = key.length > limits.maxStringLength ? UNFIT : copyFit(record[key], depth + 1, limits, budget - size);
        if (field !== UNFIT) {
          if (key === '__proto__') defineOwn(out, key, field);
          else out[key] = field;
          size += copied + key.length + 4;
          if (size <= budget) continue;
        }
        listed = startListing(out, field === UNFIT ? key : undefined);
      }
      if (listed !== undefined) return handOff(record, listed);
      copied = size;
      return out;
    }
    default:
      // function, symbol, bigint
      return UNFIT;
  }
}

/**
 * The keys of the objects a failed copy (`copyFit`, `checkPayload`) went through, handed to the
 * repair that follows so that it does not enumerate them again: V8 lists every key of a
 * dictionary-mode object (one with more than about a thousand keys) before the first turn of a
 * `for...in` or `Object.keys`, however early the loop breaks, and that listing is the whole cost
 * of such a payload (25–45 ms for 1e5 keys; BENCHMARKS.md). Holds at most the keys a repair can
 * use (`maxListedKeys`); emptied by every `repairValue` and `forgetListedKeys`.
 */
const listedKeys = new Map<object, string[]>();

/** Keys a repair can reach in one object: each costs at least 4 bytes of budget; one more shows the cut. */
export function maxListedKeys(limits: PayloadLimits): number {
  return Math.floor(limits.maxPayloadBytes / 4) + 2;
}

/** Starts listing the keys of an object whose copy failed: those copied so far, then the one that failed. */
export function startListing(copy: Record<string, unknown>, failedKey: string | undefined): string[] {
  const keys = Object.keys(copy);
  if (failedKey !== undefined) keys.push(failedKey);
  return keys;
}

/** Leaves an object's listed keys for the repair and answers `UNFIT`. */
export function handOff(object: object, keys: string[]): typeof UNFIT {
  listedKeys.set(object, keys);
  return UNFIT;
}

/** Drops the listed keys (a copy that failed is not repaired: its payload was rejected). */
export function forgetListedKeys(): void {
  if (listedKeys.size > 0) listedKeys.clear();
}

/** Sets `key` as an own enumerable data property, even `__proto__` (which assignment would treat as the prototype). */
export function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Result of sanitizing one value. */
export interface SanitizeResult<T> {
  value: T;
  /** What was repaired; empty when the value was kept as is. */
  repairs: RepairKind[];
}

const KEPT: RepairKind[] = [];

/**
 * Returns the value itself when it is plain JSON within the limits, else a repaired copy:
 * cycles become `"[Circular]"`, functions and symbols are dropped, bigints become strings,
 * class instances are converted through `toJSON` or their own enumerable fields (Errors keep
 * name and message), strings are cut to `maxStringLength`, and once `maxPayloadBytes` is
 * spent the remaining values become `"[truncated]"`.
 */
export function sanitizeValue<T>(value: T, limits: PayloadLimits): SanitizeResult<T> {
  if (fitsAsIs(value, limits)) return { value, repairs: KEPT };
  const repairs = new Set<RepairKind>();
  const state = { budget: limits.maxPayloadBytes, repairs, limits };
  const copy = repair(value, 0, [], state);
  return { value: copy as T, repairs: [...repairs] };
}

/**
 * Always a repaired plain-data copy (see `sanitizeValue`), never the value itself; for a value
 * `copyFit` found unfit. Bounded in time and size by `maxPayloadBytes` whatever it is given.
 */
export function repairValue<T>(value: T, limits: PayloadLimits): SanitizeResult<T> {
  const repairs = new Set<RepairKind>();
  try {
    const copy = repair(value, 0, [], { budget: limits.maxPayloadBytes, repairs, limits });
    return { value: copy as T, repairs: [...repairs] };
  } finally {
    forgetListedKeys();
  }
}

interface RepairState {
  budget: number;
  repairs: Set<RepairKind>;
  limits: PayloadLimits;
}

const TRUNCATED = '[truncated]';

/** A string cut to `max` characters, with a marker saying how much was cut. */
function cut(value: string, max: number): string {
  return `${value.slice(0, max)}…[truncated ${value.length - max} chars]`;
}

function repair(value: unknown, depth: number, stack: object[], state: RepairState): unknown {
  if (state.budget <= 0) {
    state.repairs.add('truncated');
    return TRUNCATED;
  }
  switch (typeof value) {
    case 'string': {
      const max = Math.min(state.limits.maxStringLength, Math.max(0, state.budget - 2));
      if (value.length > max) {
        state.repairs.add('truncated');
        const out = cut(value, max);
        state.budget -= out.length + 2;
        return out;
      }
      state.budget -= value.length + 2;
      return value;
    }
    case 'number':
      state.budget -= 8;
      if (Number.isFinite(value)) return value;
      state.repairs.add('non_json');
      return null;
    case 'boolean':
      state.budget -= 5;
      return value;
    case 'undefined':
      return undefined;
    case 'bigint':
      state.repairs.add('non_json');
      state.budget -= 20;
      return value.toString();
    case 'function':
    case 'symbol':
      state.repairs.add('non_json');
      return undefined;
    default:
      break;
  }
  if (value === null) {
    state.budget -= 4;
    return null;
  }
  const object = value as object;
  if (stack.includes(object)) {
    state.repairs.add('circular');
    return '[Circular]';
  }
  if (depth >= state.limits.maxDepth) {
    state.repairs.add('max_depth');
    return '[MaxDepth]';
  }
  stack.push(object);
  try {
    return repairObject(object, depth, stack, state);
  } catch {
    // A hostile object (a Proxy whose traps throw, a throwing toJSON or iterator).
    state.repairs.add('non_json');
    state.budget -= 14;
    return '[unreadable]';
  } finally {
    stack.pop();
  }
}

function repairObject(object: object, depth: number, stack: object[], state: RepairState): unknown {
  const { limits } = state;
  if (Array.isArray(object)) {
    state.budget -= 2;
    // By index, never through the array's own iterator (a host may replace it); every element,
    // a hole included, costs budget, so a sparse array of 2^32 - 1 slots stops at the budget.
    const length = object.length;
    const out: unknown[] = [];
    for (let i = 0; i < length; i++) {
      if (state.budget <= 0) {
        state.repairs.add('truncated');
        out.push(TRUNCATED);
        break;
      }
      state.budget -= 1;
      const v = repair(readField(object, i, state), depth + 1, stack, state);
      if (v === undefined) {
        state.budget -= 4;
        out.push(null);
      } else {
        out.push(v);
      }
    }
    return out;
  }
  if (!isPlainObject(object)) {
    state.repairs.add('non_json');
    // Typed arrays and Buffers are summarized before anything walks them (a Buffer's toJSON
    // would list every byte).
    if (ArrayBuffer.isView(object)) return repair(summarizeView(object), depth + 1, stack, state);
    if (object instanceof ArrayBuffer) return repair({ type: 'ArrayBuffer', byteLength: object.byteLength }, depth + 1, stack, state);
    if (object instanceof Error) return repair({ name: String(object.name), message: String(object.message) }, depth + 1, stack, state);
    if (object instanceof Map) return repair(firstEntries(object, state), depth + 1, stack, state);
    if (object instanceof Set) return repair(firstItems(object, state), depth + 1, stack, state);
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      // toJSON of a host object may throw: fall back to its own fields.
      let converted: unknown;
      let ok = true;
      try {
        converted = toJSON.call(object);
      } catch {
        ok = false;
      }
      if (ok) return repair(converted, depth + 1, stack, state);
    }
  }
  state.budget -= 2;
  const out: Record<string, unknown> = {};
  // The keys a failed copy listed when it has (see `listedKeys`), else the object's own.
  for (const key of listedKeys.get(object) ?? Object.keys(object)) {
    if (state.budget <= 0) {
      state.repairs.add('truncated');
      out['…'] = TRUNCATED;
      break;
    }
    let name = key;
    const maxKey = Math.min(limits.maxStringLength, Math.max(1, state.budget - 4));
    if (key.length > maxKey) {
      state.repairs.add('truncated');
      name = cut(key, maxKey);
    }
    state.budget -= name.length + 4;
    const v = repair(readField(object, key, state), depth + 1, stack, state);
    if (v === undefined) continue;
    if (name === '__proto__') defineOwn(out, name, v);
    else out[name] = v;
  }
  return out;
}

/** One field of a host object; a throwing getter counts as a non-JSON value (left out). */
function readField(object: object, key: string | number, state: RepairState): unknown {
  try {
    return (object as Record<string | number, unknown>)[key];
  } catch {
    state.repairs.add('non_json');
    return undefined;
  }
}

/**
 * A typed array, Buffer or DataView as its type and its length, never its contents: bytes are not
 * text, so redaction cannot see a secret in them (a Buffer holding an API key, as a tool's output),
 * and a prefix of them would reach storage and exporters as numbers. A host that wants the
 * contents passes them as a string, which redaction then reads.
 */
function summarizeView(view: ArrayBufferView): Record<string, unknown> {
  const type = Buffer.isBuffer(view) ? 'Buffer' : Object.prototype.toString.call(view).slice(8, -1);
  if (view instanceof DataView) return { type, byteLength: view.byteLength };
  return { type, length: (view as unknown as ArrayLike<unknown>).length };
}

/** The entries of a Map that can fit the budget (each costs at least a few bytes), as an object. */
function firstEntries(map: Map<unknown, unknown>, state: RepairState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Each entry costs at least 8 bytes of JSON (`"k":0,` and quotes), so no more can fit.
  let room = Math.ceil(state.budget / 8);
  for (const [key, value] of Map.prototype.entries.call(map)) {
    if (room-- <= 0) {
      state.repairs.add('truncated');
      break;
    }
    const name = String(key);
    if (name === '__proto__') defineOwn(out, name, value);
    else out[name] = value;
  }
  return out;
}

/** The items of a Set that can fit the budget, as an array. */
function firstItems(set: Set<unknown>, state: RepairState): unknown[] {
  const out: unknown[] = [];
  let room = Math.ceil(state.budget / 2);
  for (const item of Set.prototype.values.call(set)) {
    if (room-- <= 0) {
      state.repairs.add('truncated');
      break;
    }
    out.push(item);
  }
  return out;
}
