import { describe, expect, it } from 'vitest';
import { createCoreObserver, type FleetEvent, type Exporter } from '../../src/index.js';

function setup() {
  const events: FleetEvent[] = [];
  const exporter: Exporter = {
    name: 'collect',
    async export(batch) {
      events.push(...batch);
      return { code: 'success' };
    },
    async shutdown() {},
  };
  const observer = createCoreObserver({ exporters: [exporter], sessionId: 'base-session' });
  return { observer, events };
}

const byType = (events: FleetEvent[], type: string) => events.filter((e) => e.type === type);

describe('instrumentation scopes', () => {
  it('forms a span tree across Promise.all fan-out, awaits and timers', async () => {
    const { observer, events } = setup();
    await observer.session({ id: '0f8fad5b-d9cb-469f-a165-70867728950e', name: 'demo' }, () =>
      observer.workflow({ id: 'wf-1' }, () =>
        observer.agent('planner', async () => {
          await Promise.all(
            ['w1', 'w2', 'w3'].map((name) =>
              observer.agent(name, async () => {
                await new Promise((r) => setTimeout(r, 5));
                await observer.tool('search', { q: name }, async () => {
                  await new Promise((r) => setImmediate(r));
                  observer.emit({ type: 'log', payload: { message: `inside ${name}` } });
                  return name.toUpperCase();
                });
              }),
            ),
          );
        }),
      ),
    );
    await observer.close();

    const [sessionStart] = byType(events, 'session.start');
    // A UUID session id becomes the trace id, so the trace is found from the session.
    expect(sessionStart!.traceId).toBe('0f8fad5bd9cb469fa16570867728950e');
    expect(events.every((e) => e.type.startsWith('session') || e.traceId === sessionStart!.traceId)).toBe(true);
    expect(events.every((e) => e.sessionId === '0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(true);

    const planner = byType(events, 'agent.start').find((e) => e.agentId === 'planner')!;
    expect(planner.parentSpanId).toBe(sessionStart!.spanId);
    expect(planner.workflowId).toBe('wf-1');
    expect(planner.payload).toMatchObject({ name: 'planner' });
    expect((planner.payload as { parentAgentId?: string }).parentAgentId).toBeUndefined();

    for (const worker of ['w1', 'w2', 'w3']) {
      const start = byType(events, 'agent.start').find((e) => e.agentId === worker)!;
      const end = byType(events, 'agent.end').find((e) => e.agentId === worker)!;
      expect(start.parentSpanId).toBe(planner.spanId);
      expect(start.payload).toMatchObject({ parentAgentId: 'planner' });
      expect(end.spanId).toBe(start.spanId);
      const toolStart = byType(events, 'tool.start').find((e) => e.agentId === worker)!;
      const toolEnd = byType(events, 'tool.end').find((e) => e.agentId === worker)!;
      expect(toolStart.parentSpanId).toBe(start.spanId);
      expect(toolEnd.spanId).toBe(toolStart.spanId);
      expect(toolEnd.payload).toMatchObject({ toolName: 'search', status: 'success', output: worker.toUpperCase() });
      // The log emitted deep inside the tool is a child of the tool span, attributed to the worker.
      const log = byType(events, 'log').find((e) => (e.payload as { message: string }).message === `inside ${worker}`)!;
      expect(log.parentSpanId).toBe(toolStart.spanId);
      expect(log.agentId).toBe(worker);
      expect(log.workflowId).toBe('wf-1');
    }
    const spanIds = events.filter((e) => e.type.endsWith('.start')).map((e) => e.spanId);
    expect(new Set(spanIds).size).toBe(spanIds.length);
  });

  it('rethrows the host error unchanged and records it', async () => {
    const { observer, events } = setup();
    class HostError extends Error {
      override name = 'HostError';
      code = 42;
    }
    const thrown = new HostError('tool broke');
    const caught = await observer.tool('fetch', { url: 'x' }, () => {
      throw thrown;
    }).catch((e: unknown) => e);
    expect(caught).toBe(thrown);
    const syncValue = await observer.tool('sync', null, () => 7);
    expect(syncValue).toBe(7);
    await observer.close();
    const end = byType(events, 'tool.end')[0]!;
    expect(end.severity).toBe('error');
    expect(end.payload).toMatchObject({ toolName: 'fetch', status: 'error', error: 'HostError: tool broke' });
    expect((end.payload as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);
  });

  it('measures durations', async () => {
    const { observer, events } = setup();
    await observer.tool('sleep', null, () => new Promise((r) => setTimeout(r, 30)));
    await observer.close();
    const duration = (byType(events, 'tool.end')[0]!.payload as { durationMs: number }).durationMs;
    expect(duration).toBeGreaterThanOrEqual(25);
  });

  it('llm() reads Anthropic usage from the response, and setUsage overrides', async () => {
    const { observer, events } = setup();
    const response = {
      id: 'msg_1',
      model: 'claude-sonnet-4-5-20250929',
      usage: { input_tokens: 120, output_tokens: 30, cache_creation_input_tokens: 1000, cache_read_input_tokens: 5000 },
    };
    const result = await observer.llm({ provider: 'anthropic', model: 'claude-sonnet-4-5' }, async () => response);
    expect(result).toBe(response);
    await observer.llm({ model: 'gpt-4o', provider: 'openai' }, (call) => {
      call.setUsage({ inputTokens: 10, outputTokens: 2 });
      call.setCostUsd(0.5);
      return { usage: { prompt_tokens: 999 } };
    });
    await observer.llm({ model: 'gpt-4o' }, async () => ({
      usage: { prompt_tokens: 100, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 60 } },
    }));
    await observer.llm({ model: 'm' }, async () => {
      throw new Error('rate limited');
    }).catch(() => {});
    await observer.close();
    const calls = byType(events, 'llm.call').map((e) => e.payload);
    expect(calls[0]).toMatchObject({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5-20250929',
      operation: 'chat',
      inputTokens: 120,
      outputTokens: 30,
      cacheWriteTokens: 1000,
      cacheReadTokens: 5000,
      status: 'success',
    });
    expect(calls[1]).toMatchObject({ inputTokens: 10, outputTokens: 2, costUsd: 0.5 });
    // OpenAI's prompt_tokens include cached tokens: 100 - 60 fresh.
    expect(calls[2]).toMatchObject({ inputTokens: 40, outputTokens: 20, cacheReadTokens: 60 });
    expect(calls[3]).toMatchObject({ status: 'error', error: 'rate limited' });
  });

  it('events outside any scope get the observer defaults', async () => {
    const { observer, events } = setup();
    observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } });
    await observer.close();
    expect(events[0]).toMatchObject({ sessionId: 'base-session', agentId: 'main', source: 'host' });
    expect(events[0]!.parentSpanId).toBeUndefined();
  });
});
