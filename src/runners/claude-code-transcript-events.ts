/**
 * The events one Claude Code transcript line stands for, for the transcripts runner: assistant
 * usage → `llm.call` (once per message id + request id, with the final figures of its streamed
 * copies: see `claude-code-streamed-calls.ts`), `tool_use` / `tool_result` → `tool.start`
 * / `tool.end` with the duration between them, a subagent's lines → its `agent.start` / `agent.end`
 * scope, and each session's first and last line → `session.start` / `session.end` (see
 * `claude-code-sessions.ts`). Knows nothing of files: the runner (`claude-code-transcripts.ts`)
 * reads them and hands each parsed line over with the file's session and subagent.
 */
import { RecentMap, traceIdFrom } from '../core/index.js';
import type { EventInput } from '../core/index.js';
import { spanIdFrom } from './claude-code-hooks.js';
import { TranscriptSessions } from './claude-code-sessions.js';
import { StreamedCalls } from './claude-code-streamed-calls.js';
import { contentBlocks, KNOWN_ENTRY_TYPES, progressUsageEntry, toUsageEntry } from './claude-code-transcript.js';

/** The file a line comes from: its session and, for a subagent's own file, the subagent. */
export interface TranscriptFile {
  sessionId: string;
  agentId: string | undefined;
}

/** What the mapping counts (the runner reports them in `health()`). */
export interface TranscriptEventCounters {
  unknownType: number;
  duplicates: number;
  llmCalls: number;
  toolStarts: number;
  toolEnds: number;
}

export interface TranscriptEventSettings {
  /** The events' `source`. */
  source: string;
  /** Tool calls waiting for their result, dedupe keys and sessions remembered; oldest dropped first. */
  maxTracked: number;
  /** Largest JSON kept for a tool input or error text. */
  maxValueBytes: number;
  /** Emit session events. */
  sessions: boolean;
  sessionIdleMs: number;
}

/**
 * Gives back the strings a line was parsed without (`CutLineParser` in `claude-code-lines.ts`):
 * every string read as text (prompts, error texts, tool inputs) goes through it.
 */
export interface LineText {
  /** The string `value` stands for, or `value` itself. */
  full(value: unknown): unknown;
  /** `value` with every stand-in inside it given back. */
  fullDeep(value: unknown): unknown;
}

/** A line parsed whole: nothing stands in for anything. */
export const WHOLE_LINE: LineText = { full: (value) => value, fullDeep: (value) => value };

interface PendingTool {
  timestamp: number;
  toolName: string;
  /** The call's span (hashed once, for its start and its end). */
  spanId: string;
  /** When a Bash command really started running, from its first `bash_progress` line. */
  runStart?: number;
}

/**
 * A Bash command that started this long after its tool_use waited for the user at the permission
 * prompt (progress times are whole seconds, and hooks run before the command: up to ≈ 2.6 s on the corpus).
 */
const PERMISSION_WAIT_MIN_MS = 5000;

/**
 * A `bash_progress` line (2.1.x writes one a second while a Bash command runs, with the seconds
 * elapsed): when the command really started. Before that the call waited, for the user's permission
 * (181 s on the corpus, for a command that then ran 3.5 s). Transcripts write no other trace of the prompt.
 */
function noteBashProgress(json: Record<string, unknown>, pendingTools: Map<string, PendingTool>): void {
  const data = json.data as { type?: unknown; elapsedTimeSeconds?: unknown } | undefined;
  const id = json.parentToolUseID;
  if (data?.type !== 'bash_progress' || typeof id !== 'string' || typeof data.elapsedTimeSeconds !== 'number') return;
  const pending = pendingTools.get(id);
  const at = typeof json.timestamp === 'string' ? parseTime(json.timestamp) : Number.NaN;
  // A subagent's Bash progress also names the Task that runs it: only a Bash call's own progress counts.
  if (pending === undefined || pending.toolName !== 'Bash' || pending.runStart !== undefined || Number.isNaN(at)) return;
  pending.runStart = Math.max(pending.timestamp, at - data.elapsedTimeSeconds * 1000);
}

