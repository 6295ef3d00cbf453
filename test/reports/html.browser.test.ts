/// <reference lib="dom" />
/**
 * The HTML report in a real browser: headless Chromium (Debian `chromium`, installed in CI by
 * .ci/setup.d/40-chromium.sh) driven by playwright-core. The page must load with no console error
 * and no request beyond its own file, run its script (the CSP names it by hash), show the
 * hand-computed figures of the fixture in each view, zoom, pan, show hover tips, and jump to the
 * events an insight links to. Screenshots go to test-output/reports/ (gitignored).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { createObserver } from 'fleetscope';
import { htmlReport } from 'fleetscope/reports';
import { systemTool } from '../support/system-tool.js';
import { BLOCKED_ID, EXPECTED, T0, fixtureEvents } from './html-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = systemTool(CHROMIUM, ['--version'], 'The HTML report tests open the page in headless Chromium');
const OUT = join(__dirname, '..', '..', 'test-output', 'reports');

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

describe.runIf(hasChromium)('HTML report in headless Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const consoleErrors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const observer = createObserver({ clock: () => T0 + 20_000 });
    observer.emitMany(fixtureEvents());
    const html = await htmlReport(observer, { heatmapBuckets: 4, idleGapMinMs: 900, generatedAt: T0 + 60_000, title: 'Fixture <report>' });
    await observer.close();
    const file = join(OUT, 'fixture.html');
    writeFileSync(file, html);

    const { chromium } = await import('playwright-core');
    userDataDir = mkdtempSync(join(tmpdir(), 'fleetscope-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1300, height: 900 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => document.documentElement.dataset.painted !== undefined, undefined, { timeout: 20_000 });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('loads with no console error, no request but its own file, and runs its own script only', async () => {
    await page.screenshot({ path: join(OUT, 'fixture-full.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(requests).toHaveLength(1);
    const probe = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: unknown }).__pwned,
      images: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
      title: document.title,
      hostile: Array.from(document.querySelectorAll('[data-node="tool"]'), (n) => n.getAttribute('data-name')),
    }));
    expect(probe.pwned).toBeUndefined();
    expect(probe.images).toBe(0);
    expect(probe.scripts).toBe(1);
    expect(probe.title).toBe('Fixture <report>');
    expect(probe.hostile).toContain('<img src=x onerror="window.__pwned=1">');
  });

  it('timeline: lanes, calls, marks, fan-out/in, idle gaps and the critical path', async () => {
    const session = page.locator('.session[data-session="s1"]');
    await session.screenshot({ path: join(OUT, 'timeline.png') });
    const d = await session.evaluate((el) => ({ ...(el as HTMLElement).dataset }));
    expect(Number(d.lanes)).toBe(EXPECTED.lanes);
    expect(Number(d.calls)).toBe(EXPECTED.calls);
    expect(Number(d.errors)).toBe(EXPECTED.errors);
    expect(Number(d.blocked)).toBe(EXPECTED.blocked);
    expect(Number(d.fanOut)).toBe(EXPECTED.fanOut);
    expect(Number(d.fanIn)).toBe(EXPECTED.fanIn);
    expect(Number(d.idleGaps)).toBe(EXPECTED.idleGaps);
    expect(Number(d.idleMs)).toBe(EXPECTED.idleMs);
    // What is drawn matches the counts: 8 bars, 3 idle rects, 2 + 2 connectors, 2 critical-path steps.
    expect(await session.locator('rect.bar').count()).toBe(EXPECTED.calls);
    expect(await session.locator('rect.idle').count()).toBe(EXPECTED.idleGaps);
    expect(await session.locator('line.fan-out').count()).toBe(EXPECTED.fanOut);
    expect(await session.locator('line.fan-in').count()).toBe(EXPECTED.fanIn);
    expect(await session.locator('rect.crit').count()).toBe(2);
    expect(await session.locator('line.alert').count()).toBe(1);
    expect(await session.locator('.tl-labels text').allTextContents()).toEqual(['planner', '↳ worker-a', '↳ worker-b', 'ghost']);
    // The idle gap 3000 → 4000 ms of a 10 s session sits at 30% of the plot, 10% wide.
    const idle = await session.locator('rect.idle').first().evaluate((r) => [Number(r.getAttribute('x')), Number(r.getAttribute('width'))]);
    expect(idle).toEqual([300, 100]);
    await expect.poll(() => session.locator('.crit-text').textContent()).toContain('planner → worker-b (10.00 s)');
  });

  it('timeline: zoom, pan and hover work', async () => {
    const session = page.locator('.session[data-session="s1"]');
    const plot = session.locator('svg.tl-plot');
    await session.locator('[data-zoom="in"]').click();
    expect(await plot.getAttribute('viewBox')).toBe('250 0 500 96');
    const axis = await session.locator('.tl-axis text').allTextContents();
    // The visible window is now 2.5 s → 7.5 s: ticks every second (the first step ≥ 5 s / 8 among 1, 2, 5 × 10ⁿ ms).
    expect(axis).toEqual(['3.00 s', '4.00 s', '5.00 s', '6.00 s', '7.00 s']);
    const box = (await plot.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - box.width / 5, box.y + 10, { steps: 4 });
    await page.mouse.up();
    const [panned] = (await plot.getAttribute('viewBox'))!.split(' ').map(Number);
    expect(panned).toBeCloseTo(350, 0); // a fifth of the plot's width is a fifth of the 500-unit window
    await session.screenshot({ path: join(OUT, 'timeline-zoomed.png') });
    await plot.dblclick();
    expect(await plot.getAttribute('viewBox')).toBe('0 0 1000 96');
    await session.locator('rect.bar[data-id="e-bash-b"]').hover();
    const tip = page.locator('#tip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    const text = await tip.textContent();
    expect(text).toBe(
      'tool Bash · 1.00 s\nstatus error\n</script><script>window.__pwned=2</script>\nagent worker-b\nended 2025-06-01T12:00:06.500Z\nevent e-bash-b',
    ); // the hostile error shown as text, not run
  });

  it('flow, heatmap and latency show the hand-computed figures', async () => {
    await page.locator('#view-flow').screenshot({ path: join(OUT, 'flow.png') });
    await page.locator('#view-heatmap').screenshot({ path: join(OUT, 'heatmap.png') });
    await page.locator('#view-latency').screenshot({ path: join(OUT, 'latency.png') });
    const bash = page.locator('[data-node="tool"][data-name="Bash"]');
    expect(await bash.getAttribute('data-count')).toBe(String(EXPECTED.flow.Bash));
    expect(await bash.textContent()).toBe('Bash · 250% failed · mean 1.50 s');
    expect(await page.locator('[data-node="outcome"][data-name="blocked"]').getAttribute('data-count')).toBe('1');
    expect(await page.locator('path.link[data-source="worker-b"][data-target="Bash"]').getAttribute('data-value')).toBe('1');
    const tokens = page.locator('svg.heatmap[data-metric="tokens"]');
    for (const [agent, cell] of Object.entries(EXPECTED.heatmap)) {
      expect(await tokens.locator(`rect[data-agent="${agent}"][data-bucket="${cell.bucket}"]`).getAttribute('data-value')).toBe(String(cell.tokens));
    }
    const cost = page.locator('svg.heatmap[data-metric="cost"]');
    expect(Number(await cost.locator('rect[data-agent="planner"][data-bucket="0"]').getAttribute('data-value'))).toBeCloseTo(EXPECTED.costPlanner, 9);
    expect(await cost.locator('text.row-total[data-agent="worker-a"]').textContent()).toBe('$0.0075');
    const hist = page.locator('figure.hist[data-kind="tool"][data-name="Bash"]');
    expect(await hist.locator('rect.hbar').count()).toBe(2); // 1000 and 2000 ms fall in the first and last bins
    expect(await hist.locator('line.pline').count()).toBe(3);
    expect(await hist.locator('figcaption').textContent()).toBe('Bash 2 calls · p50 1.50 s · p95 1.95 s · p99 1.99 s · max 2.00 s');
  });

  it('workflows, insights with event links, alerts and capture health', async () => {
    await page.locator('#view-insights').screenshot({ path: join(OUT, 'insights.png') });
    await page.locator('#view-health').screenshot({ path: join(OUT, 'health.png') });
    const wf = page.locator('tr.workflow[data-workflow="wf-1"]');
    expect(await wf.locator('td.num').textContent()).toBe('0.67');
    expect(await wf.getAttribute('data-saving-ms')).toBe('1000');
    const failed = page.locator('li.insight', { hasText: 'failed in workflow wf-1' });
    const link = failed.locator(`a[data-event="${BLOCKED_ID.replace(/"/g, '\\"')}"]`);
    await link.click();
    const target = await page.evaluate(() => document.querySelector(':target')?.id);
    expect(target).toBe(`ev-${BLOCKED_ID}`);
    expect(await page.locator('table.alerts').getAttribute('data-alerts')).toBe('1');
    expect(await page.locator('table.alerts tbody tr').count()).toBe(2);
    const health = page.locator('#view-health');
    expect(await health.locator('tr[data-source="hooks"]').getAttribute('data-count')).toBe(String(EXPECTED.bySource.hooks));
    expect(await health.locator('tr[data-source="host"]').getAttribute('data-count')).toBe(String(EXPECTED.bySource.host));
    expect(await health.getAttribute('data-unattributed-calls')).toBe('1');
    expect(await health.locator('table.unattributed tr[data-agent="ghost"]').getAttribute('data-count')).toBe('1');
    expect(await health.locator('.redactions').getAttribute('data-total')).toBe('0'); // the fixture holds no secret
    expect(consoleErrors).toEqual([]);
  });

  it('capture health: what redaction replaced, from the redactions snapshot (counts only)', async () => {
    const aws = 'AKIAIOSFODNN7EXAMPLE';
    const observer = createObserver({ redact: true, clock: () => T0 });
    const output = (sessionId: string, text: string) => observer.emit({ type: 'tool.end', sessionId, timestamp: T0, payload: { toolName: 'Bash', status: 'success', output: text } });
    output('s1', `key ${aws}, mail alice.smith@example.com`); // 1 aws_key + 1 email
    output('s2', `again ${aws}`); // 1 aws_key
    output('s3', 'nothing to hide'); // none
    // The findings summaries are emitted while storage receives the batch: a second flush delivers them.
    await observer.flush();
    await observer.flush();
    const html = await htmlReport(observer, { generatedAt: T0 + 60_000 });
    await observer.close();
    expect(html).not.toContain(aws);
    const file = join(OUT, 'redactions.html');
    writeFileSync(file, html);
    const second = await context.newPage();
    try {
      await second.goto(pathToFileURL(file).href);
      const r = second.locator('#view-health .redactions');
      await r.screenshot({ path: join(OUT, 'redactions.png') });
      // secrets: 2 AWS keys in s1 and s2; personal data: 1 email in s1; 2 events, 2 sessions
      expect(await r.getAttribute('data-total')).toBe('3');
      expect(await r.getAttribute('data-secrets')).toBe('2');
      expect(await r.getAttribute('data-secret-sessions')).toBe('2');
      expect(await r.getAttribute('data-pii')).toBe('1');
      expect(await r.getAttribute('data-events')).toBe('2');
      expect(await r.locator('tr[data-category="aws_key"]').getAttribute('data-count')).toBe('2');
      expect(await r.locator('tr[data-category="email"]').getAttribute('data-count')).toBe('1');
      expect(await r.locator('p').textContent()).toBe('2 secrets redacted in 2 sessions; 1 personal data value redacted in 1 session, in 2 events. Values are replaced before storage and export; counts only here.');
    } finally {
      await second.close();
    }
    expect(consoleErrors).toEqual([]);
  });
});
