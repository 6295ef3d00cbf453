/**
 * Builds the CLI the way `npm run build` does (tsup, ESM, code splitting, tree shaking) into a
 * private temporary directory (under node_modules/.cache, where the dependencies resolve), so CLI tests and benchmarks run the built code without touching
 * `dist/` (other work may be building it at the same time), with the hook's own entry `hook.cjs` beside it.
 * Not a test file itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function buildCli(): string {
  const root = join(import.meta.dirname, '..', '..');
  // Inside node_modules/.cache, so the built chunks resolve the package's dependencies.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  const outDir = mkdtempSync(join(root, 'node_modules', '.cache', 'fleetscope-cli-'));
  const result = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js'),
      '--no-config',
      'src/cli/index.ts',
      // The reading worker of `--claude` sources, beside index.js as in dist/cli/ (claude-source.ts finds it there).
      'src/cli/claude-worker.ts',
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
  // The hook's self-contained entry, beside index.js as in dist/cli/ (`npm run build` writes both).
  const hook = spawnSync(process.execPath, [join(root, 'scripts', 'build-hook.mjs'), hookEntryOf(join(outDir, 'index.js'))], { cwd: root, encoding: 'utf8' });
  if (hook.status !== 0) throw new Error(`hook bundle failed: ${hook.stderr}${hook.stdout}`);
  return join(outDir, 'index.js');
}

/** The self-contained hook entry (`hook.cjs`) built beside a `buildCli()` CLI. */
export function hookEntryOf(cli: string): string {
  return join(dirname(cli), 'hook.cjs');
}