/** The tool_use → result time split at the command's start: its run time and, when long enough, the permission wait before it. */
function bashRun(start: PendingTool | undefined, resultAt: number): { ranMs: number; permissionWaitMs?: number } | undefined {
  if (start?.runStart === undefined) return undefined;
  const wait = start.runStart - start.timestamp;
  return { ranMs: Math.max(0, resultAt - start.runStart), ...(wait >= PERMISSION_WAIT_MIN_MS ? { permissionWaitMs: wait } : {}) };
}

/** `s[i, i + n)` as a decimal number, or -1 when it is not n digits. */
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * `Date.parse(s)`, with the form Claude Code writes (`2025-06-17T08:40:12.072Z`) read by hand:
 * the same number (`Date.UTC` of its fields), at a third of the cost. Anything else, or a field
 * out of range, goes to `Date.parse`.
 */
export function parseTime(s: string): number {
  if (s.length !== 24 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46 || s.charCodeAt(23) !== 90) {
    return Date.parse(s);
  }
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  const ms = digits(s, 20, 3);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) {
    return Date.parse(s);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

function capJson(value: unknown, max: number): unknown {
  try {
    const json = JSON.stringify(value);
    if (json === undefined || json.length <= max) return value;
    return `${json.slice(0, max)}…`;
  } catch {
    return undefined;
  }
}

function textOf(content: unknown, max: number): string | undefined {
  if (typeof content === 'string') return content.slice(0, max);
  if (Array.isArray(content)) {
    const text = content
      .map((c) => (typeof c === 'object' && c !== null && typeof (c as { text?: unknown }).text === 'string' ? (c as { text: string }).text : ''))
      .join('\n');
    return text.slice(0, max);
  }
  return undefined;
}

/**
 * A refusal by the user at a permission prompt (Claude Code writes it as an error result): the
 * call was blocked by a person, it did not fail.
 */
const USER_REJECTION = /^(Error: )?(The user doesn't want to (proceed with this tool use|take this action)|User rejected tool use)/;

/**
 * The tool's own run time as Claude Code records it in `toolUseResult` (`durationMs`: Glob, WebFetch;
 * `durationSeconds`: WebSearch; `totalDurationMs`: Task / Agent). The time between the tool_use
 * and its result also holds the permission prompt, which the user may answer an hour later.
 */
function ownDurationMs(result: unknown): number | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as { durationMs?: unknown; durationSeconds?: unknown; totalDurationMs?: unknown };
  const ms = typeof r.durationMs === 'number' ? r.durationMs : typeof r.totalDurationMs === 'number' ? r.totalDurationMs : typeof r.durationSeconds === 'number' ? r.durationSeconds * 1000 : undefined;
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : undefined;
}

/** Text Claude Code writes on a user line that the user did not type (commands, their output, notices). */
const NOT_TYPED = /^(<command-|<local-command|<task-notification|<bash-|<user-memory-input|\[Request interrupted)/;

/**
 * What the user typed, for a main-transcript user line that is a prompt: its text, else undefined
 * (a tool result, a meta or compact-summary line, a slash command or its output, an interrupt).
 */
function promptText(json: Record<string, unknown>, strings: LineText): string | undefined {
  if (json.isMeta === true || json.isCompactSummary === true) return undefined;
  const content = strings.full((json.message as { content?: unknown } | undefined)?.content);
  let text: string | undefined;
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content) && content.length > 0 && content.every((b) => typeof b === 'object' && b !== null && (b as { type?: unknown }).type === 'text')) {
    text = content.map((b) => String(strings.full((b as { text?: unknown }).text) ?? '')).join('\n');
  }
  const trimmed = text?.trim();
  return trimmed === undefined || trimmed === '' || NOT_TYPED.test(trimmed) ? undefined : trimmed;
}

/** A 2.0.x sidechain's "Warmup" prompt (a content cut out by a CutLineParser is far longer: no need to give it back). */
function isWarmup(json: Record<string, unknown>): boolean {
  const message = json.message as { content?: unknown } | undefined;
  return typeof message === 'object' && message !== null && message.content === 'Warmup';
}

function isCopiedReminder(json: Record<string, unknown>, strings: LineText): boolean {
  const content = strings.full((json.message as { content?: unknown } | undefined)?.content);
  return typeof content === 'string' && content.startsWith('<system-reminder>');
}

