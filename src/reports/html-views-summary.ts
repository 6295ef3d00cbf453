/**
 * Workflows (the `fleet` snapshot: parallelization ratio, critical path, potential saving),
 * insights (the `insights` snapshot) with the events behind each one, alerts and guardrail
 * blocks, and the list of those events, each with its event id as the anchor the links point to.
 */
import type { FleetEvent } from '../core/index.js';
import type { CostSnapshot } from '../analyzers/cost.js';
import type { FleetSnapshot } from '../analyzers/fleet.js';
import type { Insight, InsightsSnapshot } from '../analyzers/insights.js';
import { cut, esc, eventAnchor, eventHref, int, isoTime, ms, pct, usd } from './html-format.js';
import { evidenceEntries } from './evidence.js';
import type { CallBar, ReportModel } from './html-model.js';
import type { ResolvedHtmlOptions } from './html-options.js';

/** Most events listed in the page's event list. */
const MAX_LISTED = 1000;

export function workflowsView(fleet: FleetSnapshot | undefined): string {
  const out = [`<section id="view-workflows" class="view" data-view="workflows" data-workflows="${fleet?.workflows.length ?? 0}"><h2>Workflows</h2>`];
  if (fleet === undefined) return `${out[0]}<p class="empty">No fleet analyzer registered.</p></section>`;
  const shown = fleet.workflows.filter((w) => w.executions > 0);
  if (shown.length === 0) return `${out[0]}<p class="empty">No agent executions.</p></section>`;
  out.push(`<p class="note">From the fleet analyzer. Σ leaf execution: the summed wall time of the agent executions that started no subagent (a parent's time, which covers its children's, is not added again). Parallelization = (Σ − union) / (Σ − longest) over those leaf executions: 0 strictly sequential, 1 fully parallel. Potential saving: union of the leaves − the longest leaf, if they do not depend on each other.</p>`);
  out.push(`<table><thead><tr><th>Workflow</th><th>Session</th><th>State</th><th>Agents ok / failed / running</th><th>Wall clock</th><th>Σ leaf execution</th><th>Parallelization</th><th>Potential saving</th><th>Critical path</th></tr></thead><tbody>`);
  for (const w of shown) {
    const ratio = w.parallelizationRatio === null ? 'n/a' : w.parallelizationRatio.toFixed(2);
    out.push(
      `<tr class="workflow" data-workflow="${esc(w.workflowId)}" data-parallelization="${w.parallelizationRatio ?? ''}" data-critical-ms="${w.criticalPath.durationMs}" data-saving-ms="${w.potentialSavingMs}">` +
        `<td>${esc(w.workflowId)}</td><td>${esc(w.sessionId)}</td><td>${esc(w.state)}</td><td>${w.agents.completed} / ${w.agents.failed} / ${w.agents.running}</td>` +
        `<td>${esc(ms(w.wallClockMs))}</td><td>${esc(ms(w.leafExecutionMs))}</td><td class="num">${esc(ratio)}</td><td>${esc(ms(w.potentialSavingMs))}</td>` +
        `<td>${w.criticalPath.steps.map((s) => esc(s.name)).join(' → ')} (${esc(ms(w.criticalPath.durationMs))})</td></tr>`,
    );
  }
  out.push(`</tbody></table></section>`);
  return out.join('\n');
}

