/**
 * Guardrails for tool calls: rules that match a tool name and a pattern on the call's command or
 * file path, and either block the call (the Claude Code hook exits 2) or warn. Used by
 * `fleetscope hook` on PreToolUse; usable by any host before running a tool.
 */
import { DEFAULT_GUARDRAIL_RULES } from './guardrails-default.js';

export type GuardrailAction = 'block' | 'warn';

/** One rule, as written in a rules file (JSON). */
export interface GuardrailRule {
  /** Stable id, e.g. `rm-rf-root`; recorded with every match. */
  id: string;
  /** What the rule prevents, in words; shown to the agent as the reason for a block. */
  description: string;
  /** Regular expression (source) the tool name must match in full, e.g. `Bash` or `Write|Edit`. Default: any tool. */
  tool?: string;
  /**
   * Which part of the tool input the pattern is tested on: `command` (Bash), `file_path` (Write,
   * Edit, MultiEdit, NotebookEdit, Read: `file_path`, `notebook_path` or `path`), or `any` (both, and
   * the whole input as JSON when neither is there). Default `any`.
   */
  field?: 'command' | 'file_path' | 'any';
  /** Regular expression (source) searched in the field. */
  pattern: string;
  /** Regular-expression flags; default none (case-sensitive). */
  flags?: string;
  /** `block` (default) or `warn`. */
  action?: GuardrailAction;
}

/** A rules file: `{ "rules": [...], "includeDefaults": true }` or a bare array of rules. */
export interface GuardrailRulesFile {
  rules: GuardrailRule[];
  /** Also apply the default pack (default false: a custom file replaces it). */
  includeDefaults?: boolean;
}

export interface GuardrailMatch {
  ruleId: string;
  action: GuardrailAction;
  /** `<description> (rule <id>)`. */
  reason: string;
}

interface CompiledRule {
  rule: GuardrailRule;
  tool: RegExp | undefined;
  pattern: RegExp;
  action: GuardrailAction;
}

export interface Guardrails {
  readonly rules: readonly GuardrailRule[];
  /** Every rule the call matches, blocking rules first. */
  check(toolName: string, toolInput: unknown): GuardrailMatch[];
}

function fail(message: string): never {
  throw new Error(`[fleetscope] [guardrails] ${message}`);
}

function compile(rule: GuardrailRule, index: number): CompiledRule {
  if (typeof rule !== 'object' || rule === null) fail(`rule ${index}: must be an object`);
  if (typeof rule.id !== 'string' || rule.id === '') fail(`rule ${index}: "id" must be a non-empty string`);
  if (typeof rule.pattern !== 'string' || rule.pattern === '') fail(`rule ${rule.id}: "pattern" must be a non-empty string`);
  const action = rule.action ?? 'block';
  if (action !== 'block' && action !== 'warn') fail(`rule ${rule.id}: "action" must be "block" or "warn"`);
  if (rule.field !== undefined && !['command', 'file_path', 'any'].includes(rule.field)) {
    fail(`rule ${rule.id}: "field" must be "command", "file_path" or "any"`);
  }
  try {
    return {
      rule,
      tool: rule.tool === undefined || rule.tool === '' || rule.tool === '*' ? undefined : new RegExp(`^(?:${rule.tool})$`),
      pattern: new RegExp(rule.pattern, rule.flags ?? ''),
      action,
    };
  } catch (error) {
    return fail(`rule ${rule.id}: ${(error as Error).message}`);
  }
}

function fieldValues(field: GuardrailRule['field'], input: unknown): string[] {
  if (typeof input !== 'object' || input === null) return typeof input === 'string' ? [input] : [];
  const i = input as Record<string, unknown>;
  const out: string[] = [];
  if (field !== 'file_path' && typeof i.command === 'string') out.push(i.command);
  if (field !== 'command') {
    for (const key of ['file_path', 'notebook_path', 'path']) {
      if (typeof i[key] === 'string') out.push(i[key] as string);
    }
  }
  if (out.length === 0 && (field === undefined || field === 'any')) {
    try {
      out.push(JSON.stringify(input));
    } catch {
      // unserializable input: nothing to test
    }
  }
  return out;
}

/**
 * Compiles rules once (bad rules throw here, with the rule's id). Default: the shipped pack
 * `DEFAULT_GUARDRAIL_RULES`.
 */
export function createGuardrails(rules: readonly GuardrailRule[] = DEFAULT_GUARDRAIL_RULES): Guardrails {
  if (!Array.isArray(rules)) fail('rules must be an array');
  const compiled = rules.map(compile);
  return {
    rules,
    check(toolName, toolInput) {
      const matches: GuardrailMatch[] = [];
      for (const c of compiled) {
        if (c.tool !== undefined && !c.tool.test(toolName)) continue;
        if (!fieldValues(c.rule.field, toolInput).some((v) => c.pattern.test(v))) continue;
        matches.push({ ruleId: c.rule.id, action: c.action, reason: `${c.rule.description} (rule ${c.rule.id})` });
      }
      return matches.sort((a, b) => (a.action === b.action ? 0 : a.action === 'block' ? -1 : 1));
    },
  };
}

/** Rules from the parsed JSON of a rules file (see `GuardrailRulesFile`). Throws on a malformed file. */
export function rulesFromJson(json: unknown): GuardrailRule[] {
  if (Array.isArray(json)) return json as GuardrailRule[];
  if (typeof json === 'object' && json !== null && Array.isArray((json as GuardrailRulesFile).rules)) {
    const file = json as GuardrailRulesFile;
    return file.includeDefaults === true ? [...DEFAULT_GUARDRAIL_RULES, ...file.rules] : file.rules;
  }
  return fail('a rules file is a JSON array of rules or an object { "rules": [...] }');
}

export { DEFAULT_GUARDRAIL_RULES };