/** Where a line's events go. */
interface LineScope {
  base: { timestamp: number; source: string; sessionId: string; agentId: string; traceId: string };
  sessionSpan: string;
  parentSpanId: string;
}

export interface TranscriptEvents {
  /**
   * Pushes the events of one parsed line to `out` (none for a duplicate or a line of another kind);
   * `strings` gives back what a `CutLineParser` cut out of it.
   */
  handleLine(file: TranscriptFile, json: Record<string, unknown>, out: EventInput[], strings?: LineText): void;
  /** Pushes the `session.end` of each session silent for `sessionIdleMs` at `now`. */
  endIdleSessions(now: number, out: EventInput[]): void;
  /** Pushes the `llm.call` of each response no copy came for since the previous call (once per caught-up poll). */
  releaseQuiet(out: EventInput[]): void;
  /** Pushes every `llm.call` still held back (end of a one-shot read, runner stopped). */
  flush(out: EventInput[]): void;
  /** Figures for the runner's `health()`. */
  health(): { pendingTools: number; sessionsStarted: number; sessionsEnded: number; heldCalls: number };
}

export function transcriptEvents(settings: TranscriptEventSettings, counters: TranscriptEventCounters): TranscriptEvents {
  const { source, maxTracked, maxValueBytes } = settings;
  const trackSessions = settings.sessions;
  const sessions = new TranscriptSessions(source, settings.sessionIdleMs, maxTracked);
  const pendingTools = new RecentMap<string, PendingTool>(maxTracked);
  const calls = new StreamedCalls(maxTracked, counters);
  const seenTools = new RecentMap<string, true>(maxTracked);
  /** Prompt lines by uuid: a session file copied twice (two project folders) gives its prompts once. */
  const seenPrompts = new RecentMap<string, true>(maxTracked);
  const startedAgents = new RecentMap<string, true>(maxTracked);
  /**
   * Subagent scopes still open, per session: a subagent whose Task result never arrives (compaction
   * agents, 2.0.x "Warmup" sidechains, interrupted tasks) is closed when its session ends, at its
   * last line, so it is never taken for an agent still running.
   */
  const openAgents = new Map<string, Map<string, { agentId: string; name: string; agentType?: string; traceId: string; parentSpanId: string; first: number; last: number }>>();
  /**
   * 1.0.x sidechains (Task subagents written into the main transcript, no `agentId`): each chain
   * starts at a sidechain line with `parentUuid: null`, and its lines follow `parentUuid`; each
   * chain is its own agent `sidechain-<first 8 of its root uuid>`.
   */
  const chainOf = new RecentMap<string, string>(maxTracked);
  function sidechainOf(json: Record<string, unknown>): string {
    const uuid = typeof json.uuid === 'string' ? json.uuid : undefined;
    const parent = typeof json.parentUuid === 'string' ? json.parentUuid : undefined;
    const chain = (parent !== undefined ? chainOf.get(parent) : undefined) ?? (parent === undefined && uuid !== undefined ? `sidechain-${uuid.slice(0, 8)}` : 'sidechain');
    if (uuid !== undefined) chainOf.set(uuid, chain);
    return chain;
  }
  /** Scopes a Task result already closed (its subagent's own lines may be read after it). */
  const endedAgents = new RecentMap<string, true>(maxTracked);
  function noteAgent(sessionId: string, span: string, agentId: string, name: string, agentType: string | undefined, traceId: string, parentSpanId: string, at: number): void {
    if (endedAgents.has(span)) return;
    let open = openAgents.get(sessionId);
    if (open === undefined) {
      if (openAgents.size >= maxTracked) openAgents.delete(openAgents.keys().next().value as string);
      openAgents.set(sessionId, (open = new Map()));
    }
    const known = open.get(span);
    if (known !== undefined) {
      if (at > known.last) known.last = at;
      return;
    }
    open.set(span, { agentId, name, ...(agentType !== undefined ? { agentType } : {}), traceId, parentSpanId, first: at, last: at });
  }
  function endIdleSessions(now: number, out: EventInput[]): void {
    const ended: EventInput[] = [];
    sessions.endIdle(now, ended);
    for (const e of ended) {
      calls.releaseSession(e.sessionId!, out);
      const open = openAgents.get(e.sessionId!);
      if (open !== undefined) {
        for (const [span, a] of open) {
          out.push({
            type: 'agent.end',
            timestamp: a.last,
            source,
            sessionId: e.sessionId!,
            agentId: a.agentId,
            traceId: a.traceId,
            spanId: span,
            parentSpanId: a.parentSpanId,
            payload: { name: a.name, parentAgentId: 'main', ...(a.agentType !== undefined ? { agentType: a.agentType } : {}), status: 'success', durationMs: a.last - a.first },
          });
        }
        openAgents.delete(e.sessionId!);
      }
      out.push(e);
    }
  }

  /** A session's trace and span ids, hashed once per session (not per line). */
  const idsBySession = new RecentMap<string, { traceId: string; sessionSpan: string }>(maxTracked);
  function sessionIds(sessionId: string): { traceId: string; sessionSpan: string } {
    let ids = idsBySession.get(sessionId);
    if (ids === undefined) idsBySession.set(sessionId, (ids = { traceId: traceIdFrom(sessionId), sessionSpan: spanIdFrom(`session:${sessionId}`) }));
    return ids;
  }
  const agentSpans = new RecentMap<string, string>(maxTracked);
  function agentSpanOf(sessionId: string, agentId: string): string {
    const key = `agent:${sessionId}:${agentId}`;
    let span = agentSpans.get(key);
    if (span === undefined) agentSpans.set(key, (span = spanIdFrom(key)));
    return span;
  }

  // The events below are written out key by key, not as `{ ...base, type, ... }`: in V8 a spread
  // followed by more keys builds a slow object (≈ 3 µs each against 0.1-0.2 µs for the literal),
  // and every event then went through the observer's validation in that shape.

  /**
   * The ids of a user or assistant line's events; notes the line in its session (and pushes its
   * `session.start`) and in its subagent's scope (and pushes its `agent.start`).
   */
  function openScope(sessionId: string, agentId: string, timestamp: number, cwd: string | undefined, warmup: boolean, out: EventInput[]): LineScope {
    const { traceId, sessionSpan } = sessionIds(sessionId);
    const agentSpan = agentId === 'main' ? undefined : agentSpanOf(sessionId, agentId);
    const parentSpanId = agentSpan ?? sessionSpan;
    const base = { timestamp, source, sessionId, agentId, traceId };
    if (trackSessions) sessions.see({ sessionId, timestamp, traceId, spanId: sessionSpan, cwd }, out);
    if (agentSpan !== undefined) {
      // What the agent is: `agent-acompact-*` compacts the context; a 2.0.x sidechain whose first
      // prompt is "Warmup" is Claude Code warming the prompt cache, not work the user asked for.
      const kind = agentId.startsWith('acompact-') ? 'compaction' : warmup ? 'warmup' : undefined;
      if (!startedAgents.has(agentSpan)) {
        startedAgents.set(agentSpan, true);
        const payload = kind !== undefined ? { name: kind, agentType: kind, parentAgentId: 'main' } : { name: agentId, parentAgentId: 'main' };
        out.push({ timestamp, source, sessionId, agentId, traceId, type: 'agent.start', spanId: agentSpan, parentSpanId: sessionSpan, payload });
        if (trackSessions) noteAgent(sessionId, agentSpan, agentId, kind ?? agentId, kind, traceId, sessionSpan, timestamp);
      } else if (trackSessions) noteAgent(sessionId, agentSpan, agentId, agentId, undefined, traceId, sessionSpan, timestamp);
    }
    return { base, sessionSpan, parentSpanId };
  }

  /** A tool call not seen before: noted as waiting for its result (true); a copy: false. */
  function claimTool(id: string, timestamp: number, toolName: string): boolean {
    if (seenTools.has(id)) return false;
    seenTools.set(id, true);
    pendingTools.set(id, { timestamp, toolName, spanId: spanIdFrom(`tool:${id}`) });
    return true;
  }

  function startTool(id: string, input: unknown, scope: LineScope, out: EventInput[]): void {
    const tool = pendingTools.get(id)!;
    counters.toolStarts++;
    const { timestamp, sessionId, agentId, traceId } = scope.base;
    out.push({
      timestamp,
      source,
      sessionId,
      agentId,
      traceId,
      type: 'tool.start',
      spanId: tool.spanId,
      parentSpanId: scope.parentSpanId,
      payload: { toolName: tool.toolName, toolCallId: id, input: capJson(input, maxValueBytes) },
    });
  }

  function handleLine(file: TranscriptFile, json: Record<string, unknown>, out: EventInput[], strings: LineText = WHOLE_LINE): void {
    const type = json.type;
    if (typeof type !== 'string' || !KNOWN_ENTRY_TYPES.has(type)) {
      counters.unknownType++;
      return;
    }
    if (type === 'progress') {
      noteBashProgress(json, pendingTools);
      noteEcho(file, json, out);
    }
    if (type !== 'assistant' && type !== 'user') return;
    const sessionId = typeof json.sessionId === 'string' && json.sessionId !== '' ? json.sessionId : file.sessionId;
    const lineAgent = typeof json.agentId === 'string' && json.agentId !== '' ? json.agentId : undefined;
    const agentId = file.agentId ?? lineAgent ?? (json.isSidechain === true ? sidechainOf(json) : 'main');
    const parsed = typeof json.timestamp === 'string' ? parseTime(json.timestamp) : Number.NaN;
    const timestamp = Number.isNaN(parsed) ? Date.now() : parsed;
    // A compaction agent's file opens with copies of the conversation's system reminders, stamped
    // with their first times (up to 20 min earlier on the corpus): context for it, not its work.
    if (type === 'user' && agentId.startsWith('acompact-') && isCopiedReminder(json, strings)) return;
    const scope = openScope(sessionId, agentId, timestamp, typeof json.cwd === 'string' ? json.cwd : undefined, type === 'user' && isWarmup(json), out);
    const { base, sessionSpan, parentSpanId } = scope;
    if (type === 'user' && agentId === 'main') {
      // A prompt: the user's turn begins (the prompt id names it in the hooks and the OTel export too).
      const text = promptText(json, strings);
      const uuid = typeof json.uuid === 'string' ? json.uuid : undefined;
      if (text !== undefined && (uuid === undefined || !seenPrompts.has(uuid))) {
        if (uuid !== undefined) seenPrompts.set(uuid, true);
        const promptId = typeof json.promptId === 'string' && json.promptId !== '' ? { id: json.promptId } : {};
        out.push({ timestamp, source, sessionId, agentId, traceId: base.traceId, type: 'message', parentSpanId: sessionSpan, payload: { role: 'user', kind: 'prompt', ...promptId, text: text.slice(0, maxValueBytes) } });
      }
    }
    if (type === 'assistant') {
      const entry = toUsageEntry(json);
      if (entry !== undefined && entry.model !== '<synthetic>') calls.own(entry, timestamp, json.isApiErrorMessage === true, { source, sessionId, agentId, traceId: base.traceId, parentSpanId }, out);
    }
    for (const block of contentBlocks(json)) {
      if (type === 'assistant' && block.type === 'tool_use' && typeof block.id === 'string') {
        if (claimTool(block.id, timestamp, typeof block.name === 'string' ? block.name : 'unknown')) startTool(block.id, strings.fullDeep(block.input), scope, out);
      } else if (type === 'user' && block.type === 'tool_result' && typeof block.tool_use_id === 'string') {
        const start = pendingTools.get(block.tool_use_id);
        if (start === undefined && !seenTools.has(block.tool_use_id)) {
          // The call started before what we read (fromStart: false) or in a file we do not follow.
          seenTools.set(block.tool_use_id, true);
        } else if (start === undefined) {
          continue; // a copy of a result already seen (resumed session)
        }
        pendingTools.delete(block.tool_use_id);
        counters.toolEnds++;
        const failed = block.is_error === true;
        const error = failed ? (textOf(strings.fullDeep(block.content), maxValueBytes) ?? 'tool error') : undefined;
        const rejected = error !== undefined && USER_REJECTION.test(error);
        endSubagent(json.toolUseResult, failed && !rejected, base, sessionSpan, out);
        const waited = start !== undefined ? Math.max(0, timestamp - start.timestamp) : undefined;
        const bash = bashRun(start, timestamp);
        const own = ownDurationMs(json.toolUseResult) ?? bash?.ranMs;
        const durationMs = own ?? waited;
        // Optional keys are added one by one, in the order a spread would give them (see `openScope`'s note).
        const payload: Record<string, unknown> = {
          toolName: start?.toolName ?? 'unknown',
          toolCallId: block.tool_use_id,
          status: rejected ? 'blocked' : failed ? 'error' : 'success',
        };
        if (durationMs !== undefined) payload.durationMs = durationMs;
        if (error !== undefined) payload.error = error;
        const end: EventInput = {
          timestamp,
          source,
          sessionId,
          agentId,
          traceId: base.traceId,
          type: 'tool.end',
          severity: rejected ? 'warning' : failed ? 'error' : 'info',
          spanId: start?.spanId ?? spanIdFrom(`tool:${block.tool_use_id}`),
          parentSpanId,
        };
        if (own !== undefined && waited !== undefined) {
          // Like the hooks' `claude_code.hook_duration_ms`: the time to the result, permission prompt included.
          const attributes: Record<string, unknown> = { 'claude_code.result_wait_ms': waited };
          if (bash?.permissionWaitMs !== undefined) attributes['claude_code.permission_wait_ms'] = bash.permissionWaitMs;
          end.attributes = attributes;
        }
        end.payload = payload;
        out.push(end);
      }
    }
  }

  /** The usage in an `agent_progress` echo of a subagent's message (its own file may be missing). */
  function noteEcho(file: TranscriptFile, json: Record<string, unknown>, out: EventInput[]): void {
    const entry = progressUsageEntry(json);
    if (entry === undefined || entry.model === '<synthetic>') return;
    const sessionId = entry.sessionId ?? file.sessionId;
    const agentId = entry.agentId ?? 'sidechain';
    const parsed = parseTime(entry.timestamp);
    calls.echo(entry, Number.isNaN(parsed) ? Date.now() : parsed, { source, sessionId, agentId, traceId: sessionIds(sessionId).traceId, parentSpanId: agentSpanOf(sessionId, agentId) }, out);
  }

  /**
   * The Task tool's result names the subagent it ran (`toolUseResult.agentId`, `agentType`,
   * `totalDurationMs`): that closes the subagent's scope. Its start is emitted first if its own
   * transcript has not been read yet.
   */
  function endSubagent(
    result: unknown,
    failed: boolean,
    base: { timestamp: number; source: string; sessionId: string; traceId: string },
    sessionSpan: string,
    out: EventInput[],
  ): void {
    if (typeof result !== 'object' || result === null) return;
    const r = result as { agentId?: unknown; agentType?: unknown; totalDurationMs?: unknown };
    if (typeof r.agentId !== 'string' || r.agentId === '') return;
    const agentId = r.agentId;
    const agentType = typeof r.agentType === 'string' && r.agentType !== '' ? r.agentType : undefined;
    const durationMs = typeof r.totalDurationMs === 'number' && r.totalDurationMs >= 0 ? r.totalDurationMs : undefined;
    const span = spanIdFrom(`agent:${base.sessionId}:${agentId}`);
    const { timestamp, source, sessionId, traceId } = base;
    const payload = { name: agentType ?? agentId, parentAgentId: 'main', ...(agentType !== undefined ? { agentType } : {}) };
    if (!startedAgents.has(span)) {
      startedAgents.set(span, true);
      out.push({ timestamp: timestamp - (durationMs ?? 0), source, sessionId, agentId, traceId, parentSpanId: sessionSpan, spanId: span, type: 'agent.start', payload });
    }
    openAgents.get(base.sessionId)?.delete(span);
    endedAgents.set(span, true);
    out.push({
      timestamp,
      source,
      sessionId,
      agentId,
      traceId,
      parentSpanId: sessionSpan,
      spanId: span,
      type: 'agent.end',
      payload: { ...payload, status: failed ? 'error' : 'success', ...(durationMs !== undefined ? { durationMs } : {}) },
    });
  }

  return {
    handleLine,
    // With sessions off nothing was seen, so there is nothing to end.
    endIdleSessions,
    releaseQuiet: (out) => calls.releaseQuiet(out),
    flush: (out) => calls.releaseAll(out),
    health: () => ({ pendingTools: pendingTools.size, sessionsStarted: sessions.started, sessionsEnded: sessions.ended, heldCalls: calls.size }),
  };
}
