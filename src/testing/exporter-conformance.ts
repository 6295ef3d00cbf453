/**
 * The `Exporter` conformance suite, written once and run for every exporter, including your own:
 *
 * ```ts
 * import { describe, it, expect } from 'vitest';
 * import { testExporter } from 'fleetscope/testing';
 * testExporter('my-exporter', () => myExporter({ ... }), { describe, it, expect });
 * ```
 *
 * It checks the contract of `src/core/plugins.ts` and the house rule "never throw into the host":
 * `export` resolves to a typed result (`{ code: 'success' }` or `{ code: 'failed', error }`) for
 * good, empty, unusual and malformed batches, and never throws or rejects; `flush` and `shutdown`
 * resolve and may be called twice; `export` after `shutdown` resolves to `failed`; `stats()`
 * holds plain counters. The factory is called once per test and must return a fresh exporter.
 */
import type { Exporter, ExportResult, FleetEvent } from '../core/index.js';
import type { TestHarness } from './storage-conformance.js';

/** Returns a fresh exporter for each test (it may start a loopback server, open a temp file, ...). */
export type ExporterFactoryForTest = () => Exporter | Promise<Exporter>;

const BASE = {
  severity: 'info',
  source: 'conformance',
  sessionId: 'conformance-session',
  agentId: 'conformance-agent',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
};

function event(n: number, type: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}): FleetEvent {
  return { id: `c${n}`, timestamp: 1_700_000_000_000 + n, ...BASE, type, payload, ...extra } as unknown as FleetEvent;
}

/** A small, valid run: a session, an agent, a tool, an LLM call, an alert, an insight, a log. */
export function conformanceBatch(): FleetEvent[] {
  const session = '00f067aa0ba902b7';
  const agent = '53995c3f42cd8ad8';
  const tool = '6e0c63257de34c92';
  return [
    event(1, 'session.start', { reason: 'startup' }, { spanId: session }),
    event(2, 'agent.start', { name: 'planner' }, { spanId: agent, parentSpanId: session }),
    event(3, 'tool.start', { toolName: 'Bash', toolCallId: 't1' }, { spanId: tool, parentSpanId: agent }),
    event(4, 'tool.end', { toolName: 'Bash', toolCallId: 't1', status: 'error', durationMs: 12, error: 'exit 1' }, { spanId: tool, parentSpanId: agent, severity: 'error' }),
    event(5, 'llm.call', { model: 'm', status: 'success', latencyMs: 3, inputTokens: 1, outputTokens: 2, costUsd: 0.001 }, { spanId: 'a3ce929d0e0e4736', parentSpanId: agent }),
    event(6, 'alert', { rule: 'conformance.rule', message: 'an alert' }, { severity: 'warning' }),
    event(7, 'insight', { rule: 'conformance.insight', title: 'an insight', category: 'cost', priority: 'low', confidence: 0.5, recommendation: 'none' }),
    event(8, 'log', { message: 'quotes " backslash \\ newline \n unicode é 🚀' }),
    event(9, 'agent.end', { name: 'planner', status: 'success' }, { spanId: agent, parentSpanId: session }),
    event(10, 'session.end', { status: 'success' }, { spanId: session }),
  ];
}

/** Valid but unusual events: missing optional fields, a custom type, nested attributes, an end without a start. */
function unusualBatch(): FleetEvent[] {
  return [
    event(20, 'acme.custom_thing', { anything: [1, { nested: true }] }, { attributes: { deep: { a: [1, 2] }, flag: false } }),
    event(21, 'tool.end', { toolName: '', status: 'blocked' }),
    event(22, 'llm.call', { model: 'x'.repeat(2000), status: 'error', error: 'rate limited' }),
    event(23, 'metric', { name: 'queue.depth', value: 0 }),
    event(24, 'agent.end', { name: 'orphan', status: 'cancelled' }, { spanId: 'ffffffffffffffff' }),
  ];
}

