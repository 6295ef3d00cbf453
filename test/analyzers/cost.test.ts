import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createObserver, type FleetEvent } from 'fleetscope';
import { costAnalyzer, type CostOptions, type CostSnapshot } from '../../src/analyzers/cost.js';
import { DEFAULT_PRICING, callCost, findModelPrice, normalizeModelName } from '../../src/analyzers/pricing.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

interface Call {
  model: string;
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
  costUsd?: number;
  agent?: string;
  session?: string;
  at?: number;
}

async function run(calls: Call[], options: CostOptions = {}) {
  const observer = createObserver({ analyzers: [costAnalyzer(options)], storage: false });
  const alerts: FleetEvent[] = [];
  observer.on('alert', (event) => void alerts.push(event));
  for (const c of calls) {
    observer.emit({
      type: 'llm.call',
      timestamp: T0 + (c.at ?? 0),
      sessionId: c.session ?? 's1',
      agentId: c.agent ?? 'a1',
      payload: {
        model: c.model,
        status: 'success',
        inputTokens: c.input,
        outputTokens: c.output,
        cacheReadTokens: c.cacheRead,
        cacheWriteTokens: c.cacheWrite,
        cacheWrite1hTokens: c.cacheWrite1h,
        costUsd: c.costUsd,
      },
    });
  }
  await observer.flush();
  const snapshot = observer.snapshot().cost as CostSnapshot;
  await observer.close();
  return { snapshot, alerts };
}

