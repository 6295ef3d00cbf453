/**
 * The alert engine, an analyzer: rules over the event stream (thresholds on sliding windows,
 * absence, anomalies, guardrail decisions) and over the `cost` analyzer's snapshot (budget bands),
 * each alert instance (rule + labels = fingerprint) going pending → firing → resolved. Every state
 * change is an `alert` event on the bus (lifecycle fields: state, fingerprint, labels,
 * startsAt/endsAt), so the webhook, Slack and Alertmanager exporters deliver it and the audit log
 * records it. `acknowledge` and `silence` are methods of the analyzer object the host keeps.
 *
 * Evaluation: the groups an incoming batch touched are evaluated at the end of the batch (the
 * latency from a triggering event to its alert is one batch); every group is evaluated again each
 * `evaluateIntervalMs` (time-driven changes: absence, `for`, windows draining, holds ending). The
 * engine reads only the event types its rules name (`ruleEventTypes`), and `createObserver` puts it
 * first among the analyzers: a batch reaches it before the heavier analyzers read it.
 */
import type { Analyzer, AnalyzerContext, FleetEvent, Severity } from '../core/index.js';
import {
  compare,
  compileMatch,
  DEFAULT_ALERT_RULES,
  fingerprintOf,
  labelOf,
  ruleEventTypes,
  SampleWindow,
  WindowCounter,
  type AlertRule,
} from './alerts-rules.js';
import type { CostSnapshot } from './cost-snapshot.js';

export * from './alerts-rules.js';

export interface AlertsOptions {
  /** Rules. Default `DEFAULT_ALERT_RULES`; give `[...DEFAULT_ALERT_RULES, ...yours]` to add to them. */
  rules?: readonly AlertRule[];
  /** How often every alert is re-evaluated (time-driven changes). Default 1000 ms. */
  evaluateIntervalMs?: number;
  /** Most groups (label combinations) tracked per rule; the least recently seen is forgotten. Default 1000. */
  maxGroupsPerRule?: number;
  /** Samples kept per group for percentiles. Default 1000. */
  maxSamples?: number;
  /** State changes kept in the snapshot's `recent`. Default 100. */
  maxHistory?: number;
  /** Base of `generatorURL` in the Alertmanager exporter (e.g. your dashboard). Default none. */
  generatorURL?: string;
}

export interface AlertView {
  rule: string;
  fingerprint: string;
  state: 'pending' | 'firing';
  severity: Severity;
  labels: Record<string, string>;
  summary: string;
  value: number;
  threshold?: number;
  startsAt: number;
  firedAt?: number;
  acknowledged: boolean;
  acknowledgedBy?: string;
  silenced: boolean;
}

export interface AlertTransition {
  rule: string;
  fingerprint: string;
  state: 'pending' | 'firing' | 'resolved';
  severity: Severity;
  summary: string;
  at: number;
  silenced: boolean;
}

export interface Silence {
  id: string;
  /** Label values an alert must all carry to be silenced (`alertname` is the rule). */
  matchers: Record<string, string>;
  endsAt: number;
  comment?: string;
}

/** The fields of a guardrail decision the snapshot counts. */
interface GuardrailDecisionFields {
  rule?: string;
  action?: string;
  toolName?: string;
  reason?: string;
  enforced?: boolean;
}

/**
 * The Claude Code hook records a guardrail's answer as an `alert` event (`rule: "guardrail.<rule>"`,
 * `details: { toolName, action }`), not a `guardrail.decision`: read as the decision it is. A block
 * is enforced (the hook's exit code 2 stops the tool). Any other alert: undefined.
 */
function hookGuardrailDecision(e: FleetEvent): GuardrailDecisionFields | undefined {
  const p = e.payload as { rule?: unknown; message?: unknown; details?: { toolName?: unknown; action?: unknown } };
  if (typeof p.rule !== 'string' || !p.rule.startsWith('guardrail.') || typeof p.details?.action !== 'string') return undefined;
  const action = p.details.action;
  return { rule: p.rule.slice('guardrail.'.length), action, toolName: String(p.details.toolName), reason: String(p.message), enforced: action === 'block' };
}

