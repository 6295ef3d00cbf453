/**
 * A compact JSON encoding of a batch of events, for transports that carry batches between processes
 * (the Redis Streams exporter and runner: their stream entry format v2, docs/fleet.md).
 *
 * Each event becomes a row (a JSON array) instead of a JSON object, and what repeats from event to
 * event is said once per batch in a header:
 * - `k`: key lists ("shapes"). A row starts with the index of its event's key list and holds the
 *   values in that order; the payload, a plain object, is a nested row `[shape, ...values]`.
 *   A key written as `[key]` holds an index into `d` rather than the value itself.
 * - `d`: repeated strings: the envelope's `type`, `severity`, `source`, `sessionId`, `agentId`,
 *   `workflowId`, `traceId`, `parentSpanId`, and the payload's top-level strings of at most
 *   64 characters (model, provider, status, tool name, ...).
 * Key order is kept, so a decoded event is the same JSON as the event encoded.
 *
 * Why: a batch of `llm.call` events is about half as many bytes, the writer stringifies arrays rather
 * than objects, and the reader parses arrays and shares one string per session or agent (measured in
 * BENCHMARKS.md, "Fleet").
 */
import type { FleetEvent } from './events.js';

/** A batch as written: the header and the rows, each a JSON text. */
export interface CompactBatch {
  readonly header: string;
  readonly rows: string;
}

/** Envelope fields whose values repeat across a batch (ids and span ids do not). */
const ENVELOPE_STRINGS = new Set(['type', 'severity', 'source', 'sessionId', 'agentId', 'workflowId', 'traceId', 'parentSpanId']);
/** Longer payload strings (prompts, outputs, messages) are rarely repeated: kept inline. */
const MAX_DICTIONARY_STRING = 64;

/** A node of the trie of key lists: the same keys in the same order reach the same node. */
interface ShapeNode {
  plain?: Map<string, ShapeNode>;
  coded?: Map<string, ShapeNode>;
  shape: number;
}

/** Builds one batch's header while its rows are written. */
class BatchWriter {
  private readonly shapes: (string | [string])[][] = [];
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  private readonly root: ShapeNode = { shape: -1 };
  private readonly payloadRoot: ShapeNode = { shape: -1 };

  header(): string {
    return JSON.stringify({ k: this.shapes, d: this.strings });
  }

  /** The row of one event, or undefined when its payload is not a plain object (not a valid event). */
  row(event: FleetEvent): unknown[] | undefined {
    const record = event as unknown as Record<string, unknown>;
    const row: unknown[] = [0];
    let node = this.root;
    for (const key in record) {
      const value = record[key];
      if (value === undefined) continue;
      if (key === 'payload') {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
        row.push(this.payloadRow(value as Record<string, unknown>));
        node = step(node, key, false);
      } else if (typeof value === 'string' && ENVELOPE_STRINGS.has(key)) {
        row.push(this.code(value));
        node = step(node, key, true);
      } else {
        row.push(value);
        node = step(node, key, false);
      }
    }
    row[0] = node.shape >= 0 ? node.shape : (node.shape = this.addShape(record, (key, value) => key !== 'payload' && typeof value === 'string' && ENVELOPE_STRINGS.has(key)));
    return row;
  }

  private payloadRow(payload: Record<string, unknown>): unknown[] {
    const row: unknown[] = [0];
    let node = this.payloadRoot;
    for (const key in payload) {
      const value = payload[key];
      if (value === undefined) continue;
      if (typeof value === 'string' && value.length <= MAX_DICTIONARY_STRING) {
        row.push(this.code(value));
        node = step(node, key, true);
      } else {
        row.push(value);
        node = step(node, key, false);
      }
    }
    row[0] = node.shape >= 0 ? node.shape : (node.shape = this.addShape(payload, (_, value) => typeof value === 'string' && value.length <= MAX_DICTIONARY_STRING));
    return row;
  }

