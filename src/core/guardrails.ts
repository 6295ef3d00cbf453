/**
 * The guardrail contract: a policy the instrumentation scopes consult before a tool runs (and on
 * what it returned, before that reaches the model). Core knows the shape only; the rule engine
 * and the rule packs live in `fleetscope/guardrails`, and a host may write its own policy.
 *
 * Every decision becomes a `guardrail.decision` event (rule, action, reason, the input's hash);
 * a `block` stops the call only when the observer enforces guardrails (`guardrails.enforce`),
 * and then `observer.tool()` rejects with `GuardrailBlockedError` without running the function.
 */
import { createHash } from 'node:crypto';
import stringify from 'fast-json-stable-stringify';
import type { FleetEvent, GuardrailDecisionAction } from './events.js';

export type { GuardrailDecisionAction } from './events.js';

/** What a policy is asked about: one tool call, before it runs or after it returned. */
export interface GuardrailRequest {
  toolName: string;
  /** `input`: the call's input, before the tool runs; `output`: what the tool returned. */
  phase: 'input' | 'output';
  /** The tool's input (phase `input`) or output (phase `output`). */
  value: unknown;
  sessionId: string;
  agentId: string;
  /** The call's id (its span id), when the scope has one. */
  toolCallId?: string;
  /** ms since the epoch (the observer's clock). */
  now: number;
}

/** One rule's verdict on a request. */
export interface GuardrailDecision {
  rule: string;
  action: GuardrailDecisionAction;
  reason: string;
  /** Rule pack of the rule, e.g. `secrets`. */
  pack?: string;
  /**
   * For `redact`: the value to record instead of the inspected one (events only; the tool still
   * gets its input). Default: the string `[REDACTED:guardrail:<rule>]`.
   */
  redacted?: unknown;
}

/**
 * A guardrail policy. `check` is synchronous and must be cheap and linear in its input: it runs
 * on the host's call path before every tool call. It should not throw; if it does, the observer
 * counts it and lets the call run (a broken policy never blocks the host by accident).
 */
export interface GuardrailPolicy {
  readonly name?: string;
  /** Every rule that matches the request; an empty array when none does. */
  check(request: GuardrailRequest): readonly GuardrailDecision[];
  /**
   * Optional: sees every accepted event of the observer (e.g. `llm.call` costs for a per-session
   * cost limit). Called synchronously on the bus; keep it O(1).
   */
  observe?(event: FleetEvent): void;
}

/** The observer option `guardrails`. */
export interface GuardrailOptions {
  /** The policy consulted before each `observer.tool()` call (e.g. `createGuardrailEngine()`). Required. */
  policy: GuardrailPolicy;
  /**
   * Whether a `block` decision stops the call: the function is not run and `observer.tool()`
   * rejects with `GuardrailBlockedError`. Default `false`: decisions are recorded as
   * `guardrail.decision` events and the call runs (audit mode).
   */
  enforce?: boolean;
  /** Whether the tool's output is checked too (prompt-injection rules). Default `true`. */
  checkOutput?: boolean;
}

/**
 * Thrown into the host (the one deliberate exception to "never throws after construction") by
 * `observer.tool()` when the observer enforces guardrails and a rule blocks the call. The tool's
 * function did not run (phase `input`), or its output was withheld (phase `output`).
 */
export class GuardrailBlockedError extends Error {
  override readonly name = 'GuardrailBlockedError';
  /** Always `FLEETSCOPE_GUARDRAIL_BLOCKED`, for hosts that match on codes. */
  readonly code = 'FLEETSCOPE_GUARDRAIL_BLOCKED';
  readonly rule: string;
  readonly reason: string;
  readonly toolName: string;
  readonly phase: 'input' | 'output';
  /** Every decision of the check (the blocking one first). */
  readonly decisions: readonly GuardrailDecision[];

  constructor(toolName: string, phase: 'input' | 'output', decisions: readonly GuardrailDecision[]) {
    const blocking = decisions.find((d) => d.action === 'block') ?? decisions[0]!;
    super(`[fleetscope] guardrail ${blocking.rule} blocked ${toolName}: ${blocking.reason}`);
    this.rule = blocking.rule;
    this.reason = blocking.reason;
    this.toolName = toolName;
    this.phase = phase;
    this.decisions = decisions;
  }
}

/** Longest string hashed whole; a longer one is hashed as its length and a 64 KiB head and tail. */
const HASH_WHOLE_CHARS = 1 << 20;

/**
 * SHA-256 (hex) of a value's canonical JSON (sorted keys; a string is hashed as itself). Equal
 * inputs give equal hashes across processes, so a decision can be joined to its tool call without
 * storing the input. Never throws: an unserializable value hashes as its type.
 */
export function hashGuardrailInput(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (stringify(value as object) ?? 'undefined');
  } catch {
    text = `[unserializable ${typeof value}]`;
  }
  if (text.length > HASH_WHOLE_CHARS) text = `${text.length}:${text.slice(0, 65_536)}${text.slice(-65_536)}`;
  return createHash('sha256').update(text).digest('hex');
}
