/**
 * Generates Claude Code transcripts in the real format (one entry per content block, same message
 * id on each and output_tokens growing across them as when streaming, some 1-hour cache writes, tool results with toolUseResult, subagent transcripts) for the benchmark.
 * Deterministic (a fixed LCG), so runs compare.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

// ── Generated transcripts, in Claude Code's format ─────────────────────────────────────

let seq = 0;
const MODELS = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'];
const FILLER = 'The quick brown fox jumps over the lazy dog; const x = await fetch(url); // '.repeat(200);

function rand(n: number): number {
  seq = (seq * 1103515245 + 12345) & 0x7fffffff;
  return seq % n;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** `turns`: user turns per main transcript (a subagent gets a third); default 60. */
export function generateTranscripts(dir: string, targetBytes: number, turns = 60): { files: number; bytes: number; lines: number } {
  let bytes = 0;
  let lines = 0;
  let files = 0;
  let msg = 0;
  const start = Date.parse('2025-06-01T08:00:00.000Z');
  while (bytes < targetBytes) {
    const project = `-home-dev-src-project${files % 12}`;
    const session = `${hex(files, 8)}-1b2c-4d3e-8f40-${hex(files * 7919, 12)}`;
    const writeFile = (path: string, agent: string | undefined, turns: number, t0: number): void => {
      mkdirSync(join(path, '..'), { recursive: true });
      const fd = openSync(path, 'w');
      let t = t0;
      let parent: string | null = null;
      const chunk: string[] = [];
      const head = (uuid: string) =>
        `{"parentUuid":${parent === null ? 'null' : `"${parent}"`},"isSidechain":${agent !== undefined},"userType":"external","cwd":"/home/dev/src/${project}","sessionId":"${session}","version":"2.0.61","gitBranch":"main",${agent !== undefined ? `"agentId":"${agent}",` : ''}`;
      for (let turn = 0; turn < turns; turn++) {
        const u = `${hex(++msg, 8)}-0000-4000-8000-${hex(msg, 12)}`;
        t += 1000 + rand(60_000);
        chunk.push(`${head(u)}"type":"user","message":{"role":"user","content":"Please look at file ${turn} and fix the failing test"},"uuid":"${u}","timestamp":"${new Date(t).toISOString()}"}`);
        parent = u;
        for (let step = 0; step < 4; step++) {
          const model = MODELS[rand(MODELS.length)]!;
          const id = `msg_01${hex(msg, 20)}`;
          const req = `req_011C${hex(msg * 31, 20)}`;
          const tool = `toolu_01${hex(msg * 17 + step, 20)}`;
          // Claude Code writes one entry per content block, all with the same message id; while
          // streaming only output_tokens grows (the first copy shows a few, the last the total),
          // and some cache writes go to the 1-hour cache.
          const input = rand(50);
          const write = rand(20000);
          const write1h = rand(3) === 0 ? rand(write + 1) : 0;
          const read = rand(150000);
          const finalOutput = 1 + rand(2000);
          const usage = (output: number) =>
            `{"input_tokens":${input},"cache_creation_input_tokens":${write},"cache_read_input_tokens":${read},"cache_creation":{"ephemeral_5m_input_tokens":${write - write1h},"ephemeral_1h_input_tokens":${write1h}},"output_tokens":${output},"service_tier":"standard"}`;
          for (const [k, content] of [
            [0, `[{"type":"text","text":"${FILLER.slice(0, 200 + rand(800))}"}]`],
            [1, `[{"type":"tool_use","id":"${tool}","name":"Bash","input":{"command":"npm test -- ${step}","description":"Run tests"}}]`],
          ] as const) {
            const a = `${hex(++msg, 8)}-0000-4000-8000-${hex(msg, 12)}`;
            t += 200 + k * 100;
            chunk.push(
              `${head(a)}"message":{"model":"${model}","id":"${id}","type":"message","role":"assistant","content":${content},"stop_reason":null,"stop_sequence":null,"usage":${usage(k === 0 ? Math.min(finalOutput, 1 + rand(30)) : finalOutput)}},"requestId":"${req}","type":"assistant","uuid":"${a}","timestamp":"${new Date(t).toISOString()}"}`,
            );
            parent = a;
          }
          const r = `${hex(++msg, 8)}-0000-4000-8000-${hex(msg, 12)}`;
          t += 500 + rand(20_000);
          const out = FILLER.slice(0, 500 + rand(6000));
          chunk.push(
            `${head(r)}"type":"user","message":{"role":"user","content":[{"tool_use_id":"${tool}","type":"tool_result","content":"${out}","is_error":${rand(10) === 0}}]},"uuid":"${r}","timestamp":"${new Date(t).toISOString()}","toolUseResult":{"stdout":"${out}","stderr":"","interrupted":false,"isImage":false}}`,
          );
          parent = r;
        }
        if (chunk.length > 200) {
          const text = `${chunk.join('\n')}\n`;
          writeSync(fd, text);
          bytes += Buffer.byteLength(text);
          lines += chunk.length;
          chunk.length = 0;
        }
      }
      const text = chunk.length > 0 ? `${chunk.join('\n')}\n` : '';
      writeSync(fd, text);
      bytes += Buffer.byteLength(text);
      lines += chunk.length;
      closeSync(fd);
      files++;
    };
    const t0 = start + (files % 30) * 86_400_000 + rand(3_600_000);
    writeFile(join(dir, 'projects', project, `${session}.jsonl`), undefined, turns, t0);
    if (files % 3 === 0) writeFile(join(dir, 'projects', project, session, 'subagents', `agent-${hex(files, 7)}.jsonl`), hex(files, 7), Math.max(1, Math.round(turns / 3)), t0 + 5000);
  }
  return { files, bytes, lines };
}

