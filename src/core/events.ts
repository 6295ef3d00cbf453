/**
 * The fleetscope event model: one envelope for every event, and a discriminated union of
 * payloads for the agent lifecycle. See `docs/events.md` for the OpenTelemetry GenAI mapping.
 *
 * Events are validated once, at the door (`validateEvent`); after that they are trusted and
 * treated as immutable by every consumer.
 */

/** How serious an event is. Ordered: debug < info < warning < error < critical. */
export type Severity = 'debug' | 'info' | 'warning' | 'error' | 'critical';

export const SEVERITIES: readonly Severity[] = ['debug', 'info', 'warning', 'error', 'critical'];

/** Numeric rank of each severity, for "at least" comparisons. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  debug: 0,
  info: 1,
  warning: 2,
  error: 3,
  critical: 4,
};

/** Outcome of a tool call. `blocked` means a guardrail refused it before it ran. */
export type ToolStatus = 'success' | 'error' | 'blocked';

/** Outcome of an LLM call, an agent run or a session. */
export type CallStatus = 'success' | 'error';

/** Outcome of an agent run. */
export type AgentStatus = 'success' | 'error' | 'cancelled';

// ── Payloads ────────────────────────────────────────────────────────────────────────────

export interface SessionStartPayload {
  /** Why the session started (Claude Code: `startup`, `resume`, `clear`, `compact`). */
  reason?: string;
  /** Working directory of the session, when known. */
  cwd?: string;
  /** Free-form description of the session (user, task, ...). */
  name?: string;
}

export interface SessionEndPayload {
  reason?: string;
  status?: CallStatus;
  /** Wall time of the session, when the source knows it. */
  durationMs?: number;
}

export interface AgentStartPayload {
  /** Agent name (OTel `gen_ai.agent.name`), e.g. `planner`, `researcher`, `Explore`. */
  name: string;
  /** The agent that started this one; absent for a top-level agent. */
  parentAgentId?: string;
  /** Kind of agent (Claude Code `agent_type`, framework class, ...). */
  agentType?: string;
  /** A turn a person drives (see `AgentEndPayload.interactive`). */
  interactive?: boolean;
  input?: unknown;
}

export interface AgentEndPayload {
  name: string;
  parentAgentId?: string;
  agentType?: string;
  /**
   * A turn a person drives (a prompt and the agent's answer, e.g. Claude Code's UserPromptSubmit →
   * Stop): its pace is the user's, so analyzers give no advice to split or parallelize it.
   */
  interactive?: boolean;
  status: AgentStatus;
  durationMs?: number;
  error?: string;
  output?: unknown;
}

export interface ToolStartPayload {
  /** OTel `gen_ai.tool.name`. */
  toolName: string;
  /** Id that pairs a start with its end (OTel `gen_ai.tool.call.id`, Claude Code `tool_use_id`). */
  toolCallId?: string;
  input?: unknown;
}

export interface ToolEndPayload {
  toolName: string;
  toolCallId?: string;
  status: ToolStatus;
  /** Wall time of the call in milliseconds; absent when the source could not measure it. */
  durationMs?: number;
  input?: unknown;
  output?: unknown;
  /** Error message (status `error`) or the reason for a block (status `blocked`). */
  error?: string;
}