/** The events behind an insight: its own event id, else the calls where it applies (failures first for reliability, slowest first otherwise). */
function evidenceEvents(insight: Insight, model: ReportModel, cost: CostSnapshot | undefined, max: number): FleetEvent[] {
  const found: FleetEvent[] = [];
  const add = (e: FleetEvent | undefined) => {
    if (e !== undefined && found.length < max && !found.includes(e)) found.push(e);
  };
  // Event ids named in the evidence (`eventId`, or a list such as `eventIds: 'a, b'`).
  for (const value of Object.values(insight.evidence)) if (typeof value === 'string') for (const id of value.split(', ')) add(model.byId.get(id));
  const loc = insight.location ?? {};
  const op = loc.operation ?? '';
  const toolName = loc.toolName ?? (op.startsWith('tool:') ? op.slice(5) : undefined);
  const modelName = loc.model ?? (op.startsWith('llm:') ? op.slice(4) : undefined);
  const agentName = op.startsWith('agent:') ? op.slice(6) : undefined;
  if (insight.category === 'cost' && cost !== undefined) {
    for (const call of cost.top.calls) {
      if ((modelName === undefined || call.model === modelName) && (loc.agentId === undefined || call.agentId === loc.agentId) && (loc.sessionId === undefined || call.sessionId === loc.sessionId)) add(model.byId.get(call.eventId));
    }
  }
  if (toolName !== undefined || modelName !== undefined || loc.agentId !== undefined || loc.sessionId !== undefined || loc.workflowId !== undefined) {
    const match = (c: CallBar) =>
      (toolName === undefined || (c.kind === 'tool' && c.name === toolName)) &&
      (modelName === undefined || (c.kind === 'llm' && c.name === modelName)) &&
      (loc.agentId === undefined || c.agentId === loc.agentId) &&
      (loc.sessionId === undefined || c.sessionId === loc.sessionId) &&
      (loc.workflowId === undefined || c.event.workflowId === loc.workflowId || c.sessionId === loc.workflowId);
    const calls = model.calls.filter(match);
    const failing = (c: CallBar) => (c.status === 'error' || c.status === 'blocked' ? 1 : 0);
    calls.sort((a, b) => (insight.category === 'reliability' ? failing(b) - failing(a) : 0) || (b.durationMs ?? 0) - (a.durationMs ?? 0));
    for (const c of calls) add(c.event);
  }
  if (agentName !== undefined) {
    for (const s of model.sessions) for (const r of s.runs) if (r.name === agentName) add(r.endEvent ?? r.startEvent);
  }
  return found;
}

export function insightsView(model: ReportModel, insights: InsightsSnapshot | undefined, cost: CostSnapshot | undefined, options: ResolvedHtmlOptions, listed: Map<string, FleetEvent>): string {
  const list = (events: FleetEvent[]) =>
    events.length === 0 ? '' : `<div class="evidence-events">Events: ${events.map((e) => { listed.set(e.id, e); return `<a href="${esc(eventHref(e.id))}" data-event="${esc(e.id)}">${esc(cut(e.id, 40))}</a>`; }).join(' ')}</div>`;
  const out = [`<section id="view-insights" class="view" data-view="insights" data-insights="${insights?.insights.length ?? 0}"><h2>Insights</h2>`];
  if (insights === undefined) out.push(`<p class="empty">No insights analyzer registered.</p>`);
  else if (insights.insights.length === 0) out.push(`<p class="empty">Nothing to report: no analyzer found anything worth acting on.</p>`);
  else {
    const p = insights.byPriority;
    out.push(`<p>${p.critical} critical, ${p.high} high, ${p.medium} medium, ${p.low} low.</p><ol class="insights">`);
    for (const i of insights.insights) {
      const evidence = evidenceEntries(i.evidence, 10)
        .map(([label, text]) => `<span class="kv"><b>${esc(label)}</b> ${esc(text)}</span>`)
        .join(' ');
      out.push(
        `<li class="insight p-${esc(i.priority)}" data-rule="${esc(i.rule)}" data-priority="${esc(i.priority)}"><div class="ititle"><span class="badge">${esc(i.priority)}</span> ${esc(i.title)}</div>` +
          `<div class="meta">${esc(i.category)} · confidence ${esc(pct(i.confidence))} · effort ${esc(i.effort)}${i.occurrences > 1 ? ` · seen ${i.occurrences}×` : ''} · ${esc(i.rule)} from ${esc(i.source)}</div>` +
          `<div>Do: ${esc(i.recommendation)}</div><div>Impact: ${esc(i.impact)}</div>${evidence === '' ? '' : `<div class="evidence">${evidence}</div>`}${list(evidenceEvents(i, model, cost, options.maxEvidenceEvents))}</li>`,
      );
    }
    out.push(`</ol>`);
  }
  // Alerts and guardrail blocks.
  const blocked = model.calls.filter((c) => c.status === 'blocked');
  out.push(`<h3 id="alerts">Alerts and guardrail blocks</h3>`);
  if (model.alerts.length === 0 && blocked.length === 0) out.push(`<p class="empty" data-alerts="0" data-blocked="0">None.</p>`);
  else {
    out.push(`<table class="alerts" data-alerts="${model.alerts.length}" data-blocked="${blocked.length}"><thead><tr><th>Time</th><th>Kind</th><th>Session</th><th>Agent</th><th>What</th><th>Event</th></tr></thead><tbody>`);
    const rows = [
      ...model.alerts.map((e) => ({ e, kind: 'alert', what: `${String((e.payload as { rule?: unknown }).rule)}: ${String((e.payload as { message?: unknown }).message)}` })),
      ...blocked.map((c) => ({ e: c.event, kind: 'blocked tool call', what: `${c.name}${c.error !== undefined ? `: ${c.error}` : ''}` })),
    ].sort((a, b) => a.e.timestamp - b.e.timestamp);
    for (const { e, kind, what } of rows.slice(0, 500)) {
      listed.set(e.id, e);
      out.push(`<tr><td>${esc(isoTime(e.timestamp))}</td><td>${esc(kind)}</td><td>${esc(cut(e.sessionId, 24))}</td><td>${esc(cut(e.agentId, 24))}</td><td>${esc(cut(what, 200))}</td><td><a href="${esc(eventHref(e.id))}">${esc(cut(e.id, 40))}</a></td></tr>`);
    }
    out.push(`</tbody></table>`);
    if (rows.length > 500) out.push(`<p class="note">${int(rows.length - 500)} more not listed.</p>`);
  }
  out.push(`</section>`);
  return out.join('\n');
}

