/**
 * Exporters benchmark: rendering the Prometheus text exposition for 1,000 series (target < 5 ms),
 * against JSON.stringify of the same figures measured in the same run; and the cost of feeding
 * events into the Prometheus exporter.
 *
 * Cases: 1,000 counter series (`fleetscope_tool_calls_total`, 500 tools × 2 statuses) and
 * 1,000 histogram series (`fleetscope_tool_duration_seconds`, 1,000 tools × 15 buckets + `+Inf`,
 * `_sum`, `_count` = 18,000 sample lines).
 */
import { prometheusExporter } from '../src/exporters/prometheus.js';
import type { FleetEvent } from '../src/core/index.js';

function toolEnd(tool: string, status: string, durationMs: number | undefined): FleetEvent {
  return {
    id: `${tool}-${status}-${durationMs}`,
    timestamp: 1_700_000_000_000,
    severity: 'info',
    source: 'bench',
    sessionId: 's',
    agentId: 'a',
    type: 'tool.end',
    payload: { toolName: tool, status, durationMs },
  } as unknown as FleetEvent;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall time (ms) of `fn` over `runs` runs, after `warmup` runs; `setup` runs untimed before each. */
function time(fn: () => unknown, runs = 200, warmup = 50, setup?: () => void): number {
  for (let i = 0; i < warmup; i++) {
    setup?.();
    fn();
  }
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    setup?.();
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

async function main() {
  // 1,000 counter series, no durations (so no histogram series).
  const counters = prometheusExporter({ maxSeriesPerMetric: 2000 });
  const counterEvents: FleetEvent[] = [];
  for (let t = 0; t < 500; t++) for (const status of ['success', 'error']) counterEvents.push(toolEnd(`tool_${t}`, status, undefined));
  await counters.export(counterEvents);
  const counterText = counters.metrics();
  const counterData = counterEvents.map((e) => ({
    name: 'fleetscope_tool_calls_total',
    labels: { tool: (e.payload as { toolName: string }).toolName, status: (e.payload as { status: string }).status },
    value: 1,
  }));

  // 1,000 histogram series.
  const histograms = prometheusExporter({ maxSeriesPerMetric: 2000 });
  const histogramEvents: FleetEvent[] = [];
  for (let t = 0; t < 1000; t++) for (let k = 0; k < 5; k++) histogramEvents.push(toolEnd(`tool_${t}`, 'success', 10 ** k));
  await histograms.export(histogramEvents);
  const histogramText = histograms.metrics();
  const histogramData = Array.from({ length: 1000 }, (_, t) => ({
    name: 'fleetscope_tool_duration_seconds',
    labels: { tool: `tool_${t}` },
    buckets: Array.from({ length: 16 }, (_, i) => i),
    sum: 11.111,
    count: 5,
  }));

  const cLines = counterText.split('\n').length - 1;
  const hLines = histogramText.split('\n').length - 1;
  // Buffer.byteLength flattens V8's rope strings, as writing the HTTP response does; both sides pay it.
  const cRender = time(() => Buffer.byteLength(counters.metrics()));
  const cJson = time(() => Buffer.byteLength(JSON.stringify(counterData)));
  const hRender = time(() => Buffer.byteLength(histograms.metrics()));
  // Every series updated since the previous scrape: nothing cached (the worst case).
  const touchCounters = () => void counters.export(counterEvents);
  const touchHistograms = () => void histograms.export(histogramEvents.filter((_, i) => i % 5 === 0));
  const cRenderAll = time(() => Buffer.byteLength(counters.metrics()), 100, 20, touchCounters);
  const hRenderAll = time(() => Buffer.byteLength(histograms.metrics()), 100, 20, touchHistograms);
  const hJson = time(() => Buffer.byteLength(JSON.stringify(histogramData)));

  // Feeding: events/s through export() (the per-event work of the exporter).
  const feed = prometheusExporter();
  const feedBatch = Array.from({ length: 1000 }, (_, i) => toolEnd(`tool_${i % 50}`, i % 10 === 0 ? 'error' : 'success', i));
  const feedMs = time(() => void feed.export(feedBatch), 100, 20);

  console.log('| case | lines | render `metrics()` + byteLength (median) | `JSON.stringify` same data + byteLength (median) | ratio render/JSON | target |');
  console.log('|---|---:|---:|---:|---:|---|');
  const row = (label: string, lines: number, render: number, json: number) =>
    console.log(`| ${label} | ${lines} | ${render.toFixed(3)} ms | ${json.toFixed(3)} ms | ${(render / json).toFixed(2)}× | < 5 ms: ${render < 5 ? 'met' : 'MISSED'} |`);
  row('1,000 counter series, all updated since last scrape', cLines, cRenderAll, cJson);
  row('1,000 counter series, unchanged since last scrape', cLines, cRender, cJson);
  row('1,000 histogram series (16 buckets each), all updated', hLines, hRenderAll, hJson);
  row('1,000 histogram series (16 buckets each), unchanged', hLines, hRender, hJson);
  console.log('');
  console.log(`prometheus export(): 1,000 tool.end events in ${feedMs.toFixed(3)} ms (median) = ${Math.round(1000 / (feedMs / 1000)).toLocaleString('en-US')} events/s`);
}

await main();
