/**
 * `insights`: turns findings into recommendations. It reads the `findings` of every analyzer it
 * depends on (matched on their dotted `kind` by rule templates) and the `insight` events that
 * custom analyzers (or the host) put on the bus; each new insight is emitted once as an `insight`
 * event. Users add their own rules with `rules`; they are tried before the built-in ones.
 */
import { RecentHashes, type Analyzer, type AnalyzerContext, type EventOf, type FleetEvent, type InsightCategory, type InsightPayload, type InsightPriority } from '../core/index.js';
import { BUILTIN_RULES } from './insight-rules.js';
import { hashString } from './stats-math.js';
import type { Finding, FindingLocation, FindingSeverity } from './types.js';
import { perHourText } from './figures.js';

/** Finding identities remembered as counted (~40 bytes each). */
const SEEN_FINDINGS = 20_000;

export type Effort = 'low' | 'medium' | 'high';

/** A rule template: which findings it matches and how it phrases the insight. */
export interface InsightRule {
  /** Stable id, e.g. `tool.recurring_failure`; becomes the insight's `rule`. */
  id: string;
  /** Finding kinds matched: exact (`pattern.recurring_failure`) or a prefix ending in `*` (`bottleneck.*`). */
  kinds: readonly string[];
  category: InsightCategory;
  /** Default: from the finding's severity (critical → critical, high → high, medium → medium, low → low). */
  priority?: InsightPriority | ((finding: Finding) => InsightPriority);
  /** Default: the finding's title. */
  title?: (finding: Finding) => string;
  /** What to do about it, concretely. */
  recommendation: string | ((finding: Finding) => string);
  /** The expected gain, in words with figures (e.g. "≈ 4.2 s per workflow"). Default from the evidence. */
  impact?: string | ((finding: Finding) => string);
  /** How much work the fix is. Default `medium`. */
  effort?: Effort | ((finding: Finding) => Effort);
  /** 0..1. Default: `evidence.confidence`, else 1 − `evidence.pValue`, else by severity (0.6–0.9). */
  confidence?: number | ((finding: Finding) => number);
  /** Return false to skip a finding this rule matched. */
  when?: (finding: Finding) => boolean;
}

export interface InsightsOptions {
  /** Your rules, tried before the built-in ones (first match wins). Default none. */
  rules?: readonly InsightRule[];
  /** Leave out the built-in rules (findings no rule matches still get the generic one). Default `false`. */
  replaceRules?: boolean;
  /**
   * Analyzers whose snapshots' `findings` are read; each must be registered (they become
   * `dependsOn`). Default the built-ins: aggregation, bottlenecks, regressions, patterns, cost,
   * fleet, anomalies. Pass the ones you register when you use `insightsAnalyzer` alone.
   */
  sources?: readonly string[];
  /**
   * How often findings are re-read and new insights emitted, ms (observer clock; timer unref'd).
   * The sources are read one at a time, spread over the interval, so that no single tick holds
   * the event loop for all of them (an alert waiting behind it would be late). Default 5000.
   * `Infinity`: only on `snapshot()` (a replay of history, whose findings mid-way are not the
   * history's: an agent open half-way through was not stuck).
   */
  intervalMs?: number;
  /** Most insights kept; beyond, the lowest-priority oldest ones go. Default 500. */
  maxInsights?: number;
  /** Emit an `insight` event for each new insight. Default `true`. */
  emit?: boolean;
}

/** One insight, as in `observer.snapshot().insights.insights`. */
export interface Insight extends InsightPayload {
  /** Dedup key: rule + where it applies. */
  id: string;
  /** Finding kind it came from (`insight.event` for insight events). */
  kind: string;
  /** Analyzer (or event source) it came from. */
  source: string;
  impact: string;
  effort: Effort;
  evidence: Record<string, unknown>;
  location?: FindingLocation;
  /** Findings (or events) merged into it. */
  occurrences: number;
  firstSeen: number;
  lastSeen: number;
}

