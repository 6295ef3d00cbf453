/**
 * `fleetscope/testing`: conformance suites for the plugin contracts, for your own backends too.
 * They take your runner's `describe` / `it` / `expect` (vitest or jest), so fleetscope ships no test runner.
 */
export { testStorage, conformanceEvent, type TestHarness, type StorageFactoryForTest } from './storage-conformance.js';
export { testExporter, conformanceBatch, type ExporterFactoryForTest } from './exporter-conformance.js';
