/**
 * OTLP/HTTP receiver: a runner that listens for OpenTelemetry exports (`POST /v1/logs`, `/v1/metrics`,
 * `/v1/traces`; `application/x-protobuf` or `application/json`; gzip accepted) and turns them into
 * events: Claude Code's native telemetry in full (see claude-code-otel.ts), other sources' logs and
 * metrics as `log` and `metric` events.
 *
 * It binds loopback by default, caps the body size (413) and the request rate (429 with Retry-After),
 * answers a malformed or truncated body with 400 and an unsupported media type with 415, as the OTLP
 * specification names them, and keeps serving. Nothing it receives can throw into the host: every
 * refusal is counted with its reason in the runner's health.
 *
 * ```ts
 * createObserver({ runners: [otlpReceiver({ port: 4318 })] });
 * // Claude Code: CLAUDE_CODE_ENABLE_TELEMETRY=1 OTEL_LOGS_EXPORTER=otlp OTEL_METRICS_EXPORTER=otlp
 * //   OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318
 * ```
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { errorMessage, RecentHashes, type EventInput, type Runner, type RunnerContext, type RunnerHealth } from '../core/index.js';
import { hashString } from '../core/recent-keys.js';
import { mapLogRecord, mapSpan, MetricTotals, ToolPhases, type MappedEvent } from './claude-code-otel.js';
import { decodeOtlp, encodeRpcStatus, readOtlp, type OtlpMessage, type OtlpSignal, type OtlpSpan } from './otlp-decode.js';

/** The `google.rpc.Code` of each refusal's HTTP status (INTERNAL for any other). */
const RPC_CODES: Record<number, number> = { 400: 3, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8 };
const gunzipAsync = promisify(gunzip);

export interface OtlpReceiverOptions {
  /** Port to listen on; 0 picks a free one (see `address()`). Default 4318, the OTLP/HTTP port. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1` (loopback only); `0.0.0.0` exposes it to the network. */
  host?: string;
  /** Largest request body accepted, compressed or not. Default 16 MiB; larger bodies get 413. */
  maxBodyBytes?: number;
  /** Requests per second accepted (a token bucket with one second of burst); beyond, 429. Default 200. */
  maxRequestsPerSecond?: number;
  /**
   * Join keys of each kind (request ids, tool_use ids) remembered to count a call reported twice once.
   * Kept as 53-bit hashes (29 bytes a key once full, against ≈ 170 for 23-character ids in a `Set`):
   * a new key is taken for a remembered one, and its event dropped as a duplicate, about once in
   * 10^11 keys at the default. Default 100,000.
   */
  dedupeWindow?: number;
  /** Metric series whose delta points are summed. Default 10,000; points of further series are dropped (counted). */
  maxMetricSeries?: number;
  /** Runner name (the `source` of its events). Default `otlp-receiver`. */
  name?: string;
  /** Loads protobufjs (an optional peer dependency) for protobuf bodies. Default `import('protobufjs')`. */
  loadProtobuf?: () => Promise<unknown>;
}

export interface OtlpReceiver extends Runner {
  /** Where it listens, once started: `http://host:port`. */
  address(): string | undefined;
}

const SIGNALS: Record<string, OtlpSignal> = { '/v1/logs': 'logs', '/v1/metrics': 'metrics', '/v1/traces': 'traces' };

class Refusal extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
  }
}

