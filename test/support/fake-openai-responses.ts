/**
 * A fake OpenAI provider on 127.0.0.1 that answers `POST /v1/responses` in the real Responses API
 * wire format (https://platform.openai.com/docs/api-reference/responses), plain and streamed
 * (server-sent `response.*` events ending with `response.completed`), with
 * `usage.input_tokens_details.cached_tokens`. The test scripts each answer, so every figure a
 * framework reports can be computed by hand.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { nextTurn, onLoopback, readBody, type FakeServer, type FakeTurn } from './fake-openai-server.js';

/** One item of a Responses API `input` (messages, function calls and their outputs). */
export interface ResponsesInputItem {
  type?: string;
  role?: string;
  content?: unknown;
  name?: string;
  call_id?: string;
  output?: unknown;
}

export interface FakeResponsesRequest {
  model: string;
  instructions: string;
  input: ResponsesInputItem[];
  tools: { type: string; name?: string }[];
  stream: boolean;
  body: Record<string, unknown>;
}

export type FakeResponsesServer = FakeServer<FakeResponsesRequest>;

const CREATED = 1_733_000_000;

function outputItems(turn: FakeTurn, id: string) {
  const items: Record<string, unknown>[] = [];
  if (turn.text !== undefined) {
    items.push({ type: 'message', id: `msg_${id}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: turn.text, annotations: [], logprobs: [] }] });
  }
  turn.toolCalls?.forEach((call, i) => {
    items.push({ type: 'function_call', id: `fc_${id}_${i}`, call_id: `call_${id}_${i}`, name: call.name, arguments: JSON.stringify(call.arguments), status: 'completed' });
  });
  return items;
}

function responseObject(request: FakeResponsesRequest, turn: FakeTurn, id: string, completed: boolean) {
  return {
    id: `resp_${id}`,
    object: 'response',
    created_at: CREATED,
    status: completed ? 'completed' : 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.instructions || null,
    max_output_tokens: null,
    model: turn.model ?? request.model,
    output: completed ? outputItems(turn, id) : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: completed
      ? {
          input_tokens: turn.usage.prompt,
          input_tokens_details: { cached_tokens: turn.usage.cached ?? 0 },
          output_tokens: turn.usage.completion,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: turn.usage.prompt + turn.usage.completion,
        }
      : null,
    user: null,
    metadata: {},
  };
}

/** The server-sent events of a streamed answer, in the order the API sends them. */
function streamEvents(request: FakeResponsesRequest, turn: FakeTurn, id: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  const push = (type: string, fields: Record<string, unknown>) => events.push({ type, sequence_number: events.length, ...fields });
  push('response.created', { response: responseObject(request, turn, id, false) });
  push('response.in_progress', { response: responseObject(request, turn, id, false) });
  outputItems(turn, id).forEach((item, index) => {
    if (item.type === 'message') {
      const text = (item.content as { text: string }[])[0]!.text;
      push('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', content: [] } });
      push('response.content_part.added', { item_id: item.id, output_index: index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      // Two deltas, as a real stream splits text.
      const half = Math.ceil(text.length / 2);
      for (const delta of [text.slice(0, half), text.slice(half)]) {
        push('response.output_text.delta', { item_id: item.id, output_index: index, content_index: 0, delta, logprobs: [] });
      }
      push('response.output_text.done', { item_id: item.id, output_index: index, content_index: 0, text, logprobs: [] });
      push('response.content_part.done', { item_id: item.id, output_index: index, content_index: 0, part: { type: 'output_text', text, annotations: [] } });
    } else {
      push('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', arguments: '' } });
      push('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: item.arguments });
      push('response.function_call_arguments.done', { item_id: item.id, output_index: index, arguments: item.arguments });
    }
    push('response.output_item.done', { output_index: index, item });
  });
  push('response.completed', { response: responseObject(request, turn, id, true) });
  return events;
}

function parseRequest(raw: string): FakeResponsesRequest {
  const body = JSON.parse(raw) as Record<string, unknown>;
  const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : ((body.input ?? []) as ResponsesInputItem[]);
  return {
    model: String(body.model),
    instructions: typeof body.instructions === 'string' ? body.instructions : '',
    input,
    tools: (body.tools ?? []) as FakeResponsesRequest['tools'],
    stream: body.stream === true,
    body,
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, script: (request: FakeResponsesRequest) => FakeTurn, requests: FakeResponsesRequest[]) {
  const raw = await readBody(req);
  if (req.method !== 'POST' || !req.url?.endsWith('/responses')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
    return;
  }
  const request = parseRequest(raw);
  const { turn, id } = await nextTurn(requests, request, script);
  if (!request.stream) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${id}` });
    res.end(JSON.stringify(responseObject(request, turn, id, true)));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `req_${id}` });
  for (const event of streamEvents(request, turn, id)) res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
  res.end();
}

export async function fakeOpenAIResponsesServer(script: (request: FakeResponsesRequest) => FakeTurn): Promise<FakeResponsesServer> {
  const requests: FakeResponsesRequest[] = [];
  const server = createServer((req, res) => {
    answer(req, res, script, requests).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(error), type: 'server_error' } }));
    });
  });
  return onLoopback(server, requests);
}

/** Whether the conversation already holds a call of the tool `name` (the agent's later turn). */
export const hasCalled = (request: FakeResponsesRequest, name: string) => request.input.some((item) => item.type === 'function_call' && item.name === name);
