/** Pure helpers of the PostgreSQL storage: partition bounds and JSON that PostgreSQL's JSONB accepts. */

export type PartitionPeriod = 'day' | 'month';

const DAY_MS = 86_400_000;

/** The partition holding `timestamp`: its table name and its [from, to) bounds in ms (UTC days or months). */
export function partitionBounds(table: string, period: PartitionPeriod, timestamp: number): { name: string; from: number; to: number } {
  const date = new Date(timestamp);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const pad = (n: number) => String(n).padStart(2, '0');
  if (period === 'month') {
    return { name: `${table}_m${year}${pad(month + 1)}`, from: Date.UTC(year, month, 1), to: Date.UTC(year, month + 1, 1) };
  }
  const from = Math.floor(timestamp / DAY_MS) * DAY_MS;
  return { name: `${table}_d${year}${pad(month + 1)}${pad(date.getUTCDate())}`, from, to: from + DAY_MS };
}

/**
 * `JSON.stringify(value)`, with what JSONB refuses made acceptable: the NUL character (`\u0000`) and lone
 * UTF-16 surrogates (JSON.stringify writes both as `\uXXXX` escapes; well-formed pairs are written raw)
 * become U+FFFD. `repaired` counts the escapes replaced. Strings without either pay one `indexOf`.
 */
export function jsonForPostgres(value: unknown): { json: string; repaired: number } {
  const json = JSON.stringify(value);
  if (!json.includes('\\u0000') && !/\\ud[89a-f]/i.test(json)) return { json, repaired: 0 };
  let repaired = 0;
  const out = json.replace(/\\+u(0000|d[89a-f][0-9a-f]{2})/gi, (match: string) => {
    const backslashes = match.length - 5;
    // An even run of backslashes before `u` is escaped backslashes followed by the letter u: not an escape.
    if (backslashes % 2 === 0) return match;
    repaired++;
    return `${match.slice(0, backslashes - 1)}\\ufffd`;
  });
  return { json: out, repaired };
}