export function otlpReceiver(options: OtlpReceiverOptions = {}): OtlpReceiver {
  const fail = (message: string): never => {
    throw new Error(`[fleetscope] [otlp-receiver] ${message}`);
  };
  if (options === null || typeof options !== 'object') fail('options must be an object');
  const port = options.port ?? 4318;
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 2 ** 20;
  const maxRate = options.maxRequestsPerSecond ?? 200;
  const dedupeWindow = options.dedupeWindow ?? 100_000;
  const maxSeries = options.maxMetricSeries ?? 10_000;
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) fail(`port must be an integer 0-65535, got ${String(port)}`);
  for (const [key, value] of Object.entries({ maxBodyBytes, maxRate, dedupeWindow, maxSeries })) {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) fail(`${key} must be a positive number, got ${String(value)}`);
  }
  const name = options.name ?? 'otlp-receiver';
  const source = name;

  // Join keys by kind (not one `llm:`/`tool:`-prefixed key: no string built per event), as hashes:
  // a `Set` of up to 100,000 strings was 6% of the ingest profile (its growth, deletes and GC).
  const seen = { llm: new RecentHashes(dedupeWindow), tool: new RecentHashes(dedupeWindow) };
  const metrics = new MetricTotals(maxSeries);
  const toolPhases = new ToolPhases(10_000);
  let server: Server | undefined;
  let status: RunnerHealth['status'] = 'idle';
  let lastError: string | undefined;
  let tokens = maxRate;
  let refilled = Date.now();
  const counters = { requests: 0, logRecords: 0, spans: 0, points: 0, events: 0, duplicates: 0, spansSkipped: 0, bytes: 0 };
  const refused: Record<string, number> = Object.create(null);

  const refuse = (reason: string) => (refused[reason] = (refused[reason] ?? 0) + 1);

  const takeToken = (): boolean => {
    const now = Date.now();
    tokens = Math.min(maxRate, tokens + ((now - refilled) / 1000) * maxRate);
    refilled = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  const readBody = (request: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBodyBytes) return reject(new Refusal(413, 'too-large', `body of ${declared} bytes is over the ${maxBodyBytes}-byte limit`));
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          request.pause();
          reject(new Refusal(413, 'too-large', `body is over the ${maxBodyBytes}-byte limit`));
          return;
        }
        chunks.push(chunk);
      });
      request.on('end', () => resolve(Buffer.concat(chunks, size)));
      request.on('error', (error) => reject(new Refusal(400, 'read-error', errorMessage(error))));
    });

  const answer = (response: ServerResponse, code: number, json: boolean, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    // A success carries an empty Export*ServiceResponse (an empty protobuf message is zero bytes); a
    // refusal carries a google.rpc.Status-shaped message, in JSON (the receiver speaks JSON back when it
    // cannot be sure of the client's encoding).
    const text = code === 200 && !json ? '' : JSON.stringify(body);
    response.writeHead(code, { 'content-type': code === 200 && !json ? 'application/x-protobuf' : 'application/json', ...headers });
    response.end(text);
  };

  /**
   * A refusal's body is a `google.rpc.Status` (OTLP/HTTP): protobuf-encoded for a client that sent
   * protobuf, JSON otherwise (and when protobufjs cannot be loaded).
   */
  const refuseWith = async (response: ServerResponse, refusal: Refusal, protobufClient: boolean) => {
    const headers: Record<string, string> = refusal.status === 429 ? { 'retry-after': '1' } : {};
    const status = { code: RPC_CODES[refusal.status] ?? 13, message: refusal.message };
    const encoded = protobufClient ? await encodeRpcStatus(status.code, status.message, options.loadProtobuf).catch(() => undefined) : undefined;
    if (response.headersSent) return;
    if (encoded === undefined) {
      answer(response, refusal.status, true, status, headers);
      return;
    }
    response.writeHead(refusal.status, { 'content-type': 'application/x-protobuf', ...headers });
    response.end(encoded);
  };

  /** Emits a mapped event unless its call was already counted (a log event and a span of one call, a resent batch). */
  const emitMapped = (ctx: RunnerContext, m: MappedEvent) => {
    if (m.joinKind !== undefined && !seen[m.joinKind].add(hashString(m.joinKey!))) {
      counters.duplicates++;
      return;
    }
    counters.events++;
    ctx.emit(m.event);
  };

  /**
   * Maps and emits a parsed request's records one at a time, as they are read. Spans are kept until
   * the request is read: a tool span's phases are its child spans, which may come after it.
   */
  const ingest = (ctx: RunnerContext, message: OtlpMessage) => {
    const spans: OtlpSpan[] = [];
    readOtlp(message, {
      log: (record) => {
        counters.logRecords++;
        emitMapped(ctx, mapLogRecord(record, source));
      },
      span: (span) => {
        counters.spans++;
        toolPhases.note(span);
        spans.push(span);
      },
      point: (point) => {
        counters.points++;
        const event = metrics.map(point, source);
        if (event === undefined) return;
        counters.events++;
        ctx.emit(event);
      },
    });
    for (const span of spans) {
      const mapped = mapSpan(span, source, toolPhases);
      if (mapped === undefined) counters.spansSkipped++;
      else emitMapped(ctx, mapped);
    }
  };

  const handle = async (ctx: RunnerContext, request: IncomingMessage, response: ServerResponse) => {
    let json = false;
    let protobufClient = false;
    try {
      counters.requests++;
      const path = (request.url ?? '').split('?')[0]!;
      const signal = SIGNALS[path];
      if (signal === undefined) throw new Refusal(404, 'not-found', `no OTLP endpoint at ${path}; use /v1/logs, /v1/metrics or /v1/traces`);
      if (request.method !== 'POST') throw new Refusal(405, 'method', `${request.method} is not allowed; OTLP/HTTP uses POST`);
      const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      json = type === 'application/json';
      protobufClient = type === 'application/x-protobuf';
      if (!json && type !== 'application/x-protobuf') throw new Refusal(415, 'media-type', `content type ${type || '(none)'} is not application/x-protobuf or application/json`);
      if (!takeToken()) throw new Refusal(429, 'rate', `over ${maxRate} requests per second`);
      let body = await readBody(request);
      const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (encoding === 'gzip') {
        body = await gunzipAsync(body, { maxOutputLength: maxBodyBytes }).catch((error: unknown) => {
          // Inflating past the cap is zlib's ERR_BUFFER_TOO_LARGE ("Cannot create a Buffer larger than ..."):
          // a body too large once inflated, 413 like one too large on the wire (was: 400, a bad gzip).
          if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Refusal(413, 'too-large', `gzip body inflates to over the ${maxBodyBytes}-byte limit`);
          throw new Refusal(400, 'gzip', `gzip body: ${errorMessage(error)}`);
        });
      } else if (encoding !== 'identity') throw new Refusal(415, 'encoding', `content encoding ${encoding} is not supported (gzip or none)`);
      counters.bytes += body.length;
      const decoded = await decodeOtlp(signal, json ? 'json' : 'protobuf', body, options.loadProtobuf).catch((error: unknown) => {
        if (errorMessage(error).includes('could not be loaded')) throw new Refusal(415, 'protobuf-unavailable', `${errorMessage(error)}; or send http/json`);
        throw new Refusal(400, 'malformed', `not a valid OTLP ${signal} request: ${errorMessage(error)}`);
      });
      ingest(ctx, decoded);
      answer(response, 200, json, {});
    } catch (error) {
      const refusal = error instanceof Refusal ? error : new Refusal(500, 'internal', errorMessage(error));
      refuse(refusal.reason);
      lastError = refusal.message;
      if (!response.headersSent) await refuseWith(response, refusal, protobufClient);
      // A body we stopped reading: drop the connection instead of draining an oversized upload.
      if (refusal.status === 413) request.destroy();
    }
  };

  return {
    name,
    async start(ctx: RunnerContext) {
      if (server !== undefined) return;
      server = createServer((request, response) => void handle(ctx, request, response));
      server.requestTimeout = 30_000;
      server.headersTimeout = 10_000;
      server.on('clientError', (_error, socket) => {
        refuse('client-error');
        socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => {
          server!.off('error', reject);
          resolve();
        });
      }).catch((error: unknown) => {
        status = 'failed';
        lastError = errorMessage(error);
        server = undefined;
        throw new Error(`[fleetscope] [otlp-receiver] cannot listen on ${host}:${port}: ${errorMessage(error)}`);
      });
      server.unref();
      status = 'running';
    },
    async stop() {
      const running = server;
      server = undefined;
      if (running !== undefined) {
        running.closeAllConnections?.();
        await new Promise<void>((resolve) => running.close(() => resolve()));
      }
      status = 'stopped';
    },
    address() {
      const address = server?.address() as AddressInfo | null | undefined;
      return address ? `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}` : undefined;
    },
    health(): RunnerHealth {
      return {
        status,
        ...(lastError === undefined ? {} : { message: lastError }),
        details: { ...counters, metricSeriesDropped: metrics.dropped, ...Object.fromEntries(Object.entries(refused).map(([reason, n]) => [`refused.${reason}`, n])) },
      };
    },
  };
}
