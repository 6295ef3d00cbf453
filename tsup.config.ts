import { defineConfig } from 'tsup';
import { buildHookBundle } from './scripts/build-hook.mjs';

/**
 * One entry per public subpath. `test/package.test.ts` checks that this list and the
 * `exports` map in package.json agree, so a subpath can never ship without its build.
 */
export const entries = {
  index: 'src/index.ts',
  'core/index': 'src/core/index.ts',
  'runners/index': 'src/runners/index.ts',
  'analyzers/index': 'src/analyzers/index.ts',
  'storage/index': 'src/storage/index.ts',
  'exporters/index': 'src/exporters/index.ts',
  'guardrails/index': 'src/guardrails/index.ts',
  'redaction/index': 'src/redaction/index.ts',
  'reports/index': 'src/reports/index.ts',
  'testing/index': 'src/testing/index.ts',
  'cli/index': 'src/cli/index.ts',
  // Not a subpath: the worker thread that reads `--claude` transcripts, found beside the CLI at run time
  // (src/cli/claude-source.ts `workerUrl`).
  'cli/claude-worker': 'src/cli/claude-worker.ts',
};

export default defineConfig({
  entry: entries,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  // d3-scale and its modules ship as ES modules only: bundled, `require('fleetscope/reports')` works on every
  // Node 20 (a CommonJS `require` of an ES module needs Node >= 20.19), and hosts install two packages fewer.
  noExternal: [/^d3-/, 'internmap'],
  // Then the hook's own entry, `dist/cli/hook.cjs`: one self-contained CommonJS file (scripts/build-hook.mjs).
  onSuccess: () => buildHookBundle('dist/cli/hook.cjs'),
});
