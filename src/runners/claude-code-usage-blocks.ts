/**
 * 5-hour billing blocks over usage records, the way `ccusage blocks` cuts them: a block starts at
 * the hour (UTC) of its first entry and lasts 5 hours; an entry more than 5 hours after the block's
 * start or after the previous entry starts a new block, and a silence longer than 5 hours becomes
 * a gap block. The active block (its last entry and now both within 5 hours, now before its end)
 * gets a burn rate (over its first to last entry) and a projection to its end.
 */

export const BLOCK_HOURS = 5;
const BLOCK_MS = BLOCK_HOURS * 3_600_000;

export interface BlockEntry {
  /** Epoch ms. */
  time: number;
  model: string | undefined;
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
  cost: number;
}

export interface BurnRate {
  /** All tokens (cache included) per minute between the block's first and last entry. */
  tokensPerMinute: number;
  /** Input + output tokens per minute (ccusage's indicator). */
  tokensPerMinuteForIndicator: number;
  costPerHour: number;
}

export interface BlockProjection {
  /** Tokens at the block's end if the burn rate holds. */
  totalTokens: number;
  /** Dollars at the block's end if the burn rate holds (rounded to the cent). */
  totalCost: number;
  remainingMinutes: number;
}

export interface UsageBlock {
  /** ISO start (or `gap-<start>` for a gap). */
  id: string;
  startTime: string;
  endTime: string;
  /** Time of the last entry; null for a gap. */
  actualEndTime: string | null;
  isActive: boolean;
  isGap: boolean;
  entries: number;
  tokenCounts: { inputTokens: number; outputTokens: number; cacheCreationInputTokens: number; cacheReadInputTokens: number };
  totalTokens: number;
  costUSD: number;
  models: string[];
  burnRate: BurnRate | null;
  projection: BlockProjection | null;
}

function floorToHour(time: number): number {
  return time - (time % 3_600_000);
}

function burnRateOf(block: UsageBlock, first: number, last: number): BurnRate | null {
  const minutes = (last - first) / 60_000;
  if (block.isGap || block.entries === 0 || minutes <= 0) return null;
  const t = block.tokenCounts;
  return {
    tokensPerMinute: block.totalTokens / minutes,
    tokensPerMinuteForIndicator: (t.inputTokens + t.outputTokens) / minutes,
    costPerHour: (block.costUSD / minutes) * 60,
  };
}

function makeBlock(start: number, entries: readonly BlockEntry[], now: number): UsageBlock {
  const t = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
  let cost = 0;
  const models: string[] = [];
  for (const e of entries) {
    t.inputTokens += e.input;
    t.outputTokens += e.output;
    t.cacheCreationInputTokens += e.cacheWrite;
    t.cacheReadInputTokens += e.cacheRead;
    cost += e.cost;
    const model = e.model ?? 'unknown';
    if (!models.includes(model)) models.push(model);
  }
  const end = start + BLOCK_MS;
  const first = entries[0]!.time;
  const last = entries[entries.length - 1]!.time;
  const block: UsageBlock = {
    id: new Date(start).toISOString(),
    startTime: new Date(start).toISOString(),
    endTime: new Date(end).toISOString(),
    actualEndTime: new Date(last).toISOString(),
    isActive: now - last < BLOCK_MS && now < end,
    isGap: false,
    entries: entries.length,
    tokenCounts: t,
    totalTokens: t.inputTokens + t.outputTokens + t.cacheCreationInputTokens + t.cacheReadInputTokens,
    costUSD: cost,
    models,
    burnRate: null,
    projection: null,
  };
  if (block.isActive) {
    block.burnRate = burnRateOf(block, first, last);
    if (block.burnRate !== null) {
      const remainingMinutes = Math.max(0, (end - now) / 60_000);
      block.projection = {
        totalTokens: Math.round(block.totalTokens + block.burnRate.tokensPerMinute * remainingMinutes),
        totalCost: Math.round((cost + (block.burnRate.costPerHour / 60) * remainingMinutes) * 100) / 100,
        remainingMinutes: Math.round(remainingMinutes),
      };
    }
  }
  return block;
}

function gapBlock(lastActivity: number, nextActivity: number): UsageBlock | undefined {
  if (nextActivity - lastActivity <= BLOCK_MS) return undefined;
  const start = lastActivity + BLOCK_MS;
  return {
    id: `gap-${new Date(start).toISOString()}`,
    startTime: new Date(start).toISOString(),
    endTime: new Date(nextActivity).toISOString(),
    actualEndTime: null,
    isActive: false,
    isGap: true,
    entries: 0,
    tokenCounts: { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
    totalTokens: 0,
    costUSD: 0,
    models: [],
    burnRate: null,
    projection: null,
  };
}

/** Cuts entries (any order; sorted here by time, stable) into blocks and gaps. */
export function billingBlocks(entries: BlockEntry[], now: number): UsageBlock[] {
  const sorted = entries.sort((a, b) => a.time - b.time);
  const blocks: UsageBlock[] = [];
  let start: number | undefined;
  let current: BlockEntry[] = [];
  for (const e of sorted) {
    if (start === undefined) {
      start = floorToHour(e.time);
      current = [e];
      continue;
    }
    const last = current[current.length - 1]!.time;
    if (e.time - start > BLOCK_MS || e.time - last > BLOCK_MS) {
      blocks.push(makeBlock(start, current, now));
      const gap = gapBlock(last, e.time);
      if (gap !== undefined) blocks.push(gap);
      start = floorToHour(e.time);
      current = [e];
    } else {
      current.push(e);
    }
  }
  if (start !== undefined && current.length > 0) blocks.push(makeBlock(start, current, now));
  return blocks;
}
