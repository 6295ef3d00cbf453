/**
 * The span tree of one session for `fleetscope trace`: session → agents / turns → subagents →
 * tool and LLM calls, laid out from the stored events' span ids (a start and its end share a
 * span; `parentSpanId` names the parent). Each node keeps what its events say — start, duration,
 * status, tokens and cost of an LLM call — and the critical path is the one the `fleet` analyzer
 * computed (its steps are agent spans). Nothing here derives a figure an analyzer knows.
 */
import { isDerivedEvent, type FleetEvent } from '../core/index.js';
import type { FleetSnapshot } from '../analyzers/fleet.js';
import { createStyle, formatDuration, formatTokens, formatUsd } from './terminal.js';

export type TraceNodeKind = 'session' | 'agent' | 'tool' | 'llm';

export interface TraceNode {
  /** Span id (or the event id of a call without one). */
  id: string;
  kind: TraceNodeKind;
  name: string;
  agentId: string;
  /** ms since the epoch. */
  start: number;
  end?: number;
  /** From the end event (or the call's latency); absent while running. */
  durationMs?: number;
  /** Start − the session's first event. */
  offsetMs: number;
  /** `success`, `error`, `timeout`, `blocked`, `cancelled`, or `running` without an end. */
  status: string;
  error?: string;
  /** LLM calls: the four token counts summed. */
  tokens?: number;
  /** LLM calls: the cost the event carries (absent when its source gave none). */
  costUsd?: number;
  model?: string;
  /** On the critical path of the `fleet` analyzer. */
  critical: boolean;
  /** Ids of the events behind the node. */
  eventIds: string[];
  children: TraceNode[];
}

export interface TraceTree {
  sessionId: string;
  start: number;
  end: number;
  root: TraceNode;
  /** Critical path length (fleet analyzer), when it knows the session. */
  criticalPathMs?: number;
}

/** Builds the tree from one session's events (any order) and the fleet snapshot, if any. */
export function buildTraceTree(sessionId: string, events: readonly FleetEvent[], fleet?: FleetSnapshot): TraceTree {
  const sorted = [...events].filter((e) => e.sessionId === sessionId).sort((a, b) => a.timestamp - b.timestamp);
  // The session's extent is its activity's: an insight about it, emitted at the end of the analysis, is
  // not (as in the sessions analyzer, so `trace` and `sessions` give one duration).
  const activity = sorted.filter((e) => !isDerivedEvent(e));
  const span = activity.length > 0 ? activity : sorted;
  const first = span[0]?.timestamp ?? 0;
  const last = span.length > 0 ? span[span.length - 1]!.timestamp : 0;
  const critical = new Set<string>();
  let criticalPathMs: number | undefined;
  for (const wf of fleet?.workflows ?? []) {
    if (wf.sessionId !== sessionId) continue;
    for (const step of wf.criticalPath.steps) critical.add(step.id);
    criticalPathMs = Math.max(criticalPathMs ?? 0, wf.criticalPath.durationMs);
  }
  const root: TraceNode = {
    id: '',
    kind: 'session',
    name: `session ${sessionId}`,
    agentId: '',
    start: first,
    end: last,
    durationMs: last - first,
    offsetMs: 0,
    status: 'running',
    critical: false,
    eventIds: [],
    children: [],
  };
  const nodes = new Map<string, TraceNode>();
  const parents = new Map<TraceNode, string | undefined>();
  const node = (e: FleetEvent, kind: TraceNodeKind, name: string): TraceNode => {
    const id = e.spanId ?? e.id;
    let n = nodes.get(id);
    if (n === undefined) {
      n = { id, kind, name, agentId: e.agentId, start: e.timestamp, offsetMs: 0, status: 'running', critical: critical.has(id), eventIds: [], children: [] };
      nodes.set(id, n);
      parents.set(n, e.parentSpanId);
    }
    if (parents.get(n) === undefined && e.parentSpanId !== undefined) parents.set(n, e.parentSpanId);
    n.eventIds.push(e.id);
    return n;
  };
  const end = (n: TraceNode, e: FleetEvent, p: { status?: unknown; durationMs?: unknown; error?: unknown }) => {
    n.end = e.timestamp;
    n.status = typeof p.status === 'string' ? p.status : 'success';
    if (typeof p.durationMs === 'number') {
      n.durationMs = p.durationMs;
      if (n.eventIds.length === 1) n.start = e.timestamp - p.durationMs; // no start event seen
    } else n.durationMs = e.timestamp - n.start;
    if (typeof p.error === 'string') n.error = p.error;
  };

  for (const e of sorted) {
    const p = e.payload as Record<string, unknown>;
    switch (e.type) {
      case 'session.start':
        root.id ||= e.spanId ?? '';
        root.eventIds.push(e.id);
        break;
      case 'session.end':
        root.eventIds.push(e.id);
        root.status = typeof p.status === 'string' ? p.status : 'success';
        break;
      case 'agent.start':
        node(e, 'agent', p.parentAgentId !== undefined ? `${String(p.name)} (subagent ${e.agentId})` : String(p.name));
        break;
      case 'agent.end':
        end(node(e, 'agent', String(p.name)), e, p);
        break;
      case 'tool.start':
        node(e, 'tool', String(p.toolName));
        break;
      case 'tool.end':
        end(node(e, 'tool', String(p.toolName)), e, p);
        break;
      case 'llm.call': {
        const n = node(e, 'llm', String(p.model));
        const latency = typeof p.latencyMs === 'number' ? p.latencyMs : undefined;
        n.start = latency !== undefined ? e.timestamp - latency : e.timestamp;
        n.end = e.timestamp;
        if (latency !== undefined) n.durationMs = latency;
        n.status = String(p.status ?? 'success');
        n.model = String(p.model);
        n.tokens = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'].reduce((s, k) => s + (typeof p[k] === 'number' ? (p[k] as number) : 0), 0);
        if (typeof p.costUsd === 'number') n.costUsd = p.costUsd;
        if (typeof p.error === 'string') n.error = p.error;
        break;
      }
      default:
        break;
    }
  }
  if (root.status === 'running' && root.eventIds.length === 0) root.status = 'success';
  for (const [n, parentId] of parents) {
    const parent = parentId !== undefined ? nodes.get(parentId) : undefined;
    (parent !== undefined && parent !== n ? parent : root).children.push(n);
  }
  const order = (n: TraceNode) => {
    n.offsetMs = n.start - first;
    n.children.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
    n.children.forEach(order);
  };
  order(root);
  return { sessionId, start: first, end: last, root, ...(criticalPathMs !== undefined ? { criticalPathMs } : {}) };
}

