/**
 * The package as a user gets it: `npm pack` (which builds through `prepack`), install the tarball
 * into an empty project, then import every subpath with ESM and CommonJS, run the bin, and
 * type-check a consumer with node16 resolution (what are-the-types-wrong checks).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
const subpaths = ['', '/core', '/analyzers', '/runners', '/storage', '/exporters', '/guardrails', '/redaction', '/reports', '/testing'];
// Node >= 20.19 can `require` an ES module; without it (as on an older Node 20) every CommonJS build must
// stand on its own, so the CommonJS check turns that off where the flag exists.
const withoutRequireEsm = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : [];
let project: string;

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });

describe('packed package', () => {
  beforeAll(() => {
    const packDir = mkdtempSync(join(tmpdir(), 'fleetscope-pack-'));
    run('npm', ['pack', '--pack-destination', packDir, '--silent'], root);
    const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'))!;
    project = mkdtempSync(join(tmpdir(), 'fleetscope-consumer-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'commonjs' }));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional', join(packDir, tarball), 'typescript@5', '@types/node@20'], project);
  }, 300_000);

  it('imports every subpath with ESM and CommonJS', () => {
    const esm = subpaths.map((s) => `import * as m${s.replace(/\W/g, '_')} from 'fleetscope${s}'; if (Object.keys(m${s.replace(/\W/g, '_')}).length === 0) throw new Error('empty ${s}');`).join('\n');
    writeFileSync(join(project, 'esm.mjs'), `${esm}\nconsole.log('esm ok');`);
    expect(run('node', ['esm.mjs'], project)).toContain('esm ok');
    const cjs = subpaths.map((s) => `if (Object.keys(require('fleetscope${s}')).length === 0) throw new Error('empty ${s}');`).join('\n');
    writeFileSync(join(project, 'cjs.cjs'), `${cjs}\nconsole.log('cjs ok');`);
    expect(run('node', [...withoutRequireEsm, 'cjs.cjs'], project)).toContain('cjs ok');
  });

  it('works end to end from the installed package', () => {
    writeFileSync(
      join(project, 'use.mjs'),
      `import { createObserver } from 'fleetscope';
const observer = createObserver();
await observer.session('s1', () => observer.tool('search', { q: 'x' }, async () => 'ok'));
const page = await observer.query({ sessionId: 's1' });
const report = await observer.report();
await observer.close();
console.log(page.events.map((e) => e.type).join(','), report.length > 0);`,
    );
    expect(run('node', ['use.mjs'], project).trim()).toBe('session.start,tool.start,tool.end,session.end true');
  });

  it('ships a working bin', () => {
    const out = run('node', [join(project, 'node_modules', '.bin', 'fleetscope'), '--help'], project);
    expect(out).toMatch(/hook/);
  });

  it('ships the reading worker beside the bin: report --claude reads the transcripts in it, with the same report', () => {
    const bin = join(project, 'node_modules', '.bin', 'fleetscope');
    const real = join(root, '..', 'shared', 'real-cc', 'transcripts');
    const read = (mode: string) =>
      execFileSync('node', [bin, 'report', '--claude', real, '--json'], { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLEETSCOPE_READ_WORKER: mode, FLEETSCOPE_DEBUG: '1' } });
    const inWorker = spawnSync('node', [bin, 'report', '--claude', real, '--json'], { cwd: project, encoding: 'utf8', env: { ...process.env, FLEETSCOPE_READ_WORKER: 'on', FLEETSCOPE_DEBUG: '1' } });
    expect(inWorker.status).toBe(0);
    expect(inWorker.stderr).toMatch(/^fleetscope: debug: transcripts read in a worker thread: [\d,]+ events in \d+ messages$/m);
    expect(inWorker.stdout).toBe(read('off'));
  }, 120_000);

  it('ships types that resolve under node16 for ESM and CommonJS consumers', () => {
    writeFileSync(
      join(project, 'consumer.mts'),
      `import { createObserver, type FleetEvent } from 'fleetscope';
import { memoryStorage } from 'fleetscope/storage';
const observer = createObserver({ storage: memoryStorage({ capacity: 10 }) });
observer.on('tool.end', (event) => { const ms: number | undefined = event.payload.durationMs; void ms; });
const e: FleetEvent | undefined = observer.emit({ type: 'metric', payload: { name: 'm', value: 1 } });
void e;`,
    );
    writeFileSync(join(project, 'consumer.cts'), `import fleetscope = require('fleetscope');\nconst o = fleetscope.createObserver();\nvoid o;`);
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--lib', 'es2022,esnext.disposable', '--types', 'node'];
    expect(run('node', [tsc, ...args, 'consumer.mts', 'consumer.cts'], project)).toBe('');
  });

  // A strict host checks our .d.ts files too: skipLibCheck off, exactOptionalPropertyTypes on (an
  // interface that widened an inherited optional field to `| undefined` failed there), and the
  // older node10 resolution, which ignores `exports` and finds the subpaths through `typesVersions`.
  it('ships types a strictest host accepts, under node16 and under node10 resolution', () => {
    const imports = subpaths.map((s) => `import * as m${s.replace(/\W/g, '_')} from 'fleetscope${s}';`).join('\n');
    const uses = subpaths.map((s) => `m${s.replace(/\W/g, '_')}`).join(', ');
    writeFileSync(join(project, 'strict.ts'), `${imports}\nconst observer = m.createObserver({ analyzers: [], report: () => 'r' });\nexport const all = [${uses}, observer];\n`);
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    const strictest = ['--noEmit', '--strict', '--exactOptionalPropertyTypes', '--noUncheckedIndexedAccess', '--skipLibCheck', 'false', '--target', 'es2022', '--types', 'node'];
    expect(run('node', [tsc, ...strictest, '--module', 'node16', '--moduleResolution', 'node16', 'strict.ts'], project)).toBe('');
    expect(run('node', [tsc, ...strictest, '--module', 'commonjs', '--moduleResolution', 'node10', 'strict.ts'], project)).toBe('');
  });
});
