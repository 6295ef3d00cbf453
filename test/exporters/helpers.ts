/** Shared helpers of the exporter tests: hand-made events and a loopback HTTP server. */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FleetEvent } from '../../src/core/index.js';

let seq = 0;

/** A validated-looking event: envelope defaults plus what the test gives. */
export function ev(type: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}): FleetEvent {
  seq++;
  return {
    id: `e${seq}`,
    timestamp: 1_700_000_000_000,
    severity: 'info',
    source: 'host',
    sessionId: 's1',
    agentId: 'main',
    type,
    payload,
    ...extra,
  } as unknown as FleetEvent;
}

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface Loopback {
  url: string;
  server: Server;
  received: Received[];
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 (random port). `answer` decides each response; by default 200.
 * Every request is recorded with its full body.
 */
export async function loopback(
  answer: (req: Received, res: ServerResponse, index: number) => void = (_req, res) => res.end('ok'),
): Promise<Loopback> {
  const received: Received[] = [];
  const listener: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      answer(r, res, received.length - 1);
    });
  };
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port with nothing listening (bound then released), so connecting is refused. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
