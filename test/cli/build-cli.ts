/**
 * Builds the CLI the way `npm run build` does (tsup, ESM, code splitting, tree shaking) into a
 * private temporary directory, so CLI tests and benchmarks run the built code without touching
 * `dist/` (other work may be building it at the same time). Not a test file itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

export function buildCli(): string {
  const root = join(import.meta.dirname, '..', '..');
  // Inside the checkout (node_modules/.cache), so the built code resolves the package's dependencies
  // the way an installed package does; private to this call, so parallel builds never collide.
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outDir = mkdtempSync(join(cache, 'fleetscope-cli-'));
  const result = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js'),
      '--no-config',
      'src/cli/index.ts',
      '--format',
      'esm',
      '--splitting',
      '--treeshake',
      '--target',
      'node20',
      '--out-dir',
      outDir,
      '--silent',
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`tsup failed: ${result.stderr}${result.stdout}`);
  return join(outDir, 'index.js');
}