/** The events the page links to, each row anchored by its event id. */
export function eventsList(listed: Map<string, FleetEvent>, options: ResolvedHtmlOptions): string {
  const events = [...listed.values()].sort((a, b) => a.timestamp - b.timestamp).slice(0, MAX_LISTED);
  const out = [`<section id="view-events" class="view" data-view="events" data-events="${events.length}"><h2>Events referenced above</h2>`];
  if (events.length === 0) return `${out[0]}<p class="empty">None.</p></section>`;
  out.push(`<table class="events"><thead><tr><th>Event id</th><th>Time</th><th>Type</th><th>Session</th><th>Agent</th><th>Summary</th></tr></thead><tbody>`);
  for (const e of events) {
    out.push(`<tr id="${esc(eventAnchor(e.id))}" class="event"><td><code>${esc(e.id)}</code></td><td>${esc(isoTime(e.timestamp))}</td><td>${esc(e.type)}</td><td>${esc(cut(e.sessionId, 32))}</td><td>${esc(cut(e.agentId, 32))}</td><td>${esc(summary(e))}${content(e, options)}</td></tr>`);
  }
  out.push(`</tbody></table></section>`);
  return out.join('\n');
}

/** One line on what an event is, without its content (inputs, outputs, text). */
export function summary(e: FleetEvent): string {
  const p = e.payload as Record<string, unknown>;
  const reason = typeof p.error === 'string' ? ` — ${cut(p.error, 200)}` : '';
  switch (e.type) {
    case 'tool.end':
      return `${String(p.toolName)} ${String(p.status)}${typeof p.durationMs === 'number' ? ` in ${ms(p.durationMs)}` : ''}${reason}`;
    case 'tool.start':
      return `${String(p.toolName)} started`;
    case 'llm.call':
      return `${String(p.model)} ${String(p.status)}${typeof p.latencyMs === 'number' ? ` in ${ms(p.latencyMs)}` : ''}, ${int(Number(p.inputTokens ?? 0))} in / ${int(Number(p.outputTokens ?? 0))} out tokens${typeof p.costUsd === 'number' ? `, ${usd(p.costUsd)}` : ''}${reason}`;
    case 'agent.start':
    case 'agent.end':
      return `${String(p.name)}${p.status !== undefined ? ` ${String(p.status)}` : ''}${reason}`;
    case 'alert':
      return `${cut(p.rule, 80)}: ${cut(p.message, 200)}`;
    case 'anomaly':
      return `${cut(p.operation, 80)} ${cut(p.method, 40)} score ${String(p.score)}`;
    case 'insight':
      return cut(p.title, 200);
    default:
      return e.type;
  }
}

const CONTENT_FIELDS = ['input', 'output', 'text', 'message', 'fields'] as const;

function content(e: FleetEvent, options: ResolvedHtmlOptions): string {
  if (!options.includeContent) return '';
  const p = e.payload as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of CONTENT_FIELDS) {
    if (p[k] === undefined) continue;
    let text: string;
    try {
      text = typeof p[k] === 'string' ? (p[k] as string) : JSON.stringify(p[k]);
    } catch {
      text = String(p[k]);
    }
    parts.push(`<details class="content"><summary>${k}</summary><pre>${esc(cut(text, options.maxContentChars))}</pre></details>`);
  }
  return parts.join('');
}
