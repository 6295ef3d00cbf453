/**
 * The Isolation Forest behind the `anomalies` analyzer, in a form cheap enough to train and score
 * on the fly: the trees are grown as ml-isolation-forest 0.1.0 grows them, straight into flat typed
 * arrays (`growForest`), and scored with a loop instead of the library's recursive `predict` (which
 * costs ≈ 10–18 µs per vector with 100 trees on this machine; the flat walk ≈ 1 µs). The score is the
 * library's, bit for bit: 2^(−mean path length / c(n)), with a leaf worth its depth plus c(size
 * of the leaf's training set), c(n) = 2 ln(n − 1) + 0.57721 − 2(n − 1)/n (c(1) = 0, c(2) = 1).
 * Also here: the model the `anomalies` analyzer keeps (forest + training mean and sd), its
 * "suspicious" test used for sampling, and the features reported as having driven a score.
 */

/** Feature names, in vector order; the first three are stored as ln(1 + x). */
export const FEATURES = ['latencyMs', 'tokens', 'outputTokens', 'error', 'kind'] as const;
const F = FEATURES.length;

export interface ForestModel {
  forest: FlatForest;
  /** `belowThresholdTotal` of the forest for the analyzer's threshold (see `scoreVectorAbove`). */
  cutoff: number;
  mean: number[];
  std: number[];
  /** Per feature: a vector is "suspicious" when |x − mean| ≥ this (2 sd; > 0 when sd is 0). */
  suspicious: Float64Array;
}

/** The part of ml-isolation-forest 0.1.0's tree nodes read here (see its `lib/index.js`). */
interface LibraryNode {
  left?: LibraryNode;
  right?: LibraryNode;
  splitColumn?: number;
  splitValue?: number;
  trainingSet?: unknown[];
}

interface LibraryForest {
  forest: LibraryNode[];
  trainingSet: unknown[];
}

/** A trained forest as flat arrays; nodes in preorder, so a left child is the next node. */
export interface FlatForest {
  /** Split column; −1 for a leaf. */
  column: Int32Array;
  /** Split value; for a leaf, its depth + c(leaf size). */
  value: Float64Array;
  /** Index of the right child. */
  right: Int32Array;
  /** Index of each tree's root. */
  roots: Int32Array;
  /** c(training set size). */
  normalizer: number;
}

/** Average path length of an unsuccessful search in a binary search tree of n points (the library's). */
export function averagePathLength(n: number): number {
  if (n === 0 || n === 1) return 0;
  if (n === 2) return 1;
  return 2 * Math.log(n - 1) + 0.57721 - (2 * (n - 1)) / n;
}

/** Copies the trees of a trained ml-isolation-forest `IsolationForest` into flat arrays (the tests' reference). */
export function flattenForest(trained: unknown): FlatForest {
  const lib = trained as LibraryForest;
  const column: number[] = [];
  const value: number[] = [];
  const right: number[] = [];
  const roots: number[] = [];
  // Iterative preorder walk: [node, depth] pairs; the right child's slot is patched when reached.
  const stack: { node: LibraryNode; depth: number; parent: number }[] = [];
  for (const tree of lib.forest) {
    roots.push(column.length);
    stack.push({ node: tree, depth: 0, parent: -1 });
    while (stack.length > 0) {
      const { node, depth, parent } = stack.pop()!;
      const index = column.length;
      if (parent >= 0) right[parent] = index;
      if (node.left === undefined && node.right === undefined) {
        column.push(-1);
        value.push(depth + averagePathLength(node.trainingSet?.length ?? 0));
        right.push(-1);
        continue;
      }
      column.push(node.splitColumn!);
      value.push(node.splitValue!);
      right.push(-1);
      // Right pushed first so that the left subtree comes next in preorder.
      stack.push({ node: node.right!, depth: depth + 1, parent: index });
      stack.push({ node: node.left!, depth: depth + 1, parent: -1 });
    }
  }
  return {
    column: Int32Array.from(column),
    value: Float64Array.from(value),
    right: Int32Array.from(right),
    roots: Int32Array.from(roots),
    normalizer: averagePathLength(lib.trainingSet.length),
  };
}

