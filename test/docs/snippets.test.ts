/**
 * Every ```ts block of README.md and docs/*.md compiles against the package's source: the blocks
 * are written as modules into one temporary project (`fleetscope` and `fleetscope/<part>` mapped to
 * src/, as the published package maps them to dist/) and type-checked by one `tsc --noEmit` run.
 * A block that is deliberately a fragment is fenced ```ts no-check (keep that rare).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

interface Snippet {
  /** Repository-relative path of the markdown file. */
  doc: string;
  /** Line of the opening fence (1-based). */
  line: number;
  code: string;
}

/** The ```ts blocks of a markdown text (not ```ts no-check, not other languages). */
function tsBlocks(doc: string, text: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)```(\S*)(.*)$/.exec(lines[i]!);
    if (fence === null) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end === -1) break;
    if (fence[2] === 'ts' && !/\bno-check\b/.test(fence[3]!)) {
      const indent = fence[1]!.length;
      out.push({ doc, line: i + 1, code: lines.slice(i + 1, end).map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join('\n') });
    }
    i = end;
  }
  return out;
}

const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const snippets = docs.flatMap((doc) => tsBlocks(doc, readFileSync(join(root, doc), 'utf8')));

// Under node_modules/.cache, so the snippets' own imports (OpenTelemetry, pg, ...) resolve.
mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
const work = mkdtempSync(join(root, 'node_modules', '.cache', 'fleetscope-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * What a snippet may use without declaring it: the host's own objects (its observer, its Anthropic
 * client and messages, its own tools and values), as a reader of the docs has them. Anything the
 * package exports must be imported by the snippet itself.
 */
const PRELUDE = `
declare const observer: import('fleetscope').Observer;
declare const anthropic: import('@anthropic-ai/sdk').default;
declare const messages: { role: 'user' | 'assistant'; content: string }[];
declare function search(query: string): Promise<string[]>;
declare function stepsOf(plan: unknown): string[];
declare const text: string;
declare const hookPayload: Record<string, unknown>;
declare const event: import('fleetscope').FleetEvent;
declare const dir: string;
declare const key: string;
declare const exporter: import('@opentelemetry/sdk-trace-base').SpanExporter;
declare const provider: import('@opentelemetry/sdk-trace-base').BasicTracerProvider;
declare module '@anthropic-ai/sdk' {
  export default class Anthropic {
    messages: { create(body: { model: string; max_tokens: number; messages: { role: 'user' | 'assistant'; content: string }[] }): Promise<{ content: unknown[]; usage: { input_tokens: number; output_tokens: number } }> };
  }
}
`;

/** The modules of the reader's own project that snippets import (a custom storage, a custom exporter). */
const OWN_MODULES: Record<string, string> = {
  'src/my-storage.ts': `import { memoryStorage } from 'fleetscope/storage';\nexport const myStorage = (_options: object) => memoryStorage();\n`,
  'src/my-exporter.ts': `import type { Exporter } from 'fleetscope';\nexport const myExporter = (_options: { url: string }): Exporter => ({ name: 'mine', export: async () => ({ code: 'success' }), shutdown: async () => {} });\n`,
};

/** File of a snippet in the project (under test/, as the docs' own test files are): the doc's name and the fence's line. */
const fileOf = (s: Snippet) => `test/${s.doc.replace(/[/.]/g, '_')}_L${s.line}.ts`;

function typeCheck(): string[] {
  mkdirSync(join(work, 'test'));
  mkdirSync(join(work, 'src'));
  for (const s of snippets) writeFileSync(join(work, fileOf(s)), `${s.code}\nexport {};\n`);
  for (const [file, code] of Object.entries(OWN_MODULES)) writeFileSync(join(work, file), code);
  writeFileSync(join(work, 'prelude.d.ts'), PRELUDE);
  const src = (p: string) => join(root, 'src', p);
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      compilerOptions: { noEmit: true, baseUrl: work, paths: { fleetscope: [src('index.ts')], 'fleetscope/*': [src('*/index.ts')] } },
      include: ['test/*.ts', 'src/*.ts', 'prelude.d.ts', src('**/*.d.ts')],
    }),
  );
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', work, '--pretty', 'false'], { encoding: 'utf8' });
  // Errors in a snippet file, mapped back to the markdown line; errors elsewhere as they are.
  return `${r.stdout}${r.stderr}`
    .split('\n')
    .filter((l) => /error TS\d+/.test(l))
    .map((l) => {
      const m = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(l);
      const snippet = m === null ? undefined : snippets.find((s) => fileOf(s) === relative(work, m[1]!));
      return snippet === undefined ? l : `${snippet.doc}:${snippet.line + Number(m![2])}: ${m![4]}`;
    });
}

describe('documentation snippets', () => {
  it('finds the ```ts blocks, skips ```ts no-check and other languages, keeps indented blocks', () => {
    const text = ['# t', '```ts', 'const a = 1;', '```', '```ts no-check', 'x', '```', '```sh', 'ls', '```', '- item', '  ```ts', '  const b = 2;', '    nested();', '  ```'].join('\n');
    expect(tsBlocks('x.md', text)).toEqual([
      { doc: 'x.md', line: 2, code: 'const a = 1;' },
      { doc: 'x.md', line: 12, code: 'const b = 2;\n  nested();' },
    ]);
  });

  it('every ```ts block of README.md and docs/*.md type-checks against the package', () => {
    expect(snippets.length).toBeGreaterThan(30);
    expect(typeCheck()).toEqual([]);
  }, 120_000);
});
