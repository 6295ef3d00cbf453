/**
 * Host instrumentation: `session`, `workflow`, `agent`, `tool` and `llm` scopes. Each opens a
 * span (a start and an end event sharing one `spanId`, child of the enclosing scope's span) and
 * runs the host's function inside an AsyncLocalStorage scope, so nested calls form a tree.
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { currentScope, runInScope, type ScopeContext } from './context.js';
import type { EventInput } from './events.js';
import { errorMessage } from './errors.js';
import { GuardrailBlockedError, hashGuardrailInput, type GuardrailDecision, type GuardrailOptions } from './guardrails.js';
import { newSpanId, traceIdFrom } from './ids.js';
import { usageFromResponse, type TokenUsage } from './usage.js';
import type { EventDefaults } from './validate.js';

export interface SessionOptions {
  /** Session id. Default a random UUID. */
  id?: string;
  /** Free-form name (task, user, ...). */
  name?: string;
  /** Trace id of the session's spans. Default derived from the id (a UUID's hex digits). */
  traceId?: string;
  attributes?: Record<string, unknown>;
}

export interface WorkflowOptions {
  /** Workflow run id. Default `<name>-<random>`, unique per run. */
  id?: string;
  /** What the workflow does, e.g. `research`. Default `workflow`. */
  name?: string;
}

export interface AgentOptions {
  /** Agent name, e.g. `planner`. */
  name: string;
  /** Agent id. Default the name; each run is one execution, identified by its span. */
  id?: string;
  agentType?: string;
  /** Workflow the agent works for. Default the enclosing `workflow()` scope's. */
  workflowId?: string;
  input?: unknown;
  attributes?: Record<string, unknown>;
}

export interface LlmMeta {
  /** Model requested; `call.setModel` may replace it with the model that answered. */
  model: string;
  provider?: string;
  /** Default `chat`. */
  operation?: string;
  attributes?: Record<string, unknown>;
}

/** Handle given to the function wrapped by `observer.llm` to record what the call returned. */
export interface LlmCall {
  setUsage(usage: TokenUsage): void;
  setModel(model: string): void;
  setCostUsd(costUsd: number): void;
  setResponseId(id: string): void;
  setFinishReason(reason: string): void;
}

export interface InstrumentationDeps {
  emit(event: EventInput): unknown;
  base: EventDefaults;
  capture: { input: boolean; output: boolean };
  clock: () => number;
  /** The observer's guardrails, when it has any. */
  guardrails?: GuardrailOptions;
  /** A throwing policy: counted by the observer, the call goes on. */
  onGuardrailError?: (error: unknown) => void;
}

/** Milliseconds, to the microsecond. */
function elapsedSince(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return errorMessage(error);
}

export class Instrumentation {
  private workflowCount = 0;

  constructor(private readonly deps: InstrumentationDeps) {}

  private parent(): ScopeContext {
    const scope = currentScope();
    if (scope !== undefined) return scope;
    const { sessionId, agentId, traceId } = this.deps.base;
    return scopeOf(sessionId, agentId, undefined, undefined, traceId!, '');
  }

  /**
   * An event of the span `scope`, child of `parentSpanId`. Built as one object literal (no
   * spread): on spread-built objects V8 makes reading an absent field cost ~0.7 µs, and the
   * validator reads every event's fields.
   */
  private spanEvent(
    type: string,
    scope: ScopeContext,
    parentSpanId: string,
    payload: object,
    attributes: Record<string, unknown> | undefined,
  ): EventInput {
    return {
      type,
      sessionId: scope.sessionId,
      agentId: scope.agentId,
      workflowId: scope.workflowId,
      traceId: scope.traceId,
      spanId: scope.spanId,
      parentSpanId: parentSpanId === '' ? undefined : parentSpanId,
      attributes,
      payload,
    } as EventInput;
  }

  /**
   * Runs `fn` in `scope`, then emits the end event built by `end` from the outcome. The host's
   * result is returned and its error rethrown as they were.
   */
  private async run<T>(
    scope: ScopeContext,
    fn: () => T | Promise<T>,
    end: (outcome: { ok: true; value: Awaited<T> } | { ok: false; error: unknown }, durationMs: number) => void,
  ): Promise<Awaited<T>> {
    const start = performance.now();
    let value: Awaited<T>;
    try {
      if (typeof fn !== 'function') throw new TypeError('[fleetscope] the scope needs a function to run (got ' + typeof fn + ')');
      value = await runInScope(scope, fn);
    } catch (error) {
      end({ ok: false, error }, elapsedSince(start));
      throw error;
    }
    end({ ok: true, value }, elapsedSince(start));
    return value;
  }

