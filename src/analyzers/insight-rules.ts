/**
 * The built-in insight rule templates, keyed on finding kinds. Each phrases one kind of finding
 * as a recommendation with an impact and effort estimate. Evidence fields are read defensively:
 * a field that is absent simply leaves its words out.
 */
import type { InsightPriority } from '../core/index.js';
import type { InsightRule } from './insights.js';
import type { Finding } from './types.js';
import { msText, pClause, perHourText } from './figures.js';

const num = (f: Finding, ...keys: string[]): number | undefined => {
  for (const k of keys) if (typeof f.evidence[k] === 'number') return f.evidence[k] as number;
  return undefined;
};
const str = (f: Finding, ...keys: string[]): string | undefined => {
  for (const k of keys) if (typeof f.evidence[k] === 'string') return f.evidence[k] as string;
  return undefined;
};
const pct = (x: number | undefined) => (x === undefined ? '?' : `${(x * 100).toFixed(0)}%`);
const secs = (ms: number | undefined) => (ms === undefined ? '?' : msText(ms));
const where = (f: Finding) => f.location?.toolName ?? f.location?.operation ?? f.location?.agentId ?? f.location?.model ?? 'this operation';

export const BUILTIN_RULES: readonly InsightRule[] = [
  {
    id: 'tool.recurring_failure',
    kinds: ['pattern.recurring_failure'],
    category: 'reliability',
    priority: (f) => ((num(f, 'failureRate', 'errorRate') ?? 0) >= 0.8 ? 'critical' : 'high'),
    title: (f) => `${where(f)} fails ${pct(num(f, 'failureRate', 'errorRate'))} of the time`,
    recommendation: (f) => {
      const error = str(f, 'lastError', 'error', 'topError', 'message');
      return (
        `${where(f)} failed ${num(f, 'failures', 'errors') ?? '?'} of ${num(f, 'attempts', 'calls', 'total') ?? '?'} attempts` +
        (error !== undefined ? ` (last error: "${error.slice(0, 120)}")` : '') +
        '. Fix the cause or guard the call: validate its input first, retry transient errors with exponential backoff and a cap, ' +
        'and add a circuit breaker or fallback so agents stop calling it while it is down.'
      );
    },
    impact: (f) => `${pct(num(f, 'failureRate', 'errorRate'))} of ${num(f, 'attempts', 'calls', 'total') ?? '?'} calls fail; every failure costs a retry or a failed agent`,
    effort: 'medium',
  },
  {
    id: 'error.repeated_message',
    kinds: ['pattern.repeated_error', 'pattern.error_message', 'pattern.repeated_message'],
    category: 'reliability',
    recommendation: (f) => `The same error keeps coming back${str(f, 'message', 'error') ? ` ("${str(f, 'message', 'error')!.slice(0, 120)}")` : ''}: fix it once at its source rather than per call, or handle it explicitly.`,
    effort: 'medium',
  },
  {
    id: 'tool.retry_loop',
    kinds: ['pattern.retry_loop'],
    category: 'efficiency',
    recommendation: (f) => `${where(f)} is retried in a loop. Cap the retries (e.g. 3), back off exponentially with jitter, and surface the error to the agent instead of retrying blindly.`,
    effort: 'low',
  },
  {
    id: 'tool.repeated_call',
    kinds: ['pattern.repeated_call', 'pattern.repeated_calls', 'pattern.duplicate_call', 'pattern.repeated_identical_call'],
    category: 'efficiency',
    title: (f) => `${where(f)} is called again and again with the same input`,
    recommendation: (f) => `${where(f)} ran ${num(f, 'count', 'repeats', 'calls') ?? 'several'} times with an identical input in one session. Cache its result for the session (key: tool + stable-stringified input), or give the agent the earlier result in its context.`,
    impact: (f) => `${Math.max(0, (num(f, 'count', 'repeats', 'calls') ?? 1) - 1)} redundant calls per session`,
    effort: 'low',
  },
  {
    // A session a person drove (prompts typed, e.g. Claude Code): its length is the user's work, not a runaway loop.
    id: 'session.long_interactive',
    kinds: ['pattern.long_session'],
    when: (f) => (num(f, 'prompts') ?? 0) > 0,
    category: 'efficiency',
    title: (f) => `Session ${f.location?.sessionId ?? '?'} ran ${num(f, 'ratio') ?? '?'}× your median session, over ${num(f, 'prompts')} prompts`,
    recommendation: (f) =>
      `This session ran ${secs(num(f, 'durationMs'))} over ${num(f, 'prompts')} prompts (your median session: ${secs(num(f, 'medianMs'))}). ` +
      'A long conversation carries its whole history into every turn: each answer gets slower and costlier, and once the context fills, ' +
      'Claude Code compacts it and details are lost. Start a fresh session (/clear) when you move to a new task, /compact at natural breaks, ' +
      'and hand broad searches to a subagent so their output stays out of the main conversation.',
    impact: (f) => `${secs(num(f, 'durationMs'))} in one conversation, ${num(f, 'ratio') ?? '?'}× the median`,
    effort: 'low',
  },
  {
    id: 'session.long',
    kinds: ['pattern.long_session', 'pattern.session_outlier'],
    category: 'efficiency',
    recommendation: 'This session ran much longer than its peers: check it for loops, stuck tools or an over-broad task, and set a step or time limit per session.',
    effort: 'medium',
  },
  {
    id: 'agent.dominates_workflow',
    kinds: ['bottleneck.*'],
    when: (f) => f.evidence.reason === 'workflow_share',
    category: 'performance',
    recommendation: (f) =>
      `${where(f)} takes ${pct(num(f, 'impact', 'share', 'shareOfWallClock'))} of its workflow's wall time in its own work (time spent waiting for child agents excluded): ` +
      // Already one of parallel branches: splitting it is not the advice (its siblings were told the same).
      (f.evidence.alongsideOthers === true
        ? 'it already runs beside other agents and the workflow waits for it; give it faster tools or a faster model, or move part of its work to a branch that finishes earlier.'
        : 'split its work into parallel subtasks, or give it faster tools or a faster model.'),
    impact: (f) => `${secs(num(f, 'durationMs'))} of own work, ${pct(num(f, 'impact', 'share', 'shareOfWallClock'))} of the workflow's wall time`,
    effort: 'high',
  },
  {
    id: 'agent.slow',
    kinds: ['bottleneck.*'],
    when: (f) => f.evidence.reason === 'slow_agent',
    category: 'performance',
    title: (f) => f.title,
    recommendation: (f) => {
      const own = num(f, 'ownShare');
      const head = `${where(f)} is slow (mean ${secs(num(f, 'durationMs'))}, p95 ${secs(num(f, 'p95Ms'))}).`;
      if (own !== undefined && own < 0.5) {
        return `${head} ${pct(1 - own)} of its time it waits for its child agents: speed those up or run them in parallel first; its own work is ${pct(own)} of its time.`;
      }
      return `${head} Most of its time goes to ${f.kind === 'bottleneck.llm_api' ? 'LLM calls: stream responses, trim the prompt (cache the fixed prefix), lower max_tokens or route simple steps to a faster model' : 'tools: add timeouts, cache tool results, and run independent tool calls in parallel'}; or split its task.`;
    },
    impact: (f) => `${num(f, 'count') ?? '?'} runs of ${secs(num(f, 'durationMs'))} on average (${perHourText(num(f, 'frequencyPerHour') ?? 0, num(f, 'observedMs'))})`,
    effort: 'medium',
  },
  {
    id: 'llm.slow_calls',
    kinds: ['bottleneck.llm_api'],
    when: (f) => f.evidence.reason === undefined || f.evidence.reason === 'llm_latency',
    category: 'performance',
    recommendation: (f) => `LLM calls${f.location?.model ? ` to ${f.location.model}` : ''} are slow (${secs(num(f, 'p95Ms', 'p95', 'durationMs', 'meanMs'))}). Stream responses, trim the prompt (enable prompt caching for the fixed prefix), lower max_tokens, or route simple steps to a faster model.`,
    effort: 'medium',
  },
  {
    id: 'tool.slow',
    kinds: ['bottleneck.tool_execution', 'bottleneck.io', 'bottleneck.network'],
    when: (f) => f.evidence.reason === undefined || f.evidence.reason === 'slow_tool',
    category: 'performance',
    recommendation: (f) => `${where(f)} is slow (mean ${secs(num(f, 'durationMs', 'meanMs', 'mean'))}, p95 ${secs(num(f, 'p95Ms', 'p95'))}). Add a timeout, cache its results, run it in parallel with independent work, or replace it with a faster equivalent.`,
    impact: (f) =>
      num(f, 'count') !== undefined
        ? `${num(f, 'count')} calls of ${secs(num(f, 'durationMs', 'meanMs', 'mean'))} on average (${perHourText(num(f, 'frequencyPerHour') ?? 0, num(f, 'observedMs'))})`
        : 'not estimated',
    effort: 'medium',
  },
  {
    id: 'resource.pressure',
    kinds: ['bottleneck.cpu', 'bottleneck.memory'],
    category: 'performance',
    recommendation: (f) => `The process is under ${f.kind.endsWith('cpu') ? 'CPU' : 'memory'} pressure: limit concurrent agents, move heavy tool work out of the event loop (worker threads or a subprocess), and check for leaks.`,
    effort: 'medium',
  },
  {
    id: 'bottleneck.other',
    kinds: ['bottleneck.*'],
    category: 'performance',
    recommendation: (f) => `${where(f)} is a bottleneck: see the evidence and attack the largest share of wall time first.`,
    effort: 'medium',
  },
  {
    id: 'performance.regression',
    kinds: ['regression.latency'],
    category: 'performance',
    priority: (f) => regressionPriority(f),
    recommendation: (f) => `${where(f)} got slower than its baseline (${signed(num(f, 'change'))}${num(f, 'pValue') === undefined ? '' : `, ${pClause(num(f, 'pValue')!)}`}). Compare what changed since the baseline (model, prompt, tool version, input size) and roll back or fix it.`,
    impact: (f) => `${signed(num(f, 'change'))} on ${str(f, 'metric') ?? 'latency'} vs the baseline`,
    effort: 'medium',
  },
  {
    id: 'tokens.regression',
    kinds: ['regression.tokens'],
    category: 'cost',
    priority: (f) => regressionPriority(f),
    recommendation: (f) => `${where(f)} uses more tokens than its baseline (${signed(num(f, 'change'))}). Check for prompt growth (history not trimmed, larger tool outputs) and cap what goes into the context.`,
    effort: 'medium',
  },
  {
    id: 'reliability.regression',
    kinds: ['regression.success_rate', 'regression.*'],
    category: 'reliability',
    priority: (f) => regressionPriority(f),
    recommendation: (f) => `${where(f)} succeeds less often than its baseline (${str(f, 'metric') ?? 'success rate'} ${signed(num(f, 'change'))}). Look at the new errors since the baseline and fix or roll back.`,
    effort: 'medium',
  },
  {
    id: 'cost.unpriced_model',
    kinds: ['cost.unpriced_model'],
    category: 'cost',
    priority: 'medium',
    confidence: 1,
    recommendation: (f) => `Add a price for ${f.location?.model ?? 'this model'} so its spend is counted: costAnalyzer({ pricing: { '${f.location?.model ?? 'model'}': { input: <USD per 1M>, output: <USD per 1M> } } }) (and the same for fleetAnalyzer), or emit costUsd on its llm.call events.`,
    impact: (f) => `${num(f, 'calls') ?? '?'} calls and ${((num(f, 'inputTokens') ?? 0) + (num(f, 'outputTokens') ?? 0)).toLocaleString('en-US')} tokens of unknown cost (not $0)`,
    effort: 'low',
  },
  {
    id: 'cost.budget_exceeded',
    kinds: ['cost.budget_exceeded'],
    category: 'cost',
    priority: 'high',
    confidence: 1,
    recommendation: (f) => `The ${str(f, 'scope') ?? ''} budget of $${num(f, 'limitUsd') ?? '?'} was exceeded ($${(num(f, 'spentUsd') ?? 0).toFixed(4)}). Route routine steps to a cheaper model, enable prompt caching, and cap output tokens; raise the budget only if the spend is intended.`,
    impact: (f) => `$${((num(f, 'spentUsd') ?? 0) - (num(f, 'limitUsd') ?? 0)).toFixed(4)} over budget`,
    effort: 'medium',
  },
  {
    id: 'cost.prompt_caching',
    kinds: ['cost.cache_opportunity'],
    category: 'cost',
    recommendation: (f) => `Only ${pct(num(f, 'cacheHitRatio'))} of ${f.location?.model ?? 'the model'}'s input came from the prompt cache. Put the stable prefix (system prompt, tool definitions, long documents) first and mark it cacheable (Anthropic cache_control); cached reads cost a tenth of fresh input.`,
    impact: (f) => `up to $${(num(f, 'maxSavingsUsd') ?? 0).toFixed(4)} saved on the input observed so far`,
    effort: 'low',
  },
  {
    id: 'cost.concentration',
    kinds: ['cost.concentration'],
    category: 'cost',
    recommendation: (f) => `${f.location?.agentId ?? 'One agent'} accounts for ${pct(num(f, 'share'))} of the spend: it is the first place to try a cheaper model, shorter prompts or fewer calls.`,
    effort: 'medium',
  },
  {
    id: 'fleet.parallelize',
    kinds: ['fleet.low_parallelization'],
    category: 'efficiency',
    priority: 'medium',
    title: (f) => `${f.location?.workflowId !== undefined ? `Workflow ${f.location.workflowId} runs` : 'A workflow runs'} its agents one after another: up to ${secs(num(f, 'potentialSavingMs'))} of ${secs(num(f, 'wallClockMs'))} could be saved`,
    recommendation: (f) => `The workflow's agents ran almost sequentially (parallelization ratio ${num(f, 'parallelizationRatio') ?? '?'}). Start the agents that do not depend on each other together (Promise.all / parallel subagents); keep sequential only the steps that need an earlier result.`,
    impact: (f) => `up to ${secs(num(f, 'potentialSavingMs'))} of the ${secs(num(f, 'wallClockMs'))} wall clock saved per run, if its agents do not depend on each other (${secs(num(f, 'leafExecutionMs'))} of agent work)`,
    effort: 'medium',
  },
  {
    id: 'fleet.slow_agent',
    kinds: ['fleet.slow_agent'],
    category: 'performance',
    recommendation: (f) => `${where(f)} ran ${num(f, 'timesMedian') ?? '?'}× longer than the median agent of its workflow: look at its slowest tool and LLM calls, split its task, or give it a deadline.`,
    effort: 'medium',
  },
  {
    id: 'fleet.failed_agents',
    kinds: ['fleet.failed_agents'],
    category: 'reliability',
    recommendation: (f) => `Agent executions failed (${str(f, 'names') ?? ''}). Handle their errors in the parent (retry the agent once, or continue with partial results) and fix the failing step.`,
    effort: 'medium',
  },
  {
    id: 'fleet.stuck_agent',
    kinds: ['fleet.stuck_agent'],
    category: 'reliability',
    priority: 'high',
    recommendation: 'An agent started and never ended: give agents a timeout (AbortSignal) and make sure every path ends the agent span.',
    effort: 'low',
  },
  {
    id: 'anomaly.outlier',
    kinds: ['anomaly.*'],
    category: 'quality',
    priority: (f) => (f.severity === 'high' || f.severity === 'critical' ? 'medium' : 'low'),
    recommendation: (f) =>
      `${where(f)} behaved unusually${str(f, 'method') ? ` (${str(f, 'method')})` : ''}${num(f, 'maxScore', 'score') !== undefined ? `, score ${num(f, 'maxScore', 'score')!.toFixed(2)}` : ''}. ` +
      `Inspect ${str(f, 'eventId') !== undefined ? `event ${str(f, 'eventId')} and ` : ''}the events around it; if it recurs, it is a regression or a bad input in the making.`,
    effort: 'low',
  },
  {
    id: 'data.quality',
    kinds: ['aggregation.*'],
    category: 'quality',
    priority: 'low',
    recommendation: (f) => `Telemetry quality issue: ${f.title}. Check the instrumentation that produces these events (clocks, missing end events, units).`,
    effort: 'low',
  },
];

function regressionPriority(f: Finding): InsightPriority {
  const cls = str(f, 'classification');
  if (cls === 'severe') return 'high';
  if (cls === 'moderate') return 'medium';
  if (cls === 'minor') return 'low';
  return f.severity === 'critical' ? 'critical' : f.severity === 'high' ? 'high' : f.severity === 'medium' ? 'medium' : 'low';
}

function signed(change: number | undefined): string {
  return change === undefined ? '?' : `${change >= 0 ? '+' : ''}${(change * 100).toFixed(0)}%`;
}