/** Not events at all: what a buggy caller could hand over. */
function malformedBatch(): FleetEvent[] {
  return [null, undefined, 42, 'text', {}, { type: 'tool.end' }, { type: 'llm.call', payload: null }] as unknown as FleetEvent[];
}

/** Calls `fn` and returns how it settled, whether it threw synchronously, resolved or rejected. */
async function settle<T>(fn: () => Promise<T>): Promise<{ threw: boolean; value?: T; error?: unknown }> {
  try {
    return { threw: false, value: await fn() };
  } catch (error) {
    return { threw: true, error };
  }
}

export function testExporter(name: string, factory: ExporterFactoryForTest, harness: TestHarness): void {
  const { describe, it, expect } = harness;

  const expectTypedResult = (result: ExportResult | undefined) => {
    expect(result !== null && typeof result === 'object').toBe(true);
    expect(['success', 'failed']).toContain(result!.code);
    if (result!.code === 'failed') expect(result!.error instanceof Error).toBe(true);
  };

  const exportSafely = async (exporter: Exporter, batch: readonly FleetEvent[]) => {
    const outcome = await settle(() => exporter.export(batch));
    if (outcome.threw) throw new Error(`export threw or rejected: ${String(outcome.error)}`);
    expectTypedResult(outcome.value);
    return outcome.value!;
  };

  describe(`exporter conformance: ${name}`, () => {
    it('has a name, export() and shutdown()', async () => {
      const exporter = await factory();
      expect(typeof exporter.name).toBe('string');
      expect(exporter.name.length > 0).toBe(true);
      expect(typeof exporter.export).toBe('function');
      expect(typeof exporter.shutdown).toBe('function');
      await exporter.shutdown();
    });

    it('export() resolves to a typed result for a valid batch and an empty batch', async () => {
      const exporter = await factory();
      expect((await exportSafely(exporter, conformanceBatch())).code).toBe('success');
      expectTypedResult(await exportSafely(exporter, []));
      await exporter.shutdown();
    });

    it('export() never throws or rejects for unusual or malformed batches', async () => {
      const exporter = await factory();
      await exportSafely(exporter, unusualBatch());
      await exportSafely(exporter, malformedBatch());
      // Still usable afterwards.
      expectTypedResult(await exportSafely(exporter, conformanceBatch()));
      await exporter.shutdown();
    });

    it('flush() and shutdown() resolve, and are idempotent', async () => {
      const exporter = await factory();
      await exportSafely(exporter, conformanceBatch());
      if (exporter.flush !== undefined) {
        expect((await settle(() => exporter.flush!())).threw).toBe(false);
        expect((await settle(() => exporter.flush!())).threw).toBe(false);
      }
      expect((await settle(() => exporter.shutdown())).threw).toBe(false);
      expect((await settle(() => exporter.shutdown())).threw).toBe(false);
      if (exporter.flush !== undefined) expect((await settle(() => exporter.flush!())).threw).toBe(false);
    });

    it('export() after shutdown() resolves to failed, without throwing', async () => {
      const exporter = await factory();
      await exporter.shutdown();
      const result = await exportSafely(exporter, conformanceBatch());
      expect(result.code).toBe('failed');
    });

    it('stats(), when present, holds plain counters (finite, non-negative numbers)', async () => {
      const exporter = await factory();
      await exportSafely(exporter, conformanceBatch());
      await exportSafely(exporter, malformedBatch());
      await exporter.flush?.();
      if (exporter.stats !== undefined) {
        const stats = exporter.stats();
        expect(stats !== null && typeof stats === 'object').toBe(true);
        let numbers = 0;
        for (const value of Object.values(stats)) {
          expect(['number', 'string', 'boolean', 'undefined']).toContain(typeof value);
          if (typeof value === 'number') {
            numbers++;
            expect(Number.isFinite(value) && value >= 0).toBe(true);
          }
        }
        expect(numbers > 0).toBe(true);
      }
      await exporter.shutdown();
    });
  });
}
