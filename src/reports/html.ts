/**
 * The HTML report: one self-contained page (styles, script and data inline; no network access
 * when opened) with a swim-lane timeline per session, the agent → tool → outcome flow, a token and
 * cost heatmap, latency histograms, workflows, insights with the events behind them, alerts and
 * guardrail blocks, and capture health. `renderHtmlReport` is pure (snapshots + stats + events in,
 * a string out), so the CLI and tests call it on replayed data; `htmlReport` reads them from an
 * observer. See docs/reports.md.
 */
import { MAX_QUERY_LIMIT, errorMessage, type EventQuery, type FleetEvent, type Observer, type ReportOptions } from '../core/index.js';
import type { CostSnapshot } from '../analyzers/cost.js';
import type { FleetSnapshot } from '../analyzers/fleet.js';
import type { InsightsSnapshot } from '../analyzers/insights.js';
import type { RedactionsSnapshot } from '../analyzers/redactions.js';
import type { AggregationSnapshot } from '../analyzers/types.js';
import { esc, int, pct, usd } from './html-format.js';
import { buildModel } from './html-model.js';
import { resolveOptions, type HtmlReportInput, type HtmlReportOptions } from './html-options.js';
import { page } from './html-page.js';
import { flowView } from './html-views-flow.js';
import { healthView } from './html-views-health.js';
import { heatmapView } from './html-views-heatmap.js';
import { latencyView } from './html-views-latency.js';
import { eventsList, insightsView, workflowsView } from './html-views-summary.js';
import { timelineView } from './html-views-timeline.js';

export type { HtmlReportInput, HtmlReportOptions } from './html-options.js';

/**
 * Renders the HTML report from snapshots, stats and events. Pure and synchronous; it computes no
 * figure an analyzer has (see docs/reports.md for where each figure comes from). Throws only on a
 * bug; `htmlReport` turns that into an error page.
 */
export function renderHtmlReport(input: HtmlReportInput): string {
  const options = resolveOptions(input);
  const snapshots: Record<string, unknown> = typeof input.snapshots === 'object' && input.snapshots !== null ? input.snapshots : {};
  const snapshot = <T>(name: string) => (typeof snapshots[name] === 'object' && snapshots[name] !== null ? (snapshots[name] as T) : undefined);
  const aggregation = snapshot<AggregationSnapshot>('aggregation');
  const cost = snapshot<CostSnapshot>('cost');
  const fleet = snapshot<FleetSnapshot>('fleet');
  const insights = snapshot<InsightsSnapshot>('insights');
  const model = buildModel(Array.isArray(input.events) ? input.events : []);
  const listed = new Map<string, FleetEvent>();
  const headline: [string, string][] = [
    ['Events', int(model.events.length)],
    ['Sessions', int(model.sessions.length)],
    ['Tool calls', int(model.calls.filter((c) => c.kind === 'tool').length)],
  ];
  isolated('headline', () => {
    if (aggregation !== undefined) headline.push(['Success rate', pct(aggregation.cumulative.successRate)]);
    if (cost !== undefined) {
      const t = cost.tokens;
      headline.push(['Tokens', int(t.input + t.output + t.cacheRead + t.cacheWrite)]);
      headline.push(['Cost (known)', `${usd(cost.totalUsd)} over ${int(cost.pricedCalls)} priced LLM calls${cost.unpricedCalls > 0 ? ` + ${int(cost.unpricedCalls)} unpriced` : ''}`]);
    }
    if (insights !== undefined) headline.push(['Insights', int(insights.insights.length)]);
    return '';
  });
  const views = [
    isolated('timeline', () => timelineView(model, fleet, options)),
    isolated('flow', () => flowView(model, aggregation, options)),
    isolated('heatmap', () => heatmapView(model, cost, options)),
    isolated('latency', () => latencyView(model, aggregation, options)),
    isolated('workflows', () => workflowsView(fleet)),
    isolated('insights', () => insightsView(model, insights, cost, options, listed)),
    isolated('health', () => healthView(model, input, fleet, snapshot<RedactionsSnapshot>('redactions'))),
  ];
  views.push(isolated('events', () => eventsList(listed, options)));
  return page({ title: options.title, generatedAt: options.generatedAt, headline, views });
}

export interface HtmlReportCallOptions extends HtmlReportOptions {
  /** Most stored events read (append order, oldest first); the rest are counted on the page. Default 500,000. */
  maxEvents?: number;
  /** Which stored events to read (session, agent, types, time range). Default all. */
  query?: Omit<EventQuery, 'limit' | 'cursor' | 'order'>;
}

/**
 * Flushes `observer`, reads its snapshots, stats and stored events (through `observer.query`),
 * and renders the HTML report. Never rejects: a failure gives a page that says what failed.
 */
export async function htmlReport(observer: Observer, options: HtmlReportCallOptions = {}): Promise<string> {
  options ??= {};
  const title = options.title ?? 'fleetscope report';
  try {
    await observer.flush();
    const maxEvents = typeof options.maxEvents === 'number' && options.maxEvents > 0 ? Math.floor(options.maxEvents) : 500_000;
    const events: FleetEvent[] = [];
    let cursor: string | undefined;
    let notRead = 0;
    do {
      const pageOf = await observer.query({ ...options.query, limit: MAX_QUERY_LIMIT, cursor });
      for (const e of pageOf.events) {
        if (events.length < maxEvents) events.push(e);
        else notRead++;
      }
      cursor = pageOf.nextCursor;
    } while (cursor !== undefined);
    return renderHtmlReport({ ...options, title, snapshots: observer.snapshot(), stats: observer.stats(), events, eventsNotRead: notRead });
  } catch (error) {
    return errorPage(title, error);
  }
}

/** `report` of `ObserverOptions.htmlReport`: what `observer.report({ format: 'html' })` calls. */
export const observerHtmlReport = (observer: Observer, options: ReportOptions): Promise<string> =>
  htmlReport(observer, { title: options.title, includeContent: options.includeContent });

/** One view's failure (a snapshot of an unexpected shape) is shown in its place; the other views render. */
function isolated(view: string, render: () => string): string {
  try {
    return render();
  } catch (error) {
    return `<section id="view-${view}" class="view" data-view="${view}" data-failed="true"><h2>${esc(view)}</h2><p class="empty">This view could not be rendered: ${esc(errorMessage(error))}</p></section>`;
  }
}

function errorPage(title: string, error: unknown): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1><p>The report could not be rendered: ${esc(errorMessage(error))}</p></body></html>\n`;
}