/** Anomaly score of the vector at `vectors[offset ..]` (same as the library's `predict`). */
export function scoreVector(forest: FlatForest, vectors: Float64Array, offset: number): number {
  return scoreVectorAbove(forest, vectors, offset, Number.POSITIVE_INFINITY);
}

/**
 * The least sum of path lengths over all trees (`scoreVector`'s `total`) whose score is surely below
 * `threshold`, with a margin far above the rounding of the score's formula: path lengths are ≥ 0,
 * so once a partial sum passes it, the vector cannot reach the threshold whatever the other trees say.
 */
export function belowThresholdTotal(forest: FlatForest, threshold: number): number {
  // score ≥ threshold ⟺ total ≤ −log2(threshold) · normalizer · trees.
  const exact = -Math.log2(threshold) * forest.normalizer * forest.roots.length;
  return exact * (1 + 1e-9) + 1e-9;
}

/**
 * `scoreVector`, or 0 as soon as the vector is known to score below the threshold whose
 * `belowThresholdTotal` is `cutoff` (most vectors: a normal one's paths are about twice the length an
 * anomaly's are, so about half the trees are walked). A score it returns is `scoreVector`'s, bit for
 * bit: the same sum in the same order.
 */
export function scoreVectorAbove(forest: FlatForest, vectors: Float64Array, offset: number, cutoff: number): number {
  const { column, value, right, roots } = forest;
  let total = 0;
  for (let t = 0; t < roots.length; t++) {
    let i = roots[t]!;
    let c = column[i]!;
    while (c >= 0) {
      i = vectors[offset + c]! < value[i]! ? i + 1 : right[i]!;
      c = column[i]!;
    }
    total += value[i]!;
    if (total > cutoff) return 0;
  }
  return 2 ** (-(total / roots.length) / forest.normalizer);
}

/**
 * The scores of recently scored vectors under one model (`scoreVectorAbove`'s result), so that a
 * vector seen again is scored with a table look-up (≈ 30 ns) instead of a walk of every tree
 * (≈ 1 µs). Vectors repeat a lot: two of the five features are categories, and the others are
 * logarithms of whole milliseconds and token counts (the same tool taking the same time, the same
 * prompt). Direct-mapped on a hash of the vector's bits, so it stays small and never grows; a
 * colliding vector just takes the slot. Cleared when the model changes. A score is a function of
 * the vector's comparisons with the split values only, so a hit (equal features, `===`) has the
 * score a walk would give (0 and −0 compare alike; a NaN never hits).
 */
export class ScoreMemo {
  private readonly keys: Float64Array;
  private readonly scores: Float64Array;
  private readonly filled: Uint8Array;
  private readonly mask: number;

  /** `slots` is rounded up to a power of two. */
  constructor(slots: number) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(2, slots)));
    this.keys = new Float64Array(size * F);
    this.scores = new Float64Array(size);
    this.filled = new Uint8Array(size);
    this.mask = size - 1;
  }

  /** Forgets every score (the model changed). */
  clear(): void {
    this.filled.fill(0);
  }

  /**
   * `scoreVectorAbove(model.forest, vectors, offset, model.cutoff)`, from the memo when the vector
   * was scored before. `bits` views the same memory as `vectors` (the hash reads the vector's bits).
   */
  score(model: ForestModel, vectors: Float64Array, bits: Int32Array, offset: number): number {
    const { keys } = this;
    let h = 0x811c9dc5;
    for (let w = offset * 2, end = w + F * 2; w < end; w++) h = Math.imul(h ^ bits[w]!, 0x01000193);
    const slot = (h ^ (h >>> 15)) & this.mask;
    const k = slot * F;
    if (this.filled[slot] === 1 && sameVector(keys, k, vectors, offset)) return this.scores[slot]!;
    const s = scoreVectorAbove(model.forest, vectors, offset, model.cutoff);
    for (let f = 0; f < F; f++) keys[k + f] = vectors[offset + f]!;
    this.scores[slot] = s;
    this.filled[slot] = 1;
    return s;
  }
}

