/**
 * How the reading worker (`claude-worker.ts`) hands its events to the main thread: flat, so that the
 * worker — `report --claude`'s critical path — spends little on the transfer, and the main thread
 * (which waits for it, with time to spare) rebuilds the objects.
 *
 * A structured clone of an array of event objects costs the sender a walk of every object (each
 * entered in the clone's identity map) and every key string of every event, again and again. Here
 * each plain object is sent as the id of its **shape** (its keys, in their order) followed by its
 * values, all in one array of values per batch; a nested plain object (`payload`, a tool's `input`)
 * has a shape of its own. Values that are not plain objects (strings, numbers, arrays…) go as they
 * are, cloned as before. Shapes are learned as they come (no list of event types here), and each is
 * sent once, in the message where it is first used. A string repeated from the same slot of the
 * previous object of the same shape (the session, the trace, the source, the model…) is sent as a
 * bit in the object's `repeats` mask instead.
 *
 * The rebuilt objects have the same keys in the same order and the same values as the worker's, so
 * the replay and the report are the same byte for byte. What the flat form does not know — an object
 * whose prototype is not Object.prototype, a `__proto__` key of its own, more than 30 keys — goes
 * whole, structured-cloned as before.
 */

/** A shape as it travels: its keys, in order, and which slots hold a nested shaped object. */
export interface WireShape {
  keys: string[];
  nested: boolean[];
}

/** One batch of events, flat. */
export interface FlatBatch {
  /** Shapes first used in this batch, numbered on from those of the batches before. */
  shapes: WireShape[];
  values: unknown[];
  /** How many events `values` holds. */
  count: number;
}

/** Shape id of a value sent whole. */
const WHOLE = -1;
/** Keys at most in one shape: its repeat mask (bit j: slot j repeats) stays a small integer. */
const MAX_KEYS = 30;
/** Shapes tried per position before a new one is learned: the runner's events have 1–3 per event type. */
const MAX_CANDIDATES = 8;

interface Shape {
  id: number;
  keys: string[];
  nested: boolean[];
  /** Per nested slot: shapes seen there, most likely first. */
  children: (Shape[] | undefined)[];
  /** The slots that hold a nested object, in order. */
  nestedSlots: number[];
  /** The values of the last object encoded with this shape (strings only matter), and those of the one being encoded. */
  last: unknown[];
  next: unknown[];
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** The worker's half: events in, flat batches out. */
export class FlatEncoder {
  private readonly shapes: Shape[] = [];
  private readonly byKeys = new Map<string, Shape>();
  /** Top-level shapes, per event `type`. */
  private readonly byType = new Map<unknown, Shape[]>();
  private announced = 0;
  private values: unknown[] = [];
  private count = 0;
  /** for-in also lists inherited enumerable keys: with Object.prototype polluted, every event goes whole. */
  private readonly flat = !hasInheritedKeys();

  get size(): number {
    return this.count;
  }

  add(event: unknown): void {
    this.count++;
    const values = this.values;
    if (!this.flat || !isPlain(event)) {
      values.push(WHOLE, event);
      return;
    }
    const type = event.type;
    let candidates = this.byType.get(type);
    if (candidates === undefined) {
      candidates = [];
      this.byType.set(type, candidates);
    }
    if (!this.encode(event, candidates, values)) values.push(WHOLE, event);
  }

  /** The batch so far, and a new one started. */
  take(): FlatBatch {
    const batch: FlatBatch = { shapes: this.newShapes(), values: this.values, count: this.count };
    this.values = [];
    this.count = 0;
    return batch;
  }

  private newShapes(): WireShape[] {
    const out: WireShape[] = [];
    for (; this.announced < this.shapes.length; this.announced++) {
      const s = this.shapes[this.announced]!;
      out.push({ keys: s.keys, nested: s.nested });
    }
    return out;
  }

  /** `o` as its shape id, mask and values, pushed to `values`; false (nothing pushed) when no shape fits it. */
  private encode(o: Record<string, unknown>, candidates: Shape[], values: unknown[]): boolean {
    const start = values.length;
    for (let c = 0; c < candidates.length; c++) {
      if (this.tryShape(o, candidates[c]!, values)) return true;
      values.length = start;
    }
    const shape = this.learn(o);
    if (shape === undefined) return false;
    if (candidates.length < MAX_CANDIDATES) candidates.push(shape);
    if (this.tryShape(o, shape, values)) return true;
    values.length = start;
    return false;
  }

