/**
 * The Isolation Forest behind the `anomalies` analyzer, in a form cheap enough to score on the
 * fly: ml-isolation-forest grows the trees (its `train`), then they are copied into flat typed
 * arrays and scored with a loop instead of the library's recursive `predict` (which costs
 * ≈ 10–18 µs per vector with 100 trees on this machine; the flat walk ≈ 1 µs). The score is the
 * library's, bit for bit: 2^(−mean path length / c(n)), with a leaf worth its depth plus c(size
 * of the leaf's training set), c(n) = 2 ln(n − 1) + 0.57721 − 2(n − 1)/n (c(1) = 0, c(2) = 1).
 * Also here: the model the `anomalies` analyzer keeps (forest + training mean and sd), its
 * "suspicious" test used for sampling, and the features reported as having driven a score.
 */

/** Feature names, in vector order; the first three are stored as ln(1 + x). */
export const FEATURES = ['latencyMs', 'tokens', 'outputTokens', 'error', 'kind'] as const;
const F = FEATURES.length;

/** ml-isolation-forest's `IsolationForest` class (loaded lazily by the analyzer). */
export type IsolationForestClass = new (options: { nEstimators: number }) => { train(trainingSet: number[][]): void };

export interface ForestModel {
  forest: FlatForest;
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

/** Copies the trees of a trained ml-isolation-forest `IsolationForest` into flat arrays. */
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
  }
  return 2 ** (-(total / roots.length) / forest.normalizer);
}

/** Grows `trees` trees on `sample` (rows of `FEATURES.length` values) and keeps its mean and sd. */
export function buildModel(Forest: IsolationForestClass, trees: number, sample: number[][]): ForestModel {
  const n = sample.length;
  const forest = new Forest({ nEstimators: trees });
  forest.train(sample);
  const mean = new Array<number>(F).fill(0);
  const std = new Array<number>(F).fill(0);
  for (const row of sample) for (let f = 0; f < F; f++) mean[f]! += row[f]! / n;
  for (const row of sample) for (let f = 0; f < F; f++) std[f]! += (row[f]! - mean[f]!) ** 2 / Math.max(1, n - 1);
  for (let f = 0; f < F; f++) std[f] = Math.sqrt(std[f]!);
  const suspicious = Float64Array.from(std, (sd) => (sd === 0 ? Number.MIN_VALUE : 2 * sd));
  return { forest: flattenForest(forest), mean, std, suspicious };
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
