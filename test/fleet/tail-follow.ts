/**
 * `fleetscope tail --follow --json` as a child process, for the fleet tests: the ids it printed, a
 * wait for a number of them (20 s at most), and a stop by SIGINT that gives its exit code.
 */
import { spawn } from 'node:child_process';
import type { FleetEvent } from '../../src/core/index.js';

export function tailFollow(cli: string, args: readonly string[]) {
  const child = spawn(process.execPath, [cli, 'tail', ...args, '--follow', '--json'], { env: { ...process.env } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const ids = () => out.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as FleetEvent).id);
  return {
    ids,
    async until(n: number): Promise<void> {
      for (let i = 0; i < 400 && ids().length < n; i++) await new Promise((r) => setTimeout(r, 50));
    },
    stop(): Promise<number | null> {
      const code = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.kill('SIGINT');
      return code;
    },
  };
}
