/**
 * Event filters: which events a subscriber, analyzer or exporter wants. Types are routed by the
 * bus (a subscriber to `tool.end` costs nothing to a `metric` emit); the other criteria are
 * checked by one predicate compiled at subscribe time.
 */
import { SEVERITY_RANK, type FleetEvent, type Severity } from './events.js';

export interface EventFilter {
  /** Event types to receive; default all. */
  types?: readonly string[];
  sessionId?: string;
  agentId?: string;
  workflowId?: string;
  /** Only events at least this severe. */
  minSeverity?: Severity;
  /** Drop events whose `source` is one of these (analyzers use it to skip their own output). */
  excludeSources?: readonly string[];
  /** Any further test; a throwing predicate counts as "no match". */
  where?: (event: FleetEvent) => boolean;
}

/** Returns a predicate for everything but `types`, or undefined when nothing needs checking. */
export function compilePredicate(filter: EventFilter | undefined): ((event: FleetEvent) => boolean) | undefined {
  if (filter === undefined) return undefined;
  const { sessionId, agentId, workflowId, minSeverity, excludeSources, where } = filter;
  const checks: ((event: FleetEvent) => boolean)[] = [];
  if (sessionId !== undefined) checks.push((e) => e.sessionId === sessionId);
  if (agentId !== undefined) checks.push((e) => e.agentId === agentId);
  if (workflowId !== undefined) checks.push((e) => e.workflowId === workflowId);
  if (minSeverity !== undefined) {
    const rank = SEVERITY_RANK[minSeverity];
    checks.push((e) => SEVERITY_RANK[e.severity] >= rank);
  }
  if (excludeSources !== undefined && excludeSources.length === 1) {
    // The common case (an analyzer skipping its own output): one string compare, no set lookup.
    const [only] = excludeSources;
    checks.push((e) => e.source !== only);
  } else if (excludeSources !== undefined && excludeSources.length > 1) {
    const excluded = new Set(excludeSources);
    checks.push((e) => !excluded.has(e.source));
  }
  if (where !== undefined) {
    checks.push((e) => {
      try {
        return where(e) === true;
      } catch {
        return false;
      }
    });
  }
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (event) => checks.every((check) => check(event));
}

/** Full match, types included; for consumers that are not routed by the bus. */
export function matchesFilter(event: FleetEvent, filter: EventFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.types !== undefined && !filter.types.includes(event.type)) return false;
  const predicate = compilePredicate(filter);
  return predicate === undefined || predicate(event);
}

/**
 * A filter from whatever the host passed, each field read once inside a `try`: a field of the
 * wrong kind falls back to its default (a lone type string is a list of one; non-strings are left
 * out of lists), and an object that throws on reading (a Proxy, a throwing getter) is the empty
 * filter (everything). Never throws.
 */
export function normalizeFilter(filter: unknown): EventFilter {
  if (typeof filter !== 'object' || filter === null) return {};
  try {
    const input = filter as Record<string, unknown>;
    const out: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {};
    const types = stringList(input.types);
    if (types !== undefined) out.types = types;
    for (const key of ['sessionId', 'agentId', 'workflowId'] as const) {
      const value = input[key];
      if (typeof value === 'string') out[key] = value;
    }
    const minSeverity = input.minSeverity;
    if (typeof minSeverity === 'string' && Object.prototype.hasOwnProperty.call(SEVERITY_RANK, minSeverity)) {
      out.minSeverity = minSeverity as Severity;
    }
    const excludeSources = stringList(input.excludeSources);
    if (excludeSources !== undefined) out.excludeSources = excludeSources;
    const where = input.where;
    if (typeof where === 'function') out.where = where as EventFilter['where'];
    return out;
  } catch {
    return {};
  }
}

/** A list of strings from a string or an array (its non-strings left out); undefined for anything else or an empty result. */
function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (let i = 0; i < value.length && i < 10_000; i++) {
    const item: unknown = value[i];
    if (typeof item === 'string') out.push(item);
  }
  return out.length > 0 ? out : undefined;
}
