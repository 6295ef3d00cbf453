/**
 * A child process that appends to a storage and prints `ack <batch>` once each append resolved
 * (the reliability tests' fixtures), and a full read of a storage: what a test kills and then checks.
 */
import { spawn } from 'node:child_process';
import type { FleetEvent, Storage } from '../../src/core/index.js';

export interface AckWriter {
  child: ReturnType<typeof spawn>;
  /** Batches whose append resolved, in order. */
  acked: number[];
  exited: Promise<number | null>;
  stderr(): string;
}

/** Runs `script` (TypeScript, through tsx) with `args`, collecting its `ack <batch>` lines. */
export function startAckWriter(script: string, args: (string | number)[]): AckWriter {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args.map(String)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: number[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, acked, exited, stderr: () => stderr };
}

/** Waits until `writer` acknowledged `batches` batches, then kills it with SIGKILL; returns the acknowledged batches. */
export async function killAfterAcks(writer: AckWriter, batches: number): Promise<number[]> {
  while (writer.acked.length < batches) {
    if (writer.child.exitCode !== null) throw new Error(`writer exited early: ${writer.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  writer.child.kill('SIGKILL');
  await writer.exited;
  return [...writer.acked];
}

/** Every event of `storage` (or of an observer), page by page. */
export async function readAll(storage: Pick<Storage, 'query'>): Promise<FleetEvent[]> {
  const all: FleetEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.query({ limit: 10_000, cursor });
    all.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return all;
}
