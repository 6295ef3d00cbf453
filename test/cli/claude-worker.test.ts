/**
 * `--claude` sources read in a worker thread (src/cli/claude-source.ts, claude-worker.ts), as built:
 * the worker is used (above 8 MiB of transcripts, or with FLEETSCOPE_READ_WORKER=on), and every
 * output is the same byte for byte as reading on the main thread (FLEETSCOPE_READ_WORKER=off): the
 * report, filters, merged sources, errors; a worker that dies before or after its first events is
 * made up for on the main thread, said once on stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerPays } from '../../src/cli/claude-source.js';
import { S1, T0, builtCli, run, writeStore, writeTranscripts } from './fixtures.js';

const built = builtCli('fleetscope-claude-worker-');
const real = join(process.cwd(), '../shared/real-cc/transcripts');

const onMain = { FLEETSCOPE_READ_WORKER: 'off' };
const inWorker = { FLEETSCOPE_READ_WORKER: 'on', FLEETSCOPE_DEBUG: '1' };
const USED = /^fleetscope: debug: transcripts read in a worker thread: ([\d,]+) events in (\d+) messages$/m;

/** The same command on the main thread and in the worker: same exit code, stdout and stderr (but the debug line). */
function same(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const main = run(built.cli, args, { env: { ...env, ...onMain } });
  const worker = run(built.cli, args, { env: { ...env, ...inWorker } });
  expect(worker.code, args.join(' ')).toBe(main.code);
  expect(worker.stdout, args.join(' ')).toBe(main.stdout);
  expect(worker.stderr.replace(USED, '').replace(/^\n/m, ''), args.join(' ')).toBe(main.stderr);
  return worker;
}

