/**
 * `fleetscope collect` as a user runs it: the built CLI on a free port, Claude Code-shaped OTLP/JSON
 * posted to it, Ctrl-C (SIGINT), then the events read back from the store it wrote.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { freePort } from '../../scripts/local-servers.js';
import { buildCli } from './build-cli.js';

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

  it('--print-env says http/json when protobufjs (an optional peer) cannot be loaded (was: http/protobuf, every body refused with 415)', () => {
    const withIt = spawnSync(process.execPath, [cli, 'collect', '--print-env'], { encoding: 'utf8' });
    expect(withIt.stdout).toContain('export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n');
    // A host project without protobufjs, as after a plain `npm install fleetscope`: its resolution fails.
    const blocker = join(dir, 'no-protobufjs.mjs');
    const hook = `export async function resolve(s, c, next) { if (s === 'protobufjs') { const e = new Error('Cannot find package protobufjs'); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; } return next(s, c); }`;
    writeFileSync(blocker, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n`);
    const without = spawnSync(process.execPath, ['--import', blocker, cli, 'collect', '--print-env'], { encoding: 'utf8' });
    expect(without.status).toBe(0);
    expect(without.stdout).toContain('export OTEL_EXPORTER_OTLP_PROTOCOL=http/json   # http/protobuf needs protobufjs: npm install protobufjs\n');
  });

  it('a port already taken: one message, exit 1 (was: the observer\'s "[fleetscope] [runner:otlp-receiver] start failed" line too)', async () => {
    const port = await freePort();
    const server = (await import('node:http')).createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const r = spawnSync(process.execPath, [cli, 'collect', '--port', String(port), '--store', join(dir, 'taken')], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`fleetscope collect: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
    } finally {
      server.close();
    }
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
    // The store is made as the hook makes it (was: 0755 / 0644 and no .gitignore, prompts one `git add -A` from a commit).
    expect(readFileSync(join(store, '.gitignore'), 'utf8')).toContain('\n*\n');
    expect(statSync(store).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(store).filter((n) => n.endsWith('.jsonl'))) expect(statSync(join(store, name)).mode & 0o777).toBe(0o600);
  }, 30_000);
});