export interface LlmCallPayload {
  /** OTel `gen_ai.provider.name`: `anthropic`, `openai`, `gcp.gemini`, ... */
  provider?: string;
  /** Model that answered (OTel `gen_ai.response.model`, falling back to `gen_ai.request.model`). */
  model: string;
  /** OTel `gen_ai.operation.name`: `chat` (default), `text_completion`, `embeddings`, ... */
  operation?: string;
  /**
   * Input tokens that were neither read from nor written to the prompt cache (Anthropic's
   * `input_tokens`). OTel's `gen_ai.usage.input_tokens` is the sum
   * `inputTokens + cacheReadTokens + cacheWriteTokens`.
   */
  inputTokens?: number;
  /** OTel `gen_ai.usage.output_tokens`. */
  outputTokens?: number;
  /** OTel `gen_ai.usage.cache_read.input_tokens` (Anthropic `cache_read_input_tokens`). */
  cacheReadTokens?: number;
  /** OTel `gen_ai.usage.cache_creation.input_tokens` (Anthropic `cache_creation_input_tokens`). */
  cacheWriteTokens?: number;
  /**
   * The part of `cacheWriteTokens` written to Anthropic's 1-hour prompt cache
   * (`cache_creation.ephemeral_1h_input_tokens`), billed at 2× input instead of the 5-minute
   * write's 1.25×. Not added to any total: it is already in `cacheWriteTokens`.
   */
  cacheWrite1hTokens?: number;
  /** Cost in US dollars, when the source knows it. Absent means unknown, never zero. */
  costUsd?: number;
  latencyMs?: number;
  status: CallStatus;
  error?: string;
  /** Provider request id (Anthropic `request-id`), OTel `gen_ai.response.id` for the response. */
  requestId?: string;
  responseId?: string;
  /** OTel `gen_ai.response.finish_reasons[0]`. */
  finishReason?: string;
  stream?: boolean;
}

export interface MessagePayload {
  role: 'user' | 'assistant' | 'system' | 'notification';
  /** Message text; prompts are stored as given (redaction is an exporter/storage concern). */
  text?: string;
  /** Sub-kind, e.g. `prompt`, `permission_prompt`, `idle_prompt`. */
  kind?: string;
  /**
   * The message's id in its source (Claude Code's prompt id): two sources that report the same
   * message give the same id, so it counts once (see `dedupeKey`).
   */
  id?: string;
}

export interface MetricPayload {
  /** Dotted metric name, e.g. `process.cpu.percent`. */
  name: string;
  value: number;
  /** UCUM-style unit: `ms`, `By`, `%`, `1`, ... */
  unit?: string;
  /** `gauge` (a level, default) or `counter` (an increment). */
  kind?: 'gauge' | 'counter';
}

export interface LogPayload {
  message: string;
  /** Structured fields of the log line. */
  fields?: Record<string, unknown>;
}

/** Lifecycle state of an alert: `pending` (condition true, waiting out `for`), `firing`, `resolved`. */
export type AlertState = 'pending' | 'firing' | 'resolved';

export const ALERT_STATES: readonly AlertState[] = ['pending', 'firing', 'resolved'];

/**
 * A rule crossed a threshold (budget, error spike, guardrail...). The first five fields are all a
 * one-shot producer needs (the cost analyzer's budgets, the Claude Code hook). The alert engine
 * (`alertsAnalyzer`) adds the lifecycle fields: one alert instance is identified by its
 * `fingerprint`, and each state change is one `alert` event. An event without `state` is a
 * one-shot alert: read it as `firing`.
 */
export interface AlertPayload {
  /** Stable name of the rule that fired, e.g. `cost.budget.daily`. */
  rule: string;
  message: string;
  value?: number;
  threshold?: number;
  details?: Record<string, unknown>;
  /** Lifecycle state; absent on one-shot alerts (read as `firing`). */
  state?: AlertState;
  /** Stable id of the alert instance (rule + labels), 16 hex digits; equal across its state changes. */
  fingerprint?: string;
  /** Identifying labels (Alertmanager style): `alertname`, `severity`, the grouping labels. */
  labels?: Record<string, string>;
  /** Descriptive labels: `summary`, `description`, `runbook_url`, ... */
  annotations?: Record<string, string>;
  /** When the alert started firing (pending: when the condition became true), ms since the epoch. */
  startsAt?: number;
  /** When it resolved (`resolved` only), ms since the epoch. */
  endsAt?: number;
  /** Set once a person acknowledged it through the API. */
  acknowledged?: boolean;
  /** Set when a silence matched it: the state change is recorded but not delivered. */
  silenced?: boolean;
}

/** What a guardrail decided about one tool call. */
export type GuardrailDecisionAction = 'block' | 'alert' | 'redact' | 'log';

