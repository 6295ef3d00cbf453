import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('examples', () => {
  it('custom-analyzer: its insight appears in the report', () => {
    const result = tsx(['examples/custom-analyzer.ts']);
    expect(result.status, result.stderr).toBe(0);
    // 24,000 input + 900 output tokens over one agent execution.
    expect(result.stdout).toContain('spends 24900 fresh tokens per agent');
    expect(result.stdout).toContain('from analyzer:tokens-per-agent');
  });

  it('demo: the report shows each kind of finding', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fleetscope-demo-test-')), 'report.md');
    const result = tsx(['examples/demo.ts', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(out);
    const report = readFileSync(out, 'utf8');
    for (const section of ['## Insights', '## Slowest operations', '## Cost', '## Regressions', '## Workflows', '### Unpriced models']) {
      expect(report).toContain(section);
    }
    for (const rule of ['tool.recurring_failure', 'tool.repeated_call', 'performance.regression', 'cost.unpriced_model', 'cost.budget_exceeded', 'fleet.parallelize', 'demo.model_routing', 'tool.slow', 'anomaly.outlier']) {
      expect(report, rule).toContain(`(${rule}, from`);
    }
    expect(report).toMatch(/\| tool:fetch_url \| latency_p\d\d /);
  });
});