describe('the reading worker of --claude sources', () => {
  it('decides by cores, load and size: a core idle besides the main thread and 8 MiB of transcripts', () => {
    const big = () => true;
    // `busy`: threads runnable right now besides this one.
    expect(workerPays(2, 0, big)).toBe(true);
    // The other core busy: the worker's ≈ 10% more CPU would make the read slower.
    expect(workerPays(2, 1, big)).toBe(false);
    expect(workerPays(8, 6, big)).toBe(true);
    expect(workerPays(8, 7, big)).toBe(false);
    expect(workerPays(1, 0, big)).toBe(false);
    expect(workerPays(2, 0, () => false)).toBe(false);
  });

  it('reads the real transcripts (31 MB: over the 8 MiB floor) in the worker by default on an idle core, and says why not otherwise', () => {
    const byDefault = run(built.cli, ['report', '--claude', real, '--json'], { env: { FLEETSCOPE_DEBUG: '1' } });
    expect(byDefault.code).toBe(0);
    // The machine's load decides (CI runs test files in parallel): either the worker's line or the reason.
    const busy = /^fleetscope: debug: transcripts read on the main thread \(no idle core: \d+ other threads? runnable on \d+ cores\)$/m;
    if (busy.test(byDefault.stderr)) {
      console.warn('claude-worker.test: the machine was busy, the default read stayed on the main thread (checked with FLEETSCOPE_READ_WORKER=on below)');
      expect(byDefault.stderr).not.toMatch(USED);
    }
    const forced = busy.test(byDefault.stderr) ? run(built.cli, ['report', '--claude', real, '--json'], { env: inWorker }) : byDefault;
    const used = USED.exec(forced.stderr);
    expect(used).not.toBeNull();
    const main = run(built.cli, ['report', '--claude', real, '--json'], { env: onMain });
    expect(main.stderr).not.toMatch(USED);
    expect(byDefault.stdout).toBe(main.stdout);
    expect(forced.stdout).toBe(main.stdout);
    // Every event the report counts came through the worker's messages (at most 2,000 each).
    const events = Number(used![1]!.replaceAll(',', ''));
    expect(events).toBeGreaterThan(1000);
    expect(Number(used![2])).toBeGreaterThanOrEqual(Math.ceil(events / 2000));
    // The markdown report too.
    same(['report', '--claude', real]);
  }, 120_000);

  it('leaves a small set (under 8 MiB) on the main thread', () => {
    const dir = join(built.root, 'small');
    writeTranscripts(dir);
    const r = run(built.cli, ['report', '--claude', dir, '--json'], { env: { FLEETSCOPE_DEBUG: '1' } });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(USED);
    expect(r.stderr).toMatch(/transcripts read on the main thread \((under 8 MiB of transcripts|no idle core: .*)\)$/m);
  });

  it('gives the same output with filters, with a store merged in, and for every read command', async () => {
    const store = join(built.root, 'store');
    const claude = join(built.root, 'claude');
    await writeStore(store);
    writeTranscripts(claude);
    const merged = same(['sessions', '--store', store, '--claude', claude, '--session', S1, '--json']);
    expect(merged.stderr).toMatch(USED);
    expect(JSON.parse(merged.stdout).sessions[0]).toMatchObject({ sessionId: S1, toolCalls: 4, llmCalls: 2 });
    same(['stats', '--store', store, '--claude', claude, '--json']);
    same(['report', '--store', store, '--claude', claude, '--json']);
    same(['report', '--claude', real, '--type', 'llm.call', '--json']);
    same(['report', '--claude', real, '--agent', 'main', '--json']);
    same(['report', '--claude', claude, '--since', new Date(T0 + 1000).toISOString(), '--until', new Date(T0 + 15_000).toISOString(), '--json']);
    // The tree: the same lines. Not in the same order: spans that start at the same millisecond are ordered
    // by ids that are new on every run (the same between two runs on the main thread).
    const lines = (r: { stdout: string }) => r.stdout.split('\n').sort();
    const trace = ['trace', S1.slice(0, 8), '--claude', claude];
    const traced = run(built.cli, trace, { env: inWorker });
    expect(traced.code).toBe(0);
    expect(traced.stderr).toMatch(USED);
    expect(lines(traced)).toEqual(lines(run(built.cli, trace, { env: onMain })));
    // tail's lines (its --json holds the events' ids, new on every run when a source has none); -n 0 prints
    // as it reads, so it reads on the main thread (see tail.ts).
    expect(same(['tail', '--claude', real, '-n', '0']).stderr).not.toMatch(USED);
    expect(same(['tail', '--claude', real, '-n', '5']).stderr).toMatch(USED);
  }, 120_000);

  it('keeps the errors: a file that is not a transcript, a folder without transcripts', () => {
    const notTranscript = join(built.root, 'not-cc', 'projects', 'p');
    mkdirSync(notTranscript, { recursive: true });
    writeFileSync(join(notTranscript, 'x.jsonl'), '{"hello":"world"}\n{"hello":"again"}\n');
    const r = same(['report', '--claude', join(built.root, 'not-cc')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a Claude Code transcript \(2 lines, 2 not transcript entries\)/);
    // A worker started before the arguments were checked (report --claude: see prefetchClaude) is let go.
    const bad = same(['report', '--claude', real, '--bogus']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("fleetscope: Unknown option '--bogus' (see --help)\n");
    const empty = join(built.root, 'empty-cc');
    mkdirSync(empty);
    const e = same(['report', '--claude', empty]);
    expect(e.code).toBe(3);
    expect(e.stderr).toMatch(/no Claude Code transcripts \(\*\.jsonl\) under/);
  });

  /** A preload that ends the worker thread (not the process) at its first message, or at its 'end' message (after every step). */
  function killer(at: 'first' | 'end'): string {
    const file = join(built.root, `kill-at-${at}.mjs`);
    writeFileSync(
      file,
      `import { isMainThread, MessagePort } from 'node:worker_threads';
if (!isMainThread) {
  const post = MessagePort.prototype.postMessage;
  MessagePort.prototype.postMessage = function (m, ...rest) {
    return ${at === 'first' ? 'true' : "m?.kind === 'end'"} ? process.exit(9) : post.call(this, m, ...rest);
  };
}
`,
    );
    return file;
  }

  function runWith(preload: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ['--import', preload, built.cli, ...args], { encoding: 'utf8', env: { ...process.env, FLEETSCOPE_READ_WORKER: 'on', FLEETSCOPE_DEBUG: '1' } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('a worker that dies before its first events: read on the main thread, said once, same report', () => {
    const main = run(built.cli, ['report', '--claude', real, '--json'], { env: onMain });
    const r = runWith(killer('first'), ['report', '--claude', real, '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(main.stdout);
    expect(r.stderr).toBe('fleetscope: the reading worker failed (exited with code 9): transcripts read on the main thread\n');
  }, 120_000);

  it('a worker that dies after its events were replayed: the replay starts over on the main thread, nothing counted twice', () => {
    const main = run(built.cli, ['report', '--claude', real, '--json'], { env: onMain });
    const r = runWith(killer('end'), ['report', '--claude', real, '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(main.stdout);
    expect(r.stderr).toBe('fleetscope: the reading worker failed (exited with code 9): reading again on the main thread\n');
  }, 120_000);
});
