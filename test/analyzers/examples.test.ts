import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
    readDemoLog(join(dirname(out), 'fleetscope-events.jsonl'));
  }, 180_000);
});

/**
 * The read side on the demo's event log, run from source as the README says (`npm run fleetscope --`):
 * each command's figures against those counted here from the file's own lines.
 */
function readDemoLog(file: string): void {
  const cli = (...args: string[]) => {
    const r = tsx(['src/cli/index.ts', ...args, '--jsonl', file]);
    expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; type: string; sessionId: string; source: string });
  const byType = (events: typeof lines) => events.reduce<Record<string, number>>((n, e) => ({ ...n, [e.type]: (n[e.type] ?? 0) + 1 }), {});
  // Sessions with activity: what the analyzers derived (the insights the demo's observer stamped with its default
  // session id, "today") is no session of its own.
  const sessionIds = [...new Set(lines.filter((e) => !e.source.startsWith('analyzer:')).map((e) => e.sessionId))].sort();
  expect(sessionIds).not.toContain('today');
  const stats = JSON.parse(cli('stats', '--json'));
  expect(stats).toMatchObject({ events: lines.length, invalid: 0, sessions: sessionIds.length, byType: byType(lines) });
  const sessions = JSON.parse(cli('sessions', '--limit', '0', '--json')).sessions as { sessionId: string; toolCalls: number }[];
  expect(sessions.map((s) => s.sessionId).sort()).toEqual(sessionIds);
  expect(sessions.reduce((n, s) => n + s.toolCalls, 0)).toBe(byType(lines)['tool.end']);
  const trace = JSON.parse(cli('trace', 'today-session-2', '--json'));
  expect(trace.sessionId).toBe('today-session-2');
  expect(trace.root.children.length).toBeGreaterThan(0);
  // The report leaves out what the demo's analyzers derived (insights, alerts, anomalies): replayed, they would count
  // twice. Its own anomalies analyzer finds the demo's anomaly again (the read_file call of 93.5 ms), and emits it.
  const report = JSON.parse(cli('report', '--json'));
  const anomalyIds = (events: { eventId?: string; payload?: { eventId?: string } }[]) => events.map((e) => e.eventId ?? e.payload?.eventId).sort();
  expect(anomalyIds(report.anomalies.anomalies)).toEqual(anomalyIds(lines.filter((e) => e.type === 'anomaly') as never));
  expect(report.aggregation.cumulative.byType).toEqual({ ...byType(lines.filter((e) => !e.source.startsWith('analyzer:'))), anomaly: report.anomalies.anomalies.length });
  const tail = cli('tail', '-n', '3', '--json').trimEnd().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
  expect(tail).toEqual(lines.slice(-3).map((e) => e.id));
}