/** One guardrail rule matched a tool call's input (phase `input`) or its output (phase `output`). */
export interface GuardrailDecisionPayload {
  /** Id of the rule that matched, e.g. `rm-rf-root-or-home`. */
  rule: string;
  action: GuardrailDecisionAction;
  /** Why, in words, for a person (and for the agent, on a block). */
  reason: string;
  toolName: string;
  /** SHA-256 (hex) of the canonical JSON of the inspected input or output: joinable, never the value. */
  inputHash: string;
  /** `input` (before the tool ran) or `output` (what the tool returned, before it reaches the model). */
  phase?: 'input' | 'output';
  /** Rule pack the rule came from: `default`, `secrets`, `exfiltration`, `destructive`, `injection`, `usage`, or the host's. */
  pack?: string;
  /** Whether the host enforced it (a `block` only stops the call when the observer enforces guardrails). */
  enforced?: boolean;
  toolCallId?: string;
}

export type InsightCategory = 'performance' | 'cost' | 'reliability' | 'efficiency' | 'quality';
export type InsightPriority = 'critical' | 'high' | 'medium' | 'low';

/** A finding turned into a recommendation by the insight engine (or a custom analyzer). */
export interface InsightPayload {
  /** Stable id of the rule/template that produced it, e.g. `tool.recurring_failure`. */
  rule: string;
  title: string;
  category: InsightCategory;
  priority: InsightPriority;
  /** 0..1 */
  confidence: number;
  recommendation: string;
  /** The figures behind the insight. */
  evidence?: Record<string, unknown>;
}

/** An observation that stands out statistically. */
export interface AnomalyPayload {
  /** Operation the anomaly concerns, e.g. `tool:Bash`, `llm:claude-sonnet-4-5`. */
  operation: string;
  method: 'zscore' | 'isolation_forest' | (string & {});
  /** z-score, or isolation-forest score in 0..1 (higher = more anomalous). */
  score: number;
  /** The feature values that drove the score, by name. */
  features: Record<string, number>;
  /** Id of the event that was scored. */
  eventId?: string;
}

/** A plugin (runner, analyzer, storage, exporter) failed; the failure was isolated. */
export interface PluginErrorPayload {
  plugin: string;
  kind: PluginKind;
  /** What the plugin was doing: `consume`, `snapshot`, `export`, `append`, `start`, ... */
  operation: string;
  message: string;
}

export type PluginKind = 'runner' | 'analyzer' | 'storage' | 'exporter' | 'transform';

/** Payload type of every built-in event type. */
export interface EventPayloads {
  'session.start': SessionStartPayload;
  'session.end': SessionEndPayload;
  'agent.start': AgentStartPayload;
  'agent.end': AgentEndPayload;
  'tool.start': ToolStartPayload;
  'tool.end': ToolEndPayload;
  'llm.call': LlmCallPayload;
  message: MessagePayload;
  metric: MetricPayload;
  log: LogPayload;
  alert: AlertPayload;
  insight: InsightPayload;
  anomaly: AnomalyPayload;
  'plugin.error': PluginErrorPayload;
  'guardrail.decision': GuardrailDecisionPayload;
}

export type BuiltinEventType = keyof EventPayloads;

export const BUILTIN_EVENT_TYPES: readonly BuiltinEventType[] = [
  'session.start',
  'session.end',
  'agent.start',
  'agent.end',
  'tool.start',
  'tool.end',
  'llm.call',
  'message',
  'metric',
  'log',
  'alert',
  'insight',
  'anomaly',
  'plugin.error',
  'guardrail.decision',
];

/**
 * A user-defined event type must carry a namespace that is not a built-in one:
 * `myapp.cache_hit`, `acme.retrieval.done`. Its payload is any JSON object.
 */
export type CustomEventType = `${string}.${string}`;

// ── Envelope ────────────────────────────────────────────────────────────────────────────

/** Fields every event carries, whatever its type. */
/**
 * Source prefix of the events analyzers put back on the bus (insights, anomalies, budget alerts):
 * `analyzer:<name>`. Such events describe activity; they are not activity of their session.
 */
export const DERIVED_SOURCE_PREFIX = 'analyzer:';

