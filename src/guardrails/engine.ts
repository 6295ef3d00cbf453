/**
 * The guardrail engine: compiles rules once (a bad rule throws there, naming the rule), then
 * answers `check(request)` for each tool call, synchronously and without throwing. A rule that
 * throws at check time is isolated: counted in `stats().ruleErrors`, and the other rules go on.
 * It is a `GuardrailPolicy` (fleetscope/core): give it to an observer as
 * `guardrails: { policy: createGuardrailEngine(), enforce: true }`.
 */
import { readFileSync } from 'node:fs';
import type { FleetEvent, GuardrailDecision, GuardrailPolicy, GuardrailRequest } from '../core/index.js';
import { compileRule, GuardrailRuleError, matchRules, type CompiledRule, type GuardrailRule, type RuleState } from './rules.js';
import { DEFAULT_PACK, GUARDRAIL_PACKS, type GuardrailPackName } from './packs.js';

export interface GuardrailEngineOptions {
  /** Rules to apply (data, e.g. from `loadGuardrailRules`, and/or rules with predicates). Default `packs`' rules. */
  rules?: readonly GuardrailRule[];
  /** Shipped packs to apply, added before `rules`. Default `['default']` when `rules` is absent, else none. */
  packs?: readonly GuardrailPackName[];
  /** Name in `observer.stats()` and errors. Default `guardrails`. */
  name?: string;
  /** Most agents / sessions whose usage is remembered (oldest forgotten first). Default 10000. */
  maxTracked?: number;
}

export interface GuardrailEngineStats {
  /** Requests checked. */
  checks: number;
  /** Decisions by rule id. */
  decisions: Record<string, number>;
  /** Check-time failures by rule id (the rule was skipped for that call). */
  ruleErrors: Record<string, number>;
  /** The last failure's message, when any. */
  lastError?: string;
}

export interface GuardrailEngine extends GuardrailPolicy {
  readonly name: string;
  readonly rules: readonly GuardrailRule[];
  /** Every rule that matches, blocking ones first. Never throws. */
  check(request: GuardrailRequest): GuardrailDecision[];
  /**
   * `check` for a caller without an observer (the Claude Code hook): phase `input`, session and
   * agent `unknown` unless given, now = `Date.now()`.
   */
  checkTool(toolName: string, value: unknown, context?: Partial<Omit<GuardrailRequest, 'toolName' | 'value'>>): GuardrailDecision[];
  /** Feeds `llm.call` costs to the per-session cost limit. */
  observe(event: FleetEvent): void;
  stats(): GuardrailEngineStats;
}

const ACTION_ORDER = { block: 0, redact: 1, alert: 2, log: 3 } as const;
const MINUTE_MS = 60_000;

