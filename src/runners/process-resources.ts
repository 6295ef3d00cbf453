/**
 * Process resources runner: samples the host process (CPU, memory, event-loop delay, active
 * handles) at a fixed interval and emits one `metric` event per figure. Its timer and the
 * event-loop histogram never keep the host alive.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { FleetscopeError, type EventInput, type Runner, type RunnerContext, type RunnerHealth } from '../core/index.js';

export interface ProcessResourcesOptions {
  /** Runner name (the `source` of its events). Default `process-resources`. */
  name?: string;
  /** Time between samples in ms. Default 1000; at least 100. */
  intervalMs?: number;
  /**
   * Sampling resolution of the event-loop delay histogram in ms (`monitorEventLoopDelay`): the
   * histogram wakes the loop up this often. Default 20 (Node's own default of 10 alone costs
   * about 0.5 % of a core; 20 halves that and still gives 5 samples per 100 ms interval); at least 1.
   */
  eventLoopResolutionMs?: number;
  /** Attributes added to every metric event (e.g. `{ service: 'api' }`). Default none. */
  attributes?: Record<string, unknown>;
}

/** Metric names this runner emits, in emission order. */
export const PROCESS_METRICS = [
  'process.cpu.percent',
  'process.memory.rss',
  'process.memory.heap_used',
  'process.memory.heap_total',
  'process.memory.external',
  'process.memory.array_buffers',
  'process.eventloop.delay.p50',
  'process.eventloop.delay.p99',
  'process.eventloop.delay.max',
  'process.handles.active',
] as const;

const MIN_INTERVAL_MS = 100;

function resolveOptions(options: ProcessResourcesOptions) {
  const fail = (message: string): never => {
    throw new FleetscopeError(`[fleetscope] [process-resources] invalid option: ${message}`, {
      kind: 'runner',
      plugin: 'process-resources',
      operation: 'options',
    });
  };
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const intervalMs = options.intervalMs ?? 1000;
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < MIN_INTERVAL_MS) {
    fail(`intervalMs must be a number >= ${MIN_INTERVAL_MS} (got ${String(intervalMs)})`);
  }
  const resolution = options.eventLoopResolutionMs ?? 20;
  if (typeof resolution !== 'number' || !Number.isInteger(resolution) || resolution < 1) {
    fail('eventLoopResolutionMs must be an integer >= 1');
  }
  return {
    name: options.name ?? 'process-resources',
    intervalMs,
    resolution,
    attributes: options.attributes,
  };
}

/**
 * CPU time over wall time as a percentage of one core: `cpu` in microseconds (as
 * `process.cpuUsage` gives it), `wallMs` in milliseconds. 0 when no wall time passed.
 */
export function cpuPercent(cpu: { user: number; system: number }, wallMs: number): number {
  if (!(wallMs > 0)) return 0;
  return Math.round(((cpu.user + cpu.system) / (wallMs * 1000)) * 100 * 100) / 100;
}

/**
 * Event-loop delay in ms from a `monitorEventLoopDelay` value: the histogram records the whole
 * period of its `resolutionMs` timer (an idle loop reads ~20 ms at resolution 20), so the
 * delay is what exceeds the resolution, rounded to the microsecond, never below 0.
 */
export function loopDelayMs(valueNs: number, resolutionMs: number): number {
  return Math.max(0, Math.round((valueNs / 1e6 - resolutionMs) * 1000) / 1000);
}

/**
 * Samples the host process every `intervalMs`:
 * - `process.cpu.percent` (`%`): user + system CPU time over wall time since the last sample,
 *   as a percentage of ONE core (a process busy on two cores reads 200);
 * - `process.memory.*` (`By`): rss, heap_used, heap_total, external, array_buffers;
 * - `process.eventloop.delay.p50/p99/max` (`ms`): from `perf_hooks.monitorEventLoopDelay`,
 *   minus its timer resolution (the lateness of the loop, ~0 when idle), reset after each
 *   sample, so each figure covers one interval only;
 * - `process.handles.active` (`1`): `process.getActiveResourcesInfo().length`.
 *
 * ```ts
 * createObserver({ runners: [processResourcesRunner({ intervalMs: 500 })] });
 * ```
 */
export function processResourcesRunner(options: ProcessResourcesOptions = {}): Runner {
  const opts = resolveOptions(options);
  let timer: NodeJS.Timeout | undefined;
  let histogram: IntervalHistogram | undefined;
  let context: RunnerContext | undefined;
  let status: RunnerHealth['status'] = 'idle';
  let samples = 0;
  let errors = 0;
  let lastError: string | undefined;
  let lastCpu = process.cpuUsage();
  let lastWall = performance.now();

  const metric = (timestamp: number, name: string, value: number, unit: string): EventInput => ({
    type: 'metric',
    timestamp,
    attributes: opts.attributes,
    payload: { name, value, unit, kind: 'gauge' },
  });

  const sample = () => {
    const ctx = context;
    if (ctx === undefined) return;
    try {
      const timestamp = Date.now();
      const wall = performance.now();
      const cpu = process.cpuUsage(lastCpu);
      const wallMs = wall - lastWall;
      lastCpu = process.cpuUsage();
      lastWall = wall;
      const events: EventInput[] = [];
      if (wallMs > 0) events.push(metric(timestamp, 'process.cpu.percent', cpuPercent(cpu, wallMs), '%'));
      const memory = process.memoryUsage();
      events.push(
        metric(timestamp, 'process.memory.rss', memory.rss, 'By'),
        metric(timestamp, 'process.memory.heap_used', memory.heapUsed, 'By'),
        metric(timestamp, 'process.memory.heap_total', memory.heapTotal, 'By'),
        metric(timestamp, 'process.memory.external', memory.external, 'By'),
        metric(timestamp, 'process.memory.array_buffers', memory.arrayBuffers, 'By'),
      );
      // An interval with no histogram sample (a blocked loop) has no meaningful percentile.
      if (histogram !== undefined && histogram.count > 0) {
        events.push(
          metric(timestamp, 'process.eventloop.delay.p50', loopDelayMs(histogram.percentile(50), opts.resolution), 'ms'),
          metric(timestamp, 'process.eventloop.delay.p99', loopDelayMs(histogram.percentile(99), opts.resolution), 'ms'),
          metric(timestamp, 'process.eventloop.delay.max', loopDelayMs(histogram.max, opts.resolution), 'ms'),
        );
        histogram.reset();
      }
      if (typeof process.getActiveResourcesInfo === 'function') {
        events.push(metric(timestamp, 'process.handles.active', process.getActiveResourcesInfo().length, '1'));
      }
      ctx.emitMany(events);
      samples++;
    } catch (error) {
      errors++;
      lastError = error instanceof Error ? error.message : String(error);
      status = 'degraded';
      ctx.reportError(error, 'sample');
    }
  };

  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    histogram?.disable();
    histogram = undefined;
    context = undefined;
    status = 'stopped';
  };

  return {
    name: opts.name,
    start(ctx) {
      if (timer !== undefined) return;
      context = ctx;
      lastCpu = process.cpuUsage();
      lastWall = performance.now();
      try {
        histogram = monitorEventLoopDelay({ resolution: opts.resolution });
        histogram.enable();
      } catch (error) {
        histogram = undefined;
        ctx.reportError(error, 'eventloop');
      }
      timer = setInterval(sample, opts.intervalMs);
      timer.unref();
      status = 'running';
      ctx.signal.addEventListener('abort', stop, { once: true });
    },
    stop,
    health() {
      return {
        status,
        message: lastError,
        details: { samples, errors, intervalMs: opts.intervalMs },
      };
    },
  };
}
