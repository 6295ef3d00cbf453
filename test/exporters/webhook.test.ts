import { afterEach, describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { slackEscape, webhookExporter } from '../../src/exporters/webhook.js';
import { deadPort, ev, loopback, type Loopback } from './helpers.js';

const alert = (n: number) =>
  ev('alert', { rule: 'cost.budget', message: `spent ${n}`, value: 12.5, threshold: 10 }, { severity: 'warning' });
const insight = ev('insight', {
  rule: 'tool.recurring_failure',
  title: 'Bash fails <often> & loudly',
  category: 'reliability',
  priority: 'high',
  confidence: 0.8,
  recommendation: 'Check the command',
});

function bodies(server: Loopback) {
  return server.received.map((r) => JSON.parse(r.body.toString('utf8')));
}

describe('webhookExporter', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('delivers alerts and insights as generic JSON, and skips other types', async () => {
    server = await loopback();
    const w = webhookExporter({ url: `${server.url}/hook`, headers: { authorization: 'Bearer t' } });
    expect(await w.export([alert(1), ev('tool.end', { toolName: 'x', status: 'success' }), insight])).toEqual({ code: 'success' });
    await w.flush!();
    expect(server.received).toHaveLength(1);
    const req = server.received[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hook');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe('Bearer t');
    const body = bodies(server)[0];
    expect(body.source).toBe('fleetscope');
    expect(body.events.map((e: { type: string }) => e.type)).toEqual(['alert', 'insight']);
    expect(body.events[0].payload).toEqual({ rule: 'cost.budget', message: 'spent 1', value: 12.5, threshold: 10 });
    expect(w.stats!()).toMatchObject({ queued: 2, delivered: 2, requests: 1, failedRequests: 0, dropped: 0 });
    await w.shutdown();
  });

  it('formats Slack messages as { text, blocks } with mrkdwn escaping', async () => {
    server = await loopback();
    const w = webhookExporter({ url: server.url, format: 'slack' });
    await w.export([alert(3), insight]);
    await w.shutdown();
    const body = bodies(server)[0];
    expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
    expect(body.text).toBe(
      '[fleetscope] 2 events: Alert cost.budget (warning): spent 3; Insight tool.recurring_failure (high reliability): Bash fails <often> & loudly',
    );
    expect(body.blocks).toHaveLength(2);
    expect(body.blocks[0].type).toBe('section');
    expect(body.blocks[0].text.type).toBe('mrkdwn');
    expect(body.blocks[0].text.text).toBe(
      ':rotating_light: *Alert: cost.budget* (warning)\nspent 3\nvalue *12.5* (threshold 10)\nsession `s1` · agent `main` · 2023-11-14T22:13:20.000Z',
    );
    expect(body.blocks[1].text.text).toContain(
      ':bulb: *Insight: Bash fails &lt;often&gt; &amp; loudly* (high priority, reliability, confidence 80%)\nCheck the command',
    );
    expect(slackEscape('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });

  it('retries 5xx with backoff, then succeeds', async () => {
    server = await loopback((_req, res, i) => {
      res.statusCode = i < 2 ? 503 : 200;
      res.end();
    });
    const w = webhookExporter({ url: server.url, retryBaseMs: 10, maxRetries: 3 });
    await w.export([alert(1)]);
    await w.flush!();
    expect(server.received).toHaveLength(3);
    expect(bodies(server).map((b) => b.events[0].id)).toEqual(Array(3).fill(bodies(server)[0].events[0].id));
    expect(w.stats!()).toMatchObject({ delivered: 1, requests: 3, failedRequests: 2, retries: 2, failedEvents: 0 });
    await w.shutdown();
  });

  it('respects Retry-After on 429 and does not retry other 4xx', async () => {
    server = await loopback((req, res, i) => {
      if (req.url === '/bad') {
        res.statusCode = 400;
        return res.end();
      }
      if (i === 0) {
        res.writeHead(429, { 'Retry-After': '1' });
        return res.end();
      }
      res.end();
    });
    const w = webhookExporter({ url: server.url, retryBaseMs: 1 });
    const t0 = Date.now();
    await w.export([alert(1)]);
    await w.flush!();
    // The backoff would be 1 ms; Retry-After asked for a full second.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(w.stats!()).toMatchObject({ delivered: 1, requests: 2, retries: 1 });

    const bad = webhookExporter({ url: `${server.url}/bad`, retryBaseMs: 1 });
    await bad.export([alert(2)]);
    await bad.flush!();
    expect(bad.stats!()).toMatchObject({ delivered: 0, requests: 1, retries: 0, failedEvents: 1, lastStatus: 400 });
  });

  it('counts a dead endpoint (connection refused) as failures without throwing', async () => {
    const port = await deadPort();
    const w = webhookExporter({ url: `http://127.0.0.1:${port}/`, retryBaseMs: 1, maxRetries: 2 });
    expect(await w.export([alert(1), alert(2)])).toEqual({ code: 'success' });
    await w.flush!();
    expect(w.stats!()).toMatchObject({ delivered: 0, requests: 3, failedRequests: 3, retries: 2, failedEvents: 2 });
    await expect(w.shutdown()).resolves.toBeUndefined();
  });

  it('times out a server that never answers, and export() never waits for it', async () => {
    server = await loopback(() => {
      /* never answers */
    });
    // A timeout long enough that a loaded machine's event loop still reads each request before it fires.
    const w = webhookExporter({ url: server.url, timeoutMs: 1000, retryBaseMs: 1, maxRetries: 1 });
    expect(await w.export([alert(1)])).toEqual({ code: 'success' });
    // export() resolved although no response has been (or will ever be) sent.
    await w.flush!();
    expect(server.received.length).toBe(2);
    expect(w.stats!()).toMatchObject({ delivered: 0, requests: 2, failedRequests: 2, failedEvents: 1 });
    expect(String(w.stats!().lastError)).toMatch(/timeout|aborted/i);
    await w.shutdown();
  });

  it('bounds its queue and counts the drops', async () => {
    server = await loopback();
    const w = webhookExporter({ url: server.url, maxQueueSize: 3, maxBatchSize: 2 });
    await w.export(Array.from({ length: 10 }, (_, i) => alert(i)));
    await w.shutdown();
    expect(w.stats!()).toMatchObject({ queued: 3, dropped: 7, delivered: 3, requests: 2 });
    expect(bodies(server).flatMap((b) => b.events.map((e: { payload: { message: string } }) => e.payload.message))).toEqual([
      'spent 0',
      'spent 1',
      'spent 2',
    ]);
  });

  it('shutdown flushes everything queued, and abandons (counted) what a dead endpoint holds past its deadline', async () => {
    server = await loopback((_req, res) => setTimeout(() => res.end(), 30));
    const w = webhookExporter({ url: server.url, maxBatchSize: 2 });
    await w.export([alert(1), alert(2), alert(3), alert(4), alert(5)]);
    await w.shutdown();
    expect(w.stats!()).toMatchObject({ delivered: 5, requests: 3, pending: 0 });
    expect(await w.export([alert(6)])).toMatchObject({ code: 'failed' });

    const port = await deadPort();
    const dead = webhookExporter({ url: `http://127.0.0.1:${port}`, maxBatchSize: 1, retryBaseMs: 60_000, shutdownTimeoutMs: 200 });
    await dead.export([alert(1), alert(2), alert(3)]);
    await dead.shutdown();
    expect(dead.stats!()).toMatchObject({ delivered: 0, failedEvents: 1, abandoned: 2, pending: 0 });
  });

  it('delivers the alerts a real observer emits, on close()', async () => {
    server = await loopback();
    const w = webhookExporter({ url: server.url });
    const observer = createObserver({ exporters: [w], storage: false });
    observer.emit({ type: 'alert', payload: { rule: 'errors.spike', message: 'too many errors' }, severity: 'error' });
    observer.emit({ type: 'log', payload: { message: 'ignored' } });
    await observer.close();
    const events = bodies(server).flatMap((b) => b.events);
    expect(events).toHaveLength(1);
    expect(events[0].payload.rule).toBe('errors.spike');
  });

  it('rejects bad options at construction with a prefixed message', () => {
    expect(() => webhookExporter({ url: 'nope' })).toThrow(/^\[fleetscope\] \[webhook\] url/);
    expect(() => webhookExporter({ url: 'ftp://x' })).toThrow(/http/);
    expect(() => webhookExporter({ url: 'http://x', format: 'xml' as never })).toThrow(/format/);
  });
});
