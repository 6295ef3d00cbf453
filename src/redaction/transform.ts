/**
 * Redaction as an `EventTransform`: applied to each batch on its way to storage and to each
 * exporter, with a policy per sink. Each event is scanned once whatever the number of sinks
 * (the findings are kept per event object); a sink whose policy finds nothing to change gets the
 * very same event objects, and a batch with nothing to redact is passed on as is.
 *
 * Findings go to analyzers as `redaction.findings` events (one per batch that had any; category,
 * field path, offset and length of each finding, never the value) and to `stats()`.
 */
import type { BatchTransform, EventTransform, FleetEvent, SinkInfo, TransformContext } from '../core/index.js';
import { ALL_CATEGORIES, groupOf, type Finding, type RedactionCategory } from './categories.js';
import { createEngine, resolvePolicy, type RedactionPolicy, type Redactor, type RedactorOptions, type ResolvedPolicy } from './redactor.js';

/** Type of the summary event a redaction puts on the bus for each batch with findings. */
export const FINDINGS_EVENT_TYPE = 'redaction.findings';

export interface RedactionOptions extends RedactorOptions {
  /**
   * Which sinks are redacted, and how: `storage` (the observer's storage), `exporters` (every
   * exporter), or one sink's own name (beats its kind). `true` applies the top-level policy,
   * `false` turns redaction off there, a policy object overrides categories and modes for it.
   * Default `{ storage: true, exporters: true }`.
   */
  sinks?: Record<string, boolean | RedactionPolicy>;
  /** Whether to put a `redaction.findings` event on the bus per batch with findings. Default `true`. */
  findingsEvents?: boolean;
  /** Most findings listed in one `redaction.findings` event (the counts are always complete). Default 100. */
  maxFindingsPerEvent?: number;
}

/** One finding as the `redaction.findings` event lists it. */
export interface FindingRecord extends Finding {
  eventId: string;
  eventType: string;
  sessionId: string;
  agentId: string;
}

/** Payload of `redaction.findings`. */
export interface RedactionFindingsPayload {
  /** Events of the batch that had at least one finding. */
  events: number;
  /** Findings per category in those events. */
  byCategory: Partial<Record<RedactionCategory, number>>;
  /** Distinct sessions of those events (at most 100). */
  sessions: string[];
  /** Findings per group: `secrets` (credentials) and `pii` (personal data). */
  byGroup: { secrets: number; pii: number };
  /** Distinct sessions with a finding of each group (at most 100 each). */
  sessionsByGroup: { secrets: string[]; pii: string[] };
  findings: FindingRecord[];
  /** Findings left out of `findings` (beyond `maxFindingsPerEvent`). */
  omitted: number;
}

export interface RedactionStats {
  [key: string]: unknown;
  /**
   * Events scanned: the most that one sink received (every sink receives every event unless it has
   * a filter, so with storage on this is every event). An event's findings are counted once,
   * whatever the number of sinks.
   */
  scannedEvents: number;
  eventsWithFindings: number;
  /** Findings per category, over every event scanned. */
  findings: Partial<Record<RedactionCategory, number>>;
  /** Distinct sessions with at least one finding (counted up to 100,000). */
  sessions: number;
  /** Per sink (`storage:<name>`, `exporter:<name>`): events changed before delivery, fields dropped. */
  sinks: Record<string, { redactedEvents: number }>;
  /** Strings too long or too deep to scan, replaced whole. */
  unscanned: number;
  /**
   * Findings redacted and counted in `findings` but not itemized, because their event had more
   * than `maxFindings` (default 10,000): they are in no `redaction.findings` list, only in its counts.
   */
  unlistedFindings: number;
}

const MAX_SESSIONS = 100_000;
/** What a scan of one event found: the listed findings and the count of those past `maxFindings`. */
interface EventFindings {
  findings: readonly Finding[];
  omitted?: Partial<Record<RedactionCategory, number>>;
}
const NO_FINDINGS: EventFindings = Object.freeze({ findings: Object.freeze([]) as readonly Finding[] });

