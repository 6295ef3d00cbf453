/**
 * OTLP receiver ingest (issue 10): Claude Code-shaped log records (api_request and tool_result events,
 * 1,000 per request) posted over loopback to `otlpReceiver`, protobuf and JSON, 4 requests in flight,
 * into an observer with the default analyzers and in-memory storage. The sender runs in a child process
 * (bench/otlp-client.ts), so the receiver's process does only the receiving. Records/s counted from the
 * order to send until the observer has accepted every event. Reference, same run, same sender: a bare
 * node:http server that only reads the bodies (the transport's own cost).
 *
 * `npm run bench -- otlp`. FLEETSCOPE_BENCH_OTLP_REQUESTS (default 200) sets the requests per form; BARE=1
 * runs the receiver into an observer with no analyzers and no storage (the receiver's own ingest cost).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createObserver } from '../src/index.js';
import { otlpReceiver } from '../src/runners/otlp-receiver.js';
import { IN_FLIGHT, PER_REQUEST, type ClientOrder, type Form } from './otlp-client.js';

const REQUESTS = Number(process.env.FLEETSCOPE_BENCH_OTLP_REQUESTS ?? 200);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const client: ChildProcess = fork(fileURLToPath(new URL('./otlp-client.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
await new Promise<void>((resolve) => client.once('message', () => resolve()));

/** Has the client send `requests` bodies to `url`; resolves when every one was answered 200. */
const send = (order: ClientOrder) =>
  new Promise<void>((resolve, reject) => {
    client.once('message', (reply: { done?: true; error?: string }) => (reply.done ? resolve() : reject(new Error(reply.error))));
    client.send(order);
  });

/** Records/s over the wall clock, and per second of this process's CPU (the receiving side alone; stabler on a loaded machine). */
interface Rate {
  wall: number;
  cpu: number;
}
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

async function reference(form: Form, requests: number): Promise<Rate> {
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const [started, cpu] = [performance.now(), cpuSeconds()];
  await send({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`, form, requests });
  const records = requests * PER_REQUEST;
  const rate = { wall: records / ((performance.now() - started) / 1000), cpu: records / (cpuSeconds() - cpu) };
  server.closeAllConnections();
  server.close();
  return rate;
}

async function receiver(form: Form, requests: number): Promise<Rate> {
  const otlp = otlpReceiver({ port: 0, maxRequestsPerSecond: 100_000 });
  const observer = createObserver({ runners: [otlp], ...(process.env.BARE ? { analyzers: [], storage: false as const } : {}) });
  await observer.ready();
  const [started, cpu] = [performance.now(), cpuSeconds()];
  await send({ url: `${otlp.address()!}/v1/logs`, form, requests });
  await observer.flush();
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = cpuSeconds() - cpu;
  const accepted = observer.stats().events.accepted;
  await observer.close();
  if (accepted !== requests * PER_REQUEST) throw new Error(`accepted ${accepted} of ${requests * PER_REQUEST}`);
  return { wall: accepted / seconds, cpu: accepted / cpuUsed };
}

console.log(
  `${fmt(REQUESTS * PER_REQUEST)} Claude Code log records per form, ${PER_REQUEST} per request, ${IN_FLIGHT} in flight, sender in a child process; ${process.env.BARE ? 'no analyzers, no storage (BARE=1)' : 'default analyzers'}\n`,
);
console.log('| form | bare HTTP server (reference) | otlpReceiver → observer | ratio | per CPU-second: reference / receiver |');
console.log('|---|---:|---:|---:|---:|');
for (const form of ['protobuf', 'json'] as const) {
  await receiver(form, 10); // warm-up
  const ref = await reference(form, REQUESTS);
  const ours = await receiver(form, REQUESTS);
  console.log(`| ${form} | ${fmt(ref.wall)} records/s | ${fmt(ours.wall)} records/s | ${(ours.wall / ref.wall).toFixed(2)} | ${fmt(ref.cpu)} / ${fmt(ours.cpu)} |`);
}
client.send('exit');
