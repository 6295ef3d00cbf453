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