  /**
   * `o` with `shape`, when its keys are the shape's: its id, its repeat mask, the values of its other
   * slots in order, then its nested objects in order. One walk of the keys checks them and takes the
   * values; what it remembers (`next`) counts only once every key matched, so that a shape given up
   * half-way does not leave `last` ahead of what the main thread saw.
   */
  private tryShape(o: Record<string, unknown>, shape: Shape, values: unknown[]): boolean {
    const { keys, nested, last, next } = shape;
    const at = values.length;
    values.push(shape.id, 0);
    let mask = 0;
    let j = 0;
    for (const k in o) {
      if (j === keys.length || k !== keys[j]) {
        values.length = at;
        return false;
      }
      if (!nested[j]) {
        const v = o[k];
        next[j] = v;
        if (typeof v === 'string' && last[j] === v) mask |= 1 << j;
        else values.push(v);
      }
      j++;
    }
    if (j !== keys.length) {
      values.length = at;
      return false;
    }
    values[at + 1] = mask;
    shape.last = next;
    shape.next = last;
    for (const n of shape.nestedSlots) {
      const v = o[keys[n]!];
      if (!isPlain(v)) values.push(WHOLE, v);
      else {
        let children = shape.children[n];
        if (children === undefined) shape.children[n] = children = [];
        if (!this.encode(v, children, values)) values.push(WHOLE, v);
      }
    }
    return true;
  }

  /** A shape for `o`'s keys (found or made); undefined when `o` cannot go flat. */
  private learn(o: Record<string, unknown>): Shape | undefined {
    const keys: string[] = [];
    const nested: boolean[] = [];
    for (const k in o) {
      if (k === '__proto__' || keys.length === MAX_KEYS) return undefined;
      keys.push(k);
      nested.push(isPlain(o[k]));
    }
    const id = keys.map((k, j) => `${nested[j] ? 'o' : 'v'}${k}`).join('\u0000');
    let shape = this.byKeys.get(id);
    if (shape === undefined) {
      const nestedSlots = nested.flatMap((isNested, j) => (isNested ? [j] : []));
      shape = { id: this.shapes.length, keys, nested, nestedSlots, children: [], last: [], next: [] };
      this.shapes.push(shape);
      this.byKeys.set(id, shape);
    }
    return shape;
  }
}

function hasInheritedKeys(): boolean {
  for (const _ in {}) return true;
  return false;
}

interface DecodeShape {
  keys: string[];
  nested: boolean[];
  nestedSlots: number[];
  last: unknown[];
}

/** The main thread's half: flat batches in, in order, events out. */
export class FlatDecoder {
  private readonly shapes: DecodeShape[] = [];
  private values: unknown[] = [];
  private i = 0;

  decode(batch: FlatBatch): unknown[] {
    for (const s of batch.shapes) {
      const nestedSlots = s.nested.flatMap((isNested, j) => (isNested ? [j] : []));
      this.shapes.push({ keys: s.keys, nested: s.nested, nestedSlots, last: [] });
    }
    this.values = batch.values;
    this.i = 0;
    const out = new Array<unknown>(batch.count);
    for (let n = 0; n < batch.count; n++) out[n] = this.read();
    this.values = [];
    return out;
  }

  private read(): unknown {
    const values = this.values;
    const id = values[this.i++] as number;
    if (id === WHOLE) return values[this.i++];
    const shape = this.shapes[id]!;
    const mask = values[this.i++] as number;
    const { keys, nested, last } = shape;
    const o: Record<string, unknown> = {};
    for (let j = 0; j < keys.length; j++) {
      // A nested object's key is made here, in its place in the order; its value follows the others.
      if (nested[j]) o[keys[j]!] = null;
      else if ((mask & (1 << j)) !== 0) o[keys[j]!] = last[j];
      else o[keys[j]!] = last[j] = values[this.i++];
    }
    for (const n of shape.nestedSlots) o[keys[n]!] = this.read();
    return o;
  }
}