/** `observer.snapshot().insights` */
export interface InsightsSnapshot {
  /** Sorted by priority (critical first), then confidence (highest first). */
  insights: Insight[];
  byPriority: Record<InsightPriority, number>;
  byCategory: Record<InsightCategory, number>;
  /** Sources that were not readable at the last refresh. */
  missingSources: string[];
}

export const DEFAULT_INSIGHT_SOURCES = ['aggregation', 'bottlenecks', 'regressions', 'patterns', 'cost', 'fleet', 'anomalies'] as const;

export const PRIORITY_RANK: Readonly<Record<InsightPriority, number>> = { critical: 0, high: 1, medium: 2, low: 3 };
const SEVERITY_PRIORITY: Readonly<Record<FindingSeverity, InsightPriority>> = { critical: 'critical', high: 'high', medium: 'medium', low: 'low' };
const SEVERITY_CONFIDENCE: Readonly<Record<FindingSeverity, number>> = { critical: 0.9, high: 0.85, medium: 0.75, low: 0.6 };
const CATEGORY_BY_PREFIX: Readonly<Record<string, InsightCategory>> = {
  bottleneck: 'performance', regression: 'performance', pattern: 'reliability', cost: 'cost', fleet: 'efficiency', anomaly: 'quality', aggregation: 'quality',
};

/** The rule used for a finding no other rule matches, so every finding reaches the report. */
export const GENERIC_RULE: InsightRule = {
  id: 'finding.generic',
  kinds: ['*'],
  category: 'quality',
  recommendation: (f) => `Look into "${f.title}" (${f.kind}); the evidence lists the figures behind it.`,
  effort: 'medium',
};

const matches = (rule: InsightRule, kind: string) =>
  rule.kinds.some((k) => k === kind || k === '*' || (k.endsWith('*') && kind.startsWith(k.slice(0, -1))));

const resolve = <T>(value: T | ((f: Finding) => T) | undefined, finding: Finding): T | undefined =>
  typeof value === 'function' ? (value as (f: Finding) => T)(finding) : value;

/** "≈ …" from the usual evidence fields, when a rule gives no impact of its own. */
export function defaultImpact(evidence: Finding['evidence']): string {
  const num = (k: string) => (typeof evidence[k] === 'number' ? (evidence[k] as number) : undefined);
  const parts: string[] = [];
  const share = num('impact') ?? num('shareOfWallClock') ?? num('share');
  if (share !== undefined) parts.push(`${(share * 100).toFixed(0)}% of the time or spend concerned`);
  const saving = num('potentialSavingMs');
  if (saving !== undefined) parts.push(`up to ${(saving / 1000).toFixed(1)} s saved`);
  const usd = num('maxSavingsUsd') ?? num('costUsd');
  if (usd !== undefined) parts.push(`$${usd.toFixed(4)} at stake`);
  const perHour = num('frequencyPerHour');
  if (perHour !== undefined) parts.push(perHourText(perHour, num('observedMs'), 'occurrences'));
  const rate = num('failureRate') ?? num('errorRate');
  if (rate !== undefined) parts.push(`${(rate * 100).toFixed(0)}% of attempts fail`);
  return parts.length > 0 ? parts.join('; ') : 'not estimated';
}

const MAX_PLACES = 50;

/** The session or workflow a finding is about (`workflow <id>` / `session <id>`), when it says. */
function placeOf(location: FindingLocation | undefined): string | undefined {
  if (location?.workflowId !== undefined) return `workflow ${location.workflowId}`;
  if (location?.sessionId !== undefined) return `session ${location.sessionId}`;
  return undefined;
}

/** Whether `text` contains `id` as a whole word (not inside another word or id). */
function namesId(text: string, id: string): boolean {
  let from = 0;
  for (let at = text.indexOf(id, from); at >= 0; at = text.indexOf(id, from)) {
    const before = text[at - 1];
    const after = text[at + id.length];
    if ((before === undefined || !/[\w-]/.test(before)) && (after === undefined || !/[\w-]/.test(after))) return true;
    from = at + 1;
  }
  return false;
}

