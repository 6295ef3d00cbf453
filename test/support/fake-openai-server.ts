/**
 * A fake OpenAI provider on 127.0.0.1 that answers `POST /v1/chat/completions` in the real wire
 * format (https://platform.openai.com/docs/api-reference/chat), plain and streamed (server-sent
 * `chat.completion.chunk` events, the usage chunk only with `stream_options.include_usage`),
 * with `prompt_tokens_details.cached_tokens`. What it answers is scripted per request by the test,
 * so every figure a framework reports can be computed by hand.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeToolCall {
  name: string;
  arguments: unknown;
}

/** One answer of the fake provider. */
export interface FakeTurn {
  text?: string;
  toolCalls?: FakeToolCall[];
  /** `prompt` includes `cached` (OpenAI's convention). */
  usage: { prompt: number; completion: number; cached?: number };
  /** Model name in the response (default: the requested one). */
  model?: string;
  /** Delay before answering, to make concurrent calls overlap. */
  delayMs?: number;
}

export interface FakeRequest {
  model: string;
  messages: { role: string; content?: unknown; tool_call_id?: string; name?: string }[];
  tools?: { function: { name: string } }[];
  stream: boolean;
  includeUsage: boolean;
  body: Record<string, unknown>;
}

/** A fake provider listening on loopback, with the requests it was sent. */
export interface FakeServer<R> {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  requests: R[];
  close(): Promise<void>;
}

export type FakeOpenAIServer = FakeServer<FakeRequest>;

/** Records `request`, asks the script for its answer and waits its delay; with a fresh response id. */
export async function nextTurn<R>(requests: R[], request: R, script: (request: R) => FakeTurn): Promise<{ turn: FakeTurn; id: string }> {
  requests.push(request);
  const turn = script(request);
  if (turn.delayMs) await new Promise((r) => setTimeout(r, turn.delayMs));
  return { turn, id: String(++nextId).padStart(6, '0') };
}

/** Starts `server` on a free loopback port. */
export async function onLoopback<R>(server: Server, requests: R[]): Promise<FakeServer<R>> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const CREATED = 1_733_000_000;
let nextId = 0;

function completion(request: FakeRequest, turn: FakeTurn, id: string) {
  const toolCalls = turn.toolCalls?.map((call, i) => ({
    id: `call_${id}_${i}`,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  }));
  return {
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created: CREATED,
    model: turn.model ?? request.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: turn.text ?? null, refusal: null, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
        logprobs: null,
        finish_reason: toolCalls ? 'tool_calls' : 'stop',
      },
    ],
    usage: usageOf(turn),
    system_fingerprint: 'fp_fake',
  };
}

function usageOf(turn: FakeTurn) {
  return {
    prompt_tokens: turn.usage.prompt,
    completion_tokens: turn.usage.completion,
    total_tokens: turn.usage.prompt + turn.usage.completion,
    prompt_tokens_details: { cached_tokens: turn.usage.cached ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function chunks(request: FakeRequest, turn: FakeTurn, id: string): unknown[] {
  const base = { id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created: CREATED, model: turn.model ?? request.model, system_fingerprint: 'fp_fake' };
  const out: unknown[] = [{ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }] }];
  if (turn.text !== undefined) {
    // Two content pieces, as a real stream splits text.
    const half = Math.ceil(turn.text.length / 2);
    for (const piece of [turn.text.slice(0, half), turn.text.slice(half)]) {
      out.push({ ...base, choices: [{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }] });
    }
  }
  turn.toolCalls?.forEach((call, i) => {
    const args = JSON.stringify(call.arguments);
    out.push({
      ...base,
      choices: [{ index: 0, delta: { tool_calls: [{ index: i, id: `call_${id}_${i}`, type: 'function', function: { name: call.name, arguments: '' } }] }, logprobs: null, finish_reason: null }],
    });
    out.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: i, function: { arguments: args } }] }, logprobs: null, finish_reason: null }] });
  });
  out.push({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: turn.toolCalls ? 'tool_calls' : 'stop' }] });
  if (request.includeUsage) out.push({ ...base, choices: [], usage: usageOf(turn) });
  return out;
}

/** The request body as text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

export async function fakeOpenAIServer(script: (request: FakeRequest) => FakeTurn): Promise<FakeOpenAIServer> {
  const requests: FakeRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        const raw = await readBody(req);
        if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
          return;
        }
        const body = JSON.parse(raw) as Record<string, unknown>;
        const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
        const request: FakeRequest = {
          model: String(body.model),
          messages: body.messages as FakeRequest['messages'],
          tools: body.tools as FakeRequest['tools'],
          stream: body.stream === true,
          includeUsage: streamOptions?.include_usage === true,
          body,
        };
        const { turn, id } = await nextTurn(requests, request, script);
        if (!request.stream) {
          res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${id}` });
          res.end(JSON.stringify(completion(request, turn, id)));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `req_${id}` });
        for (const chunk of chunks(request, turn, id)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        res.end('data: [DONE]\n\n');
      } catch (error) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(error), type: 'server_error' } }));
      }
    })();
  });
  return onLoopback(server, requests);
}

/** The last user message's text, for scripts that answer by prompt. */
export function lastUserText(request: FakeRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const m = request.messages[i]!;
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) return m.content.map((p: { text?: string }) => p.text ?? '').join('');
  }
  return '';
}

/** Whether the conversation already holds a tool result (the model's second turn). */
export const hasToolResult = (request: FakeRequest) => request.messages.some((m) => m.role === 'tool');
