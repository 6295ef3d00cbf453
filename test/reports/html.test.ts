import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createCoreObserver, createObserver, type FleetEvent } from 'fleetscope';
import { defaultAnalyzers } from 'fleetscope/analyzers';
import { htmlReport, renderHtmlReport } from 'fleetscope/reports';
import { readAll } from '../support/ack-writer.js';
import { BLOCKED_ID, EXPECTED, HOSTILE_ERROR, HOSTILE_TOOL, SECRET_INPUT, T0, fixtureEvents } from './html-fixture.js';

const OPTIONS = { heatmapBuckets: 4, idleGapMinMs: 900, generatedAt: T0 + 60_000 };

async function fixtureObserver(analyzers?: ReturnType<typeof defaultAnalyzers>) {
  const observer = createObserver({ clock: () => T0 + 20_000, analyzers });
  expect(observer.emitMany(fixtureEvents())).toBe(EXPECTED.events);
  await observer.flush();
  return observer;
}

/** The value of `attr` on the first tag that carries `marker` (a regex source) among its attributes. */
function attrOf(html: string, marker: string, attr: string): string | undefined {
  const tag = new RegExp(`<[a-z]+ [^>]*${marker}[^>]*>`).exec(html)?.[0];
  return tag === undefined ? undefined : new RegExp(`${attr}="([^"]*)"`).exec(tag)?.[1];
}

