/**
 * Fleet reads: the read-side commands over a PostgreSQL store (`--postgres URL`), as over a local one, with
 * figures computed by hand.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/core/index.js';
import { postgresStorage } from '../../src/storage/postgres.js';
import { buildCli } from '../cli/build-cli.js';
import { tailFollow } from './tail-follow.js';
import { hasPostgres, startPostgres, type RunningPostgres } from '../support/servers.js';

const T0 = Date.UTC(2026, 11, 1, 9);
const ev = (id: string, sessionId: string, agentId: string, type: string, timestamp: number, payload: Record<string, unknown>): FleetEvent =>
  ({ id, type, timestamp, severity: 'info', source: 'host-a', sessionId, agentId, payload }) as FleetEvent;

describe.skipIf(!hasPostgres)('fleetscope sessions / report --postgres URL', () => {
  let server: RunningPostgres;
  let cli: string;
  beforeAll(async () => {
    cli = buildCli();
    server = await startPostgres();
    const storage = postgresStorage({ connectionString: server.url });
    // Two sessions from two hosts. s-1: 2 calls (1000 in / 100 out each), 1 failed tool. s-2: 1 call (2000 / 400).
    await storage.append([
      ev('a1', 's-1', 'main', 'llm.call', T0, { model: 'claude-sonnet-4-5', status: 'success', inputTokens: 1000, outputTokens: 100 }),
      ev('a2', 's-1', 'main', 'tool.end', T0 + 1000, { toolName: 'Bash', status: 'error', durationMs: 50, error: 'exit 1' }),
      ev('a3', 's-1', 'main', 'llm.call', T0 + 2000, { model: 'claude-sonnet-4-5', status: 'success', inputTokens: 1000, outputTokens: 100 }),
      ev('b1', 's-2', 'main', 'llm.call', T0 + 60_000, { model: 'claude-sonnet-4-5', status: 'success', inputTokens: 2000, outputTokens: 400 }),
    ]);
    await storage.close();
  }, 120_000);
  afterAll(() => server?.destroy());

  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('stats names the source without its password', () => {
    // The test server trusts loopback, so any password connects; it must never be printed.
    const withPassword = server.url.replace('://fleetscope@', '://fleetscope:hunter2@');
    expect(withPassword).toContain('hunter2');
    const out = run('stats', '--postgres', withPassword, '--json');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout + out.stderr).not.toContain('hunter2');
    const sources = (JSON.parse(out.stdout) as { sources: { kind: string; path: string; events: number }[] }).sources;
    expect(sources).toEqual([expect.objectContaining({ kind: 'postgres', path: withPassword.replace(':hunter2@', ':***@'), events: 4 })]);
  });

  it('lists the fleet’s sessions with their figures', () => {
    const out = run('sessions', '--postgres', server.url, '--json');
    expect(out.status, out.stderr).toBe(0);
    const rows = (JSON.parse(out.stdout) as { sessions: { sessionId: string; llmCalls: number; failedTools: number; costUsd: number; durationMs: number }[] }).sessions;
    const byId = Object.fromEntries(rows.map((r) => [r.sessionId, r]));
    expect(byId['s-1']).toMatchObject({ llmCalls: 2, failedTools: 1, durationMs: 2000 });
    // claude-sonnet-4-5 at $3 / $15 per million: s-1 = 2 × (1000 × 3 + 100 × 15) / 1e6 = 0.009; s-2 = (2000 × 3 + 400 × 15) / 1e6 = 0.012.
    expect(byId['s-1']!.costUsd).toBeCloseTo(0.009, 9);
    expect(byId['s-2']!.costUsd).toBeCloseTo(0.012, 9);
  });

  it('reports over the fleet’s history, filters pushed down to the database', () => {
    const out = run('report', '--postgres', server.url, '--session', 's-1', '--json');
    expect(out.status, out.stderr).toBe(0);
    const cost = (JSON.parse(out.stdout) as { cost: { calls: number; totalUsd: number } }).cost;
    expect(cost.calls).toBe(2);
    expect(cost.totalUsd).toBeCloseTo(0.009, 9);
  });

  it('traces a session of the fleet’s history', () => {
    const out = run('trace', 's-1', '--postgres', server.url, '--json');
    expect(out.status, out.stderr).toBe(0);
    const tree = JSON.parse(out.stdout) as { sessionId: string; root: { children: { name: string; kind: string; offsetMs: number; status: string; tokens?: number }[] } };
    expect(tree.sessionId).toBe('s-1');
    // The tool ended at T0 + 1000 after 50 ms: it started 950 ms into the session; each call is 1000 in + 100 out.
    expect(tree.root.children.map((c) => [c.name, c.kind, c.offsetMs, c.status, c.tokens])).toEqual([
      ['claude-sonnet-4-5', 'llm', 0, 'success', 1100],
      ['Bash', 'tool', 950, 'error', undefined],
      ['claude-sonnet-4-5', 'llm', 2000, 'success', 1100],
    ]);
  });

  it('tail --follow prints what other hosts append, polled by time, once each', async () => {
    const tail = tailFollow(cli, ['--postgres', server.url, '--poll-ms', '50', '-n', '1']);
    await tail.until(1);
    const host = postgresStorage({ connectionString: server.url });
    // Another host, a little behind on time (within the 5 s read back), and a redelivered event.
    await host.append([ev('c1', 's-3', 'main', 'tool.end', T0 + 58_000, { toolName: 'Read', status: 'success', durationMs: 5 })]);
    await tail.until(2);
    await host.append([
      ev('c1', 's-3', 'main', 'tool.end', T0 + 58_000, { toolName: 'Read', status: 'success', durationMs: 5 }),
      ev('c2', 's-3', 'main', 'tool.end', T0 + 61_000, { toolName: 'Edit', status: 'success', durationMs: 7 }),
    ]);
    await tail.until(3);
    await host.close();
    expect(await tail.stop()).toBe(0);
    expect(tail.ids()).toEqual(['b1', 'c1', 'c2']);
  });

  it('tail --follow keeps following through a server restart: says so on stderr, resumes where it stopped', async () => {
    const tail = tailFollow(cli, ['--postgres', server.url, '--poll-ms', '50', '-n', '1']);
    await tail.until(1);
    server.stop();
    await tail.untilStderr('lost');
    server.start();
    const host = postgresStorage({ connectionString: server.url });
    await host.append([ev('d1', 's-4', 'main', 'llm.call', T0 + 62_000, { model: 'claude-sonnet-4-5', status: 'success', inputTokens: 1, outputTokens: 1 })]);
    await tail.until(2);
    await host.close();
    await tail.untilStderr('is back');
    expect(await tail.stop()).toBe(0);
    // The newest event before the restart, then the one after it: nothing printed twice.
    expect(tail.ids()).toEqual(['c2', 'd1']);
    const lines = tail.stderr().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^fleetscope tail: lost postgres:\/\/fleetscope@127\.0\.0\.1:\d+\/postgres \(.+\); retrying until it is back/);
    expect(lines[1]).toMatch(/is back; following from where it stopped$/);
  }, 60_000);

  it('a bad URL or an unreachable server is a clear error (exit 1), the password never shown', () => {
    const bad = run('sessions', '--postgres', 'mysql://x');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--postgres takes a postgres:// URL');
    const dead = run('report', '--postgres', 'postgres://me:s3cret@127.0.0.1:1/db', '--json');
    expect(dead.status).toBe(1);
    expect(dead.stderr).toContain('cannot read PostgreSQL store postgres://me:***@127.0.0.1:1/db');
    expect(dead.stderr).not.toContain('s3cret');
  });
});