  session<T>(options: SessionOptions | string, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    const opts = typeof options === 'string' ? { id: options } : options ?? {};
    const parentSpanId = currentScope()?.spanId ?? '';
    const sessionId = opts.id ?? randomUUID();
    const scope = scopeOf(sessionId, this.deps.base.agentId, undefined, undefined, opts.traceId ?? traceIdFrom(sessionId), newSpanId());
    this.deps.emit(this.spanEvent('session.start', scope, parentSpanId, { name: opts.name }, opts.attributes));
    return this.run(scope, fn, (outcome, durationMs) => {
      const payload = outcome.ok
        ? { status: 'success', durationMs, reason: undefined }
        : { status: 'error', durationMs, reason: describeError(outcome.error) };
      this.deps.emit(this.spanEvent('session.end', scope, parentSpanId, payload, opts.attributes));
    });
  }

  workflow<T>(options: WorkflowOptions | string, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    const opts = typeof options === 'string' ? { name: options } : options ?? {};
    const parent = this.parent();
    const name = opts.name ?? 'workflow';
    const id = opts.id ?? `${name}-${(++this.workflowCount).toString(36)}${newSpanId().slice(0, 6)}`;
    const scope = scopeOf(parent.sessionId, parent.agentId, parent.agentName, id, parent.traceId, parent.spanId);
    return runInScope(scope, () => Promise.resolve().then(fn)) as Promise<Awaited<T>>;
  }

  agent<T>(options: AgentOptions | string, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    const opts: AgentOptions = typeof options === 'string' ? { name: options } : options ?? { name: 'agent' };
    const parent = this.parent();
    const name = typeof opts.name === 'string' && opts.name !== '' ? opts.name : 'agent';
    const { agentType } = opts;
    const scope = scopeOf(parent.sessionId, opts.id ?? name, name, opts.workflowId ?? parent.workflowId, parent.traceId, newSpanId());
    // The top-level `main` context is not an agent; only a real agent scope is a parent.
    const parentAgentId = parent.agentName !== undefined ? parent.agentId : undefined;
    const input = this.deps.capture.input ? opts.input : undefined;
    this.deps.emit(this.spanEvent('agent.start', scope, parent.spanId, { name, parentAgentId, agentType, input }, opts.attributes));
    return this.run(scope, fn, (outcome, durationMs) => {
      const payload = outcome.ok
        ? { name, parentAgentId, agentType, status: 'success', durationMs, output: this.deps.capture.output ? outcome.value : undefined }
        : { name, parentAgentId, agentType, status: 'error', durationMs, error: describeError(outcome.error) };
      this.deps.emit(this.spanEvent('agent.end', scope, parent.spanId, payload, opts.attributes));
    });
  }

  tool<T>(name: string, input: unknown, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    const parent = this.parent();
    const scope = scopeOf(parent.sessionId, parent.agentId, parent.agentName, parent.workflowId, parent.traceId, newSpanId());
    const toolCallId = scope.spanId;
    const guardrails = this.deps.guardrails;
    if (guardrails !== undefined) return this.guardedTool(guardrails, scope, parent.spanId, name, input, fn);
    const captured = this.deps.capture.input ? input : undefined;
    this.deps.emit(this.spanEvent('tool.start', scope, parent.spanId, { toolName: name, toolCallId, input: captured }, undefined));
    return this.run(scope, fn, (outcome, durationMs) => {
      const payload = outcome.ok
        ? { toolName: name, toolCallId, status: 'success', durationMs, output: this.deps.capture.output ? outcome.value : undefined }
        : { toolName: name, toolCallId, status: 'error', durationMs, error: describeError(outcome.error) };
      this.deps.emit(this.spanEvent('tool.end', scope, parent.spanId, payload, undefined));
    });
  }

  /**
   * `tool()` with a guardrail policy: the input is checked before `fn` runs and the output after
   * it returned. Each decision is a `guardrail.decision` event; a `redact` replaces what the
   * events record; a `block` stops the call (rejecting with `GuardrailBlockedError`) only when
   * the host enforces guardrails.
   */
  private guardedTool<T>(
    guardrails: GuardrailOptions,
    scope: ScopeContext,
    parentSpanId: string,
    name: string,
    input: unknown,
    fn: () => T | Promise<T>,
  ): Promise<Awaited<T>> {
    const toolCallId = scope.spanId;
    const enforce = guardrails.enforce === true;
    const inputDecisions = this.consult(guardrails, scope, name, 'input', input);
    let captured = this.deps.capture.input ? input : undefined;
    if (captured !== undefined) captured = redactedValue(inputDecisions, captured);
    this.deps.emit(this.spanEvent('tool.start', scope, parentSpanId, { toolName: name, toolCallId, input: captured }, undefined));
    if (enforce && inputDecisions.some((d) => d.action === 'block')) {
      const error = new GuardrailBlockedError(name, 'input', blockingFirst(inputDecisions));
      this.deps.emit(
        this.spanEvent('tool.end', scope, parentSpanId, { toolName: name, toolCallId, status: 'blocked', durationMs: 0, error: error.reason }, undefined),
      );
      return Promise.reject(error);
    }
    let outputDecisions: readonly GuardrailDecision[] = [];
    let blocked: GuardrailBlockedError | undefined;
    const checked =
      guardrails.checkOutput === false
        ? fn
        : async () => {
            const value = await fn();
            outputDecisions = this.consult(guardrails, scope, name, 'output', value);
            if (enforce && outputDecisions.some((d) => d.action === 'block')) {
              throw (blocked = new GuardrailBlockedError(name, 'output', blockingFirst(outputDecisions)));
            }
            return value;
          };
    return this.run(scope, checked, (outcome, durationMs) => {
      let payload: object;
      if (outcome.ok) {
        const output = this.deps.capture.output ? redactedValue(outputDecisions, outcome.value) : undefined;
        payload = { toolName: name, toolCallId, status: 'success', durationMs, output };
      } else if (blocked !== undefined && outcome.error === blocked) {
        payload = { toolName: name, toolCallId, status: 'blocked', durationMs, error: blocked.reason };
      } else {
        payload = { toolName: name, toolCallId, status: 'error', durationMs, error: describeError(outcome.error) };
      }
      this.deps.emit(this.spanEvent('tool.end', scope, parentSpanId, payload, undefined));
    }) as Promise<Awaited<T>>;
  }