/** Whether an analyzer derived `event` (its source is `analyzer:<name>`). */
export function isDerivedEvent(event: { readonly source?: string }): boolean {
  return event.source !== undefined && event.source.startsWith(DERIVED_SOURCE_PREFIX);
}

export interface EventEnvelope {
  /** Unique id (1–128 printable characters). Generated when not given. */
  readonly id: string;
  /** Milliseconds since the Unix epoch. Defaults to the time of `emit`. */
  readonly timestamp: number;
  readonly severity: Severity;
  /** Who produced the event: `host`, a runner's name, `analyzer:<name>` (`isDerivedEvent`), ... */
  readonly source: string;
  /** OTel `gen_ai.conversation.id`. Defaults to the scope's session, then the observer's. */
  readonly sessionId: string;
  /** OTel `gen_ai.agent.id`. Defaults to the scope's agent, then `main`. */
  readonly agentId: string;
  /** Groups agents that work on one task (a planner and its workers). */
  readonly workflowId?: string;
  /** W3C trace id: 32 lowercase hex characters. */
  readonly traceId?: string;
  /** W3C span id: 16 lowercase hex characters. */
  readonly spanId?: string;
  readonly parentSpanId?: string;
  readonly tags?: readonly string[];
  /** Extra attributes; JSON values. Exported as span/metric attributes. */
  readonly attributes?: Readonly<Record<string, unknown>>;
  /** Set when a payload exceeded the size limit and was cut down (see `ObserverOptions.limits`). */
  readonly truncated?: boolean;
}

type BuiltinEventMap = {
  [T in BuiltinEventType]: EventEnvelope & { readonly type: T; readonly payload: Readonly<EventPayloads[T]> };
};

/** A validated event of a user-defined type. */
export type CustomEvent = EventEnvelope & {
  readonly type: CustomEventType;
  readonly payload: Readonly<Record<string, unknown>>;
};

/** Every validated event: narrow on `type` to get the payload's type. */
export type FleetEvent = BuiltinEventMap[BuiltinEventType] | CustomEvent;

/** A validated event of one built-in type. */
export type EventOf<T extends BuiltinEventType> = Extract<FleetEvent, { readonly type: T }>;

/**
 * Type guard that narrows an event to one built-in type, payload included. Prefer it to
 * `event.type === 'tool.end'`: TypeScript cannot rule out a custom type spelled `tool.end`
 * (custom types are any `namespace.name`), so a plain comparison leaves the payload untyped.
 */
export function isEventType<T extends BuiltinEventType>(event: FleetEvent, type: T): event is EventOf<T> {
  return event.type === type;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * What a host or runner passes to `emit`: the payload and type are required, every envelope
 * field is optional and filled in from the current scope and the observer's defaults.
 */
export type EventInputOf<T extends BuiltinEventType> = Partial<Mutable<EventEnvelope>> & {
  type: T;
  payload: EventPayloads[T];
};

/** Input of a user-defined event type `namespace.name`. */
export type CustomEventInput<T extends string = CustomEventType> = Partial<Mutable<EventEnvelope>> & {
  type: T;
  /**
   * Any JSON object. Typed `object` rather than a record so that an `EventInput` union value,
   * whose dotted built-in types TypeScript folds into the custom template, still type-checks.
   */
  payload?: object;
};

/**
 * The input type for one event type, inferred from the `type` literal: a built-in type must
 * carry its payload's required fields; any other type must be namespaced (`myapp.cache_hit`).
 * `observer.emit` is typed with it, so `emit({ type: 'tool.end', payload: { toolName } })`
 * fails to compile for the missing `status`.
 */
export type TypedEventInput<T extends string> = T extends BuiltinEventType
  ? EventInputOf<T>
  : T extends CustomEventType
    ? CustomEventInput<T>
    : never;

export type EventInput =
  | { [T in BuiltinEventType]: EventInputOf<T> }[BuiltinEventType]
  | (Partial<Mutable<EventEnvelope>> & { type: CustomEventType; payload?: Record<string, unknown> });
