/** `fleetscope/storage`: storage backends behind the `Storage` contract. */
export { memoryStorage, type MemoryStorageOptions } from './memory.js';