export interface TraceRenderOptions {
  color?: boolean;
  /** Printed width available. Default 120. */
  width?: number;
}

/** The tree as text: one line per node with offset, duration, status, tokens and cost. */
export function renderTraceTree(tree: TraceTree, options: TraceRenderOptions = {}): string {
  const style = createStyle(options.color === true);
  const rows: { label: string; node: TraceNode }[] = [];
  const walk = (n: TraceNode, prefix: string, childPrefix: string) => {
    rows.push({ label: `${prefix}${n.kind === 'llm' ? `llm ${n.name}` : n.name}`, node: n });
    n.children.forEach((c, i) => {
      const lastChild = i === n.children.length - 1;
      walk(c, `${childPrefix}${lastChild ? '└─ ' : '├─ '}`, `${childPrefix}${lastChild ? '   ' : '│  '}`);
    });
  };
  walk(tree.root, '', '');
  const width = options.width ?? 120;
  const figures = (n: TraceNode) =>
    [
      `+${formatDuration(n.offsetMs)}`.padStart(10),
      formatDuration(n.durationMs).padStart(9),
      n.status.padEnd(9),
      n.tokens !== undefined ? `${formatTokens(n.tokens)} tok`.padStart(10) : ''.padStart(10),
      n.costUsd !== undefined ? formatUsd(n.costUsd).padStart(8) : ''.padStart(8),
    ].join(' ');
  const figureWidth = 50;
  const labelWidth = Math.max(20, Math.min(Math.max(...rows.map((r) => r.label.length)), width - figureWidth - 3));
  const out = rows.map(({ label, node }) => {
    const shown = label.length > labelWidth ? `${label.slice(0, labelWidth - 1)}…` : label.padEnd(labelWidth);
    const mark = node.critical ? style.magenta('◆') : ' ';
    let line = `${shown} ${mark} ${figures(node)}`.trimEnd();
    if (node.status === 'error' || node.status === 'timeout' || node.status === 'failed') line = style.red(line);
    else if (node.status === 'blocked') line = style.yellow(line);
    return node.error !== undefined && node.kind !== 'session' ? `${line}${style.dim(`  ${node.error.replace(/\s+/g, ' ').slice(0, 60)}`)}` : line;
  });
  const legend = `◆ critical path${tree.criticalPathMs !== undefined ? ` (${formatDuration(tree.criticalPathMs)})` : ''}; offsets from the session's first event at ${new Date(tree.start).toISOString()}`;
  return `${out.join('\n')}\n\n${style.dim(legend)}`;
}
