/**
 * `fleetscope/guardrails`: the guardrail engine and the shipped rule packs. The contract (what an
 * observer consults before a tool runs) is `GuardrailPolicy` in `fleetscope/core`.
 *
 * ```ts
 * import { createObserver } from 'fleetscope';
 * import { createGuardrailEngine } from 'fleetscope/guardrails';
 * const observer = createObserver({
 *   guardrails: { policy: createGuardrailEngine({ packs: ['default', 'secrets', 'exfiltration'] }), enforce: true },
 * });
 * ```
 */
export {
  createGuardrailEngine,
  loadGuardrailRules,
  rulesFromJson,
  type GuardrailEngine,
  type GuardrailEngineOptions,
  type GuardrailEngineStats,
  type GuardrailRulesFile,
} from './engine.js';
export {
  compileRule,
  GuardrailRuleError,
  MAX_WORD_CHARS,
  MAX_INSPECTED_CHARS,
  type GuardrailRule,
  type GuardrailAction,
  type CommandMatcher,
  type PathMatcher,
  type UsageLimit,
} from './rules.js';
export {
  GUARDRAIL_PACKS,
  ALL_GUARDRAIL_RULES,
  DEFAULT_PACK,
  SECRETS_PACK,
  EXFILTRATION_PACK,
  DESTRUCTIVE_PACK,
  INJECTION_PACK,
  USAGE_PACK,
  SECRET_FILE,
  type GuardrailPackName,
} from './packs.js';
export { DETECTORS, INJECTION_PHRASE, type DetectorName } from './detectors.js';
export { parseShell, forEachCommand, programOf, argsOf, operandsOf, hasFlag, type ShellCommand } from './shell.js';
export { createGuardrails, DEFAULT_GUARDRAIL_RULES, type Guardrails, type GuardrailMatch, type LegacyGuardrailAction } from './legacy.js';
export { GuardrailBlockedError, hashGuardrailInput, type GuardrailPolicy, type GuardrailDecision, type GuardrailRequest, type GuardrailOptions } from '../core/index.js';
