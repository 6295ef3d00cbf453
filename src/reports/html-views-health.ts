/**
 * Capture health: where the events came from (by source and type), what the observer refused or
 * lost (invalid with reasons, repaired, dropped, plugin errors: `observer.stats()`), what the
 * readers skipped (runner health details, storage counters, the `capture` counters of the
 * input), what redaction replaced (the `redactions` snapshot: counts only, never a value), and
 * activity that no agent run accounts for.
 */
import type { FleetSnapshot } from '../analyzers/fleet.js';
import type { RedactionsSnapshot } from '../analyzers/redactions.js';
import { cut, esc, int } from './html-format.js';
import type { ReportModel } from './html-model.js';
import type { HtmlReportInput } from './html-options.js';
import { redactedLine } from './markdown.js';

const countRows = (map: Map<string, number> | [string, number][], attr: string) =>
  [...map].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, v]) => `<tr ${attr}="${esc(k)}" data-count="${v}"><td>${esc(cut(k, 60))}</td><td class="num">${int(v)}</td></tr>`).join('');

function counters(title: string, entries: Record<string, unknown> | undefined): string {
  const rows = Object.entries(entries ?? {}).filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean');
  if (rows.length === 0) return '';
  return `<h4>${esc(title)}</h4><table class="kv">${rows.map(([k, v]) => `<tr data-counter="${esc(k)}"><td>${esc(k)}</td><td class="num">${esc(typeof v === 'number' ? int(v) : cut(v, 120))}</td></tr>`).join('')}</table>`;
}

/** Values redacted, by group and category, from the `redactions` snapshot; empty when there is none. */
function redactionCounts(r: RedactionsSnapshot | undefined): string {
  if (r === undefined || typeof r.total !== 'number') return '';
  const line = redactedLine(r);
  const groups = `data-total="${r.total}" data-secrets="${r.secrets?.findings ?? 0}" data-secret-sessions="${r.secrets?.sessions ?? 0}" data-pii="${r.pii?.findings ?? 0}" data-pii-sessions="${r.pii?.sessions ?? 0}" data-events="${r.events}" data-sessions="${r.sessions}"`;
  return [
    `<div class="redactions" ${groups}><h4>Redaction</h4>`,
    `<p>${esc(line === undefined ? 'Nothing redacted.' : `${line}, in ${int(r.events)} events. Values are replaced before storage and export; counts only here.`)}</p>`,
    r.total > 0 ? `<table class="kv by-category">${countRows(Object.entries(r.byCategory ?? {}), 'data-category')}</table>` : '',
    `</div>`,
  ].join('');
}

export function healthView(model: ReportModel, input: HtmlReportInput, fleet: FleetSnapshot | undefined, redactions?: RedactionsSnapshot): string {
  const stats = input.stats;
  const ev = stats?.events;
  // Tool and LLM calls of agents that have no agent.start / agent.end in the store.
  const unattributed = new Map<string, number>();
  for (const c of model.calls) if (!model.agentsWithRuns.has(c.agentId)) unattributed.set(c.agentId, (unattributed.get(c.agentId) ?? 0) + 1);
  const unattributedCalls = [...unattributed.values()].reduce((a, b) => a + b, 0);
  const noStart = model.sessions.filter((s) => !model.sessionsWithStart.has(s.sessionId)).length;
  const pluginErrors = Object.entries(stats?.plugins ?? {}).filter(([, p]) => p.errors > 0);
  const out = [
    `<section id="view-health" class="view" data-view="health" data-events="${model.events.length}" data-invalid="${ev?.invalid ?? 0}" data-dropped="${stats?.dropped ?? 0}" data-sanitized="${ev?.sanitized ?? 0}" data-not-read="${input.eventsNotRead ?? 0}" data-unattributed-calls="${unattributedCalls}" data-sessions-without-start="${noStart}">`,
    `<h2>Capture health</h2>`,
    `<div class="cols"><div><h3>Events by source</h3><table class="by-source">${countRows(model.bySource, 'data-source')}</table>`,
    `<h3>Events by type</h3><table class="by-type">${countRows(model.byType, 'data-type')}</table></div><div>`,
    `<h3>Observer</h3><table class="kv">`,
    `<tr><td>events in the report</td><td class="num">${int(model.events.length)}</td></tr>`,
    (input.eventsNotRead ?? 0) > 0 ? `<tr><td>stored events not read (maxEvents)</td><td class="num">${int(input.eventsNotRead)}</td></tr>` : '',
    ev === undefined ? '' : `<tr><td>emitted</td><td class="num">${int(ev.emitted)}</td></tr><tr><td>accepted</td><td class="num">${int(ev.accepted)}</td></tr><tr><td>invalid (refused at the door)</td><td class="num">${int(ev.invalid)}</td></tr><tr><td>repaired (sanitized)</td><td class="num">${int(ev.sanitized)}</td></tr>`,
    stats === undefined ? '' : `<tr><td>dropped by a full buffer</td><td class="num">${int(stats.dropped)}</td></tr><tr><td>observer errors</td><td class="num">${int(stats.errors)}</td></tr>`,
    `</table>`,
    counters('Invalid events by reason', stats?.invalidReasons),
    counters('Repairs by kind', stats?.sanitized as Record<string, unknown> | undefined),
    redactionCounts(redactions),
  ];
  for (const [name, health] of Object.entries(stats?.runners ?? {})) out.push(counters(`Runner ${name} (${health.status})`, health.details));
  out.push(counters('Storage', stats?.storage));
  for (const [name, c] of Object.entries(input.capture ?? {})) out.push(counters(`Source ${name}`, c));
  if (pluginErrors.length > 0) out.push(`<h4>Plugin errors</h4><table class="kv">${pluginErrors.map(([n, p]) => `<tr><td>${esc(n)}</td><td class="num">${int(p.errors)}</td><td>${esc(cut(p.lastError ?? '', 160))}</td></tr>`).join('')}</table>`);
  out.push(`</div><div><h3>Unattributed activity</h3><table class="kv">`);
  out.push(`<tr><td>tool and LLM calls of agents with no agent run in the store</td><td class="num">${int(unattributedCalls)}</td></tr>`);
  out.push(`<tr><td>sessions with no session.start</td><td class="num">${int(noStart)}</td></tr>`);
  if (fleet !== undefined) {
    const q = fleet.dataQuality;
    out.push(`<tr><td>agent ends whose start was never seen (fleet)</td><td class="num">${int(q.orphanEnds)}</td></tr><tr><td>agents running past the stale limit (fleet)</td><td class="num">${int(q.stale)}</td></tr><tr><td>ends before their start (fleet)</td><td class="num">${int(q.negativeDurations)}</td></tr>`);
  }
  out.push(`</table>`);
  if (unattributed.size > 0) out.push(`<h4>By agent id</h4><table class="unattributed">${countRows([...unattributed].slice(0, 20), 'data-agent')}</table>`);
  out.push(`</div></div></section>`);
  return out.join('\n');
}