describe('pricing', () => {
  it('normalizes dated, prefixed and dotted model names', () => {
    expect(normalizeModelName('claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5');
    expect(normalizeModelName('anthropic/claude-sonnet-4.5')).toBe('claude-sonnet-4-5');
    expect(normalizeModelName('bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0')).toBe('claude-haiku-4-5');
    expect(normalizeModelName('claude-haiku-4-5@20251001')).toBe('claude-haiku-4-5');
    expect(normalizeModelName('openai/gpt-4o-2024-08-06')).toBe('gpt-4o');
    expect(normalizeModelName('models/gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(normalizeModelName('claude-4-sonnet-20250514')).toBe('claude-sonnet-4');
  });

  it('finds prices by longest prefix, never by a shorter family name', () => {
    expect(findModelPrice(DEFAULT_PRICING, 'gemini-2.5-pro-preview-06-05')?.key).toBe('gemini-2.5-pro');
    expect(findModelPrice(DEFAULT_PRICING, 'gpt-4o-mini-2024-07-18')?.key).toBe('gpt-4o-mini');
    expect(findModelPrice(DEFAULT_PRICING, 'gpt-4.1-mini')?.key).toBe('gpt-4.1-mini');
    expect(findModelPrice(DEFAULT_PRICING, 'llama-3.1-8b-instruct')).toBeUndefined();
    expect(findModelPrice(DEFAULT_PRICING, 'gpt-4.5-preview')).toBeUndefined();
  });

  it('prices a call as tokens × price per million', () => {
    // 1000×$3 + 500×$15 + 2000×$0.30 + 400×$3.75 = 12,600 µ$ = $0.0126
    expect(callCost(DEFAULT_PRICING['claude-sonnet-4-5']!, { input: 1000, output: 500, cacheRead: 2000, cacheWrite: 400 })).toBeCloseTo(0.0126, 12);
    // Sonnet 4.5 long context, ccusage's per-category method: 200k×$3 + 50k×$6 = $0.90
    expect(callCost(DEFAULT_PRICING['claude-sonnet-4-5']!, { input: 250_000 })).toBeCloseTo(0.9, 12);
    // Gemini 2.5 Pro bills the whole call at the long price once the prompt exceeds 200k:
    // (150k input + 60k cache read) > 200k → 150k×$2.50 + 60k×$0.25 + 1k×$15 = $0.405
    expect(callCost(DEFAULT_PRICING['gemini-2.5-pro']!, { input: 150_000, cacheRead: 60_000, output: 1000 })).toBeCloseTo(0.405, 12);
    // OpenAI: cache writes are not billed separately, i.e. at the input price.
    expect(callCost(DEFAULT_PRICING['gpt-4o']!, { input: 1000, cacheWrite: 1000, cacheRead: 1000, output: 100 })).toBeCloseTo((1000 * 2.5 + 1000 * 2.5 + 1000 * 1.25 + 100 * 10) / 1e6, 12);
  });

  it('prices 1-hour cache writes at 2x input, the rest of the writes at the 5-minute price', () => {
    // 400 writes of which 150 to the 1-hour cache: 250×$3.75 + 150×$6 + 1000×$3 = 4837.5 µ$
    expect(callCost(DEFAULT_PRICING['claude-sonnet-4-5']!, { input: 1000, cacheWrite: 400, cacheWrite1h: 150 })).toBeCloseTo(0.0048375, 12);
    // More 1-hour tokens than writes is bad data: at most every write is a 1-hour write.
    expect(callCost(DEFAULT_PRICING['claude-sonnet-4-5']!, { cacheWrite: 100, cacheWrite1h: 500 })).toBeCloseTo(0.0006, 12);
    // Long context, per category: 250k 1-hour writes = 200k×$6 + 50k×$12 = $1.80
    expect(callCost(DEFAULT_PRICING['claude-sonnet-4-5']!, { cacheWrite: 250_000, cacheWrite1h: 250_000 })).toBeCloseTo(1.8, 12);
    // A table's own 1-hour price wins.
    expect(callCost({ input: 1, output: 1, cacheWrite: 1.25, cacheWrite1h: 1.5 }, { cacheWrite: 1000, cacheWrite1h: 1000 })).toBeCloseTo(0.0015, 12);
  });

  const cost = (model: string, tokens: Parameters<typeof callCost>[1]) => callCost(findModelPrice(DEFAULT_PRICING, model)!.price, tokens);

  it('prices GPT-5.x and its codex / pro variants, each by its own entry', () => {
    expect(findModelPrice(DEFAULT_PRICING, 'openai/gpt-5.1-codex-mini')?.key).toBe('gpt-5.1-codex-mini');
    expect(findModelPrice(DEFAULT_PRICING, 'gpt-5.2-pro-2025-12-11')?.key).toBe('gpt-5.2-pro');
    expect(findModelPrice(DEFAULT_PRICING, 'gpt-5.3-chat-latest')?.key).toBe('gpt-5.3-chat');
    expect(findModelPrice(DEFAULT_PRICING, 'o3-deep-research-2025-06-26')?.key).toBe('o3-deep-research');
    // 1,000,000 input × $1.75 + 200,000 cache read × $0.175 + 100,000 output × $14 = $3.185
    expect(cost('gpt-5.2', { input: 1_000_000, cacheRead: 200_000, output: 100_000 })).toBeCloseTo(3.185, 12);
    // 1,000,000 input × $0.25 + 1,000,000 output × $2 = $2.25 (not GPT-5.1's $1.25 / $10)
    expect(cost('gpt-5.1-codex-mini', { input: 1_000_000, output: 1_000_000 })).toBeCloseTo(2.25, 12);
    // 100,000 input × $15 + 10,000 output × $120 = $2.70 (not GPT-5's $1.25 / $10)
    expect(cost('gpt-5-pro', { input: 100_000, output: 10_000 })).toBeCloseTo(2.7, 12);
    // chatgpt-4o-latest is its own model: 1,000,000 × $5 + 1,000,000 × $15 = $20
    expect(findModelPrice(DEFAULT_PRICING, 'chatgpt-4o-latest')?.key).toBe('chatgpt-4o');
    expect(cost('chatgpt-4o-latest', { input: 1_000_000, output: 1_000_000 })).toBeCloseTo(20, 12);
    // GPT-4o's first snapshot kept its launch price: 1,000,000 × $5 + 1,000,000 × $15 = $20 (later snapshots $12.50)
    expect(cost('gpt-4o-2024-05-13', { input: 1_000_000, output: 1_000_000 })).toBeCloseTo(20, 12);
    expect(cost('gpt-4o-2024-08-06', { input: 1_000_000, output: 1_000_000 })).toBeCloseTo(12.5, 12);
    // GPT-4 Turbo previews are not GPT-4: 1,000,000 × $10 + 1,000,000 × $30 = $40 (GPT-4: $90)
    expect(cost('gpt-4-1106-preview', { input: 1_000_000, output: 1_000_000 })).toBeCloseTo(40, 12);
    expect(cost('gpt-4-0125-preview', { input: 1_000_000, output: 1_000_000 })).toBeCloseTo(40, 12);
    expect(cost('gpt-4-0613', { input: 1_000_000, output: 1_000_000 })).toBeCloseTo(90, 12);
  });

  it('bills a GPT-5.4+ call whose prompt exceeds 272k tokens at the long price, all of it', () => {
    // 200,000 input × $2.50 + 10,000 output × $15 = $0.65
    expect(cost('gpt-5.4', { input: 200_000, output: 10_000 })).toBeCloseTo(0.65, 12);
    // (250k input + 50k cache read) > 272k → 250,000 × $5 + 50,000 × $0.50 + 10,000 × $22.50 = $1.50
    expect(cost('gpt-5.4', { input: 250_000, cacheRead: 50_000, output: 10_000 })).toBeCloseTo(1.5, 12);
    // GPT-5.6 bills cache writes: 100,000 × $5 + 50,000 written × $6.25 + 100,000 read × $0.50 + 10,000 × $30 = $1.1625
    expect(cost('gpt-5.6-sol', { input: 100_000, cacheWrite: 50_000, cacheRead: 100_000, output: 10_000 })).toBeCloseTo(1.1625, 12);
    // long: 300,000 written × $12.50 + 1,000 output × $45 = $3.795
    expect(cost('gpt-5.6', { cacheWrite: 300_000, output: 1000 })).toBeCloseTo(3.795, 12);
  });

  it('prices the Gemini 3 previews, with the >200k prompt tier on the Pro models', () => {
    // 100,000 input × $2 + 50,000 cache read × $0.20 + 10,000 output × $12 = $0.33
    expect(cost('gemini-3-pro-preview', { input: 100_000, cacheRead: 50_000, output: 10_000 })).toBeCloseTo(0.33, 12);
    // (150k input + 60k cache read) > 200k → 150,000 × $4 + 60,000 × $0.40 + 10,000 × $18 = $0.804
    expect(cost('models/gemini-3.1-pro-preview', { input: 150_000, cacheRead: 60_000, output: 10_000 })).toBeCloseTo(0.804, 12);
    // 1,000,000 input × $0.50 + 1,000,000 cache read × $0.05 + 100,000 output × $3 = $0.85
    expect(cost('gemini-3-flash-preview', { input: 1_000_000, cacheRead: 1_000_000, output: 100_000 })).toBeCloseTo(0.85, 12);
    // the preview of 3.1 Flash-Lite is priced as 3.1 Flash-Lite: 1,000,000 × $0.25 + 100,000 × $1.50 = $0.40
    expect(cost('gemini-3.1-flash-lite-preview', { input: 1_000_000, output: 100_000 })).toBeCloseTo(0.4, 12);
  });

  it('prices the Claude models newer than ccusage@18.0.11', () => {
    // 1,000,000 input × $2 + 1,000,000 written × $2.50 + 1,000,000 read × $0.20 + 100,000 output × $10 = $5.70
    expect(cost('claude-sonnet-5', { input: 1_000_000, cacheWrite: 1_000_000, cacheRead: 1_000_000, output: 100_000 })).toBeCloseTo(5.7, 12);
    // 100,000 input × $5 + 100,000 output × $25 = $3
    expect(cost('anthropic/claude-opus-4.8', { input: 100_000, output: 100_000 })).toBeCloseTo(3, 12);
  });

  it('leaves near-miss and unknown names unpriced', () => {
    for (const model of ['gemini-3-pro-previewX', 'gemini-3-pro', 'gemini-3-pro-image-preview', 'gpt-9', 'gpt-5.7', 'gpt-5.1x', 'claude-sonnet-6', 'o5']) {
      expect(findModelPrice(DEFAULT_PRICING, model), model).toBeUndefined();
    }
  });

  const chunk = fileURLToPath(new URL('../../node_modules/ccusage/dist/data-loader-9ESMosno.js', import.meta.url));
  it.runIf(existsSync(chunk))('agrees with ccusage@18.0.11 offline pricing for Anthropic models', async () => {
    const { A: PricingFetcher } = (await import(chunk)) as { A: new (offline: boolean) => { calculateCostFromTokens(t: object, m: string): Promise<unknown> } };
    const fetcher = new PricingFetcher(true);
    const usages = [
      { input: 1234, output: 567, cacheWrite: 8910, cacheRead: 111_213 },
      { input: 250_000, output: 210_000, cacheWrite: 300_000, cacheRead: 900_000 },
    ];
    const models = [
      'claude-opus-4-7', 'claude-opus-4-6', 'claude-opus-4-5-20251101', 'claude-opus-4-1-20250805', 'claude-opus-4-20250514',
      'claude-sonnet-4-6', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-20250514', 'claude-haiku-4-5-20251001',
      'claude-3-7-sonnet-20250219', 'claude-3-haiku-20240307', 'claude-3-opus-20240229',
    ];
    for (const model of models) {
      for (const u of usages) {
        const theirs = (await fetcher.calculateCostFromTokens(
          { input_tokens: u.input, output_tokens: u.output, cache_creation_input_tokens: u.cacheWrite, cache_read_input_tokens: u.cacheRead },
          model,
        )) as { value?: number; type?: string };
        const price = findModelPrice(DEFAULT_PRICING, model);
        expect(price, model).toBeDefined();
        const value = typeof theirs === 'number' ? theirs : (theirs as { value: number }).value;
        expect(callCost(price!.price, u), `${model} ${JSON.stringify(u)}`).toBeCloseTo(value, 9);
      }
    }
  });
});

describe('costAnalyzer', () => {
  it('sums exact costs by model, agent, session and operation', async () => {
    const { snapshot } = await run([
      { model: 'claude-sonnet-4-5-20250929', input: 1000, output: 500, cacheRead: 2000, cacheWrite: 400, agent: 'planner', session: 's1' },
      { model: 'claude-haiku-4-5', input: 10_000, output: 1000, agent: 'worker', session: 's1' },
      { model: 'claude-haiku-4-5', input: 2000, output: 2000, cacheRead: 10_000, agent: 'worker', session: 's2' },
      { model: 'gpt-4o', input: 100, output: 100, costUsd: 0.5, agent: 'worker', session: 's2' },
    ]);
    // haiku: (10,000×1 + 1,000×5) = 15,000 µ$ ; (2,000×1 + 2,000×5 + 10,000×0.1) = 13,000 µ$
    expect(snapshot.byModel['claude-sonnet-4-5-20250929']!.costUsd).toBeCloseTo(0.0126, 9);
    expect(snapshot.byModel['claude-haiku-4-5']!.costUsd).toBeCloseTo(0.028, 9);
    expect(snapshot.byModel['gpt-4o']!.costUsd).toBeCloseTo(0.5, 9); // the source's costUsd wins
    expect(snapshot.totalUsd).toBeCloseTo(0.0126 + 0.028 + 0.5, 9);
    expect(snapshot.byAgent.planner!.costUsd).toBeCloseTo(0.0126, 9);
    expect(snapshot.byAgent.worker!.costUsd).toBeCloseTo(0.528, 9);
    expect(snapshot.bySession.s1!.costUsd).toBeCloseTo(0.0276, 9);
    expect(snapshot.bySession.s2!.costUsd).toBeCloseTo(0.513, 9);
    expect(snapshot.byOperation.chat!.calls).toBe(4);
    expect(snapshot.tokens).toEqual({ input: 13_100, output: 3600, cacheRead: 12_000, cacheWrite: 400 });
    expect(snapshot.reportedCostCalls).toBe(1);
    expect(snapshot.top.agents.map((r) => r.key)).toEqual(['worker', 'planner']);
    expect(snapshot.top.calls[0]!.costUsd).toBeCloseTo(0.5, 9);
    expect(snapshot.top.calls[1]!.costUsd).toBeCloseTo(0.015, 9);
  });

  it('prices the 1-hour part of the cache writes at 2x input; the token totals count it once', async () => {
    const { snapshot } = await run([{ model: 'claude-sonnet-4-5-20250929', input: 1000, cacheWrite: 400, cacheWrite1h: 150 }]);
    // 1000×$3 + 250×$3.75 + 150×$6 = 4837.5 µ$
    expect(snapshot.totalUsd).toBeCloseTo(0.0048375, 12);
    expect(snapshot.tokens).toEqual({ input: 1000, output: 0, cacheRead: 0, cacheWrite: 400 });
  });

  it('reports an unknown model as unpriced with its tokens, never as $0', async () => {
    const { snapshot } = await run([
      { model: 'llama-3.1-8b-instruct', input: 300, output: 20 },
      { model: 'llama-3.1-8b-instruct', input: 200, output: 10, cacheRead: 5 },
      { model: 'claude-haiku-4-5', input: 1_000_000 },
    ]);
    expect(snapshot.totalUsd).toBeCloseTo(1, 9);
    expect(snapshot.unpricedCalls).toBe(2);
    expect(snapshot.pricedCalls).toBe(1);
    expect(snapshot.unpriced).toEqual([{ model: 'llama-3.1-8b-instruct', calls: 2, tokens: { input: 500, output: 30, cacheRead: 5, cacheWrite: 0 } }]);
    expect(snapshot.byModel['llama-3.1-8b-instruct']).toMatchObject({ costUsd: 0, unpricedCalls: 2 });
    const finding = snapshot.findings.find((f) => f.kind === 'cost.unpriced_model');
    expect(finding?.location?.model).toBe('llama-3.1-8b-instruct');
    expect(finding?.evidence.inputTokens).toBe(500);
  });

  it('lets the host add and override prices', async () => {
    const { snapshot } = await run(
      [
        { model: 'llama-3.1-8b-instruct', input: 1_000_000, output: 1_000_000 },
        { model: 'claude-haiku-4-5', input: 1_000_000 },
      ],
      { pricing: { 'llama-3.1-8b-instruct': { input: 0.02, output: 0.05 }, 'claude-haiku-4-5': { input: 0.5, output: 2 } } },
    );
    expect(snapshot.byModel['llama-3.1-8b-instruct']!.costUsd).toBeCloseTo(0.07, 9);
    expect(snapshot.byModel['claude-haiku-4-5']!.costUsd).toBeCloseTo(0.5, 9);
    expect(snapshot.unpriced).toEqual([]);
  });

  it('throws at construction on a bad price', () => {
    expect(() => costAnalyzer({ pricing: { x: { input: -1, output: 1 } } })).toThrow(/\[fleetscope\] \[cost\] pricing\["x"\]\.input/);
    expect(() => costAnalyzer({ budgets: { totalUsd: 0 } })).toThrow(/budgets.totalUsd/);
  });

  it('fires each budget alert once when crossed', async () => {
    // Each haiku call with 100k input costs $0.10.
    const calls: Call[] = Array.from({ length: 6 }, (_, i) => ({ model: 'claude-haiku-4-5', input: 100_000, session: i < 4 ? 's1' : 's2', at: i * 1000 }));
    const { snapshot, alerts } = await run(calls, { budgets: { perSessionUsd: 0.25, totalUsd: 0.45, perDayUsd: 10 } });
    const rules = alerts.map((a) => (a.payload as { rule: string }).rule);
    // s1 crosses $0.25 at its 3rd call ($0.30); the total crosses $0.45 at the 5th ($0.50); s2 only reaches $0.20.
    expect(rules).toEqual(['cost.budget.session', 'cost.budget.total']);
    expect(alerts[0]!.sessionId).toBe('s1');
    expect((alerts[0]!.payload as { value: number }).value).toBeCloseTo(0.3, 9);
    expect((alerts[1]!.payload as { value: number }).value).toBeCloseTo(0.5, 9);
    expect(snapshot.budgetsCrossed.map((b) => b.scope)).toEqual(['session', 'total']);
    expect(snapshot.findings.filter((f) => f.kind === 'cost.budget_exceeded')).toHaveLength(2);
  });

  it('projects from the observed rate with a documented band', async () => {
    // $0.10 per call, 4 calls over 2 minutes → $0.40 / 2 min = $12/h; band 1.96/√4 = 0.98.
    const calls: Call[] = [0, 40_000, 80_000, 120_000].map((at) => ({ model: 'claude-haiku-4-5', input: 100_000, at }));
    const { snapshot } = await run(calls);
    const p = snapshot.projections;
    expect(p.observedSpanMs).toBe(120_000);
    expect(p.ratePerHourUsd).toBeCloseTo(12, 9);
    expect(p.day.baseline).toBeCloseTo(288, 6);
    expect(p.month.baseline).toBeCloseTo(8640, 6);
    expect(p.relativeError).toBeCloseTo(0.98, 4);
    expect(p.hour.optimistic).toBeCloseTo(12 * 0.02, 6);
    expect(p.hour.pessimistic).toBeCloseTo(12 * 1.98, 6);
  });
});
