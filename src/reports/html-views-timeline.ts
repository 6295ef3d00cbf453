/**
 * The swim-lane timeline: one per session (most recent first), one lane per agent or subagent
 * (nested under its parent), tool and LLM calls as bars coloured by status, errors and guardrail
 * blocks marked, alerts as lines, agent runs as the lane's background, fan-out (a parent starting
 * a subagent) and fan-in (the subagent ending) as connectors, idle gaps (no call running) shaded,
 * and the critical path of the session's workflows drawn from the `fleet` snapshot. Positions come
 * from a d3-scale time → x scale; the page's script only zooms, pans and shows the hovered bar.
 */
import { scaleLinear } from 'd3-scale';
import type { FleetSnapshot } from '../analyzers/fleet.js';
import { cut, esc, ms, n2, isoTime, int } from './html-format.js';
import { busyIntervals, type CallBar, type ReportModel, type SessionModel } from './html-model.js';
import type { ResolvedHtmlOptions } from './html-options.js';

/** Width of the plot in SVG units; the page stretches it to the window. */
export const PLOT_WIDTH = 1000;
const LANE_HEIGHT = 24;
const BAR_HEIGHT = 12;

export function timelineView(model: ReportModel, fleet: FleetSnapshot | undefined, options: ResolvedHtmlOptions): string {
  const shown = model.sessions.slice(0, options.maxTimelineSessions);
  const parts: string[] = [
    `<section id="view-timeline" class="view" data-view="timeline" data-sessions="${model.sessions.length}" data-sessions-shown="${shown.length}">`,
    `<h2>Timeline</h2>`,
    `<p class="note">One lane per agent; bars are tool calls (upper) and LLM calls (lower), coloured by status; ▲ errors and ■ guardrail blocks are marked, alerts are red lines; shaded: idle (no call running for at least ${esc(ms(options.idleGapMinMs))}); the thick line is the critical path from the fleet analyzer. Wheel or +/− to zoom, drag to pan, double-click to reset.</p>`,
    `<div class="legend"><span class="sw s-success"></span>success <span class="sw s-error"></span>error <span class="sw s-blocked"></span>blocked <span class="sw s-unfinished"></span>unfinished <span class="sw llm"></span>LLM call <span class="sw idle"></span>idle <span class="sw crit"></span>critical path</div>`,
  ];
  if (shown.length === 0) parts.push(`<p class="empty">No events.</p>`);
  if (model.sessions.length > shown.length) {
    parts.push(`<p class="note">Showing the ${shown.length} most recent of ${int(model.sessions.length)} sessions (option <code>maxTimelineSessions</code>).</p>`);
  }
  for (const [i, s] of shown.entries()) parts.push(sessionTimeline(s, i, fleet, options));
  parts.push(`</section>`);
  return parts.join('\n');
}

function laneOrder(s: SessionModel): { agentId: string; depth: number }[] {
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const a of s.agents) {
    const parent = s.parentOf.get(a);
    if (parent !== undefined && s.agents.includes(parent)) {
      const list = children.get(parent) ?? [];
      list.push(a);
      children.set(parent, list);
    } else roots.push(a);
  }
  const out: { agentId: string; depth: number }[] = [];
  const seen = new Set<string>();
  const walk = (a: string, depth: number) => {
    if (seen.has(a)) return;
    seen.add(a);
    out.push({ agentId: a, depth });
    for (const c of children.get(a) ?? []) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  for (const a of s.agents) walk(a, 0); // parent cycles
  return out;
}

/**
 * The hover text of a bar, kept short because a page carries thousands of bars: the page's script
 * adds the kind and status (from the bar's classes), the agent (its lane), the end time (`data-e`,
 * ms after the session's start) and the event id (`data-id`).
 */
function tip(bar: CallBar): string {
  const text = `${bar.name}${bar.durationMs !== undefined ? ` · ${ms(bar.durationMs)}` : ''}`;
  return bar.error === undefined ? text : `${text}\n${cut(bar.error, 160)}`;
}

