/**
 * The API the Claude Code hook has called since the first release (`createGuardrails(rules).check(tool, input)`
 * returning `block`/`warn` matches), kept on top of the engine so rules files written for `--rules`
 * keep working. New code: `createGuardrailEngine` and `GuardrailDecision`s.
 */
import { createGuardrailEngine } from './engine.js';
import { DEFAULT_PACK } from './packs.js';
import type { GuardrailRule } from './rules.js';

/** `block`, or `warn` for every other action (alert, redact, log). */
export type LegacyGuardrailAction = 'block' | 'warn';

export interface GuardrailMatch {
  ruleId: string;
  action: LegacyGuardrailAction;
  /** `<description> (rule <id>)`. */
  reason: string;
}

export interface Guardrails {
  readonly rules: readonly GuardrailRule[];
  /** Every rule the call's input matches, blocking rules first. Never throws. */
  check(toolName: string, toolInput: unknown): GuardrailMatch[];
}

/** The default pack, as the hook has always exported it (now the linear rewrite, same ids). */
export const DEFAULT_GUARDRAIL_RULES: readonly GuardrailRule[] = DEFAULT_PACK;

/** Compiles rules once (bad rules throw here, with the rule's id). Default: `DEFAULT_GUARDRAIL_RULES`. */
export function createGuardrails(rules: readonly GuardrailRule[] = DEFAULT_GUARDRAIL_RULES): Guardrails {
  const engine = createGuardrailEngine({ rules });
  return {
    rules,
    check(toolName, toolInput) {
      return engine
        .checkTool(toolName, toolInput)
        .map((d) => ({ ruleId: d.rule, action: d.action === 'block' ? ('block' as const) : ('warn' as const), reason: d.reason }));
    },
  };
}
