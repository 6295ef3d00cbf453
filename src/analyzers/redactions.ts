/**
 * `redactionsAnalyzer()`: what redaction found, for the reports ("12 secrets redacted in 3
 * sessions"). It reads the `redaction.findings` events the redaction transform puts on the bus
 * (and the Claude Code hook writes to its store), never the redacted values, and keeps counts:
 * per category, per group (secrets, personal data) and the distinct sessions of each.
 */
import type { Analyzer, FleetEvent } from '../core/index.js';
import { defineAnalyzer } from './define.js';

/** The event type of fleetscope/redaction's summaries (`FINDINGS_EVENT_TYPE`; analyzers import core only). */
const FINDINGS_EVENT_TYPE = 'redaction.findings';
/** Distinct sessions remembered per group; beyond, the count stops growing (and says so). */
const MAX_SESSIONS = 100_000;

/** Per group of categories: values redacted and the sessions they were found in. */
export interface RedactionGroupFigures {
  findings: number;
  sessions: number;
}

/** `observer.snapshot().redactions` */
export interface RedactionsSnapshot {
  /** Values redacted, every category. */
  total: number;
  /** Credentials (API keys, tokens, private keys, passwords, secret env values, secret fields). */
  secrets: RedactionGroupFigures;
  /** Personal data (emails, phone numbers, SSNs, cards, IBANs, IP addresses). */
  pii: RedactionGroupFigures;
  /** Values redacted per category (`aws_key`, `email`, ...). */
  byCategory: Record<string, number>;
  /** Events that held at least one redacted value. */
  events: number;
  /** Distinct sessions with at least one redacted value. */
  sessions: number;
  /** Whether a session count reached its limit (100,000) and stopped growing. */
  sessionsCapped: boolean;
}

interface FindingsPayload {
  events?: unknown;
  byCategory?: Record<string, unknown>;
  sessions?: unknown;
  byGroup?: { secrets?: unknown; pii?: unknown };
  sessionsByGroup?: { secrets?: unknown; pii?: unknown };
}

const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

export function redactionsAnalyzer(): Analyzer<RedactionsSnapshot> {
  const byCategory = new Map<string, number>();
  const totals = { total: 0, secrets: 0, pii: 0, events: 0 };
  const sessions = { all: new Set<string>(), secrets: new Set<string>(), pii: new Set<string>() };
  let capped = false;
  const remember = (set: Set<string>, ids: readonly string[]) => {
    for (const id of ids) {
      if (set.size >= MAX_SESSIONS && !set.has(id)) capped = true;
      else set.add(id);
    }
  };

  const onEvent = (event: FleetEvent) => {
    const p = event.payload as FindingsPayload;
    totals.events += count(p.events);
    for (const [category, n] of Object.entries(p.byCategory ?? {})) {
      byCategory.set(category, (byCategory.get(category) ?? 0) + count(n));
      totals.total += count(n);
    }
    totals.secrets += count(p.byGroup?.secrets);
    totals.pii += count(p.byGroup?.pii);
    remember(sessions.all, strings(p.sessions));
    remember(sessions.secrets, strings(p.sessionsByGroup?.secrets));
    remember(sessions.pii, strings(p.sessionsByGroup?.pii));
  };

  return defineAnalyzer<RedactionsSnapshot>({
    name: 'redactions',
    filter: { types: [FINDINGS_EVENT_TYPE] },
    onEvent,
    snapshot: () => ({
      total: totals.total,
      secrets: { findings: totals.secrets, sessions: sessions.secrets.size },
      pii: { findings: totals.pii, sessions: sessions.pii.size },
      byCategory: Object.fromEntries([...byCategory].sort((a, b) => b[1] - a[1])),
      events: totals.events,
      sessions: sessions.all.size,
      sessionsCapped: capped,
    }),
  });
}
