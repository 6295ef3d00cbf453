/** `fleetscope/analyzers`: the built-in analyzers and `defineAnalyzer` for custom ones. */
export { defineAnalyzer, type AnalyzerDefinition } from './define.js';