function sessionTimeline(s: SessionModel, index: number, fleet: FleetSnapshot | undefined, options: ResolvedHtmlOptions): string {
  const lanes = laneOrder(s);
  const laneIndex = new Map(lanes.map((l, i) => [l.agentId, i]));
  const span = Math.max(1, s.end - s.start);
  const x = scaleLinear().domain([s.start, s.start + span]).range([0, PLOT_WIDTH]);
  const height = Math.max(1, lanes.length) * LANE_HEIGHT;
  const laneY = (agentId: string) => (laneIndex.get(agentId) ?? 0) * LANE_HEIGHT;
  const w = (a: number, b: number) => n2(Math.max(0.4, x(b) - x(a)));

  // Most recent bars are kept when a session has more than the page should carry.
  const bars = s.calls.length > options.maxBarsPerSession ? [...s.calls].sort((a, b) => b.end - a.end).slice(0, options.maxBarsPerSession) : s.calls;
  const body: string[] = [];

  // Idle gaps: stretches with no tool or LLM call running.
  const busy = busyIntervals(s.calls);
  let idleMs = 0;
  let idleGaps = 0;
  let cursor = s.start;
  const gaps: [number, number][] = [];
  for (const [a, b] of [...busy, [s.end, s.end] as [number, number]]) {
    if (a - cursor >= options.idleGapMinMs && a > cursor) gaps.push([cursor, a]);
    cursor = Math.max(cursor, b);
  }
  for (const [a, b] of gaps) {
    idleMs += b - a;
    idleGaps++;
    body.push(`<rect class="idle" x="${n2(x(a))}" y="0" width="${w(a, b)}" height="${height}" data-t="${esc(`idle ${ms(b - a)}`)}"/>`);
  }
  // Lanes and agent runs.
  for (const [i, lane] of lanes.entries()) {
    body.push(`<rect class="lane${i % 2 === 1 ? ' odd' : ''}" x="0" y="${i * LANE_HEIGHT}" width="${PLOT_WIDTH}" height="${LANE_HEIGHT}"/>`);
  }
  let fanOut = 0;
  let fanIn = 0;
  for (const run of s.runs) {
    const end = run.end ?? s.end;
    const y = laneY(run.agentId);
    body.push(`<rect class="run r-${run.status}" x="${n2(x(run.start))}" y="${y + 1}" width="${w(run.start, end)}" height="${LANE_HEIGHT - 2}" data-t="${esc(`agent ${run.name} (${run.agentId})\n${run.status}, ${ms(end - run.start)}`)}"/>`);
    const parent = run.parentAgentId;
    if (parent !== undefined && laneIndex.has(parent) && parent !== run.agentId) {
      const py = laneY(parent) + LANE_HEIGHT / 2;
      const cy = y + LANE_HEIGHT / 2;
      fanOut++;
      body.push(`<line class="fan fan-out" x1="${n2(x(run.start))}" x2="${n2(x(run.start))}" y1="${py}" y2="${cy}"/>`);
      if (run.end !== undefined) {
        fanIn++;
        body.push(`<line class="fan fan-in" x1="${n2(x(run.end))}" x2="${n2(x(run.end))}" y1="${cy}" y2="${py}"/>`);
      }
    }
  }
  // Calls.
  let errors = 0;
  let blocked = 0;
  for (const bar of bars) {
    const y = laneY(bar.agentId) + (bar.kind === 'tool' ? 3 : 3 + BAR_HEIGHT / 2 + 3);
    const h = bar.kind === 'tool' ? BAR_HEIGHT / 2 + 2 : BAR_HEIGHT / 2;
    body.push(
      `<rect class="bar ${bar.kind} s-${bar.status}" x="${n2(x(bar.start))}" y="${y}" width="${w(bar.start, bar.end)}" height="${h}" data-id="${esc(bar.event.id)}" data-e="${bar.end - s.start}" data-t="${esc(tip(bar))}"/>`,
    );
    if (bar.status === 'error') {
      errors++;
      body.push(`<rect class="mark m-error" x="${n2(x(bar.end) - 0.6)}" y="${laneY(bar.agentId)}" width="1.2" height="3"/>`);
    } else if (bar.status === 'blocked') {
      blocked++;
      body.push(`<rect class="mark m-blocked" x="${n2(x(bar.end) - 0.6)}" y="${laneY(bar.agentId)}" width="1.2" height="3"/>`);
    }
  }
  for (const a of s.alerts) {
    const p = a.payload as { rule?: unknown; message?: unknown };
    body.push(`<line class="alert" x1="${n2(x(a.timestamp))}" x2="${n2(x(a.timestamp))}" y1="${laneY(a.agentId)}" y2="${laneY(a.agentId) + LANE_HEIGHT}" data-id="${esc(a.id)}" data-t="${esc(`alert ${cut(p.rule, 80)}\n${cut(p.message, 160)}\nevent ${a.id}`)}"/>`);
  }
  // Critical path of the session's workflows, from the fleet analyzer.
  const workflows = (fleet?.workflows ?? []).filter((wf) => wf.sessionId === s.sessionId && wf.criticalPath.steps.length > 0);
  const pathTexts: string[] = [];
  let pathSteps = 0;
  for (const wf of workflows) {
    let previous: { end: number; y: number } | undefined;
    for (const step of wf.criticalPath.steps) {
      if (!laneIndex.has(step.agentId)) continue;
      const y = laneY(step.agentId) + LANE_HEIGHT - 3;
      pathSteps++;
      body.push(`<rect class="crit" x="${n2(x(step.start))}" y="${y}" width="${w(step.start, step.end)}" height="3" data-t="${esc(`critical path: ${step.name}, ${ms(step.durationMs)}`)}"/>`);
      // A hand-over from one step to the next (a nested step starts inside its parent: no link).
      if (previous !== undefined && step.start >= previous.end) {
        body.push(`<line class="crit-link" x1="${n2(x(previous.end))}" y1="${previous.y + 1.5}" x2="${n2(x(step.start))}" y2="${y + 1.5}"/>`);
      }
      previous = { end: step.end, y };
    }
    pathTexts.push(`${esc(wf.workflowId)}: ${wf.criticalPath.steps.map((st) => esc(st.name)).join(' → ')} (${esc(ms(wf.criticalPath.durationMs))})`);
  }

  const labels = lanes
    .map((l, i) => {
      const name = s.agentNames.get(l.agentId);
      const label = name !== undefined && name !== l.agentId ? `${name} · ${l.agentId}` : l.agentId;
      return `<text x="${4 + l.depth * 10}" y="${i * LANE_HEIGHT + 16}" data-agent="${esc(l.agentId)}">${l.depth > 0 ? '↳ ' : ''}${esc(cut(label, 28))}</text>`;
    })
    .join('');
  const ticks = x.ticks(8).map((t) => `<text x="${n2((x(t) / PLOT_WIDTH) * 100)}%" y="12">${esc(ms(t - s.start))}</text>`).join('');
  const hidden = s.calls.length - bars.length;
  return [
    `<div class="session" data-session="${esc(s.sessionId)}" data-lanes="${lanes.length}" data-bars="${bars.length}" data-calls="${s.calls.length}" data-errors="${errors}" data-blocked="${blocked}" data-alerts="${s.alerts.length}" data-fan-out="${fanOut}" data-fan-in="${fanIn}" data-idle-gaps="${idleGaps}" data-idle-ms="${n2(idleMs)}" data-critical-steps="${pathSteps}">`,
    `<h3><span class="sess-dot" style="background:hsl(${(index * 67) % 360},60%,50%)"></span>Session ${esc(s.sessionId)} <small>${esc(isoTime(s.start))} · ${esc(ms(s.end - s.start))} · ${int(s.events)} events · ${int(s.calls.length)} calls${hidden > 0 ? ` (${int(hidden)} oldest not drawn, option <code>maxBarsPerSession</code>)` : ''}</small></h3>`,
    `<div class="tl"><svg class="tl-labels" width="190" height="${height}" role="img" aria-label="lanes">${labels}</svg>`,
    `<div class="tl-main"><div class="tl-tools"><button type="button" data-zoom="in">+</button><button type="button" data-zoom="out">−</button><button type="button" data-zoom="reset">reset</button></div>`,
    `<svg class="tl-plot" viewBox="0 0 ${PLOT_WIDTH} ${height}" preserveAspectRatio="none" height="${height}" data-t0="${s.start}" data-span="${span}">${body.join('')}</svg>`,
    `<svg class="tl-axis" height="16" width="100%">${ticks}</svg></div></div>`,
    pathTexts.length > 0 ? `<p class="crit-text">Critical path — ${pathTexts.join('; ')}</p>` : '',
    `</div>`,
  ].join('\n');
}