  private addShape(record: Record<string, unknown>, coded: (key: string, value: unknown) => boolean): number {
    const keys: (string | [string])[] = [];
    for (const key in record) {
      const value = record[key];
      if (value !== undefined) keys.push(coded(key, value) ? [key] : key);
    }
    return this.shapes.push(keys) - 1;
  }

  private code(value: string): number {
    let index = this.stringIndex.get(value);
    if (index === undefined) {
      index = this.strings.push(value) - 1;
      this.stringIndex.set(value, index);
    }
    return index;
  }
}

function step(node: ShapeNode, key: string, coded: boolean): ShapeNode {
  const children = coded ? (node.coded ??= new Map()) : (node.plain ??= new Map());
  let next = children.get(key);
  if (next === undefined) children.set(key, (next = { shape: -1 }));
  return next;
}

/**
 * The compact encoding of `events`, or undefined when one of them cannot be written so (a payload
 * that is not a plain object: never the case for a validated event); the caller then writes plain JSON.
 * The shape tries are per batch: a batch's header says everything its rows need.
 */
export function encodeCompactBatch(events: readonly FleetEvent[]): CompactBatch | undefined {
  const writer = new BatchWriter();
  const rows: unknown[][] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const row = writer.row(events[i]!);
    if (row === undefined) return undefined;
    rows[i] = row;
  }
  return { header: writer.header(), rows: JSON.stringify(rows) };
}

/** A shape as the reader uses it: its keys, and which of them hold a dictionary index. */
interface ReadShape {
  keys: string[];
  coded: boolean[];
}

function readShapes(value: unknown): ReadShape[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const shapes: ReadShape[] = [];
  for (const list of value) {
    if (!Array.isArray(list)) return undefined;
    const keys: string[] = [];
    const coded: boolean[] = [];
    for (const key of list) {
      const isCoded = Array.isArray(key);
      const name: unknown = isCoded ? key[0] : key;
      if (typeof name !== 'string' || (isCoded && key.length !== 1)) return undefined;
      keys.push(name);
      coded.push(isCoded);
    }
    shapes.push({ keys, coded });
  }
  return shapes;
}

/** One row (event or payload) back into an object, or undefined if it does not fit the header. */
function readRow(row: unknown, shapes: readonly ReadShape[], strings: readonly unknown[], nested: boolean): Record<string, unknown> | undefined {
  if (!Array.isArray(row)) return undefined;
  const shape = shapes[row[0] as number];
  if (shape === undefined || row.length !== shape.keys.length + 1) return undefined;
  const out: Record<string, unknown> = {};
  const { keys, coded } = shape;
  for (let i = 0; i < keys.length; i++) {
    let value: unknown = row[i + 1];
    if (coded[i]) {
      value = strings[value as number];
      if (typeof value !== 'string') return undefined;
    } else if (!nested && keys[i] === 'payload') {
      value = readRow(value, shapes, strings, true);
      if (value === undefined) return undefined;
    }
    out[keys[i]!] = value;
  }
  return out;
}

/**
 * The objects of a batch written by `encodeCompactBatch` (from its header and rows, as JSON texts),
 * or undefined when the texts are not such a batch (not JSON, a row that does not fit its shape, an
 * index out of range). The caller checks that the objects are events.
 */
export function decodeCompactBatch(header: string, rows: string): Record<string, unknown>[] | undefined {
  let parsedHeader: unknown;
  let parsedRows: unknown;
  try {
    parsedHeader = JSON.parse(header);
    parsedRows = JSON.parse(rows);
  } catch {
    return undefined;
  }
  if (parsedHeader === null || typeof parsedHeader !== 'object' || !Array.isArray(parsedRows)) return undefined;
  const { k, d } = parsedHeader as { k?: unknown; d?: unknown };
  const shapes = readShapes(k);
  if (shapes === undefined || !Array.isArray(d)) return undefined;
  const events: Record<string, unknown>[] = new Array(parsedRows.length);
  for (let i = 0; i < parsedRows.length; i++) {
    const event = readRow(parsedRows[i], shapes, d, false);
    if (event === undefined) return undefined;
    events[i] = event;
  }
  return events;
}
