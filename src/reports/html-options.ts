/**
 * Options of the HTML report, their defaults (filled in one place), and the input of the pure
 * renderer.
 */
import type { FleetEvent, ObserverStats } from '../core/index.js';
import type { PricingTable } from '../analyzers/pricing.js';

export interface HtmlReportOptions {
  /** Title of the page. Default `fleetscope report`. */
  title?: string;
  /** ms since the epoch printed as the generation time. Default `Date.now()`. */
  generatedAt?: number;
  /**
   * Embed tool inputs and outputs, agent inputs and outputs, message and log text in the page
   * (in the event list and the hover tips). Default `false`: the page is safe to share; it
   * carries names, statuses, timings, token counts, error and block reasons (cut to 200 characters).
   */
  includeContent?: boolean;
  /** Characters of one content value kept when `includeContent` is on. Default 2000. */
  maxContentChars?: number;
  /** Sessions drawn on the timeline, most recent first. Default 20. */
  maxTimelineSessions?: number;
  /** Call bars drawn per session (the most recent are kept; the rest are counted). Default 2000. */
  maxBarsPerSession?: number;
  /** Shortest stretch with no call running that is shaded as idle, ms. Default 1000. */
  idleGapMinMs?: number;
  /** Time buckets of the token and cost heatmap. Default 24. */
  heatmapBuckets?: number;
  /** Agents (rows) of the heatmap and of the flow, by activity; the rest are folded into `other`. Default 12. */
  maxAgents?: number;
  /** Tools of the flow and histograms per kind (tools, models), by calls; the rest fold into `other`. Default 12. */
  maxTools?: number;
  /** Events listed per insight as its evidence. Default 5. */
  maxEvidenceEvents?: number;
  /**
   * Prices used for the heatmap's cost cells of LLM calls that carry no `costUsd` (the row totals
   * are the `cost` analyzer's). Give the table you gave the `cost` analyzer. Default the shipped table.
   */
  pricing?: PricingTable;
}

/** What `renderHtmlReport` draws: the same snapshots, stats and events a host or the CLI has. */
export interface HtmlReportInput extends HtmlReportOptions {
  /** `observer.snapshot()`: each analyzer's results under its name. */
  snapshots: Record<string, unknown>;
  /** `observer.stats()`. */
  stats?: ObserverStats;
  /** The stored events, in append order (`observer.query` pages). */
  events: readonly FleetEvent[];
  /** Events the store held beyond what was read (see `htmlReport`'s `maxEvents`). Default 0. */
  eventsNotRead?: number;
  /**
   * Counters of the readers that produced the events, by source name (the CLI's lines read,
   * torn or skipped lines per file or store), shown in the capture-health panel. Default none.
   */
  capture?: Record<string, Record<string, number | string | boolean>>;
}

export type ResolvedHtmlOptions = Required<Omit<HtmlReportOptions, 'pricing'>> & { pricing: PricingTable | undefined };

export function resolveOptions(options: HtmlReportOptions): ResolvedHtmlOptions {
  const positive = (v: number | undefined, d: number) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : d);
  return {
    title: typeof options.title === 'string' && options.title !== '' ? options.title : 'fleetscope report',
    generatedAt: typeof options.generatedAt === 'number' ? options.generatedAt : Date.now(),
    includeContent: options.includeContent === true,
    maxContentChars: positive(options.maxContentChars, 2000),
    maxTimelineSessions: positive(options.maxTimelineSessions, 20),
    maxBarsPerSession: positive(options.maxBarsPerSession, 2000),
    idleGapMinMs: typeof options.idleGapMinMs === 'number' && options.idleGapMinMs >= 0 ? options.idleGapMinMs : 1000,
    heatmapBuckets: Math.min(200, positive(options.heatmapBuckets, 24)),
    maxAgents: positive(options.maxAgents, 12),
    maxTools: positive(options.maxTools, 12),
    maxEvidenceEvents: positive(options.maxEvidenceEvents, 5),
    pricing: options.pricing,
  };
}