  /** Asks the policy, emits one `guardrail.decision` per decision; a throwing policy decides nothing. */
  private consult(
    guardrails: GuardrailOptions,
    scope: ScopeContext,
    toolName: string,
    phase: 'input' | 'output',
    value: unknown,
  ): readonly GuardrailDecision[] {
    let decisions: readonly GuardrailDecision[];
    try {
      decisions = guardrails.policy.check({
        toolName,
        phase,
        value,
        sessionId: scope.sessionId,
        agentId: scope.agentId,
        toolCallId: scope.spanId,
        now: this.deps.clock(),
      });
      if (!Array.isArray(decisions)) return [];
    } catch (error) {
      this.deps.onGuardrailError?.(error);
      return [];
    }
    if (decisions.length === 0) return decisions;
    const inputHash = hashGuardrailInput(value);
    const enforced = guardrails.enforce === true;
    for (const d of decisions) {
      this.deps.emit({
        type: 'guardrail.decision',
        sessionId: scope.sessionId,
        agentId: scope.agentId,
        workflowId: scope.workflowId,
        traceId: scope.traceId,
        parentSpanId: scope.spanId,
        payload: { rule: d.rule, action: d.action, reason: d.reason, toolName, inputHash, phase, pack: d.pack, enforced, toolCallId: scope.spanId },
      } as EventInput);
    }
    return decisions;
  }

  llm<T>(meta: LlmMeta, fn: (call: LlmCall) => T | Promise<T>): Promise<Awaited<T>> {
    const parent = this.parent();
    const scope = scopeOf(parent.sessionId, parent.agentId, parent.agentName, parent.workflowId, parent.traceId, newSpanId());
    const recorded: { usage?: TokenUsage; model?: string; costUsd?: number; responseId?: string; finishReason?: string } = {};
    const call: LlmCall = {
      setUsage: (usage) => void (recorded.usage = usage),
      setModel: (model) => void (recorded.model = model),
      setCostUsd: (costUsd) => void (recorded.costUsd = costUsd),
      setResponseId: (id) => void (recorded.responseId = id),
      setFinishReason: (reason) => void (recorded.finishReason = reason),
    };
    return this.run(scope, () => fn(call), (outcome, latencyMs) => {
      const fromResult = outcome.ok && recorded.usage === undefined ? usageFromResponse(outcome.value) : undefined;
      const usage = recorded.usage ?? fromResult ?? {};
      const payload = {
        provider: meta?.provider,
        // A call is kept even when the host forgot the model: its tokens and latency still count.
        model: recorded.model ?? fromResult?.model ?? (typeof meta?.model === 'string' ? meta.model : 'unknown'),
        operation: meta?.operation ?? 'chat',
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cacheReadTokens: usage.cacheReadTokens,
        cacheWriteTokens: usage.cacheWriteTokens,
        costUsd: recorded.costUsd,
        latencyMs,
        status: outcome.ok ? 'success' : 'error',
        error: outcome.ok ? undefined : describeError(outcome.error),
        responseId: recorded.responseId,
        finishReason: recorded.finishReason,
      };
      this.deps.emit(this.spanEvent('llm.call', scope, parent.spanId, payload, meta?.attributes));
    });
  }
}

/** Blocking decisions first (the error names the first). */
function blockingFirst(decisions: readonly GuardrailDecision[]): GuardrailDecision[] {
  return [...decisions].sort((a, b) => (a.action === 'block' ? 0 : 1) - (b.action === 'block' ? 0 : 1));
}

/** The value events record: replaced by the first `redact` decision's replacement, if any. */
function redactedValue(decisions: readonly GuardrailDecision[], value: unknown): unknown {
  for (const d of decisions) {
    if (d.action === 'redact') return d.redacted !== undefined ? d.redacted : `[REDACTED:guardrail:${d.rule}]`;
  }
  return value;
}

/** A scope as one full object literal (never spread: see `spanEvent`). */
function scopeOf(
  sessionId: string,
  agentId: string,
  agentName: string | undefined,
  workflowId: string | undefined,
  traceId: string,
  spanId: string,
): ScopeContext {
  return { sessionId, agentId, agentName, workflowId, traceId, spanId };
}
