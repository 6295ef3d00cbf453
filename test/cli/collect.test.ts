/**
 * `fleetscope collect` as a user runs it: the built CLI on a free port, Claude Code-shaped OTLP/JSON
 * posted to it, Ctrl-C (SIGINT), then the events read back from the store it wrote.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { freePort } from '../../scripts/local-servers.js';
import { buildCli } from './build-cli.js';
import { claudeCodeEnv } from '../../src/cli/collect.js';

let cli: string;
const dir = mkdtempSync(join(tmpdir(), 'fleetscope-collect-'));
beforeAll(() => {
  cli = buildCli();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const attr = (key: string, value: string | number) => ({ key, value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value } });

describe('fleetscope collect', () => {
  it('--print-env prints the block that points Claude Code at it; --help and bad flags behave', () => {
    const env = spawnSync(process.execPath, [cli, 'collect', '--print-env', '--port', '4999'], { encoding: 'utf8' });
    expect(env.status).toBe(0);
    expect(env.stdout).toContain('export CLAUDE_CODE_ENABLE_TELEMETRY=1');
    expect(env.stdout).toContain('export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4999');
    // protobufjs is a devDependency here, so the receiver reads protobuf.
    expect(env.stdout).toContain('export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n');
    const help = spawnSync(process.execPath, [cli, 'collect', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: fleetscope collect');
    const bad = spawnSync(process.execPath, [cli, 'collect', '--nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("Unknown option '--nope'");
  });

  // Found by QA in a host project: `npm install fleetscope` brings no protobufjs (an optional peer),
  // and with the http/protobuf block every request Claude Code sent was refused (415).
  it('asks for http/json where protobufjs is not installed', () => {
    const block = claudeCodeEnv('http://127.0.0.1:4318', false);
    expect(block).toContain('export OTEL_EXPORTER_OTLP_PROTOCOL=http/json\n');
    expect(block).not.toContain('http/protobuf\n');
    expect(claudeCodeEnv('http://127.0.0.1:4318', true)).toContain('export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n');
  });

  it('stores what Claude Code sends, and stops cleanly on Ctrl-C', async () => {
    const port = await freePort();
    const store = join(dir, 'store');
    const child = spawn(process.execPath, [cli, 'collect', '--port', String(port), '--store', store], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    for (let i = 0; i < 200 && !stderr.includes('listening on'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(stderr).toContain(`listening on http://127.0.0.1:${port}`);
    const body = {
      resourceLogs: [
        {
          resource: { attributes: [attr('service.name', 'claude-code')] },
          scopeLogs: [
            {
              scope: { name: 'com.anthropic.claude_code.events' },
              logRecords: [
                { timeUnixNano: '1796400000000000000', body: { stringValue: 'claude_code.api_request' }, attributes: [attr('session.id', 's-1'), attr('model', 'claude-haiku-4-5'), attr('request_id', 'req_a'), attr('input_tokens', 120), attr('output_tokens', 30), { key: 'cost_usd', value: { doubleValue: 0.00027 } }] },
                { timeUnixNano: '1796400001000000000', body: { stringValue: 'claude_code.tool_result' }, attributes: [attr('session.id', 's-1'), attr('tool_name', 'Edit'), attr('tool_use_id', 'toolu_a'), attr('success', 'true'), attr('duration_ms', 55)] },
              ],
            },
          ],
        },
      ],
    };
    const response = await fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain('1 requests, 2 events stored');
    const log = fileLogStorage({ dir: store });
    const events = (await log.query({ limit: 100 })).events;
    await log.close();
    expect(events.map((e) => [e.type, e.sessionId, e.timestamp])).toEqual([
      ['llm.call', 's-1', 1796400000000],
      ['tool.end', 's-1', 1796400001000],
    ]);
    expect(events[0]!.payload).toMatchObject({ model: 'claude-haiku-4-5', inputTokens: 120, outputTokens: 30, costUsd: 0.00027, requestId: 'req_a' });
  }, 30_000);
});
