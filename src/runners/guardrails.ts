/**
 * Compatibility shim: guardrails moved to their own room, `fleetscope/guardrails`
 * (src/guardrails/). The Claude Code hook and `fleetscope/runners` users keep these names.
 * @deprecated import from `fleetscope/guardrails`.
 */
export {
  createGuardrails,
  rulesFromJson,
  DEFAULT_GUARDRAIL_RULES,
  type Guardrails,
  type GuardrailRule,
  type GuardrailRulesFile,
  type GuardrailMatch,
  type LegacyGuardrailAction as GuardrailAction,
} from '../guardrails/index.js';
