/**
 * The Alertmanager exporter against a real Alertmanager (Debian `prometheus-alertmanager`),
 * started here on a loopback port with a temporary config and data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObserver, type EventOf } from '../../src/index.js';
import { alertsAnalyzer, type AlertRule } from '../../src/analyzers/index.js';
import { alertmanagerExporter, toPostableAlert } from '../../src/exporters/index.js';
import { systemTool } from '../support/system-tool.js';

const HAVE_AM = systemTool('prometheus-alertmanager', ['--version'], 'The Alertmanager exporter is tested against a real Alertmanager.');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
  generatorURL?: string;
}

describe.skipIf(!HAVE_AM)('alertmanager exporter (real Alertmanager)', () => {
  let am: ChildProcess | undefined;
  let dir = '';
  let url = '';
  const getAlerts = async (): Promise<AmAlert[]> => (await (await fetch(`${url}/api/v2/alerts`)).json()) as AmAlert[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetscope-am-'));
    writeFileSync(join(dir, 'am.yml'), 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    am = spawn('prometheus-alertmanager', [
      `--config.file=${join(dir, 'am.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${url}/-/ready`)).ok) return;
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    throw new Error('Alertmanager did not become ready in 10 s');
  }, 20_000);

  afterAll(() => {
    am?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a firing alert shows up in GET /api/v2/alerts with its labels and annotations, and resolves there when resolved here', async () => {
    // The fake clock runs a minute behind, so the resolution 30 s later is already in the past for
    // Alertmanager (an alert whose endsAt is in the future is still active there).
    const start = Date.now() - 60_000;
    let now = start;
    const rule: AlertRule = { kind: 'threshold', name: 'tool_failures_burst', measure: 'count', where: { types: ['tool.end'], status: 'error' }, windowMs: 30_000, value: 5, severity: 'error', groupBy: ['agentId'], annotations: { runbook_url: 'https://runbooks.example/tools' } };
    const alerts = alertsAnalyzer({ rules: [rule], evaluateIntervalMs: 3_600_000 });
    const exporter = alertmanagerExporter({ url, generatorURL: 'https://fleetscope.example/alerts', retryBaseMs: 50 });
    const observer = createObserver({ clock: () => now, storage: false, analyzers: [alerts], exporters: [exporter] });
    for (let i = 0; i < 5; i++) observer.emit({ type: 'tool.end', timestamp: start + i * 100, agentId: 'worker-7', payload: { toolName: 'Bash', status: 'error', error: 'exit 1' } });
    await observer.flush();

    const firing = (await getAlerts()).filter((a) => a.labels.alertname === 'tool_failures_burst');
    expect(firing).toHaveLength(1);
    expect(firing[0]!.labels).toEqual({ alertname: 'tool_failures_burst', severity: 'error', agentId: 'worker-7' });
    expect(firing[0]!.annotations).toEqual({ summary: 'tool_failures_burst: value 5 (threshold 5) for agentId=worker-7', runbook_url: 'https://runbooks.example/tools' });
    expect(firing[0]!.status.state).toBe('active');
    expect(firing[0]!.generatorURL).toBe('https://fleetscope.example/alerts');
    expect(Date.parse(firing[0]!.startsAt)).toBe(start + 400);

    // 30 s later (fake clock) the window is empty: resolved here, so resolved there (endsAt in the past)
    now = start + 400 + 30_000;
    alerts.evaluate();
    await observer.flush();
    const after = (await getAlerts()).filter((a) => a.labels.alertname === 'tool_failures_burst');
    expect(after).toEqual([]);
    expect(exporter.stats!()).toMatchObject({ delivered: 2, failedRequests: 0, dropped: 0 });
    await observer.close();
  }, 20_000);
});

describe('alertmanager exporter (no server needed)', () => {
  it('maps alert events to API v2 alerts: pending is not sent, one-shot alerts get an endsAt', () => {
    const base = { id: 'e', timestamp: Date.parse('2026-01-01T00:00:00Z'), severity: 'warning', source: 's', sessionId: 's', agentId: 'a', type: 'alert' } as const;
    expect(toPostableAlert({ ...base, payload: { rule: 'r', message: 'm', state: 'pending' } } as EventOf<'alert'>)).toBeUndefined();
    expect(toPostableAlert({ ...base, payload: { rule: 'cost.budget.daily', message: 'over budget' } } as EventOf<'alert'>, { oneShotHoldMs: 60_000 })).toEqual({
      labels: { alertname: 'cost.budget.daily', severity: 'warning' },
      annotations: { summary: 'over budget' },
      startsAt: '2026-01-01T00:00:00.000Z',
      endsAt: '2026-01-01T00:01:00.000Z',
    });
    expect(toPostableAlert({ ...base, payload: { rule: 'r', message: 'm', state: 'resolved', labels: { alertname: 'r', 'tool.name': 'Bash' }, startsAt: 1000, endsAt: 2000 } } as EventOf<'alert'>)).toEqual({
      labels: { alertname: 'r', tool_name: 'Bash', severity: 'warning' },
      annotations: { summary: 'm' },
      startsAt: '1970-01-01T00:00:01.000Z',
      endsAt: '1970-01-01T00:00:02.000Z',
    });
  });

  it('an unreachable Alertmanager: retries, bounded queue with counted drops, and emit is not slowed', async () => {
    const port = await freePort(); // nothing listens there
    const exporter = alertmanagerExporter({ url: `http://127.0.0.1:${port}`, maxQueueSize: 3, maxRetries: 1, retryBaseMs: 10, timeoutMs: 500 });
    const observer = createObserver({ storage: false, analyzers: [], exporters: [exporter] });
    for (let i = 0; i < 10; i++) observer.emit({ type: 'alert', payload: { rule: 'r', message: 'm', state: 'firing', fingerprint: `fp-${i}`, labels: { alertname: `r${i}` } } });
    // Not slowed, untimed (house rule): the 10 emits returned before the exporter even got its batch.
    expect(exporter.stats!()).toMatchObject({ requests: 0, queued: 0, dropped: 0 });
    await observer.flush();
    // read from the exporter: observer.stats() lays the pipeline's own counters over an exporter's (issue 14, point 10)
    const stats = exporter.stats!() as Record<string, number>;
    // the 10 alerts arrive in one export batch: 3 fit the queue, 7 are dropped
    expect(stats.dropped).toBe(7);
    expect(stats.queued).toBe(3);
    expect(stats.failedAlerts).toBe(3);
    // one request for the 3 (maxBatchSize 500), retried once (maxRetries 1)
    expect(stats.requests).toBe(2);
    expect(stats.retries).toBe(1);
    expect(stats.failedRequests).toBe(2);
    expect(stats.delivered).toBe(0);
    await observer.close();
  });

  it("an Alertmanager that answers 429 is asked again after its Retry-After, not the backoff; a 400 is not retried", async () => {
    const seen: { path: string; at: number; body: string }[] = [];
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', at: Date.now(), body });
        if (req.url?.startsWith('/bad/')) {
          res.writeHead(400).end('bad alert');
        } else if (seen.filter((s) => !s.path.startsWith('/bad/')).length === 1) {
          res.writeHead(429, { 'Retry-After': '1' }).end();
        } else {
          res.writeHead(200).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const firing = { type: 'alert', payload: { rule: 'r', message: 'm', state: 'firing', fingerprint: 'fp', labels: { alertname: 'r' } } } as const;
      const exporter = alertmanagerExporter({ url, retryBaseMs: 1 });
      const observer = createObserver({ storage: false, analyzers: [], exporters: [exporter] });
      observer.emit(firing);
      await observer.flush();
      // The backoff would be 1 ms; Retry-After asked for a full second.
      expect(seen.map((s) => s.path)).toEqual(['/api/v2/alerts', '/api/v2/alerts']);
      expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950);
      expect(JSON.parse(seen[1]!.body)).toMatchObject([{ labels: { alertname: 'r' } }]);
      expect(exporter.stats!()).toMatchObject({ delivered: 1, requests: 2, retries: 1, failedRequests: 1, lastStatus: 200 });
      await observer.close();

      const bad = alertmanagerExporter({ url: `${url}/bad` });
      await bad.export([{ ...firing, id: 'e1', timestamp: 1, sessionId: 's', agentId: 'a', source: 'test', severity: 'warning' } as never]);
      await bad.flush!();
      expect(bad.stats!()).toMatchObject({ delivered: 0, requests: 1, retries: 0, failedAlerts: 1, lastStatus: 400, lastError: 'HTTP 400: bad alert' });
      await bad.shutdown();
    } finally {
      server.close();
    }
  });

  it('rejects a bad url at construction', () => {
    expect(() => alertmanagerExporter({ url: 'nope' })).toThrow('[fleetscope] [alertmanager] url is not a valid URL: nope');
    expect(() => alertmanagerExporter({ url: 'ftp://x' })).toThrow(/url must be http\(s\)/);
  });
});
