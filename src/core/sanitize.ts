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
          const s = measure(value[i], depth + 1, limits, budget - size);
          if (s === NEEDS_REPAIR) return NEEDS_REPAIR;
          size += s + 1;
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

/** Whether a value is plain JSON within the limits, so it can be kept without a copy (the hot path). */
export function fitsAsIs(value: unknown, limits: PayloadLimits): boolean {
  const size = measure(value, 0, limits, limits.maxPayloadBytes);
  return size !== NEEDS_REPAIR && size <= limits.maxPayloadBytes;
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

interface RepairState {
  budget: number;
  repairs: Set<RepairKind>;
  limits: PayloadLimits;
}

const TRUNCATED = '[truncated]';

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
        state.budget -= max + 2;
        return `${value.slice(0, max)}…[truncated ${value.length - max} chars]`;
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
    if (Array.isArray(object)) {
      state.budget -= 2;
      const out: unknown[] = [];
      for (const item of object) {
        if (state.budget <= 0) {
          state.repairs.add('truncated');
          out.push(TRUNCATED);
          break;
        }
        const v = repair(item, depth + 1, stack, state);
        out.push(v === undefined ? null : v);
      }
      return out;
    }
    if (!isPlainObject(object)) {
      state.repairs.add('non_json');
      if (object instanceof Error) return { name: object.name, message: object.message };
      const toJSON = (object as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        // toJSON of a host object may throw: fall back to its own fields.
        try {
          return repair(toJSON.call(object), depth + 1, stack, state);
        } catch {
          /* fall through */
        }
      }
      if (object instanceof Map) return repair(Object.fromEntries(object), depth + 1, stack, state);
      if (object instanceof Set) return repair([...object], depth + 1, stack, state);
    }
    state.budget -= 2;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      if (state.budget <= 0) {
        state.repairs.add('truncated');
        out['…'] = TRUNCATED;
        break;
      }
      let field: unknown;
      try {
        field = (object as Record<string, unknown>)[key];
      } catch {
        // A throwing getter on a host object.
        state.repairs.add('non_json');
        continue;
      }
      state.budget -= key.length + 4;
      const v = repair(field, depth + 1, stack, state);
      if (v !== undefined) out[key] = v;
    }
    return out;
  } finally {
    stack.pop();
  }
}
