import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusExporter } from '../../src/exporters/prometheus.js';
import { escapeHelp, escapeLabelValue, sanitizeMetricName } from '../../src/exporters/prometheus-text.js';
import { systemTool } from '../support/system-tool.js';
import { deadPort, ev, loopback, type Loopback } from './helpers.js';

const hasPromtool = systemTool(
  'promtool',
  ['--version'],
  'Debian package `prometheus`; without it the Prometheus text output is NOT validated by the real tool',
);

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Sample lines of the text as `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** A realistic mix: a session with an agent, tools (one failing), two LLM calls, an alert. */
function workload() {
  return [
    ev('session.start', {}, { spanId: 'a000000000000001' }),
    ev('agent.start', { name: 'planner' }, { agentId: 'planner', spanId: 'a000000000000002' }),
    ev('tool.end', { toolName: 'Bash', status: 'success', durationMs: 250 }),
    ev('tool.end', { toolName: 'Bash', status: 'error', durationMs: 500, error: 'exit 1' }, { severity: 'error' }),
    ev('tool.end', { toolName: 'Bash', status: 'success', durationMs: 2000 }),
    ev('tool.end', { toolName: 'Read', status: 'success' }),
    ev('llm.call', { model: 'sonnet', status: 'success', latencyMs: 800, inputTokens: 10, outputTokens: 5, cacheReadTokens: 100, costUsd: 0.25 }, { agentId: 'planner' }),
    ev('llm.call', { model: 'sonnet', status: 'success', latencyMs: 1200, inputTokens: 20, outputTokens: 7, costUsd: 0.5 }, { agentId: 'planner' }),
    ev('alert', { rule: 'cost.budget', message: 'over budget' }, { severity: 'warning' }),
    ev('metric', { name: 'process.memory.rss', value: 1.5e8, unit: 'By' }),
    ev('metric', { name: 'retrievals', value: 2, kind: 'counter' }),
  ];
}

describe('prometheusExporter', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('derives counters, gauges and histograms with hand-computed values', async () => {
    const p = prometheusExporter({ latencyBuckets: [0.1, 0.5, 1] });
    expect(await p.export(workload())).toEqual({ code: 'success' });
    const s = samples(p.metrics());
    expect(s.get('fleetscope_events_total{type="tool.end",severity="info"}')).toBe(3);
    expect(s.get('fleetscope_events_total{type="tool.end",severity="error"}')).toBe(1);
    expect(s.get('fleetscope_events_total{type="alert",severity="warning"}')).toBe(1);
    expect(s.get('fleetscope_errors_total{type="tool.end"}')).toBe(1);
    expect(s.get('fleetscope_tool_calls_total{tool="Bash",status="success"}')).toBe(2);
    expect(s.get('fleetscope_tool_calls_total{tool="Read",status="success"}')).toBe(1);
    // Bash durations 0.25 s, 0.5 s, 2 s; buckets are inclusive upper bounds and cumulative.
    expect(s.get('fleetscope_tool_duration_seconds_bucket{tool="Bash",le="0.1"}')).toBe(0);
    expect(s.get('fleetscope_tool_duration_seconds_bucket{tool="Bash",le="0.5"}')).toBe(2);
    expect(s.get('fleetscope_tool_duration_seconds_bucket{tool="Bash",le="1"}')).toBe(2);
    expect(s.get('fleetscope_tool_duration_seconds_bucket{tool="Bash",le="+Inf"}')).toBe(3);
    expect(s.get('fleetscope_tool_duration_seconds_sum{tool="Bash"}')).toBe(2.75);
    expect(s.get('fleetscope_tool_duration_seconds_count{tool="Bash"}')).toBe(3);
    // Read had no duration: counted as a call, not observed.
    expect(s.has('fleetscope_tool_duration_seconds_count{tool="Read"}')).toBe(false);
    // LLM latencies 0.8 s and 1.2 s.
    expect(s.get('fleetscope_llm_latency_seconds_bucket{model="sonnet",le="0.5"}')).toBe(0);
    expect(s.get('fleetscope_llm_latency_seconds_bucket{model="sonnet",le="1"}')).toBe(1);
    expect(s.get('fleetscope_llm_latency_seconds_bucket{model="sonnet",le="+Inf"}')).toBe(2);
    expect(s.get('fleetscope_llm_latency_seconds_sum{model="sonnet"}')).toBe(2);
    expect(s.get('fleetscope_llm_calls_total{model="sonnet",status="success"}')).toBe(2);
    expect(s.get('fleetscope_llm_tokens_total{model="sonnet",agent="planner",kind="input"}')).toBe(30);
    expect(s.get('fleetscope_llm_tokens_total{model="sonnet",agent="planner",kind="output"}')).toBe(12);
    expect(s.get('fleetscope_llm_tokens_total{model="sonnet",agent="planner",kind="cache_read"}')).toBe(100);
    expect(s.has('fleetscope_llm_tokens_total{model="sonnet",agent="planner",kind="cache_write"}')).toBe(false);
    expect(s.get('fleetscope_llm_cost_usd_total{model="sonnet",agent="planner"}')).toBe(0.75);
    expect(s.get('fleetscope_active_sessions')).toBe(1);
    expect(s.get('fleetscope_active_agents')).toBe(1);

    await p.export([
      ev('agent.end', { name: 'planner', status: 'error' }, { agentId: 'planner', spanId: 'a000000000000002' }),
      ev('session.end', {}, { spanId: 'a000000000000001' }),
    ]);
    const after = samples(p.metrics());
    expect(after.get('fleetscope_active_sessions')).toBe(0);
    expect(after.get('fleetscope_active_agents')).toBe(0);
    expect(after.get('fleetscope_errors_total{type="agent.end"}')).toBe(1);
  });

  it('re-renders a series after it changes (rendered text is cached per series)', async () => {
    const p = prometheusExporter({ latencyBuckets: [1] });
    await p.export([ev('tool.end', { toolName: 'Bash', status: 'success', durationMs: 500 })]);
    expect(samples(p.metrics()).get('fleetscope_tool_duration_seconds_bucket{tool="Bash",le="1"}')).toBe(1);
    await p.export([ev('tool.end', { toolName: 'Bash', status: 'success', durationMs: 1500 })]);
    const s = samples(p.metrics());
    expect(s.get('fleetscope_tool_duration_seconds_bucket{tool="Bash",le="1"}')).toBe(1);
    expect(s.get('fleetscope_tool_duration_seconds_bucket{tool="Bash",le="+Inf"}')).toBe(2);
    expect(s.get('fleetscope_tool_duration_seconds_sum{tool="Bash"}')).toBe(2);
    expect(s.get('fleetscope_tool_calls_total{tool="Bash",status="success"}')).toBe(2);
  });

  it('exposes `metric` events: last value of gauges, sum of counter increments', async () => {
    const p = prometheusExporter();
    await p.export([
      ev('metric', { name: 'process.cpu.percent', value: 12.5, unit: '%' }),
      ev('metric', { name: 'process.cpu.percent', value: 40, unit: '%' }),
      ev('metric', { name: 'cache.hits', value: 3, kind: 'counter' }),
      ev('metric', { name: 'cache.hits', value: 4, kind: 'counter' }),
    ]);
    const s = samples(p.metrics());
    expect(s.get('fleetscope_metric_value{name="process.cpu.percent",unit="%"}')).toBe(40);
    expect(s.get('fleetscope_metric_increments_total{name="cache.hits",unit=""}')).toBe(7);
  });

  it('writes HELP and TYPE once per family, before its samples, with _total on counters', async () => {
    const p = prometheusExporter();
    await p.export(workload());
    const lines = p.metrics().split('\n');
    expect(lines.at(-1)).toBe(''); // the last line ends with a line feed
    const types = lines.filter((l) => l.startsWith('# TYPE '));
    const names = types.map((l) => l.split(' ')[2]);
    expect(new Set(names).size).toBe(names.length);
    for (const line of types) {
      const [, , name, kind] = line.split(' ');
      if (kind === 'counter') expect(name).toMatch(/_total$/);
      const helpIndex = lines.indexOf(lines.find((l) => l.startsWith(`# HELP ${name} `))!);
      expect(lines[helpIndex + 1]).toBe(line);
    }
    expect(types).toContain('# TYPE fleetscope_tool_duration_seconds histogram');
    expect(types).toContain('# TYPE fleetscope_active_sessions gauge');
  });

  it.skipIf(!hasPromtool)('passes `promtool check metrics` (and promtool does reject a bad exposition)', async () => {
    const p = prometheusExporter({ maxSeriesPerMetric: 3 });
    p.attach({ stats: () => ({ dropped: 2, events: { emitted: 9, accepted: 7, invalid: 2, sanitized: 0, afterClose: 0, duplicates: 0 } }) });
    await p.export(workload());
    await p.export([ev('tool.end', { toolName: 'we"ird\\na\nme', status: 'blocked', durationMs: 1 })]);
    for (let i = 0; i < 10; i++) await p.export([ev('tool.end', { toolName: `t${i}`, status: 'success', durationMs: i })]);
    const text = p.metrics();
    const ok = promtool(text);
    expect(ok.output).toBe('');
    expect(ok.status).toBe(0);
    // Control: the same checker flags a counter without `_total` and a sample without its TYPE.
    const bad = promtool('# HELP x_requests Requests.\n# TYPE x_requests counter\nx_requests 1\n');
    expect(bad.status).not.toBe(0);
    expect(bad.output).toMatch(/_total/);
  });

  it('escapes label values and HELP text, and sanitizes metric names', async () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('plain')).toBe('plain');
    expect(escapeHelp('line1\nback\\slash "quoted"')).toBe('line1\\nback\\\\slash "quoted"');
    expect(sanitizeMetricName('my-app.metrics')).toBe('my_app_metrics');
    expect(sanitizeMetricName('9lives')).toBe('_9lives');
    const p = prometheusExporter({ prefix: 'my-app.' });
    await p.export([ev('tool.end', { toolName: 'C:\\bin\\"x"\n', status: 'success' })]);
    expect(p.metrics()).toContain('my_app_tool_calls_total{tool="C:\\\\bin\\\\\\"x\\"\\n",status="success"} 1\n');
  });

  it('caps label cardinality per metric and counts the overflow under `other`', async () => {
    const p = prometheusExporter({ maxSeriesPerMetric: 3 });
    // 5 tools, one call each, then 2 more calls of the first tool.
    await p.export(['a', 'b', 'c', 'd', 'e', 'a', 'a'].map((t) => ev('tool.end', { toolName: t, status: 'success' })));
    const s = samples(p.metrics());
    expect(s.get('fleetscope_tool_calls_total{tool="a",status="success"}')).toBe(3);
    expect(s.get('fleetscope_tool_calls_total{tool="b",status="success"}')).toBe(1);
    expect(s.get('fleetscope_tool_calls_total{tool="c",status="success"}')).toBe(1);
    expect(s.has('fleetscope_tool_calls_total{tool="d",status="success"}')).toBe(false);
    expect(s.get('fleetscope_tool_calls_total{tool="other",status="other"}')).toBe(2);
    expect(p.stats!().seriesOverflowed).toBe(2);
  });

  it("exposes the observer's dropped and invalid events from a real observer", async () => {
    const p = prometheusExporter();
    const observer = createObserver({ exporters: [p], storage: false });
    p.attach(observer);
    observer.emit({ type: 'tool.end', payload: { toolName: 'Bash', status: 'success', durationMs: 10 } });
    // Invalid on purpose (the types reject them too): counted at runtime.
    observer.emit({ type: 'tool.end', payload: { status: 'success' } } as never); // no toolName
    observer.emit({ type: 'nonsense' } as never); // invalid type
    await observer.close();
    const s = samples(p.metrics());
    expect(s.get('fleetscope_observer_invalid_events_total')).toBe(2);
    expect(s.get('fleetscope_observer_dropped_events_total')).toBe(0);
    expect(s.get('fleetscope_tool_calls_total{tool="Bash",status="success"}')).toBe(1);
  });

  it('serves the metrics through a node:http handler on a real loopback server', async () => {
    const p = prometheusExporter();
    await p.export(workload());
    const http = createServer(p.handler);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/metrics`;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
      expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await res.text()).toBe(p.metrics());
      const post = await fetch(url, { method: 'POST', body: 'x' });
      expect(post.status).toBe(405);
      await post.text();
    } finally {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it('pushes to a Pushgateway path with PUT, and counts a failed push without throwing', async () => {
    server = await loopback();
    const p = prometheusExporter({
      pushgateway: { url: `${server.url}/`, job: 'agents', groupingLabels: { instance: 'host 1' }, intervalMs: 0 },
    });
    await p.export(workload());
    expect(await p.push()).toEqual({ code: 'success' });
    expect(server.received).toHaveLength(1);
    const [req] = server.received;
    expect(req!.method).toBe('PUT');
    expect(req!.url).toBe('/metrics/job/agents/instance/host%201');
    expect(req!.body.toString('utf8')).toBe(p.metrics());
    await p.shutdown(); // final push
    expect(server.received).toHaveLength(2);
    expect(p.stats!()).toMatchObject({ pushes: 2, pushFailures: 0 });

    const port = await deadPort();
    const dead = prometheusExporter({ pushgateway: { url: `http://127.0.0.1:${port}`, intervalMs: 0, timeoutMs: 1000 } });
    const result = await dead.push();
    expect(result.code).toBe('failed');
    await dead.shutdown();
    expect(dead.stats!()).toMatchObject({ pushes: 0, pushFailures: 2 });
  });

  it('counts a push a hung Pushgateway holds as in flight, then as failed at its timeout', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const hung = createServer(() => arrived()); // reads the request, never answers
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const { port } = hung.address() as { port: number };
    try {
      const p = prometheusExporter({ pushgateway: { url: `http://127.0.0.1:${port}`, intervalMs: 0, timeoutMs: 1000 } });
      const pushed = p.push();
      await requestArrived;
      expect(p.stats!()).toMatchObject({ pushes: 0, pushFailures: 0, pushesInFlight: 1 });
      expect((await pushed).code).toBe('failed');
      expect(p.stats!()).toMatchObject({ pushes: 0, pushFailures: 1, pushesInFlight: 0 });
    } finally {
      hung.closeAllConnections();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
  });

  it('throws a prefixed error for bad options at construction', () => {
    expect(() => prometheusExporter({ maxSeriesPerMetric: 0 })).toThrow(/\[fleetscope\] \[prometheus\]/);
    expect(() => prometheusExporter({ latencyBuckets: [1, 0.5] })).toThrow(/ascending/);
    expect(() => prometheusExporter({ pushgateway: { url: 'not a url' } })).toThrow(/pushgateway.url/);
  });
});
