/** `fleetscope/analyzers`: the built-in analyzers and `defineAnalyzer` for custom ones. */
export { defineAnalyzer, type AnalyzerDefinition } from './define.js';
export { aggregationAnalyzer, type AggregationOptions, type AggregationAnalyzerSnapshot } from './aggregation.js';
export { LogSketch, DEFAULT_RELATIVE_ACCURACY, type LogSketchOptions } from './sketch.js';
export { regressionsAnalyzer, classifyChange, classifySuccessDrop, type RegressionsOptions, type RegressionsAnalyzer, type RegressionsAnalyzerSnapshot, type StoredBaseline } from './regressions.js';
export { patternsAnalyzer, normalizeMessage, type PatternsOptions, type PatternsSnapshot, type RecurringFailure, type RepeatedError, type RepeatedCall, type LongSession } from './patterns.js';