/** Redaction of the events on their way to storage and exporters. Throws on an unknown category or mode. */
export function redaction(options: RedactionOptions = {}): EventTransform {
  const base = resolvePolicy(options);
  const sinkPolicies = new Map<string, false | ResolvedPolicy>();
  for (const [name, value] of Object.entries(options.sinks ?? {})) {
    if (value === false) sinkPolicies.set(name, false);
    else sinkPolicies.set(name, value === true ? base : resolvePolicy(value, base));
  }
  // One scanner for the union of every sink's categories: each event is scanned once.
  const union = new Set<RedactionCategory>(base.categories);
  for (const policy of sinkPolicies.values()) if (policy !== false) policy.categories.forEach((c) => union.add(c));
  const engine = createEngine(options, union);
  const scanAll = engine.redactorFor({ categories: union, modes: base.modes });
  const emitFindings = options.findingsEvents ?? true;
  const maxListed = options.maxFindingsPerEvent ?? 100;

  /**
   * Findings of the events that have some, kept for the other sinks. An event without any (most
   * of them) is not kept: the next sink scans it again, which costs less than a WeakMap entry per
   * event (measured: ≈ 0.3 µs for the scan of a clean demo event against ≈ 0.8 µs to set and find
   * the entry, most of it in the collector's ephemeron work; looking up an event that was never
   * set costs next to nothing).
   */
  const scanned = new WeakMap<FleetEvent, EventFindings>();
  const findingsByCategory = new Map<RedactionCategory, number>();
  const sessions = new Set<string>();
  const sinkStats: Record<string, { redactedEvents: number; receivedEvents: number }> = {};
  let eventsWithFindings = 0;
  let unlistedFindings = 0;
  const count = (category: RedactionCategory, n: number) => findingsByCategory.set(category, (findingsByCategory.get(category) ?? 0) + n);

  /** Findings of `event`, counted the first time a sink finds them. */
  function findingsOf(event: FleetEvent, fresh: FleetEvent[]): EventFindings {
    let found = scanned.get(event);
    if (found !== undefined) return found;
    // Our own summaries carry paths and ids, never values; scanning them could only loop.
    if (event.type === FINDINGS_EVENT_TYPE) return NO_FINDINGS;
    const { findings, omitted } = scanAll.redactEvent(event);
    if (findings.length === 0 && omitted === undefined) return NO_FINDINGS;
    found = omitted === undefined ? { findings } : { findings, omitted };
    scanned.set(event, found);
    eventsWithFindings++;
    for (const f of findings) count(f.category, 1);
    for (const [category, n] of Object.entries(omitted ?? {}) as [RedactionCategory, number][]) {
      count(category, n);
      unlistedFindings += n;
    }
    if (sessions.size < MAX_SESSIONS) sessions.add(event.sessionId);
    fresh.push(event);
    return found;
  }

  function summarize(events: readonly FleetEvent[], context: TransformContext): void {
    const payload = findingsPayload(events.map((event) => ({ event, ...(scanned.get(event) ?? NO_FINDINGS) })), maxListed);
    const first = events[0]!;
    context.emit({ type: FINDINGS_EVENT_TYPE, severity: 'warning', sessionId: first.sessionId, agentId: first.agentId, payload: payload as unknown as Record<string, unknown> });
  }

  return {
    name: 'redaction',
    forSink(sink: SinkInfo, context: TransformContext): BatchTransform | undefined {
      const policy = sinkPolicies.get(sink.name) ?? sinkPolicies.get(sink.kind === 'storage' ? 'storage' : 'exporters') ?? base;
      if (policy === false || policy.categories.size === 0) return undefined;
      const redactor: Redactor = engine.redactorFor(policy);
      const wanted = policy.categories;
      const counters = (sinkStats[`${sink.kind}:${sink.name}`] = { redactedEvents: 0, receivedEvents: 0 });
      return (batch) => {
        counters.receivedEvents += batch.length;
        let out: FleetEvent[] | undefined;
        const fresh: FleetEvent[] = [];
        for (let i = 0; i < batch.length; i++) {
          const event = batch[i]!;
          const found = findingsOf(event, fresh);
          let next = event;
          if (found !== NO_FINDINGS && (found.findings.some((f) => wanted.has(f.category)) || Object.keys(found.omitted ?? {}).some((c) => wanted.has(c as RedactionCategory)))) {
            next = redactor.redactEvent(event).value;
            if (next !== event) counters.redactedEvents++;
          }
          if (next !== event && out === undefined) out = batch.slice(0, i);
          out?.push(next);
        }
        if (emitFindings && fresh.length > 0) summarize(fresh, context);
        return out ?? batch;
      };
    },
    stats(): RedactionStats {
      const findings: Partial<Record<RedactionCategory, number>> = {};
      for (const category of ALL_CATEGORIES) {
        const n = findingsByCategory.get(category);
        if (n !== undefined) findings[category] = n;
      }
      const sinks: RedactionStats['sinks'] = {};
      let scannedEvents = 0;
      for (const [name, { redactedEvents, receivedEvents }] of Object.entries(sinkStats)) {
        sinks[name] = { redactedEvents };
        scannedEvents = Math.max(scannedEvents, receivedEvents);
      }
      return { scannedEvents, eventsWithFindings, findings, sessions: sessions.size, sinks, unscanned: engine.unscanned(), unlistedFindings };
    },
  };
}

