/** `fleetscope/storage`: storage backends behind the `Storage` contract. */
export { memoryStorage, type MemoryStorageOptions } from './memory.js';
export { fileLogStorage, type FileLogStorage, type FileLogStorageOptions, type FsyncPolicy } from './file-log.js';
export type { FileLogSummary } from './file-log-query.js';
export { sqliteStorage, type SqliteStorageOptions, type SqliteDriver, type SqliteDatabase, type SqliteStatement } from './sqlite.js';
export { tieredStorage, type TieredStorageOptions } from './tiered.js';
export { auditLog, AUDIT_EVENT_TYPES, type AuditLog, type AuditLogOptions } from './audit-log.js';
export { verifyAuditLog, readAuditRecords, type AuditVerifyReport, type AuditBreak, type AuditBreakKind, type VerifyOptions } from './audit-verify.js';
export type { AuditRecord, AuditRecordKind, AuditHead } from './audit-format.js';
export { postgresStorage, type PostgresStorageOptions, type PostgresPool } from './postgres.js';
