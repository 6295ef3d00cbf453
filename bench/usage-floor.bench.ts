/**
 * What any Node program pays to do `fleetscope usage`'s reading, against the Rust ccusage 20 (issue 13's
 * "at most half the Rust binary's CPU time and peak memory"). Interleaved rounds over one generated set
 * (`FLEETSCOPE_BENCH_USAGE_MB`, default 377 MiB, ≈ 215 files) of:
 *  - the Rust ccusage 20 `claude daily --offline --json` (the reference);
 *  - bare `node -e 0`;
 *  - a minimal CommonJS reader: list the `.jsonl` files; + read each with one reused 1 MiB buffer;
 *    + find every newline and every `"usage"` (no parsing, no records: a floor, not a tool);
 *  - the built CLI's `usage daily` (table) and `usage daily --json`.
 * CPU (user + system, all threads) and peak RSS from GNU time -v, medians of `FLEETSCOPE_BENCH_USAGE_RUNS`
 * (5) rounds; then one more round sampling /proc/PID/status every ~2 ms for the peak of anonymous memory
 * and of file-backed pages (for Node: its own 100 MB binary's code and data, mapped and touched).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli } from '../test/cli/build-cli.js';
import { generateTranscripts } from './claude-code-transcripts-gen.js';

const TARGET_MB = Number(process.env.FLEETSCOPE_BENCH_USAGE_MB ?? 377);
const RUNS = Number(process.env.FLEETSCOPE_BENCH_USAGE_RUNS ?? 5);
const RUST = join(process.cwd(), 'node_modules', '@ccusage', 'ccusage-linux-x64', 'bin', 'ccusage');

/** The floor program: MODE=list | read | lines. */
const READER = `
const fs = require('fs'), path = require('path');
const mode = process.env.MODE, files = [];
(function walk(d) { for (const n of fs.readdirSync(d)) { const f = path.join(d, n); if (n.endsWith('.jsonl')) files.push(f); else if (fs.statSync(f).isDirectory()) walk(f); } })(path.join(process.env.CLAUDE_CONFIG_DIR, 'projects'));
if (mode !== 'list') {
  const buf = Buffer.allocUnsafe(1 << 20), key = Buffer.from('"usage"');
  let lines = 0, usage = 0;
  for (const f of files) {
    const fd = fs.openSync(f, 'r');
    for (let pos = 0, n; (n = fs.readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) {
      if (mode !== 'lines') continue;
      for (let s = 0, nl; (nl = buf.indexOf(10, s)) !== -1 && nl < n; s = nl + 1) lines++;
      for (let u = 0; (u = buf.indexOf(key, u)) !== -1 && u < n; u++) usage++;
    }
    fs.closeSync(fd);
  }
  if (mode === 'lines') process.stdout.write(lines + ' lines, ' + usage + ' usage keys\\n');
}
`;

interface Figures {
  cpuS: number;
  rssMb: number;
}

function timed(cmd: string[], env: NodeJS.ProcessEnv): Figures {
  const r = spawnSync('/usr/bin/time', ['-v', ...cmd], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const num = (re: RegExp) => Number(re.exec(r.stderr)?.[1] ?? Number.NaN);
  return { cpuS: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/), rssMb: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024 };
}

/** Peak anonymous and file-backed resident memory (MB), sampled from /proc while `cmd` runs. */
function split(cmd: string[], env: NodeJS.ProcessEnv): Promise<{ anon: number; file: number }> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { env, stdio: 'ignore' });
    let anon = 0;
    let file = 0;
    const timer = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        anon = Math.max(anon, Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
        file = Math.max(file, Number(/RssFile:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
      } catch {
        // the process has just ended
      }
    }, 2);
    child.on('exit', () => {
      clearInterval(timer);
      resolve({ anon, file });
    });
  });
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

if (!existsSync(RUST) || !existsSync('/usr/bin/time') || !existsSync('/proc/self/status')) {
  console.log(`(skipped: needs ${RUST}, GNU time and /proc)`);
} else {
  const cli = buildCli();
  const work = mkdtempSync(join(tmpdir(), 'fleetscope-bench-floor-'));
  try {
    const gen = generateTranscripts(work, TARGET_MB * 2 ** 20);
    const rust = join(work, 'ccusage-rust');
    copyFileSync(RUST, rust);
    chmodSync(rust, 0o755);
    const reader = join(work, 'reader.cjs');
    writeFileSync(reader, READER);
    const env = { ...process.env, CLAUDE_CONFIG_DIR: work, TZ: 'UTC', NO_COLOR: '1' };
    const node = process.execPath;
    const commands: Array<[string, string[], NodeJS.ProcessEnv]> = [
      ['Rust ccusage 20 claude daily --json', [rust, 'claude', 'daily', '--offline', '--json'], env],
      ['node -e 0', [node, '-e', '0'], env],
      ['reader: list the files', [node, reader], { ...env, MODE: 'list' }],
      ['reader: + read them (1 MiB buffer)', [node, reader], { ...env, MODE: 'read' }],
      ['reader: + every newline and "usage"', [node, reader], { ...env, MODE: 'lines' }],
      ['fleetscope usage daily (table)', [node, cli, 'usage', 'daily'], env],
      ['fleetscope usage daily --json', [node, cli, 'usage', 'daily', '--json'], env],
    ];
    const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    console.log(`### Node's floor vs the Rust ccusage, ${(gen.bytes / 2 ** 20).toFixed(0)} MiB, ${gen.files} files, ${RUNS} rounds (load ${load()} at start)`);
    timed(commands[5]![1], env); // warm the page cache
    const runs = new Map<string, Figures[]>(commands.map(([name]) => [name, []]));
    for (let round = 0; round < RUNS; round++) for (const [name, cmd, e] of commands) runs.get(name)!.push(timed(cmd, e));
    const splits = new Map<string, { anon: number; file: number }>();
    for (const [name, cmd, e] of commands) splits.set(name, await split(cmd, e));
    const ref = runs.get(commands[0]![0])!;
    const refCpu = median(ref.map((f) => f.cpuS));
    const refRss = median(ref.map((f) => f.rssMb));
    console.log(`(load ${load()} at end)\n`);
    console.log('| command | CPU median | / Rust | peak RSS median | / Rust | peak anon | peak file-backed |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const [name] of commands) {
      const cpu = median(runs.get(name)!.map((f) => f.cpuS));
      const rss = median(runs.get(name)!.map((f) => f.rssMb));
      const s = splits.get(name)!;
      console.log(`| ${name} | ${cpu.toFixed(2)} s | ${(cpu / refCpu).toFixed(2)}x | ${rss.toFixed(1)} MB | ${(rss / refRss).toFixed(2)}x | ${s.anon.toFixed(1)} MB | ${s.file.toFixed(1)} MB |`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
