/**
 * Checks the package, not only the code: the exports map and the build entries agree, and the
 * folder layout keeps its promise (core knows no plugin; a plugin knows core and its own family).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entries } from '../tsup.config.js';

const root = join(__dirname, '..');
type Target = { types: string; default: string };
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { import: Target; require: Target }>;
  bin: Record<string, string>;
};

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s+['"]([^'"]+)['"]/g), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1]!,
  );
}

describe('package', () => {
  it('every export subpath has a build entry whose source exists', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue; // ./package.json
      const entry = target.import.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '');
      expect(entries, `exports["${subpath}"] has no tsup entry "${entry}"`).toHaveProperty(entry);
      // Each condition has its own types: ESM declarations for import, .d.cts for require
      // (with "type": "module", one shared .d.ts would be read as ESM by a require consumer).
      expect(target.import.types).toBe(`./dist/${entry}.d.ts`);
      expect(target.require).toEqual({ types: `./dist/${entry}.d.cts`, default: `./dist/${entry}.cjs` });
      expect(existsSync(join(root, (entries as Record<string, string>)[entry]!))).toBe(true);
    }
  });

  it('every library entry is exported and the bin has its entry', () => {
    const exported = new Set(
      Object.values(pkg.exports)
        .filter((t) => typeof t !== 'string')
        .map((t) => (t as { import: Target }).import.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '')),
    );
    for (const entry of Object.keys(entries)) {
      if (entry.startsWith('cli/')) continue;
      expect(exported.has(entry), `tsup entry "${entry}" is not in package.json exports`).toBe(true);
    }
    expect(pkg.bin.fleetscope).toBe('./dist/cli/index.js');
    expect(entries).toHaveProperty('cli/index');
  });
});

describe('architecture', () => {
  const families = ['runners', 'analyzers', 'storage', 'exporters', 'guardrails', 'redaction'];
  /** Deprecated re-exports kept for existing importers of `fleetscope/runners`: file -> the other family it re-exports. */
  const shims: Record<string, string> = { 'runners/index.ts': '../guardrails/index.js' };
  const tsFiles = (dir: string) => readdirSync(join(root, 'src', dir)).filter((f) => f.endsWith('.ts')).map((f) => join(root, 'src', dir, f));

  it('src/core imports no plugin family', () => {
    for (const file of tsFiles('core')) {
      for (const spec of importsOf(file)) {
        expect(spec.startsWith('..'), `${file} imports ${spec}`).toBe(false);
      }
    }
  });

  it('a plugin imports src/core and its own family only', () => {
    for (const family of families) {
      for (const file of tsFiles(family)) {
        for (const spec of importsOf(file)) {
          if (!spec.startsWith('.')) continue; // packages and node built-ins
          const shim = Object.entries(shims).some(([f, target]) => file.endsWith(f) && spec === target);
          const ok = spec.startsWith('./') || spec.startsWith('../core/') || shim;
          expect(ok, `${file} imports ${spec}`).toBe(true);
        }
      }
    }
  });
});
