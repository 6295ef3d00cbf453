/**
 * `npm run bench`: runs every `bench/*.bench.ts` in its own process (so one benchmark's heap
 * and JIT state cannot skew another) and prints their reports. Figures go to BENCHMARKS.md by hand,
 * with the machine they were measured on.
 *
 * `npm run bench -- core` runs only the benchmarks whose file name contains `core`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

console.log(`# fleetscope benchmarks`);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
let failed = 0;
for (const file of files) {
  console.log(`## ${file}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', `${dir}${file}`], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) {
    failed++;
    console.log(`\n(${file} exited with ${result.status})`);
  }
  console.log('');
}
process.exit(failed === 0 ? 0 : 1);