/** Whether the `F` features at `a[i ..]` equal those at `b[j ..]` (`===`: a NaN never equals). */
function sameVector(a: Float64Array, i: number, b: Float64Array, j: number): boolean {
  for (let f = 0; f < F; f++) if (a[i + f] !== b[j + f]) return false;
  return true;
}

/**
 * Grows isolation trees straight into flat arrays, exactly as ml-isolation-forest 0.1.0's `train`
 * grows them: the same `random()` calls in the same order (per node, preorder, left subtree first:
 * the split column, then the split value between the column's min and max as its first row holds
 * them), the same depth limit ⌈log2 n⌉, each side keeping its rows in order. With the library's
 * source of randomness (`Math.random`) the trees are the library's, node for node (tested). Why
 * not the library: it allocates a node object and four arrays per node, ≈ 3× the CPU of this walk
 * over one row index array. Trees are grown a few at a time (`grow(untilMs)`), so that a
 * training can yield to the host between slices.
 */
export class ForestGrower {
  private readonly features: number;
  private readonly maxDepth: number;
  private readonly data: Float64Array;
  private readonly order: Int32Array;
  private readonly spill: Int32Array;
  private readonly nodes: NodeArrays;
  private readonly roots: Int32Array;
  private grown = 0;

  constructor(
    rows: readonly (readonly number[])[],
    private readonly trees: number,
    private readonly random: () => number = Math.random,
  ) {
    const n = rows.length;
    this.features = n === 0 ? 0 : rows[0]!.length;
    this.maxDepth = Math.ceil(Math.log2(n));
    this.data = new Float64Array(n * this.features);
    for (let r = 0; r < n; r++) for (let f = 0; f < this.features; f++) this.data[r * this.features + f] = rows[r]![f]!;
    this.order = new Int32Array(n);
    this.spill = new Int32Array(n);
    this.nodes = new NodeArrays(trees * Math.max(1, 2 * n));
    this.roots = new Int32Array(trees);
  }

  /** Grows trees until all are grown (returns true) or `performance.now()` reaches `untilMs` (at least one tree). */
  grow(untilMs = Infinity): boolean {
    while (this.grown < this.trees) {
      for (let i = 0; i < this.order.length; i++) this.order[i] = i;
      this.roots[this.grown++] = this.nodes.length;
      this.growNode(0, this.order.length, 0);
      if (this.grown < this.trees && performance.now() >= untilMs) return false;
    }
    return true;
  }

  /** The forest grown so far (every tree once `grow` has returned true). */
  forest(): FlatForest {
    const { nodes } = this;
    const length = nodes.length;
    return {
      column: nodes.column.slice(0, length),
      value: nodes.value.slice(0, length),
      right: nodes.right.slice(0, length),
      roots: this.roots.slice(0, this.grown),
      normalizer: averagePathLength(this.order.length),
    };
  }

  /** Appends, in preorder, the subtree of the rows `order[start .. end)` at `depth`. */
  private growNode(start: number, end: number, depth: number): void {
    const { data, order, spill, features, nodes } = this;
    const size = end - start;
    if (!(depth <= this.maxDepth && size > 1)) {
      nodes.add(-1, depth + averagePathLength(size));
      return;
    }
    const split = Math.floor(this.random() * features);
    let max = data[order[start]! * features + split]!;
    let min = max;
    for (let i = start + 1; i < end; i++) {
      const x = data[order[i]! * features + split]!;
      if (x > max) max = x;
      if (x < min) min = x;
    }
    const threshold = this.random() * (max - min) + min;
    // Stable partition: rows below the threshold first, then the rows ≥ it (a NaN on either side goes to neither, as in the library's two filters).
    let kept = start;
    let spilled = 0;
    for (let i = start; i < end; i++) {
      const row = order[i]!;
      const x = data[row * features + split]!;
      if (x < threshold) order[kept++] = row;
      else if (x >= threshold) spill[spilled++] = row;
    }
    for (let i = 0; i < spilled; i++) order[kept + i] = spill[i]!;
    const node = nodes.add(split, threshold);
    this.growNode(start, kept, depth + 1);
    nodes.right[node] = nodes.length;
    this.growNode(kept, kept + spilled, depth + 1);
  }
}

