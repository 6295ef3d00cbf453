/**
 * `fleetscope/redaction`: secret and PII detection and redaction, as a transform on the way to
 * storage and exporters (`redaction()`), and as plain functions for any host
 * (`redactText`, `createRedactor(...).redactValue / redactEvent`). See docs/security.md.
 */
export {
  SECRET_CATEGORIES,
  PII_CATEGORIES,
  ALL_CATEGORIES,
  groupOf,
  type SecretCategory,
  type PiiCategory,
  type RedactionCategory,
  type CategorySelector,
  type TextMatch,
  type Finding,
} from './categories.js';
export {
  createRedactor,
  redactText,
  type Redactor,
  type RedactorOptions,
  type RedactionPolicy,
  type RedactionMode,
  type Redacted,
} from './redactor.js';
export {
  redaction,
  FINDINGS_EVENT_TYPE,
  findingsPayload,
  type RedactionOptions,
  type RedactionStats,
  type RedactionFindingsPayload,
  type FindingRecord,
} from './transform.js';
export { luhnValid, ibanValid, ssnValid } from './checksums.js';