/** `observer.snapshot().alerts` */
export interface AlertsSnapshot {
  rules: { name: string; kind: string; severity: Severity }[];
  /** Pending and firing alerts, firing first. */
  active: AlertView[];
  recent: AlertTransition[];
  counts: {
    fired: number;
    resolved: number;
    /** Pending alerts whose condition cleared before `for` elapsed. */
    pendingCleared: number;
    /** Firings held back by a cooldown. */
    cooldownSuppressed: number;
    /** State changes not put on the bus because a silence matched. */
    silenced: number;
    acknowledged: number;
    /** Groups forgotten because a rule tracked `maxGroupsPerRule`. */
    groupsEvicted: number;
    ruleErrors: number;
  };
  byRule: Record<string, { fired: number; resolved: number; active: number }>;
  silences: Silence[];
  /** Guardrail decisions seen on the bus. */
  guardrails: {
    decisions: number;
    blocks: number;
    byRule: Record<string, { block: number; alert: number; redact: number; log: number }>;
    recentBlocks: { rule: string; toolName: string; reason: string; at: number; sessionId: string; agentId: string; enforced: boolean }[];
  };
}

export interface AlertsAnalyzer extends Analyzer<AlertsSnapshot> {
  /** Marks a pending or firing alert acknowledged (emits its state again with `acknowledged`). False when no such alert. */
  acknowledge(fingerprint: string, by?: string): boolean;
  /** Silences alerts carrying every label of `matchers` for `durationMs`. Returns the silence's id. */
  silence(matchers: Record<string, string>, durationMs: number, comment?: string): string;
  /** Ends a silence early. False when no such silence. */
  unsilence(id: string): boolean;
  /** Evaluates every alert now (the timer does it each `evaluateIntervalMs`); for tests with a fake clock. */
  evaluate(): void;
}

interface Group {
  labels: Record<string, string>;
  fingerprint: string;
  counter?: WindowCounter;
  samples?: SampleWindow;
  lastSeen: number;
  /** Event-driven rules: until when the condition holds. */
  holdUntil: number;
  /** The last value computed. */
  value: number;
  /** A representative event's ids, for the alert event's envelope. */
  sessionId?: string;
  agentId?: string;
  // lifecycle
  state: 'inactive' | 'pending' | 'firing';
  activeSince: number;
  firedAt: number;
  cooldownUntil: number;
  acknowledged: boolean;
  acknowledgedBy?: string;
  dirty: boolean;
  /** `RuleRuntime.moves` when the group was last put at the end of `groups`. */
  movedAt: number;
  /** Absence rules: the agent or session ended (and nothing came since): not stalled. */
  ended: boolean;
}

interface RuleRuntime {
  rule: AlertRule;
  severity: Severity;
  groupBy: readonly string[];
  /** Most recently seen last (roughly: see `groupOf`), so the first key is the one to forget. */
  groups: Map<string, Group>;
  /** Groups put at the end of `groups` so far (created or moved). */
  moves: number;
  match: (event: FleetEvent) => boolean;
  den?: (event: FleetEvent) => boolean;
  /** Evaluates a group: [condition, value, threshold]. */
  condition(group: Group, now: number): [boolean, number, number | undefined];
}

const severityOr = (s: Severity | undefined): Severity => s ?? 'warning';

function fail(message: string): never {
  throw new Error(`[fleetscope] [alerts] ${message}`);
}

function checkRule(rule: AlertRule, index: number): void {
  if (typeof rule !== 'object' || rule === null) fail(`rule ${index} must be an object`);
  if (typeof rule.name !== 'string' || rule.name === '') fail(`rule ${index}: "name" must be a non-empty string`);
  const positive = (v: unknown, field: string) => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) fail(`rule ${rule.name}: "${field}" must be a number > 0`);
  };
  switch (rule.kind) {
    case 'threshold':
      positive(rule.windowMs, 'windowMs');
      if (!['count', 'rate', 'ratio', 'percentile'].includes(rule.measure)) fail(`rule ${rule.name}: "measure" must be count, rate, ratio or percentile`);
      if (typeof rule.value !== 'number' || !Number.isFinite(rule.value)) fail(`rule ${rule.name}: "value" must be a finite number`);
      if (rule.measure === 'percentile' && (typeof rule.field !== 'string' || rule.field === '')) fail(`rule ${rule.name}: a percentile needs "field"`);
      break;
    case 'absence':
      positive(rule.windowMs, 'windowMs');
      break;
    case 'budget':
      positive(rule.limitUsd, 'limitUsd');
      if (!['session', 'day', 'agent'].includes(rule.scope)) fail(`rule ${rule.name}: "scope" must be session, day or agent`);
      break;
    case 'anomaly':
    case 'guardrail':
      break;
    default:
      fail(`rule ${(rule as { name: string }).name}: "kind" must be threshold, absence, budget, anomaly or guardrail`);
  }
  for (const field of ['forMs', 'cooldownMs'] as const) {
    const v = rule[field];
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0))) fail(`rule ${rule.name}: "${field}" must be a number >= 0`);
  }
}