/** `trees` isolation trees grown on `rows` in one go (see `ForestGrower`). */
export function growForest(rows: readonly (readonly number[])[], trees: number, random: () => number = Math.random): FlatForest {
  const grower = new ForestGrower(rows, trees, random);
  grower.grow();
  return grower.forest();
}

/** Growable node columns of a `FlatForest` (a typed array each: plain arrays cost more to fill and to convert). */
class NodeArrays {
  column: Int32Array;
  value: Float64Array;
  right: Int32Array;
  length = 0;

  constructor(capacity: number) {
    this.column = new Int32Array(capacity);
    this.value = new Float64Array(capacity);
    this.right = new Int32Array(capacity);
  }

  /** Appends a node (right child not known yet: −1) and returns its index. */
  add(column: number, value: number): number {
    if (this.length === this.column.length) this.double();
    const at = this.length++;
    this.column[at] = column;
    this.value[at] = value;
    this.right[at] = -1;
    return at;
  }

  private double(): void {
    const capacity = this.column.length * 2;
    const column = new Int32Array(capacity);
    const value = new Float64Array(capacity);
    const right = new Int32Array(capacity);
    column.set(this.column);
    value.set(this.value);
    right.set(this.right);
    this.column = column;
    this.value = value;
    this.right = right;
  }
}

/** A model of `forest` (grown on `sample`, rows of `FEATURES.length` values) with the sample's mean and sd, for a score `threshold`. */
export function buildModel(forest: FlatForest, sample: readonly (readonly number[])[], threshold: number): ForestModel {
  const n = sample.length;
  const mean = new Array<number>(F).fill(0);
  const std = new Array<number>(F).fill(0);
  for (const row of sample) for (let f = 0; f < F; f++) mean[f]! += row[f]! / n;
  for (const row of sample) for (let f = 0; f < F; f++) std[f]! += (row[f]! - mean[f]!) ** 2 / Math.max(1, n - 1);
  for (let f = 0; f < F; f++) std[f] = Math.sqrt(std[f]!);
  const suspicious = Float64Array.from(std, (sd) => (sd === 0 ? Number.MIN_VALUE : 2 * sd));
  return { forest, cutoff: belowThresholdTotal(forest, threshold), mean, std, suspicious };
}

/** Whether a feature of the vector at `vectors[offset ..]` is ≥ 2 sd from the training mean. */
export function isSuspicious(model: ForestModel, vectors: Float64Array, offset: number): boolean {
  const { mean, suspicious } = model;
  for (let f = 0; f < F; f++) if (Math.abs(vectors[offset + f]! - mean[f]!) >= suspicious[f]!) return true;
  return false;
}

/**
 * The features that drove a vector's score, on their own scale: those ≥ 2 standard deviations
 * from the training mean, or else the most deviant one.
 */
export function explainVector(model: ForestModel, vectors: Float64Array, offset: number): Record<string, number> {
  const features: Record<string, number> = {};
  let found = false;
  let strongest = -1;
  let strongestZ = 0;
  for (let f = 0; f < F; f++) {
    const x = vectors[offset + f]!;
    const z = model.std[f]! === 0 ? (x === model.mean[f] ? 0 : 10) : Math.abs(x - model.mean[f]!) / model.std[f]!;
    if (z >= 2) {
      features[FEATURES[f]!] = rawFeature(f, x);
      found = true;
    }
    if (z > strongestZ) {
      strongestZ = z;
      strongest = f;
    }
  }
  if (!found && strongest >= 0) features[FEATURES[strongest]!] = rawFeature(strongest, vectors[offset + strongest]!);
  return features;
}

function rawFeature(f: number, value: number): number {
  // Features 0–2 are ln(1 + x); report them on their own scale.
  return f <= 2 ? Math.round(Math.expm1(value) * 1000) / 1000 : value;
}
