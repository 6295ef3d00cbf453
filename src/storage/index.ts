/** `fleetscope/storage`: storage backends behind the `Storage` contract. */
export { memoryStorage, type MemoryStorageOptions } from './memory.js';
export { fileLogStorage, type FileLogStorageOptions, type FsyncPolicy } from './file-log.js';
export { sqliteStorage, type SqliteStorageOptions, type SqliteDriver, type SqliteDatabase, type SqliteStatement } from './sqlite.js';
export { tieredStorage, type TieredStorageOptions } from './tiered.js';
export { postgresStorage, type PostgresStorageOptions, type PostgresPool } from './postgres.js';
