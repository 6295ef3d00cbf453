/**
 * What the redactor looks for: one category per kind of secret or personal datum, each in one
 * of two groups. The names appear in masks (`[REDACTED:aws_key]`), in `stats()` and in findings.
 */

/** Credentials: a leak gives someone access. */
export const SECRET_CATEGORIES = [
  'anthropic_key',
  'openai_key',
  'aws_key',
  'github_token',
  'slack_token',
  'google_api_key',
  'stripe_key',
  'npm_token',
  'jwt',
  'private_key',
  'password',
  'env_secret',
  'secret_field',
] as const;

/** Personal data: a leak exposes a person. */
export const PII_CATEGORIES = ['email', 'phone', 'ssn', 'credit_card', 'iban', 'ip_address'] as const;

export type SecretCategory = (typeof SECRET_CATEGORIES)[number];
export type PiiCategory = (typeof PII_CATEGORIES)[number];
export type RedactionCategory = SecretCategory | PiiCategory;
/** A category, or a whole group: `secrets` (every secret category) or `pii`. */
export type CategorySelector = RedactionCategory | 'secrets' | 'pii';

export const ALL_CATEGORIES: readonly RedactionCategory[] = [...SECRET_CATEGORIES, ...PII_CATEGORIES];

const SECRET_SET = new Set<string>(SECRET_CATEGORIES);

export function groupOf(category: RedactionCategory): 'secrets' | 'pii' {
  return SECRET_SET.has(category) ? 'secrets' : 'pii';
}

/** Expands group names; throws on an unknown name (called at configuration time only). */
export function expandCategories(selectors: readonly CategorySelector[]): Set<RedactionCategory> {
  const out = new Set<RedactionCategory>();
  for (const selector of selectors) {
    if (selector === 'secrets') SECRET_CATEGORIES.forEach((c) => out.add(c));
    else if (selector === 'pii') PII_CATEGORIES.forEach((c) => out.add(c));
    else if ((ALL_CATEGORIES as readonly string[]).includes(selector)) out.add(selector);
    else throw new Error(`[fleetscope] [redaction] unknown category "${String(selector)}"; known: secrets, pii, ${ALL_CATEGORIES.join(', ')}`);
  }
  return out;
}

/** One span found in a string. Offsets are UTF-16 code units, as JavaScript counts them. */
export interface TextMatch {
  category: RedactionCategory;
  start: number;
  end: number;
}

/**
 * Where the detectors put what they find: three columns instead of an object per span. On hostile
 * input a detector finds one span every few characters (95k in 1 MB of `"password":`), and that
 * many small objects kept alive made the collector's work grow faster than the input (6× the time
 * for 4× the input); typed columns keep every detector linear. Reused between scans (`clear`).
 */
export class MatchList {
  length = 0;
  private categories = new Uint8Array(64);
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);

  add(category: RedactionCategory, start: number, end: number): void {
    if (this.length === this.starts.length) this.grow();
    const at = this.length++;
    this.categories[at] = CATEGORY_INDEX.get(category)!;
    this.starts[at] = start;
    this.ends[at] = end;
  }

  clear(): void {
    this.length = 0;
  }

  /** The spans as objects, in the order they were added. */
  toArray(): TextMatch[] {
    const out: TextMatch[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = { category: ALL_CATEGORIES[this.categories[i]!]!, start: this.starts[i]!, end: this.ends[i]! };
    return out;
  }

  private grow(): void {
    const categories = new Uint8Array(this.length * 2);
    const starts = new Int32Array(this.length * 2);
    const ends = new Int32Array(this.length * 2);
    categories.set(this.categories);
    starts.set(this.starts);
    ends.set(this.ends);
    this.categories = categories;
    this.starts = starts;
    this.ends = ends;
  }
}

const CATEGORY_INDEX = new Map<RedactionCategory, number>(ALL_CATEGORIES.map((c, i) => [c, i]));

/**
 * One finding, as analyzers and reports see it: where and what kind, never the value.
 * `path` names the field (`payload.output`, `attributes.http.url`, `payload.input.env[2]`);
 * it is empty for a plain text.
 */
export interface Finding {
  category: RedactionCategory;
  path: string;
  offset: number;
  length: number;
}