/** Most sessions listed per group and overall in one `redaction.findings` payload. */
const MAX_LISTED_SESSIONS = 100;

/**
 * The payload of a `redaction.findings` event for events and their findings (the transform's
 * summary of a batch; the Claude Code hook's of one call): counts per category and per group,
 * the sessions they were found in, and up to `maxListed` findings (never a value).
 */
export function findingsPayload(
  items: readonly { event: FleetEvent; findings: readonly Finding[]; omitted?: Partial<Record<RedactionCategory, number>> }[],
  maxListed = 100,
): RedactionFindingsPayload {
  const byCategory: Partial<Record<RedactionCategory, number>> = {};
  const byGroup = { secrets: 0, pii: 0 };
  const sessions = new Set<string>();
  const sessionsByGroup = { secrets: new Set<string>(), pii: new Set<string>() };
  const listed: FindingRecord[] = [];
  let omitted = 0;
  let events = 0;
  const count = (category: RedactionCategory, n: number, sessionId: string) => {
    byCategory[category] = (byCategory[category] ?? 0) + n;
    const group = groupOf(category);
    byGroup[group] += n;
    sessionsByGroup[group].add(sessionId);
  };
  for (const { event, findings, omitted: unlisted } of items) {
    if (findings.length === 0 && unlisted === undefined) continue;
    events++;
    sessions.add(event.sessionId);
    for (const f of findings) {
      count(f.category, 1, event.sessionId);
      if (listed.length < maxListed) listed.push({ ...f, eventId: event.id, eventType: event.type, sessionId: event.sessionId, agentId: event.agentId });
      else omitted++;
    }
    // Findings the redactor counted but did not list (past its `maxFindings`).
    for (const [category, n] of Object.entries(unlisted ?? {}) as [RedactionCategory, number][]) {
      count(category, n, event.sessionId);
      omitted += n;
    }
  }
  const first = (set: Set<string>) => [...set].slice(0, MAX_LISTED_SESSIONS);
  return {
    events,
    byCategory,
    sessions: first(sessions),
    byGroup,
    sessionsByGroup: { secrets: first(sessionsByGroup.secrets), pii: first(sessionsByGroup.pii) },
    findings: listed,
    omitted,
  };
}