describe('renderHtmlReport / htmlReport', () => {
  it("draws a session's timeline over its activity, not up to an insight emitted about it later", () => {
    const ev = (id: string, type: string, dt: number, payload: Record<string, unknown>, source = 'host') =>
      ({ id, type, timestamp: T0 + dt, severity: 'info', source, sessionId: 'late', agentId: 'main', spanId: 'bbbbbbbbbbbbbbbb', payload }) as unknown as FleetEvent;
    const html = renderHtmlReport({
      snapshots: {},
      generatedAt: T0 + 60_000,
      events: [
        ev('l1', 'session.start', 0, { name: 'x' }),
        ev('l2', 'session.end', 260, { status: 'success', durationMs: 260 }),
        ev('l3', 'insight', 1_500, { rule: 'cost.budget_exceeded', title: 'over budget', priority: 'high' }, 'analyzer:insights'),
      ],
    });
    const header = /Session late <small>([^<]*)<\/small>/.exec(html)?.[1];
    expect(header).toContain(' · 260 ms · 3 events');
  });

  it('counts a priced model\'s call without usage as unpriced in the cost heatmap, not as $0', async () => {
    const observer = createObserver({ clock: () => T0 + 20_000 });
    const llm = (id: string, t: number, usage: Record<string, number>) => ({
      type: 'llm.call' as const, id, timestamp: t, sessionId: 'u1', agentId: 'solo',
      payload: { provider: 'anthropic', model: 'claude-sonnet-4-5', status: 'success' as const, latencyMs: 100, ...usage },
    });
    // 1,000 input + 100 output tokens of claude-sonnet-4-5 ($3 / $15 per M): $0.003 + $0.0015 = $0.0045.
    observer.emitMany([llm('priced', T0, { inputTokens: 1_000, outputTokens: 100 }), llm('no-usage', T0 + 1_000, {})]);
    await observer.flush();
    const html = await htmlReport(observer, { heatmapBuckets: 1, generatedAt: T0 + 60_000 });
    await observer.close();
    const costGrid = html.slice(html.indexOf('data-metric="cost"'));
    expect(Number(/data-agent="solo" data-bucket="0" data-value="([\d.]+)"/.exec(costGrid)?.[1])).toBeCloseTo(0.0045, 9);
    expect(costGrid).toContain('(2 calls, 1 unpriced)');
  });

  it('draws each view with the hand-computed figures of the fixture', async () => {
    const observer = await fixtureObserver();
    const html = await htmlReport(observer, OPTIONS);
    await observer.close();

    // Timeline of s1.
    const session = /<div class="session" [^>]*>/.exec(html)![0];
    const data = (k: string) => new RegExp(`data-${k}="([^"]*)"`).exec(session)?.[1];
    expect(data('session')).toBe('s1');
    expect(Number(data('lanes'))).toBe(EXPECTED.lanes);
    expect(Number(data('calls'))).toBe(EXPECTED.calls);
    expect(Number(data('errors'))).toBe(EXPECTED.errors);
    expect(Number(data('blocked'))).toBe(EXPECTED.blocked);
    expect(Number(data('alerts'))).toBe(EXPECTED.alerts);
    expect(Number(data('fan-out'))).toBe(EXPECTED.fanOut);
    expect(Number(data('fan-in'))).toBe(EXPECTED.fanIn);
    expect(Number(data('idle-gaps'))).toBe(EXPECTED.idleGaps);
    expect(Number(data('idle-ms'))).toBe(EXPECTED.idleMs);
    // Critical path (fleet): planner [0, 10 s] with worker-b nested, the longer-ending child.
    expect(Number(data('critical-steps'))).toBe(2);
    expect(html).toContain('Critical path — wf-1: planner → worker-b (10.00 s)');

    // Flow.
    expect(attrOf(html, 'data-node="tool" data-name="Bash"', 'data-count')).toBe(String(EXPECTED.flow.Bash));
    expect(attrOf(html, 'data-node="tool" data-name="Bash"', 'data-failure-share')).toBe(String(EXPECTED.bashFailureShare));
    expect(attrOf(html, 'data-node="tool" data-name="Bash"', 'data-mean-ms')).toBe(String(EXPECTED.bashMeanMs));
    expect(attrOf(html, 'data-node="outcome" data-name="success"', 'data-count')).toBe(String(EXPECTED.flow.success));
    expect(attrOf(html, 'data-node="outcome" data-name="blocked"', 'data-count')).toBe(String(EXPECTED.flow.blocked));
    expect(html).toContain('50% failed · mean 1.50 s');

    // Heatmap: cells from the events, row totals from the cost analyzer.
    for (const [agent, cell] of Object.entries(EXPECTED.heatmap)) {
      const tokens = new RegExp(`data-agent="${agent}" data-bucket="${cell.bucket}" data-value="(\\d+)"`).exec(html.slice(html.indexOf('data-metric="tokens"')));
      expect(Number(tokens?.[1]), agent).toBe(cell.tokens);
    }
    const costGrid = html.slice(html.indexOf('data-metric="cost"'));
    expect(Number(/data-agent="planner" data-bucket="0" data-value="([\d.]+)"/.exec(costGrid)?.[1])).toBeCloseTo(EXPECTED.costPlanner, 9);
    expect(Number(/data-agent="worker-a" data-bucket="3" data-value="([\d.]+)"/.exec(costGrid)?.[1])).toBeCloseTo(EXPECTED.costWorkerA, 9);
    expect(/data-agent="worker-b" data-bucket="3" data-value="0" data-t="worker-b, bucket 4: \$0\.0000 \(1 calls, 1 unpriced\)"/.test(costGrid)).toBe(true);
    expect(costGrid).toMatch(/<text class="row-total" [^>]*data-agent="planner">\$0\.0105<\/text>/);

    // Latency: Bash {1000, 2000}; the sketch interpolates p50 1500, p95 1950, p99 1990.
    expect(attrOf(html, 'data-kind="tool" data-name="Bash"', 'data-count')).toBe('2');
    expect(Number(attrOf(html, 'data-kind="tool" data-name="Bash"', 'data-p50'))).toBeCloseTo(1500, -1);
    expect(Number(attrOf(html, 'data-kind="tool" data-name="Bash"', 'data-p95'))).toBeCloseTo(1950, -1);
    expect(Number(attrOf(html, 'data-kind="tool" data-name="Bash"', 'data-p99'))).toBeCloseTo(1990, -1);

    // Workflows.
    expect(attrOf(html, 'data-workflow="wf-1"', 'data-parallelization')).toBe(String(EXPECTED.parallelization));
    expect(attrOf(html, 'data-workflow="wf-1"', 'data-saving-ms')).toBe(String(EXPECTED.potentialSavingMs));

    // Insights link to the events behind them, and those events are anchored by id.
    const unpriced = /<li class="insight[^"]*" data-rule="cost.unpriced_model"[\s\S]*?<\/li>/.exec(html)![0];
    expect(unpriced).toContain('href="#ev-e-llm-b"');
    expect(html).toContain('<tr id="ev-e-llm-b" class="event">');
    const failed = /<li class="insight[^"]*" data-rule="[^"]*" [^>]*>(?:(?!<\/li>)[\s\S])*failed in workflow wf-1[\s\S]*?<\/li>/.exec(html)![0];
    expect(failed).toContain('href="#ev-e-bash-b"');
    expect(failed).toContain(`href="#ev-${encodeURIComponent(BLOCKED_ID)}"`);
    expect(html).toContain('<tr id="ev-blk&quot;&lt;i&gt;1" class="event">');
    // Alerts and guardrail blocks.
    expect(/<table class="alerts" data-alerts="1" data-blocked="1">/.test(html)).toBe(true);

    // Capture health.
    expect(attrOf(html, 'data-source="host"', 'data-count')).toBe(String(EXPECTED.bySource.host));
    expect(attrOf(html, 'data-source="hooks"', 'data-count')).toBe(String(EXPECTED.bySource.hooks));
    expect(attrOf(html, 'data-view="health"', 'data-unattributed-calls')).toBe(String(EXPECTED.unattributedCalls));
    expect(attrOf(html, 'data-view="health"', 'data-invalid')).toBe('0');
  });

  it('escapes hostile text everywhere and embeds no content unless asked', async () => {
    const observer = await fixtureObserver();
    const html = await htmlReport(observer, OPTIONS);
    const withContent = await htmlReport(observer, { ...OPTIONS, includeContent: true, maxEvidenceEvents: 20 });
    await observer.close();
    for (const page of [html, withContent]) {
      expect(page.match(/<script/g)).toHaveLength(1); // the page's own script only
      expect(page).not.toContain(HOSTILE_TOOL);
      expect(page).not.toContain(HOSTILE_ERROR);
      expect(page).not.toContain('<img');
      expect(page).toContain('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;');
      // No network: a CSP that allows nothing to load, and no URL in any src or href.
      expect(page).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
      expect(page).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    }
    expect(html).not.toContain(SECRET_INPUT);
    // With content on, the Read call's input is shown under its row in the event list (the Read call is
    // evidence of the failed-agents insight of wf-1, whose calls are listed when up to 20 are allowed).
    expect(withContent).toMatch(new RegExp(`<tr id="ev-e-read" class="event">.*<summary>input</summary><pre>\\{&quot;path&quot;:&quot;${SECRET_INPUT}&quot;\\}</pre>`));
  });

  it('renderHtmlReport is pure: the same input gives the same page as htmlReport', async () => {
    // No insight events: the insights analyzer emits them on a timer, which would change the store between the two reads.
    const observer = await fixtureObserver(defaultAnalyzers({ insights: { emit: false } }));
    const viaObserver = await htmlReport(observer, OPTIONS);
    const events = await readAll(observer);
    const direct = renderHtmlReport({ ...OPTIONS, snapshots: observer.snapshot(), stats: observer.stats(), events });
    await observer.close();
    expect(direct).toBe(viaObserver);
  });

  it('observer.report({ format: "html" }) renders the page; a core observer falls back to escaped markdown', async () => {
    const observer = await fixtureObserver();
    const html = await observer.report({ format: 'html', title: 'Fleet <run>' });
    await observer.close();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>Fleet &lt;run&gt;</title>');
    expect(html).toContain('data-view="timeline"');

    const core = createCoreObserver();
    const fallback = await core.report({ format: 'html', title: '<b>x</b>' });
    await core.close();
    expect(fallback).toContain('<pre># &lt;b&gt;x&lt;/b&gt;');
  });

  it("the page's one script compiles (a syntax error would leave every view static)", () => {
    const html = renderHtmlReport({ snapshots: {}, events: [] });
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(() => new Script(script)).not.toThrow();
  });

  it('renders an empty store and bad input without throwing', () => {
    const empty = renderHtmlReport({ snapshots: {}, events: [] });
    expect(empty).toContain('<p class="empty">No events.</p>');
    expect(empty).toContain('No tool calls.');
    const odd = renderHtmlReport({ snapshots: { aggregation: null, fleet: 42 } as never, events: null as never, stats: undefined });
    expect(odd).toContain('data-view="health"');
  });
});
