/**
 * The interval arithmetic behind the `fleet` analyzer, kept pure so it can be tested (and
 * reused) on its own. Times in ms. Definitions are documented in `docs/analyzers.md`.
 */

/** One execution as an interval; `parentId` is the id of the enclosing execution, if any. */
export interface Interval {
  id: string;
  parentId?: string;
  start: number;
  end: number;
}

/** Executions that enclose no other execution of the set (the work actually done). */
export function leafExecutions<T extends Interval>(intervals: readonly T[]): T[] {
  const parents = new Set<string>();
  const ids = new Set(intervals.map((i) => i.id));
  for (const i of intervals) if (i.parentId !== undefined && ids.has(i.parentId)) parents.add(i.parentId);
  return intervals.filter((i) => !parents.has(i.id));
}

/** Length of the union of the intervals (time during which at least one ran). */
export function unionLength(intervals: readonly Interval[]): number {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  let total = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const i of sorted) {
    if (i.start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = i.start;
      curEnd = i.end;
    } else if (i.end > curEnd) curEnd = i.end;
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

/**
 * Parallelization ratio of a set of executions:
 *
 *   ratio = (S − U) / (S − L)
 *
 * with S the sum of the executions' durations, U the length of the union of their intervals and
 * L the longest duration. U ≤ S (equality when nothing overlaps) and U ≥ L, so the ratio is 0 for
 * strictly sequential executions, 1 when every execution runs within the span of the longest
 * (fully parallel), and in between the share of the "parallelizable" time (S − L) that did
 * overlap. Zero-length executions are ignored; with fewer than two executions of positive length
 * the ratio is undefined (null).
 */
export function parallelizationRatio(intervals: readonly Interval[]): number | null {
  const timed = intervals.filter((i) => i.end > i.start);
  if (timed.length < 2) return null;
  let sum = 0;
  let longest = 0;
  for (const i of timed) {
    const d = i.end - i.start;
    sum += d;
    if (d > longest) longest = d;
  }
  const denominator = sum - longest;
  if (denominator <= 0) return null;
  const ratio = (sum - unionLength(timed)) / denominator;
  return Math.min(1, Math.max(0, ratio));
}

/**
 * Time that running the executions side by side could save, assuming they do not depend on each
 * other: U − L, with U the length of the union of their intervals and L the longest duration. If
 * they all started together, the time they keep busy would shrink from U to L; everything else
 * (an enclosing agent's own work, gaps) is left as it was. 0 for fewer than two executions or
 * when they already run within the span of the longest. Example: 1 s, 2 s, 3 s one after
 * another → U = 6 s, L = 3 s → 3 s.
 */
export function parallelSaving(intervals: readonly Interval[]): number {
  let longest = 0;
  for (const i of intervals) if (i.end - i.start > longest) longest = i.end - i.start;
  return Math.max(0, unionLength(intervals) - longest);
}

/**
 * The leaves grouped by the turn they started in: a turn begins at a user's prompt and lasts until
 * the next one (leaves before the first prompt, or in a workflow without prompts, form one group).
 * A turn itself (an `interactive` execution: the prompt and the answer) is no leaf: nothing in it
 * to parallelize.
 */
export function leavesByTurn<T extends Interval & { exec: { interactive?: boolean } }>(leaves: readonly T[], prompts: readonly number[] | undefined): T[][] {
  const work = leaves.filter((l) => l.exec.interactive !== true);
  if (prompts === undefined || prompts.length === 0) return [work];
  const groups = new Map<number, T[]>();
  for (const leaf of work) {
    // Index of the last prompt at or before the leaf's start (-1: before the first).
    let lo = 0;
    let hi = prompts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (prompts[mid]! <= leaf.start) lo = mid + 1;
      else hi = mid;
    }
    let group = groups.get(lo - 1);
    if (group === undefined) groups.set(lo - 1, (group = []));
    group.push(leaf);
  }
  return [...groups.values()];
}

/** Parallelization ratio (S − U) / (S − L) and saving U − L summed over separate groups of executions. */
export function groupedParallelism(groups: readonly Interval[][]): { ratio: number | null; savingMs: number } {
  if (groups.length === 1) return { ratio: parallelizationRatio(groups[0]!), savingMs: parallelSaving(groups[0]!) };
  let overlapped = 0;
  let parallelizable = 0;
  let savingMs = 0;
  for (const group of groups) {
    const ratio = parallelizationRatio(group);
    savingMs += parallelSaving(group);
    if (ratio === null) continue;
    const timed = group.filter((i) => i.end > i.start);
    const sum = timed.reduce((s, i) => s + (i.end - i.start), 0);
    const longest = timed.reduce((m, i) => Math.max(m, i.end - i.start), 0);
    overlapped += ratio * (sum - longest);
    parallelizable += sum - longest;
  }
  return { ratio: parallelizable > 0 ? Math.min(1, Math.max(0, overlapped / parallelizable)) : null, savingMs };
}

export interface PathStep {
  id: string;
  depth: number;
  start: number;
  end: number;
}

/**
 * Critical path: the chain of executions that gated the end of the workflow. Among the top-level
 * executions, take the one that ended last, then the one that ended last before that one started,
 * and so on (a chain of executions each waiting for the previous); then, inside each execution of
 * the chain, the same rule over its child executions (the child its parent waited for, and the
 * children before it), one level deeper each time. `durationMs` is the sum of the top-level
 * chain's durations: the time the workflow could not have saved by running more in parallel.
 */
export function criticalPath(intervals: readonly Interval[]): { steps: PathStep[]; durationMs: number } {
  const ids = new Set(intervals.map((i) => i.id));
  const children = new Map<string | undefined, Interval[]>();
  for (const i of intervals) {
    const parent = i.parentId !== undefined && ids.has(i.parentId) && i.parentId !== i.id ? i.parentId : undefined;
    let list = children.get(parent);
    if (list === undefined) children.set(parent, (list = []));
    list.push(i);
  }
  const steps: PathStep[] = [];
  let durationMs = 0;
  const visited = new Set<string>();
  const walk = (parent: string | undefined, depth: number) => {
    const nodes = [...(children.get(parent) ?? [])].sort((a, b) => b.end - a.end || b.start - a.start);
    const picked: Interval[] = [];
    let limit = Infinity;
    for (const n of nodes) {
      if (n.end <= limit) {
        picked.push(n);
        limit = n.start;
      }
    }
    picked.reverse();
    for (const p of picked) {
      if (visited.has(p.id)) continue; // defensive: cycles in bad input
      visited.add(p.id);
      steps.push({ id: p.id, depth, start: p.start, end: p.end });
      if (depth === 0) durationMs += p.end - p.start;
      if (depth < 32) walk(p.id, depth + 1);
    }
  };
  walk(undefined, 0);
  return { steps, durationMs };
}