/** A Map that forgets its oldest key beyond `max`. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}

export function createGuardrailEngine(options: GuardrailEngineOptions = {}): GuardrailEngine {
  if (typeof options !== 'object' || options === null) throw new GuardrailRuleError('[fleetscope] [guardrails] options must be an object');
  const name = options.name ?? 'guardrails';
  const packNames = options.packs ?? (options.rules === undefined ? ['default'] : []);
  const rules: GuardrailRule[] = [];
  for (const p of packNames) {
    const found = (GUARDRAIL_PACKS as Record<string, readonly GuardrailRule[]>)[p];
    if (found === undefined || !Object.hasOwn(GUARDRAIL_PACKS, p)) {
      throw new GuardrailRuleError(`[fleetscope] [guardrails] unknown pack "${String(p)}"; packs: ${Object.keys(GUARDRAIL_PACKS).join(', ')}`);
    }
    rules.push(...found);
  }
  if (options.rules !== undefined) {
    if (!Array.isArray(options.rules)) throw new GuardrailRuleError('[fleetscope] [guardrails] rules must be an array');
    rules.push(...options.rules);
  }
  const compiled = rules.map(compileRule);
  const seen = new Set<string>();
  for (const c of compiled) {
    if (seen.has(c.id)) throw new GuardrailRuleError(`[fleetscope] [guardrails] rule ${c.id}: the id is used twice`);
    seen.add(c.id);
  }
  const maxTracked = options.maxTracked ?? 10_000;
  const rateRules = compiled.some((c) => c.usesCallRate);

  let checks = 0;
  const decisionCounts = new Map<string, number>();
  const ruleErrors = new Map<string, number>();
  let lastError: string | undefined;
  /** Per agent: timestamps of its calls in the last minute (a queue, oldest first). */
  const calls = new Map<string, number[]>();
  const sessionCost = new Map<string, number>();
  /** The agent's count for the request being checked (computed once per check). */
  let currentCalls = 0;

  const state: RuleState = {
    callsLastMinute: () => currentCalls,
    sessionCostUsd: (sessionId) => sessionCost.get(sessionId) ?? 0,
  };

  /** Counts this call for its agent; the queue holds at most the largest limit + 1 entries. */
  const countCall = (agentId: string, now: number): number => {
    let times = calls.get(agentId);
    if (times === undefined) remember(calls, agentId, (times = []), maxTracked);
    times.push(now);
    let drop = 0;
    while (drop < times.length && times[drop]! <= now - MINUTE_MS) drop++;
    if (drop > 0) times.splice(0, drop);
    // Bounded: nobody needs more than this to compare against a per-minute limit.
    if (times.length > 100_000) times.splice(0, times.length - 100_000);
    return times.length;
  };

  const ruleFailed = (rule: CompiledRule, error: unknown): void => {
    ruleErrors.set(rule.id, (ruleErrors.get(rule.id) ?? 0) + 1);
    lastError = `rule ${rule.id}: ${error instanceof Error ? error.message : String(error)}`;
  };
  const applies = (rule: CompiledRule, toolName: string): boolean => {
    try {
      return rule.appliesTo(toolName);
    } catch {
      return false;
    }
  };

  const engine: GuardrailEngine = {
    name,
    rules,
    check(request) {
      const out: GuardrailDecision[] = [];
      if (typeof request !== 'object' || request === null) return out;
      checks++;
      const toolName = typeof request.toolName === 'string' ? request.toolName : String(request.toolName);
      const phase = request.phase === 'output' ? 'output' : 'input';
      if (rateRules && phase === 'input') currentCalls = countCall(String(request.agentId), Number(request.now) || Date.now());
      const candidates = compiled.filter((rule) => rule.phase === phase && applies(rule, toolName));
      for (const rule of matchRules(candidates, request, state, ruleFailed)) {
        out.push({ rule: rule.id, action: rule.action, reason: rule.reason, pack: rule.pack });
        decisionCounts.set(rule.id, (decisionCounts.get(rule.id) ?? 0) + 1);
      }
      return out.length > 1 ? out.sort((a, b) => ACTION_ORDER[a.action] - ACTION_ORDER[b.action]) : out;
    },
    checkTool(toolName, value, context = {}) {
      return engine.check({
        sessionId: 'unknown',
        agentId: 'unknown',
        phase: 'input',
        now: Date.now(),
        ...context,
        toolName,
        value,
      });
    },
    observe(event) {
      if (event.type !== 'llm.call') return;
      const cost = (event.payload as { costUsd?: unknown }).costUsd;
      if (typeof cost !== 'number' || !(cost > 0)) return;
      remember(sessionCost, event.sessionId, (sessionCost.get(event.sessionId) ?? 0) + cost, maxTracked);
    },
    stats() {
      return {
        checks,
        decisions: Object.fromEntries(decisionCounts),
        ruleErrors: Object.fromEntries(ruleErrors),
        ...(lastError !== undefined ? { lastError } : {}),
      };
    },
  };
  return engine;
}

/** A rules file: `{ "rules": [...], "packs": ["secrets"], "includeDefaults": true }` or a bare array of rules. */
export interface GuardrailRulesFile {
  rules: GuardrailRule[];
  /** Shipped packs to apply as well. Default none. */
  packs?: GuardrailPackName[];
  /** Also apply the default pack (default false: a custom file replaces it). */
  includeDefaults?: boolean;
}

/** Rules from the parsed JSON of a rules file. Throws a `GuardrailRuleError` on a malformed file. */
export function rulesFromJson(json: unknown): GuardrailRule[] {
  if (Array.isArray(json)) return json as GuardrailRule[];
  if (typeof json === 'object' && json !== null && Array.isArray((json as GuardrailRulesFile).rules)) {
    const file = json as GuardrailRulesFile;
    const out: GuardrailRule[] = [];
    if (file.includeDefaults === true) out.push(...DEFAULT_PACK);
    if (file.packs !== undefined) {
      if (!Array.isArray(file.packs)) throw new GuardrailRuleError('[fleetscope] [guardrails] "packs" must be an array of pack names');
      for (const p of file.packs) {
        if (!Object.hasOwn(GUARDRAIL_PACKS, p)) throw new GuardrailRuleError(`[fleetscope] [guardrails] unknown pack "${String(p)}"; packs: ${Object.keys(GUARDRAIL_PACKS).join(', ')}`);
        if (p !== 'default' || file.includeDefaults !== true) out.push(...GUARDRAIL_PACKS[p]);
      }
    }
    return [...out, ...file.rules];
  }
  throw new GuardrailRuleError('[fleetscope] [guardrails] a rules file is a JSON array of rules or an object { "rules": [...] }');
}

/**
 * Reads, parses and compiles a rules file. Throws a `GuardrailRuleError` naming the file and the
 * problem (unreadable, not JSON, a bad rule with its id and field).
 */
export function loadGuardrailRules(file: string): GuardrailRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new GuardrailRuleError(`[fleetscope] [guardrails] cannot read rules file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new GuardrailRuleError(`[fleetscope] [guardrails] rules file ${file} is not JSON: ${(error as Error).message}`);
  }
  try {
    const rules = rulesFromJson(json);
    rules.forEach(compileRule);
    return rules;
  } catch (error) {
    throw new GuardrailRuleError(`${(error as Error).message} (in ${file})`);
  }
}
