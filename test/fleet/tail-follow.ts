/**
 * `fleetscope tail --follow --json` as a child process, for the fleet tests: the ids it printed, what
 * it said on stderr, a wait for a number of ids or for a message (20 s at most), and a stop by SIGINT
 * that gives its exit code.
 */
import { spawn } from 'node:child_process';
import type { FleetEvent } from '../../src/core/index.js';

export function tailFollow(cli: string, args: readonly string[]) {
  const child = spawn(process.execPath, [cli, 'tail', ...args, '--follow', '--json'], { env: { ...process.env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ids = () => out.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as FleetEvent).id);
  const wait = async (done: () => boolean) => {
    for (let i = 0; i < 400 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
  };
  return {
    ids,
    stderr: () => err,
    until: (n: number) => wait(() => ids().length >= n),
    untilStderr: (text: string) => wait(() => err.includes(text)),
    stop(): Promise<number | null> {
      const code = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.kill('SIGINT');
      return code;
    },
  };
}