/** Where an insight applies, for deduplication: one insight per rule and operation/tool/model/agent. */
function locationKey(finding: Finding): string {
  const l = finding.location ?? {};
  const key = [l.operation ?? '', l.toolName ?? '', l.model ?? '', l.agentId ?? ''].join('|');
  // No operation-level location (e.g. one error message across tools): tell them apart by message.
  return key === '|||' && typeof finding.evidence.message === 'string' ? `msg:${finding.evidence.message.slice(0, 200)}` : key;
}

export function insightsAnalyzer(options: InsightsOptions = {}): Analyzer<InsightsSnapshot> {
  const rules: InsightRule[] = [...(options.rules ?? []), ...(options.replaceRules === true ? [] : BUILTIN_RULES)];
  for (const rule of rules) {
    if (typeof rule?.id !== 'string' || !Array.isArray(rule.kinds) || rule.recommendation === undefined) {
      throw new Error(`[fleetscope] [insights] every rule needs an id, kinds and a recommendation (got ${JSON.stringify(rule?.id)})`);
    }
  }
  const sources = [...(options.sources ?? DEFAULT_INSIGHT_SOURCES)];
  const intervalMs = Math.max(100, options.intervalMs ?? 5000);
  const maxInsights = Math.max(10, options.maxInsights ?? 500);
  const emitEvents = options.emit !== false;
  const insights = new Map<string, Insight>();
  /**
   * Finding identities already counted, so a finding re-read on each refresh counts once: the
   * 53-bit hashes of the last SEEN_FINDINGS (a title can be long: 100,000 identity strings held ~15 MB).
   */
  const seenFindings = new RecentHashes(SEEN_FINDINGS);
  /** Sources whose snapshot had no readable `findings` when last read. */
  const missing = new Set<string>();
  /** The source the next spread-out refresh reads. */
  let nextSource = 0;
  let context: AnalyzerContext | undefined;

  const ruleFor = (finding: Finding): InsightRule | undefined => {
    for (const rule of rules) if (matches(rule, finding.kind) && (rule.when === undefined || rule.when(finding))) return rule;
    return undefined;
  };

  /**
   * Per insight: the places (session / workflow) its findings came from and which finding it
   * currently shows. Every text field of a merged insight (title, recommendation, impact,
   * evidence) comes from ONE finding, the representative: the most severe, the latest among
   * equals. When the findings come from several places, the title says so and the evidence
   * lists the other places (`alsoIn`).
   */
  const merged = new Map<string, { places: string[]; placeCount: number; rank: number; at: number; title: string; evidence: Record<string, unknown> }>();

  const upsert = (insight: Omit<Insight, 'occurrences' | 'firstSeen' | 'lastSeen'>, at: number, count: boolean, place?: string, emit = emitEvents) => {
    const existing = insights.get(insight.id);
    if (existing !== undefined) {
      if (count) existing.occurrences++;
      existing.lastSeen = Math.max(existing.lastSeen, at);
      const m = merged.get(insight.id)!;
      if (place !== undefined && !m.places.includes(place)) {
        m.placeCount++;
        if (m.places.length < MAX_PLACES) m.places.push(place);
      }
      const rank = PRIORITY_RANK[insight.priority];
      if (rank < m.rank || (rank === m.rank && at >= m.at)) {
        // A new representative: take all of its words and figures together.
        m.rank = rank;
        m.at = at;
        m.title = insight.title;
        m.evidence = insight.evidence;
        existing.priority = insight.priority;
        existing.confidence = insight.confidence;
        existing.recommendation = insight.recommendation;
        existing.impact = insight.impact;
        existing.effort = insight.effort;
        existing.location = insight.location;
        existing.kind = insight.kind;
      }
      const own = placeOf(existing.location);
      const others = m.places.filter((p) => p !== own);
      const otherCount = m.placeCount - (own !== undefined && m.places.includes(own) ? 1 : 0);
      if (otherCount > 0) {
        const nouns = new Set(m.places.map((p) => p.split(' ')[0]));
        const noun = nouns.size === 1 ? [...nouns][0]! : 'place';
        // A title naming its place gets "and N other …"; one that does not, "in N …".
        const named = own !== undefined && namesId(m.title, own.slice(own.indexOf(' ') + 1));
        existing.title = named
          ? `${m.title} (and ${otherCount} other ${noun}${otherCount > 1 ? 's' : ''})`
          : `${m.title} (in ${m.placeCount} ${noun}s)`;
        // At most three, and short enough to show whole (reports cut a value at 80 characters).
        const shown: string[] = [];
        for (const p of others) {
          if (shown.length === 3 || (shown.length > 0 && shown.join(', ').length + 2 + p.length > 60)) break;
          shown.push(p);
        }
        existing.evidence = { ...m.evidence, alsoIn: shown.join(', ') + (otherCount > shown.length ? ` and ${otherCount - shown.length} more` : '') };
      } else {
        existing.title = m.title;
        existing.evidence = m.evidence;
      }
      return;
    }
    if (insights.size >= maxInsights) {
      let victim: Insight | undefined;
      for (const i of insights.values()) if (victim === undefined || PRIORITY_RANK[i.priority] > PRIORITY_RANK[victim.priority]) victim = i;
      if (victim !== undefined) {
        insights.delete(victim.id);
        merged.delete(victim.id);
      }
    }
    const created: Insight = { ...insight, occurrences: 1, firstSeen: at, lastSeen: at };
    insights.set(created.id, created);
    merged.set(created.id, {
      places: place === undefined ? [] : [place], placeCount: place === undefined ? 0 : 1,
      rank: PRIORITY_RANK[insight.priority], at, title: insight.title, evidence: insight.evidence,
    });
    if (emit && context !== undefined) {
      const { rule, title, category, priority, confidence, recommendation, evidence } = created;
      context.emit({
        type: 'insight',
        severity: priority === 'critical' || priority === 'high' ? 'warning' : 'info',
        agentId: created.location?.agentId,
        sessionId: created.location?.sessionId,
        workflowId: created.location?.workflowId,
        payload: { rule, title, category, priority, confidence, recommendation, evidence: { ...evidence, impact: created.impact, effort: created.effort } },
      });
    }
  };

  const fromFinding = (finding: Finding, at: number) => {
    const rule = ruleFor(finding) ?? GENERIC_RULE;
    const prefix = finding.kind.split('.')[0] ?? '';
    const category = rule === GENERIC_RULE ? CATEGORY_BY_PREFIX[prefix] ?? 'quality' : rule.category;
    const ev = finding.evidence;
    const evidenceConfidence = typeof ev.confidence === 'number' ? ev.confidence : typeof ev.pValue === 'number' ? 1 - ev.pValue : undefined;
    const confidence = Math.min(1, Math.max(0, resolve(rule.confidence, finding) ?? evidenceConfidence ?? SEVERITY_CONFIDENCE[finding.severity] ?? 0.6));
    const identity = hashString(`${finding.analyzer}|${finding.kind}|${finding.title}|${finding.firstSeen ?? ''}`);
    // The oldest identity makes room (it was counted long ago; a finding still re-read is re-read every refresh).
    const count = seenFindings.add(identity);
    upsert(
      {
        id: `${rule.id}|${rule === GENERIC_RULE ? finding.kind : ''}|${locationKey(finding)}`,
        rule: rule === GENERIC_RULE ? finding.kind : rule.id,
        kind: finding.kind,
        source: finding.analyzer,
        title: resolve(rule.title, finding) ?? finding.title,
        category,
        priority: resolve(rule.priority, finding) ?? SEVERITY_PRIORITY[finding.severity] ?? 'medium',
        confidence: Math.round(confidence * 1000) / 1000,
        recommendation: resolve(rule.recommendation, finding) ?? '',
        impact: resolve(rule.impact, finding) ?? defaultImpact(ev),
        effort: resolve(rule.effort, finding) ?? 'medium',
        evidence: { ...ev },
        location: finding.location,
      },
      finding.lastSeen ?? finding.firstSeen ?? at,
      count,
      placeOf(finding.location),
    );
  };

  /**
   * An `insight` event of a custom analyzer or the host. Keyed by rule and place, so one re-emitted
   * with new figures (a new title, new evidence) replaces the old one: the newest is current. It is
   * not emitted again: listeners already had the event itself.
   */
  const fromEvent = (event: EventOf<'insight'>) => {
    const p = event.payload;
    const evidence = (p.evidence ?? {}) as Record<string, unknown>;
    const location: FindingLocation = { agentId: event.agentId, sessionId: event.sessionId, workflowId: event.workflowId };
    const id = `event|${p.rule}|${event.sessionId}|${event.agentId}|${event.workflowId ?? ''}`;
    const existing = insights.get(id);
    if (existing !== undefined && event.timestamp >= existing.lastSeen) {
      // The newest words and figures win whatever their priority (merged insights keep the most severe).
      const m = merged.get(id);
      if (m !== undefined) {
        m.rank = PRIORITY_RANK[p.priority];
        m.at = event.timestamp;
        m.title = p.title;
        m.evidence = evidence;
      }
    }
    upsert(
      {
        id,
        rule: p.rule,
        kind: 'insight.event',
        source: event.source,
        title: p.title,
        category: p.category,
        priority: p.priority,
        confidence: p.confidence,
        recommendation: p.recommendation,
        impact: typeof evidence.impact === 'string' ? evidence.impact : 'not estimated',
        effort: evidence.effort === 'low' || evidence.effort === 'high' ? evidence.effort : 'medium',
        evidence,
        location,
      },
      event.timestamp,
      true,
      undefined,
      false,
    );
  };

  /** Reads one source's findings. */
  const refreshSource = (ctx: AnalyzerContext, name: string, at: number) => {
    const findings = ctx.snapshotOf<{ findings?: unknown }>(name)?.findings;
    if (!Array.isArray(findings)) {
      missing.add(name);
      return;
    }
    missing.delete(name);
    for (const finding of findings as Finding[]) {
      if (typeof finding?.kind !== 'string') continue;
      try {
        fromFinding(finding, at);
      } catch (error) {
        ctx.reportError(error, `rule for ${finding.kind}`);
      }
    }
  };

  /** Reads every source now (a snapshot asked for by the host). */
  const refresh = () => {
    if (context === undefined) return;
    const at = context.now();
    for (const name of sources) refreshSource(context, name, at);
  };

  /** Reads the next source in turn: each is read once per `intervalMs`. */
  const refreshNext = () => {
    if (context === undefined || sources.length === 0) return;
    refreshSource(context, sources[nextSource]!, context.now());
    nextSource = (nextSource + 1) % sources.length;
  };
  const tickMs = Math.max(1, Math.floor(intervalMs / Math.max(1, sources.length)));

  return {
    name: 'insights',
    dependsOn: sources,
    filter: { types: ['insight'] },
    async consume(stream, ctx) {
      context = ctx;
      const take = (batch: readonly FleetEvent[]) => {
        for (const event of batch) if (event.type === 'insight') fromEvent(event as EventOf<'insight'>);
      };
      if (!Number.isFinite(intervalMs)) {
        for await (const batch of stream) take(batch);
        return;
      }
      let last = ctx.now();
      const timer = setInterval(() => {
        try {
          refreshNext();
        } catch (error) {
          ctx.reportError(error, 'refresh');
        }
      }, tickMs);
      timer.unref();
      try {
        for await (const batch of stream) {
          take(batch);
          if (ctx.now() - last >= tickMs) {
            last = ctx.now();
            refreshNext();
          }
        }
      } finally {
        clearInterval(timer);
      }
    },
    snapshot(): InsightsSnapshot {
      refresh();
      const list = [...insights.values()]
        .sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || b.confidence - a.confidence || a.firstSeen - b.firstSeen)
        .map((i) => ({ ...i, evidence: { ...i.evidence } }));
      const byPriority: Record<InsightPriority, number> = { critical: 0, high: 0, medium: 0, low: 0 };
      const byCategory: Record<InsightCategory, number> = { performance: 0, cost: 0, reliability: 0, efficiency: 0, quality: 0 };
      for (const i of list) {
        byPriority[i.priority]++;
        byCategory[i.category] = (byCategory[i.category] ?? 0) + 1;
      }
      return { insights: list, byPriority, byCategory, missingSources: sources.filter((name) => missing.has(name)) };
    },
  };
}