function summaryOf(rule: AlertRule, labels: Record<string, string>, value: number, threshold: number | undefined): string {
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(rule.kind === 'threshold' && rule.measure === 'ratio' ? 2 : 3);
  if (rule.summary !== undefined) {
    return rule.summary.replace(/\{(\w+)\}/g, (m, key: string) =>
      key === 'value' ? shown : key === 'threshold' ? String(threshold ?? '') : (labels[key] ?? m),
    );
  }
  const where = Object.entries(labels)
    .filter(([k]) => k !== 'alertname' && k !== 'severity')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${rule.name}: value ${shown}${threshold === undefined ? '' : ` (threshold ${threshold})`}${where === '' ? '' : ` for ${where}`}`;
}

export function alertsAnalyzer(options: AlertsOptions = {}): AlertsAnalyzer {
  const rules = options.rules ?? DEFAULT_ALERT_RULES;
  if (!Array.isArray(rules)) fail('rules must be an array');
  rules.forEach(checkRule);
  const names = new Set<string>();
  for (const r of rules) {
    if (names.has(r.name)) fail(`rule ${r.name}: the name is used twice`);
    names.add(r.name);
  }
  const evaluateIntervalMs = options.evaluateIntervalMs ?? 1000;
  const maxGroups = options.maxGroupsPerRule ?? 1000;
  const maxSamples = options.maxSamples ?? 1000;
  const maxHistory = options.maxHistory ?? 100;
  const hasBudget = rules.some((r) => r.kind === 'budget');

  let ctx: AnalyzerContext | undefined;
  let latest = 0;
  const now = () => Math.max(ctx?.now() ?? Date.now(), latest);
  const recent: AlertTransition[] = [];
  const silences = new Map<string, Silence>();
  let silenceCount = 0;
  const counts = { fired: 0, resolved: 0, pendingCleared: 0, cooldownSuppressed: 0, silenced: 0, acknowledged: 0, groupsEvicted: 0, ruleErrors: 0 };
  const byRule = new Map<string, { fired: number; resolved: number }>();
  const guard = { decisions: 0, blocks: 0, byRule: new Map<string, { block: number; alert: number; redact: number; log: number }>(), recentBlocks: [] as AlertsSnapshot['guardrails']['recentBlocks'] };
  /** Budget bands already alerted: `<rule>\0<key>\0<band>`. */
  const bandsFired = new Set<string>();
  let dayKey = '';
  let dayStartTotal = 0;
  let lastBudgetEval = -Infinity;

  const runtimes: RuleRuntime[] = rules.map((rule): RuleRuntime => {
    const groupBy = rule.groupBy ?? [];
    const base = { rule, severity: severityOr(rule.severity), groupBy, groups: new Map<string, Group>(), moves: 0 };
    switch (rule.kind) {
      case 'threshold': {
        const op = rule.op ?? '>=';
        const minEvents = rule.minEvents ?? 10;
        const ofMatch = rule.of ?? { ...rule.where, status: undefined };
        return {
          ...base,
          match: compileMatch(rule.where),
          den: rule.measure === 'ratio' ? compileMatch(ofMatch) : undefined,
          condition(g, t) {
            if (rule.measure === 'percentile') {
              const [v, n] = g.samples!.percentile(rule.percentile ?? 99, t - rule.windowMs);
              return [n >= minEvents && compare(op, v, rule.value), v, rule.value];
            }
            const [num, den] = g.counter!.sums(t);
            if (rule.measure === 'count') return [compare(op, num, rule.value), num, rule.value];
            if (rule.measure === 'rate') {
              const rate = num / (rule.windowMs / 1000);
              return [compare(op, rate, rule.value), rate, rule.value];
            }
            const ratio = den === 0 ? 0 : num / den;
            return [den >= minEvents && compare(op, ratio, rule.value), ratio, rule.value];
          },
        };
      }
      case 'absence': {
        const ends = new Set(['session.end', 'agent.end']);
        const match = compileMatch(rule.where);
        return {
          ...base,
          match: (e) => match(e) && !ends.has(e.type),
          condition(g, t) {
            if (g.ended) return [false, 0, rule.windowMs / 1000];
            const silentMs = t - g.lastSeen;
            return [silentMs >= rule.windowMs, Math.round(silentMs / 1000), rule.windowMs / 1000];
          },
        };
      }
      case 'anomaly': {
        const minZ = rule.minZ ?? 6;
        const minScore = rule.minScore ?? 0.8;
        const minCount = rule.minCount ?? 5;
        return {
          ...base,
          groupBy: rule.groupBy ?? ['operation'],
          match: (e) => {
            if (e.type !== 'anomaly') return false;
            const p = e.payload as { method?: string; score?: number };
            if (rule.method !== undefined && p.method !== rule.method) return false;
            const score = typeof p.score === 'number' ? p.score : 0;
            return p.method === 'zscore' ? Math.abs(score) >= minZ : score >= minScore;
          },
          condition(g, t) {
            const [n] = g.counter!.sums(t);
            return [n >= minCount, n, minCount];
          },
        };
      }
      case 'guardrail': {
        const actions = new Set(rule.actions ?? ['block']);
        return {
          ...base,
          match: (e) => e.type === 'guardrail.decision' && actions.has((e.payload as { action?: string }).action as string),
          condition: (g, t) => [t < g.holdUntil, g.value, undefined],
        };
      }
      default:
        return { ...base, groupBy: [], match: () => false, condition: (g, t) => [t < g.holdUntil, g.value, rule.limitUsd] };
    }
  });

  const keyOf = (rt: RuleRuntime, e: FleetEvent): string =>
    rt.groupBy.length === 0 ? '' : rt.groupBy.length === 1 ? labelOf(e, rt.groupBy[0]!) : rt.groupBy.map((l) => labelOf(e, l)).join('\u0000');

  /**
   * The group of `key`, created on first sight with the labels given, or else read from `event`.
   * Allocates nothing for a group already known (it runs for every matching event).
   */
  const groupOf = (rt: RuleRuntime, key: string, t: number, event: FleetEvent | undefined, given?: Record<string, string>): Group => {
    let g = rt.groups.get(key);
    if (g !== undefined) {
      // Fewer than size/2 groups were put after this one since it was last moved: it is in the
      // newer half already, and eviction takes from the older end. Moving it on every event (a
      // delete and a set, on which V8 rebuilds a small Map's table) cost ~100 bytes an event.
      if (rt.moves - g.movedAt >= rt.groups.size >> 1) {
        rt.groups.delete(key);
        rt.groups.set(key, g);
        g.movedAt = ++rt.moves;
      }
      return g;
    }
    if (rt.groups.size >= maxGroups) {
      for (const [k, old] of rt.groups) {
        if (old.state === 'inactive') {
          rt.groups.delete(k);
          counts.groupsEvicted++;
          break;
        }
      }
      if (rt.groups.size >= maxGroups) {
        const first = rt.groups.keys().next().value!;
        rt.groups.delete(first);
        counts.groupsEvicted++;
      }
    }
    const l = { alertname: rt.rule.name, severity: rt.severity, ...rt.rule.labels, ...(given ?? Object.fromEntries(rt.groupBy.map((l) => [l, event === undefined ? '' : labelOf(event, l)]))) };
    const rule = rt.rule;
    g = {
      labels: l,
      fingerprint: fingerprintOf(l),
      lastSeen: t,
      holdUntil: -Infinity,
      value: 0,
      state: 'inactive',
      activeSince: 0,
      firedAt: 0,
      cooldownUntil: -Infinity,
      acknowledged: false,
      dirty: false,
      movedAt: ++rt.moves,
      ended: false,
    };
    if ((rule.kind === 'threshold' && rule.measure !== 'percentile') || rule.kind === 'anomaly') g.counter = new WindowCounter(rule.windowMs ?? 600_000);
    if (rule.kind === 'threshold' && rule.measure === 'percentile') g.samples = new SampleWindow(maxSamples);
    rt.groups.set(key, g);
    return g;
  };

  const silencedBy = (labels: Record<string, string>, t: number): boolean => {
    for (const [id, s] of silences) {
      if (s.endsAt <= t) {
        silences.delete(id);
        continue;
      }
      if (Object.entries(s.matchers).every(([k, v]) => labels[k] === v)) return true;
    }
    return false;
  };

  const publish = (rt: RuleRuntime, g: Group, state: 'pending' | 'firing' | 'resolved', t: number, threshold: number | undefined) => {
    const summary = summaryOf(rt.rule, g.labels, g.value, threshold);
    const silenced = silencedBy(g.labels, t);
    const severity: Severity = state === 'resolved' ? 'info' : state === 'pending' ? 'info' : rt.severity;
    recent.push({ rule: rt.rule.name, fingerprint: g.fingerprint, state, severity, summary, at: t, silenced });
    if (recent.length > maxHistory) recent.shift();
    if (silenced) {
      counts.silenced++;
      return;
    }
    const annotations: Record<string, string> = { summary, ...(rt.rule.description !== undefined ? { description: rt.rule.description } : {}), ...rt.rule.annotations };
    ctx?.emit({
      type: 'alert',
      severity,
      ...(g.sessionId !== undefined ? { sessionId: g.sessionId } : {}),
      ...(g.agentId !== undefined ? { agentId: g.agentId } : {}),
      payload: {
        rule: rt.rule.name,
        message: summary,
        value: Number.isFinite(g.value) ? g.value : 0,
        ...(threshold !== undefined ? { threshold } : {}),
        state,
        fingerprint: g.fingerprint,
        labels: { ...g.labels },
        annotations,
        startsAt: state === 'pending' ? g.activeSince : g.firedAt,
        ...(state === 'resolved' ? { endsAt: t } : {}),
        ...(g.acknowledged ? { acknowledged: true } : {}),
        ...(options.generatorURL !== undefined ? { details: { generatorURL: options.generatorURL } } : {}),
      },
    });
  };

  const stats = (name: string) => {
    let s = byRule.get(name);
    if (s === undefined) byRule.set(name, (s = { fired: 0, resolved: 0 }));
    return s;
  };

  /** One step of one alert's lifecycle. */
  const step = (rt: RuleRuntime, g: Group, t: number) => {
    const [active, value, threshold] = rt.condition(g, t);
    g.value = value;
    const forMs = rt.rule.forMs ?? 0;
    if (active) {
      if (g.state === 'inactive') {
        if (t < g.cooldownUntil) {
          counts.cooldownSuppressed++;
          return;
        }
        g.activeSince = t;
        g.acknowledged = false;
        g.acknowledgedBy = undefined;
        if (forMs > 0) {
          g.state = 'pending';
          publish(rt, g, 'pending', t, threshold);
          return;
        }
      }
      if (g.state !== 'firing' && t - g.activeSince >= forMs) {
        g.state = 'firing';
        g.firedAt = t;
        counts.fired++;
        stats(rt.rule.name).fired++;
        publish(rt, g, 'firing', t, threshold);
      }
      return;
    }
    if (g.state === 'pending') {
      g.state = 'inactive';
      counts.pendingCleared++;
    } else if (g.state === 'firing') {
      g.state = 'inactive';
      g.cooldownUntil = t + (rt.rule.cooldownMs ?? 0);
      counts.resolved++;
      stats(rt.rule.name).resolved++;
      publish(rt, g, 'resolved', t, threshold);
    }
  };

  /** Reads the cost snapshot (a full copy of it): at most once per `evaluateIntervalMs` unless forced. */
  const evaluateBudgets = (t: number, force: boolean) => {
    if (!hasBudget || ctx === undefined) return;
    if (!force && t - lastBudgetEval < evaluateIntervalMs) return;
    lastBudgetEval = t;
    const cost = ctx.snapshotOf<CostSnapshot>('cost');
    if (cost === undefined) return;
    const day = new Date(t).toISOString().slice(0, 10);
    if (day !== dayKey) {
      if (dayKey !== '') dayStartTotal = cost.totalUsd;
      dayKey = day;
    }
    for (const rt of runtimes) {
      const rule = rt.rule;
      if (rule.kind !== 'budget') continue;
      const spent: [string, number][] =
        rule.scope === 'day'
          ? [[day, cost.totalUsd - dayStartTotal]]
          : Object.entries(rule.scope === 'session' ? cost.bySession : cost.byAgent).map(([k, e]) => [k, e.costUsd]);
      const bands = [...(rule.bands ?? [0.8, 1])].sort((a, b) => a - b);
      for (const [key, usd] of spent) {
        for (const band of bands) {
          if (usd < band * rule.limitUsd) break;
          const id = `${rule.name}\u0000${key}\u0000${band}`;
          if (bandsFired.has(id)) continue;
          if (bandsFired.size >= 100_000) bandsFired.clear();
          bandsFired.add(id);
          const label = rule.scope === 'session' ? 'sessionId' : rule.scope === 'agent' ? 'agentId' : 'day';
          const g = groupOf(rt, `${key}\u0000${band}`, t, undefined, { [label]: key, band: `${Math.round(band * 100)}%` });
          if (rule.scope === 'session') g.sessionId = key;
          if (rule.scope === 'agent') g.agentId = key;
          g.value = Math.round(usd * 1e4) / 1e4;
          const endOfDay = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
          g.holdUntil = rule.scope === 'day' ? endOfDay : t + (rule.holdMs ?? 3_600_000);
          step(rt, g, t);
        }
      }
    }
  };

  const evaluateAll = () => {
    const t = now();
    for (const rt of runtimes) {
      try {
        for (const g of rt.groups.values()) step(rt, g, t);
      } catch (error) {
        counts.ruleErrors++;
        ctx?.reportError(error, `evaluate ${rt.rule.name}`);
      }
    }
    try {
      evaluateBudgets(t, true);
    } catch (error) {
      counts.ruleErrors++;
      ctx?.reportError(error, 'evaluate budgets');
    }
  };

  const onGuardrailDecision = (e: FleetEvent, p: GuardrailDecisionFields) => {
    guard.decisions++;
    const rule = String(p.rule);
    let r = guard.byRule.get(rule);
    if (r === undefined && guard.byRule.size < 1000) guard.byRule.set(rule, (r = { block: 0, alert: 0, redact: 0, log: 0 }));
    if (r !== undefined && (p.action === 'block' || p.action === 'alert' || p.action === 'redact' || p.action === 'log')) r[p.action]++;
    if (p.action === 'block') {
      guard.blocks++;
      guard.recentBlocks.push({ rule, toolName: String(p.toolName), reason: String(p.reason), at: e.timestamp, sessionId: e.sessionId, agentId: e.agentId, enforced: p.enforced === true });
      if (guard.recentBlocks.length > 20) guard.recentBlocks.shift();
    }
  };

  /**
   * A state change another engine recorded: the Claude Code hook judges the default rules in its
   * own process and stores the `alert` events (this engine never receives its own). Shown as
   * recorded (active until resolved, in `recent`, counted), never judged again.
   */
  const recorded = new Map<string, AlertView>();
  const onRecordedAlert = (e: FleetEvent) => {
    const p = e.payload as { rule?: unknown; fingerprint?: unknown; state?: unknown; message?: unknown; labels?: unknown; value?: unknown; threshold?: unknown; startsAt?: unknown };
    const state = p.state;
    if (typeof p.rule !== 'string' || typeof p.fingerprint !== 'string' || (state !== 'pending' && state !== 'firing' && state !== 'resolved')) return;
    const summary = typeof p.message === 'string' ? p.message : p.rule;
    recent.push({ rule: p.rule, fingerprint: p.fingerprint, state, severity: e.severity, summary, at: e.timestamp, silenced: false });
    if (recent.length > maxHistory) recent.shift();
    const known = recorded.get(p.fingerprint);
    if (state === 'resolved') {
      if (known?.state === 'firing') {
        counts.resolved++;
        stats(p.rule).resolved++;
      }
      recorded.delete(p.fingerprint);
      return;
    }
    if (state === 'firing' && known?.state !== 'firing') {
      counts.fired++;
      stats(p.rule).fired++;
    }
    if (known === undefined && recorded.size >= maxGroups) recorded.delete(recorded.keys().next().value!);
    const labels = typeof p.labels === 'object' && p.labels !== null ? Object.fromEntries(Object.entries(p.labels).map(([k, v]) => [k, String(v)])) : {};
    recorded.set(p.fingerprint, {
      rule: p.rule,
      fingerprint: p.fingerprint,
      state,
      severity: e.severity,
      labels,
      summary,
      value: typeof p.value === 'number' ? p.value : 0,
      ...(typeof p.threshold === 'number' ? { threshold: p.threshold } : {}),
      startsAt: typeof p.startsAt === 'number' ? p.startsAt : e.timestamp,
      ...(state === 'firing' ? { firedAt: e.timestamp } : {}),
      acknowledged: false,
      silenced: false,
    });
  };

  /** Feeds one batch to every rule; returns the touched groups. */
  const ingest = (batch: readonly FleetEvent[], touched: Set<[RuleRuntime, Group]>) => {
    for (const e of batch) {
      if (e.timestamp > latest) latest = e.timestamp;
      if (e.type === 'guardrail.decision') onGuardrailDecision(e, e.payload as GuardrailDecisionFields);
      else if (e.type === 'alert') {
        const decision = hookGuardrailDecision(e);
        if (decision !== undefined) onGuardrailDecision(e, decision);
        else onRecordedAlert(e);
      }
      for (const rt of runtimes) {
        const rule = rt.rule;
        if (rule.kind === 'budget') continue;
        let counted: boolean;
        let inDen: boolean;
        try {
          counted = rt.match(e);
          inDen = rt.den !== undefined && rt.den(e);
        } catch (error) {
          // A throwing host predicate: this rule skips this event, the others go on.
          counts.ruleErrors++;
          ctx?.reportError(error, `match ${rule.name}`);
          continue;
        }
        if (!counted && !inDen) {
          if (rule.kind === 'absence' && (e.type === 'agent.end' || e.type === 'session.end')) {
            // An agent that ended is not stalled. Its group is kept, marked, for when it starts
            // again (a group is ~1.5 KB to create; agents of a fleet end and start all day).
            const g = rt.groups.get(keyOf(rt, e));
            if (g !== undefined && g.state === 'inactive') g.ended = true;
          }
          continue;
        }
        const g = groupOf(rt, keyOf(rt, e), e.timestamp, e);
        g.ended = false;
        g.lastSeen = Math.max(g.lastSeen, e.timestamp);
        g.sessionId = e.sessionId;
        g.agentId = e.agentId;
        if (g.counter !== undefined) g.counter.add(e.timestamp, counted ? 1 : 0, inDen || (rule.kind !== 'threshold' || rule.measure !== 'ratio') ? 1 : 0);
        if (g.samples !== undefined && counted && rule.kind === 'threshold') {
          const v = (e.payload as Record<string, unknown>)[rule.field!];
          if (typeof v === 'number' && Number.isFinite(v)) g.samples.add(e.timestamp, v);
        }
        if (rule.kind === 'guardrail') {
          g.value++;
          g.holdUntil = Math.max(g.holdUntil, e.timestamp + (rule.holdMs ?? 600_000));
        }
        if (!g.dirty) {
          g.dirty = true;
          touched.add([rt, g]);
        }
      }
    }
  };

  const types = ruleEventTypes(rules);
  const analyzer: AlertsAnalyzer = {
    name: 'alerts',
    dependsOn: hasBudget ? ['cost'] : undefined,
    filter: types === undefined ? undefined : { types },
    async consume(stream, context) {
      ctx = context;
      const timer = setInterval(evaluateAll, evaluateIntervalMs);
      timer.unref?.();
      try {
        for await (const batch of stream) {
          const touched = new Set<[RuleRuntime, Group]>();
          try {
            ingest(batch, touched);
          } catch (error) {
            counts.ruleErrors++;
            context.reportError(error, 'consume');
          }
          // Event time: the batch is judged at its newest event, not at the clock, which runs ahead
          // of an analyzer that is behind (a window read at the clock's time would lose its oldest events).
          let t = 0;
          for (const e of batch) if (e.timestamp > t) t = e.timestamp;
          if (batch.length === 0) t = now();
          for (const [rt, g] of touched) {
            g.dirty = false;
            try {
              step(rt, g, t);
            } catch (error) {
              counts.ruleErrors++;
              context.reportError(error, `evaluate ${rt.rule.name}`);
            }
          }
          if (hasBudget) {
            try {
              evaluateBudgets(t, false);
            } catch (error) {
              counts.ruleErrors++;
              context.reportError(error, 'evaluate budgets');
            }
          }
        }
      } finally {
        clearInterval(timer);
      }
    },
    evaluate: evaluateAll,
    acknowledge(fingerprint, by) {
      for (const rt of runtimes) {
        for (const g of rt.groups.values()) {
          if (g.fingerprint !== fingerprint || g.state === 'inactive') continue;
          g.acknowledged = true;
          g.acknowledgedBy = typeof by === 'string' ? by : undefined;
          counts.acknowledged++;
          const [, , threshold] = rt.condition(g, now());
          publish(rt, g, g.state, now(), threshold);
          return true;
        }
      }
      return false;
    },
    silence(matchers, durationMs, comment) {
      const id = `silence-${++silenceCount}`;
      const clean: Record<string, string> = {};
      for (const [k, v] of Object.entries(matchers ?? {})) if (typeof v === 'string') clean[k] = v;
      const ms = typeof durationMs === 'number' && durationMs > 0 ? durationMs : 3_600_000;
      silences.set(id, { id, matchers: clean, endsAt: now() + ms, ...(typeof comment === 'string' ? { comment } : {}) });
      return id;
    },
    unsilence(id) {
      return silences.delete(id);
    },
    snapshot() {
      const t = now();
      const active: AlertView[] = [];
      const activeByRule = new Map<string, number>();
      for (const rt of runtimes) {
        for (const g of rt.groups.values()) {
          if (g.state === 'inactive') continue;
          activeByRule.set(rt.rule.name, (activeByRule.get(rt.rule.name) ?? 0) + 1);
          const [, , threshold] = [0, 0, rt.rule.kind === 'threshold' ? rt.rule.value : rt.rule.kind === 'budget' ? rt.rule.limitUsd : undefined];
          active.push({
            rule: rt.rule.name,
            fingerprint: g.fingerprint,
            state: g.state,
            severity: rt.severity,
            labels: { ...g.labels },
            summary: summaryOf(rt.rule, g.labels, g.value, threshold),
            value: g.value,
            ...(threshold !== undefined ? { threshold } : {}),
            startsAt: g.activeSince,
            ...(g.state === 'firing' ? { firedAt: g.firedAt } : {}),
            acknowledged: g.acknowledged,
            ...(g.acknowledgedBy !== undefined ? { acknowledgedBy: g.acknowledgedBy } : {}),
            silenced: silencedBy(g.labels, t),
          });
        }
      }
      for (const view of recorded.values()) {
        active.push({ ...view, labels: { ...view.labels } });
        activeByRule.set(view.rule, (activeByRule.get(view.rule) ?? 0) + 1);
      }
      active.sort((a, b) => (a.state === b.state ? b.startsAt - a.startsAt : a.state === 'firing' ? -1 : 1));
      const ruleStats: AlertsSnapshot['byRule'] = {};
      for (const name of new Set([...rules.map((r) => r.name), ...byRule.keys()])) ruleStats[name] = { fired: byRule.get(name)?.fired ?? 0, resolved: byRule.get(name)?.resolved ?? 0, active: activeByRule.get(name) ?? 0 };
      return {
        rules: rules.map((r) => ({ name: r.name, kind: r.kind, severity: severityOr(r.severity) })),
        active,
        recent: recent.map((r) => ({ ...r })),
        counts: { ...counts },
        byRule: ruleStats,
        silences: [...silences.values()].filter((s) => s.endsAt > t).map((s) => ({ ...s, matchers: { ...s.matchers } })),
        guardrails: {
          decisions: guard.decisions,
          blocks: guard.blocks,
          byRule: Object.fromEntries([...guard.byRule].map(([k, v]) => [k, { ...v }])),
          recentBlocks: guard.recentBlocks.map((b) => ({ ...b })),
        },
      };
    },
  };
  return analyzer;
}
