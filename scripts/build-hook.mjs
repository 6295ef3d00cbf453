/**
 * Builds `dist/cli/hook.cjs`: the entry Claude Code runs on every hook event and status refresh
 * (`src/cli/hook-entry.ts`), as ONE self-contained CommonJS file. A fresh process per tool call
 * pays for every file it resolves and every module it loads, so: no chunks, no ESM loader (slower
 * to start on Node 20), dependencies inlined, and Node's heavy built-ins loaded on first use only.
 *
 * `npm run build` runs it after tsup (tsup.config.ts, onSuccess); tests build it with
 * `node scripts/build-hook.mjs <out-file>` (test/cli/build-cli.ts).
 */
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/**
 * Built-ins that cost a hook call more than they give it: `node:crypto` (≈ 30 internal modules;
 * needed only for an audit record, a long pending key or a redaction hash) and `node:net` (the
 * PII detector's `isIP`, used with FLEETSCOPE_REDACT=all only). Loaded on first use.
 */
const LAZY_BUILTINS = ['crypto', 'net'];

/** esbuild plugin: `import { x } from 'node:crypto'` gets an object whose `x` loads the module when first read. */
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-builtin' ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      if (!builtinModules.includes(args.path)) return undefined;
      const names = Object.keys(require(args.path)).filter((n) => n !== 'default');
      return {
        loader: 'js',
        contents: [
          'let loaded;',
          `const load = () => (loaded ??= require('node:${args.path}'));`,
          `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
        ].join('\n'),
      };
    });
  },
};

/** Writes the hook bundle to `outFile`. */
export async function buildHookBundle(outFile) {
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src/cli/hook-entry.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [lazyBuiltins],
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildHookBundle(process.argv[2] ?? join(root, 'dist/cli/hook.cjs'));
}
