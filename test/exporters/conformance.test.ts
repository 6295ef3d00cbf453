/** Every built-in exporter passes the exported Exporter conformance suite. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { testExporter } from 'fleetscope/testing';
import { consoleExporter, jsonlExporter, otelExporter, prometheusExporter, webhookExporter } from 'fleetscope/exporters';
import { loopback } from './helpers.js';

const harness = { describe, it, expect };
const server = await loopback();
afterAll(() => server.close());
const dir = mkdtempSync(join(tmpdir(), 'fleetscope-conformance-'));
let files = 0;
const sink = () => new Writable({ write: (_chunk, _enc, cb) => cb() });

testExporter('prometheus', () => prometheusExporter(), harness);
testExporter('otel (InMemorySpanExporter)', () => otelExporter({ exporter: new InMemorySpanExporter() }), harness);
testExporter('otel (OTLP/HTTP to a loopback collector)', () => otelExporter({ url: `${server.url}/v1/traces` }), harness);
testExporter('webhook json', () => webhookExporter({ url: server.url }), harness);
testExporter('webhook slack', () => webhookExporter({ url: server.url, format: 'slack' }), harness);
testExporter('jsonl file', () => jsonlExporter({ path: join(dir, `events-${++files}.jsonl`) }), harness);
testExporter('jsonl stream', () => jsonlExporter({ stream: sink() }), harness);
testExporter('console pretty', () => consoleExporter({ stream: sink() }), harness);
testExporter('console json', () => consoleExporter({ stream: sink(), format: 'json' }), harness);

/** Runs the suite against an exporter inside a fake harness and returns the names of failing checks. */
async function failingChecks(factory: Parameters<typeof testExporter>[1]): Promise<string[]> {
  const checks: { name: string; body: () => unknown }[] = [];
  testExporter('probe', factory, {
    describe: (_name, body) => body(),
    it: (name, body) => checks.push({ name, body }),
    expect,
  });
  const failed: string[] = [];
  for (const check of checks) {
    try {
      await check.body();
    } catch {
      failed.push(check.name);
    }
  }
  return failed;
}

describe('the exporter conformance suite itself', () => {
  it('catches an exporter that throws on bad input and accepts exports after shutdown', async () => {
    const failed = await failingChecks(() => ({
      name: 'bad',
      async export(batch) {
        for (const e of batch) if (typeof e?.type !== 'string') throw new Error('boom');
        return { code: 'success' };
      },
      async shutdown() {},
      stats: () => ({ sent: -1 }),
    }));
    expect(failed).toEqual([
      'export() never throws or rejects for unusual or malformed batches',
      'export() after shutdown() resolves to failed, without throwing',
      'stats(), when present, holds plain counters (finite, non-negative numbers)',
    ]);
  });
});
