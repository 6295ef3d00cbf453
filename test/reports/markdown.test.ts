import { describe, expect, it } from 'vitest';
import { createObserver, renderMarkdownReport, type ObserverStats } from 'fleetscope';
import { defaultAnalyzers } from 'fleetscope/analyzers';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

describe('renderMarkdownReport', () => {
  it('renders each section from the snapshots, figures as given', async () => {
    const observer = createObserver({ storage: false, clock: () => T0 + 120_000 });
    const span = (n: number) => n.toString(16).padStart(16, '0');
    const agent = (n: number, name: string, start: number, end: number) => [
      { type: 'agent.start', timestamp: T0 + start, sessionId: 's1', agentId: name, workflowId: 'wf-1', spanId: span(n), payload: { name } },
      { type: 'agent.end', timestamp: T0 + end, sessionId: 's1', agentId: name, workflowId: 'wf-1', spanId: span(n), payload: { name, status: 'success', durationMs: end - start } },
    ];
    // Three agents: A [0,10s], B [5s,15s], C [20s,30s] → parallelization 0.25, critical path B → C.
    for (const e of [...agent(1, 'A', 0, 10_000), ...agent(2, 'B', 5_000, 15_000), ...agent(3, 'C', 20_000, 30_000)].sort((a, b) => a.timestamp - b.timestamp)) observer.emit(e as never);
    observer.emit({ type: 'llm.call', timestamp: T0 + 1000, sessionId: 's1', agentId: 'A', workflowId: 'wf-1', payload: { model: 'claude-sonnet-4-5', status: 'success', inputTokens: 1000, outputTokens: 500, cacheReadTokens: 2000, cacheWriteTokens: 400, latencyMs: 900 } });
    observer.emit({ type: 'llm.call', timestamp: T0 + 2000, sessionId: 's1', agentId: 'B', workflowId: 'wf-1', payload: { model: 'mystery-model', status: 'success', inputTokens: 77, outputTokens: 7, latencyMs: 100 } });
    for (let i = 0; i < 3; i++) {
      observer.emit({ type: 'tool.end', timestamp: T0 + 3000 + i, sessionId: 's1', agentId: 'C', workflowId: 'wf-1', payload: { toolName: 'grep', status: 'success', durationMs: 40 } });
    }
    const report = await observer.report({ title: 'Test report' });
    await observer.close();

    expect(report.startsWith('# Test report')).toBe(true);
    for (const section of ['## Insights', '## Slowest operations', '## Cost', '### Costliest models', '### Costliest agents', '### Unpriced models', '### Projection', '## Regressions', '## Workflows']) {
      expect(report).toContain(section);
    }
    // Cost: 1000×3 + 500×15 + 2000×0.3 + 400×3.75 = 12,600 µ$ = $0.0126.
    expect(report).toContain('| Cost (known) | $0.0126 over 1 LLM calls — plus 1 unpriced (unknown cost) |');
    expect(report).toContain('| mystery-model | 1 | unpriced | 77 | 7 | 0 | 0 |');
    expect(report).toContain('| A | $0.0126 | 100% | 1 |');
    expect(report).toContain('| wf-1 | completed | 3 / 0 / 0 | 30.00 s | 30.00 s | 0.25 | B → C (20.00 s) |');
    expect(report).toMatch(/\| tool:grep \| 3 \| 40 ms \|/);
    expect(report).toContain('(cost.unpriced_model, from cost)');
    expect(report).toContain('_None against 0 baselines._');
  });

  it('renders with no analyzers at all', () => {
    const stats = { events: { emitted: 0, accepted: 0, invalid: 0, sanitized: 0 }, dropped: 0, plugins: {} } as unknown as ObserverStats;
    const text = renderMarkdownReport({ title: 'Empty', generatedAt: T0, snapshots: {}, stats });
    expect(text).toContain('# Empty');
    expect(text).toContain('_No insights analyzer registered._');
  });
});

describe('defaults', () => {
  it('createObserver runs the whole built-in set by default, and none with analyzers: []', async () => {
    const observer = createObserver({ storage: false });
    expect(Object.keys(observer.snapshot()).sort()).toEqual(['aggregation', 'anomalies', 'bottlenecks', 'cost', 'fleet', 'insights', 'patterns', 'redactions', 'regressions']);
    await observer.close();
    const bare = createObserver({ storage: false, analyzers: [] });
    expect(bare.snapshot()).toEqual({});
    await bare.close();
    expect(defaultAnalyzers({ anomalies: false, bottlenecks: false }).map((a) => a.name)).toEqual(['aggregation', 'regressions', 'patterns', 'cost', 'fleet', 'insights', 'redactions']);
    // insights reads exactly the analyzers included.
    expect(defaultAnalyzers({ patterns: false }).find((a) => a.name === 'insights')!.dependsOn).toEqual(['aggregation', 'bottlenecks', 'regressions', 'cost', 'fleet', 'anomalies']);
  });
});
