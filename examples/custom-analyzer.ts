/**
 * A custom analyzer in a few lines: it reads the built-in `fleet` analyzer's snapshot and emits
 * an insight (once per workflow) when a completed workflow spends many fresh tokens per agent;
 * the insight engine picks it up and it appears in the report.
 *
 *   npx tsx examples/custom-analyzer.ts
 */
import { createObserver, defaultAnalyzers, defineAnalyzer } from 'fleetscope';
import type { FleetSnapshot } from 'fleetscope/analyzers';

const flagged = new Set<string>();
const tokensPerAgent = defineAnalyzer({
  name: 'tokens-per-agent',
  dependsOn: ['fleet'], // read the built-in fleet analyzer's snapshot
  filter: { types: ['agent.end'] },
  onBatch(_batch, context) {
    for (const workflow of context.snapshotOf<FleetSnapshot>('fleet')?.workflows ?? []) {
      const perAgent = (workflow.tokens.input + workflow.tokens.output) / Math.max(1, workflow.executions);
      if (workflow.state !== 'completed' || perAgent < 10_000 || flagged.has(workflow.workflowId)) continue;
      flagged.add(workflow.workflowId);
      context.emit({
        type: 'insight',
        payload: {
          rule: 'example.tokens_per_agent',
          title: `Workflow ${workflow.workflowId} spends ${Math.round(perAgent)} fresh tokens per agent`,
          category: 'cost',
          priority: 'medium',
          confidence: 0.8,
          recommendation: 'Give each agent only the context it needs, and cache the shared prefix.',
          evidence: { perAgent: Math.round(perAgent), executions: workflow.executions },
        },
      });
    }
  },
  snapshot: () => ({ flagged: [...flagged] }),
});

const observer = createObserver({ analyzers: [...defaultAnalyzers(), tokensPerAgent] });

await observer.workflow('summarize', () =>
  observer.agent('summarizer', () =>
    observer.llm({ model: 'claude-haiku-4-5', provider: 'anthropic' }, async () => ({
      model: 'claude-haiku-4-5',
      usage: { input_tokens: 24_000, output_tokens: 900, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    })),
  ),
);

const report = await observer.report({ title: 'custom analyzer example' });
await observer.close();
const line = report.split('\n').find((l) => l.includes('fresh tokens per agent'));
console.log(line ?? report);
